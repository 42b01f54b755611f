"""axe-core finds no serious or critical violation on the shipment screens that receiving by
scan changed, in English and in Chinese: a draft with its take-out buttons and its dry-ice
mass field, the ship confirmation asking for the dry-ice mass (refused beside the field), the
receive screen answering a condition card and a first scan of the shipment
label, and the received shipment with its resolution forms."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Site, Specimen, User
from biobank.services import shipments as svc

from .test_bench_e2e import _keyboard_login, _serious_violations, _switch_to

pytestmark = pytest.mark.e2e


def _collected(s: Any, n: int) -> list[str]:
    return [str(c) for c in s.execute(
        select(Specimen.barcode).join(Participant).join(Site, Participant.site_id == Site.id)
        .where(Specimen.status == "collected", Site.code == "S01").order_by(Specimen.id)
        .limit(n)).scalars()]


def _shipments(live_server: Any) -> tuple[str, str, str]:
    """A draft of two tubes, a ready shipment (its dry-ice mass not recorded yet), and a
    shipment in transit of three."""
    with get_db(live_server.app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        codes = _collected(s, 7)
        made = []
        for n, (tubes, state) in enumerate(((codes[:2], "draft"), (codes[2:4], "ready"),
                                            (codes[4:], "shipped"))):
            sh = svc.create(s, tech, conditions="dry_ice", courier="SF Express",
                            tracking_number=f"SF-AXE-{n}",
                            dry_ice_kg=None if state == "ready" else "4")
            for t in tubes:
                svc.pack(s, tech, sh, t)
            if state != "draft":
                svc.mark_ready(s, tech, sh)
            if state == "shipped":
                svc.ship(s, tech, sh)
            made.append(sh.barcode)
        return made[0], made[1], made[2]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_changed_shipment_screens_are_accessible(axe_page: Any, live_server: Any,
                                                 lang: str) -> None:
    draft, ready, inbound = _shipments(live_server)
    page = axe_page
    problems: dict[str, list[str]] = {}

    _keyboard_login(page, "s01.tech")
    _switch_to(page, lang)
    page.goto(f"/shipments/{draft}")
    assert page.locator("form[data-unpack]").count() == 2
    problems["draft"] = _serious_violations(page)
    page.goto(f"/shipments/{ready}")
    page.click("#op-ship")
    page.wait_for_selector("[data-ship-confirm]")
    assert page.locator("#ship-form [data-field=dry_ice_kg]").count() == 1
    problems["ship confirmation, dry-ice mass refused"] = _serious_violations(page)

    page.context.clear_cookies()
    _keyboard_login(page, "cb.tech")
    _switch_to(page, lang)
    page.goto("/shipments/receive")
    page.focus("[data-scan-input]")
    page.keyboard.type(inbound)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/shipments/{inbound}/receive")
    page.keyboard.type(svc.condition_code("broken"))
    page.keyboard.press("Enter")
    page.wait_for_selector('#receive-result [data-outcome="condition"]')
    problems["receive: condition card"] = _serious_violations(page)
    page.keyboard.type(inbound)
    page.keyboard.press("Enter")
    page.wait_for_selector('#receive-result [data-outcome="confirm_finish"]')
    problems["receive: finish to confirm"] = _serious_violations(page)
    page.keyboard.type(inbound)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/shipments/{inbound}")
    assert page.locator("form[data-resolve]").count() == 3
    problems["received, resolutions"] = _serious_violations(page)
    page.goto("/shipments/discrepancies")
    problems["discrepancies"] = _serious_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
