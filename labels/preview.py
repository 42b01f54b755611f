"""Previews of laid-out labels: PNG (what a printer at the layout's dpi prints) and SVG."""

from __future__ import annotations

import io
from collections.abc import Mapping
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw

from labels._fonts import needs_cjk, pil_font
from labels.layout import Layout, Stock, layout_label
from labels.spec import LabelSpec
from labels.symbols import Symbology, dark_runs

__all__ = ["layout_image", "layout_svg", "png_bytes", "render_label_png", "render_label_svg"]


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


def layout_svg(lay: Layout) -> str:
    """``lay`` as SVG in printer dots (one user unit per dot), sized in millimetres."""
    mm_per_dot = 25.4 / lay.dpi
    sx, sy = lay.symbol_xy
    d = lay.module
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{lay.width * mm_per_dot:.3f}mm" height="{lay.height * mm_per_dot:.3f}mm" '
        f'viewBox="0 0 {lay.width} {lay.height}" shape-rendering="crispEdges">\n'
        f'<rect x="0" y="0" width="{lay.width}" height="{lay.height}" fill="#fff"/>\n'
        '<g fill="#000">\n'
    ]
    code128 = lay.symbol.symbology == "code128"
    for r, row in enumerate(lay.symbol.rows):
        top, h = (sy, lay.bar_height) if code128 else (sy + r * d, d)
        parts += [
            f'<rect x="{sx + x * d}" y="{top}" width="{n * d}" height="{h}"/>\n'
            for x, n in dark_runs(row)
        ]
    for line in lay.lines:
        anchor, x = (
            ("middle", line.x + line.width / 2) if line.align == "center" else ("start", line.x)
        )
        weight = ' font-weight="bold"' if line.bold else ""
        parts.append(
            f'<text x="{x:g}" y="{line.y}" font-size="{line.size}"{weight} text-anchor="{anchor}" '
            f'font-family="DejaVu Sans, Helvetica, Arial, Noto Sans CJK SC, sans-serif">'
            f"{escape(line.text)}</text>\n"
        )
    parts.append("</g>\n</svg>\n")
    return "".join(parts)


def render_label_svg(
    spec: LabelSpec,
    stock: str | Stock = "cryovial-a4",
    dpi: int = 300,
    *,
    symbology: Symbology | None = None,
    type_names: Mapping[str, str] | None = None,
) -> str:
    """An SVG preview of one label on ``stock``, on the dot grid of a ``dpi`` printer."""
    return layout_svg(layout_label(spec, stock, dpi, symbology=symbology, type_names=type_names))
