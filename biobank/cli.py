"""Operator commands: ``flask --app biobank <command>``. Each runs one transaction through the
same services as the web; errors print one line and exit non-zero."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import get_db, migrate
from .errors import BiobankError
from .models import User
from .services import audit, demo, users


@contextmanager
def _transaction() -> Iterator[Session]:
    try:
        with get_db(current_app).transaction() as session:
            yield session
    except BiobankError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations (creates the database if it does not exist)."""
    engine = get_db(current_app).engine
    migrate.upgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo trial, sites, users and participants (idempotent)."""
    with _transaction() as session:
        report = demo.seed_demo(session, current_app.config["DEMO_PASSWORD"])
    click.echo("demo data loaded" if report.created else "demo data already present; unchanged")
    click.echo(f"demo logins (password: {current_app.config['DEMO_PASSWORD']}):")
    for username, role, site in report.users:
        click.echo(f"  {username:<12} {role:<12} {site}")


@click.command("create-user")
@click.argument("username")
@click.option("--name", "display_name", required=True)
@click.option("--role", required=True, type=click.Choice(
    ["technician", "pathologist", "coordinator", "monitor", "admin"]))
@click.option("--site", "site_code", required=True)
@click.password_option()
@with_appcontext
def create_user(username: str, display_name: str, role: str, site_code: str,
                password: str) -> None:
    """Create a user at a site with a role."""
    with _transaction() as session:
        user = users.create_user(session, None, username=username, display_name=display_name,
                                 role=role, site_code=site_code, password=password)
        click.echo(f"created {user.username} ({role} at {site_code})")


@click.command("create-token")
@click.argument("username")
@click.option("--name", required=True, help="what the token is for (instrument, script)")
@with_appcontext
def create_token(username: str, name: str) -> None:
    """Create an API token for a user; the token is printed once."""
    with _transaction() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        plaintext, _t = users.create_token(session, user, user, name)
    click.echo(plaintext)


@click.command("unlock-user")
@click.argument("username")
@with_appcontext
def unlock_user(username: str) -> None:
    """Clear every sign-in and e-signature back-off of an account, from every address (the
    back-off policy: docs/RELIABILITY.md). Audited as ``user.unlock``."""
    with _transaction() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        users.unlock(session, None, user)
    click.echo(f"{username}: every back-off cleared")


@click.command("verify-audit")
@with_appcontext
def verify_audit() -> None:
    """Check the audit trail's hash chain; exit 1 naming each edited or deleted row."""
    session = get_db(current_app).session(write=False)
    try:
        count, problems = audit.verify(session)
    finally:
        session.close()
    if problems:
        for p in problems:
            click.echo(p.message, err=True)
        click.echo(f"audit trail BROKEN: {len(problems)} problem(s) in {count} rows", err=True)
        sys.exit(1)
    click.echo(f"audit trail intact: {count} rows verified")


@click.command("enrollment-gate")
@click.argument("code")
@click.option("--as", "username", default="admin", show_default=True,
              help="the user whose site scoping applies")
@click.option("--json", "as_json", is_flag=True, help="print the API's JSON")
@with_appcontext
def enrollment_gate(code: str, username: str, as_json: bool) -> None:
    """May this participant enrol? The decision and every criterion with its source."""
    import json

    from .services import enrollment

    with _transaction() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        gate = enrollment.gate_for(session, user, code)
    if as_json:
        click.echo(json.dumps(gate.as_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{gate.participant}: {gate.decision}")
    for c in gate.criteria:
        click.echo(f"  [{c.status:<8}] {c.name}: {c.detail} (source: {c.source})")
    if gate.missing:
        click.echo(f"missing: {', '.join(c.name for c in gate.missing)}")


@click.command("reclassify")
@click.option("--apply", "apply_", is_flag=True,
              help="record each difference as a re-review suggestion (audited)")
@with_appcontext
def reclassify(apply_: bool) -> None:
    """Rerun the MEN1 engine on every classified analysis and list what it would now classify
    differently from the review (a dry run unless --apply). Signed reports are not changed."""
    from .services import genotyping, rereview

    settings = genotyping.Settings.from_config(current_app.config, current_app.instance_path)

    def progress(n: int, total: int) -> None:
        click.echo(f"\rrerunning {n}/{total}", nl=False, err=True)

    with _transaction() as session:
        findings = rereview.reclassify(session, settings, apply=apply_, progress=progress)
    click.echo("", err=True)
    changed = [f for f in findings if f.error is None]
    for f in findings:
        where = f"analysis {f.analysis_id} ({f.participant}"
        where += f", signed version {f.version})" if f.version else ", not signed)"
        if f.error is not None:
            click.echo(f"{where}: cannot rerun: {f.error}", err=True)
            continue
        click.echo(where)
        for d in f.differences:
            what = d["hgvs_c"] or "MEN1 status"
            click.echo(f"  {what} {d['field']}: engine then {d['engine_then'] or '-'}, now "
                       f"{d['now'] or '-'} (reviewed {d['reviewed'] or '-'})")
    verb = "recorded as re-review suggestions" if apply_ else "would be suggested for re-review"
    click.echo(f"{len(changed)} analysis(es) {verb}; "
               f"{sum(1 for f in findings if f.error)} could not be rerun"
               + ("" if apply_ else "; run with --apply to record them"))


@click.command("site-contact")
@click.option("--site", "site_code", required=True)
@click.option("--address", help="postal address; separate lines with '|' or newlines")
@click.option("--contact", help="the desk or person couriers ask for (no participant data)")
@click.option("--phone")
@click.option("--email")
@click.option("--as", "username", default="admin", show_default=True,
              help="the administrator recorded in the audit trail")
@with_appcontext
def site_contact(site_code: str, address: str | None, contact: str | None, phone: str | None,
                 email: str | None, username: str) -> None:
    """Record a site's postal address and package contact (the shipping label's sender and
    recipient); audited."""
    from .services import labels

    values = {k: v for k, v in (("address", address.replace("|", "\n") if address else None),
                                ("contact_name", contact), ("contact_phone", phone),
                                ("contact_email", email)) if v is not None}
    with _transaction() as session:
        actor = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if actor is None:
            raise click.ClickException(f"no user {username!r}")
        site = labels.set_site_contact(session, actor, site_code, **values)
        click.echo(f"{site.code}: " + " / ".join(site.address.splitlines())
                   + f"; {site.contact_name} {site.contact_phone} {site.contact_email}")


@click.command("worker")
@click.option("--processes", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (each classifies one job at a time).")
@with_appcontext
def worker(processes: int) -> None:
    """Run classification jobs from the queue until stopped (TERM/INT finish the running job
    first). Start one per machine that classifies; see docs/DEPLOY.md."""
    from . import queue
    from . import worker as worker_module

    # One line per job step on stderr (journald under systemd); job ids only, no clinical data.
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = queue.queue_url(app.config, app.instance_path)
    # Before the processes start, so that they inherit it: classification is batch work and
    # yields the CPU to the app's requests on a shared host (the heartbeat needs little).
    nice = os.nice(int(app.config["WORKER_NICE"]))  # 0: unchanged; returns the new niceness
    click.echo(f"worker: {processes} process(es) on queue {url.split('://', 1)[0]}, "
               f"lease {app.config['JOBS_LEASE_SECONDS']} s, nice {nice}; stop with Ctrl-C")
    worker_module.run(app, processes)


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_group)
    for cmd in (seed_demo, create_user, create_token, unlock_user, verify_audit, enrollment_gate,
                reclassify, site_contact, worker):
        app.cli.add_command(cmd)
