"""Technicians storing different tubes into the same box at the same moment, on both engines:
every tube gets its own position, or a clear refusal; never two tubes in one position."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import StoragePosition

from .conftest import Freezer, received

N = 6


def test_concurrent_stores_never_share_a_position(app: Flask, freezer: Freezer,
                                                  api_token: Any) -> None:
    codes = received(app, N)
    token = api_token("cb.tech")
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(N)

    def one(code: str) -> None:
        c = app.test_client()
        barrier.wait()
        # All ask for the next free position, which is A1 for every one of them at the start.
        r = c.post(f"/api/v1/storage/boxes/{freezer.box}/store", json={"specimen": code},
                   headers={"Authorization": f"Bearer {token}"})
        body = r.get_json() or {}
        results.append((r.status_code, body.get("position") or body["error"]["code"]))

    threads = [threading.Thread(target=one, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(status in (200, 409, 503) for status, _ in results), results
    placed = sorted(p for status, p in results if status == 200)
    assert placed and len(placed) == len(set(placed)), results
    with get_db(app).transaction() as s:
        rows = s.execute(select(func.count()).select_from(StoragePosition)).scalar_one()
        cells = s.execute(select(func.count()).select_from(
            select(StoragePosition.row_no, StoragePosition.col_no).distinct().subquery())
        ).scalar_one()
    assert rows == cells == len(placed)
