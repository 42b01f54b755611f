"""BGZF block headers (SAM/BAM spec §4.1), shared by the streaming reader and the tabix reader.

Each caller keeps its own policy for a bad or incomplete block: the reader reports the file
as invalid input, the tabix reader falls back to htslib.
"""

from __future__ import annotations

MAGIC = b"\x1f\x8b\x08\x04"  # gzip, deflate, FEXTRA set


def block_header(buf: bytes, o: int) -> tuple[int, int | None]:
    """For the block whose gzip header starts at ``o`` (its magic already checked): the offset
    where its deflate data starts, and its total size from the ``BC`` subfield (None when
    the extra field names no size)."""
    extra_end = o + 12 + int.from_bytes(buf[o + 10 : o + 12], "little")
    bsize = None
    p = o + 12
    while p + 4 <= extra_end:
        slen = int.from_bytes(buf[p + 2 : p + 4], "little")
        if buf[p : p + 2] == b"BC" and slen == 2:
            bsize = int.from_bytes(buf[p + 4 : p + 6], "little") + 1
        p += 4 + slen
    return extra_end, bsize
