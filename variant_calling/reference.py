"""The shipped MEN1 genome windows (plus strand), one per build.

Coordinates are 1-based and inclusive throughout, as in VCF. The windows cover the whole gene
with 5 kb upstream and 2 kb downstream; see ``data/SOURCES.md`` for their origin.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import NamedTuple

from .errors import OutOfReferenceError

BUILDS = ("GRCh37", "GRCh38")


class Window(NamedTuple):
    build: str
    chrom: str  # the "chr11" spelling; readers map other spellings onto it
    start: int  # 1-based inclusive
    end: int  # 1-based inclusive
    filename: str


WINDOWS: dict[str, Window] = {
    "GRCh38": Window("GRCh38", "chr11", 64801514, 64816294, "MEN1_GRCh38_window.fa"),
    "GRCh37": Window("GRCh37", "chr11", 64568986, 64583766, "MEN1_GRCh37_window.fa"),
}


def window(build: str) -> Window:
    try:
        return WINDOWS[build]
    except KeyError:
        raise OutOfReferenceError(
            f"unknown build {build!r}; expected one of {', '.join(BUILDS)}"
        ) from None


@cache
def _window_sequence(build: str) -> str:
    w = window(build)
    # Path(__file__), not importlib.resources: the package ships as plain files, and this import
    # is on the start-up path of every `men1` run.
    text = (Path(__file__).parent / "data" / w.filename).read_text("ascii")
    seq = "".join(line.strip() for line in text.splitlines() if not line.startswith(">"))
    seq = seq.upper()
    # A corrupted package data file would silently shift every coordinate: refuse it.
    if len(seq) != w.end - w.start + 1:
        raise OutOfReferenceError(
            f"{w.filename}: {len(seq)} bp, expected {w.end - w.start + 1}"
        )
    return seq


def contains(build: str, start: int, end: int | None = None) -> bool:
    """True when [start, end] (1-based inclusive) lies inside the shipped window."""
    w = window(build)
    end = start if end is None else end
    return w.start <= start <= end <= w.end


def sequence(build: str, start: int, end: int) -> str:
    """Plus-strand reference bases for chr11:start-end (1-based inclusive), upper case.

    ``end == start - 1`` returns the empty string (an empty interval, as for an insertion
    point); anything outside the shipped window raises :class:`OutOfReferenceError`.
    """
    w = window(build)
    if end == start - 1 and w.start <= start <= w.end + 1:
        return ""
    if not (w.start <= start <= end <= w.end):
        raise OutOfReferenceError(
            f"chr11:{start}-{end} is outside the shipped {build} MEN1 window "
            f"chr11:{w.start}-{w.end}"
        )
    seq = _window_sequence(build)
    return seq[start - w.start : end - w.start + 1]
