"""The log-hygiene check itself: it must catch what it is meant to catch (the real check runs
over every record of the suite at session end, in tests/conftest.py)."""

from __future__ import annotations

from tests.conftest import DEMO_PASSWORD, log_hygiene_violations


def test_detects_each_kind_of_leak() -> None:
    leaks = [
        f"biobank.security: login refused for password={DEMO_PASSWORD}",
        "biobank.web: token bbk_abcdefghijklmnopqrstuvwxyz0123 used",
        "variant_calling: bad record 11\t64804546\t.\tC\tT\t50\tPASS",
        "biobank.genotyping: S01-0003 carries NM_001370259.2:c.1378C>T",
    ]
    assert len(log_hygiene_violations(leaks)) == 4


def test_ordinary_lines_pass() -> None:
    fine = [
        "biobank.security: refused POST /scan -> 422 bad_check (user=s01.tech)",
        "biobank.security: refused GET /participants/S02-0001 -> 404 not_found (user=s01.coord)",
        "biobank.web: commit refused by a database constraint: UniqueViolation",
    ]
    assert log_hygiene_violations(fine) == []
