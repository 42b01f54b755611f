"""Label pages: a visit kit's labels, one object's label (preview, print, reprint with a
reason), aliquots with their label, and PDF / site-printer output.

Links other areas may use: ``url_for("labels.pdf", kind="boxes", code=...)`` (a GET that
prints the PDF, first print only; a reprint is sent to the label page for its reason) and
``url_for("labels.label_page", kind=..., code=...)``; kinds are specimens, boxes, shipments
and locations.
"""

from __future__ import annotations

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
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

import labels as lib

from .. import get_db
from ..errors import BiobankError, FieldError, NotFound
from ..inputs import Choice, Flag, Integer, Text, TextList
from ..models import AuditEvent, Specimen, User
from ..services import access, specimens, trial
from ..services import labels as service
from . import translate_message
from .auth import actor, login_required
from .boundary import form
from .transaction import SAFE_METHODS, db_session, refusals

bp = Blueprint("labels", __name__, url_prefix="/labels")

#: URL word -> ID prefix of the objects it names.
KINDS = {"specimens": "SP", "boxes": "BX", "shipments": "SH", "locations": "LC"}
_KIND_RULE = "<any(specimens, boxes, shipments, locations):kind>"
PRINT = form("labels.print_form", code=TextList(Text(64), max_items=service.MAX_LABELS),
             fmt=Choice(("pdf", "printer")), stock=Text(64), reason=Text(500), next=Text(2000),
             start_row=Integer(low=1, high=99), start_column=Integer(low=1, high=99),
             kit=Flag())
ALIQUOT = form("labels.aliquot", quantity=specimens.QUANTITY, take=specimens.QUANTITY,
               specimen_type=Text(32), container=Text(32), unit=Text(8))


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
               reason: str | None, start: tuple[int | None, int | None] = (None, None),
               kit: bool = False) -> service.PrintJob:
    settings = printer_settings()
    if fmt == "printer":
        stock = settings["stock"]
    return service.print_labels(
        s, user, codes, fmt=fmt, stock=stock, reason=reason, dpi=settings["dpi"],
        timeout=settings["timeout"], start=start, kit=kit,
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


def _back() -> str:
    return _safe_next(request.form.get("next"), url_for("main.index"))


def _printer_refused(exc: BiobankError, user: User) -> Response:
    back = _back()
    flash(_("The label printer did not take the job: %(reason)s. Nothing was printed; "
            "download the PDF instead.", reason=translate_message(exc.message)), "error")
    return redirect(back + ("&" if "?" in back else "?") + "printer_failed=1")


def _print_page(exc: BiobankError) -> Any:
    """The page the print form was sent from (its ``next``: a visit kit or a label page),
    shown again with the refusal beside its field and the choices kept; a print form sent
    from anywhere else gets the error page."""
    try:
        endpoint, args = current_app.url_map.bind("").match(_back(), method="GET")
    except HTTPException:
        raise exc from None
    if endpoint not in {"labels.kit", "labels.label_page"}:
        raise exc
    return current_app.view_functions[endpoint](**args)


PRINT.shown_on(_print_page, reason_required="reason", unknown_stock="stock",
               bad_format="fmt", empty="code", too_many="code")


@bp.route("/print", methods=["POST"])
@login_required
def print_form() -> Response:
    """The print forms' target: a PDF download, or the job sent to the site's printer."""
    user = actor()
    access.require_write(user)  # before the form is read: a read-only role gets 403
    return _print(user)


# A printer that did not take the job sends the user back to download the PDF; any other
# refusal shows the form again with its message beside the field (web/errors.py).
@refusals(_printer_refused, when=lambda exc: isinstance(exc, service.PrinterUnavailable))
def _print(user: User) -> Response:
    f = PRINT.read()
    codes = f.get("code") or []
    fmt = f.get("fmt") or "pdf"
    if not codes:
        raise FieldError("Select at least one label to print.", field="code",
                         code="required")
    job = _run_print(db_session(), user, codes, fmt, f.get("stock"), f.get("reason"),
                     (f.get("start_row"), f.get("start_column")), bool(f.get("kit")))
    if fmt == "printer":
        flash(_("Sent %(n)d labels to the printer %(printer)s.", n=len(job.targets),
                printer=job.printer or ""), "success")
        return redirect(_back())
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
    return _print_one(s, user, kind, code)


def _reprint_needs_reason(exc: BiobankError, s: Session, user: User, kind: str,
                          code: str) -> Response:
    flash(_("This label was printed before: give a reason for the reprint."), "info")
    return redirect(url_for(".label_page", kind=kind, code=code))


@refusals(_reprint_needs_reason, when=lambda exc: exc.code == "reason_required")
def _print_one(s: Session, user: User, kind: str, code: str) -> Response:
    job = _run_print(s, user, [code], "pdf", request.args.get("stock"),
                     request.args.get("reason"))
    return _download(job)


@bp.route("/shipments/<code>/shipping-label.<any(pdf, zpl):fmt>")
@login_required
def shipping_label(code: str, fmt: str) -> Response:
    """The outer package's shipping label: an A6 PDF, or ZPL for a 100 × 150 mm (4 × 6 in)
    thermal printer at the site printer's dpi. Every print is recorded."""
    code = _code_for("shipments", code)
    access.require_write(actor())
    s, user = _write_session()
    cfg = current_app.config
    job = service.shipping_label(
        s, user, code, fmt, dpi=printer_settings()["dpi"],
        cjk_font=cfg.get("LABEL_PRINTER_CJK_FONT") or None)
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


@bp.route("/specimens/<code>/aliquot", methods=["POST"])
@login_required
def aliquot(code: str) -> Response:
    """Create an aliquot or derivative of a specimen and offer its label."""
    s = db_session()
    user = actor()
    parent = access.get_specimen(s, user, code)
    # Before the form: a read-only role is a 403, not a form error to correct.
    access.require_write(user)
    return _derive(s, user, parent)


ALIQUOT.shown_on(lambda exc, code: current_app.view_functions["specimens.detail"](barcode=code),
                 invalid="quantity", insufficient_quantity="take")


def _derive(s: Session, user: User, parent: Specimen) -> Response:
    f = ALIQUOT.read()
    quantity = f.get("quantity")
    if quantity is None:
        raise FieldError("%(field)s is required", field="quantity", code="required")
    child = specimens.create_derivative(
        s, user, parent, specimen_type=f.get("specimen_type", ""),
        container=f.get("container", ""), quantity=quantity, unit=f.get("unit", ""),
        take=f.get("take"))
    flash(_("Aliquot %(code)s created from %(parent)s; print its label below.",
            code=child.barcode, parent=parent.barcode), "success")
    return redirect(url_for(".label_page", kind="specimens", code=child.barcode))
