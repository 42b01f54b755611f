"""A worker killed (SIGKILL: no cleanup, no rollback handler) in the middle of a receipt or an
upload, after its writes were flushed and before the commit: nothing partial may remain in the
database (checked by SQL), the audit chain still verifies, the server keeps serving, and no
file is left behind in instance/uploads."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import (
    AuditEvent,
    GenotypingAnalysis,
    GenotypingFile,
    Specimen,
    SpecimenEvent,
    User,
)
from biobank.services import audit, specimens, users
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[3]


class Gunicorn:
    """The app under gunicorn with ONE sync worker, from the test-only factory."""

    def __init__(self, url: str, instance: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "BIOBANK_DATABASE_URL": url, "BIOBANK_SECRET_KEY": "t",
               "BIOBANK_SESSION_COOKIE_SECURE": "0", "FAULT_INSTANCE": str(instance),
               "TEST_PAUSE_SECONDS": "60"}
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.proc = subprocess.Popen(
            [gunicorn, "-w", "1", "--timeout", "120", "-b", f"127.0.0.1:{self.port}",
             "--chdir", str(ROOT), "tests.biobank.reliability.fault_app:make()"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/login", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Any:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    app = make_app(db_url, tmp_path)
    server = Gunicorn(db_url, instance)
    yield app, server, instance
    server.stop()
    get_db(app).dispose()


def _send_in_background(fn: Any) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(requests.RequestException):
            fn()  # the worker dies under it: the connection drops

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _kill_when_paused(instance: Path, name: str) -> None:
    marker = instance / f"paused-{name}"
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the request never reached its pause"
        time.sleep(0.05)
    os.kill(int(marker.read_text()), signal.SIGKILL)


def _counts(app: Any) -> dict[str, int]:
    with get_db(app).transaction() as s:
        return {m.__name__: s.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (AuditEvent, SpecimenEvent, GenotypingFile, GenotypingAnalysis)}


def test_worker_killed_mid_receipt_leaves_nothing_partial(served: Any) -> None:
    app, server, instance = served
    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        sp = s.execute(select(Specimen).where(Specimen.status == "collected")
                       .order_by(Specimen.id)).scalars().first()
        assert sp is not None
        specimens.transition(s, tech, sp, "ship")
        code, site_before = sp.barcode, sp.site_id
    before = _counts(app)
    t = _send_in_background(lambda: requests.post(f"{server.base}/_test/receive/{code}",
                                                  timeout=90))
    _kill_when_paused(instance, "receive")
    t.join(timeout=30)
    with get_db(app).transaction() as s:
        sp = s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
        assert (sp.status, sp.site_id) == ("in_transit", site_before)
        count, problems = audit.verify(s)
        assert problems == [] and count > 0
    assert _counts(app) == before
    # The master replaced the worker: the next request is served.
    server.wait_ready()


def _kill_mid_upload(app: Any, server: Any, instance: Path) -> dict[str, int]:
    """Upload a VCF through the API and SIGKILL the worker once the file is stored and its
    row flushed (before the commit); returns the table counts from before."""
    from tests.biobank.genotyping.conftest import (
        NORMAL_COL,
        TUMOR_COL,
        demo_specimens,
        germline_stop,
        mutect2_vcf,
        receive_at_central,
    )

    demo = demo_specimens(app)
    receive_at_central(app, [demo.blood, demo.tumour])
    with get_db(app).transaction() as s:
        path = s.execute(select(User).where(User.username == "pathologist")).scalar_one()
        token, _t = users.create_token(s, path, path, "fault")
    before = _counts(app)
    content = mutect2_vcf([germline_stop()])
    data = {"normal_specimen": demo.blood, "tumor_specimen": demo.tumour, "caller": "Mutect2",
            "caller_version": "4.2.4.1", "assay": "panel", "build": "GRCh38",
            "normal_sample": NORMAL_COL, "tumor_sample": TUMOR_COL}
    t = _send_in_background(lambda: requests.post(
        f"{server.base}/api/v1/participants/{demo.participant}/genotyping", data=data,
        files={"paired": ("pair.vcf", io.BytesIO(content))},
        headers={"Authorization": f"Bearer {token}"}, timeout=90))
    _kill_when_paused(instance, "upload")
    t.join(timeout=30)
    server.wait_ready()
    return before


def test_worker_killed_mid_upload_leaves_no_rows(served: Any) -> None:
    app, server, instance = served
    before = _kill_mid_upload(app, server, instance)
    assert _counts(app) == before
    with get_db(app).transaction() as s:
        assert audit.verify(s)[1] == []


def test_worker_killed_mid_upload_leaves_no_file(served: Any) -> None:
    app, server, instance = served
    if not str(get_db(app).url).startswith("sqlite"):
        pytest.skip("the file side does not depend on the database engine")
    _kill_mid_upload(app, server, instance)
    uploads = instance / "uploads"
    leftovers = sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []
    assert leftovers == [], f"files left in instance/uploads: {leftovers}"
