"""PDFs print Chinese: the one font helper the areas' PDFs use."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from biobank import pdf_fonts
from tests.conftest import needs


def test_font_choice() -> None:
    assert pdf_fonts.font_for("SP00000012K") == "Helvetica"
    assert pdf_fonts.font_for("SP00000012K", bold=True) == "Helvetica-Bold"
    assert pdf_fonts.font_for("标本") == pdf_fonts.cjk_font()
    assert pdf_fonts.needs_cjk("冻融") and not pdf_fonts.needs_cjk("Freeze-thaw 3x")
    zh = pdf_fonts.paragraph_styles("zh")
    assert zh["BodyText"].fontName == pdf_fonts.cjk_font() and zh["Title"].wordWrap == "CJK"
    assert pdf_fonts.paragraph_styles("en")["BodyText"].fontName != pdf_fonts.cjk_font()


@needs(shutil.which("pdftotext") is None, "poppler-utils not installed")
def test_chinese_text_survives_into_the_pdf(tmp_path: Path) -> None:
    out = BytesIO()
    styles = pdf_fonts.paragraph_styles("zh")
    SimpleDocTemplate(out).build([
        Paragraph("运输清单 SH00000012K", styles["Title"]),
        Paragraph("标本条码、冻融次数、受试者 S01-0001；时间：2026年11月24日 22:05 "
                  "Asia/Shanghai (UTC+08:00)", styles["BodyText"]),
    ])
    c = canvas.Canvas(str(tmp_path / "c.pdf"))
    c.setFont(pdf_fonts.font_for("接收"), 12)
    c.drawString(72, 720, "接收 receive")
    c.save()
    path = tmp_path / "p.pdf"
    path.write_bytes(out.getvalue())
    for pdf, want in ((path, ["运输清单", "SH00000012K", "冻融次数", "2026年11月24日"]),
                      (tmp_path / "c.pdf", ["接收 receive"])):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True,
                              text=True).stdout
        for word in want:
            assert word in text, (word, text)


@needs(shutil.which("pdftotext") is None, "poppler-utils not installed")
def test_a_printed_header_in_chinese_names_the_zone(tmp_path: Path) -> None:
    """What a PDF built in a service does: translate without Flask, print local time + zone."""
    from datetime import UTC, datetime

    from biobank.i18n import translator
    from biobank.localtime import format_local, zone_label

    at = datetime(2026, 11, 24, 14, 5, tzinfo=UTC)
    for lang, title, when in (("zh", "运输批次", "2026年11月24日 22:05 CST"),
                              ("en", "Shipment", "2026-11-24 22:05 CST")):
        _ = translator(lang)
        out = BytesIO()
        styles = pdf_fonts.paragraph_styles(lang)
        SimpleDocTemplate(out).build([
            Paragraph(f"{_('Shipment')} SH00000012K", styles["Title"]),
            Paragraph(f"{format_local(at, 'Asia/Shanghai', lang)} · "
                      f"{zone_label('Asia/Shanghai', at)}", styles["BodyText"]),
        ])
        pdf = tmp_path / f"{lang}.pdf"
        pdf.write_bytes(out.getvalue())
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True,
                              text=True).stdout
        assert title in text and when in text and "Asia/Shanghai (UTC+08:00)" in text, text
    assert translator("fr")("Shipment") == "Shipment"
