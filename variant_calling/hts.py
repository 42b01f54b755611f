"""htslib's own words: pysam prints the real reason for a failure on file descriptor 2 and raises
a vague OSError, so every pysam call runs inside :func:`capture_stderr` and the reason (the last
``[E::...]`` line) reaches the user."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator

__all__ = ["capture_stderr", "htslib_reason", "htslib_warnings"]

# fd 2 is process-wide: two threads (e.g. two web requests) must not swap it at once.
_STDERR_LOCK = threading.RLock()


@contextlib.contextmanager
def capture_stderr() -> Iterator[list[str]]:
    """Redirect fd 2 to a temporary file; the yielded list receives its lines on exit."""
    lines: list[str] = []
    with _STDERR_LOCK, tempfile.TemporaryFile() as tmp:
        saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read(1 << 20).decode("utf-8", "replace")
            lines.extend(ln.strip() for ln in text.splitlines() if ln.strip())


def htslib_reason(lines: list[str]) -> str:
    errs = [ln for ln in lines if ln.startswith("[E::")] or lines
    return errs[-1] if errs else ""


def htslib_warnings(name: str, lines: list[str]) -> list[str]:
    return [f"{name}: {ln}" for ln in lines if ln.startswith("[W::")]
