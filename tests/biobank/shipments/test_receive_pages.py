"""The receiving and packing pages as the scanner drives them: a condition card for the next
tube only (the condition select is reset after each tube), a card refused by name on every
other scan screen, the shipment label scanned twice to finish with unscanned tubes (a double
read sent before the count was shown asks again), the finish button that names the count, an
already-received shipment scanned by its receiver, resolutions that clear a flag or accept an
extra, a tube taken out of a draft, shipping after a confirmation page, and the printable
sheet of condition cards (its barcodes decode)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from flask import Flask

from biobank.services import shipments as svc
from tests.conftest import needs, post_form

from .helpers import Api, shipped, tubes
from .test_pages import HX, _outcome

HAEMOLYSED = svc.condition_code("haemolysed")


def _receiving(app: Flask, client_as: Any, api_token: Any, n: int) -> tuple[Any, str,
                                                                              list[str]]:
    codes = tubes(app, n)
    code = shipped(Api(app, api_token("s01.tech")), codes)
    cb = client_as("cb.tech")
    r = post_form(cb, "/shipments/receive", {"code": code}, headers=HX)
    assert r.headers.get("HX-Redirect") == f"/shipments/{code}/receive"
    return cb, code, codes


def _selected_condition(html: str) -> str:
    block = html[html.index('id="next-condition"'):]
    block = block[:block.index("</select>")]
    m = re.search(r'<option value="([^"]*)" selected>', block)
    return (svc.condition_of(m.group(1)) or "") if m else ""


def test_a_scanned_condition_marks_the_next_tube_only(app: Flask, client_as: Any,
                                                      api_token: Any) -> None:
    cb, code, (a, b, c) = _receiving(app, client_as, api_token, 3)
    page = cb.get(f"/shipments/{code}/receive").get_data(as_text=True)
    assert _selected_condition(page) == "" and "/shipments/conditions.pdf" in page

    r = post_form(cb, f"/shipments/{code}/receive", {"code": HAEMOLYSED + "\r\n"}, headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and _outcome(html) == "condition"
    assert 'data-condition="haemolysed"' in html
    # The select shows the waiting card (sent out of band); the tube's scan does not carry
    # it, the server applies it once.
    assert 'hx-swap-oob="true"' in html and _selected_condition(html) == "haemolysed"
    r = post_form(cb, f"/shipments/{code}/receive", {"code": a}, headers=HX)
    html = r.get_data(as_text=True)
    assert _outcome(html) == "damaged" and _selected_condition(html) == ""
    # The next tube: received intact.
    r = post_form(cb, f"/shipments/{code}/receive", {"code": b}, headers=HX)
    assert _outcome(r.get_data(as_text=True)) == "received"
    # Choosing in the select posts the card's code, exactly as a scan of the card would.
    page = cb.get(f"/shipments/{code}/receive").get_data(as_text=True)
    assert f'<option value="{svc.condition_code("leaked")}">' in page
    r = post_form(cb, f"/shipments/{code}/receive", {"code": svc.condition_code("leaked")},
                  headers=HX)
    assert _outcome(r.get_data(as_text=True)) == "condition"
    r = post_form(cb, f"/shipments/{code}/receive", {"code": c}, headers=HX)
    assert _outcome(r.get_data(as_text=True)) == "damaged"
    page = cb.get(f"/shipments/{code}/receive").get_data(as_text=True)
    assert f'data-item="{a}" data-state="damaged"' in page
    assert f'data-item="{b}" data-state="received"' in page
    assert f'data-item="{c}" data-state="damaged"' in page


def test_a_condition_card_is_refused_by_name_elsewhere(app: Flask, client_as: Any,
                                                       api_token: Any) -> None:
    site = client_as("s01.tech")
    r = post_form(site, "/shipments/", {"conditions": "dry_ice", "to": "CB"})
    draft = r.headers["Location"].rstrip("/").split("/")[-1]
    r = post_form(site, f"/shipments/{draft}/pack", {"code": HAEMOLYSED}, headers=HX)
    html = r.get_data(as_text=True)
    assert _outcome(html) == "condition_card" and "receive screen" in html
    r = post_form(site, "/scan", {"code": HAEMOLYSED}, headers=HX)
    assert "condition card" in r.get_data(as_text=True)
    r = post_form(client_as("cb.tech"), "/shipments/receive", {"code": HAEMOLYSED}, headers=HX)
    assert _outcome(r.get_data(as_text=True)) in {"condition_card", "wrong_kind"}
    code, err = Api(app, api_token("s01.tech")).call(
        "POST", f"/shipments/{draft}/items", {"code": HAEMOLYSED})
    assert code == 422 and err["error"]["code"] == "condition_card"


def _missing_seen(html: str) -> str:
    m = re.search(r'<input type="hidden" id="missing-seen" name="missing_seen" value="(\d+)"',
                  html)
    assert m, "no missing_seen field"
    return m.group(1)


def test_a_double_read_of_the_shipment_label_does_not_finish(app: Flask, client_as: Any,
                                                               api_token: Any) -> None:
    """Every scan carries the count of unscanned tubes the screen showed: the label's second
    read, sent before the first answer named a count, is answered with the count again."""
    cb, code, (a, _b, _c) = _receiving(app, client_as, api_token, 3)
    page = cb.get(f"/shipments/{code}/receive").get_data(as_text=True)
    assert _missing_seen(page) == "0"
    post_form(cb, f"/shipments/{code}/receive", {"code": a, "missing_seen": "0"}, headers=HX)
    for _read in range(2):  # the label and the scanner's double read, both sent with 0
        r = post_form(cb, f"/shipments/{code}/receive", {"code": code, "missing_seen": "0"},
                      headers=HX)
        html = r.get_data(as_text=True)
        assert _outcome(html) == "confirm_finish" and 'data-missing="2"' in html
        # The count reaches the scan form, out of band, for the next scan to carry.
        assert _missing_seen(html) == "2" and 'id="missing-seen"' in html
    assert 'data-shipment-status="shipped"' in cb.get(f"/shipments/{code}").get_data(
        as_text=True)
    # Without JavaScript the page itself carries the count it shows.
    assert _missing_seen(cb.get(f"/shipments/{code}/receive").get_data(as_text=True)) == "2"
    r = post_form(cb, f"/shipments/{code}/receive", {"code": code, "missing_seen": "2"},
                  headers=HX)
    assert r.headers.get("HX-Redirect") == f"/shipments/{code}"


def test_the_shipment_label_twice_finishes_with_missing_tubes(app: Flask, client_as: Any,
                                                               api_token: Any) -> None:
    cb, code, (a, b, c) = _receiving(app, client_as, api_token, 3)
    post_form(cb, f"/shipments/{code}/receive", {"code": a}, headers=HX)
    r = post_form(cb, f"/shipments/{code}/receive", {"code": code}, headers=HX)
    html = r.get_data(as_text=True)
    assert _outcome(html) == "confirm_finish" and 'data-missing="2"' in html
    assert f"Scan {code} again to finish" in html
    # Still receiving: nothing became missing.
    assert 'data-shipment-status="shipped"' in cb.get(f"/shipments/{code}").get_data(
        as_text=True)
    # The finish button names the count and is refused if the count it names is stale.
    page = cb.get(f"/shipments/{code}/receive").get_data(as_text=True)
    assert 'id="finish-receipt" data-missing="2"' in page
    assert "2 unscanned tubes become missing" in page
    post_form(cb, f"/shipments/{code}/receive", {"code": b}, headers=HX)
    r = post_form(cb, f"/shipments/{code}/finish", {"expect_missing": "2"})
    assert r.status_code == 409 and "not 2" in r.get_data(as_text=True)
    r = post_form(cb, f"/shipments/{code}/receive", {"code": code}, headers=HX)
    assert _outcome(r.get_data(as_text=True)) == "confirm_finish"
    r = post_form(cb, f"/shipments/{code}/receive", {"code": code}, headers=HX)
    assert r.headers.get("HX-Redirect") == f"/shipments/{code}"
    page = cb.get(f"/shipments/{code}").get_data(as_text=True)
    assert f'data-item="{c}" data-state="missing"' in page

    # The receiver scanning it again is told it is received, by them, and when.
    r = post_form(cb, "/shipments/receive", {"code": code}, headers=HX)
    html = r.get_data(as_text=True)
    assert _outcome(html) == "already_received"
    assert "Someone else" not in html and "you finished its receipt at" in html
    post_form(cb, "/language", {"lang": "zh"})
    html = post_form(cb, "/shipments/receive", {"code": code}, headers=HX).get_data(
        as_text=True)
    assert "您已于" in html and "其他人" not in html


def test_the_finish_button_with_the_count_shown(app: Flask, client_as: Any,
                                                api_token: Any) -> None:
    cb, code, (a, _b) = _receiving(app, client_as, api_token, 2)
    post_form(cb, f"/shipments/{code}/receive", {"code": a}, headers=HX)
    r = post_form(cb, f"/shipments/{code}/finish", {"expect_missing": "1",
                                                    "temperature": "-65"})
    assert r.status_code == 302
    assert 'data-shipment-status="partially_received"' in cb.get(
        f"/shipments/{code}").get_data(as_text=True)


def test_resolutions_clear_a_wrong_flag_and_accept_an_extra(app: Flask, client_as: Any,
                                                            api_token: Any) -> None:
    cb, code, (a,) = _receiving(app, client_as, api_token, 1)
    (extra,) = tubes(app, 1)
    post_form(cb, f"/shipments/{code}/receive", {"code": a, "damage": "thawed"}, headers=HX)
    post_form(cb, f"/shipments/{code}/receive", {"code": extra}, headers=HX)
    post_form(cb, f"/shipments/{code}/receive", {"code": code}, headers=HX)
    page = cb.get(f"/shipments/{code}").get_data(as_text=True)
    assert 'value="cleared">Flag was wrong: the tube is intact (received)' in page
    assert 'value="accepted">Accept into custody here' in page
    r = post_form(cb, f"/shipments/{code}/resolve",
                  {"specimen": a, "action": "cleared", "reason": ""})
    assert r.status_code == 422
    for t, action in ((a, "cleared"), (extra, "accepted")):
        r = post_form(cb, f"/shipments/{code}/resolve",
                      {"specimen": t, "action": action, "reason": "checked at the bench"})
        assert r.status_code == 302
    page = cb.get(f"/shipments/{code}").get_data(as_text=True)
    assert f'data-item="{a}" data-state="received"' in page
    assert "accepted into custody" in page and 'data-resolution="accepted"' in page
    # A monitor reads the audit trail; the extra tube is now CB's and can be stored.
    sp = Api(app, api_token("cb.tech")).ok("GET", f"/specimens/{extra}")["specimen"]
    assert sp["status"] == "received" and sp["site"] == "CB"
    assert post_form(cb, f"/shipments/{code}/action", {"op": "close"}).status_code == 302


def test_packing_page_takes_a_tube_out_and_ships_after_confirming(app: Flask,
                                                                  client_as: Any) -> None:
    a, b = tubes(app, 2)
    site = client_as("s01.tech")
    r = post_form(site, "/shipments/", {"conditions": "dry_ice", "to": "CB"})
    code = r.headers["Location"].rstrip("/").split("/")[-1]
    for t in (a, b):
        post_form(site, f"/shipments/{code}/pack", {"code": t}, headers=HX)
    page = site.get(f"/shipments/{code}").get_data(as_text=True)
    # While packing the count says what it is: tubes packed (nothing awaits a scan yet).
    assert "Tubes packed" in page and "Awaiting scan" not in page
    assert 'data-count="manifest">2<' in page
    assert f'data-unpack="{b}"' in page
    r = post_form(site, f"/shipments/{code}/action", {"op": "unpack", "specimen": b})
    assert r.status_code == 302
    page = site.get(f"/shipments/{code}").get_data(as_text=True)
    assert f'data-item="{b}"' not in page and 'data-count="manifest">1<' in page
    assert f"{b} taken out of the shipment" in page
    post_form(site, f"/shipments/{code}/details",
              {"courier": "SF Express", "tracking_number": "SF-UNPACK-1", "dry_ice_kg": "2.5"})
    post_form(site, f"/shipments/{code}/action", {"op": "ready"})
    assert f'data-unpack="{a}"' not in site.get(f"/shipments/{code}").get_data(as_text=True)
    r = post_form(site, f"/shipments/{code}/action", {"op": "ship"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert 'id="confirm-ship"' in html and "SF-UNPACK-1" in html
    r = post_form(site, f"/shipments/{code}/action", {"op": "ship", "confirm": "yes"})
    assert r.status_code == 302
    page = site.get(f"/shipments/{code}").get_data(as_text=True)
    assert 'data-shipment-status="shipped"' in page and "In transit" in page


def test_ship_without_a_courier_is_refused_before_the_confirmation(app: Flask,
                                                                   client_as: Any) -> None:
    (a,) = tubes(app, 1)
    site = client_as("s01.tech")
    code = post_form(site, "/shipments/", {"conditions": "dry_ice", "to": "CB"}
                     ).headers["Location"].rstrip("/").split("/")[-1]
    post_form(site, f"/shipments/{code}/pack", {"code": a}, headers=HX)
    post_form(site, f"/shipments/{code}/action", {"op": "ready"})
    r = post_form(site, f"/shipments/{code}/action", {"op": "ship"})
    assert r.status_code == 422 and 'id="confirm-ship"' not in r.get_data(as_text=True)


@needs(shutil.which("pdftoppm") is None, "poppler-utils not installed")
def test_condition_sheet_barcodes_decode_in_both_languages(client_as: Any,
                                                           tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    c = client_as("cb.tech")
    for lang, word in (("en", "Haemolysed"), ("zh", "溶血")):
        post_form(c, "/language", {"lang": lang})
        r = c.get("/shipments/conditions.pdf")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        assert "receiving-condition-cards.pdf" in r.headers["Content-Disposition"]
        pdf = tmp_path / f"{lang}.pdf"
        pdf.write_bytes(r.data)
        subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(tmp_path / lang)],
                       check=True)
        pages = sorted(tmp_path.glob(f"{lang}*.png"))
        assert len(pages) == 1
        found = {res.text for res in zxingcpp.read_barcodes(Image.open(pages[0]))
                 if res.format.name == "Code128"}
        assert found == {svc.condition_code(k) for k in svc.CONDITION_CARDS}, found
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert word in text
