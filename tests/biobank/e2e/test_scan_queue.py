"""In Chromium, at scanner speed, on every scan screen: 30 labels typed at 5 ms a character with
20 ms between them (a keyboard-wedge scanner going down a rack), and one misread among them.
Every good code is recorded, in the order scanned, none garbled; the misread one is refused
and the ones after it are still recorded; the screen lists each code against its answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import ExpectedSpecimen, Participant, Site
from biobank.services import shipments, specimens, storage
from tests.conftest import browser_login

from .scanning import misread as _misread
from .scanning import recorded, scan_fast, screen_log
from .scanning import specimen as _specimen
from .scanning import user as _user

pytestmark = pytest.mark.e2e

N = 30
BAD_AT = 10  # the misread label comes after this many good ones


def _new_tubes(live_server: Any, n: int = N) -> list[str]:
    """``n`` freshly labelled blood tubes of one S01 participant, in label order."""
    with get_db(live_server.app).transaction() as s:
        tech = _user(s, "s01.tech")
        participant = s.execute(
            select(Participant).join(Site, Participant.site_id == Site.id)
            .where(Site.code == "S01").order_by(Participant.id)).scalars().first()
        expected = s.execute(
            select(ExpectedSpecimen).where(ExpectedSpecimen.specimen_type == "whole_blood_edta")
            .order_by(ExpectedSpecimen.id)).scalars().first()
        assert participant is not None and expected is not None
        made = [specimens.create_expected(s, tech, participant, expected, 100 + i)
                for i in range(n)]
        return [sp.barcode for sp in made]


def _collected(live_server: Any) -> list[str]:
    codes = _new_tubes(live_server)
    with get_db(live_server.app).transaction() as s:
        tech = _user(s, "s01.tech")
        for code in codes:
            specimens.register_collection(s, tech, _specimen(s, code))
    return codes


def _draft(live_server: Any, codes: list[str]) -> str:
    with get_db(live_server.app).transaction() as s:
        tech = _user(s, "s01.tech")
        sh = shipments.create(s, tech, conditions=next(iter(shipments.CONDITIONS)),
                              courier="SF Express", tracking_number="SF1234567890")
        for code in codes:
            shipments.pack(s, tech, sh, code)
        return str(sh.barcode)


def _in_transit(live_server: Any) -> tuple[str, list[str]]:
    codes = _collected(live_server)
    shipment = _draft(live_server, codes)
    with get_db(live_server.app).transaction() as s:
        tech = _user(s, "s01.tech")
        sh = shipments.get(s, tech, shipment)
        shipments.mark_ready(s, tech, sh)
        shipments.ship(s, tech, sh)
        shipments.start_receipt(s, _user(s, "cb.tech"), sh)
    return shipment, codes


def _received(live_server: Any) -> list[str]:
    shipment, codes = _in_transit(live_server)
    with get_db(live_server.app).transaction() as s:
        tech = _user(s, "cb.tech")
        for code in codes:
            shipments.receive_scan(s, tech, shipment, code)
    return codes


def _box(live_server: Any) -> str:
    with get_db(live_server.app).transaction() as s:
        return str(storage.create_box(s, _user(s, "cb.tech"), box_type="cryobox_9x9",
                                      name="Scan-speed box").barcode)


def _stored(live_server: Any) -> list[str]:
    codes = _received(live_server)
    box = _box(live_server)
    with get_db(live_server.app).transaction() as s:
        tech = _user(s, "cb.tech")
        b = storage.get_box(s, tech, box)
        for code in codes:
            storage.store(s, tech, b, _specimen(s, code))
    return codes


def _scan_fast(page: Any, codes: list[str]) -> list[str]:
    """Type the codes as a scanner does, with one misread label after the first BAD_AT;
    returns what was typed, in order."""
    typed = [*codes[:BAD_AT], _misread(codes[BAD_AT]), *codes[BAD_AT:]]
    scan_fast(page, typed)
    return typed


def _screen_log(page: Any, typed: list[str]) -> list[tuple[str, str]]:
    return screen_log(page, len(typed))


def _recorded(live_server: Any, action: str, codes: list[str]) -> list[str]:
    return recorded(live_server.app, action, codes)


def _check(page: Any, live_server: Any, codes: list[str], typed: list[str], ok: str,
           action: str) -> None:
    log = _screen_log(page, typed)
    assert [c for c, _o in log] == typed  # every code shown, as typed, none garbled
    expected = [(c, ok) for c in codes[:BAD_AT]] + [(typed[BAD_AT], "bad_check")] + \
        [(c, ok) for c in codes[BAD_AT:]]
    assert log == expected
    assert _recorded(live_server, action, codes) == codes


Setup = Callable[[Any], tuple[str, list[str], str, str, str]]


def _scan_station(live_server: Any) -> tuple[str, list[str], str, str, str]:
    return "s01.tech", _new_tubes(live_server), "/scan", "collected", "specimen.collect"


def _pack(live_server: Any) -> tuple[str, list[str], str, str, str]:
    codes = _collected(live_server)
    return "s01.tech", codes, f"/shipments/{_draft(live_server, [])}", "packed", "shipment.pack"


def _receive(live_server: Any) -> tuple[str, list[str], str, str, str]:
    shipment, codes = _in_transit(live_server)
    return "cb.tech", codes, f"/shipments/{shipment}/receive", "received", "specimen.receive"


def _store(live_server: Any) -> tuple[str, list[str], str, str, str]:
    codes = _received(live_server)
    return "cb.tech", codes, f"/storage/boxes/{_box(live_server)}", "stored", "specimen.store"


def _check_out(live_server: Any) -> tuple[str, list[str], str, str, str]:
    return "cb.tech", _stored(live_server), "/storage/use", "check_out", "specimen.check_out"


@pytest.mark.parametrize("setup", [_scan_station, _pack, _receive, _store, _check_out],
                         ids=["scan", "pack", "receive", "store", "check_out"])
def test_thirty_scans_at_scanner_speed(page: Any, live_server: Any, setup: Setup) -> None:
    user, codes, path, ok, action = setup(live_server)
    browser_login(page, user)
    page.goto(path)
    typed = _scan_fast(page, codes)
    _check(page, live_server, codes, typed, ok, action)
    # The newest answer is the one shown in full, on top.
    newest = page.locator("[data-scan-log] > li").first
    assert newest.get_attribute("data-scan-code") == codes[-1]
    assert "older" not in (newest.get_attribute("class") or "")


def test_store_fills_the_box_in_scan_order(page: Any, live_server: Any) -> None:
    """The positions follow the order of the scans: the server saw the sequence made."""
    codes = _received(live_server)
    box = _box(live_server)
    browser_login(page, "cb.tech")
    page.goto(f"/storage/boxes/{box}")
    typed = _scan_fast(page, codes)
    _screen_log(page, typed)
    with get_db(live_server.app).transaction() as s:
        b = storage.get_box(s, _user(s, "cb.tech"), box)
        taken = storage.occupancy(s, b)
        where = {p.specimen.barcode: key for key, p in taken.items()}
        assert [where[c] for c in codes] == storage.fill_sequence(b)[:N]


def test_a_code_typed_while_answers_are_pending_keeps_every_character(
        page: Any, live_server: Any) -> None:
    """Answers arriving while the next code is typed slowly (a technician keying a worn
    label by hand) never clear or cut it; the queue length is shown while answers wait."""
    codes = _new_tubes(live_server, 6)
    browser_login(page, "s01.tech")
    page.goto("/scan")
    page.evaluate("""() => {
        const status = document.querySelector('[data-scan-queue]');
        window.mostWaiting = 0;
        new MutationObserver(() => {
            const n = parseInt(status.dataset.pending || '0', 10);
            if (n > window.mostWaiting) { window.mostWaiting = n; }
        }).observe(status, {attributes: true, attributeFilter: ['data-pending']});
    }""")
    # The first answer is held back (a slow network) so the next codes must wait their turn
    # however fast this machine's server answers; it is let go halfway through the sixth code,
    # so the answers land while that code is being typed.
    held: list[Any] = []

    def hold_first(route: Any) -> None:
        if not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/scan", hold_first)
    page.focus("[data-scan-input]")
    for code in codes[:5]:
        page.keyboard.type(code, delay=1)
        page.keyboard.press("Enter")
    half = len(codes[5]) // 2
    page.keyboard.type(codes[5][:half], delay=60)
    assert len(held) == 1
    held[0].continue_()
    page.keyboard.type(codes[5][half:], delay=60)  # slow enough for the answers to land
    assert page.locator("[data-scan-input]").input_value() == codes[5]
    page.keyboard.press("Enter")
    log = _screen_log(page, codes)
    assert log == [(c, "collected") for c in codes]
    # While the first answer was held, the status line said how many codes were waiting.
    assert page.evaluate("window.mostWaiting") >= 5


def test_a_lost_answer_is_resent_and_answered_once(page: Any, live_server: Any) -> None:
    """The server records a scan but its answer is lost on the way back (a dropped Wi-Fi
    link): the queue resends it with the same key and shows the original answer; the
    collection is registered once and the next scans follow in order."""
    codes = _new_tubes(live_server, 3)
    browser_login(page, "s01.tech")
    page.goto("/scan")
    keys: list[str] = []

    def lose_first_answer(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server does the work...
            route.abort("connectionreset")  # ...and the answer never arrives
        else:
            route.continue_()

    page.route("**/scan", lose_first_answer)
    page.focus("[data-scan-input]")
    for code in codes:
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")
    assert _screen_log(page, codes) == [(c, "collected") for c in codes]
    assert keys[0] and keys[1] == keys[0] and len(set(keys)) == len(codes)
    assert _recorded(live_server, "specimen.collect", codes) == codes


def _refused_entry(page: Any, code: str) -> str:
    page.focus("[data-scan-input]")
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-scan-log] > li').dataset.scanState === 'refused'")
    return str(page.locator("[data-scan-log] > li").first.inner_text())


def test_a_scan_after_the_session_ended_is_refused_against_its_code(page: Any,
                                                                     live_server: Any) -> None:
    """Signed out elsewhere: the server's own refusal is shown against the code, and the
    tube is not recorded."""
    codes = _new_tubes(live_server, 2)
    browser_login(page, "s01.tech")
    page.goto("/scan")
    # Every answer still on its way (the favicon's too) before the cookies go: a late one
    # would bring the refreshed session cookie back.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    text = _refused_entry(page, codes[0])
    assert codes[0] in text and "reload" in text
    # Sent to the sign-in page instead of an answer (the idle time-out): not recorded, said so.
    page.route("**/scan", lambda route: route.fulfill(status=302, headers={"Location": "/login"}))
    text = _refused_entry(page, codes[1])
    assert codes[1] in text and "Not recorded — scan it again" in text
    assert _recorded(live_server, "specimen.collect", codes) == []
