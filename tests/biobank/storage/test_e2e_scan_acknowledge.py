"""In Chromium, scanner only, at scanner speed: a whole-blood tube scanned into a fridge box is
held back with "Scan the tube again to store it anyway", and the same tube scanned next is
stored; with another tube scanned in between, the first is not stored by its next scan — it is
warned about again. The scan queue sends the scans one at a time in the order typed, so the
outcome does not depend on how fast the server answers."""

from __future__ import annotations

from typing import Any

import pytest

from biobank.services import storage
from tests.conftest import browser_login

from .conftest import make_freezer, received, run, specimens_get

pytestmark = pytest.mark.e2e


def _scan_fast(page: Any, codes: list[str]) -> None:
    page.focus("[data-scan-input]")
    for code in codes:
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")


def _outcomes(page: Any, n: int) -> list[tuple[str, str]]:
    """(code, outcome) of the scan list's entries, oldest first, once ``n`` are answered."""
    page.wait_for_function(
        "n => { const e = document.querySelectorAll('[data-scan-log] > li');"
        " return e.length === n && [...e].every(li =>"
        " li.dataset.scanState === 'answered' && li.querySelector('[data-outcome]')); }",
        arg=n)
    rows = page.evaluate(
        "() => [...document.querySelectorAll('[data-scan-log] > li')].map(li =>"
        " [li.dataset.scanCode, li.querySelector('[data-outcome]').dataset.outcome])")
    return [(code, outcome) for code, outcome in reversed(rows)]


def _stored_at(live_server: Any, code: str) -> str | None:
    def where(s: Any, u: Any) -> str | None:
        pos = storage.position_of(s, specimens_get(s, u, code))
        return None if pos is None else storage.position_name(pos.row_no, pos.col_no)

    return run(live_server.app, where)  # type: ignore[no-any-return]


def test_the_same_tube_scanned_again_is_stored(page: Any, live_server: Any) -> None:
    (blood,) = received(live_server.app, 1, types=("whole_blood_edta",))
    fridge = make_freezer(live_server.app, kind="fridge_4c", unit_name="Fridge").box
    browser_login(page, "cb.tech")
    page.goto(f"/storage/boxes/{fridge}")
    _scan_fast(page, [blood])
    warning = page.locator('[data-scan-log] [data-outcome="storage_warning"]')
    warning.wait_for()
    assert "Scan the tube again to store it anyway" in warning.inner_text()
    assert page.locator(f'td[data-specimen="{blood}"]').count() == 0
    _scan_fast(page, [blood])
    assert _outcomes(page, 2) == [(blood, "storage_warning"), (blood, "stored")]
    page.wait_for_selector(f'td[data-position="A1"][data-specimen="{blood}"]')
    assert _stored_at(live_server, blood) == "A1"


def test_another_tube_scanned_in_between_leaves_the_first_unstored(
        page: Any, live_server: Any) -> None:
    first, other = received(live_server.app, 2, types=("whole_blood_edta",))
    fridge = make_freezer(live_server.app, kind="fridge_4c", unit_name="Fridge").box
    browser_login(page, "cb.tech")
    page.goto(f"/storage/boxes/{fridge}")
    # Typed as fast as a scanner goes down a rack: all three are queued before most answers.
    _scan_fast(page, [first, other, first])
    assert _outcomes(page, 3) == [(first, "storage_warning"), (other, "storage_warning"),
                                  (first, "storage_warning")]
    assert _stored_at(live_server, first) is None and _stored_at(live_server, other) is None
    assert page.locator("td[data-specimen]").count() == 0
    # The warning just given is the one the next scan acknowledges.
    _scan_fast(page, [first])
    assert _outcomes(page, 4)[-1] == (first, "stored")
    assert _stored_at(live_server, first) == "A1" and _stored_at(live_server, other) is None
