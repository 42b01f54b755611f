"""Shared steps for the shipment tests: tubes to pack and an API client driven by tokens."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Site, Specimen
from tests.conftest import post_form


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
    sh = site_api.ok("POST", "/shipments", {"conditions": "dry_ice", "dry_ice_kg": 2.5,
                                            "courier": "SF Express",
                                            "tracking_number": tracking,
                                            "logger_id": "TL-77"}, 201)
    code = sh["barcode"]
    for c in codes:
        site_api.ok("POST", f"/shipments/{code}/items", {"code": c})
    site_api.ok("POST", f"/shipments/{code}/ready")
    site_api.ok("POST", f"/shipments/{code}/ship")
    return str(code)


# --- The same steps on the pages, in Chromium (Playwright ``page``).

def create_on_page(page: Any) -> str:
    """A draft dry-ice shipment created on the shipments page; returns its code, its page
    open with the scan input ready for packing."""
    page.goto("/shipments/")
    page.select_option("#conditions", "dry_ice")
    page.click("#create-shipment")
    page.wait_for_url("**/shipments/SH*")
    return str(page.url.rstrip("/").split("/")[-1])


def unpack_on_page(page: Any, tube: str) -> None:
    page.locator(f'form[data-unpack="{tube}"] button').click()
    page.wait_for_selector(f"text={tube} taken out of the shipment")


def to_ship_confirmation(page: Any, tracking: str) -> None:
    """Courier, tracking number and logger saved, the shipment marked ready and Ship pressed:
    the confirmation page is open and nothing has shipped yet."""
    page.fill("#f-courier", "SF Express")
    page.fill("#f-tracking", tracking)
    page.fill("#f-logger", "TL-9")
    page.click("#save-details")
    page.wait_for_selector("text=Details saved.")
    page.click("#op-ready")
    page.wait_for_selector('[data-shipment-status="ready"]')
    page.click("#op-ship")
    page.wait_for_selector("[data-ship-confirm]")


def open_receipt(page: Any, code: str) -> None:
    """The shipment label scanned on arrival (−70 °C): its receive page opens."""
    page.goto("/shipments/receive")
    page.fill("#temperature", "-70")
    page.locator("[data-scan-input]").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/shipments/{code}/receive")


def resolve_on_page(page: Any, tube: str, action: str, reason: str) -> None:
    form = page.locator(f'form[data-resolve="{tube}"]')
    form.locator("select").select_option(action)
    form.locator("input[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f'[data-item="{tube}"] [data-resolution="{action}"]')


def manifest_texts(client: Any, code: str, tmp_path: Path) -> dict[str, str]:
    """The shipment's manifest PDF as text (pdftotext), read in each language."""
    texts = {}
    for lang in ("en", "zh"):
        post_form(client, "/language", {"lang": lang})
        pdf = tmp_path / f"{lang}.pdf"
        pdf.write_bytes(client.get(f"/shipments/{code}/manifest.pdf").data)
        texts[lang] = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                     text=True, check=True).stdout
    return texts
