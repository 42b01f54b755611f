"""Under CI (``CI=true``) a missing PostgreSQL, Chromium or poppler fails the run; on a
developer's machine the tests that need them skip, saying why (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parents[1]
ONE_TEST = "tests/biobank/test_inputs.py::test_length_is_bounded_per_field"


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_TEST],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
        check=False)


def test_ci_without_postgresql_fails_the_run() -> None:
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:9/test"
    ci = _run(CI="true", BIOBANK_TEST_PG_URL=nowhere)
    assert ci.returncode != 0
    assert "CI=true and PostgreSQL not reachable" in ci.stdout + ci.stderr
    local = _run(CI="", BIOBANK_TEST_PG_URL=nowhere)
    assert local.returncode == 0, local.stdout[-2000:]


def test_a_missing_tool_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception):
        conftest.missing_dependency("pdftoppm not installed")
    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        conftest.missing_dependency("pdftoppm not installed")
