"""Labels from the app: which label a code gets, print jobs (PDF, ZPL, a site's network
printer) and their audit trail.

Every print is an audit event: ``label.print`` the first time a code's label is printed,
``label.reprint`` (a reason required) afterwards. A preview is not a print and records nothing.
The rendering itself is the :mod:`labels` library's; this module only decides what goes on a
label and who may print it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import labels as lib

from .. import vocabulary
from ..errors import Conflict, NotFound, ServiceUnavailable, ValidationError
from ..i18n import Msg
from ..inputs import check_text
from ..models import AuditEvent, Participant, Shipment, Site, Specimen, User, VisitDefinition
from . import access, audit, scan, shipments, storage

__all__ = [
    "DEFAULT_PDF_STOCK",
    "DEFAULT_PRINTER_DPI",
    "DEFAULT_PRINTER_STOCK",
    "FORMATS",
    "MAX_LABELS",
    "LabelTarget",
    "PrintJob",
    "PrinterUnavailable",
    "check_kit_allowed",
    "kit_not_reached",
    "kit_specimens",
    "label_specs_for_codes",
    "preview_png",
    "print_labels",
    "printed_before",
    "printer_of",
    "set_site_contact",
    "shipping_label",
    "spec_for_specimen",
    "start_skip",
]

DEFAULT_PDF_STOCK = "cryovial-a4"
DEFAULT_PRINTER_STOCK = "roll-25x10"
DEFAULT_PRINTER_DPI = 203
DEFAULT_PRINTER_TIMEOUT = 3.0
#: pdf: a sheet or roll PDF; zpl: the ZPL text; printer: ZPL sent to the site's printer.
FORMATS = ("pdf", "zpl", "printer")
MAX_LABELS = 500
PRINT_ACTIONS = ("label.print", "label.reprint")

# ID prefix -> the audit entity type of what carries that label.
_ENTITY = {"SP": "specimen", "BX": "box", "SH": "shipment", "LC": "location"}

T = TypeVar("T", bytes, str)


class PrinterUnavailable(ServiceUnavailable):
    """The site's label printer did not take the job (off, unreachable, timed out)."""

    code = "printer_unavailable"


@dataclass(frozen=True)
class LabelTarget:
    """A code, what carries it (``specimen``, ``box``, ``shipment``) and its label fields."""

    code: str
    entity_type: str
    spec: lib.LabelSpec


@dataclass
class PrintJob:
    """What a print produced: ``content`` (PDF bytes or ZPL bytes) and who was printed how."""

    fmt: str
    stock: str
    content: bytes
    targets: list[LabelTarget]
    first: list[str] = field(default_factory=list)  # codes printed for the first time
    reprinted: list[str] = field(default_factory=list)
    printer: str | None = None  # "host:port" when sent to a printer
    #: The file name's stem when the caller knows what the labels are (a kit, a box's tubes).
    name: str | None = None

    @property
    def mimetype(self) -> str:
        return "application/pdf" if self.fmt == "pdf" else "text/plain"

    @property
    def filename(self) -> str:
        """What the file is: ``kit-S01-0001-C1D1.pdf``, ``box-label-BX….pdf``,
        ``shipping-label-SH….zpl``; labels of unrelated codes are ``labels-N-codes``."""
        stem = self.name
        if stem is None and len(self.targets) == 1:
            t = self.targets[0]
            stem = f"{t.entity_type}-label-{t.code}"
        if stem is None:
            stem = f"labels-{len(self.targets)}-codes"
        return f"{stem}.pdf" if self.fmt == "pdf" else f"{stem}.zpl"


def _visit_text(specimen: Specimen) -> str | None:
    if specimen.visit is None:
        return None
    if specimen.visit_occurrence > 1:
        return f"{specimen.visit.code}-{specimen.visit_occurrence}"
    return specimen.visit.code


def spec_for_specimen(specimen: Specimen) -> lib.LabelSpec:
    """A specimen's label: its ID, participant code, visit, type and local collection date.
    Trial codes only: the library refuses anything that looks like personal data."""
    if specimen.parent_id is not None:
        kind = "aliquot"
    elif specimen.container == "slide":
        kind = "slide"
    else:
        kind = "specimen"
    collected = None
    if specimen.collected_at is not None:
        site = specimen.collection_site or specimen.participant.site
        collected = specimen.collected_at.astimezone(ZoneInfo(site.timezone)).date()
    return lib.LabelSpec(
        kind=kind,
        id=specimen.barcode,
        participant_code=specimen.participant.code,
        visit=_visit_text(specimen),
        specimen_type=specimen.specimen_type,
        collection_date=collected,
    )


def _parse_codes(codes: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in codes:
        if not isinstance(raw, str):
            raise ValidationError("codes must be strings")
        try:
            code = lib.parse(raw.strip()).text
        except lib.IdError as exc:
            raise scan.id_refusal(exc, raw) from None
        if code not in out:
            out.append(code)
    if not out:
        raise ValidationError("no codes to print", code="empty")
    if len(out) > MAX_LABELS:
        raise ValidationError(
            "at most %(limit)s labels per job, not %(count)s",
            limit=MAX_LABELS, count=len(out), code="too_many")
    return out


def _other_target(session: Session, user: User, code: str) -> LabelTarget:
    """A box, location or shipment label: its own ID only. Whether the object exists and is
    visible to the user is its area's answer (the same lookup as the scan station)."""
    kind = _ENTITY[code[:2]]
    if kind == "shipment":
        shipments.resolve_scan(session, user, code)
    else:
        storage.resolve_scan(session, user, code)
    try:
        spec = lib.LabelSpec(kind=kind, id=code)
    except lib.LabelError as exc:
        raise ValidationError(
            "%(label)s: %(error)s",
            label=code, error=exc.message, code=exc.code) from None
    return LabelTarget(code, kind, spec)


def label_specs_for_codes(
    session: Session, user: User, codes: Iterable[str]
) -> list[LabelTarget]:
    """The label of each code (specimens ``SP``, boxes ``BX``, shipments ``SH``, storage
    locations ``LC``), in the order given, each once. A code the user may not see is
    :class:`NotFound`, the same answer as an unknown one."""
    wanted = _parse_codes(codes)
    sp = [c for c in wanted if c.startswith("SP")]
    found: dict[str, Specimen] = {}
    if sp:
        rows = session.execute(select(Specimen).where(Specimen.barcode.in_(sp))).scalars()
        found = {s.barcode: s for s in rows if access.specimen_visible(user, s)}
    out: list[LabelTarget] = []
    for code in wanted:
        if code.startswith("SP"):
            specimen = found.get(code)
            if specimen is None:
                raise NotFound("no specimen %(specimen)r visible to you", specimen=code)
            try:
                spec = spec_for_specimen(specimen)
            except lib.LabelError as exc:
                raise ValidationError(
                    "%(label)s: %(error)s",
                    label=code, error=exc.message, code=exc.code) from None
            out.append(LabelTarget(code, "specimen", spec))
        else:
            out.append(_other_target(session, user, code))
    return out


def printed_before(session: Session, targets: Sequence[LabelTarget]) -> set[str]:
    """Codes among ``targets`` whose label was printed before (a print or reprint audited)."""
    by_type: dict[str, list[str]] = {}
    for t in targets:
        by_type.setdefault(t.entity_type, []).append(t.code)
    done: set[str] = set()
    for entity_type, codes in by_type.items():
        done.update(session.execute(
            select(AuditEvent.entity_id).where(
                AuditEvent.entity_type == entity_type,
                AuditEvent.entity_id.in_(codes),
                AuditEvent.action.in_(PRINT_ACTIONS),
            )
        ).scalars())
    return done


def printer_of(site: Site) -> tuple[str, int] | None:
    """The site's network label printer (raw port, usually 9100), if one is configured."""
    if not site.printer_host:
        return None
    return site.printer_host, site.printer_port or 9100


def _render(targets: Sequence[LabelTarget], fmt: str, stock: str, dpi: int,
            skip: int = 0) -> bytes:
    specs = [t.spec for t in targets]
    try:
        if fmt == "pdf":
            return lib.render_pdf(specs, stock, skip=skip)
        return lib.render_zpl(specs, stock, dpi).encode("utf-8")
    except lib.LabelError as exc:
        raise ValidationError(exc.message, code=exc.code) from None


def start_skip(stock: str, row: int | None, column: int | None) -> int:
    """Positions to leave blank so printing starts at ``row``/``column`` (1-based) of a sheet
    whose first labels were used already; 0 when no start is given."""
    if row is None and column is None:
        return 0
    st = lib.STOCKS.get(stock)
    if st is None or st.page_mm is None:
        raise ValidationError(
            "a start position applies to label sheets, not to %(stock)s",
            stock=stock, code="bad_start")
    row, column = row or 1, column or 1
    if not (1 <= row <= st.rows and 1 <= column <= st.columns):
        raise ValidationError(
            "start position row %(row)s, column %(column)s is not on a %(stock)s sheet "
            "(rows 1 to %(rows)s, columns 1 to %(columns)s)",
            row=row, column=column, stock=stock, rows=st.rows, columns=st.columns,
            code="bad_start")
    return (row - 1) * st.columns + (column - 1)


def _job_name(targets: Sequence[LabelTarget], kit: bool) -> str | None:
    """``kit-S01-0001-C1D1`` when the labels are the tubes of one participant's visit (not
    aliquots): several of them, or one printed from the kit page (``kit``); otherwise None
    (the job's default name)."""
    specs = [t.spec for t in targets]
    if len(specs) < (1 if kit else 2) or any(s.kind != "specimen" for s in specs):
        return None
    keys = {(s.participant_code, s.visit) for s in specs}
    if len(keys) != 1:
        return None
    ((participant, visit),) = keys
    if not participant or not visit:
        return None
    return "kit-" + f"{participant}-{visit}".replace("/", "-")


def print_labels(
    session: Session,
    user: User,
    codes: Iterable[str],
    *,
    fmt: str = "pdf",
    stock: str | None = None,
    reason: str | None = None,
    dpi: int = DEFAULT_PRINTER_DPI,
    timeout: float = DEFAULT_PRINTER_TIMEOUT,
    start: tuple[int | None, int | None] = (None, None),
    kit: bool = False,
) -> PrintJob:
    """Print the labels of ``codes`` as a PDF on ``stock``, as ZPL at ``dpi``, or to the user's
    site printer; record ``label.print`` for first prints and ``label.reprint`` (``reason``
    required) for codes printed before. Nothing is recorded when the printer refuses.

    ``start`` (row, column) is where a partly used PDF sheet's first free label is: the
    positions before it stay blank. ``kit`` names the file after the visit kit even when it
    is one tube."""
    access.require_write(user)
    if fmt not in FORMATS:
        raise ValidationError(
            "format must be one of %(formats)s",
            formats=", ".join(FORMATS), code="bad_format")
    if stock is None or stock == "":
        stock = DEFAULT_PDF_STOCK if fmt == "pdf" else DEFAULT_PRINTER_STOCK
    if stock not in lib.STOCKS:
        raise ValidationError(
            "unknown stock %(stock)r; choose from %(stocks)s",
            stock=stock, stocks=", ".join(lib.STOCKS), code="unknown_stock")
    if fmt != "pdf" and dpi not in lib.ZPL_DPIS:
        raise ValidationError(
            "dpi must be one of %(dpis)s",
            dpis=", ".join(map(str, lib.ZPL_DPIS)), code="bad_dpi")
    skip = start_skip(stock, *start) if fmt == "pdf" else 0
    reason = (reason or "").strip()[:500] or None
    printer = None
    if fmt == "printer":
        printer = printer_of(user.site)
        if printer is None:
            raise Conflict(
                "no label printer is configured for site %(site)s; download the PDF instead",
                site=user.site.code, code="no_printer")
    targets = label_specs_for_codes(session, user, codes)
    # Two prints of the same labels at once (a double click, two stations) must not both be
    # first prints: lock the specimen rows (PostgreSQL; SQLite writes are serialised by
    # BEGIN IMMEDIATE) before asking whether they were printed.
    sp = [t.code for t in targets if t.entity_type == "specimen"]
    if sp:
        session.execute(
            select(Specimen.id).where(Specimen.barcode.in_(sp)).order_by(Specimen.id)
            .with_for_update()
        ).all()
    before = printed_before(session, targets)
    if before and reason is None:
        raise ValidationError(
            "a reprint needs a reason: already printed %(codes)s",
            codes=", ".join(sorted(before)), code="reason_required")
    content = _render(targets, fmt, stock, dpi, skip)
    where = None
    if printer is not None:
        host, port = printer
        where = f"{host}:{port}"
        try:
            lib.send_zpl(host, port, content, timeout=timeout)
        except lib.PrinterError as exc:
            raise PrinterUnavailable(exc.message, code=f"printer_{exc.code}") from None
    job = PrintJob(fmt, stock, content, list(targets), printer=where, name=_job_name(targets, kit))
    details: dict[str, object] = {"format": fmt, "stock": stock}
    if fmt != "pdf":
        details["dpi"] = dpi
    if where:
        details["printer"] = where
    for t in targets:
        if t.code in before:
            job.reprinted.append(t.code)
            audit.record(session, user, "label.reprint", t.entity_type, t.code, details, reason)
        else:
            job.first.append(t.code)
            audit.record(session, user, "label.print", t.entity_type, t.code, details)
    return job


def preview_png(session: Session, user: User, code: str, stock: str | None = None) -> bytes:
    """A PNG of one label as it prints on ``stock`` (a preview: nothing is recorded)."""
    return _preview(session, user, code, stock, lib.render_label_png)


def preview_svg(session: Session, user: User, code: str, stock: str | None = None) -> str:
    """The same preview as SVG (scales without blur on screens; nothing is recorded)."""
    return _preview(session, user, code, stock, lib.render_label_svg)


def _preview(session: Session, user: User, code: str, stock: str | None,
             render: Callable[[lib.LabelSpec, str], T]) -> T:
    stock = stock or DEFAULT_PDF_STOCK
    if stock not in lib.STOCKS:
        raise ValidationError("unknown stock %(stock)r", stock=stock, code="unknown_stock")
    (target,) = label_specs_for_codes(session, user, [code])
    try:
        return render(target.spec, stock)
    except lib.LabelError as exc:
        raise ValidationError(exc.message, code=exc.code) from None


def kit_specimens(
    session: Session, user: User, participant: Participant, visit: VisitDefinition,
    occurrence: int = 1,
) -> list[Specimen]:
    """The labelled specimens of one visit occurrence (the kit), without creating any."""
    if not access.can_see_site(user, participant.site_id):
        raise NotFound(
            "no participant %(participant)r visible to you",
            participant=participant.code)
    return list(session.execute(
        select(Specimen)
        .where(
            Specimen.participant_id == participant.id,
            Specimen.visit_id == visit.id,
            Specimen.visit_occurrence == occurrence,
            Specimen.parent_id.is_(None),
        )
        .order_by(Specimen.id)
    ).scalars())


#: Shipping label outputs: an A6 PDF, or ZPL for a 100 × 150 mm (4 × 6 in) thermal printer.
SHIPPING_FORMATS = ("pdf", "zpl")
SITE_CONTACT_FIELDS = ("address", "contact_name", "contact_phone", "contact_email")
#: Their columns' lengths (models/site.py).
SITE_CONTACT_LENGTHS = {"address": 400, "contact_name": 100, "contact_phone": 40,
                        "contact_email": 120}


def _party(site: Site) -> lib.Party:
    if not site.address.strip():
        raise Conflict(
            "site %(site)s has no postal address on record; an administrator records it "
            "with: flask --app biobank site-contact --site %(site)s",
            site=site.code, code="no_address")
    try:
        return lib.Party(site.name, tuple(site.address.splitlines()), site.contact_name,
                         site.contact_phone, site.contact_email)
    except lib.LabelError as exc:
        raise ValidationError(exc.message, code=exc.code) from None


def shipping_label(
    session: Session, user: User, code: str, fmt: str = "pdf", *, dpi: int = 203,
    cjk_font: str | None = None,
) -> PrintJob:
    """The shipping label of a shipment's outer package (sender, recipient, UN3373, its
    conditions and barcode) as an A6 PDF or 100 × 150 mm ZPL; every print is audited as
    ``label.shipping`` (no reprint reason: a second copy of a package label marks nothing
    twice, unlike a tube label)."""
    access.require_write(user)
    if fmt not in SHIPPING_FORMATS:
        raise ValidationError(
            "format must be one of %(formats)s",
            formats=", ".join(SHIPPING_FORMATS), code="bad_format")
    if fmt == "zpl" and dpi not in lib.ZPL_DPIS:
        raise ValidationError(
            "dpi must be one of %(dpis)s",
            dpis=", ".join(map(str, lib.ZPL_DPIS)), code="bad_dpi")
    shipment: Shipment = shipments.get(session, user, code)
    if shipment.status == "cancelled":
        raise Conflict("shipment %(shipment)s is cancelled: it gets no shipping label",
                       shipment=shipment.barcode, code="cancelled")
    try:
        label = lib.ShippingLabel(
            shipment.barcode, _party(shipment.from_site), _party(shipment.to_site),
            shipment.conditions, shipment.dry_ice_kg, shipment.courier or "",
            shipment.tracking_number or "")
        if fmt == "pdf":
            content = lib.render_shipping_pdf(label)
        else:
            content = lib.render_shipping_zpl(label, dpi, cjk_font).encode("utf-8")
    except lib.LabelError as exc:
        raise ValidationError(exc.message, code=exc.code) from None
    details: dict[str, object] = {"format": fmt, "stock": "shipping-a6" if fmt == "pdf"
                                  else "shipping-100x150"}
    if fmt == "zpl":
        details["dpi"] = dpi
    audit.record(session, user, "label.shipping", "shipment", shipment.barcode, details)
    target = LabelTarget(shipment.barcode, "shipment", lib.LabelSpec("shipment",
                                                                     shipment.barcode))
    return PrintJob(fmt, str(details["stock"]), content, [target], first=[shipment.barcode],
                    name=f"shipping-label-{shipment.barcode}")


def set_site_contact(session: Session, actor: User, site_code: str, **values: str) -> Site:
    """Record a site's postal address (lines separated by newlines) and its contact for
    packages; an administrator's change, audited with old and new values."""
    access.require_role(actor, "admin")
    site = session.execute(select(Site).where(Site.code == site_code)).scalar_one_or_none()
    if site is None:
        raise NotFound("no site with code %(site)r", site=site_code, code="bad_site")
    changes: dict[str, object] = {}
    for name, value in values.items():
        if name not in SITE_CONTACT_FIELDS:
            raise ValidationError("unknown field %(field)s", field=name)
        value = "\n".join(line.strip() for line in value.strip().splitlines() if line.strip())
        # Set from the operators' command (no form): the text rule and the column's length.
        check_text(name, value, SITE_CONTACT_LENGTHS[name])
        if value != getattr(site, name):
            changes[name] = [getattr(site, name), value]
            setattr(site, name, value)
    if changes:
        _party(site)  # what was recorded must print
        audit.record(session, actor, "site.contact", "site", site.code, changes)
    return site


#: A visit's kit may be prepared this long before the visit is due (labels printed, tubes
#: set out); earlier than that the participant has not reached the visit.
KIT_LEAD_DAYS = 14
# Who may still give specimens at a scheduled visit: screening is for those being screened or
# just enrolled; treatment visits for enrolled participants; end-of-treatment and follow-up
# visits also after completing or leaving treatment.
_SCREENING_OK = ("screening", "enrolled")
_AFTER_TREATMENT_OK = ("enrolled", "completed", "withdrawn")


def kit_not_reached(participant: Participant, visit: VisitDefinition,
                    today: date | None = None) -> Msg | None:
    """Why ``participant`` has not reached ``visit`` (None when it has): no Cycle 1 day 1 kit
    for someone still in screening, no evaluation kit before treatment started or long before
    it is due, nothing for a screen failure."""
    # The site's calendar day decides, not the server's.
    today = today or datetime.now(ZoneInfo(participant.site.timezone)).date()
    status = participant.screening_status
    said = vocabulary.word("screening_status", status, lower=True)
    first = min(v.sequence for v in participant.trial.visits)
    if visit.sequence == first:
        if status in _SCREENING_OK:
            return None
        return Msg("%(participant)s is %(status)s: the screening visit is over",
                   participant=participant.code, status=said)
    if status == "screening":
        return Msg("%(participant)s is still in screening: the %(visit)s kit is for enrolled "
                   "participants", participant=participant.code, visit=visit.code)
    if visit.day is None:
        if status in _AFTER_TREATMENT_OK:
            return None
        return Msg("%(participant)s is %(status)s: no %(visit)s visit",
                   participant=participant.code, status=said, visit=visit.code)
    if status != "enrolled":
        return Msg("%(participant)s is %(status)s: no %(visit)s visit",
                   participant=participant.code, status=said, visit=visit.code)
    if visit.day <= 1:
        return None
    if participant.c1d1_date is None:
        return Msg("%(participant)s has no Cycle 1 day 1 date: the %(visit)s visit is counted "
                   "from it", participant=participant.code, visit=visit.code)
    due = participant.c1d1_date + timedelta(days=visit.day - 1)
    if today < due - timedelta(days=KIT_LEAD_DAYS):
        return Msg("the %(visit)s visit of %(participant)s is due on %(due)s; its kit can be "
                   "prepared from %(start)s", visit=visit.code, participant=participant.code,
                   due=due.isoformat(),
                   start=(due - timedelta(days=KIT_LEAD_DAYS)).isoformat())
    return None


def check_kit_allowed(session: Session, user: User, participant: Participant,
                      visit: VisitDefinition, override_reason: str | None = None,
                      today: date | None = None) -> None:
    """Refuse a kit for a visit the participant has not reached, unless an override reason
    is given; the override is audited with the reason and what it overrode."""
    why = kit_not_reached(participant, visit, today)
    if why is None:
        return
    reason = (override_reason or "").strip()
    if not reason:
        raise Conflict("%(why)s. To prepare it anyway, give a reason for the override",
                       why=why, code="visit_not_reached")
    audit.record(session, user, "kit.override", "participant", participant.code,
                 {"visit": visit.code, "not_reached": str(why)}, reason[:500])
