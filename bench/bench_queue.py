"""Classification on worker processes, on PostgreSQL (issue 18).

Phases (the app under gunicorn, the workers as ``flask --app biobank worker`` processes, all
on 127.0.0.1 and one PostgreSQL database):
  1. throughput: JOBS analyses uploaded with no worker running, then 1 worker started and the
     time until all are classified; the same with 2 workers → jobs/s and the ratio 2/1
     (goal ≥ 1.6 on 2 cores);
  2. queue latency: one idle worker; uploads one at a time with a pause between them; the time
     from the job being queued (its upload's commit) to a worker starting it, from the job
     table → p50/p99 (goal: p99 < 1 s);
  3. scans while classifying: scan throughput of a bare Flask + SQLAlchemy baseline (the one
     bench_load.py uses) against the app's while 1 worker classifies a backlog → ratio
     (goal ≥ 0.5).

Each job's VCF has FILLER records outside MEN1 (a large panel/exome file: the engine reads
them all) before the MEN1 record. Usage: ``python bench/bench_queue.py [--quick]
[--jobs N] [--filler N]``. Needs PostgreSQL (BIOBANK_TEST_PG_URL or the suite's default); the
load average is printed with the figures (the machine is shared). JSON in
bench/out/queue.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import bench_load  # noqa: E402  (the servers, database builder and scan loop are shared)

PG_ADMIN = os.environ.get("BIOBANK_TEST_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def make_vcf(i: int, filler: int) -> bytes:
    from tests.biobank.genotyping.conftest import germline_stop, mutect2_vcf

    text = mutect2_vcf([germline_stop()]).decode()
    lines = text.splitlines()
    head = [ln for ln in lines if ln.startswith("#")]
    head.insert(1, f"##bench_job={i}")
    recs = [ln for ln in lines if not ln.startswith("#")]
    tmpl = recs[0].split("\t")
    fill = []
    for k in range(filler):
        f = list(tmpl)
        f[0], f[1] = "chr1", str(10_000 + 10 * k)
        fill.append("\t".join(f))
    return ("\n".join(head + fill + recs) + "\n").encode()


class Bench:
    def __init__(self, url: str, tmp: Path, filler: int) -> None:
        from sqlalchemy import select

        from biobank import create_app, get_db
        from biobank.models import User
        from biobank.services import users
        from tests.biobank.genotyping.conftest import demo_specimens, receive_at_central

        self.url, self.tmp, self.filler = url, tmp, filler
        self.app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        self.app.instance_path = str(tmp / "instance")
        self.demo = demo_specimens(self.app)
        receive_at_central(self.app, [self.demo.blood, self.demo.tumour])
        with get_db(self.app).transaction() as s:
            p = s.execute(select(User).where(User.username == "pathologist")).scalar_one()
            self.token, _t = users.create_token(s, p, p, "bench")
        self.env = {"BIOBANK_DATABASE_URL": url, "BIOBANK_SECRET_KEY": "bench",
                    "BIOBANK_SESSION_COOKIE_SECURE": "0", "BIOBANK_LOGIN_RATE_LIMIT": "100000",
                    "BIOBANK_GENOTYPING_INLINE_MAX_BYTES": "0",
                    "BIOBANK_UPLOAD_DIR": str(tmp / "uploads"), "BENCH_DB_URL": url,
                    "BIOBANK_GC_FREEZE_AT_START": "1"}
        self.server = bench_load.Server("app", "biobank:create_app()", self.env, 2)
        self.counter = 0
        self.job_seconds: dict[int, float] = {}

    def upload(self) -> int:
        import requests

        self.counter += 1
        data = {"normal_specimen": self.demo.blood, "tumor_specimen": self.demo.tumour,
                "caller": "Mutect2", "caller_version": "4.2.4.1", "assay": "panel",
                "build": "GRCh38", "normal_sample": "ARGO-evo_normal", "tumor_sample": "ARGO-evo"}
        r = requests.post(
            f"{self.server.url}/api/v1/participants/{self.demo.participant}/genotyping",
            data=data, files={"paired": ("job.vcf", io.BytesIO(make_vcf(self.counter,
                                                                         self.filler)))},
            headers={"Authorization": f"Bearer {self.token}"}, timeout=120)
        assert r.status_code == 201, r.text[:300]
        return int(r.json()["id"])

    def start_workers(self, n: int) -> list[subprocess.Popen[bytes]]:
        flask = str(Path(sys.executable).with_name("flask"))
        return [subprocess.Popen([flask, "--app", "biobank", "worker"], cwd=ROOT,
                                 env={**os.environ, **self.env}, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL) for _ in range(n)]

    @staticmethod
    def stop(workers: list[subprocess.Popen[bytes]]) -> None:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)

    def states(self, ids: list[int]) -> dict[str, int]:
        from sqlalchemy import func, select

        from biobank import get_db
        from biobank.models import ClassificationJob

        with get_db(self.app).transaction() as s:
            return dict(s.execute(select(ClassificationJob.state, func.count())
                                  .where(ClassificationJob.analysis_id.in_(ids))
                                  .group_by(ClassificationJob.state)).all())

    def wait_done(self, ids: list[int], timeout: float = 1800) -> None:
        deadline = time.monotonic() + timeout
        while True:
            st = self.states(ids)
            if st.get("done", 0) + st.get("failed", 0) == len(ids):
                assert not st.get("failed"), st
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"jobs not finished: {st}")
            time.sleep(0.05)

    def throughput(self, workers: int, jobs: int) -> float:
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(lambda _i: self.upload(), range(jobs)))
        procs = self.start_workers(workers)
        try:
            self.wait_done(ids)
        finally:
            self.stop(procs)
        # From the job table: first start to last finish (a worker's own start-up, importing
        # the app, is not classification throughput).
        from sqlalchemy import select

        from biobank import get_db
        from biobank.models import ClassificationJob

        with get_db(self.app).transaction() as s:
            rows = s.execute(select(ClassificationJob.started_at, ClassificationJob.finished_at)
                             .where(ClassificationJob.analysis_id.in_(ids))).all()
        first, last = min(r[0] for r in rows), max(r[1] for r in rows)
        # Each job's own time: if it grows with the workers, they compete for the CPU (the
        # machine's load), not for a lock of ours.
        self.job_seconds[workers] = statistics.mean((b - a).total_seconds() for a, b in rows)
        return jobs / (last - first).total_seconds()

    def latencies(self, n: int) -> list[float]:
        from sqlalchemy import select

        from biobank import get_db
        from biobank.models import ClassificationJob

        procs = self.start_workers(1)
        try:
            time.sleep(3)  # the worker is up and idle (its polling at its slowest)
            ids = []
            for _ in range(n):
                ids.append(self.upload())
                self.wait_done(ids[-1:])
                time.sleep(1.0)
        finally:
            self.stop(procs)
        with get_db(self.app).transaction() as s:
            rows = s.execute(select(ClassificationJob.queued_at, ClassificationJob.started_at)
                             .where(ClassificationJob.analysis_id.in_(ids))).all()
        return sorted((b - a).total_seconds() for a, b in rows)

    def scans(self, seconds: float, barcodes: list[str], backlog: int) -> dict[str, float]:
        token = bench_load.make_token(self.url)  # a technician scans
        baseline = bench_load.Server("baseline", "bench_load:baseline_app()", self.env, 2)
        try:
            base = bench_load.throughput(baseline.url, token, barcodes, seconds, 8)
        finally:
            baseline.stop()
        idle = bench_load.throughput(self.server.url, token, barcodes, seconds, 8)
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(lambda _i: self.upload(), range(backlog)))
        procs = self.start_workers(1)
        try:
            time.sleep(1.0)
            busy = bench_load.throughput(self.server.url, token, barcodes, seconds, 8)
            left = self.states(ids)
        finally:
            self.stop(procs)
        return {"baseline": base, "app_idle": idle, "app_while_classifying": busy,
                "ratio": busy / base, "jobs_still_queued_or_running_at_end":
                left.get("queued", 0) + left.get("running", 0)}

    def close(self) -> None:
        from biobank import get_db

        self.server.stop()
        get_db(self.app).dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer and smaller jobs")
    ap.add_argument("--jobs", type=int, default=24)
    ap.add_argument("--filler", type=int, default=300_000)
    ap.add_argument("--latency-samples", type=int, default=30)
    ap.add_argument("--scan-seconds", type=float, default=10.0)
    args = ap.parse_args()
    if args.quick:
        args.jobs, args.filler, args.latency_samples, args.scan_seconds = 6, 100_000, 8, 4.0
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_queue_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"skipped: PostgreSQL not reachable at {PG_ADMIN} ({type(exc).__name__})")
        return 0
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench_queue_"))
    (tmp / "instance").mkdir()
    results: dict[str, Any] = {"cpus": os.cpu_count(), "jobs": args.jobs,
                               "filler_records": args.filler}
    bench = None
    try:
        barcodes = bench_load.build_database(url, 5_000 if args.quick else 20_000)
        bench = Bench(url, tmp, args.filler)
        print(f"job VCF: {len(make_vcf(0, args.filler)) / 1e6:.1f} MB "
              f"({args.filler} records + the MEN1 one); load average {loadavg()}", flush=True)
        one = bench.throughput(1, args.jobs)
        la1 = loadavg()
        two = bench.throughput(2, args.jobs)
        per_job = bench.job_seconds
        results["throughput"] = {"1_worker_jobs_per_s": one, "2_workers_jobs_per_s": two,
                                 "ratio": two / one, "loadavg": [la1, loadavg()],
                                 "mean_job_seconds": per_job}
        print(f"throughput: 1 worker {one:.2f} jobs/s (load {la1}), 2 workers {two:.2f} jobs/s "
              f"(load {loadavg()}) → ratio {two / one:.2f} (goal ≥ 1.6); mean time of one job "
              f"{per_job[1]:.2f} s with 1 worker, {per_job[2]:.2f} s with 2", flush=True)
        lat = bench.latencies(args.latency_samples)
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
        results["latency_s"] = {"p50": p50, "p99": p99, "max": lat[-1], "n": len(lat),
                                "loadavg": loadavg()}
        print(f"queue latency (queued → started, idle worker): p50 {p50 * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms over {len(lat)} uploads (goal p99 < 1 s); "
              f"load {loadavg()}", flush=True)
        sc = bench.scans(args.scan_seconds, barcodes, max(4, args.jobs // 2))
        results["scans"] = {**sc, "loadavg": loadavg()}
        print(f"scans/s: baseline {sc['baseline']:.0f}, app idle {sc['app_idle']:.0f}, app "
              f"while 1 worker classifies {sc['app_while_classifying']:.0f} → ratio "
              f"{sc['ratio']:.2f} (goal ≥ 0.5); load {loadavg()}", flush=True)
    finally:
        if bench is not None:
            bench.close()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "queue.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
