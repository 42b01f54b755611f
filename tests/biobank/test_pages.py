"""Pages a person uses: specimen history, participant visit kits, corrections, and the
browser-facing protections on every response."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from biobank import vocabulary
from biobank.models import Participant, Site, Specimen
from tests.biobank.helpers import specimen_code
from tests.conftest import post_form


def test_specimen_page_shows_history_and_sprec(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    page = client_as("s01.tech").get(f"/specimens/{code}").get_data(as_text=True)
    assert code in page and "Collected" in page and "s01.tech" in page
    assert "BLD-PED" in page and "Collection" in page and "CST" in page


def test_prepare_visit_kit_creates_expected_labels_once(client_as: Any, db: Any) -> None:
    c = client_as("s01.coord")
    p = db.execute(select(Participant).where(Participant.code == "S01-0001")).scalar_one()

    def n() -> int:
        db.rollback()
        return db.execute(select(func.count()).select_from(Specimen)
                          .where(Specimen.participant_id == p.id)).scalar_one()

    before = n()
    # S01-0001 is in screening: the evaluation kit needs an override reason (labels tests).
    why = {"override_reason": "evaluation kit set aside for the site's stock count"}
    assert post_form(c, "/participants/S01-0001/visits/EVAL/kit", why).status_code == 302
    assert n() == before + 1
    assert post_form(c, "/participants/S01-0001/visits/EVAL/kit", why).status_code == 302
    assert n() == before + 1


def test_correction_through_the_page(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    missing = post_form(c, f"/specimens/{code}/correct",
                        {"field": "notes", "value": "re-labelled", "reason": ""})
    assert missing.status_code == 422 and "reason" in missing.get_data(as_text=True)
    ok = post_form(c, f"/specimens/{code}/correct",
                   {"field": "notes", "value": "re-labelled", "reason": "label smudged"})
    assert ok.status_code == 302
    page = c.get(f"/specimens/{code}").get_data(as_text=True)
    assert "label smudged" in page and "re-labelled" in page


def test_status_change_through_the_page(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    ok = post_form(c, f"/specimens/{code}/action", {"action": "dispose", "reason": "leaked"})
    assert ok.status_code == 302
    again = post_form(c, f"/specimens/{code}/action", {"action": "dispose", "reason": "x"})
    assert again.status_code == 409 and "disposed" in again.get_data(as_text=True).lower()


def test_security_headers(client_as: Any) -> None:
    resp = client_as("s01.tech").get("/scan")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in resp.get_data(as_text=True)  # no inline script anywhere


def test_hsts_only_over_https(app: Flask) -> None:
    c = app.test_client()
    assert "Strict-Transport-Security" not in c.get("/login").headers
    assert "Strict-Transport-Security" in c.get("/login", base_url="https://x").headers


def test_errors_are_pages_not_tracebacks(client_as: Any, app: Flask) -> None:
    c = client_as("s01.tech")
    assert c.get("/nope").status_code == 404
    assert c.get("/specimens/SP00000001X").status_code == 404
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    assert c.post("/scan", data=big, content_type="application/octet-stream").status_code in {
        400, 413}
    api = app.test_client().get("/api/v1/nope")
    assert api.status_code in {401, 404} and api.is_json


def test_language_switch(client_as: Any) -> None:
    c = client_as("s01.tech")
    post_form(c, "/language", {"lang": "zh", "next": "/scan"})
    assert 'lang="zh-Hans"' in c.get("/scan").get_data(as_text=True)


def test_openapi_document_lists_the_api(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/specimens/{barcode}" in doc["paths"]
    assert "/api/v1/scan" in doc["paths"] and "post" in doc["paths"]["/api/v1/scan"]


def test_integer_ids_beyond_the_database_range_are_not_found(client_as: Any) -> None:
    c = client_as("pathologist")
    for n in (2**31, 2**63, 10**23, 2**31 - 1):
        assert c.get(f"/genotyping/analyses/{n}").status_code == 404


def test_home_page_counts_each_status_for_the_users_participants(client_as: Any,
                                                                 db: Any) -> None:
    def expected(site: str | None) -> dict[str, int]:
        q = select(Specimen.status, func.count()).join(Participant).group_by(Specimen.status)
        if site is not None:
            q = q.join(Site, Site.id == Participant.site_id).where(Site.code == site)
        return {st: n for st, n in db.execute(q).all()}

    for user, site in (("s01.tech", "S01"), ("s02.coord", "S02"), ("monitor", None)):
        page = client_as(user).get("/").get_data(as_text=True)
        want = expected(site)
        assert sum(want.values()) > 0
        for code, text in vocabulary.STATUSES.items():
            label = text if isinstance(text, str) else text[0]
            m = re.search(rf"<td>{re.escape(label)}</td><td>(\d+)</td>", page)
            assert m, f"no row for {label} on {user}'s home page"
            assert int(m.group(1)) == want.get(code, 0), (user, code)
