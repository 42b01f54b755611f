"""Specimen labels: IDs with a check character, Code128/DataMatrix symbols, PNG/SVG, PDF sheets
and ZPL for Zebra printers. A pure library: no Flask, no SQL, never imports :mod:`biobank`.

The application calls, for a list of :class:`LabelSpec`:

* :func:`render_pdf` (sheet or roll PDF bytes for a stock in :data:`STOCKS`),
* :func:`render_zpl` (ZPL text for a 203/300 dpi printer) and :func:`send_zpl`,
* :func:`render_label_png` / :func:`render_label_svg` (a preview of one label),
* :func:`render_shipping_pdf` / :func:`render_shipping_zpl` (a package's shipping label with
  the UN3373 mark, for a :class:`ShippingLabel`),

and, for a bare text, :func:`render_png` / :func:`render_svg` / :func:`render_symbol_pdf` /
:func:`render_symbol_zpl`.
"""

from labels.errors import EncodeError, LabelError, LayoutError, PrinterError, SpecError
from labels.ids import (
    ALPHABET,
    KINDS,
    IdError,
    LabelId,
    check_character,
    format_id,
    is_issuable,
    is_valid,
    parse,
)
from labels.layout import STOCKS, Stock, get_stock
from labels.pdf import render_pdf, render_symbol_pdf
from labels.preview import render_label_png, render_label_svg
from labels.shipping import (
    SHIPPING_CONDITIONS,
    Party,
    ShippingLabel,
    render_shipping_pdf,
    render_shipping_zpl,
)
from labels.spec import FIELDS, LABEL_KINDS, LabelSpec, read_csv, spec_from_row
from labels.symbols import SYMBOLOGIES, Symbol, make_symbol, render_png, render_svg
from labels.zpl import ZPL_DPIS, render_symbol_zpl, render_zpl, send_zpl

__all__ = [
    "ALPHABET",
    "FIELDS",
    "KINDS",
    "LABEL_KINDS",
    "SHIPPING_CONDITIONS",
    "STOCKS",
    "SYMBOLOGIES",
    "ZPL_DPIS",
    "EncodeError",
    "IdError",
    "LabelError",
    "LabelId",
    "LabelSpec",
    "LayoutError",
    "Party",
    "PrinterError",
    "ShippingLabel",
    "SpecError",
    "Stock",
    "Symbol",
    "check_character",
    "format_id",
    "get_stock",
    "is_issuable",
    "is_valid",
    "make_symbol",
    "parse",
    "read_csv",
    "render_label_png",
    "render_label_svg",
    "render_pdf",
    "render_png",
    "render_shipping_pdf",
    "render_shipping_zpl",
    "render_svg",
    "render_symbol_pdf",
    "render_symbol_zpl",
    "render_zpl",
    "send_zpl",
    "spec_from_row",
]
