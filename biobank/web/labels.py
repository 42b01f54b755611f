"""Label pages: a visit kit's labels, one object's label (preview, print, reprint with a
reason), aliquots with their label, and PDF / site-printer output.

Links other areas may use: ``url_for("labels.pdf", kind="boxes", code=...)`` (a GET that
prints the PDF, first print only; a reprint is sent to the label page for its reason) and
``url_for("labels.label_page", kind=..., code=...)``; kinds are specimens, boxes, shipments
and locations.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

import labels as lib

from .. import get_db
from ..errors import BiobankError, NotFound, ValidationError
from ..models import AuditEvent, User
from ..services import access, specimens, trial
from ..services import labels as service
from . import translate_message
from .auth import actor, login_required
from .transaction import SAFE_METHODS, db_session

bp = Blueprint("labels", __name__, url_prefix="/labels")

#: URL word -> ID prefix of the objects it names.
KINDS = {"specimens": "SP", "boxes": "BX", "shipments": "SH", "locations": "LC"}
_KIND_RULE = "<any(specimens, boxes, shipments, locations):kind>"


def printer_settings() -> dict[str, Any]:
    cfg = current_app.config
    return {
        "dpi": int(cfg.get("LABEL_PRINTER_DPI", service.DEFAULT_PRINTER_DPI)),
        "stock": str(cfg.get("LABEL_PRINTER_STOCK", service.DEFAULT_PRINTER_STOCK)),
        "timeout": float(cfg.get("LABEL_PRINTER_TIMEOUT", service.DEFAULT_PRINTER_TIMEOUT)),
    }


def _code_for(kind: str, code: str) -> str:
    code = code.strip().upper()
    if not code.startswith(KINDS[kind]):
        raise NotFound(_("No such label."))
    return code


def _safe_next(target: str | None, fallback: str) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return fallback


def _download(job: service.PrintJob) -> Response:
    resp = Response(job.content, mimetype=job.mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _write_session() -> tuple[Session, User]:
    """A GET print link records the print: move this request to a write session (BEGIN
    IMMEDIATE on SQLite) so the audit append cannot meet a stale read snapshot. The request's
    one commit point (transaction.py) still commits or rolls it back."""
    user_id = actor().id
    if request.method in SAFE_METHODS:
        old: Session | None = g.pop("db_session", None)
        if old is not None:
            old.close()
        g.db_session = get_db(current_app).session(write=True)
    s = db_session()
    user = s.get(User, user_id)
    assert user is not None
    return s, user


def _run_print(s: Session, user: User, codes: list[str], fmt: str, stock: str | None,
               reason: str | None) -> service.PrintJob:
    settings = printer_settings()
    if fmt == "printer":
        stock = settings["stock"]
    return service.print_labels(
        s, user, codes, fmt=fmt, stock=stock, reason=reason, dpi=settings["dpi"],
        timeout=settings["timeout"],
    )


@bp.route("/kits/<code>/<visit_code>")
@login_required
def kit(code: str, visit_code: str) -> str:
    s = db_session()
    user = actor()
    p = access.get_participant(s, user, code)
    visit = trial.get_visit(s, visit_code)
    kit_specimens = service.kit_specimens(s, user, p, visit)
    targets = [service.LabelTarget(x.barcode, "specimen", service.spec_for_specimen(x))
               for x in kit_specimens]
    printed = service.printed_before(s, targets)
    return render_template(
        "labels/kit.html", participant=p, visit=visit, specimens=kit_specimens,
        printed=printed, stocks=lib.STOCKS, default_stock=service.DEFAULT_PDF_STOCK,
        printer=service.printer_of(user.site),
    )


@bp.route("/print", methods=["POST"])
@login_required
def print_form() -> Response:
    """The print forms' target: a PDF download, or the job sent to the site's printer."""
    s = db_session()
    user = actor()
    access.require_write(user)  # before the form is read: a read-only role gets 403
    codes = request.form.getlist("code")
    fmt = request.form.get("fmt", "pdf")
    back = _safe_next(request.form.get("next"), url_for("main.index"))
    if fmt not in ("pdf", "printer"):
        raise ValidationError(_("Choose PDF or printer."))
    if not codes:
        flash(_("Select at least one label to print."), "error")
        return redirect(back)
    try:
        job = _run_print(s, user, codes, fmt, request.form.get("stock"),
                         request.form.get("reason"))
    except service.PrinterUnavailable as exc:
        s.rollback()
        flash(_("The label printer did not take the job: %(reason)s. Nothing was printed; "
                "download the PDF instead.", reason=translate_message(exc.message)), "error")
        return redirect(back + ("&" if "?" in back else "?") + "printer_failed=1")
    except BiobankError as exc:
        s.rollback()
        if exc.code == "reason_required":
            flash(_("Some of these labels were printed before: give a reason for the reprint."),
                  "error")
        else:
            flash(translate_message(exc.message), "error")
        return redirect(back)
    if fmt == "printer":
        flash(_("Sent %(n)d labels to the printer %(printer)s.", n=len(job.targets),
                printer=job.printer or ""), "success")
        return redirect(back)
    return _download(job)


@bp.route(f"/{_KIND_RULE}/<code>.pdf")
@login_required
def pdf(kind: str, code: str) -> Response:
    """One label as a PDF (a link other pages may use). A first print is recorded; a reprint
    needs ``reason`` (otherwise the label page asks for one)."""
    code = _code_for(kind, code)
    # A role that may not print is refused before this GET takes the write lock.
    access.require_write(actor())
    s, user = _write_session()
    reason = request.args.get("reason")
    try:
        job = _run_print(s, user, [code], "pdf", request.args.get("stock"), reason)
    except ValidationError as exc:
        if exc.code != "reason_required":
            raise
        s.rollback()
        flash(_("This label was printed before: give a reason for the reprint."), "info")
        return redirect(url_for(".label_page", kind=kind, code=code))
    return _download(job)


@bp.route(f"/{_KIND_RULE}/<code>.png")
@login_required
def preview(kind: str, code: str) -> Response:
    """A PNG preview of one label (nothing is recorded)."""
    code = _code_for(kind, code)
    png = service.preview_png(db_session(), actor(), code, request.args.get("stock"))
    return _preview_response(png, "image/png")


@bp.route(f"/{_KIND_RULE}/<code>.svg")
@login_required
def preview_svg(kind: str, code: str) -> Response:
    """An SVG preview of one label (nothing is recorded)."""
    code = _code_for(kind, code)
    svg = service.preview_svg(db_session(), actor(), code, request.args.get("stock"))
    return _preview_response(svg, "image/svg+xml")


def _preview_response(body: bytes | str, mimetype: str) -> Response:
    # Previews record nothing and change only when the label does: let the browser keep them.
    resp = Response(body, mimetype=mimetype)
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp


@bp.route(f"/{_KIND_RULE}/<code>")
@login_required
def label_page(kind: str, code: str) -> str:
    code = _code_for(kind, code)
    s = db_session()
    user = actor()
    (target,) = service.label_specs_for_codes(s, user, [code])
    prints = list(s.execute(
        select(AuditEvent).where(
            AuditEvent.entity_type == target.entity_type, AuditEvent.entity_id == code,
            AuditEvent.action.in_(service.PRINT_ACTIONS),
        ).order_by(AuditEvent.id)
    ).scalars())
    specimen = access.get_specimen(s, user, code) if kind == "specimens" else None
    return render_template(
        "labels/label.html", kind=kind, code=code, target=target, specimen=specimen,
        prints=prints, stocks=lib.STOCKS, default_stock=service.DEFAULT_PDF_STOCK,
        printer=service.printer_of(user.site),
    )


def _decimal(raw: str | None, what: str, *, required: bool) -> Decimal | None:
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise ValidationError(_("%(what)s is required.", what=what))
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(_("%(what)s: %(raw)s is not a number.", what=what, raw=raw[:20])
                              ) from None
    if not value.is_finite():
        raise ValidationError(_("%(what)s: %(raw)s is not a number.", what=what, raw=raw[:20]))
    return value


@bp.route("/specimens/<code>/aliquot", methods=["POST"])
@login_required
def aliquot(code: str) -> Response:
    """Create an aliquot or derivative of a specimen and offer its label."""
    s = db_session()
    user = actor()
    parent = access.get_specimen(s, user, code)
    # Outside the try: a read-only role is a 403, not a form error to correct.
    access.require_write(user)
    form = request.form
    try:
        quantity = _decimal(form.get("quantity"), _("Quantity"), required=True)
        take = _decimal(form.get("take"), _("Amount taken from the parent"), required=False)
        assert quantity is not None
        child = specimens.create_derivative(
            s, user, parent,
            specimen_type=form.get("specimen_type", ""),
            container=form.get("container", ""),
            quantity=quantity,
            unit=form.get("unit", ""),
            take=take,
        )
    except BiobankError as exc:
        s.rollback()
        flash(translate_message(exc.message), "error")
        return redirect(url_for("specimens.detail", barcode=parent.barcode))
    flash(_("Aliquot %(code)s created from %(parent)s; print its label below.",
            code=child.barcode, parent=parent.barcode), "success")
    return redirect(url_for(".label_page", kind="specimens", code=child.barcode))

