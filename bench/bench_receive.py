"""Receiving a 96-tube box tube by tube: server time per scan, p50/p99, on SQLite and
PostgreSQL, paced at 10 scans/s, beside the bare cost of the same lookup in SQL.

Run: ``python bench/bench_receive.py [--quick]`` (``make bench``). Each scan is a real request
through the app (``POST /api/v1/shipments/<SH>/receipt/scans``: token auth, the shipment row
lock, the specimen transition, custody move, audit events, commit), timed in-process around
the WSGI call. The baseline is ``SELECT ... FROM specimens WHERE barcode = ?`` on the same
database. ``--check`` exits 1 when the goal (p99 < 50 ms per scan) is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from biobank import create_app, get_db  # noqa: E402
from biobank.db import make_engine  # noqa: E402
from biobank.migrate import upgrade  # noqa: E402

PG_ADMIN = os.environ.get("BIOBANK_BENCH_PG_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GOAL_P99_MS = 50.0
PASSWORD = "bench-Passw0rd!"


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def prepare(url: str, n: int) -> tuple[Any, str, list[str], str]:
    """Seed the demo, add ``n`` collected tubes at S01, pack and ship them; return the app,
    the shipment code, the tubes and a cb.tech token."""
    from biobank.models import Participant, Site, Specimen, User
    from biobank.services import demo, shipments, specimens, users

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        demo.seed_demo(s, PASSWORD)
        s.commit()
    engine.dispose()
    tmp = tempfile.mkdtemp(prefix="bench_receive_")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                      "DEMO_PASSWORD": PASSWORD})
    app.instance_path = tmp
    db = get_db(app)
    with db.transaction() as s:
        site = s.execute(select(Site).where(Site.code == "S01")).scalar_one()
        p = s.execute(select(Participant).where(Participant.site_id == site.id)
                      .order_by(Participant.id)).scalars().first()
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        cb = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        assert p is not None
        codes = []
        for _ in range(n):
            sp = Specimen(barcode=specimens.allocate_id(s, "SP"), participant_id=p.id,
                          specimen_type="plasma", container="cryovial_2ml",
                          quantity=Decimal("0.5"), unit="mL", status="collected",
                          site_id=site.id, freeze_thaw_count=0, notes="")
            s.add(sp)
            codes.append(sp.barcode)
        s.flush()
        sh = shipments.create(s, tech, conditions="dry_ice", courier="SF Express",
                              tracking_number=f"BENCH-{uuid.uuid4().hex[:8]}", dry_ice_kg="2.5")
        for c in codes:
            shipments.pack(s, tech, sh, c)
        shipments.mark_ready(s, tech, sh)
        shipments.ship(s, tech, sh)
        shipments.start_receipt(s, cb, sh)
        token = users.create_token(s, cb, cb, "bench")[0]
        code = sh.barcode
    return app, code, codes, token


def run(url: str, n: int, rate: float) -> dict[str, Any]:
    app, code, codes, token = prepare(url, n)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/shipments/{code}/receipt/scans"
    # Warm-up: one throw-away duplicate-free request per route shape (GET of the shipment).
    client.get(f"/api/v1/shipments/{code}", headers=headers)
    times: list[float] = []
    cpu: list[float] = []
    interval = 1.0 / rate
    start = time.perf_counter()
    for i, c in enumerate(codes):
        due = start + i * interval
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        t0, c0 = time.perf_counter(), time.process_time()
        r = client.post(path, json={"code": c}, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        assert r.status_code == 200 and r.get_json()["outcome"] == "received", r.get_data()
    wall = time.perf_counter() - start
    # Baseline: the bare lookup of the same tube in SQL, on the same engine.
    engine = get_db(app).engine
    base: list[float] = []
    with engine.connect() as conn:
        q = text("SELECT id, status, site_id FROM specimens WHERE barcode = :b")
        for c in codes:
            t0 = time.perf_counter()
            conn.execute(q, {"b": c}).fetchall()
            base.append((time.perf_counter() - t0) * 1000)
    get_db(app).dispose()
    return {"n": n, "rate": n / wall, "p50": statistics.median(times), "p99": pct(times, 0.99),
            "max": max(times), "cpu_p50": statistics.median(cpu),
            "base_p50": statistics.median(base), "base_p99": pct(base, 0.99)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="24 tubes instead of 96")
    ap.add_argument("--rate", type=float, default=10.0, help="scans per second (default 10)")
    ap.add_argument("--check", action="store_true", help="exit 1 if p99 >= 50 ms")
    args = ap.parse_args()
    n = 24 if args.quick else 96
    results: list[tuple[str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(("SQLite", run(f"sqlite:///{Path(tmp) / 'bench.db'}", n, args.rate)))
    admin = None
    name = f"bench_receive_{os.getpid()}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: report SQLite only
        print(f"PostgreSQL skipped: {type(exc).__name__}")
        admin = None
    if admin is not None:
        try:
            url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
            results.append(("PostgreSQL", run(url, n, args.rate)))
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"Receiving a {n}-tube box tube by tube at {args.rate:g} scans/s "
          f"(server time per scan, ms; goal p99 < {GOAL_P99_MS:g} ms)")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} (figures inflate when the "
          "load exceeds the CPU count)")
    print(f"{'engine':<11} {'scans/s':>8} {'p50':>7} {'p99':>7} {'max':>7} {'app CPU':>8} "
          f"{'SQL p50':>8} {'SQL p99':>8} {'p50 ratio':>10} {'goal':>5}")
    ok = True
    for eng, r in results:
        met = r["p99"] < GOAL_P99_MS
        ok = ok and met
        print(f"{eng:<11} {r['rate']:>8.1f} {r['p50']:>7.2f} {r['p99']:>7.2f} {r['max']:>7.2f} "
              f"{r['cpu_p50']:>8.2f} {r['base_p50']:>8.3f} {r['base_p99']:>8.3f} "
              f"{r['p50'] / r['base_p50']:>9.0f}x {'yes' if met else 'NO':>5}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
