"""The shipping label of a package of specimens: 100 × 150 mm thermal stock as ZPL, A6 as PDF.

One layout in printer dots serves both outputs, like the tube labels. Top to bottom: the
recipient (largest), the sender with the person responsible for the package, the UN3373 mark
for Category B biological substances with the conditions beside it, the marking text, and the
shipment's Code128 with its ID, courier and tracking number.

The marks follow IATA packing instruction 650: the UN3373 diamond is a square set at 45° with
sides of at least 50 mm and a line at least 2 mm wide, "UN3373" and "BIOLOGICAL SUBSTANCE,
CATEGORY B" in letters at least 6 mm high (upper case, so every letter is). Dry ice adds
UN1845 and its net quantity in kg; the separate Class 9 hazard label is named, not drawn (its
own 100 mm minimum does not fit beside the rest). A shipment that does not record the dry ice
weight gets a blank to write it in by hand rather than a guess.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal, NamedTuple

from reportlab.pdfgen.canvas import Canvas

from labels.errors import LayoutError, SpecError
from labels.ids import IdError, parse
from labels.layout import MM_PER_INCH, Layout, TextLine, _unit_width
from labels.pdf import _PT_PER_INCH, _draw
from labels.symbols import QUIET, make_symbol, module_dots
from labels.zpl import _check_dpi, layout_to_zpl

__all__ = [
    "SHIPPING_CONDITIONS",
    "SHIPPING_PDF_MM",
    "SHIPPING_ZPL_MM",
    "Party",
    "ShippingLabel",
    "layout_shipping",
    "render_shipping_pdf",
    "render_shipping_zpl",
]

#: Thermal stock (sold as 100 × 150 mm; a 4 × 6 in roll takes the same format) and the PDF page.
SHIPPING_ZPL_MM: Final = (100.0, 150.0)
SHIPPING_PDF_MM: Final = (105.0, 148.0)  # A6
# Everything is laid out in this box, centred on either page.
_CONTENT_MM: Final = (96.0, 144.0)

#: Shipping conditions -> the lines printed beside the UN3373 mark ({kg}: dry ice net mass).
SHIPPING_CONDITIONS: Final[dict[str, tuple[str, ...]]] = {
    "ambient": ("AMBIENT", "15-25 °C", "DO NOT", "REFRIGERATE"),
    "refrigerated": ("REFRIGERATED", "2-8 °C", "DO NOT", "FREEZE"),
    "dry_ice": ("DRY ICE", "UN1845", "NET {kg} KG", "CLASS 9"),
    # Refrigerated liquid nitrogen fully absorbed in a dry shipper is not dangerous goods
    # (IATA special provision A152); the courier still needs to read that on the package.
    "liquid_nitrogen": ("DRY SHIPPER", "LN2 -150 °C", "NOT RESTRICTED", "SP A152"),
}
_BLANK_KG: Final = "____"
# Typographic dashes are outside Latin-1: as ASCII they print in the printer's resident font
# instead of needing a CJK font for one character.
_DASHES: Final = str.maketrans({"\u2010": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"})
#: IATA minimums, in mm: the diamond's side, its line, the marking's letter height.
UN3373_SIDE_MM: Final = 50.0
UN3373_LINE_MM: Final = 2.0
MARK_LETTER_MM: Final = 6.0
_CAP_HEIGHT: Final = 0.718  # Helvetica(-Bold) capital height per unit of font size
_MIN_TEXT_MM: Final = 1.8


@dataclass(frozen=True, slots=True)
class Party:
    """A site as sender or recipient: its name, postal address lines and the contact for the
    package (a role or staff name, a phone, an e-mail). Never a participant's data."""

    name: str
    address: tuple[str, ...]
    contact: str = ""
    phone: str = ""
    email: str = ""

    def __post_init__(self) -> None:
        for name in ("name", "contact", "phone", "email"):
            object.__setattr__(self, name, getattr(self, name).translate(_DASHES).strip())
        if not self.name.strip():
            raise SpecError("missing_field", "a sender or recipient needs a name")
        lines = tuple(a.translate(_DASHES).strip() for a in self.address if a.strip())
        if not lines:
            raise SpecError("missing_field", f"{self.name}: no postal address")
        if len(lines) > 4:
            raise SpecError("bad_field", f"{self.name}: at most 4 address lines, not {len(lines)}")
        object.__setattr__(self, "address", lines)


@dataclass(frozen=True, slots=True)
class ShippingLabel:
    """What a package's shipping label says. ``dry_ice_kg`` only with ``dry_ice`` conditions."""

    shipment_id: str
    sender: Party
    recipient: Party
    conditions: str
    dry_ice_kg: Decimal | None = None
    courier: str = ""
    tracking_number: str = ""

    def __post_init__(self) -> None:
        try:
            parsed = parse(self.shipment_id)
        except IdError as exc:
            raise SpecError(f"id_{exc.code}", exc.message) from None
        if parsed.prefix != "SH":
            raise SpecError("kind_mismatch", f"{parsed.text} is a {parsed.kind} ID, not a shipment")
        object.__setattr__(self, "shipment_id", parsed.text)
        if self.conditions not in SHIPPING_CONDITIONS:
            raise SpecError(
                "bad_field",
                f"conditions {self.conditions!r}: choose one of {', '.join(SHIPPING_CONDITIONS)}",
            )
        if self.dry_ice_kg is not None:
            if self.conditions != "dry_ice":
                raise SpecError("not_applicable", "a dry ice mass only goes with dry ice")
            if not 0 < self.dry_ice_kg <= 200:
                raise SpecError("bad_field", f"dry ice {self.dry_ice_kg} kg is not a net mass")

    def condition_lines(self) -> tuple[str, ...]:
        kg = _BLANK_KG if self.dry_ice_kg is None else f"{self.dry_ice_kg.normalize():f}"
        return tuple(t.format(kg=kg) for t in SHIPPING_CONDITIONS[self.conditions])


class Diamond(NamedTuple):
    """A square at 45° centred on ``(cx, cy)``, corners ``r`` dots from the centre, its line
    ``t`` dots wide inside that outline."""

    cx: int
    cy: int
    r: int
    t: int


class Rule(NamedTuple):
    """A filled rectangle (a separating line)."""

    x: int
    y: int
    w: int
    h: int


class ShippingLayout(NamedTuple):
    """The label in dots: text and the Code128 as a :class:`~labels.layout.Layout`, and the
    graphics the tube labels do not have."""

    layout: Layout
    rules: tuple[Rule, ...]
    diamond: Diamond


def _dots(mm: float, dpi: int) -> int:
    return round(mm * dpi / MM_PER_INCH)


class _Writer:
    """Places text lines top-down in a column, shrinking a line to fit its width."""

    def __init__(self, dpi: int, x: int, width: int) -> None:
        self.dpi, self.x, self.width = dpi, x, width
        self.lines: list[TextLine] = []

    def block(
        self,
        y: int,
        bottom: int,
        rows: Sequence[tuple[str, float, bool]],
        align: Literal["left", "center"] = "left",
    ) -> int:
        """``rows`` of (text, size in mm, bold) from ``y``; the whole block is scaled down to
        end above ``bottom``. Returns the y after the block."""
        rows = [r for r in rows if r[0]]
        sizes = [_dots(mm, self.dpi) for _t, mm, _b in rows]
        total = sum(round(s * 1.2) for s in sizes)
        if total > bottom - y:
            sizes = [int(s * (bottom - y) / total) for s in sizes]
        for (text, _mm, bold), size in zip(rows, sizes, strict=True):
            fitted = min(size, int(self.width / max(_unit_width(text, bold), 1e-6)))
            if fitted < _dots(_MIN_TEXT_MM, self.dpi):
                raise LayoutError(
                    "text_too_long", f"{text!r} does not fit the shipping label legibly"
                )
            self.lines.append(
                TextLine(self.x, y + round(fitted * 0.95), self.width, fitted, text, bold, align)
            )
            y += round(size * 1.2)
        return y

    def mark(self, y: int, text: str, letter_mm: float) -> int:
        """One line of a prescribed marking, centred: capitals at least ``letter_mm`` high,
        narrowed (never shrunk) to fit the width."""
        size = math.ceil(_dots(letter_mm, self.dpi) / _CAP_HEIGHT)
        natural = size * _unit_width(text, True)
        stretch = min(1.0, self.width / natural)
        if stretch < 0.6:
            raise LayoutError("text_too_long", f"{text!r} does not fit at {letter_mm:g} mm")
        stretch = math.floor(stretch * 100) / 100
        self.lines.append(
            TextLine(self.x, y + size, self.width, size, text, True, "center", stretch)
        )
        return y + round(size * 1.15)


def _party_rows(
    heading: str, party: Party, scale: float, responsible: bool
) -> list[tuple[str, float, bool]]:
    contact = "  ".join(p for p in (party.contact, party.phone) if p)
    if responsible:
        # The sender's contact is the person responsible for the package (IATA PI 650).
        contact = "  ".join(p for p in (contact, party.email) if p)
        if contact:
            contact = f"Responsible: {contact}"
    rows = [(f"{heading}  {party.name}", 4.0 * scale, True)]
    rows += [(line, 3.4 * scale, False) for line in party.address]
    rows.append((contact, 3.0 * scale, False))
    if not responsible:
        rows.append((party.email, 2.8 * scale, False))
    return rows


def layout_shipping(label: ShippingLabel, page_mm: tuple[float, float], dpi: int) -> ShippingLayout:
    """Place ``label`` on a page of ``page_mm`` (at least 96 × 144 mm) at ``dpi``."""
    if page_mm[0] < _CONTENT_MM[0] or page_mm[1] < _CONTENT_MM[1]:
        raise LayoutError("page_too_small", f"a shipping label needs {_CONTENT_MM} mm")
    width, height = _dots(page_mm[0], dpi), _dots(page_mm[1], dpi)
    left = _dots((page_mm[0] - _CONTENT_MM[0]) / 2, dpi)
    top = _dots((page_mm[1] - _CONTENT_MM[1]) / 2, dpi)
    inner = _dots(_CONTENT_MM[0], dpi)
    gap = _dots(1.0, dpi)
    rule_h = max(2, _dots(0.4, dpi))
    col = _Writer(dpi, left, inner)
    rules: list[Rule] = []

    # Recipient (24 mm) and sender (15 mm) with the person responsible for the package.
    y = col.block(top, top + _dots(24, dpi), _party_rows("TO", label.recipient, 1.0, False))
    y = max(y, top + _dots(24, dpi))
    rules.append(Rule(left, y, inner, rule_h))
    y += gap
    bottom = y + _dots(15, dpi)
    col.block(y, bottom, _party_rows("FROM", label.sender, 0.8, True))
    rules.append(Rule(left, bottom, inner, rule_h))
    y = bottom + gap

    # The UN3373 diamond (its side at the IATA minimum) with the conditions beside it.
    r = math.ceil(_dots(UN3373_SIDE_MM, dpi) / math.sqrt(2))
    t = math.ceil(UN3373_LINE_MM * dpi / MM_PER_INCH)
    diamond = Diamond(left + r, y + r, r, t)
    size = math.ceil(_dots(MARK_LETTER_MM, dpi) / _CAP_HEIGHT)
    col.lines.append(TextLine(left, y + r + round(size * _CAP_HEIGHT / 2), 2 * r, size,
                              "UN3373", True, "center"))
    side = _Writer(dpi, left + 2 * r + gap, inner - 2 * r - gap)
    cond = label.condition_lines()
    side.block(y + _dots(4, dpi), y + 2 * r,
               [(cond[0], 4.2, True)] + [(c, 3.6, True) for c in cond[1:]])
    y += 2 * r + gap

    y = col.mark(y, "BIOLOGICAL SUBSTANCE,", MARK_LETTER_MM)
    y = col.mark(y, "CATEGORY B", MARK_LETTER_MM)
    rules.append(Rule(left, y, inner, rule_h))
    y += gap + rule_h

    # The shipment's Code128 at the bottom, its ID and the courier's references beside it.
    symbol = make_symbol(label.shipment_id, "code128")
    module = module_dots(dpi, 0.375)
    quiet = QUIET["code128"] * module
    bar_h = top + _dots(_CONTENT_MM[1], dpi) - y
    if bar_h < _dots(8, dpi):
        raise LayoutError("text_too_long", "the addresses leave no room for the barcode")
    sym_w = symbol.width * module
    text_x = left + sym_w + 2 * quiet
    refs = _Writer(dpi, text_x, left + inner - text_x)
    refs.block(y, y + bar_h, [
        (label.shipment_id, 4.6, True),
        (label.courier, 3.0, False),
        (f"Tracking {label.tracking_number}" if label.tracking_number else "", 3.0, False),
    ])
    lines = tuple(col.lines + side.lines + refs.lines)
    lay = Layout(dpi, width, height, symbol, (left + quiet, y), module, bar_h, lines)
    return ShippingLayout(lay, tuple(rules), diamond)


def _zpl_graphics(slay: ShippingLayout) -> str:
    out = [f"^FO{r.x},{r.y}^GB{r.w},{r.h},{min(r.w, r.h)}^FS" for r in slay.rules]
    cx, cy, r, t = slay.diamond
    # ^GD's thickness runs along the box's width; √2 × that keeps the line 2 mm across.
    t = math.ceil(t * math.sqrt(2))
    # Four ^GD diagonals: "R" leans right (/), "L" left (\); each in an r × r box.
    for x, y, lean in ((cx - r, cy - r, "R"), (cx, cy - r, "L"), (cx - r, cy, "L"), (cx, cy, "R")):
        out.append(f"^FO{x},{y}^GD{r},{r},{t},B,{lean}^FS")
    return "".join(out)


def render_shipping_zpl(label: ShippingLabel, dpi: int = 203, cjk_font: str | None = None) -> str:
    """One ZPL II format for 100 × 150 mm thermal stock at ``dpi`` (203 or 300).

    Site names or addresses in Chinese need ``cjk_font``, a font stored on the printer (see
    :func:`labels.zpl.layout_to_zpl`)."""
    _check_dpi(dpi)
    slay = layout_shipping(label, SHIPPING_ZPL_MM, dpi)
    return layout_to_zpl(slay.layout, cjk_font, _zpl_graphics(slay))


def render_shipping_pdf(label: ShippingLabel, dpi: int = 300) -> bytes:
    """An A6 PDF of the label (for an office printer, or a 4 × 6 in label printer's driver)."""
    slay = layout_shipping(label, SHIPPING_PDF_MM, dpi)
    k = _PT_PER_INCH / dpi
    page_w, page_h = (v / MM_PER_INCH * _PT_PER_INCH for v in SHIPPING_PDF_MM)
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(page_w, page_h), pageCompression=1, invariant=1)
    canvas.setTitle(f"Shipping label {label.shipment_id}")
    canvas.setCreator("labels (men1-biobank)")
    _draw(canvas, slay.layout, 0, 0, page_h, k)
    ops = [f"q {k:.6f} 0 0 {-k:.6f} 0 {page_h:.4f} cm"]
    ops += [f"{r.x} {r.y} {r.w} {r.h} re" for r in slay.rules]
    ops.append("f")
    cx, cy, r, t = slay.diamond
    # The stroke is centred on its path: draw the path half a line inside the outline, so the
    # mark's outer size is the full diamond (as ^GD draws it inside its box).
    h = r - t / math.sqrt(2)
    ops.append(f"{t} w {cx} {cy - h:.2f} m {cx + h:.2f} {cy} l {cx} {cy + h:.2f} l "
               f"{cx - h:.2f} {cy} l s Q")
    canvas.addLiteral("\n".join(ops))
    canvas.showPage()
    canvas.save()
    return buf.getvalue()

