"""The scanner-driven pages: pack by scanning, receive by scanning (the shipment label again
finishes), resolve in the queue; manifests (the PDF's barcode decodes) and custody CSV."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from flask import Flask

from tests.conftest import needs, post_form

from .helpers import Api, manifest_texts, shipped, tubes

HX = {"HX-Request": "true"}


def _outcome(html: str) -> str:
    m = re.search(r'data-outcome="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def test_pack_and_receive_by_scanner(app: Flask, client_as: Any) -> None:
    a, b, stray = tubes(app, 3)
    site = client_as("s01.tech")
    r = post_form(site, "/shipments/", {"conditions": "dry_ice", "to": "CB"})
    assert r.status_code == 302
    code = r.headers["Location"].rstrip("/").split("/")[-1]
    assert code.startswith("SH")
    for t in (a, b):
        r = post_form(site, f"/shipments/{code}/pack", {"code": t + "\r\n"}, headers=HX)
        assert _outcome(r.get_data(as_text=True)) == "packed"
    r = post_form(site, f"/shipments/{code}/pack", {"code": a}, headers=HX)
    assert _outcome(r.get_data(as_text=True)) == "already_packed"
    misread = a[:-1] + ("0" if a[-1] != "0" else "1")
    r = post_form(site, f"/shipments/{code}/pack", {"code": misread}, headers=HX)
    assert _outcome(r.get_data(as_text=True)) == "bad_check"
    assert 'data-sound="bad_check"' in r.get_data(as_text=True)
    post_form(site, f"/shipments/{code}/details",
              {"courier": "SF Express", "tracking_number": "SF-PAGE-1", "logger_id": "L1",
               "dry_ice_kg": "2.5"})
    assert post_form(site, f"/shipments/{code}/action", {"op": "ready"}).status_code == 302
    # "Ship now" first shows what leaves; only the confirmation ships.
    r = post_form(site, f"/shipments/{code}/action", {"op": "ship"})
    assert r.status_code == 200 and f'data-ship-confirm="{code}"' in r.get_data(as_text=True)
    assert 'data-shipment-status="ready"' in site.get(f"/shipments/{code}").get_data(
        as_text=True)
    assert post_form(site, f"/shipments/{code}/action",
                     {"op": "ship", "confirm": "yes"}).status_code == 302
    page = site.get(f"/shipments/{code}").get_data(as_text=True)
    assert 'data-shipment-status="shipped"' in page

    cb = client_as("cb.tech")
    # The scan station recognises the shipment label and links to receiving.
    r = post_form(cb, "/scan", {"code": code}, headers=HX)
    assert f"/shipments/{code}" in r.get_data(as_text=True)
    r = post_form(cb, "/shipments/receive", {"code": code, "package_condition": "intact",
                                             "temperature": "-72"}, headers=HX)
    assert r.headers.get("HX-Redirect") == f"/shipments/{code}/receive"
    r = post_form(cb, f"/shipments/{code}/receive", {"code": a}, headers=HX)
    html = r.get_data(as_text=True)
    assert _outcome(html) == "received" and 'data-count="received">1<' in html
    r = post_form(cb, f"/shipments/{code}/receive", {"code": stray}, headers=HX)
    assert _outcome(r.get_data(as_text=True)) == "extra"
    # The shipment's own label says that b would become missing; scanned again, it finishes.
    r = post_form(cb, f"/shipments/{code}/receive", {"code": code}, headers=HX)
    html = r.get_data(as_text=True)
    assert _outcome(html) == "confirm_finish" and 'data-missing="1"' in html
    r = post_form(cb, f"/shipments/{code}/receive", {"code": code}, headers=HX)
    assert r.headers.get("HX-Redirect") == f"/shipments/{code}"
    page = cb.get(f"/shipments/{code}").get_data(as_text=True)
    assert 'data-shipment-status="partially_received"' in page
    assert f'data-item="{b}" data-state="missing"' in page
    queue = cb.get("/shipments/discrepancies").get_data(as_text=True)
    assert b in queue and stray in queue
    r = post_form(cb, f"/shipments/{code}/action", {"op": "close"})
    assert r.status_code == 409
    for t, action in ((b, "lost"), (stray, "noted")):
        r = post_form(cb, f"/shipments/{code}/resolve",
                      {"specimen": t, "reason": "checked with S01", "action": action,
                       "next": "queue"})
        assert r.status_code == 302
    assert post_form(cb, f"/shipments/{code}/action", {"op": "close"}).status_code == 302
    assert 'data-shipment-status="closed"' in cb.get(f"/shipments/{code}").get_data(as_text=True)

    # Custody export: each hand-off with who, where, when.
    r = cb.get(f"/shipments/custody/{a}.csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    # Headings read in the reader's words; the cells keep the stored codes.
    handoffs = [(x["Event"], x["Site"], x["Who"], x["Shipment"]) for x in rows][-2:]
    assert handoffs == [("ship", "S01", "s01.tech", code), ("receive", "CB", "cb.tech", code)]
    assert all(x["Time (UTC)"] for x in rows)
    assert "custody" in cb.get(f"/specimens/{a}").get_data(as_text=True).lower()


def test_second_technician_is_refused_while_one_receives(app: Flask, client_as: Any,
                                                         api_token: Any) -> None:
    (t,) = tubes(app, 1)
    code = shipped(Api(app, api_token("s01.tech")), [t])
    admin = Api(app, api_token("admin"))
    admin.ok("POST", f"/shipments/{code}/receipt", {}, 201)
    cb = client_as("cb.tech")
    r = post_form(cb, "/shipments/receive", {"code": code}, headers=HX)
    html = r.get_data(as_text=True)
    assert _outcome(html) == "receipt_open" and "admin" in html
    got, err = Api(app, api_token("cb.tech")).call("POST", f"/shipments/{code}/receipt/scans",
                                                   {"code": t})
    assert got == 409 and "admin" in err["error"]["message"]


@needs(shutil.which("pdftoppm") is None, "poppler-utils not installed")
def test_manifest_pdf_barcode_decodes(app: Flask, client_as: Any, api_token: Any,
                                      tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    a, b = tubes(app, 2)
    code = shipped(Api(app, api_token("s01.tech")), [a, b])
    r = client_as("cb.tech").get(f"/shipments/{code}/manifest.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = tmp_path / "m.pdf"
    pdf.write_bytes(r.data)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    found = zxingcpp.read_barcodes(Image.open(png))
    texts = {(res.format.name, res.text) for res in found}
    assert ("Code128", code) in texts, texts
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert a in text and b in text and "SF1234567890" in text

    j = client_as("cb.tech").get(f"/shipments/{code}/manifest.json").get_json()
    assert j["shipment"] == code and [i["specimen"] for i in j["items"]] == [a, b]


@needs(shutil.which("pdftotext") is None, "poppler-utils not installed")
def test_manifest_pdf_follows_the_readers_language_and_names_the_zone(
        app: Flask, client_as: Any, api_token: Any, tmp_path: Path) -> None:
    a, b = tubes(app, 2)
    code = shipped(Api(app, api_token("s01.tech")), [a, b])
    c = client_as("cb.tech")
    texts = manifest_texts(c, code, tmp_path)
    assert "Shipment manifest" in texts["en"] and "运输清单" not in texts["en"]
    assert "运输清单" in texts["zh"] and "采集时间" in texts["zh"]
    for text in texts.values():
        assert "Asia/Shanghai (UTC+08:00)" in text and a in text and b in text
        assert "(UTC)" not in text
