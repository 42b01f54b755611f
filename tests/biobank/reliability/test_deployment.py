"""A deployment on one machine (issue 18): two app servers (gunicorn) and two worker processes
on one PostgreSQL, sharing one upload directory. Twenty VCFs are uploaded at once across both
app servers; one worker is killed (SIGKILL) in the middle of a job. Every analysis is
classified exactly once, none is left queued or running, and the audit chain verifies."""

from __future__ import annotations

import http.client
import io
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, ClassificationJob, GenotypingVariant, User
from biobank.services import audit, users
from tests.biobank.genotyping.conftest import (
    NORMAL_COL,
    TUMOR_COL,
    demo_specimens,
    germline_stop,
    mutect2_vcf,
    receive_at_central,
)
from tests.conftest import PgDatabases, make_app

from .test_killed_worker import ROOT, Gunicorn

pytestmark = pytest.mark.postgres
UPLOADS = 20
LEASE_SECONDS = 4


class AppServer(Gunicorn):
    """gunicorn with two sync workers on the deployment's factory."""

    def __init__(self, env: dict[str, str]) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.proc = subprocess.Popen(
            [gunicorn, "-w", "2", "--timeout", "120", "-b", f"127.0.0.1:{self.port}",
             "--chdir", str(ROOT), "tests.biobank.reliability.deploy_procs:make()"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_ready()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.biobank.reliability.deploy_procs"],
                            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def vcf(i: int) -> bytes:
    """Twenty different files (a header line tells them apart) with the same finding."""
    text = mutect2_vcf([germline_stop()]).decode()
    return text.replace("##fileformat=VCFv4.2\n", f"##fileformat=VCFv4.2\n##batch={i}\n",
                        1).encode()


def test_two_app_servers_two_workers_one_killed(pg_databases: PgDatabases,
                                                tmp_path: Path) -> None:
    url = pg_databases.url_for(pg_databases.seeded())
    app = make_app(url, tmp_path)
    demo = demo_specimens(app)
    receive_at_central(app, [demo.blood, demo.tumour])
    with get_db(app).transaction() as s:
        path = s.execute(select(User).where(User.username == "pathologist")).scalar_one()
        token, _t = users.create_token(s, path, path, "deployment test")
    shared = tmp_path / "shared-uploads"
    env = {**os.environ, "BIOBANK_DATABASE_URL": url, "BIOBANK_SECRET_KEY": "t",
           "BIOBANK_SESSION_COOKIE_SECURE": "0",
           "BIOBANK_UPLOAD_DIR": str(shared),
           "BIOBANK_GENOTYPING_INLINE_MAX_BYTES": "0",
           "BIOBANK_JOBS_LEASE_SECONDS": str(LEASE_SECONDS), "BIOBANK_QUEUE_POLL_SECONDS": "0.2",
           "ENGINE_DELAY_SECONDS": "1.0"}

    def host(name: str) -> dict[str, str]:
        """Each process is a machine of its own: its own instance folder; all that they share
        is PostgreSQL and the upload store (UPLOAD_DIR)."""
        folder = tmp_path / name
        folder.mkdir()
        return {**env, "DEPLOY_INSTANCE": str(folder)}

    servers = [AppServer(host("app0")), AppServer(host("app1"))]
    workers = [start_worker(host(f"worker{i}"), tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        def send(i: int) -> requests.Response:
            data = {"normal_specimen": demo.blood, "tumor_specimen": demo.tumour,
                    "caller": "Mutect2", "caller_version": "4.2.4.1", "assay": "panel",
                    "build": "GRCh38", "normal_sample": NORMAL_COL, "tumor_sample": TUMOR_COL}
            return requests.post(
                f"{servers[i % 2].base}/api/v1/participants/{demo.participant}/genotyping",
                data=data, files={"paired": (f"pair{i}.vcf", io.BytesIO(vcf(i)))},
                headers={"Authorization": f"Bearer {token}"}, timeout=60)

        with ThreadPoolExecutor(UPLOADS) as pool:
            answers = list(pool.map(send, range(UPLOADS)))
        assert [r.status_code for r in answers] == [201] * UPLOADS, [
            r.text[:200] for r in answers if r.status_code != 201]
        ids = sorted(r.json()["id"] for r in answers)
        assert len(set(ids)) == UPLOADS

        # Kill the first worker while its engine runs a job (its lease names its pid; the
        # step is the one set just before the engine starts).
        victim = workers[0]
        killed_job = None
        deadline = time.monotonic() + 60
        while killed_job is None:
            assert time.monotonic() < deadline, "worker 0 never ran a job"
            with get_db(app).transaction() as s:
                killed_job = s.execute(select(ClassificationJob.id).where(
                    ClassificationJob.state == "running",
                    ClassificationJob.step == "reading and classifying the VCF",
                    ClassificationJob.lease_owner.like(f"%:{victim.pid}:%"))).scalar()
            if killed_job is None:
                time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL
        with get_db(app).transaction() as s:
            left = s.get(ClassificationJob, killed_job)
            assert left is not None and left.state == "running"  # nothing cleaned up after it

        deadline = time.monotonic() + 180
        while True:
            with get_db(app).transaction() as s:
                states = dict(s.execute(select(ClassificationJob.state, func.count())
                                        .group_by(ClassificationJob.state)).all())
            if states.get("queued", 0) == 0 and states.get("running", 0) == 0:
                break
            assert time.monotonic() < deadline, f"jobs stuck: {states}"
            time.sleep(0.2)

        with get_db(app).transaction() as s:
            jobs = {j.analysis_id: j for j in s.execute(select(ClassificationJob)).scalars()}
            assert sorted(jobs) == ids
            assert {j.state for j in jobs.values()} == {"done"}, {
                j.analysis_id: (j.state, j.error) for j in jobs.values()}
            killed = next(j for j in jobs.values() if j.id == killed_job)
            # (A heartbeat delayed past the lease on a loaded machine may requeue another job
            # too; that one is still stored once, which the counts below check.)
            assert killed.attempt >= 2
            classified = dict(s.execute(
                select(AuditEvent.entity_id, func.count())
                .where(AuditEvent.action == "genotyping.classified")
                .group_by(AuditEvent.entity_id)).all())
            assert classified == {str(i): 1 for i in ids}, "each analysis classified once"
            requeued = s.execute(select(AuditEvent.entity_id).where(
                AuditEvent.action == "genotyping.classification_requeued")).scalars().all()
            assert str(killed.analysis_id) in requeued
            per_analysis = dict(s.execute(
                select(GenotypingVariant.analysis_id, func.count())
                .group_by(GenotypingVariant.analysis_id)).all())
            assert per_analysis == {i: 1 for i in ids}, "each result stored once"
            count, problems = audit.verify(s)
            assert problems == [] and count > 0
        # Every file is in the shared store under its content address, none in a host's own
        # instance folder.
        stored = [p.name for p in shared.iterdir() if not p.name.startswith(".")]
        assert len(stored) == UPLOADS and all(
            len(n) == len("0" * 64 + ".vcf") and n.endswith(".vcf") for n in stored), stored
        assert not [p for p in tmp_path.glob("*/uploads") if any(p.iterdir())]
        # Both app servers answer for every analysis (one database, one upload store).
        for i in ids[:2]:
            for server in servers:
                r = requests.get(f"{server.base}/api/v1/genotyping/analyses/{i}",
                                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
                assert r.json()["state"] == "done" and r.json()["men1_status"] == "germline"
        # Over the default limit (8 GiB) the app server answers 413 from the headers: not a
        # byte of the body is sent.
        conn = http.client.HTTPConnection("127.0.0.1", servers[0].port, timeout=30)
        conn.putrequest("POST", f"/api/v1/participants/{demo.participant}/genotyping")
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Type", "multipart/form-data; boundary=xyz")
        conn.putheader("Content-Length", str(9 << 30))
        conn.endheaders()
        refused = conn.getresponse()
        assert refused.status == 413, refused.read()[:300]
        assert refused.getheader("Content-Type", "").startswith("application/json")
        assert "larger than the upload limit (8 GiB)" in refused.read().decode()
        conn.close()
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
                try:
                    w.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    w.kill()
        for server in servers:
            server.stop()
        get_db(app).dispose()
