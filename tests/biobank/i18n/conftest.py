"""A browser page that lets the accessibility tests inject axe-core (test-only script).

The app's CSP forbids inline script, which is right for the app and would also block
Playwright's ``add_script_tag``; this context bypasses CSP for the injected checker only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, missing_dependency


@pytest.fixture
def axe_page(live_server: LiveServer) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        missing_dependency(f"{CHROMIUM} not installed (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, bypass_csp=True,
                                      locale="en-GB")
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        yield pg
        context.close()
        browser.close()
