"""Labels through the JSON API: PDF, ZPL and the site printer, each decoded back to its codes,
with the same audit and refusals as the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from tests.biobank.helpers import specimen_code

from .conftest import FakePrinter, decode_pdf, print_events, set_printer, zpl_symbol_data


def _post(app: Flask, token: str, body: dict[str, Any]) -> Any:
    return app.test_client().post("/api/v1/labels/print", json=body,
                                  headers={"Authorization": f"Bearer {token}"})


def test_api_prints_pdf_then_requires_a_reason_to_reprint(
    app: Flask, api_token: Any, db: Any, tmp_path: Path
) -> None:
    token = api_token("s01.tech")
    codes = [specimen_code(db, status="expected", site="S01"),
             specimen_code(db, status="collected", site="S01")]
    resp = _post(app, token, {"codes": [c.lower() + "\r\n" for c in codes]})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert decode_pdf(resp.data, tmp_path, count=2) == codes
    again = _post(app, token, {"codes": codes, "format": "pdf"})
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "reason_required"
    ok = _post(app, token, {"codes": codes[:1], "stock": "slide-a4", "reason": "torn"})
    assert decode_pdf(ok.data, tmp_path / "dm", "slide-a4", 1) == codes[:1]
    assert [(e.action, e.reason) for e in print_events(db, codes[0])] == [
        ("label.print", None), ("label.reprint", "torn")]
    assert [e.action for e in print_events(db, codes[1])] == ["label.print"]


def test_api_zpl_at_both_dpis_carries_exactly_the_codes(
    app: Flask, api_token: Any, db: Any
) -> None:
    token = api_token("s01.tech")
    code = specimen_code(db, status="expected", site="S01")
    resp = _post(app, token, {"codes": [code], "format": "zpl"})
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert zpl_symbol_data(resp.get_data(as_text=True)) == [code]
    r300 = _post(app, token, {"codes": [code], "format": "zpl", "dpi": 300,
                              "stock": "cryovial-a4", "reason": "300 dpi printer"})
    zpl = r300.get_data(as_text=True)
    assert "^PW390" in zpl and zpl_symbol_data(zpl) == [code]  # 33 mm at 300 dpi
    bad = _post(app, token, {"codes": [code], "format": "zpl", "dpi": 600, "reason": "x"})
    assert bad.status_code == 422


def test_api_sends_to_the_site_printer(
    app: Flask, api_token: Any, db: Any, fake_printer: FakePrinter
) -> None:
    set_printer(app, "S01", "127.0.0.1", fake_printer.port)
    token = api_token("s01.tech")
    code = specimen_code(db, status="expected", site="S01")
    resp = _post(app, token, {"codes": [code], "format": "printer"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    job = fake_printer.wait_job()
    assert body["printed"] == [code] and body["reprinted"] == []
    assert body["bytes"] == len(job) and body["printer"] == f"127.0.0.1:{fake_printer.port}"
    assert zpl_symbol_data(job.decode()) == [code]


def test_api_refusals(app: Flask, api_token: Any, db: Any) -> None:
    s01 = api_token("s01.tech")
    other = specimen_code(db, status="expected", site="S02")
    own = specimen_code(db, status="expected", site="S01")
    assert _post(app, s01, {"codes": [other]}).status_code == 404
    no_printer = _post(app, s01, {"codes": [own], "format": "printer"})
    assert no_printer.status_code == 409
    assert no_printer.get_json()["error"]["code"] == "no_printer"
    bad_check = _post(app, s01, {"codes": [own[:-1] + ("0" if own[-1] != "0" else "1")]})
    assert bad_check.status_code == 422 and bad_check.get_json()["error"]["code"] == "bad_check"
    assert _post(app, s01, {"codes": []}).status_code == 422
    assert _post(app, s01, {"codes": [own], "stock": "napkin"}).status_code == 422
    assert _post(app, api_token("monitor"), {"codes": [own]}).status_code == 403
    assert print_events(db, own) == []


def test_openapi_documents_the_binary_answers(app: Flask, api_token: Any) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/labels/print"]["post"]
    content = op["responses"]["200"]["content"]
    assert content["application/pdf"]["schema"] == {"type": "string", "format": "binary"}
    assert "text/plain" in content and "application/json" in content
    stocks = app.test_client().get(
        "/api/v1/labels/stocks", headers={"Authorization": f"Bearer {api_token('monitor')}"}
    ).get_json()
    assert {s["name"] for s in stocks} >= {"cryovial-a4", "roll-25x10"}
