"""Load and soak: the app under gunicorn on 127.0.0.1 over a database enlarged to 100,000
specimens, against a minimal Flask + SQLAlchemy endpoint doing the same lookup (the baseline,
served by gunicorn the same way, over the same database).

Phases:
  1. throughput: closed loop, CONCURRENCY clients scanning as fast as they can, on the app and
     on the baseline → scans/s and the ratio (goal: app ≥ 50 % of the baseline);
  2. load (after every page the browsers open has been served a few times by each worker):
     10 scans/s sustained (open loop: a slow answer does not slow the arrivals), one
     96-scan burst in 2 s half-way, and 20 users browsing pages with 1-3 s think time
     → p50/p95/p99 per kind and the error rate (goals: p99 ≤ 100 ms, zero errors);
  3. soak (``--soak-minutes N``): the same traffic for N minutes; worker RSS (from /proc)
     sampled after a warm-up and at the end (goal: growth < 10 %).

Usage: ``python bench/bench_load.py [--quick] [--load-seconds S] [--soak-minutes N]
[--db-url URL] [--specimens N] [--workers W]``. ``--quick``: 30 s of load, 5 s throughput
runs. Only 127.0.0.1 is contacted. Results: printed, and JSON in bench/out/load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "demo-Passw0rd!"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


# --------------------------------------------------------------------------------------------
# The baseline: a minimal Flask + SQLAlchemy endpoint doing the same lookup (gunicorn loads it
# with ``bench_load:baseline_app()``).
# --------------------------------------------------------------------------------------------
def baseline_app() -> Any:
    from flask import Flask, jsonify, request
    from sqlalchemy import create_engine, text

    url = os.environ["BENCH_DB_URL"]
    engine = create_engine(url, pool_size=5) if url.startswith("postgresql") else \
        create_engine(url, connect_args={"check_same_thread": False})
    app = Flask("baseline")
    query = text(
        "SELECT s.barcode, s.status, s.specimen_type, p.code, st.code AS site "
        "FROM specimens s JOIN participants p ON p.id = s.participant_id "
        "JOIN sites st ON st.id = s.site_id WHERE s.barcode = :b")

    @app.post("/api/v1/scan")
    def scan() -> Any:
        code = str((request.get_json(silent=True) or {}).get("code", "")).strip().upper()
        with engine.connect() as c:
            row = c.execute(query, {"b": code}).mappings().first()
        if row is None:
            return jsonify({"error": "not found"}), 404
        return jsonify({"code": code, "kind": "specimen", "outcome": "found",
                        "specimen": dict(row)})

    return app


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------
def build_database(url: str, n_specimens: int) -> list[str]:
    """Seed the demo and add specimens up to ``n_specimens``; returns every barcode."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, insert, select
    from sqlalchemy.orm import Session

    from biobank.db import make_engine
    from biobank.migrate import upgrade
    from biobank.models import IdCounter, Participant, Specimen
    from biobank.services import demo
    from labels import ids

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        demo.seed_demo(s, PASSWORD)
        s.commit()
        have = s.execute(select(func.count()).select_from(Specimen)).scalar_one()
        parts = s.execute(select(Participant.id, Participant.site_id)).all()
        template = s.execute(select(Specimen).where(Specimen.status == "collected")
                             .limit(1)).scalar_one()
        number = 1_000_000
        rows: list[dict[str, Any]] = []
        now = datetime.now(UTC)
        statuses = ("collected", "stored", "stored", "stored", "received", "consumed")
        for i in range(max(0, n_specimens - have)):
            while not ids.is_issuable("SP", number):
                number += 1
            pid, site = parts[i % len(parts)]
            rows.append({
                "barcode": ids.format_id("SP", number), "participant_id": pid,
                "visit_id": template.visit_id, "visit_occurrence": 1,
                "specimen_type": template.specimen_type, "container": template.container,
                "unit": template.unit, "status": statuses[i % len(statuses)], "site_id": site,
                "freeze_thaw_count": 0, "notes": "", "created_at": now, "collected_at": now,
            })
            number += 1
            if len(rows) == 5000:
                s.execute(insert(Specimen), rows)
                rows = []
        if rows:
            s.execute(insert(Specimen), rows)
        counter = s.get(IdCounter, "SP")
        if counter is not None and counter.next_value <= number:
            counter.next_value = number + 1
        s.commit()
        barcodes = list(s.execute(select(Specimen.barcode)).scalars())
    engine.dispose()
    return barcodes


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, name: str, target: str, env: dict[str, str], workers: int) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.proc = subprocess.Popen(
            [gunicorn, "-w", str(workers), "-b", f"{HOST}:{self.port}", "--chdir", str(ROOT),
             "--pythonpath", str(ROOT / "bench"), "--log-level", "warning", target],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        import requests

        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/login", timeout=30)
                return
            except (requests.ConnectionError, requests.Timeout):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{name} server exited: "
                                       f"{self.proc.stderr.read().decode()[-2000:]}"
                                       if self.proc.stderr else name) from None
                time.sleep(0.2)
        raise RuntimeError(f"{name} server did not start")

    def workers(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                pids.append(int(entry.name))
        return pids

    def worker_rss_kb(self) -> int:
        total = 0
        for pid in self.workers():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------------------------
# Traffic
# --------------------------------------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.lock = threading.Lock()

    def add(self, kind: str, seconds: float, status: int, ok: bool) -> None:
        with self.lock:
            self.lat[kind].append(seconds)
            self.statuses[kind][status] += 1
            if not ok:
                self.errors[kind] += 1

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for kind, values in sorted(self.lat.items()):
            values = sorted(values)
            q = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 \
                else values * 99
            out[kind] = {
                "requests": len(values), "errors": self.errors[kind],
                "error_rate": self.errors[kind] / len(values),
                "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
                "p99_ms": round(q[98] * 1000, 1), "max_ms": round(values[-1] * 1000, 1),
                "statuses": dict(self.statuses[kind]),
            }
        return out


_local = threading.local()


def _session() -> Any:
    import requests

    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


def scan_once(base: str, token: str, code: str, rec: Recorder, kind: str = "scan") -> None:
    start = time.perf_counter()
    try:
        r = _session().post(base + "/api/v1/scan", json={"code": code}, timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
        status = r.status_code
    except Exception:  # a refused or dropped connection is an error, not a crash
        status = 0
    rec.add(kind, time.perf_counter() - start, status, status == 200)


def throughput(base: str, token: str, barcodes: list[str], seconds: float,
               concurrency: int) -> float:
    rec = Recorder()
    stop = time.monotonic() + seconds

    def loop() -> None:
        rnd = random.Random()
        while time.monotonic() < stop:
            scan_once(base, token, rnd.choice(barcodes), rec)

    threads = [threading.Thread(target=loop) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ok = len(rec.lat["scan"]) - rec.errors["scan"]
    return ok / elapsed


class Browser:
    """One person clicking through pages with think time."""

    def __init__(self, base: str, username: str, barcodes: list[str], rec: Recorder) -> None:
        import requests

        self.base, self.rec, self.barcodes = base, rec, barcodes
        self.http = requests.Session()
        page = self.http.get(base + "/login", timeout=10).text
        m = _CSRF.search(page)
        assert m, "no CSRF token on /login"
        r = self.http.post(base + "/login", data={"username": username, "password": PASSWORD,
                                                  "csrf_token": m.group(1)},
                           allow_redirects=False, timeout=10)
        if r.status_code != 302:
            raise RuntimeError(f"login of {username} failed: {r.status_code}")

    def run(self, stop: float, rnd: random.Random) -> None:
        while time.monotonic() < stop:
            path = rnd.choice(["/", "/participants/", "/scan",
                               f"/specimens/{rnd.choice(self.barcodes)}",
                               f"/specimens/{rnd.choice(self.barcodes)}"])
            start = time.perf_counter()
            try:
                status = self.http.get(self.base + path, timeout=10,
                                       allow_redirects=False).status_code
            except Exception:
                status = 0
            self.rec.add("browse", time.perf_counter() - start, status, status == 200)
            time.sleep(rnd.uniform(1.0, 3.0))


def warm_pages(server: Server, barcodes: list[str], workers: int) -> None:
    """Each page the browsers open, several times per worker, before anything is measured: a
    worker's first render of a page compiles its templates (~250 ms for the specimen page),
    which a served instance pays once after a restart, not in its steady state."""
    rec = Recorder()
    for account in ("cb.tech", "monitor", "pathologist", "admin"):
        b = Browser(server.url, account, barcodes, rec)
        for _ in range(3 * workers):
            for path in ("/", "/participants/", "/scan",
                         f"/specimens/{random.choice(barcodes)}"):
                b.http.get(server.url + path, timeout=10, allow_redirects=False)


def mixed_load(server: Server, token: str, barcodes: list[str], seconds: float, *,
               rate: float = 10.0, burst: tuple[int, float] | None = (96, 2.0),
               users: int = 20, bursts_every: float | None = None,
               rss_at: float | None = None) -> dict[str, Any]:
    """Open-loop scans at ``rate``/s plus bursts, and ``users`` browsing; RSS sampled."""
    rec = Recorder()
    accounts = ["cb.tech", "monitor", "pathologist", "admin"]
    browsers = [Browser(server.url, accounts[i % len(accounts)], barcodes, rec)
                for i in range(users)]
    start = time.monotonic()
    stop = start + seconds
    threads = [threading.Thread(target=b.run, args=(stop, random.Random(i)))
               for i, b in enumerate(browsers)]
    for t in threads:
        t.start()
    rss: list[tuple[float, int]] = []
    rnd = random.Random(7)
    schedule: list[tuple[float, str]] = [(i / rate, "scan") for i in range(int(seconds * rate))]
    if burst:
        n, span = burst
        marks = [seconds / 2] if bursts_every is None else \
            [t for t in range(int(bursts_every), int(seconds), int(bursts_every))]
        for mark in marks:
            schedule += [(mark + i * span / n, "burst") for i in range(n)]
    schedule.sort()
    next_rss = rss_at if rss_at is not None else 0.0
    with ThreadPoolExecutor(max_workers=64) as pool:
        for at, kind in schedule:
            now = time.monotonic() - start
            if now >= next_rss:
                rss.append((round(now, 1), server.worker_rss_kb()))
                next_rss = now + 10
            delay = at - now
            if delay > 0:
                time.sleep(delay)
            pool.submit(scan_once, server.url, token, rnd.choice(barcodes), rec, kind)
        rest = stop - time.monotonic()
        if rest > 0:
            time.sleep(rest)
    for t in threads:
        t.join()
    rss.append((round(time.monotonic() - start, 1), server.worker_rss_kb()))
    result = rec.summary()
    result["worker_rss_kb"] = rss
    return result


def make_token(url: str) -> str:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from biobank.db import make_engine
    from biobank.models import User
    from biobank.services import users

    engine = make_engine(url)
    with Session(engine) as s:
        tech = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        token, _t = users.create_token(s, tech, tech, "bench")
        s.commit()
    engine.dispose()
    return token


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="30 s of load, 5 s throughput runs")
    ap.add_argument("--load-seconds", type=float, default=300.0)
    ap.add_argument("--soak-minutes", type=float, default=0.0)
    ap.add_argument("--throughput-seconds", type=float, default=15.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--specimens", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--db-url", default="", help="default: a fresh SQLite file in a temp dir")
    args = ap.parse_args()
    if args.quick:
        args.load_seconds, args.throughput_seconds = 30.0, 5.0
    # Bounds: this is a benchmark, not a stress test of the machine.
    args.load_seconds = min(args.load_seconds, 3600.0)
    args.soak_minutes = min(args.soak_minutes, 240.0)

    tmp = Path(tempfile.mkdtemp(prefix="bench_load_"))
    url = args.db_url or f"sqlite:///{tmp / 'load.db'}"
    t0 = time.perf_counter()
    barcodes = build_database(url, args.specimens)
    print(f"database: {len(barcodes)} specimens ({url.split(':')[0]}), built in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    token = make_token(url)
    env = {"BIOBANK_DATABASE_URL": url, "BIOBANK_SECRET_KEY": "bench-secret",
           "BIOBANK_SESSION_COOKIE_SECURE": "0", "BIOBANK_REMEMBER_COOKIE_SECURE": "0",
           "BIOBANK_LOGIN_RATE_LIMIT": "100000", "BENCH_DB_URL": url}
    (tmp / "instance").mkdir()
    results: dict[str, Any] = {"specimens": len(barcodes), "workers": args.workers,
                               "engine": url.split(":")[0], "cpus": os.cpu_count()}

    base = Server("baseline", "bench_load:baseline_app()", env, args.workers)
    try:
        throughput(base.url, token, barcodes, 2.0, args.concurrency)  # warm-up
        results["baseline_scans_per_s"] = round(
            throughput(base.url, token, barcodes, args.throughput_seconds, args.concurrency), 1)
    finally:
        base.stop()
    app = Server("app", "biobank:create_app()", env, args.workers)
    try:
        throughput(app.url, token, barcodes, 2.0, args.concurrency)
        results["app_scans_per_s"] = round(
            throughput(app.url, token, barcodes, args.throughput_seconds, args.concurrency), 1)
        results["throughput_ratio"] = round(
            results["app_scans_per_s"] / results["baseline_scans_per_s"], 3)
        print(f"throughput ({args.concurrency} clients): app {results['app_scans_per_s']} "
              f"scans/s, baseline {results['baseline_scans_per_s']} scans/s, ratio "
              f"{results['throughput_ratio']:.2f} (goal ≥ 0.50)", flush=True)
        warm_pages(app, barcodes, args.workers)
        load = mixed_load(app, token, barcodes, args.load_seconds)
        results["load"] = load
        results["load_seconds"] = args.load_seconds
        for kind in ("scan", "burst", "browse"):
            k = load.get(kind)
            if k:
                print(f"load {kind:6}: {k['requests']:5} requests  p50 {k['p50_ms']:6.1f} ms  "
                      f"p95 {k['p95_ms']:6.1f} ms  p99 {k['p99_ms']:6.1f} ms  errors "
                      f"{k['errors']} ({k['error_rate']:.2%})", flush=True)
        if args.soak_minutes:
            soak = mixed_load(app, token, barcodes, args.soak_minutes * 60, bursts_every=60.0,
                              rss_at=30.0)
            rss = soak["worker_rss_kb"]
            first, last = rss[0][1], rss[-1][1]
            soak["rss_growth"] = round((last - first) / first, 4) if first else None
            results["soak"] = soak
            results["soak_minutes"] = args.soak_minutes
            soak_errors = sum(v["errors"] for v in soak.values()
                              if isinstance(v, dict) and "errors" in v)
            print(f"soak {args.soak_minutes} min: worker RSS {first} kB -> {last} kB "
                  f"({soak['rss_growth']:+.1%}, goal < 10 %); scan p99 "
                  f"{soak['scan']['p99_ms']} ms, errors {soak_errors}", flush=True)
    finally:
        app.stop()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(results, indent=2))
    worst_p99 = max(v["p99_ms"] for k, v in results["load"].items() if k != "worker_rss_kb")
    errors = sum(v["errors"] for k, v in results["load"].items() if k != "worker_rss_kb")
    print(f"goals: p99 {worst_p99} ms (≤ 100), errors {errors} (0), throughput ratio "
          f"{results['throughput_ratio']:.2f} (≥ 0.50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
