"""Label stocks and one layout of a label in printer dots, shared by PDF, ZPL and PNG preview.

Every position and size is a whole number of dots at the target dpi, so bars drawn as vector
rectangles (PDF), sent as ``^BY`` module widths (ZPL), or painted into a raster all land on
the printer's dot grid. Text is sized with Helvetica's metrics (Zebra font 0 is close).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

from reportlab.pdfbase.pdfmetrics import stringWidth

from labels._fonts import needs_cjk
from labels.errors import EncodeError, LayoutError
from labels.spec import LabelSpec
from labels.symbols import QUIET, Symbol, Symbology, make_symbol, module_dots
from labels.symbols import clear_caches as code128_plan_cache_clear

__all__ = [
    "STOCKS",
    "Layout",
    "Stock",
    "TextLine",
    "clear_caches",
    "get_stock",
    "label_lines",
    "layout_label",
    "layout_symbol",
]

MM_PER_INCH: Final = 25.4


@dataclass(frozen=True, slots=True)
class Stock:
    """A label stock: label size, and for sheets the page and the grid of labels on it.

    ``page_mm`` None means a roll: every label is its own page of exactly the label's size.
    Positions are measured from the page's top-left corner.
    """

    name: str
    description: str
    label_mm: tuple[float, float]
    symbology: Symbology
    page_mm: tuple[float, float] | None = None
    columns: int = 1
    rows: int = 1
    origin_mm: tuple[float, float] = (0.0, 0.0)
    pitch_mm: tuple[float, float] = (0.0, 0.0)
    margin_mm: float = 1.0
    #: False for stocks too small for more than the ID beneath the symbol (tube tops, caps).
    details: bool = True

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def position_mm(self, index: int) -> tuple[float, float]:
        """Top-left corner of label ``index`` (0-based, row by row) on its page."""
        i = index % self.per_page
        row, col = divmod(i, self.columns)
        return (
            self.origin_mm[0] + col * self.pitch_mm[0],
            self.origin_mm[1] + row * self.pitch_mm[1],
        )


_A4: Final = (210.0, 297.0)
_LETTER: Final = (215.9, 279.4)

STOCKS: Final[dict[str, Stock]] = {
    s.name: s
    for s in (
        Stock(
            "cryovial-a4",
            "Cryovial labels 33 × 13 mm, 5 × 20 on A4",
            (33.0, 13.0), "code128", _A4, 5, 20, (10.0, 13.5), (38.0, 13.5),
        ),
        Stock(
            "cryovial-letter",
            "Cryovial labels 1.3 × 0.5 in (33 × 12.7 mm), 5 × 20 on US letter",
            (33.0, 12.7), "code128", _LETTER, 5, 20, (15.25, 12.7), (38.1, 12.7),
        ),
        Stock(
            "slide-a4",
            "Slide labels 22 × 22 mm, 8 × 12 on A4 (DataMatrix)",
            (22.0, 22.0), "datamatrix", _A4, 8, 12, (6.5, 5.5), (25.0, 24.0),
        ),
        Stock(
            "cap-a4",
            "Tube-top / cap labels 10 × 10 mm, 15 × 21 on A4 (DataMatrix and ID only)",
            (10.0, 10.0), "datamatrix", _A4, 15, 21, (12.5, 15.5), (12.5, 12.8),
            margin_mm=0.6, details=False,
        ),
        Stock(
            "roll-25x10",
            "Roll labels 25 × 10 mm, one per page (DataMatrix)",
            (25.0, 10.0), "datamatrix",
        ),
    )
}  # fmt: skip


def get_stock(stock: str | Stock) -> Stock:
    if isinstance(stock, Stock):
        return stock
    try:
        return STOCKS[stock]
    except KeyError:
        raise LayoutError(
            "unknown_stock", f"unknown stock {stock!r}; choose from {', '.join(STOCKS)}"
        ) from None


# Layout records are NamedTuples: a batch builds five per label, and a frozen dataclass's
# __init__ costs several times a tuple's on the ZPL path.
class TextLine(NamedTuple):
    """One line of text: its box's left edge ``x`` and ``width``, baseline ``y``, size in dots;
    ``stretch`` below 1 narrows the glyphs (a marking whose letter height is prescribed)."""

    x: int
    y: int
    width: int
    size: int
    text: str
    bold: bool = False
    align: Literal["left", "center"] = "center"
    stretch: float = 1.0


class Layout(NamedTuple):
    """A label in dots (origin top-left): the symbol at ``symbol_xy``, ``module`` dots per
    module, Code128 bars ``bar_height`` dots tall; the text lines."""

    dpi: int
    width: int
    height: int
    symbol: Symbol
    symbol_xy: tuple[int, int]
    module: int
    bar_height: int
    lines: tuple[TextLine, ...]


def label_lines(
    spec: LabelSpec, type_names: Mapping[str, str] | None = None
) -> list[tuple[str, ...]]:
    """The human-readable lines after the ID, in print order, each as its parts; a layout joins
    a line's parts with two spaces, or gives each part a line when they do not fit together."""
    if spec.kind not in ("specimen", "aliquot", "slide"):
        return [(spec.kind.upper(),)]
    type_text = None
    if spec.specimen_type:
        type_text = (type_names or {}).get(spec.specimen_type)
        if type_text is None:
            type_text = spec.specimen_type.replace("_", " ").upper()
    date_text = spec.collection_date.isoformat() if spec.collection_date else None
    lines = [
        tuple(p for p in (spec.participant_code, spec.visit) if p),
        tuple(p for p in (type_text, date_text) if p),
    ]
    return [line for line in lines if line]


_UNIT_WIDTHS: dict[bool, dict[str, float]] = {}


def _unit_widths(bold: bool) -> dict[str, float]:
    # Per-character Helvetica advance widths at size 1, built once: reportlab's stringWidth per
    # call costs more than the rest of a ZPL label's layout.
    table = _UNIT_WIDTHS.get(bold)
    if table is None:
        font = "Helvetica-Bold" if bold else "Helvetica"
        table = {chr(c): stringWidth(chr(c), font, 1000) / 1000 for c in range(0x20, 0x100)}
        _UNIT_WIDTHS[bold] = table
    return table


def _text_width(text: str, size: float, bold: bool) -> float:
    return size * _unit_width(text, bold)


@functools.lru_cache(maxsize=4096)
def _unit_width(text: str, bold: bool) -> float:
    """Width of ``text`` at size 1. Memoised: types, visits and dates repeat across a batch."""
    if needs_cjk(text):
        # CJK glyphs are full-width squares; Latin ones in a CJK font about half that.
        return sum([1.0 if ord(c) >= 0x2E80 else 0.6 for c in text])
    table = _unit_widths(bold)
    return sum([table.get(c, 0.6) for c in text])


def _fit_size(text: str, size: int, width: int, bold: bool) -> int:
    """``size`` shrunk until ``text`` fits ``width`` dots (the caller judges legibility)."""
    w = size * _unit_width(text, bold)
    return size if w <= width else int(size * width / w)


def _mm(mm: float, dpi: int) -> int:
    return round(mm * dpi / MM_PER_INCH)


@functools.lru_cache(maxsize=1024)
def _line_plan(
    id_unit_width: float,
    rest: tuple[tuple[str, ...], ...],
    width: int,
    room: int,
    id_size: int,
    other: int,
) -> tuple[tuple[str | None, ...], tuple[int, ...]]:
    """The text lines (None standing for the ID, in bold) and their sizes in dots.

    Two candidates: each line's parts joined, or every part on its own line; the one whose
    smallest text is larger wins (narrow labels favour joining, tall ones not). Labels of a
    batch differ only in the ID's width, so plans repeat and are memoised.
    """
    best: tuple[int, tuple[str | None, ...], tuple[int, ...]] | None = None
    for variant in (tuple("  ".join(p) for p in rest), tuple(t for p in rest for t in p)):
        wanted = [id_size] + [other] * len(variant)
        total = sum(round(v * 1.2) for v in wanted)
        sizes = [int(v * room / total) for v in wanted] if total > room else list(wanted)
        fitted = [min(sizes[0], int(width / id_unit_width))] + [
            _fit_size(t, v, width, False) for t, v in zip(variant, sizes[1:], strict=True)
        ]
        if best is None or min(fitted) > best[0]:
            best = (min(fitted), (None, *variant), tuple(fitted))
        if fitted == wanted:  # nothing had to shrink: no layout can do better
            break
    assert best is not None
    return best[1], best[2]


def clear_caches() -> None:
    """Forget memoised layout plans (for benchmarks that must measure a cold start)."""
    _line_plan.cache_clear()
    _unit_width.cache_clear()
    code128_plan_cache_clear()


def layout_label(
    spec: LabelSpec,
    stock: str | Stock,
    dpi: int = 300,
    *,
    symbology: Symbology | None = None,
    type_names: Mapping[str, str] | None = None,
) -> Layout:
    """Place ``spec``'s symbol and text on one label of ``stock`` at ``dpi``."""
    st = get_stock(stock)
    sym_kind: Symbology = symbology or st.symbology
    symbol = make_symbol(spec.id, sym_kind)
    w, h = _mm(st.label_mm[0], dpi), _mm(st.label_mm[1], dpi)
    m = max(1, _mm(st.margin_mm, dpi))
    min_text = max(8, _mm(1.0, dpi))
    rest = label_lines(spec, type_names) if st.details else []
    lines: list[TextLine] = []

    def add_lines(
        x: int,
        y: int,
        width: int,
        bottom: int,
        align: Literal["left", "center"],
        id_mm: float,
        other_mm: float,
    ) -> None:
        id_w = _unit_width(spec.id, True)
        texts, sizes = _line_plan(
            id_w, tuple(rest), width, bottom - y, _mm(id_mm, dpi), _mm(other_mm, dpi)
        )
        if min(sizes) < min_text:
            worst = texts[sizes.index(min(sizes))] or spec.id
            raise LayoutError(
                "text_too_long",
                f"{worst!r} does not fit a {st.label_mm[0]:g} × {st.label_mm[1]:g} mm label "
                "at a legible size",
            )
        for text, size in zip(texts, sizes, strict=True):
            bold = text is None
            line = spec.id if text is None else text
            lines.append(TextLine(x, y + round(size * 0.95), width, size, line, bold, align))
            y += round(size * 1.2)

    if sym_kind == "code128":
        q = QUIET["code128"]
        dots = _fit(symbol, dpi, 0.25, symbol.width + 2 * q, w - 2 * m)
        text_mm = (2.2, 1.7)
        text_h = round(_mm(text_mm[0], dpi) * 1.2) + round(_mm(text_mm[1], dpi) * 1.2) * len(rest)
        bar_h = h - 2 * m - text_h - _mm(0.3, dpi)
        bar_h = max(bar_h, (h - 2 * m) // 2)
        sx = (w - symbol.width * dots) // 2
        add_lines(m, m + bar_h + _mm(0.3, dpi), w - 2 * m, h - m, "center", *text_mm)
        return Layout(dpi, w, h, symbol, (sx, m), dots, bar_h, tuple(lines))

    side_modules = symbol.width + 2  # the ISO minimum 1X quiet zone; margins add to it
    if w >= 1.6 * h:
        dots = _fit(symbol, dpi, 0.5, side_modules, h - 2 * m)
        sx, sy = m + dots, (h - symbol.height * dots) // 2
        tx = m + side_modules * dots + _mm(0.5, dpi)
        add_lines(tx, m, w - m - tx, h - m, "left", 2.2, 1.7)
    else:
        # With only the ID beneath it the symbol may take most of the height.
        share = 0.5 if rest else 0.72
        dots = _fit(symbol, dpi, 0.5, side_modules, int((h - 2 * m) * share))
        sx, sy = (w - symbol.width * dots) // 2, m + dots
        add_lines(m, m + side_modules * dots, w - 2 * m, h - m, "center", 2.4, 1.9)
    return Layout(dpi, w, h, symbol, (sx, sy), dots, symbol.height * dots, tuple(lines))


def _fit(symbol: Symbol, dpi: int, target_mm: float, modules: int, dots: int) -> int:
    # Below these module sizes ordinary handheld scanners stop reading (Code128 ~5 mil).
    min_mm = 0.12 if symbol.symbology == "code128" else 0.25
    least = math.ceil(min_mm * dpi / MM_PER_INCH - 1e-9)
    try:
        size = module_dots(dpi, target_mm, fit_modules=modules, fit_dots=dots)
    except EncodeError:
        size = 0
    if size < least:
        raise LayoutError(
            "symbol_too_big",
            f"{symbol.text!r} as {symbol.symbology} needs {modules} modules of at least "
            f"{min_mm} mm; the label has room for {dots} dots at {dpi} dpi",
        )
    return size


def layout_symbol(
    text: str,
    symbology: Symbology = "code128",
    dpi: int = 300,
    *,
    bar_height_mm: float = 10.0,
    human_readable: bool = True,
) -> Layout:
    """A label just big enough for ``text`` as a symbol (with quiet zones) and its text line."""
    symbol = make_symbol(text, symbology)
    target = 0.25 if symbology == "code128" else 0.40
    dots = module_dots(dpi, target)
    q = QUIET[symbology] * dots
    if symbology == "code128":
        bar_h = max(10 * dots, _mm(bar_height_mm, dpi))
    else:
        bar_h = symbol.height * dots
    sym_w = symbol.width * dots
    size = max(10, _mm(2.2, dpi))
    width = sym_w + 2 * q
    lines: tuple[TextLine, ...] = ()
    height = bar_h + 2 * q
    if human_readable:
        width = max(width, round(_text_width(text, size, False)) + 2 * q)
        lines = (TextLine(0, bar_h + q + size, width, size, text),)
        height += round(size * 1.3)
    return Layout(dpi, width, height, symbol, ((width - sym_w) // 2, q), dots, bar_h, lines)
