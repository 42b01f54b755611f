"""Operator commands through Flask's CLI runner, against the same services as the web."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, Participant, Specimen, User
from tests.conftest import make_app


def _counts(app: Flask) -> tuple[int, int, int, int]:
    with get_db(app).transaction() as s:
        return tuple(  # type: ignore[return-value]
            s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (User, Participant, Specimen, AuditEvent)
        )


def test_upgrade_and_seed_from_empty_is_idempotent(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    runner = app.test_cli_runner()
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0 and "database at revision" in up.output
    from biobank.migrate import current_revision

    head = current_revision(get_db(app).engine)
    assert head is not None and up.output.strip().endswith(head)
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "demo data loaded" in first.output
    assert "cb.tech" in first.output and "pathologist" in first.output
    counts = _counts(app)
    assert counts[0] == 8 and counts[1] == 12
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already present" in second.output
    assert _counts(app) == counts
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0


def test_create_user_and_token(app: Flask) -> None:
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["create-user", "lab.two", "--name", "Lab Two", "--role",
                             "technician", "--site", "S02", "--password", "long-enough-pw"])
    assert ok.exit_code == 0, ok.output
    dup = runner.invoke(args=["create-user", "lab.two", "--name", "Lab Two", "--role",
                              "technician", "--site", "S02", "--password", "long-enough-pw"])
    assert dup.exit_code == 1 and "already exists" in dup.output
    weak = runner.invoke(args=["create-user", "lab.three", "--name", "x", "--role",
                               "technician", "--site", "S02", "--password", "short"])
    assert weak.exit_code == 1 and "at least" in weak.output
    nosite = runner.invoke(args=["create-user", "lab.four", "--name", "x", "--role",
                                 "technician", "--site", "ZZ", "--password", "long-enough-pw"])
    assert nosite.exit_code == 1 and "no site" in nosite.output
    tok = runner.invoke(args=["create-token", "lab.two", "--name", "rack scanner"])
    assert tok.exit_code == 0
    token = tok.output.strip()
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json["username"] == "lab.two" and me.json["site"] == "S02"


def test_cli_errors_are_one_line(app: Any) -> None:
    r = app.test_cli_runner().invoke(args=["create-token", "ghost", "--name", "x"])
    assert r.exit_code != 0 and "no user 'ghost'" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(("args", "field"), [
    (["create-user", "lab.two", "--name", "x" * 201], "display_name"),
    (["create-user", "lab.two", "--name", "Lab \u202eTwo"], "display_name"),
    (["create-user", "lab.two", "--name", "Lab \x1b[2JTwo"], "display_name"),
    (["create-user", "l" * 65, "--name", "Lab Two"], "username"),
    (["create-token", "s01.tech", "--name", "scanner\x07"], "name"),
    (["create-token", "s01.tech", "--name", "x" * 101], "name"),
    (["site-contact", "--site", "S01", "--contact", "x" * 101], "contact_name"),
    (["site-contact", "--site", "S01", "--phone", "+86\u202e1234"], "contact_phone"),
    (["site-contact", "--site", "S01", "--address", "|".join(["x" * 99] * 5)], "address"),
])
def test_operator_commands_refuse_what_no_form_accepts(app: Flask, args: list[str],
                                                       field: str) -> None:
    """The input boundary holds for the operators' commands too (issue 15): one line naming
    the field, exit 1, nothing written; on PostgreSQL an overlong value was a DataError
    traceback, on SQLite it was stored."""
    from tests.biobank.helpers import row_counts

    if args[0] == "create-user":
        args = [*args, "--role", "technician", "--site", "S02", "--password", "long-enough-pw"]
    before = row_counts(app)
    r = app.test_cli_runner().invoke(args=args)
    assert r.exit_code == 1, (r.output, r.exception)
    assert r.output.startswith(f"error: {field}: ") and r.output.count("\n") == 1, r.output
    assert "Traceback" not in r.output
    assert row_counts(app) == before


def test_site_contact_lengths_are_the_columns() -> None:
    from biobank.models import Site
    from biobank.services import labels

    assert {
        name: Site.__table__.c[name].type.length  # type: ignore[attr-defined]
        for name in labels.SITE_CONTACT_FIELDS} == labels.SITE_CONTACT_LENGTHS
