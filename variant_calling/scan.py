"""The textual pre-filter of an unindexed scan: one pass over the (inflated) text that finds the
MEN1-window lines without turning the other lines into Python strings.

The pattern ``\\n<chr11 spelling><separator><position prefix>`` is searched with the regex
engine, which skips from newline to newline at C speed and rejects most lines on their first
character; only matching lines are split and checked (:func:`region_filter`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from . import bgzf
from .errors import InputError
from .header import CHR11_NAMES

__all__ = ["TextStream", "chr11_pattern", "decode", "region_filter"]

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024

Keep = Callable[[int, bytes], bool]


def decode(raw: bytes, file: str, line: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"non-UTF-8 byte 0x{raw[exc.start]:02x} at column {exc.start + 1}",
            file=file,
            line=line,
        ) from None


class TextStream:
    """One pass over a (possibly bgzipped) VCF: the header first, then the pre-filter."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.name = str(path)
        self.chunks = bgzf.iter_chunks(path, kind)
        self.buf = b""
        self.line_no = 0  # lines fully consumed so far

    def header_lines(self) -> list[str]:
        lines: list[str] = []
        size = 0
        pos = 0
        buf = self.buf
        while True:
            nl = buf.find(b"\n", pos)
            if nl < 0:
                buf = buf[pos:]
                pos = 0
                if len(buf) > MAX_LINE_BYTES:
                    raise InputError("header line too long", file=self.name, line=self.line_no + 1)
                nxt = next(self.chunks, None)
                if nxt is None:
                    if not buf:
                        break
                    buf += b"\n"
                else:
                    buf += nxt
                continue
            raw = buf[pos:nl]
            if not lines and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark from a Windows editor
            if not lines and not raw.startswith(b"##fileformat=VCF"):
                if raw.startswith(b"%PDF"):
                    what = "it is a PDF document"
                elif raw.startswith(b"BCF"):
                    what = "an unsupported BCF version"
                else:
                    what = f"it starts with {raw[:24]!r}"
                raise InputError(f"not a VCF file ({what})", file=self.name, line=1)
            if not raw.startswith(b"#"):
                raise InputError(
                    "data line before the #CHROM header line",
                    file=self.name,
                    line=self.line_no + 1,
                )
            self.line_no += 1
            size += len(raw)
            if size > MAX_HEADER_BYTES:
                raise InputError(
                    f"header larger than {MAX_HEADER_BYTES >> 20} MiB; refusing to load it",
                    file=self.name,
                    line=self.line_no,
                )
            lines.append(decode(raw.rstrip(b"\r"), self.name, self.line_no))
            pos = nl + 1
            if raw.startswith(b"#CHROM"):
                break
        if not lines:
            raise InputError("not a VCF file (no content)", file=self.name, line=1)
        if not lines[-1].startswith("#CHROM"):
            raise InputError("the header has no #CHROM line", file=self.name, line=self.line_no)
        # Keep the newline that ended the #CHROM line: the patterns start with "\n".
        self.buf = buf[pos - 1 :]
        return lines

    def matching_lines(self, pattern: re.Pattern[bytes], keep: Keep) -> Iterator[tuple[int, bytes]]:
        """(line number, raw line) for every data line where ``pattern`` matches at the ``\\n``
        before it and ``keep(line_no, raw)`` is true.

        One regex pass per chunk is about three times faster than one ``bytes.find`` per
        chromosome spelling: the regex engine skips to each ``\\n`` with memchr and rejects
        most lines on their first character.
        """
        buf = self.buf
        base = self.line_no  # buf[0] is the newline that ends line `base`
        chunks = self.chunks
        while True:
            last_nl = buf.rfind(b"\n")
            counted_to, count = 0, 0
            for m in pattern.finditer(buf, 0, last_nl):
                i = m.start()
                count += buf.count(b"\n", counted_to + 1, i + 1)
                counted_to = i
                end = buf.find(b"\n", i + 1)
                raw = buf[i + 1 : end].rstrip(b"\r")
                line_no = base + count + 1
                if keep(line_no, raw):
                    yield line_no, raw
            base += buf.count(b"\n", 1, last_nl + 1)
            rest = buf[last_nl:]
            if len(rest) > MAX_LINE_BYTES:
                raise InputError("data line too long", file=self.name, line=base + 1)
            nxt = next(chunks, None)
            if nxt is None:
                # A last line without a final newline.
                raw = rest[1:].rstrip(b"\r")
                self.line_no = base + (1 if raw else 0)
                if raw and pattern.match(rest + b"\n") and keep(base + 1, raw):
                    yield base + 1, raw
                return
            buf = rest + nxt


def position_prefix(start: int, end: int) -> bytes:
    """The longest decimal prefix shared by every integer in [start, end]."""
    a, b = str(start), str(end)
    if len(a) != len(b):
        return b""
    n = 0
    while n < len(a) and a[n] == b[n]:
        n += 1
    return a[:n].encode()


def chr11_pattern(start: int | None = None, end: int | None = None) -> re.Pattern[bytes]:
    """Lines on a chr11 spelling (at positions sharing [start, end]'s decimal prefix).

    The separator after CHROM may be spaces as well as a tab, so that a line written with
    spaces is seen, and refused by :func:`region_filter`, instead of silently not matching.
    """
    names = b"|".join(re.escape(c.encode()) for c in CHR11_NAMES)
    prefix = b"" if start is None or end is None else position_prefix(start, end)
    return re.compile(b"\n(?:" + names + b")(?:\t| +)" + prefix)


_END_RX = re.compile(rb"(?:^|;)END=(\d+)")


def split_fields(raw: bytes, file: str, line_no: int | None) -> list[bytes]:
    """The first 8 columns (and the rest), refusing a line whose columns are not tab-separated."""
    parts = raw.split(b"\t", 8)
    if len(parts) < 8:
        if len(raw.split(None, 8)) >= 8:
            raise InputError(
                "the columns are separated by spaces, not tabs (VCF data lines must be "
                "tab-separated)",
                file=file,
                line=line_no,
            )
        raise InputError(
            f"{len(parts)} tab-separated columns, a VCF data line needs at least 8",
            file=file,
            line=line_no,
        )
    return parts


def region_filter(file: str, start: int, end: int, wide: bool) -> Keep:
    """Keep a line whose POS is in [start, end], or (``wide``, for gVCF blocks) whose INFO/END
    reaches ``start``."""

    def keep(line_no: int, raw: bytes) -> bool:
        parts = split_fields(raw, file, line_no)
        try:
            pos = int(parts[1])
        except ValueError:
            raise InputError(
                f"POS {parts[1][:20]!r} is not an integer", file=file, line=line_no,
                field="POS",
            ) from None
        if start <= pos <= end:
            return True
        if wide and pos < start:
            m = _END_RX.search(parts[7])
            return bool(m and int(m.group(1)) >= start)
        return False

    return keep
