"""BGZF (SAM/BAM spec §4.1): block headers, shared by the streaming reader and the tabix reader,
and the streaming inflater an unindexed scan reads through.

Each caller keeps its own policy for a bad or incomplete block: the streaming reader reports the
file as invalid input, the tabix reader falls back to htslib.
"""

from __future__ import annotations

import contextlib
import zlib
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from concurrent.futures import Future

MAGIC = b"\x1f\x8b\x08\x04"  # gzip, deflate, FEXTRA set
EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
CHUNK = 4 * 1024 * 1024  # largest plain-text chunk handed to the scanner
GROUP = 1024 * 1024  # compressed bytes inflated per task


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


def sniff(path: Path) -> str:
    """'bgzf', 'gzip', 'plain' or 'empty' from the first bytes."""
    with path.open("rb") as fh:
        head = fh.read(18)
    if not head:
        return "empty"
    if head[:2] == b"\x1f\x8b":
        # BGZF = gzip with FEXTRA holding the 'BC' subfield.
        if len(head) >= 16 and head[3] & 4 and head[12:14] == b"BC":
            return "bgzf"
        return "gzip"
    return "plain"


def is_bcf(path: Path, kind: str) -> bool:
    """True for BCF 2 (compressed, or uncompressed ``-Ou`` output)."""
    with path.open("rb") as fh:
        raw = fh.read(65536 if kind == "bgzf" else 4)
    if kind == "plain":
        return raw == b"BCF\x02"
    if kind != "bgzf":
        return False
    try:
        return zlib.decompressobj(31).decompress(raw, 8).startswith(b"BCF\x02")
    except zlib.error:
        return False


def iter_chunks(path: Path, kind: str) -> Iterator[bytes]:
    """Decompressed content of the file, in chunks that grow from 64 KiB to ``CHUNK``.

    Reading starts small so that reading only the header (the indexed path) decompresses
    little. BGZF blocks are independent deflate streams, so once past the header groups of
    blocks are inflated on a two-thread pool (zlib releases the GIL) while the caller scans the
    previous group: decompression is the floor of an unindexed scan.
    """
    name = str(path)
    with path.open("rb") as fh:
        size = 1 << 16
        if kind == "plain":
            while chunk := fh.read(size):
                size = min(size * 4, CHUNK)
                yield chunk
            return
        pending: deque[Future[bytes]] = deque()
        carry = b""
        offset = 0  # file offset of carry[0], for messages
        total = 0
        with contextlib.ExitStack() as stack:
            pool = None
            while raw := fh.read(size):
                total += len(raw)
                size = min(size * 4, GROUP)
                buf = carry + raw if carry else raw
                blocks, used = split_blocks(buf, offset, name)
                carry = buf[used:]
                if total < GROUP:
                    # Nothing is read ahead yet (the header, or all of the indexed path):
                    # inflate here and start no threads.
                    if blocks:
                        yield inflate(buf, blocks, offset, name)
                    offset += used
                    continue
                if pool is None:
                    from concurrent.futures import ThreadPoolExecutor

                    pool = stack.enter_context(ThreadPoolExecutor(max_workers=2))
                if blocks:
                    pending.append(pool.submit(inflate, buf, blocks, offset, name))
                offset += used
                while len(pending) > 3:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    if carry:
        raise InputError(
            f"truncated bgzip file: it ends inside the block at byte {offset}", file=name
        )
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - len(EOF)))
        if fh.read() != EOF:
            raise InputError("truncated bgzip file: no BGZF end-of-file marker", file=name)


def split_blocks(
    buf: bytes, offset: int, name: str
) -> tuple[list[tuple[int, int, int]], int]:
    """Complete BGZF blocks in ``buf`` as (deflate start, deflate end, ISIZE), and the number of
    bytes they span (the rest is an incomplete block, carried over to the next read)."""
    blocks: list[tuple[int, int, int]] = []
    o, n = 0, len(buf)
    while o + 18 <= n:
        if buf[o : o + 4] != MAGIC:
            raise InputError(f"corrupt bgzip data: no BGZF block at byte {offset + o}", file=name)
        extra_end, bsize = block_header(buf, o)
        if extra_end > n:
            break
        if bsize is None or bsize < extra_end - o + 8:
            raise InputError(
                f"corrupt bgzip data: bad block header at byte {offset + o}", file=name
            )
        if o + bsize > n:
            break
        isize = int.from_bytes(buf[o + bsize - 4 : o + bsize], "little")
        blocks.append((extra_end, o + bsize - 8, isize))
        o += bsize
    return blocks, o


def inflate(buf: bytes, blocks: list[tuple[int, int, int]], offset: int, name: str) -> bytes:
    view = memoryview(buf)
    out = []
    for start, end, isize in blocks:
        try:
            data = zlib.decompress(view[start:end], -15, max(isize, 1))
        except zlib.error as exc:
            raise InputError(
                f"corrupt bgzip block at byte {offset + start} ({exc})", file=name
            ) from None
        if len(data) != isize:
            raise InputError(
                f"corrupt bgzip block at byte {offset + start} (size mismatch)", file=name
            )
        out.append(data)
    return b"".join(out)
