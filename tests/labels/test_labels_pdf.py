"""PDF sheets: every label on every stock decodes after rasterising with poppler at 300 dpi."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from labels import STOCKS, LabelSpec, LayoutError, format_id, is_issuable, render_pdf
from labels.layout import layout_label
from labels.pdf import render_symbol_pdf
from labels.symbols import Symbology
from tests.conftest import needs
from tests.labels.helpers import (
    PDFTOPPM,
    SPECIMEN_TYPES,
    bar_runs,
    decode,
    decode_sheet,
    pdf_pages,
)

pytestmark = needs(PDFTOPPM is None, "pdftoppm (poppler-utils) not installed")


def _specs(n: int, start: int = 1) -> list[LabelSpec]:
    ids = (format_id("SP", k) for k in range(start, start + 2 * n) if is_issuable("SP", k))
    return [
        LabelSpec(
            "specimen",
            i,
            "MEN1-01-0042",
            "C1D1",
            SPECIMEN_TYPES[j % len(SPECIMEN_TYPES)],
            date(2025, 3, 14),
        )
        for j, i in zip(range(n), ids, strict=False)
    ]


@pytest.mark.parametrize("stock", sorted(STOCKS))
def test_every_label_on_a_stock_decodes(stock: str, tmp_path: Path) -> None:
    st = STOCKS[stock]
    specs = _specs(st.per_page if st.page_mm else 3, start=990_000)
    pages = pdf_pages(render_pdf(specs, stock), tmp_path)
    if st.page_mm:
        (page,) = pages
        assert decode_sheet(page, st, len(specs)) == [[s.id] for s in specs]
    else:
        assert [decode(p) for p in pages] == [[s.id] for s in specs]


def test_a_label_for_every_specimen_type_and_kind(tmp_path: Path) -> None:
    specs = [
        LabelSpec(kind, format_id("SP", 990_000 + i), "MEN1-02-0107", "EOT", t, date(2026, 1, 2))
        for i, t in enumerate(SPECIMEN_TYPES)
        for kind in ("specimen", "aliquot", "slide")
        if is_issuable("SP", 990_000 + i)
    ]
    specs += [
        LabelSpec(kind, format_id(prefix, 7))
        for kind, prefix in (("box", "BX"), ("shipment", "SH"), ("location", "LC"))
    ]
    for stock in ("cryovial-a4", "slide-a4"):
        found = Counter(
            t for p in pdf_pages(render_pdf(specs, stock), tmp_path / stock) for t in decode(p)
        )
        assert found == Counter(s.id for s in specs)


def test_bars_are_whole_dots_at_300_dpi(tmp_path: Path) -> None:
    spec = _specs(1)[0]
    lay = layout_label(spec, "cryovial-a4", 300)
    (page,) = pdf_pages(render_pdf([spec], "cryovial-a4"), tmp_path)
    x0, y0 = round(10 / 25.4 * 300), round(13.5 / 25.4 * 300)
    label = page.crop((x0, y0, x0 + lay.width, y0 + lay.height))
    runs = bar_runs(label, lay.symbol_xy[1] + lay.bar_height // 2)
    assert all(r % lay.module == 0 for r in runs), runs
    assert sum(runs) == lay.symbol.width * lay.module


def test_cjk_type_names_use_a_cjk_font_only_when_needed(tmp_path: Path) -> None:
    specs = _specs(2)
    from labels._fonts import PDF_CJK_FONT, PDF_EMBEDDED_CJK_FONT, WQY_MICROHEI

    latin = render_pdf(specs, "slide-a4")
    cjk = render_pdf(specs, "slide-a4", type_names={"whole_blood_edta": "全血", "serum": "血清"})
    for name in (PDF_CJK_FONT, PDF_EMBEDDED_CJK_FONT):
        assert name.encode() not in latin
    (tmp_path / "cjk.pdf").write_bytes(cjk)
    if os.path.exists(WQY_MICROHEI) and shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(tmp_path / "cjk.pdf")], capture_output=True,
                               text=True, check=True).stdout
        line = next(ln for ln in fonts.splitlines() if PDF_EMBEDDED_CJK_FONT in ln)
        assert " yes " in line  # embedded: the same glyphs on every viewer
        text = subprocess.run(["pdftotext", str(tmp_path / "cjk.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "全血" in text and "血清" in text
    else:
        assert PDF_CJK_FONT.encode() in cjk
    found = Counter(t for p in pdf_pages(cjk, tmp_path) for t in decode(p))
    assert found == Counter(s.id for s in specs)


def test_skip_leaves_positions_empty_and_is_bounded(tmp_path: Path) -> None:
    specs = _specs(3)
    (page,) = pdf_pages(render_pdf(specs, "cryovial-a4", skip=97), tmp_path)
    assert sorted(decode(page)) == sorted(s.id for s in specs)
    with pytest.raises(LayoutError):
        render_pdf(specs, "cryovial-a4", skip=100)
    with pytest.raises(LayoutError):
        render_pdf(specs, "no-such-stock")
    with pytest.raises(LayoutError):
        render_pdf([], "cryovial-a4")


@pytest.mark.parametrize("text", ["9912345", "SP00000042N", "a^~_b"])
@pytest.mark.parametrize("symbology", ["code128", "datamatrix"])
def test_symbol_pdf_decodes(text: str, symbology: Symbology, tmp_path: Path) -> None:
    (page,) = pdf_pages(render_symbol_pdf(text, symbology), tmp_path)
    assert decode(page) == [text]


@pytest.mark.parametrize("stock", ["cryovial-letter", "slide-a4"])
def test_sheet_for_a_203_dpi_printer_decodes_at_203_dpi(stock: str, tmp_path: Path) -> None:
    specs = _specs(12)
    (page,) = pdf_pages(render_pdf(specs, stock, dpi=203), tmp_path, dpi=203)
    assert decode_sheet(page, STOCKS[stock], len(specs), dpi=203) == [[s.id] for s in specs]
