"""Raster previews of laid-out labels (what a printer at the layout's dpi would print)."""

from __future__ import annotations

import io
from collections.abc import Mapping

from PIL import Image, ImageDraw

from labels._fonts import needs_cjk, pil_font
from labels.layout import Layout, Stock, layout_label
from labels.spec import LabelSpec
from labels.symbols import Symbology, dark_runs

__all__ = ["layout_image", "png_bytes", "render_label_png"]


def layout_image(lay: Layout) -> Image.Image:
    """``lay`` painted at one pixel per printer dot (8-bit greyscale, white ground)."""
    img = Image.new("L", (lay.width, lay.height), 255)
    draw = ImageDraw.Draw(img)
    sx, sy = lay.symbol_xy
    d = lay.module
    rows = lay.symbol.rows
    for r, row in enumerate(rows):
        top = sy + r * d
        bottom = sy + lay.bar_height if lay.symbol.symbology == "code128" else top + d
        for x, n in dark_runs(row):
            draw.rectangle((sx + x * d, top, sx + (x + n) * d - 1, bottom - 1), fill=0)
    for line in lay.lines:
        font = pil_font(line.size, bold=line.bold, cjk=needs_cjk(line.text))
        if line.align == "center":
            draw.text((line.x + line.width / 2, line.y), line.text, fill=0, font=font, anchor="ms")
        else:
            draw.text((line.x, line.y), line.text, fill=0, font=font, anchor="ls")
    return img


def png_bytes(img: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(dpi, dpi), compress_level=1)
    return buf.getvalue()


def render_label_png(
    spec: LabelSpec,
    stock: str | Stock = "cryovial-a4",
    dpi: int = 300,
    *,
    symbology: Symbology | None = None,
    type_names: Mapping[str, str] | None = None,
) -> bytes:
    """A PNG preview of one label as it prints on ``stock`` at ``dpi``."""
    lay = layout_label(spec, stock, dpi, symbology=symbology, type_names=type_names)
    return png_bytes(layout_image(lay), dpi)
