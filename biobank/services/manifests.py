"""Shipment manifests: a PDF to put in the box (with the shipment's own Code128, drawn as vector
bars from the labels library's symbol), and CSV/JSON to send ahead."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels import make_symbol

from .. import i18n, localtime, pdf_fonts, vocabulary
from ..models import Shipment, ShipmentItem, SpecimenEvent
from . import exports, shipments

COLUMNS = ("specimen", "participant", "visit", "type", "container", "quantity", "unit",
           "collected_at", "state", "damage", "extra", "resolution")


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def header(shipment: Shipment) -> dict[str, Any]:
    receipt = shipment.receipt
    return {
        "shipment": shipment.barcode,
        "status": shipment.status,
        "from": shipment.from_site.code,
        "to": shipment.to_site.code,
        "conditions": shipment.conditions,
        "dry_ice_kg": shipments.kg_text(shipment.dry_ice_kg),
        "courier": shipment.courier,
        "tracking_number": shipment.tracking_number,
        "logger_id": shipment.logger_id,
        "planned_ship_at": _iso(shipment.planned_ship_at) or None,
        "shipped_at": _iso(shipment.shipped_at) or None,
        "received_at": _iso(receipt.finished_at) if receipt and receipt.finished_at else None,
        "package_condition": receipt.package_condition if receipt else None,
        "arrival_temperature_c": (str(receipt.arrival_temperature_c)
                                  if receipt and receipt.arrival_temperature_c is not None
                                  else None),
    }


def item_row(item: ShipmentItem) -> dict[str, Any]:
    sp = item.specimen
    return {
        "specimen": sp.barcode,
        "participant": sp.participant.code,
        "visit": sp.visit.code if sp.visit else "",
        "type": sp.specimen_type,
        "container": sp.container,
        "quantity": str(sp.quantity) if sp.quantity is not None else "",
        "unit": sp.unit,
        "collected_at": _iso(sp.collected_at),
        "state": item.state,
        "damage": item.damage or "",
        "extra": item.extra,
        "resolution": item.resolution or "",
    }


def as_json(shipment: Shipment, items: list[ShipmentItem]) -> dict[str, Any]:
    return {**header(shipment), "items": [item_row(i) for i in items]}


def as_csv(shipment: Shipment, items: list[ShipmentItem]) -> str:
    # The dry ice mass comes last: scripts read the fields before it by position.
    head = ["# shipment", shipment.barcode, shipment.from_site.code, shipment.to_site.code,
            shipment.conditions, shipment.courier, shipment.tracking_number or "",
            shipment.logger_id, shipments.kg_text(shipment.dry_ice_kg) or ""]
    return exports.csv_text([head, COLUMNS, *([row[c] for c in COLUMNS]
                                              for row in map(item_row, items))])


CUSTODY_COLUMNS = ("specimen", "at_utc", "event", "from_status", "to_status", "site", "actor",
                   "shipment", "detail")


def custody_csv(barcode: str, events: list[SpecimenEvent],
                heading: Callable[[str], str] = str) -> str:
    rows: list[list[object]] = [[heading(h) for h in CUSTODY_COLUMNS]]
    for e in events:
        detail = "; ".join(f"{k}={v}" for k, v in sorted(e.detail.items()) if k != "shipment")
        rows.append([barcode, e.at.isoformat(), e.kind, e.from_status or "", e.to_status or "",
                     e.site.code if e.site else "", e.actor.username if e.actor else "system",
                     str(e.detail.get("shipment", "")), detail])
    return exports.csv_text(rows)


def _ascii(text: str) -> str:
    # The PDF's base-14 fonts cover Latin-1; keep the manifest legible on any viewer.
    return text.replace("−", "-").replace("–", "-").encode("latin-1", "replace").decode("latin-1")


def _draw(c: Canvas, x: float, y: float, text: str, size: float, *, bold: bool = False) -> None:
    """Latin text in Helvetica, anything else (Chinese) in the embedded CJK font."""
    font = pdf_fonts.font_for(text, bold=bold)
    c.setFont(font, size)
    c.drawString(x, y, _ascii(text) if font.startswith("Helvetica") else text)


def _draw_code128(c: Canvas, text: str, x: float, y: float, module: float,
                  height: float) -> float:
    """Vector Code128 bars (quiet zones included) from the labels library; returns the width."""
    symbol = make_symbol(text, "code128")
    row = symbol.rows[0]
    quiet = symbol.quiet
    c.setFillColorRGB(0, 0, 0)
    i = 0
    while i < len(row):
        if row[i] == "1":
            j = i
            while j < len(row) and row[j] == "1":
                j += 1
            c.rect(x + (quiet + i) * module, y, (j - i) * module, height, stroke=0, fill=1)
            i = j
        else:
            i += 1
    return (len(row) + 2 * quiet) * module


def as_pdf(shipment: Shipment, items: list[ShipmentItem], locale: str = "en") -> bytes:
    """The manifest to put in the box, in the reader's language; times in the sending site's
    zone, which is named on the page."""
    _ = i18n.translator(locale)
    tz = shipment.from_site.timezone

    def when(value: Any) -> str:
        return localtime.format_local(value, tz, locale, with_zone=False) if value else "-"

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(f"Manifest {shipment.barcode}")
    width, height = A4
    left = 18 * mm
    y = height - 20 * mm
    _draw(c, left, y, _("Shipment manifest %(code)s") % {"code": shipment.barcode}, 16,
          bold=True)
    y -= 4 * mm
    bar_h = 16 * mm
    _draw_code128(c, shipment.barcode, left - 10 * 0.4 * mm, y - bar_h, 0.4 * mm, bar_h)
    y -= bar_h + 5 * mm
    c.setFont("Courier-Bold", 12)
    c.drawString(left, y, shipment.barcode)
    y -= 8 * mm
    condition = shipments.CONDITIONS.get(shipment.conditions, shipment.conditions)
    lines = [
        f"{_('From')}: {shipment.from_site.code} - {shipment.from_site.name}",
        f"{_('To')}: {shipment.to_site.code} - {shipment.to_site.name}",
        f"{_('Conditions')}: {_(condition)}",
        f"{_('Courier')}: {shipment.courier or '-'}    "
        f"{_('Tracking number')}: {shipment.tracking_number or '-'}",
        f"{_('Temperature logger')}: {shipment.logger_id or '-'}",
        f"{_('Planned ship time')}: {when(shipment.planned_ship_at)}",
        f"{_('Shipped')}: {when(shipment.shipped_at)}",
        _("Times in %(zone)s") % {"zone": localtime.zone_label(tz)},
        f"{_('Tubes on manifest')}: {sum(1 for i in items if not i.extra)}",
    ]
    if shipment.conditions == "dry_ice":
        kg = shipments.kg_text(shipment.dry_ice_kg)
        mass = _("%(kg)s kg") % {"kg": kg} if kg else _("not recorded")
        lines.insert(3, f"{_('Dry ice, net mass')}: {mass}")
    for line in lines:
        _draw(c, left, y, line, 10)
        y -= 5 * mm
    y -= 3 * mm
    cols = [("#", 0), (_("Specimen"), 10), (_("Participant"), 45), (_("Visit"), 75),
            (_("Type"), 92), (_("Quantity"), 135), (_("Collection time"), 152)]

    def head(yy: float) -> float:
        for name, off in cols:
            _draw(c, left + off * mm, yy, name, 9, bold=True)
        c.line(left, yy - 1.5 * mm, width - left, yy - 1.5 * mm)
        return yy - 5 * mm

    y = head(y)
    n = 0
    for item in items:
        if item.extra:
            continue
        n += 1
        if y < 20 * mm:
            c.showPage()
            y = head(height - 20 * mm)
        row = item_row(item)
        stype = vocabulary.SPECIMEN_TYPES.get(row["type"], row["type"])
        values = [str(n), row["specimen"], row["participant"], row["visit"], _(stype),
                  f"{row['quantity']} {row['unit']}", when(item.specimen.collected_at)]
        for (_name, off), value in zip(cols, values, strict=True):
            _draw(c, left + off * mm, y, value[:40], 9)
        y -= 5 * mm
    y -= 6 * mm
    if y < 30 * mm:
        c.showPage()
        y = height - 30 * mm
    _draw(c, left, y, f"{_('Packed by')}: ____________________   "
                      f"{_('Received by')}: ____________________", 10)
    c.showPage()
    c.save()
    return buf.getvalue()


def condition_sheet(locale: str = "en") -> bytes:
    """The receiving bench's condition cards on one A4 page: one Code128 per condition
    (``COND-…``), a row each with space between, so that a gloved technician scans the card,
    then the tube it describes."""
    _ = i18n.translator(locale)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle("Condition cards")
    width, height = A4
    left = 15 * mm
    module = 0.33 * mm
    y = height - 18 * mm
    _draw(c, left, y, _("Condition cards for receiving"), 15, bold=True)
    y -= 6 * mm
    _draw(c, left, y, _("Scan a card, then the tube: the condition applies to that tube "
                        "only. The next tube is intact again."), 9)
    y -= 8 * mm
    row_h = (y - 12 * mm) / len(shipments.CONDITION_CARDS)
    bar_h = min(13 * mm, row_h - 9 * mm)
    for key, label in shipments.CONDITION_CARDS.items():
        code = shipments.condition_code(key)
        top = y
        _draw_code128(c, code, left - 10 * module, top - bar_h, module, bar_h)
        c.setFont("Courier", 8)
        c.drawString(left, top - bar_h - 4 * mm, code)
        _draw(c, left + 115 * mm, top - bar_h / 2 - 2 * mm, _(label), 13, bold=True)
        y -= row_h
        c.setDash(1, 2)
        c.line(left, y + 2 * mm, width - left, y + 2 * mm)
        c.setDash()
    c.showPage()
    c.save()
    return buf.getvalue()
