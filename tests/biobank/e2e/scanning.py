"""Scanner-speed steps shared by the e2e tests: type codes as a keyboard-wedge scanner does,
read the scan list once every code is answered, and read back what the audit trail recorded."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from biobank import get_db
from biobank.models import AuditEvent, Specimen, User

#: A scanner going down a rack: 5 ms a character, 20 ms from one label to the next.
CHAR_MS = 5
GAP_MS = 20


def user(s: Session, name: str) -> User:
    return s.execute(select(User).where(User.username == name)).scalar_one()


def specimen(s: Session, code: str) -> Specimen:
    return s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()


def misread(code: str) -> str:
    """``code`` with a wrong check character, as a scanner misreads a worn label."""
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def scan_fast(page: Any, codes: list[str]) -> None:
    """Type ``codes`` into the screen's scan input at scanner speed, never waiting for an
    answer."""
    page.focus("[data-scan-input]")
    for code in codes:
        page.keyboard.type(code, delay=CHAR_MS)
        page.keyboard.press("Enter")
        page.wait_for_timeout(GAP_MS)


def screen_log(page: Any, n: int) -> list[tuple[str, str]]:
    """(code, outcome) of each of the ``n`` entries of the scan list, oldest first, once all
    are answered; nothing is left waiting and the input is empty."""
    page.wait_for_function(
        "n => { const e = document.querySelectorAll('[data-scan-log] > li');"
        " return e.length === n && [...e].every(li =>"
        " li.dataset.scanState === 'answered' && li.querySelector('[data-outcome]')); }",
        arg=n, timeout=60_000)
    rows = page.evaluate(
        "() => [...document.querySelectorAll('[data-scan-log] > li')].map(li =>"
        " [li.dataset.scanCode, li.querySelector('[data-outcome]').dataset.outcome])")
    assert page.locator("[data-scan-queue]").inner_text().strip() == ""  # nothing waiting
    assert page.locator("[data-scan-input]").input_value() == ""
    return [(code, outcome) for code, outcome in reversed(rows)]


def recorded(app: Flask, action: str | tuple[str, ...], codes: list[str]) -> list[str]:
    """The specimens among ``codes`` named by ``action`` audit events (or any of several
    actions), in the order the events were written."""
    actions = (action,) if isinstance(action, str) else action
    with get_db(app).transaction() as s:
        events = s.execute(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
        ).scalars()
        named = [str(e.changes.get("specimen") or e.entity_id) for e in events]
    return [c for c in named if c in set(codes)]
