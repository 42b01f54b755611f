"""PDF label sheets (and roll pages) drawn with reportlab.

Bars are vector rectangles from the verified module pattern, placed on the dot grid of the
``dpi`` the sheet is meant for (label origins are snapped to it too), so a printer driver at
that resolution renders every module as the same whole number of dots.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from labels._fonts import needs_cjk, pdf_font
from labels.errors import LayoutError
from labels.layout import MM_PER_INCH, Layout, Stock, get_stock, layout_label, layout_symbol
from labels.spec import LabelSpec
from labels.symbols import Symbology, dark_runs

__all__ = ["render_pdf", "render_symbol_pdf"]

_PT_PER_INCH = 72.0


def _draw(canvas: Canvas, lay: Layout, ox: int, oy: int, page_h: float, k: float) -> None:
    """Draw ``lay`` with its top-left at dot ``(ox, oy)``; ``k`` points per dot."""
    sx, sy = lay.symbol_xy
    d = lay.module
    # The modules go in as literal path operators in a dot coordinate system (y down from the
    # label's top): whole numbers, no per-rectangle float formatting, which is most of the
    # time reportlab's own path API takes for a sheet of barcodes.
    ops = [f"q {k:.6f} 0 0 {-k:.6f} {ox * k:.4f} {page_h - oy * k:.4f} cm"]
    if lay.symbol.symbology == "code128":
        bottom, hgt = sy, lay.bar_height
        ops += [f"{sx + x * d} {bottom} {n * d} {hgt} re" for x, n in dark_runs(lay.symbol.rows[0])]
    else:
        for r, row in enumerate(lay.symbol.rows):
            top = sy + r * d
            ops += [f"{sx + x * d} {top} {n * d} {d} re" for x, n in dark_runs(row)]
    ops.append("f Q")
    canvas.addLiteral("\n".join(ops))
    for line in lay.lines:
        font = pdf_font(bold=line.bold, cjk=needs_cjk(line.text))
        canvas.setFont(font, line.size * k)
        y = page_h - (oy + line.y) * k
        if line.stretch != 1.0:
            width = stringWidth(line.text, font, line.size * k) * line.stretch
            x = (ox + line.x) * k
            if line.align == "center":
                x += (line.width * k - width) / 2
            # Horizontal scaling is graphics state that outlives the text object: keep it in.
            canvas.saveState()
            text = canvas.beginText(x, y)
            text.setFont(font, line.size * k)
            text.setHorizScale(line.stretch * 100)
            text.textOut(line.text)
            canvas.drawText(text)
            canvas.restoreState()
        elif line.align == "center":
            canvas.drawCentredString((ox + line.x + line.width / 2) * k, y, line.text)
        else:
            canvas.drawString((ox + line.x) * k, y, line.text)


def render_pdf(
    specs: Sequence[LabelSpec],
    stock: str | Stock = "cryovial-a4",
    *,
    dpi: int = 300,
    symbology: Symbology | None = None,
    type_names: Mapping[str, str] | None = None,
    skip: int = 0,
    outlines: bool = False,
) -> bytes:
    """A PDF of ``specs`` on ``stock``: sheets filled row by row, or one page per roll label.

    ``skip`` leaves that many positions empty on the first sheet (a partly used sheet);
    ``outlines`` draws each label's border for checking alignment on plain paper.
    """
    st = get_stock(stock)
    if not specs:
        raise LayoutError("empty", "no labels to print")
    if skip < 0 or (st.page_mm is not None and skip >= st.per_page):
        raise LayoutError("bad_skip", f"skip must be 0 to {st.per_page - 1}, not {skip}")
    k = _PT_PER_INCH / dpi
    page_mm = st.page_mm or st.label_mm
    page_w, page_h = (v / MM_PER_INCH * _PT_PER_INCH for v in page_mm)
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(page_w, page_h), pageCompression=1, invariant=1)
    canvas.setTitle("Labels")
    canvas.setCreator("labels (men1-biobank)")
    positions = [
        tuple(round(v * dpi / MM_PER_INCH) for v in st.position_mm(i)) for i in range(st.per_page)
    ]
    slot = skip
    for spec in specs:
        if slot == st.per_page:
            canvas.showPage()
            slot = 0
        lay = layout_label(spec, st, dpi, symbology=symbology, type_names=type_names)
        ox, oy = positions[slot]
        if outlines:
            canvas.setLineWidth(0.2)
            canvas.rect(ox * k, page_h - (oy + lay.height) * k, lay.width * k, lay.height * k)
        _draw(canvas, lay, ox, oy, page_h, k)
        slot += 1
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def render_symbol_pdf(
    text: str,
    symbology: Symbology = "code128",
    dpi: int = 300,
    *,
    bar_height_mm: float = 10.0,
    human_readable: bool = True,
) -> bytes:
    """A one-page PDF the size of ``text``'s symbol (quiet zones included) and its text."""
    lay = layout_symbol(
        text, symbology, dpi, bar_height_mm=bar_height_mm, human_readable=human_readable
    )
    k = _PT_PER_INCH / dpi
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(lay.width * k, lay.height * k), pageCompression=1, invariant=1)
    _draw(canvas, lay, 0, 0, lay.height * k, k)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()
