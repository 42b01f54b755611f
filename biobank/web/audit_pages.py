"""The audit trail for monitors and admins: read (filtered, paged), verify and export."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request, stream_with_context
from werkzeug.datastructures import MultiDict

from .. import inputs, localtime
from ..errors import FieldError, ValidationError
from ..inputs import DateTime, Integer, Spec, Text
from ..services import audit
from . import csv_heading
from .auth import actor, roles_required
from .boundary import form
from .genotyping_sources import field_errors
from .transaction import db_session

bp = Blueprint("audit", __name__, url_prefix="/audit")
AUDIT_ROLES = ("monitor", "admin")
VERIFY = form("audit.verify")
PAGE_SIZE = 50
#: The filter, read from the query string (a GET form: bookmarkable, and the CSV link carries
#: the same one). Lengths are the columns'.
FILTER: dict[str, Spec] = {
    "actor": Text(64), "action": Text(48), "entity_type": Text(32), "entity_id": Text(64),
    "since": DateTime(), "until": DateTime(), "before": Integer(), "after": Integer(),
}
FILTER_FIELDS = ("actor", "action", "entity_type", "entity_id", "since", "until")


def _day(name: str, text: str, tz: str | None) -> datetime:
    """The start of the local day typed (a time, if typed, is ignored: the filter is by day)."""
    day = localtime.parse_local_date(text)
    return localtime.parse_local(day.isoformat(), tz, default_time=time(0), field=name)


def read_filter(args: MultiDict[str, str]) -> tuple[audit.Filter, dict[str, Any]]:
    """The monitor's filter from the query string: dates are local days at the user's site
    (from the start of ``since`` to the end of ``until``). Refusals name their field."""
    values = inputs.read(FILTER, {k: args.get(k, "") for k in FILTER}, json=False)
    tz = actor().site.timezone
    since = until = None
    errors: list[FieldError] = []
    for name in ("since", "until"):
        if not values.get(name):
            continue
        try:
            start = _day(name, values[name], tz)
        except ValidationError as exc:
            errors.append(FieldError("%(field)s: %(problem)s", field=name, problem=exc.message,
                                     code="bad_date"))
            continue
        if name == "since":
            since = start
        else:
            until = start + timedelta(days=1)
    if errors:
        raise FieldError.collect(errors)
    if since is not None and until is not None and until <= since:
        raise FieldError("%(field)s: the last day comes before the first", field="until",
                         code="bad_range")
    where = audit.Filter(
        actor=(values.get("actor") or "").strip(), action=(values.get("action") or "").strip(),
        entity_type=(values.get("entity_type") or "").strip(),
        entity_id=(values.get("entity_id") or "").strip(), since=since, until=until)
    return where, values


def _render(where: audit.Filter, values: dict[str, Any], result: audit.Page | None, *,
            verified: Any = None, errors: dict[str, str] | None = None,
            status: int = 200) -> tuple[str, int]:
    query = {k: request.args.get(k, "") for k in FILTER_FIELDS}
    query = {k: v for k, v in query.items() if v}
    return render_template(
        "audit.html", page=result, verified=verified, errors=errors or {},
        other_errors=[m for k, m in (errors or {}).items() if k not in FILTER_FIELDS],
        values={k: request.args.get(k, "") for k in FILTER_FIELDS}, query=query,
        choices=audit.choices(db_session()),
        filtered=bool(query)), status


@bp.route("/")
@roles_required(*AUDIT_ROLES)
def index() -> tuple[str, int]:
    try:
        where, values = read_filter(request.args)
    except ValidationError as exc:
        # The form again with the refusal beside its field and what was typed kept.
        return _render(audit.Filter(), {}, None, errors=field_errors(exc, {}), status=422)
    result = audit.page(db_session(), where, before=values.get("before"),
                        after=values.get("after"), size=PAGE_SIZE)
    return _render(where, values, result)


@bp.route("/verify", methods=["POST"])
@roles_required(*AUDIT_ROLES)
def verify() -> tuple[str, int]:
    count, problems = audit.verify(db_session())
    where = audit.Filter()
    return _render(where, {}, audit.page(db_session(), where, size=PAGE_SIZE),
                   verified=(count, problems))


@bp.route("/export.csv")
@roles_required(*AUDIT_ROLES)
def export() -> Response:
    where, _values = read_filter(request.args)
    rows = audit.export_csv(db_session, where, csv_heading)
    return Response(stream_with_context(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv"})
