"""Site scoping: site staff see their own site's participants and specimens; central staff see
all; another site's object answers exactly like a missing one (no IDOR, no existence leak)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.biobank.helpers import specimen_code


def test_participant_list_is_scoped(client_as: Any) -> None:
    s01 = client_as("s01.coord").get("/participants/").get_data(as_text=True)
    assert "S01-0001" in s01 and "S02-0001" not in s01
    central = client_as("pathologist").get("/participants/").get_data(as_text=True)
    assert "S01-0001" in central and "S02-0001" in central


@pytest.mark.parametrize("path", ["/participants/S02-0001", "/api/v1/participants/S02-0001"])
def test_other_sites_participant_is_not_found(
    client_as: Any, app: Flask, api_token: Any, path: str
) -> None:
    if path.startswith("/api/"):
        c = app.test_client()
        headers = {"Authorization": f"Bearer {api_token('s01.coord')}"}
        other = c.get(path, headers=headers)
        missing = c.get("/api/v1/participants/S02-9999", headers=headers)
        assert other.status_code == missing.status_code == 404
        assert other.json["error"]["code"] == "not_found"
    else:
        c = client_as("s01.coord")
        assert c.get(path).status_code == 404
        assert c.get("/participants/S02-9999").status_code == 404


def test_other_sites_specimen_is_not_found(client_as: Any, api_token: Any, app: Flask,
                                           db: Any) -> None:
    code = specimen_code(db, status="collected", site="S02")
    assert client_as("s01.tech").get(f"/specimens/{code}").status_code == 404
    assert client_as("s02.tech").get(f"/specimens/{code}").status_code == 200
    assert client_as("cb.tech").get(f"/specimens/{code}").status_code == 200
    r = app.test_client().get(f"/api/v1/specimens/{code}",
                              headers={"Authorization": f"Bearer {api_token('s01.tech')}"})
    assert r.status_code == 404


def test_api_list_is_scoped(app: Flask, api_token: Any) -> None:
    r = app.test_client().get("/api/v1/participants",
                              headers={"Authorization": f"Bearer {api_token('s02.coord')}"})
    codes = {p["code"] for p in r.json}
    assert codes and all(c.startswith("S02-") for c in codes)


def test_visit_kit_for_other_site_is_refused(client_as: Any) -> None:
    from tests.conftest import post_form

    c = client_as("s01.coord")
    assert post_form(c, "/participants/S02-0001/visits/SCR/kit", {}).status_code == 404


def test_audit_pages_only_for_monitor_and_admin(client_as: Any) -> None:
    assert client_as("s01.tech").get("/audit/").status_code == 403
    assert client_as("monitor").get("/audit/").status_code == 200
    csv = client_as("monitor").get("/audit/export.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines()[0].startswith("Number,Time (UTC),Who")
