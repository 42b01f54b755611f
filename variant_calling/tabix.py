"""Region reads through a tabix (``.tbi``) index in pure Python, without htslib.

``pysam.TabixFile`` loads the whole index before it answers: a whole-genome index is a few MB
of BGZF and hundreds of thousands of bins, about 20 ms of a ``men1 classify`` that bcftools
finishes in 40. The MEN1 window needs one contig's bins that overlap it and a few BGZF data
blocks, so this module inflates the index only up to that contig's section, skips the bins of
the contigs before it a run of single-chunk bins at a time (strided byte slices, C speed), and
inflates only the data blocks the chunks point into.

The records returned are those tabix returns for the same query (the SAM/BAM specification,
sections 4.1-4.2, and htslib's ``tbx.c`` for VCF: a record spans ``[POS-1, POS-1+len(REF))``,
or to ``INFO/END`` when that is larger). Anything unusual (a CSI index, a non-VCF preset, a
damaged or truncated index, a data block that does not inflate) raises :class:`Unsupported`, and
the caller asks htslib, which also words the error when the file really is broken.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from . import bgzf

_TBI_MAGIC = b"TBI\x01"
_TBX_VCF = 2
_MIN_SHIFT = 14  # tabix's fixed 16 kb linear-index tiles
_BIN = struct.Struct("<Ii")
_ONE_CHUNK_BIN = struct.Struct("<IiQQ")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_HEADER = struct.Struct("<4s8i")
_MAX_BLOCK = 65536
# A chunk is read whole: past this compressed span (only a pathological file's MEN1 chunk
# comes near it), htslib's record-by-record reading keeps memory flat instead.
MAX_CHUNK_SPAN = 8 << 20


class Unsupported(Exception):
    """This reader does not handle the file or index; use htslib instead."""


# ---------------------------------------------------------------------------------------------
# BGZF
# ---------------------------------------------------------------------------------------------
def _blocks(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, inflated content) of each complete BGZF block at the start of ``raw``."""
    o, n = 0, len(raw)
    while o + 18 <= n:
        if raw[o : o + 4] != bgzf.MAGIC:
            raise Unsupported(f"no BGZF block at byte {o}")
        extra_end, bsize = bgzf.block_header(raw, o)
        if bsize is None or bsize < extra_end - o + 8 or o + bsize > n:
            return
        try:
            data = zlib.decompress(raw[extra_end : o + bsize - 8], -15, _MAX_BLOCK)
        except zlib.error as exc:
            raise Unsupported(f"BGZF block at byte {o}: {exc}") from None
        if len(data) != int.from_bytes(raw[o + bsize - 4 : o + bsize], "little"):
            raise Unsupported(f"BGZF block at byte {o}: size mismatch")
        yield o, data
        o += bsize


class _Inflated:
    """The content of a BGZF file held in memory, inflated only as far as it is read."""

    def __init__(self, raw: bytes) -> None:
        self._blocks = iter(_blocks(raw))
        # Appending to a bytearray keeps inflation linear in the bytes read.
        self.data = bytearray()

    def need(self, size: int, *, exact: bool = True) -> bytearray:
        """The content, at least ``size`` bytes of it; past the end, what there is (or
        :class:`Unsupported` when ``exact``)."""
        data = self.data
        while len(data) < size:
            block = next(self._blocks, None)
            if block is None:
                if exact:
                    raise Unsupported("the index ends early")
                break
            data += block[1]
        return data


# ---------------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------------
def reg2bins(beg: int, end: int) -> list[int]:
    """Bins that may hold records overlapping the 0-based half-open ``[beg, end)``."""
    end -= 1
    bins = [0]
    for first, shift in ((1, 26), (9, 23), (73, 20), (585, 17), (4681, 14)):
        bins.extend(range(first + (beg >> shift), first + (end >> shift) + 1))
    return bins


def _single_chunk_run(buf: bytearray, o: int, count: int) -> int:
    """How many of the ``count`` bins starting at ``o`` hold exactly one chunk, counted up to
    the first that does not (or the end of ``buf``).

    Such a bin is 24 bytes with ``n_chunk`` (bytes 4-7) = 1, 0, 0, 0, so strided slices of
    those four byte columns, stripped of their expected value, find the first other bin at C
    speed: a Python loop over the bins of a whole-genome index costs more than htslib's load.
    """
    run = min(count, (len(buf) - o) // 24)
    end = o + 24 * run
    for column, expected in ((4, b"\x01"), (5, b"\x00"), (6, b"\x00"), (7, b"\x00")):
        values = buf[o + column : end : 24]
        run = min(run, len(values) - len(values.lstrip(expected)))
    return run


def _walk_bins(
    ix: _Inflated, o: int, n_bin: int, wanted: set[int] | None
) -> tuple[int, list[tuple[int, int]]]:
    """(offset just past the ``n_bin`` bins starting at ``o``, the chunks of the ``wanted``
    bins among them)."""
    chunks: list[tuple[int, int]] = []
    left = n_bin
    while left:
        buf = ix.need(o + 24 * left, exact=False)
        run = _single_chunk_run(buf, o, left)
        if run:
            end = o + 24 * run
            if wanted:
                chunks.extend(
                    (beg, stop)
                    for bin_id, _, beg, stop in _ONE_CHUNK_BIN.iter_unpack(buf[o:end])
                    if bin_id in wanted
                )
            left -= run
            o = end
            if not left:
                break
            if len(buf) < o + 8:
                continue  # the run reached the end of what is inflated so far
        buf = ix.need(o + 8)
        bin_id, n_chunk = _BIN.unpack_from(buf, o)
        if n_chunk < 0:
            raise Unsupported("negative chunk count")
        buf = ix.need(o + 8 + 16 * n_chunk)
        if wanted and bin_id in wanted:
            chunks.extend(struct.iter_unpack("<QQ", buf[o + 8 : o + 8 + 16 * n_chunk]))
        o += 8 + 16 * n_chunk
        left -= 1
    return o, chunks


def query_index(
    index: bytes, contigs: Sequence[str], beg: int, end: int
) -> tuple[list[str], list[tuple[int, int]]]:
    """(contigs of ``contigs`` the index knows, in index order; the merged chunks — virtual
    offset pairs, in file order — that can hold their records overlapping ``[beg, end)``)."""
    ix = _Inflated(index)
    buf = ix.need(_HEADER.size)
    magic, n_ref, fmt, col_seq, col_beg, col_end, meta, skip, l_nm = _HEADER.unpack_from(buf)
    if magic != _TBI_MAGIC:
        raise Unsupported("not a tabix index")
    if (fmt & 0xFFFF) != _TBX_VCF or (col_seq, col_beg, col_end) != (1, 2, 0) or skip:
        raise Unsupported("not a VCF preset index")
    if meta != ord("#") or n_ref < 0 or l_nm < 0:
        raise Unsupported("unusual index header")
    buf = ix.need(_HEADER.size + l_nm)
    names = [n.decode("utf-8", "replace") for n in buf[_HEADER.size : _HEADER.size + l_nm]
             .split(b"\0")[:n_ref]]
    if len(names) != n_ref:
        raise Unsupported("contig names do not match the contig count")
    targets = {i for i, n in enumerate(names) if n in contigs}
    found = [names[i] for i in sorted(targets)]
    chunks: list[tuple[int, int]] = []
    if not targets:
        return found, chunks
    wanted = set(reg2bins(beg, end))
    o = _HEADER.size + l_nm
    for tid in range(max(targets) + 1):
        (n_bin,) = _I32.unpack_from(ix.need(o + 4), o)
        if n_bin < 0:
            raise Unsupported("negative bin count")
        o += 4
        o, mine = _walk_bins(ix, o, n_bin, wanted if tid in targets else None)
        (n_intv,) = _I32.unpack_from(ix.need(o + 4), o)
        if n_intv < 0:
            raise Unsupported("negative linear index size")
        o += 4
        if tid in targets and n_intv:
            # The linear index: the first record overlapping a 16 kb tile is no earlier than
            # this offset, so chunks ending before it hold nothing in the region.
            tile = min(beg >> _MIN_SHIFT, n_intv - 1)
            (min_off,) = _U64.unpack_from(ix.need(o + 8 * tile + 8), o + 8 * tile)
            chunks.extend(c for c in mine if c[1] > min_off)
        elif tid in targets:
            chunks.extend(mine)
        o += 8 * n_intv
    return found, _merge(chunks)


def _merge(chunks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for beg, end in sorted(chunks):
        if out and beg <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((beg, end))
    return out


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------
def read_chunk(fh: BinaryIO, beg: int, end: int) -> bytes:
    """The content between two virtual offsets of an open BGZF file."""
    cbeg, ubeg = beg >> 16, beg & 0xFFFF
    cend, uend = end >> 16, end & 0xFFFF
    if cend < cbeg or (cend == cbeg and uend < ubeg):
        raise Unsupported("chunk ends before it begins")
    if cend - cbeg > MAX_CHUNK_SPAN:
        raise Unsupported("a chunk too large to read at once")
    fh.seek(cbeg)
    # Through the start of the block that holds the end, plus that block (at most 64 KiB).
    raw = fh.read(cend - cbeg + _MAX_BLOCK)
    parts: list[bytes] = []
    stop = None
    size = 0
    for offset, data in _blocks(raw):
        if cbeg + offset == cend:
            stop = size + uend
            parts.append(data)
            break
        if cbeg + offset > cend:
            break
        parts.append(data)
        size += len(data)
    if stop is None:
        if uend:
            raise Unsupported("a chunk ends beyond the file")
        stop = size
    content = b"".join(parts)
    if stop > len(content) or ubeg > len(content):
        raise Unsupported("a chunk points past its block")
    return content[ubeg:stop]


_END = re.compile(rb"(?:^|;)END=([0-9]+)")


def overlaps(line: bytes, beg: int, end: int) -> bool:
    """Whether a VCF data line overlaps ``[beg, end)`` the way tabix decides it."""
    cols = line.split(b"\t", 8)
    if len(cols) < 5:
        raise Unsupported("a short record")
    try:
        rbeg = int(cols[1]) - 1
    except ValueError:
        raise Unsupported("a record with a non-numeric position") from None
    rend = rbeg + max(len(cols[3]), 1)
    if len(cols) > 7:
        m = _END.search(cols[7])
        if m and int(m.group(1)) > rbeg:
            rend = int(m.group(1))
    return rbeg < end and rend > beg


def fetch(
    data_path: str, index_path: str, contigs: Sequence[str], beg: int, end: int
) -> list[tuple[str, bytes]]:
    """(contig, raw line) of every record of ``contigs`` overlapping 0-based ``[beg, end)``, in
    file order, as ``tabix`` would return them."""
    with open(index_path, "rb") as fh:
        index = fh.read()
    found, chunks = query_index(index, contigs, beg, end)
    out: list[tuple[str, bytes]] = []
    if not chunks:
        return out
    wanted = {c.encode("utf-8") for c in found}
    with open(data_path, "rb") as fh:
        for cbeg, cend in chunks:
            content = read_chunk(fh, cbeg, cend)
            for line in content.split(b"\n"):
                line = line.rstrip(b"\r")
                if not line or line.startswith(b"#"):
                    continue
                contig = line.split(b"\t", 1)[0]
                if contig in wanted and overlaps(line, beg, end):
                    out.append((contig.decode("utf-8"), line))
    return out
