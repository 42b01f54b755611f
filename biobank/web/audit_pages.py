"""The audit trail for monitors and admins: read, verify and export."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, render_template, request, stream_with_context
from sqlalchemy import select

from ..models import AuditEvent
from ..services import audit
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
    def generate():  # type: ignore[no-untyped-def]
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["id", "at_utc", "actor", "action", "entity_type", "entity_id", "changes",
                    "reason", "prev_hash", "hash"])
        yield buf.getvalue()
        for row in db_session().execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
            buf.seek(0)
            buf.truncate()
            w.writerow([row.id, row.at.isoformat(), row.actor, row.action, row.entity_type,
                        row.entity_id, json.dumps(row.changes, sort_keys=True), row.reason or "",
                        row.prev_hash, row.hash])
            yield buf.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})
