"""A test-only app factory for the killed-worker tests (gunicorn loads
``tests.biobank.reliability.fault_app:make()``). It adds pauses INSIDE a request's
transaction, after real writes have been flushed and before the commit, and writes a marker
file when it gets there, so that the test can SIGKILL the worker at exactly that point.
Never imported by production code."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy import select

from biobank import create_app
from biobank.models import Site, Specimen, User
from biobank.services import audit, genotyping, specimens
from biobank.web.transaction import db_session

bp = Blueprint("fault_hooks", __name__, url_prefix="/_test")


def _pause(app: Flask, name: str) -> None:
    Path(app.instance_path, f"paused-{name}").write_text(str(os.getpid()))
    time.sleep(float(app.config.get("TEST_PAUSE_SECONDS", 60)))


@bp.route("/receive/<barcode>", methods=["POST"])
def receive(barcode: str) -> Any:
    """A receipt at the central biobank: status, custody event, audit and site change, all
    flushed; then the pause; then the commit (after the response)."""
    from flask import current_app

    s = db_session()
    user = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
    sp = s.execute(select(Specimen).where(Specimen.barcode == barcode)).scalar_one()
    cb = s.execute(select(Site).where(Site.code == "CB")).scalar_one()
    specimens.transition(s, user, sp, "receive", reason=request.form.get("reason"))
    audit.record(s, user, "specimen.custody", "specimen", sp.barcode,
                 {"site": [sp.site.code, "CB"]})
    sp.site_id = cb.id
    s.flush()
    _pause(current_app, "receive")
    return jsonify({"ok": True})


def make() -> Flask:
    app = create_app({"TEST_PAUSE_SECONDS": float(os.environ.get("TEST_PAUSE_SECONDS", "60")),
                      "WTF_CSRF_ENABLED": False})
    app.instance_path = os.environ["FAULT_INSTANCE"]
    app.register_blueprint(bp)
    # The upload: pause once the file is stored (moved to its final name and its row
    # flushed), before the request's commit.
    original = genotyping.store_file

    def store_then_pause(*args: Any, **kwargs: Any) -> Any:
        row = original(*args, **kwargs)
        _pause(app, "upload")
        return row

    genotyping.store_file = store_then_pause  # type: ignore[assignment]
    return app
