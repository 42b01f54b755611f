"""In Chromium, en and zh: the gate's status column keeps "满足" on one line, the specimen
history reads like a record people keep, and the pages changed for readable values pass
axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.biobank.genotyping.conftest import demo_specimens, receive_at_central
from tests.biobank.i18n.test_bench_e2e import _serious_violations, _switch_to
from tests.conftest import browser_login

#: Lines of text in an element: the distinct tops of its text's line boxes.
LINES = """el => {
    const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size;
}"""


def _received(live_server: Any) -> Any:
    demo = demo_specimens(live_server.app)
    receive_at_central(live_server.app, [demo.blood, demo.tumour])
    return demo


@pytest.mark.parametrize("width", [1280, 760])
def test_gate_status_column_does_not_wrap_chinese_per_character(axe_page: Any,
                                                               live_server: Any,
                                                               width: int) -> None:
    demo = _received(live_server)
    page = axe_page
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, "s01.coord")
    _switch_to(page, "zh")
    page.goto(f"/genotyping/participants/{demo.participant}/gate")
    met = page.locator("tr[data-status='met'] td.status")
    assert met.count() >= 2  # the two baseline specimens are at the central biobank
    for i in range(met.count()):
        cell = met.nth(i)
        assert "满足" in cell.inner_text()
        assert cell.evaluate(LINES) == 1, (width, cell.inner_text())
        # The text is one line tall (the cell itself is as tall as its row's longest cell).
        height = cell.evaluate("el => { const r = document.createRange(); "
                               "r.selectNodeContents(el); "
                               "return r.getBoundingClientRect().height; }")
        size = cell.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert height < 2 * size, (height, size)
    heading = page.locator("table.criteria th.status")
    assert heading.evaluate(LINES) == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_specimen_history_reads_like_a_record(axe_page: Any, live_server: Any,
                                              lang: str) -> None:
    demo = _received(live_server)
    page = axe_page
    browser_login(page, "cb.tech")
    _switch_to(page, lang)
    page.goto(f"/specimens/{demo.blood}")
    history = page.locator("h2 + table", has_text="S01").last.inner_text()
    body = page.locator("main").inner_text()
    expected = {"en": ["Site: S01 → CB", "Status: In transit → Received", "Receipt"],
                "zh": ["中心：S01 → CB", "状态：运输中 → 已接收", "接收"]}[lang]
    for text in expected:
        assert text in body, (text, history)
    # Local time to the minute, never UTC with microseconds or a raw field name.
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+|\+00:00|site: \[|freeze_thaw_count|None",
                         body), body
    assert re.search(r"\d{2}:\d{2} CST", body)
    options = page.locator("#field option").all_inner_texts()
    assert options and not any("_" in o for o in options), options
    assert not _serious_violations(page), _serious_violations(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_changed_pages_have_no_serious_accessibility_violations(axe_page: Any,
                                                                live_server: Any,
                                                                lang: str) -> None:
    demo = _received(live_server)
    page = axe_page
    problems: dict[str, list[str]] = {}
    for user, paths in (
            ("s01.coord", ["/participants/", f"/participants/{demo.participant}",
                           f"/genotyping/participants/{demo.participant}/gate",
                           f"/genotyping/participants/{demo.participant}"]),
            ("monitor", ["/audit/", f"/specimens/{demo.tumour}"]),
            # The correction form with each kind of value input: time, number, choice, text.
            ("cb.tech", [f"/specimens/{demo.blood}?correct={field}"
                         for field in ("collected_at", "quantity", "container", "notes")])):
        page.context.clear_cookies()
        browser_login(page, user)
        _switch_to(page, lang)
        for path in paths:
            page.goto(path)
            if "?correct=" in path:  # the form is there to be checked
                assert page.locator("#correct-value").count() == 1
            problems[f"{user} {path}"] = _serious_violations(page)
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}
