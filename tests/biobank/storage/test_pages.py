"""Storage pages and API over HTTP: the box map, store by scan (htmx), the scan station and the
specimen page showing the full path, check-out/in, the rack import, reports and FHIR."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from flask import Flask

from tests.conftest import post_form

from .conftest import Freezer, make_freezer, received, store

HX = {"HX-Request": "true"}


def test_box_map_shows_each_specimen_with_text_and_a_link(app: Flask, freezer: Freezer,
                                                          client_as: Any) -> None:
    a = received(app, 1, types=("whole_blood_edta",))[0]
    store(app, freezer.box, a, "C4")
    c = client_as("cb.tech")
    html = c.get(f"/storage/boxes/{freezer.box}").get_data(as_text=True)
    cell = re.search(r'<td class="cell full t-whole_blood_edta s-stored"[^>]*'
                     r'data-position="C4" data-specimen="' + a + r'".*?</td>', html, re.S)
    assert cell, "C4 is drawn as a whole-blood specimen"
    # Not colour alone: the type and status are written in the cell, which links to the tube.
    assert ">WB<" in cell.group(0) and "●" in cell.group(0)
    assert f'href="/specimens/{a}"' in cell.group(0)
    assert 'data-next-free="A1"' in html
    assert html.count('class="cell ') == 81


def test_store_by_scan_answers_with_a_fragment_and_the_new_grid(
        app: Flask, freezer: Freezer, client_as: Any) -> None:
    a, b = received(app, 2)
    c = client_as("cb.tech")
    r = post_form(c, f"/storage/boxes/{freezer.box}/store", {"code": a + "\r\n"}, headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-outcome="stored"' in html
    assert 'data-stored-at="A1"' in html and 'hx-swap-oob="true"' in html
    # A chosen position (clicked cell) wins over the suggestion.
    r = post_form(c, f"/storage/boxes/{freezer.box}/store", {"code": b, "position": "E5"},
                  headers=HX)
    assert 'data-stored-at="E5"' in r.get_data(as_text=True)
    # An occupied position: a loud refusal, nothing written.
    r = post_form(c, f"/storage/boxes/{freezer.box}/store", {"code": a, "position": "E5"},
                  headers=HX)
    html = r.get_data(as_text=True)
    assert 'data-outcome="position_occupied"' in html and 'data-sound="refused"' in html
    assert "Position occupied" in html
    # The specimen page and the scan station give the full path.
    page = c.get(f"/specimens/{a}").get_data(as_text=True)
    assert "Freezer A / Rack 2 / Box 1 / A1" in page
    scan = post_form(c, "/scan", {"code": b}, headers=HX).get_data(as_text=True)
    assert "Freezer A / Rack 2 / Box 1 / E5" in scan


def test_scanning_a_box_label_at_the_scan_station_links_to_its_map(
        app: Flask, freezer: Freezer, client_as: Any) -> None:
    c = client_as("cb.tech")
    html = post_form(c, "/scan", {"code": freezer.box}, headers=HX).get_data(as_text=True)
    assert 'data-sound="ok"' in html and f'href="/storage/boxes/{freezer.box}"' in html
    # On the box page, another box label switches box; a rack label places the box there.
    other = make_freezer(app, name="Box 2")
    r = post_form(c, f"/storage/boxes/{freezer.box}/store", {"code": other.box}, headers=HX)
    assert r.headers["HX-Redirect"] == f"/storage/boxes/{other.box}"
    r = post_form(c, f"/storage/boxes/{other.box}/store", {"code": freezer.rack}, headers=HX)
    assert 'data-outcome="box_moved"' in r.get_data(as_text=True)


def test_other_sites_and_read_only_users(app: Flask, freezer: Freezer,
                                         client_as: Any) -> None:
    a = received(app, 1)[0]
    assert client_as("s01.tech").get(f"/storage/boxes/{freezer.box}").status_code == 404
    mon = client_as("monitor")
    assert mon.get(f"/storage/boxes/{freezer.box}").status_code == 200
    r = post_form(mon, f"/storage/boxes/{freezer.box}/store", {"code": a}, headers=HX)
    assert 'data-outcome="forbidden"' in r.get_data(as_text=True) or \
        'data-sound="refused"' in r.get_data(as_text=True)
    assert 'data-specimen="' + a not in mon.get(f"/storage/boxes/{freezer.box}").get_data(
        as_text=True)


def test_check_out_and_in_station(app: Flask, freezer: Freezer, client_as: Any) -> None:
    a = received(app, 1, types=("whole_blood_edta",))[0]
    store(app, freezer.box, a, "B2")
    c = client_as("cb.tech")
    out = post_form(c, "/storage/use", {"mode": "check_out", "code": a}, headers=HX)
    assert 'data-outcome="check_out"' in out.get_data(as_text=True)
    back = post_form(c, "/storage/use", {"mode": "check_in", "code": a}, headers=HX)
    html = back.get_data(as_text=True)
    assert 'data-outcome="check_in"' in html and 'data-freeze-thaw="1"' in html
    again = post_form(c, "/storage/use", {"mode": "check_in", "code": a}, headers=HX)
    assert 'data-outcome="not_checked_out"' in again.get_data(as_text=True)


def test_rack_import_pages(app: Flask, freezer: Freezer, client_as: Any) -> None:
    a, b = received(app, 2)
    store(app, freezer.box, a, "A1")
    c = client_as("cb.tech")
    text = f"Rack,Position,Tube\n{freezer.box},A1,{b}\n{freezer.box},A2,{a}\n"
    html = post_form(c, "/storage/rack-import", {"csv": text}).get_data(as_text=True)
    assert 'data-diff="moved"' in html and 'data-diff="new"' in html
    fp = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html)
    assert fp
    r = post_form(c, "/storage/rack-import/apply", {"csv": text, "fingerprint": fp.group(1)})
    assert r.status_code == 302
    grid = c.get(f"/storage/boxes/{freezer.box}").get_data(as_text=True)
    assert f'data-position="A1" data-specimen="{b}"' in grid
    assert f'data-position="A2" data-specimen="{a}"' in grid
    bad = post_form(c, "/storage/rack-import", {"csv": "Tube;Where\nx;y\n"})
    assert bad.status_code == 422 and "wrong header" in bad.get_data(as_text=True)


def test_reports(app: Flask, freezer: Freezer, client_as: Any, api_token: Any) -> None:
    a = received(app, 1, types=("whole_blood_edta",))[0]
    store(app, freezer.box, a, "A3")
    c = client_as("cb.tech")
    body = c.get("/storage/inventory.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["Specimen"], r["Position"], r["Storage unit"], r["Location"]) for r in rows] == [
        (a, "A3", "Freezer A", "Freezer A / Rack 2 / Box 1")]
    matrix = c.get("/storage/reports/completeness").get_data(as_text=True)
    assert "S01-0001" in matrix and "S02-0001" in matrix
    assert "/ 1 /" in matrix  # some cell counts a stored specimen
    # S01 staff see only their participants.
    assert "S02-0001" not in client_as("s01.tech").get(
        "/storage/reports/completeness").get_data(as_text=True)
    token = api_token("cb.tech")
    fhir = c.get(f"/api/v1/storage/specimens/{a}/fhir",
                 headers={"Authorization": f"Bearer {token}"}).get_json()
    assert fhir["resourceType"] == "Specimen" and fhir["id"] == a
    codings = {c["system"]: c["code"] for c in fhir["type"]["coding"]}
    assert codings["http://snomed.info/sct"] == "258580003"  # whole blood specimen
    assert "whole_blood_edta" in codings.values()  # the biobank's own code beside it
    assert fhir["container"][0]["description"] == "Freezer A / Rack 2 / Box 1 / A3"
    assert fhir["collection"]["collectedDateTime"]
    assert "receivedTime" in fhir


def test_api_store_locate_check_out_and_in(app: Flask, freezer: Freezer,
                                           api_token: Any) -> None:
    a = received(app, 1, types=("whole_blood_edta",))[0]
    c = app.test_client()
    h = {"Authorization": f"Bearer {api_token('cb.tech')}"}
    r = c.post(f"/api/v1/storage/boxes/{freezer.box}/store", json={"specimen": a}, headers=h)
    assert r.status_code == 200 and r.get_json()["position"] == "A1"
    r = c.post(f"/api/v1/storage/boxes/{freezer.box}/store",
               json={"specimen": a, "position": "Z9"}, headers=h)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "outside_box"
    loc = c.get(f"/api/v1/storage/specimens/{a}/location", headers=h).get_json()
    assert loc["location"]["path"] == "Freezer A / Rack 2 / Box 1 / A1"
    r = c.post(f"/api/v1/storage/specimens/{a}/check-out", json={}, headers=h)
    assert r.get_json()["specimen"]["status"] == "checked_out"
    r = c.post(f"/api/v1/storage/specimens/{a}/check-in", json={}, headers=h)
    assert r.get_json()["freeze_thaw_count"] == 1
    box = c.get(f"/api/v1/storage/boxes/{freezer.box}", headers=h).get_json()
    assert box["used"] == 1 and box["next_free"] == "A2"
    text = f"Rack,Position,Tube\n{freezer.box},B1,{a}\n"
    diff = c.post("/api/v1/storage/rack-scans", json={"csv": text}, headers=h).get_json()
    assert [m["tube"] for m in diff["moved"]] == [a] and not diff["applied"]
    done = c.post("/api/v1/storage/rack-scans",
                  json={"csv": text, "fingerprint": diff["fingerprint"]}, headers=h).get_json()
    assert done["applied"]
    loc = c.get(f"/api/v1/storage/specimens/{a}/location", headers=h).get_json()
    assert loc["location"]["position"] == "B1"
