"""What the configured keyboard-wedge scanners add around a code, read from the app config in
one place for every scan-driven page and API route."""

from __future__ import annotations

from flask import current_app

from ..services import scan


def affixes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(prefixes, suffixes) the scanners are programmed to add."""
    return (tuple(current_app.config["SCANNER_PREFIXES"]),
            tuple(current_app.config["SCANNER_SUFFIXES"]))


def clean(raw: str) -> str:
    """The checked ID in a scan, or :class:`scan.ScanError` saying what is wrong with it."""
    prefixes, suffixes = affixes()
    return scan.clean(raw, prefixes, suffixes)
