"""Shipments pages: a site technician packs by scanning and ships; a central technician scans
the shipment, then each tube, and resolves every discrepancy before closing."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import localtime
from ..errors import BiobankError, FieldError, ValidationError
from ..inputs import Choice, Integer, Text
from ..models import Shipment, Site
from ..services import access, manifests, scan
from ..services import shipments as svc
from . import csv_heading, scanner, select_locale
from .auth import actor, login_required
from .boundary import form
from .transaction import db_session, record_refusal, refusals, retry_conflicts

bp = Blueprint("shipments", __name__, url_prefix="/shipments")


@bp.app_context_processor
def _vocab() -> dict[str, Any]:
    return {"ship_conditions": svc.CONDITIONS, "ship_damage": svc.DAMAGE,
            "ship_package": svc.PACKAGE_CONDITIONS, "ship_status": svc.STATUS_LABELS,
            "ship_resolutions": svc.RESOLUTIONS,
            "resolution_labels": svc.RESOLUTION_LABELS, "condition_cards": svc.CONDITION_CARDS,
            "condition_code": svc.condition_code, "kg_text": svc.kg_text}


def _hx() -> bool:
    return bool(request.headers.get("HX-Request"))


def _context(sh: Shipment) -> dict[str, Any]:
    items = svc.items(db_session(), sh)
    user = actor()
    return {"sh": sh, "items": items, "counts": svc.counts(items), "receipt": sh.receipt,
            "is_sender": not user.read_only and (user.site_id == sh.from_site_id
                                                  or user.role == "admin"),
            "is_receiver": not user.read_only and (user.site_id == sh.to_site_id
                                                    or user.role == "admin")}


@bp.route("/")
@login_required
def index() -> str:
    s = db_session()
    user = actor()
    sites = [x for x in s.execute(select(Site).order_by(Site.code)).scalars()
             if x.id != user.site_id and (user.site.is_central or x.is_central)]
    return render_template("shipments/index.html", shipments=svc.listing(s, user),
                           sites=sites, n_open=len(svc.open_discrepancies(s, user)))


# The planned time is text on the page (as DateTime.from_form keeps it), so that an emptied
# field is told from an absent one: the view reads it in the site's zone (_planned).
_DETAILS = {"conditions": Choice(tuple(svc.CONDITIONS)), "courier": Text(100),
            "tracking_number": Text(64), "logger_id": Text(64), "planned_ship_at": Text(64),
            "dry_ice_kg": svc.DRY_ICE_KG}
_ARRIVAL = {"package_condition": Choice(tuple(svc.PACKAGE_CONDITIONS)),
            "temperature": svc.TEMPERATURE}
#: Where a service's refusal of the shipment details belongs.
_DETAIL_CODES = {"bad_conditions": "conditions", "duplicate_tracking": "tracking_number",
                 "bad_site": "to"}
CREATE = form("shipments.create", to=Text(16), **_DETAILS).shown_on(
    "shipments.index", codes=_DETAIL_CODES)
RECEIVE_START = form("shipments.receive_start", code=Text(200), **_ARRIVAL)
UPDATE = form("shipments.update", **_DETAILS).shown_on("shipments.detail",
                                                      codes=_DETAIL_CODES)
PACK = form("shipments.pack", code=Text(200))
ACTION = form("shipments.action", op=Choice(("ready", "reopen", "ship", "cancel", "lost",
                                             "close", "unpack")),
              reason=Text(500), specimen=Text(64), confirm=Choice(("yes",)),
              dry_ice_kg=svc.DRY_ICE_KG)
RESOLVE = form("shipments.resolve", specimen=Text(64), reason=Text(500),
               action=Choice(svc.RESOLUTION_ACTIONS), next=Text(16))
RECEIVE = form("shipments.receive", code=Text(200), damage=Choice(tuple(svc.DAMAGE)),
               missing_seen=Integer(high=100_000), **_ARRIVAL)
FINISH = form("shipments.finish", expect_missing=Integer(high=100_000), **_ARRIVAL)


def _planned(f: dict[str, Any]) -> dict[str, Any]:
    """The planned ship time as the browser's date-time input sends it (local time at the
    sending site, no zone) or as typed (ISO 8601 with its offset, or a local date and time as
    people write it): an instant, or a refusal beside the field."""
    raw = f.get("planned_ship_at")
    if raw is not None and raw.strip():
        f["planned_ship_at"] = localtime.parse_datetime(
            raw, actor().site.timezone, field="planned_ship_at")
    elif raw is not None:
        f["planned_ship_at"] = ""  # emptied on the form: no planned time any more
    return f


@bp.route("/", methods=["POST"])
@login_required
def create() -> Response:
    f = _planned(CREATE.read())
    sh = svc.create(db_session(), actor(), conditions=f.get("conditions") or "",
                    to_site=f.get("to") or None, courier=f.get("courier", ""),
                    tracking_number=f.get("tracking_number") or None,
                    logger_id=f.get("logger_id", ""),
                    planned_ship_at=f.get("planned_ship_at"),
                    dry_ice_kg=f.get("dry_ice_kg"))
    flash(_("Shipment %(code)s created: scan the tubes to pack.", code=sh.barcode), "success")
    return redirect(url_for(".detail", code=sh.barcode))


def _receive_start_refused(exc: BiobankError) -> Any:
    if _hx():
        return render_template("shipments/_error.html", error=exc)
    return render_template("shipments/receive_start.html", error=exc), exc.status


@bp.route("/receive", methods=["GET", "POST"])
@login_required
@refusals(_receive_start_refused)
@retry_conflicts
def receive_start() -> Any:
    """Scan the shipment's barcode on arrival: its receipt opens and the tube scanning starts."""
    if request.method == "GET":
        return render_template("shipments/receive_start.html", error=None)
    s = db_session()
    user = actor()
    # The role first: a user who may not receive learns that, not what a scan was.
    access.require_role(user, *svc.WRITE_ROLES)
    f = RECEIVE_START.read()
    code = scanner.clean(f.get("code", ""))
    if not code.startswith("SH"):
        raise ValidationError(_("Scan the shipment's own barcode (SH…) first."),
                              code="wrong_kind")
    sh = svc.get(s, user, code)
    svc.start_receipt(s, user, sh, package_condition=f.get("package_condition") or "intact",
                      temperature=f.get("temperature"))
    target = url_for(".receive", code=sh.barcode)
    if _hx():
        return Response("", headers={"HX-Redirect": target})
    return redirect(target)


@bp.route("/discrepancies")
@login_required
def discrepancies() -> str:
    return render_template("shipments/discrepancies.html",
                           items=svc.open_discrepancies(db_session(), actor()))


@bp.route("/<code>")
@login_required
def detail(code: str) -> str:
    sh = svc.get(db_session(), actor(), code)
    return render_template("shipments/detail.html", result=None, error=None, **_context(sh))


@bp.route("/<code>/details", methods=["POST"])
@login_required
def update(code: str) -> Response:
    s = db_session()
    sh = svc.get(s, actor(), code)
    fields = _planned(UPDATE.read())
    if not fields.get("tracking_number"):
        fields.pop("tracking_number", None)
    if fields.get("dry_ice_kg") is None and fields.get("conditions") is not None:
        # The mass field stands beside the conditions on the form: sent empty, no mass is
        # recorded any more.
        fields["dry_ice_kg"] = ""
    svc.update_details(s, actor(), sh, **fields)
    flash(_("Details saved."), "success")
    return redirect(url_for(".detail", code=sh.barcode))


def _scan_answer(template: str, page: str, code: str, result: Any,
                 error: BiobankError | None) -> Any:
    """A packing or receiving scan's answer: the htmx fragment (200, the fragment carries the
    outcome and its sound) or the whole page (with the refusal's status)."""
    ctx = _context(svc.get(db_session(), actor(), code))
    if _hx():
        return render_template(template, result=result, error=error, oob=True, **ctx)
    return render_template(page, result=result, error=error, **ctx), \
        (error.status if error else 200)


@bp.route("/<code>/pack", methods=["POST"])
@login_required
@refusals(lambda exc, code: _scan_answer("shipments/_pack_result.html",
                                         "shipments/detail.html", code, None, exc))
def pack(code: str) -> Any:
    """One scan while packing: a tube, or a box (all its tubes)."""
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    record_refusal(access.OTHER_SITE)  # where another site's tube turned up is kept
    result = svc.pack(s, user, sh, scanner.clean(PACK.read().get("code", "")))
    return _scan_answer("shipments/_pack_result.html", "shipments/detail.html", code, result,
                        None)


@bp.route("/<code>/action", methods=["POST"])
@login_required
def action(code: str) -> Any:
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    f = ACTION.read()
    op = f.get("op") or ""
    reason = f.get("reason", "")
    if op == "ready":
        svc.mark_ready(s, user, sh)
    elif op == "reopen":
        svc.reopen(s, user, sh)
    elif op == "ship":
        if f.get("confirm") != "yes":
            # Handing the box over cannot be undone: the technician sees what leaves and
            # confirms (a page of its own, so it holds without JavaScript too).
            svc.check_shippable(user, sh)
            return render_template("shipments/ship_confirm.html", **_context(sh))
        if f.get("dry_ice_kg") is not None:
            # The dry ice is weighed as the box is closed: its mass may be typed (or
            # corrected) on the confirmation, recorded and audited with the shipping.
            svc.update_details(s, user, sh, dry_ice_kg=f["dry_ice_kg"])
        svc.ship(s, user, sh)
        flash(_("Shipped. Every tube is now in transit."), "success")
    elif op == "cancel":
        svc.cancel(s, user, sh, reason)
    elif op == "lost":
        svc.mark_lost(s, user, sh, reason)
    elif op == "close":
        svc.close(s, user, sh)
        flash(_("Shipment closed."), "success")
    elif op == "unpack":
        specimen = f.get("specimen", "")
        svc.unpack(s, user, sh, specimen)
        flash(_("%(code)s taken out of the shipment.", code=specimen), "success")
    else:
        raise ValidationError(_("Unknown action."))
    return redirect(url_for(".detail", code=sh.barcode))


@bp.route("/<code>/resolve", methods=["POST"])
@login_required
def resolve(code: str) -> Response:
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    f = RESOLVE.read()
    specimen = f.get("specimen", "")
    svc.resolve(s, user, sh, specimen, f.get("reason", ""), f.get("action") or "noted")
    flash(_("Discrepancy on %(code)s resolved.", code=specimen), "success")
    if f.get("next") == "queue":
        return redirect(url_for(".discrepancies"))
    return redirect(url_for(".detail", code=sh.barcode))


#: Refusals the "Ship now" confirmation answers itself, its mass field beside the message.
_DRY_ICE_CODES = ("dry_ice_kg_required", "dry_ice_not_applicable")


def _action_page(exc: BiobankError, code: str) -> Any:
    # A refused dry-ice mass on the way to shipping: the confirmation again, with the field
    # to type it in; every other refusal of an action: the shipment page.
    about_mass = exc.code in _DRY_ICE_CODES or (
        isinstance(exc, FieldError) and "dry_ice_kg" in exc.by_field)
    if request.form.get("op") == "ship" and about_mass:
        return render_template("shipments/ship_confirm.html",
                               **_context(svc.get(db_session(), actor(), code)))
    return detail(code)


ACTION.shown_on(_action_page, reason_required="reason")


def _resolve_page(exc: BiobankError, code: str) -> Any:
    # The discrepancy queue or the shipment page, whichever the form was sent from.
    if request.form.get("next") == "queue":
        return discrepancies()
    return detail(code)


RESOLVE.shown_on(_resolve_page, reason_required="reason")
PACK.shown_on(lambda exc, code: _scan_answer("shipments/_pack_result.html",
                                             "shipments/detail.html", code, None, exc),
              summary=False)
RECEIVE_START.shown_on(lambda exc: _receive_start_refused(exc), summary=False)


def _receive_page(exc: BiobankError, code: str) -> Any:
    return render_template("shipments/receive.html", result=None, error=None,
                           **_context(svc.get(db_session(), actor(), code)))


@bp.route("/<code>/receive", methods=["GET", "POST"])
@login_required
@refusals(lambda exc, code: _scan_answer("shipments/_receive_result.html",
                                         "shipments/receive.html", code, None, exc))
@retry_conflicts
def receive(code: str) -> Any:
    """Tube-by-tube receiving. A condition card applies to the next tube. The shipment's own
    barcode finishes the receipt; with tubes still unscanned it first says how many would
    become missing, and a second scan of it confirms."""
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    if request.method == "GET":
        return render_template("shipments/receive.html", result=None, error=None,
                               **_context(sh))
    f = RECEIVE.read()
    answer: Any
    try:
        scanned = scanner.clean(f.get("code", ""))
    except scan.ConditionCard as card:
        answer = svc.set_next_condition(s, user, sh, card.condition or svc.INTACT)
        return _scan_answer("shipments/_receive_result.html", "shipments/receive.html", code,
                            answer, None)
    if scanned != sh.barcode:
        answer = svc.receive_scan(s, user, sh, scanned, damage=f.get("damage"))
        return _scan_answer("shipments/_receive_result.html", "shipments/receive.html", code,
                            answer, None)
    answer = svc.finish_scan(s, user, sh, package_condition=f.get("package_condition"),
                             temperature=f.get("temperature"), seen=f.get("missing_seen"))
    if not answer.finished:
        return _scan_answer("shipments/_receive_result.html", "shipments/receive.html", code,
                            answer, None)
    flash(_("Receipt finished."), "success")
    target = url_for(".detail", code=sh.barcode)
    if _hx():
        return Response("", headers={"HX-Redirect": target})
    return redirect(target)


RECEIVE.shown_on(lambda exc, code: _scan_answer("shipments/_receive_result.html",
                                                "shipments/receive.html", code, None, exc),
                 summary=False)
FINISH.shown_on(_receive_page, before_ship="temperature")


@bp.route("/<code>/finish", methods=["POST"])
@login_required
# A refused value goes beside its field (FINISH.shown_on); the service's refusals (the count
# of missing tubes changed meanwhile) are answered like a scan, in the result area.
@refusals(lambda exc, code: _scan_answer("shipments/_receive_result.html",
                                         "shipments/receive.html", code, None, exc),
          when=lambda exc: not isinstance(exc, FieldError))
@retry_conflicts
def finish(code: str) -> Response:
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    f = FINISH.read()
    svc.finish_receipt(s, user, sh, package_condition=f.get("package_condition"),
                       temperature=f.get("temperature"),
                       expect_missing=f.get("expect_missing"))
    flash(_("Receipt finished."), "success")
    return redirect(url_for(".detail", code=sh.barcode))


@bp.route("/conditions.pdf")
@login_required
def condition_sheet() -> Response:
    """The sheet of condition cards to keep at the receiving bench."""
    return Response(manifests.condition_sheet(select_locale() or "en"),
                    mimetype="application/pdf",
                    headers={"Content-Disposition":
                             'inline; filename="receiving-condition-cards.pdf"'})


@bp.route("/<code>/manifest.<fmt>")
@login_required
def manifest(code: str, fmt: str) -> Response:
    s = db_session()
    sh = svc.get(s, actor(), code)
    items = svc.items(s, sh)
    name = f"manifest-{sh.barcode}.{fmt}"
    if fmt == "pdf":
        return Response(manifests.as_pdf(sh, items, select_locale() or "en"),
                        mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})
    if fmt == "csv":
        return Response(manifests.as_csv(sh, items), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    if fmt == "json":
        import json

        return Response(json.dumps(manifests.as_json(sh, items), indent=1),
                        mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    raise ValidationError(_("Unknown manifest format."))


@bp.route("/custody/<barcode>.csv")
@login_required
def custody_csv(barcode: str) -> Response:
    sp, events = svc.custody(db_session(), actor(), barcode)
    return Response(manifests.custody_csv(sp.barcode, events, csv_heading), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="custody-{sp.barcode}.csv"'})
