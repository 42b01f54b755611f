"""The one commit rule (web/transaction.py) and the error handler that cannot fail
(web/errors.py), on SQLite and PostgreSQL: a request commits when no exception escaped its
view, whatever its status; a refusal answered in place writes nothing; a view that must record
its refusal says so explicitly; every error answer comes in the client's format even when the
session is broken or the error page itself fails to render."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from biobank import create_app, get_db
from biobank.errors import Conflict, ValidationError
from biobank.models import AuditEvent, User
from biobank.services import audit
from biobank.web import boundary
from biobank.web.transaction import db_session, record_refusal, refusals
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[3]


def _audit_count(app: Flask) -> int:
    with get_db(app).session(write=False) as s:
        return int(s.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def _write() -> None:
    s = db_session()
    user = s.execute(select(User).where(User.username == "admin")).scalar_one()
    audit.record(s, user, "test.write", "test", "1", {"x": 1})
    s.flush()


@pytest.fixture
def probe_app(db_url: str, tmp_path: Path) -> Any:
    app = make_app(db_url, tmp_path, WTF_CSRF_ENABLED=False)

    @app.post("/_probe/escaped")
    def escaped() -> Any:
        _write()
        raise ValidationError("refused after a write")

    @app.post("/_probe/recorded")
    def recorded() -> Any:
        _write()
        record_refusal("recorded")
        raise Conflict("refused, and the refusal is a record", code="recorded")

    @app.post("/_probe/recorded-but-other-error")
    def recorded_other() -> Any:
        _write()
        record_refusal("recorded")
        raise Conflict("another refusal: its writes do not land", code="other")

    @app.post("/_probe/in-place")
    @refusals(lambda exc: ("refused in place", 200))
    def in_place() -> Any:
        _write()
        raise ValidationError("shown in place")

    @app.post("/_probe/ok-with-status")
    def ok_with_status() -> Any:
        _write()
        return "accepted with a 4xx status on purpose", 409

    @app.post("/api/v1/_probe/broken-session")
    def broken_session() -> Any:
        s = db_session()
        admin = s.execute(select(User).where(User.username == "admin")).scalar_one()
        try:  # a swallowed flush error leaves the session needing a rollback
            s.add(User(username="admin", display_name="x", password_hash="x", role="admin",
                       site_id=admin.site_id))
            s.flush()
        except IntegrityError:
            pass
        s.execute(select(User).limit(1)).first()  # PendingRollbackError
        return jsonify({})

    @app.post("/_probe/broken-session")
    def broken_session_page() -> Any:
        return broken_session()

    yield app
    get_db(app).dispose()


def test_an_exception_escaping_the_view_rolls_back_its_writes(probe_app: Flask) -> None:
    before = _audit_count(probe_app)
    assert probe_app.test_client().post("/_probe/escaped").status_code == 422
    assert _audit_count(probe_app) == before


def test_a_view_that_records_its_refusal_commits_it(probe_app: Flask) -> None:
    before = _audit_count(probe_app)
    assert probe_app.test_client().post("/_probe/recorded").status_code == 409
    assert _audit_count(probe_app) == before + 1


def test_a_flagged_view_still_rolls_back_any_other_refusal(probe_app: Flask) -> None:
    before = _audit_count(probe_app)
    assert probe_app.test_client().post("/_probe/recorded-but-other-error").status_code == 409
    assert _audit_count(probe_app) == before


def test_a_refusal_answered_in_place_with_200_writes_nothing(probe_app: Flask) -> None:
    before = _audit_count(probe_app)
    resp = probe_app.test_client().post("/_probe/in-place")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "refused in place"
    assert _audit_count(probe_app) == before


def test_the_status_code_does_not_decide_the_commit(probe_app: Flask) -> None:
    before = _audit_count(probe_app)
    assert probe_app.test_client().post("/_probe/ok-with-status").status_code == 409
    assert _audit_count(probe_app) == before + 1


def test_a_broken_session_still_gets_an_answer_in_the_clients_format(probe_app: Flask) -> None:
    api = probe_app.test_client().post("/api/v1/_probe/broken-session")
    assert api.status_code == 500 and api.mimetype == "application/json"
    assert api.json["error"]["code"] == "internal"
    page = probe_app.test_client().post("/_probe/broken-session")
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert 'data-outcome="internal"' in page.get_data(as_text=True)


def test_an_error_page_that_cannot_render_falls_back_to_a_plain_answer(
        probe_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import biobank.web.errors as errors

    def broken(*_a: Any, **_k: Any) -> str:
        raise RuntimeError("template broke")

    monkeypatch.setattr(errors, "render_template", broken)
    page = probe_app.test_client().post("/_probe/escaped")
    assert page.status_code == 422 and page.mimetype == "text/html"
    assert "refused after a write" in page.get_data(as_text=True)
    monkeypatch.setattr(errors, "jsonify", broken)
    api = probe_app.test_client().post("/api/v1/_probe/broken-session")
    assert api.status_code == 500 and api.json["error"]["code"] == "internal"


# --- static rules over the code -----------------------------------------------------------------
def _calls(path: Path, attr: str) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == attr]


def test_no_view_rolls_back_by_hand() -> None:
    found = [f"{p.relative_to(ROOT)}:{line}"
             for p in sorted((ROOT / "biobank" / "web").rglob("*.py"))
             if p.name != "transaction.py" for line in _calls(p, "rollback")]
    assert not found, found
    assert "commit_on_error" not in "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "biobank").rglob("*.py"))


def test_every_page_form_and_api_body_is_declared_in_the_registry() -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    writes = {rule.endpoint for rule in app.url_map.iter_rules()
              if (rule.methods or set()) & {"POST", "PUT", "PATCH"}}
    pages = {e for e in writes if not e.startswith("api.")}
    assert pages - set(boundary.FORMS) == set(), "page forms not declared"
    assert set(boundary.FORMS) <= {r.endpoint for r in app.url_map.iter_rules()}
    from biobank.web.api import openapi_document

    with_body = {op["operationId"] for ops in openapi_document()["paths"].values()
                 for op in ops.values() if "requestBody" in op}
    declared_api = {e.removeprefix("api.") for e in boundary.FORMS if e.startswith("api.")}
    # The upload is multipart (declared as a form), every other body is JSON.
    assert with_body == declared_api - {"upload_genotyping"}


def test_views_read_their_forms_through_the_registry() -> None:
    """``request.form.get(...)`` in a view would bypass the declared specs; only a refusal
    page re-showing what was typed may read the raw form."""
    allowed = {"_login_refused", "_rack_refused", "_back", "_use_mode", "_sources_refused",
               "_preanalytics_refused", "form_page", "_gate_page", "_resolve_page",
               "_confirm_refused", "_override_refused", "_action_page"}
    found = []
    for p in sorted((ROOT / "biobank" / "web").rglob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef) or fn.name in allowed:
                continue
            for node in ast.walk(fn):
                if (isinstance(node, ast.Attribute) and node.attr == "form"
                        and isinstance(node.value, ast.Name) and node.value.id == "request"
                        and p.name != "boundary.py"):
                    found.append(f"{p.relative_to(ROOT)}:{node.lineno} in {fn.name}")
    assert not found, found
