"""Test-only entry points for the multi-process deployment test: the app for gunicorn
(``tests.biobank.reliability.deploy_procs:make()``) and a worker process
(``python -m tests.biobank.reliability.deploy_procs``) whose engine takes ENGINE_DELAY_SECONDS
longer, so that the test can SIGKILL it in the middle of a job. The instance folder is
DEPLOY_INSTANCE; everything else comes from BIOBANK_* variables, as in a deployment."""

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


def main() -> None:
    from biobank import worker
    from biobank.services import genotyping

    app = make()
    delay = float(os.environ.get("ENGINE_DELAY_SECONDS", "0"))
    real = genotyping.run_engine

    def slow(*args: Any, **kw: Any) -> Any:
        time.sleep(delay)
        return real(*args, **kw)

    genotyping.run_engine = slow  # type: ignore[assignment]
    worker.run(app)


if __name__ == "__main__":
    main()
