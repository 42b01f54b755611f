"""Test-only entry points for the multi-process tests: the app for gunicorn
(``tests.biobank.reliability.deploy_procs:make()``), a worker process
(``python -m tests.biobank.reliability.deploy_procs``), and the app for the documented worker
command (``flask --app tests.biobank.reliability.deploy_procs:slow worker``). In the worker the
engine takes ENGINE_DELAY_SECONDS longer, so that a test can SIGKILL it in the middle of a
classification. The instance folder is DEPLOY_INSTANCE; everything else comes from BIOBANK_*
variables, as in a deployment."""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask

from biobank import create_app


def make() -> Flask:
    app = create_app()
    app.instance_path = os.environ["DEPLOY_INSTANCE"]
    return app


def slow() -> Flask:
    """The app whose engine first sleeps ENGINE_DELAY_SECONDS (this process only)."""
    from biobank.services import genotyping

    delay = float(os.environ.get("ENGINE_DELAY_SECONDS", "0"))
    real = genotyping.run_engine

    def delayed(*args: Any, **kw: Any) -> Any:
        time.sleep(delay)
        return real(*args, **kw)

    genotyping.run_engine = delayed  # type: ignore[assignment]
    return make()


def main() -> None:
    from biobank import worker

    worker.run(slow())


if __name__ == "__main__":
    main()
