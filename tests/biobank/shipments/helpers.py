"""Shared steps for the shipment tests: tubes to pack and an API client driven by tokens."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Site, Specimen


def tubes(app: Flask, n: int, *, site: str = "S01", status: str = "collected",
          types: tuple[str, ...] | None = None) -> list[str]:
    with get_db(app).transaction() as s:
        q = (select(Specimen.barcode).join(Participant)
             .join(Site, Participant.site_id == Site.id)
             .where(Specimen.status == status, Site.code == site))
        if types:
            q = q.where(Specimen.specimen_type.in_(types))
        rows = s.execute(q.order_by(Specimen.id).limit(n)).scalars().all()
    assert len(rows) == n, f"demo data has only {len(rows)} {status} tubes at {site}"
    return list(rows)


class Api:
    """Calls the JSON API as one demo user; ``call`` returns (status, json)."""

    def __init__(self, app: Flask, token: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        r = self.client.open("/api/v1" + path, method=method, json=body, headers=self.headers)
        return r.status_code, r.get_json(silent=True)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        code, data = self.call(method, path, body)
        assert code == status, (method, path, code, data)
        return data


def shipped(site_api: Api, codes: list[str], tracking: str = "SF1234567890") -> str:
    """A shipment from the site to CB with ``codes`` packed and shipped; returns its code."""
    sh = site_api.ok("POST", "/shipments", {"conditions": "dry_ice", "courier": "SF Express",
                                            "tracking_number": tracking,
                                            "logger_id": "TL-77"}, 201)
    code = sh["barcode"]
    for c in codes:
        site_api.ok("POST", f"/shipments/{code}/items", {"code": c})
    site_api.ok("POST", f"/shipments/{code}/ready")
    site_api.ok("POST", f"/shipments/{code}/ship")
    return str(code)
