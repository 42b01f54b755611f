"""The scan screens with a filled scan list (a good scan, a misread label and another site's
tube), in English and Chinese: no serious or critical axe-core violation, and another site's
tube reads as such in both languages, in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from biobank import get_db
from tests.biobank.e2e.test_scan_queue import _collected, _draft, _in_transit, _misread, _user
from tests.biobank.helpers import specimen_code
from tests.biobank.i18n.test_bench_e2e import _keyboard_login, _serious_violations, _switch_to

pytestmark = pytest.mark.e2e

OTHER_SITE = {"en": "Another site's tube — set it aside", "zh": "其他中心的标本管——请放在一旁"}


def _foreign(live_server: Any) -> str:
    """A collected tube of an S02 participant: S01 staff hold it by mistake."""
    with get_db(live_server.app).transaction() as s:
        return specimen_code(s, status="collected", site="S02")


def _s01_box(live_server: Any) -> str:
    from biobank.services import storage

    with get_db(live_server.app).transaction() as s:
        return str(storage.create_box(s, _user(s, "s01.tech"), box_type="cryobox_9x9",
                                      name="S01 bench box").barcode)


Screen = Callable[[Any], tuple[str, str, str, bool]]


def _scan(ls: Any) -> tuple[str, str, str, bool]:
    return "s01.tech", "/scan", _collected(ls)[0], True


def _pack(ls: Any) -> tuple[str, str, str, bool]:
    code = _collected(ls)[0]
    return "s01.tech", f"/shipments/{_draft(ls, [])}", code, True


def _receive(ls: Any) -> tuple[str, str, str, bool]:
    shipment, codes = _in_transit(ls)
    return "cb.tech", f"/shipments/{shipment}/receive", codes[0], False


def _store(ls: Any) -> tuple[str, str, str, bool]:
    return "s01.tech", f"/storage/boxes/{_s01_box(ls)}", _collected(ls)[0], True


def _use(ls: Any) -> tuple[str, str, str, bool]:
    return "s01.tech", "/storage/use", _collected(ls)[0], True


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("screen", [_scan, _pack, _receive, _store, _use],
                         ids=["scan", "pack", "receive", "store", "use"])
def test_scan_list_is_accessible_in_both_languages(axe_page: Any, live_server: Any,
                                                   screen: Screen, lang: str) -> None:
    page = axe_page
    username, path, good, at_collection_site = screen(live_server)
    codes = [good, _misread(good)]
    if at_collection_site:  # central staff see every site: no tube is another site's to them
        codes.append(_foreign(live_server))
    _keyboard_login(page, username)
    _switch_to(page, lang)
    page.goto(path)
    page.focus("[data-scan-input]")
    for code in codes:
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")
    page.wait_for_function(
        "n => { const e = document.querySelectorAll('[data-scan-log] > li');"
        " return e.length === n && [...e].every(li => li.dataset.scanState === 'answered'); }",
        arg=len(codes))
    outcomes = page.evaluate(
        "() => [...document.querySelectorAll('[data-scan-log] > li')].map(li =>"
        " li.querySelector('[data-outcome]').dataset.outcome)")
    assert outcomes[-2] == "bad_check"  # newest first: the misread label is second oldest
    if at_collection_site:
        newest = page.locator("[data-scan-log] > li").first
        assert outcomes[0] == "other_site"
        assert OTHER_SITE[lang] in newest.inner_text()
    assert not _serious_violations(page), _serious_violations(page)
