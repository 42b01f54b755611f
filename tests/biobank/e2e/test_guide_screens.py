"""The screens the user guides (docs/guides/) show, walked in Chromium per role and language.

Each screen is opened as its role would open it, checked for what the guide says is there, and
photographed. The photographs go to ``tmp_path``; ``make guides`` sets GUIDE_SCREENSHOT_DIR to
``docs/guides/img`` so that the guides always show the screens as they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Site, Specimen
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e


class Screen(NamedTuple):
    role: str  # the demo login
    name: str  # the file name the guide links to
    path: str  # may hold {participant}, {specimen}
    selector: str  # what the guide points at on that screen


SCREENS = (
    Screen("s01.tech", "technician-home", "/", "h1"),
    Screen("s01.tech", "technician-scan", "/scan", "#scan-input, input[name=code]"),
    Screen("s01.tech", "technician-participant", "/participants/{participant}", "h1"),
    Screen("s01.tech", "technician-shipments", "/shipments/", "h1"),
    Screen("cb.tech", "technician-receive", "/shipments/receive", "h1"),
    Screen("cb.tech", "technician-storage", "/storage/", "h1"),
    Screen("pathologist", "pathologist-home", "/", "#worklist-counts"),
    Screen("pathologist", "pathologist-worklist", "/genotyping/worklist", "table.worklist"),
    Screen("pathologist", "pathologist-genotyping", "/genotyping/participants/{participant}",
           "form[enctype='multipart/form-data']"),
    Screen("s01.coord", "coordinator-participants", "/participants/", "table"),
    Screen("s01.coord", "coordinator-gate", "/genotyping/participants/{participant}/gate",
           "h1"),
    Screen("monitor", "monitor-audit", "/audit/", "table"),
)


def _participant(app: Any) -> str:
    """A demo participant of S01 with blood and tissue collected (the guides' example)."""
    with get_db(app).transaction() as s:
        return str(s.execute(
            select(Participant.code).join(Site, Participant.site_id == Site.id)
            .join(Specimen, Specimen.participant_id == Participant.id)
            .where(Site.code == "S01", Specimen.specimen_type == "ffpe_block",
                   Specimen.status == "collected")
            .order_by(Participant.id)).scalars().first())


def _out_dir(tmp_path: Path, lang: str) -> Path:
    root = os.environ.get("GUIDE_SCREENSHOT_DIR")
    out = (Path(root) if root else tmp_path) / lang
    out.mkdir(parents=True, exist_ok=True)
    return out


def _set_language(page: Any, lang: str) -> None:
    page.goto("/")
    if page.evaluate("document.documentElement.lang") != ("zh-Hans" if lang == "zh" else "en"):
        page.click(f"button[name=lang][value={lang}]")
        page.wait_for_function("l => document.documentElement.lang === l",
                               arg="zh-Hans" if lang == "zh" else "en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_guide_screen_opens_for_its_role(page: Any, live_server: Any, tmp_path: Path,
                                               lang: str) -> None:
    participant = _participant(live_server.app)
    out = _out_dir(tmp_path, lang)
    page.set_viewport_size({"width": 1280, "height": 800})
    signed_in = None
    for screen in SCREENS:
        if screen.role != signed_in:
            page.context.clear_cookies()
            browser_login(page, screen.role)
            _set_language(page, lang)
            signed_in = screen.role
        response = page.goto(screen.path.format(participant=participant))
        assert response is not None and response.status == 200, (screen, response)
        assert page.evaluate("document.documentElement.lang") == (
            "zh-Hans" if lang == "zh" else "en"), screen
        target = page.locator(screen.selector).first
        assert target.is_visible(), screen
        # The guide's reader must see the whole width the screen uses at 1280 px.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, screen
        shot = out / f"{screen.name}.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 5_000, screen  # a real page, not a blank frame
