"""The shipping label of a package: A6 PDF decoded after rasterising, ZPL for 100 × 150 mm
thermal stock parsed field by field (no ZPL renderer is available offline), the UN3373 mark at
IATA's minimum sizes, conditions with dry ice, and refusals of what cannot be printed."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

import pytest

from labels import (
    EncodeError,
    LayoutError,
    Party,
    ShippingLabel,
    SpecError,
    format_id,
    render_shipping_pdf,
    render_shipping_zpl,
)
from labels.shipping import SHIPPING_PDF_MM, SHIPPING_ZPL_MM, layout_shipping
from tests.conftest import needs
from tests.labels.helpers import PDFTOPPM, decode, pdf_pages, render_zpl_barcodes, zpl_fields

SENDER = Party(
    "Site 01 — Beijing",
    ("Dept. of Pathology, 1 Shuaifuyuan", "Dongcheng District", "Beijing 100730, China"),
    "Site 01 biobank desk", "+86 10 6915 0000", "s01.biobank@example.org",
)
RECIPIENT = Party(
    "Central Biobank", ("17 Panjiayuan Nanli, Chaoyang District", "Beijing 100021, China"),
    "Biobank reception", "+86 10 8778 0000", "biobank@example.org",
)
SHIPMENT = format_id("SH", 990_099)


def _label(conditions: str = "dry_ice", kg: Decimal | None = None) -> ShippingLabel:
    return ShippingLabel(SHIPMENT, SENDER, RECIPIENT, conditions, kg, "SF Express", "SF123456")


def _texts(zpl: str) -> list[str]:
    return [data for _x, _y, cmds, data in zpl_fields(zpl) if "^A" in cmds]


@needs(PDFTOPPM is None, "pdftoppm (poppler-utils) not installed")
def test_a6_pdf_decodes_to_the_shipment_id_and_nothing_else(tmp_path: Path) -> None:
    pdf = render_shipping_pdf(_label())
    assert pdf.startswith(b"%PDF")
    (page,) = pdf_pages(pdf, tmp_path, dpi=300)
    # A6 at 300 dpi: 105 × 148 mm.
    assert [abs(a - round(b / 25.4 * 300)) <= 1 for a, b in zip(page.size, (105, 148),
                                                                strict=True)] == [True, True]
    assert decode(page) == [SHIPMENT]
    # Text a courier and a receiving technician read, extracted from the PDF itself.
    import subprocess

    src = tmp_path / "label.pdf"
    src.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(src), "-"], capture_output=True,
                          text=True, check=True).stdout
    for expected in ("TO  Central Biobank", "FROM  Site 01 - Beijing", "Beijing 100021, China",
                     "Responsible: Site 01 biobank desk", "+86 10 6915 0000", "UN3373",
                     "BIOLOGICAL SUBSTANCE,", "CATEGORY B", "DRY ICE", "UN1845",
                     "NET ____ KG", SHIPMENT, "Tracking SF123456"):
        assert re.sub(" +", " ", expected) in re.sub(" +", " ", text), expected


def test_zpl_is_one_format_for_100_by_150_mm_at_203_dpi() -> None:
    zpl = render_shipping_zpl(_label(), 203)
    assert zpl.startswith("^XA") and zpl.endswith("^XZ\n") and zpl.count("^XA") == 1
    assert "^CI28" in zpl
    assert re.search(r"\^PW(\d+)", zpl).group(1) == str(round(100 / 25.4 * 203))  # type: ignore[union-attr]
    assert re.search(r"\^LL(\d+)", zpl).group(1) == str(round(150 / 25.4 * 203))  # type: ignore[union-attr]
    # Every command is a ZPL II command a Zebra printer knows; nothing else is in the format.
    body = zpl[3:-4]
    commands = set(re.findall(r"\^([A-Z@][A-Z0-9@]?)", re.sub(r"\^FD.*?\^FS", "^FS", body)))
    assert commands <= {"CI", "PW", "LL", "LH", "FO", "BY", "BC", "A0", "FB", "FH", "FS", "GB",
                        "GD"}, commands
    (barcode,) = [(x, y, cmds, data) for x, y, cmds, data in zpl_fields(zpl) if "^BC" in cmds]
    assert barcode[3] == SHIPMENT
    assert re.search(r"\^BY3\^BCN,\d+,N,N,N,A", barcode[2])  # 3 dots = 0.375 mm modules
    # The field data, re-encoded by an independent encoder at the ^BY/^FO geometry, decodes.
    assert decode(render_zpl_barcodes(zpl)) == [SHIPMENT]
    texts = _texts(zpl)
    for expected in ("UN3373", "BIOLOGICAL SUBSTANCE,", "CATEGORY B", "DRY ICE", "UN1845",
                     "NET ____ KG", "TO  Central Biobank", "Beijing 100730, China"):
        assert expected in texts
    # Every field lies on the label.
    for x, y, _c, _d in zpl_fields(zpl):
        assert 0 <= x < 799 and 0 <= y < 1199


def test_zpl_at_300_dpi_scales_the_page() -> None:
    zpl = render_shipping_zpl(_label("ambient"), 300)
    assert "^PW1181^LL1772" in zpl
    assert decode(render_zpl_barcodes(zpl)) == [SHIPMENT]


@pytest.mark.parametrize("page_mm", [SHIPPING_ZPL_MM, SHIPPING_PDF_MM])
@pytest.mark.parametrize("dpi", [203, 300])
def test_un3373_mark_meets_the_iata_minimums(page_mm: tuple[float, float], dpi: int) -> None:
    slay = layout_shipping(_label(), page_mm, dpi)
    mm = 25.4 / dpi
    side = slay.diamond.r * math.sqrt(2) * mm
    assert side >= 50.0 and slay.diamond.t * mm >= 2.0
    lines = {line.text: line for line in slay.layout.lines}
    for marking in ("UN3373", "BIOLOGICAL SUBSTANCE,", "CATEGORY B"):
        assert lines[marking].size * 0.718 * mm >= 6.0, marking  # capital height
    # The diamond, the marking and the barcode stay on the page and do not overlap.
    cx, cy, r, _t = slay.diamond
    assert cx - r >= 0 and cy + r < lines["BIOLOGICAL SUBSTANCE,"].y - lines[
        "BIOLOGICAL SUBSTANCE,"].size * 0.72
    assert slay.layout.symbol_xy[1] > lines["CATEGORY B"].y
    assert slay.layout.symbol_xy[1] + slay.layout.bar_height <= slay.layout.height


@pytest.mark.parametrize(
    ("conditions", "kg", "expected"),
    [
        ("ambient", None, ("AMBIENT", "15-25 °C")),
        ("refrigerated", None, ("REFRIGERATED", "2-8 °C")),
        ("dry_ice", Decimal("2.50"), ("DRY ICE", "UN1845", "NET 2.5 KG", "CLASS 9")),
        ("liquid_nitrogen", None, ("DRY SHIPPER", "NOT RESTRICTED")),
    ],
)
def test_conditions_are_printed_beside_the_mark(
    conditions: str, kg: Decimal | None, expected: tuple[str, ...]
) -> None:
    texts = _texts(render_shipping_zpl(_label(conditions, kg)))
    for line in expected:
        assert line in texts
    if conditions != "dry_ice":
        assert not any("UN1845" in t for t in texts)


def test_chinese_address_needs_a_printer_font_for_zpl_and_prints_in_pdf() -> None:
    chinese = Party("中心生物样本库", ("北京市朝阳区潘家园南里17号",), "样本接收",
                    "+86 10 8778 0000")
    label = ShippingLabel(SHIPMENT, SENDER, chinese, "ambient")
    with pytest.raises(EncodeError, match="CJK font"):
        render_shipping_zpl(label)
    zpl = render_shipping_zpl(label, cjk_font="E:SIMSUN.TTF")
    assert "北京市朝阳区潘家园南里17号" in _texts(zpl)
    assert render_shipping_pdf(label).startswith(b"%PDF")


def test_refusals() -> None:
    with pytest.raises(SpecError, match="not a shipment"):
        ShippingLabel(format_id("BX", 7), SENDER, RECIPIENT, "ambient")
    with pytest.raises(SpecError, match="conditions"):
        ShippingLabel(SHIPMENT, SENDER, RECIPIENT, "warm")
    with pytest.raises(SpecError, match="dry ice"):
        ShippingLabel(SHIPMENT, SENDER, RECIPIENT, "ambient", Decimal("3"))
    with pytest.raises(SpecError, match="no postal address"):
        Party("Site 02", ("  ",))
    long_line = Party("Site 03", ("x" * 400,))
    with pytest.raises(LayoutError, match="does not fit"):
        render_shipping_pdf(ShippingLabel(SHIPMENT, long_line, RECIPIENT, "ambient"))
