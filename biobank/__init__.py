"""The MEN1 trial biobank: Flask application factory."""

from __future__ import annotations

import gc
import logging
import os
import runpy
from typing import Any

from flask import Flask

from .config import Defaults, from_environment
from .db import Database

__all__ = ["create_app"]
__version__ = "0.1.0"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Defaults)
    instance_config = os.path.join(app.instance_path, "config.py")
    if os.path.exists(instance_config):
        # Plain Python, like Flask's from_pyfile, but only upper-case names are taken.
        values = runpy.run_path(instance_config)
        app.config.update({k: v for k, v in values.items() if k.isupper()})
    from_environment(app.config)
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "biobank.db")

    app.extensions["biobank.db"] = Database(
        app.config["DATABASE_URL"], busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    logging.getLogger("biobank").setLevel(logging.INFO)

    from .cli import register_cli
    from .web import init_web

    init_web(app)
    register_cli(app)
    from . import queue

    queue.init_app(app)
    if app.config["GC_FREEZE_AT_START"] and not app.testing:
        gc.freeze()
    return app


def get_db(app: Flask) -> Database:
    db: Database = app.extensions["biobank.db"]
    return db
