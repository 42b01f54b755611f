"""Storage pages: units and boxes, the box map with store-by-scan, check-out/in, the
rack-scanner import, and the reports (completeness, inventory CSV, FHIR export)."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from .. import vocabulary
from ..errors import BiobankError, FieldError, ValidationError
from ..inputs import Choice, Flag, Text
from ..models import Specimen, StorageBox, StoragePosition
from ..services import access, reports, storage
from . import csv_heading, scanner
from .auth import actor, login_required
from .boundary import form, upload_form
from .transaction import db_session, keep_answer, record_refusal, refusals, retry_conflicts

bp = Blueprint("storage", __name__, url_prefix="/storage")

# A scanned code nobody knows, or a place it cannot go, is the field's refusal.
NEW_LOCATION = form("storage.create_location", kind=Choice(tuple(storage.LOCATION_KINDS)),
                    name=Text(100), parent=Text(64)).shown_on(
    "storage.index", unknown_code="parent", bad_parent="parent", cycle="parent",
    other_site="parent", bad_kind="kind", bad_name="name", not_found="parent",
    bad_check="parent", bad_format="parent")
MOVE_LOCATION = form("storage.move_location", target=Text(200)).shown_on(
    "storage.location", unknown_code="target", bad_parent="target", cycle="target",
    other_site="target", not_found="target", bad_check="target", bad_format="target")
NEW_BOX = form("storage.create_box", box_type=Choice(tuple(storage.BOX_TYPES)), name=Text(100),
               location=Text(64), fill_order=Choice(tuple(storage.FILL_ORDERS))).shown_on(
    "storage.index", unknown_code="location", bad_parent="location", cycle="location",
    other_site="location", bad_box_type="box_type", bad_fill_order="fill_order",
    bad_name="name", not_found="location", bad_check="location", bad_format="location")
STORE = form("storage.store", code=Text(200), position=Text(8), acknowledge=Flag())
USE = form("storage.use", mode=Text(16), code=Text(200), reason=Text(500))
RACK_IMPORT = upload_form("storage.rack_import", ("file",), csv=Text(storage.MAX_RACK_TEXT))
RACK_APPLY = form("storage.rack_apply", csv=Text(storage.MAX_RACK_TEXT), fingerprint=Text(128),
                  acknowledge=Flag())


@bp.app_template_global("storage_position")
def storage_position(specimen: Specimen) -> StoragePosition | None:
    """Where a specimen sits now (for the specimen page and the scan result)."""
    if specimen.status in storage.GONE:
        return None
    return storage.position_of(db_session(), specimen)


@bp.app_template_global("storage_full_path")
def storage_full_path(pos: StoragePosition) -> str:
    return storage.full_path(pos)


@bp.app_context_processor
def _storage_vocab() -> dict[str, Any]:
    return {"storage_kinds": storage.LOCATION_KINDS, "box_types": storage.BOX_TYPES,
            "fill_orders": storage.FILL_ORDERS, "type_short": storage.TYPE_SHORT,
            "position_name": storage.position_name}


def _optional_location(s: Session, raw: str) -> Any:
    raw = raw.strip()
    return storage.get_location(s, actor(), scanner.clean(raw)) if raw else None


@bp.route("/")
@login_required
def index() -> str:
    s = db_session()
    user = actor()
    units = storage.units(s, user)
    util = {u.id: storage.location_utilisation(s, u) for u in units}
    loose = storage.loose_boxes(s, user)
    return render_template("storage/index.html", units=units, util=util, loose=loose,
                           used={b.id: storage.used_count(s, b) for b in loose})


@bp.route("/locations", methods=["POST"])
@login_required
def create_location() -> Any:
    s = db_session()
    f = NEW_LOCATION.read()
    parent = _optional_location(s, f.get("parent", ""))
    loc = storage.create_location(s, actor(), kind=f.get("kind") or "", name=f.get("name", ""),
                                  parent=parent)
    flash(_("Created %(code)s.", code=loc.barcode), "success")
    return redirect(url_for(".location", barcode=loc.barcode))


@bp.route("/locations/<barcode>")
@login_required
def location(barcode: str) -> str:
    s = db_session()
    loc = storage.get_location(s, actor(), barcode)
    return render_template(
        "storage/location.html", loc=loc, chain=storage.location_chain(loc),
        util=storage.location_utilisation(s, loc),
        child_util={c.id: storage.location_utilisation(s, c) for c in loc.children},
        used={b.id: storage.used_count(s, b) for b in loc.boxes},
    )


@bp.route("/locations/<barcode>/move", methods=["POST"])
@login_required
def move_location(barcode: str) -> Any:
    s = db_session()
    user = actor()
    loc = storage.get_location(s, user, barcode)
    target = storage.get_location(s, user, scanner.clean(MOVE_LOCATION.read().get("target", "")))
    storage.move_location(s, user, loc, target)
    flash(_("Moved."), "success")
    return redirect(url_for(".location", barcode=loc.barcode))


@bp.route("/boxes", methods=["POST"])
@login_required
def create_box() -> Any:
    s = db_session()
    f = NEW_BOX.read()
    loc = _optional_location(s, f.get("location", ""))
    box = storage.create_box(s, actor(), box_type=f.get("box_type") or "", name=f.get("name", ""),
                             location=loc, fill_order=f.get("fill_order") or "row")
    flash(_("Created box %(code)s.", code=box.barcode), "success")
    return redirect(url_for(".box", barcode=box.barcode))


def _grid_context(s: Session, box: StorageBox) -> dict[str, Any]:
    taken = storage.grid(s, box)
    # Translated once per page, not once per cell: a 100-position map stays fast.
    return {"box": box, "taken": taken, "next_free": storage.next_free(s, box, taken),
            "path": storage.location_chain(box.location),
            "limit": current_app.config["FREEZE_THAW_WARNING_LIMIT"],
            "frozen": vocabulary.FROZEN_TYPES,
            "type_labels": {k: _(v) for k, v in vocabulary.SPECIMEN_TYPES.items()},
            "status_labels": {k: _(v) for k, v in vocabulary.STATUSES.items()},
            "specimen_url": url_for("specimens.detail", barcode="-")[:-1],
            "choose_text": _("Choose position"), "next_text": _("next"),
            "out_text": _("out")}


@bp.route("/boxes/<barcode>")
@login_required
def box(barcode: str) -> str:
    s = db_session()
    b = storage.get_box(s, actor(), barcode)
    return render_template("storage/box.html", **_grid_context(s, b))


def _store_answer(barcode: str, result: dict[str, Any], error: BiobankError | None) -> Any:
    s = db_session()
    b = storage.get_box(s, actor(), barcode)
    if error is not None:
        _note_refused_scan(s, b, error)
    ctx = _grid_context(s, b)
    if request.headers.get("HX-Request"):
        return render_template("storage/_store_result.html", result=result, error=error,
                               oob=True, **ctx)
    return render_template("storage/box.html", result=result, error=error, **ctx), \
        (error.status if error is not None else 200)


def _note_refused_scan(s: Session, b: StorageBox, error: BiobankError) -> None:
    """A refused scan still decides what the next one means (its own work is rolled back by
    now): a warned deviation waits for the same tube's second scan; any other refusal lets a
    waiting one go, so that the tube scanned after it is not stored on an old warning. Kept
    like an idempotency record of a refusal (transaction.keep_answer)."""
    user = actor()
    if user.role not in storage.STORE_ROLES:
        return
    warned, position = None, None
    if error.code == "storage_warning":
        # The scan's form was read and accepted before the rules warned.
        warned = access.get_specimen(s, user, str(error.params["specimen"]))
        position = STORE.read().get("position")
    storage.note_scan(s, user, b, warned=warned, position=position)
    keep_answer()


@bp.route("/boxes/<barcode>/store", methods=["POST"])
@login_required
@refusals(lambda exc, barcode: _store_answer(barcode, {}, exc))
@retry_conflicts
def store(barcode: str) -> Any:
    """One scan on the box page: a tube is stored (at the chosen or next free position); a
    box label opens that box; a location label moves this box there."""
    s = db_session()
    user = actor()
    b = storage.get_box(s, user, barcode)
    f = STORE.read()
    code = scanner.clean(f.get("code", ""))
    if code.startswith("BX"):
        other = storage.get_box(s, user, code)
        storage.note_scan(s, user, b)
        target = url_for(".box", barcode=other.barcode)
        if request.headers.get("HX-Request"):
            return Response("", headers={"HX-Redirect": target})
        return redirect(target)
    if code.startswith("LC"):
        loc = storage.get_location(s, user, code)
        storage.move_box(s, user, b, loc)
        storage.note_scan(s, user, b)
        return _store_answer(barcode, {"kind": "moved", "location": loc}, None)
    record_refusal(access.OTHER_SITE)  # where another site's tube turned up is kept
    sp = access.get_scanned_specimen(s, user, code)
    was = storage.position_of(s, sp)
    was_path = storage.full_path(was) if was is not None else None
    # A warned deviation is acknowledged by the button, or by scanning the same tube again.
    pos = storage.store_scan(s, user, b, sp, f.get("position") or None,
                             acknowledge=bool(f.get("acknowledge")))
    return _store_answer(barcode, {"kind": "stored", "specimen": sp, "pos": pos,
                                   "was": was_path}, None)


def _use_answer(mode: str, result: dict[str, Any], error: BiobankError | None) -> Any:
    if request.headers.get("HX-Request"):
        return render_template("storage/_use_result.html", mode=mode, result=result,
                               error=error)
    return render_template("storage/use.html", mode=mode, result=result, error=error), \
        (error.status if error is not None else 200)


def _use_mode() -> str:
    mode = request.form.get("mode", "check_out")
    return mode if mode in {"check_out", "check_in"} else "check_out"


@bp.route("/use", methods=["GET", "POST"])
@login_required
@refusals(lambda exc: _use_answer(_use_mode(), {"mode": _use_mode()}, exc))
@retry_conflicts
def use() -> Any:
    """Check-out / check-in station: choose the mode, then scan tubes."""
    if request.method == "GET":
        return render_template("storage/use.html", mode=request.args.get("mode", "check_out"),
                               result=None, error=None)
    s = db_session()
    user = actor()
    # The role first: a user who may not move tubes learns that, not what a scan was.
    access.require_role(user, *storage.STORE_ROLES)
    f = USE.read()
    mode = f.get("mode") or "check_out"
    if mode not in {"check_out", "check_in"}:
        raise ValidationError(_("Choose check-out or check-in."), code="bad_mode")
    record_refusal(access.OTHER_SITE)  # where another site's tube turned up is kept
    sp = access.get_scanned_specimen(s, user, scanner.clean(f.get("code", "")))
    result: dict[str, Any] = {"mode": mode, "specimen": sp}
    if mode == "check_out":
        result["pos"] = storage.check_out(s, user, sp, f.get("reason", "").strip() or None)
    else:
        done = storage.check_in(
            s, user, sp, warning_limit=current_app.config["FREEZE_THAW_WARNING_LIMIT"])
        result.update(pos=done.position, count=done.freeze_thaw_count, warning=done.warning)
    return _use_answer(mode, result, None)


def _rack_text() -> str:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(storage.MAX_RACK_TEXT + 1)
        if len(raw) > storage.MAX_RACK_TEXT:
            raise ValidationError(_("The rack file is too large."), code="too_large")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(_("The rack file is not UTF-8 text."),
                                  code="bad_encoding") from exc
        # The file's text meets the same rules as a pasted one.
        return str(RACK_IMPORT.specs["csv"].clean("file", text))
    return str(RACK_IMPORT.read().get("csv", ""))


def _rack_refused(exc: BiobankError) -> Any:
    text = request.form.get("csv", "") if not isinstance(exc, FieldError) else ""
    return render_template("storage/rack_import.html", diff=None, text=text,
                           error=exc), exc.status


# A refusal the view's own refusal page does not see (the request-wide check runs first)
# still answers with the screen, the refusal in its result area.
STORE.shown_on(lambda exc, barcode: _store_answer(barcode, {}, exc), summary=False)
USE.shown_on(lambda exc: _use_answer(_use_mode(), {"mode": _use_mode()}, exc), summary=False)
RACK_IMPORT.shown_on(lambda exc: _rack_refused(exc), summary=False)
# Applying is refused with the pasted text kept, so it can be compared again.
RACK_APPLY.shown_on(lambda exc: render_template(
    "storage/rack_import.html", diff=None, error=exc,
    text=request.form.get("csv", "") if not isinstance(exc, FieldError) else ""),
    summary=False)


@bp.route("/rack-import", methods=["GET", "POST"])
@login_required
@refusals(_rack_refused)
def rack_import() -> Any:
    if request.method == "GET":
        return render_template("storage/rack_import.html", diff=None, text="", error=None)
    text = _rack_text()
    diff = storage.rack_diff(db_session(), actor(), text)
    return render_template("storage/rack_import.html", diff=diff, text=text, error=None)


@bp.route("/rack-import/apply", methods=["POST"])
@login_required
@retry_conflicts
def rack_apply() -> Any:
    s = db_session()
    f = RACK_APPLY.read()
    diff = storage.apply_rack(s, actor(), f.get("csv", ""), f.get("fingerprint", ""),
                              acknowledge=bool(f.get("acknowledge")))
    flash(_("Rack file applied: %(moved)d moved, %(new)d stored, %(missing)d missing.",
            moved=len(diff.moved), new=len(diff.new), missing=len(diff.missing)), "success")
    first = diff.boxes[0].barcode if diff.boxes else None
    return redirect(url_for(".box", barcode=first) if first else url_for(".index"))


@bp.route("/reports/completeness")
@login_required
def completeness() -> str:
    return render_template("storage/completeness.html",
                           report=reports.completeness(db_session(), actor()))


@bp.route("/inventory.csv")
@login_required
def inventory() -> Response:
    s = db_session()
    user = actor()
    # Built before the request's session closes (a streamed body would outlive it).
    body = "".join(reports.inventory_csv(s, user, csv_heading))
    return Response(
        body, mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=freezer-inventory.csv"})


@bp.route("/specimens/<barcode>/fhir.json")
@login_required
def fhir(barcode: str) -> Response:
    s = db_session()
    user = actor()
    sp = access.get_specimen(s, user, barcode)
    body = json.dumps(reports.fhir_specimen(s, user, sp), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/fhir+json",
                    headers={"Content-Disposition":
                             f"attachment; filename=Specimen-{sp.barcode}.json"})
