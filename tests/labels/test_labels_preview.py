"""PNG previews of whole labels: every specimen type on every stock decodes."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from labels import STOCKS, LabelSpec, format_id, is_issuable, render_label_png, render_label_svg
from tests.labels.helpers import SPECIMEN_TYPES, decode, rasterise_svg


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("stock", sorted(STOCKS))
def test_every_type_previews_and_decodes(stock: str, dpi: int) -> None:
    numbers = [k for k in range(500, 600) if is_issuable("SP", k)]
    for n, code in zip(numbers, SPECIMEN_TYPES, strict=False):
        spec = LabelSpec(
            "aliquot", format_id("SP", n), "MEN1-03-0210", "WK12", code, date(2026, 2, 28)
        )
        img = Image.open(io.BytesIO(render_label_png(spec, stock, dpi)))
        assert img.size == tuple(round(v * dpi / 25.4) for v in STOCKS[stock].label_mm)
        assert decode(img) == [spec.id]


def test_cjk_type_names_render_in_the_preview() -> None:
    spec = LabelSpec("specimen", "SP00000042N", "MEN1-01-0042", "C1D1", "serum", date(2025, 3, 1))
    latin = Image.open(io.BytesIO(render_label_png(spec, "slide-a4")))
    cjk = Image.open(io.BytesIO(render_label_png(spec, "slide-a4", type_names={"serum": "血清"})))
    assert decode(cjk) == ["SP00000042N"]
    assert latin.tobytes() != cjk.tobytes()


@pytest.mark.parametrize("stock", sorted(STOCKS))
def test_label_svg_preview_decodes(stock: str) -> None:
    spec = LabelSpec("specimen", "SP00000042N", "MEN1-01-0042", "C1D1", "serum", date(2025, 3, 1))
    svg = render_label_svg(spec, stock, 300, type_names={"serum": "血清 & <x>"})
    assert "血清 &amp; &lt;x&gt;" in svg or stock == "cap-a4"
    assert decode(rasterise_svg(svg, scale=1)) == ["SP00000042N"]
