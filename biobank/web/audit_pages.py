"""The audit trail for monitors and admins: read, verify and export."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context
from sqlalchemy import select

from ..models import AuditEvent
from ..services import audit
from . import csv_heading
from .auth import roles_required
from .boundary import form
from .transaction import db_session

bp = Blueprint("audit", __name__, url_prefix="/audit")
AUDIT_ROLES = ("monitor", "admin")
VERIFY = form("audit.verify")


@bp.route("/")
@roles_required(*AUDIT_ROLES)
def index() -> str:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows = db_session().execute(
        select(AuditEvent).order_by(AuditEvent.id.desc()).limit(100).offset((page - 1) * 100)
    ).scalars().all()
    return render_template("audit.html", rows=rows, page=page, verified=None)


@bp.route("/verify", methods=["POST"])
@roles_required(*AUDIT_ROLES)
def verify() -> str:
    count, problems = audit.verify(db_session())
    rows = db_session().execute(
        select(AuditEvent).order_by(AuditEvent.id.desc()).limit(100)
    ).scalars().all()
    return render_template("audit.html", rows=rows, page=1, verified=(count, problems))


@bp.route("/export.csv")
@roles_required(*AUDIT_ROLES)
def export() -> Response:
    rows = audit.export_csv(db_session, csv_heading)
    return Response(stream_with_context(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})
