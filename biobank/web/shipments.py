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

from ..errors import BiobankError, ValidationError
from ..models import Shipment, Site
from ..services import access, manifests
from ..services import shipments as svc
from . import scanner, select_locale
from .auth import actor, login_required
from .errors import security_log
from .transaction import db_session

bp = Blueprint("shipments", __name__, url_prefix="/shipments")


@bp.app_context_processor
def _vocab() -> dict[str, Any]:
    return {"ship_conditions": svc.CONDITIONS, "ship_damage": svc.DAMAGE,
            "ship_package": svc.PACKAGE_CONDITIONS, "ship_status": svc.STATUS_LABELS,
            "ship_resolutions": svc.RESOLUTIONS}


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


@bp.route("/", methods=["POST"])
@login_required
def create() -> Response:
    f = request.form
    sh = svc.create(db_session(), actor(), conditions=f.get("conditions", ""),
                    to_site=f.get("to") or None, courier=f.get("courier", ""),
                    tracking_number=f.get("tracking_number") or None,
                    logger_id=f.get("logger_id", ""),
                    planned_ship_at=f.get("planned_ship_at") or None)
    flash(_("Shipment %(code)s created: scan the tubes to pack.", code=sh.barcode), "success")
    return redirect(url_for(".detail", code=sh.barcode))


@bp.route("/receive", methods=["GET", "POST"])
@login_required
def receive_start() -> Any:
    """Scan the shipment's barcode on arrival: its receipt opens and the tube scanning starts."""
    if request.method == "GET":
        return render_template("shipments/receive_start.html", error=None)
    s = db_session()
    user = actor()
    try:
        # The role first: a user who may not receive learns that, not what a scan was.
        access.require_role(user, *svc.WRITE_ROLES)
        code = scanner.clean(request.form.get("code", ""))
        if not code.startswith("SH"):
            raise ValidationError(_("Scan the shipment's own barcode (SH…) first."),
                                  code="wrong_kind")
        sh = svc.get(s, user, code)
        svc.start_receipt(s, user, sh,
                          package_condition=request.form.get("package_condition") or "intact",
                          temperature=request.form.get("temperature") or None)
    except BiobankError as exc:
        security_log.warning("receipt refused (%s) user=%s", exc.code, user.username)
        s.rollback()
        if _hx():
            return render_template("shipments/_error.html", error=exc)
        return render_template("shipments/receive_start.html", error=exc), exc.status
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
    fields = {k: request.form.get(k) for k in
              ("conditions", "courier", "tracking_number", "logger_id", "planned_ship_at")
              if k in request.form}
    if fields.get("planned_ship_at") == "":
        fields.pop("planned_ship_at")
    if "tracking_number" in fields and not fields["tracking_number"]:
        fields.pop("tracking_number")
    svc.update_details(s, actor(), sh, **fields)
    flash(_("Details saved."), "success")
    return redirect(url_for(".detail", code=sh.barcode))


@bp.route("/<code>/pack", methods=["POST"])
@login_required
def pack(code: str) -> Any:
    """One scan while packing: a tube, or a box (all its tubes)."""
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    result: svc.PackResult | None = None
    error: BiobankError | None = None
    try:
        result = svc.pack(s, user, sh, scanner.clean(request.form.get("code", "")))
    except BiobankError as exc:
        security_log.warning("pack refused (%s) user=%s", exc.code, user.username)
        s.rollback()
        error = exc
        sh = svc.get(s, user, code)
    ctx = _context(sh)
    if _hx():
        return render_template("shipments/_pack_result.html", result=result, error=error,
                               oob=True, **ctx)
    return render_template("shipments/detail.html", result=result, error=error, **ctx), \
        (error.status if error else 200)


@bp.route("/<code>/action", methods=["POST"])
@login_required
def action(code: str) -> Response:
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    op = request.form.get("op", "")
    reason = request.form.get("reason", "")
    if op == "ready":
        svc.mark_ready(s, user, sh)
    elif op == "reopen":
        svc.reopen(s, user, sh)
    elif op == "ship":
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
        svc.unpack(s, user, sh, request.form.get("specimen", ""))
    else:
        raise ValidationError(_("Unknown action."))
    return redirect(url_for(".detail", code=sh.barcode))


@bp.route("/<code>/resolve", methods=["POST"])
@login_required
def resolve(code: str) -> Response:
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    specimen = request.form.get("specimen", "")
    svc.resolve(s, user, sh, specimen, request.form.get("reason", ""),
                request.form.get("action") or "noted")
    flash(_("Discrepancy on %(code)s resolved.", code=specimen), "success")
    target = request.form.get("next", "")
    if target == "queue":
        return redirect(url_for(".discrepancies"))
    return redirect(url_for(".detail", code=sh.barcode))


@bp.route("/<code>/receive", methods=["GET", "POST"])
@login_required
def receive(code: str) -> Any:
    """Tube-by-tube receiving. Scanning the shipment's own barcode again finishes the receipt
    (unscanned tubes become missing)."""
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    if request.method == "GET":
        return render_template("shipments/receive.html", result=None, error=None,
                               **_context(sh))
    result: svc.ReceiveResult | None = None
    error: BiobankError | None = None
    finished = False
    try:
        scanned = scanner.clean(request.form.get("code", ""))
        if scanned == sh.barcode:
            svc.finish_receipt(s, user, sh,
                               package_condition=request.form.get("package_condition") or None,
                               temperature=request.form.get("temperature") or None)
            finished = True
        else:
            result = svc.receive_scan(s, user, sh, scanned,
                                      damage=request.form.get("damage") or None)
    except BiobankError as exc:
        security_log.warning("receive refused (%s) user=%s", exc.code, user.username)
        s.rollback()
        error = exc
        sh = svc.get(s, user, code)
    if finished:
        flash(_("Receipt finished."), "success")
        target = url_for(".detail", code=sh.barcode)
        if _hx():
            return Response("", headers={"HX-Redirect": target})
        return redirect(target)
    ctx = _context(sh)
    if _hx():
        return render_template("shipments/_receive_result.html", result=result, error=error,
                               oob=True, **ctx)
    return render_template("shipments/receive.html", result=result, error=error, **ctx), \
        (error.status if error else 200)


@bp.route("/<code>/finish", methods=["POST"])
@login_required
def finish(code: str) -> Response:
    s = db_session()
    user = actor()
    sh = svc.get(s, user, code)
    svc.finish_receipt(s, user, sh,
                       package_condition=request.form.get("package_condition") or None,
                       temperature=request.form.get("temperature") or None)
    flash(_("Receipt finished."), "success")
    return redirect(url_for(".detail", code=sh.barcode))


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
    return Response(manifests.custody_csv(sp.barcode, events), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="custody-{sp.barcode}.csv"'})
