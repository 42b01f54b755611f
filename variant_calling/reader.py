"""Read any caller's VCF/BCF and keep only what the MEN1 engine needs.

Every input ends up in the same shape: the header text plus the few lines that fall in the MEN1
window, written to a small temporary VCF that pysam parses in full. How those lines are found
depends on the file:

* bgzipped VCF with a tabix/CSI index: ``pysam.TabixFile.fetch`` of the window (raw lines);
* bgzipped or plain VCF without an index: a textual pre-filter over the decompressed stream that
  looks for ``\\n<chr11 spelling>\\t<position prefix>`` with ``bytes.find`` (C speed) and only
  turns the matching lines into Python strings, so whole-genome files are scanned without being
  parsed or held in memory;
* BCF: pysam (indexed ``fetch`` or a streamed scan), each region record re-serialised to text.

pysam prints htslib's real reason for a failure on file descriptor 2 and raises a vague OSError,
so every pysam call here runs inside :func:`capture_stderr` and the reason reaches the user.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import threading
import zlib
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from concurrent.futures import Future

from . import bgzf, reference
from .errors import BuildError, InputError, UsageError

# GRCh37 and GRCh38 lengths of chromosome 11 (the build's fingerprint in ##contig lines).
CHR11_LENGTH = {135006516: "GRCh37", 135086622: "GRCh38"}
CHR11_NAMES = ("chr11", "11", "NC_000011.9", "NC_000011.10")
REFSEQ_BUILD = {"NC_000011.9": "GRCh37", "NC_000011.10": "GRCh38"}
_REFERENCE_HINTS = (
    (re.compile(r"grch38|hg38|hs38|b38|gca_000001405\.15", re.I), "GRCh38"),
    (re.compile(r"grch37|hg19|hs37|b37|g1k_v37|human_g1k|gca_000001405\.1\b", re.I), "GRCh37"),
)

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024
CHUNK = 4 * 1024 * 1024
BGZF_GROUP = 1024 * 1024  # compressed bytes inflated per task
GVCF_LOOKBACK = 500_000
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


# ---------------------------------------------------------------------------------------------
# Data handed to the engine
# ---------------------------------------------------------------------------------------------
class SampleEvidence(NamedTuple):
    """Read evidence for one ALT allele in one sample. ``vaf`` is rounded to 4 decimals."""

    depth: int | None
    alt_reads: int | None
    vaf: float | None
    genotype: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"depth": self.depth, "alt_reads": self.alt_reads, "vaf": self.vaf}


class Call(NamedTuple):
    """One ALT allele of one record, as the caller wrote it (not yet normalised)."""

    file: str
    line: int | None
    chrom: str
    pos: int
    ref: str
    alt: str
    caller: str
    filters: tuple[str, ...]
    verdicts: tuple[str, ...]
    samples: dict[str, SampleEvidence]
    population_af: float | None = None
    csq: tuple[str, ...] = ()  # VEP CSQ / SnpEff ANN consequence terms for MEN1, if present
    end: int | None = None


class Block(NamedTuple):
    """A gVCF reference block or site: chr11 [start, end] covered at ``min_depth`` per sample."""

    start: int
    end: int
    min_depth: dict[str, int | None]


class VcfData:
    """What one file says about the MEN1 window (filled in as the file is read)."""

    __slots__ = (
        "blocks",
        "build",
        "caller",
        "calls",
        "contig_style",
        "header_roles",
        "is_gvcf",
        "path",
        "samples",
        "warnings",
    )

    def __init__(
        self,
        path: str,
        build: str,
        caller: str,
        samples: list[str],
        header_roles: dict[str, str],  # sample -> "normal" | "tumor", from the header alone
        contig_style: str | None,
        calls: list[Call] | None = None,
        blocks: list[Block] | None = None,
        is_gvcf: bool = False,
        warnings: list[str] | None = None,
    ) -> None:
        self.path = path
        self.build = build
        self.caller = caller
        self.samples = samples
        self.header_roles = header_roles
        self.contig_style = contig_style
        self.calls: list[Call] = [] if calls is None else calls
        self.blocks: list[Block] = [] if blocks is None else blocks
        self.is_gvcf = is_gvcf
        self.warnings: list[str] = [] if warnings is None else warnings

    def __repr__(self) -> str:
        return (f"VcfData(path={self.path!r}, build={self.build!r}, caller={self.caller!r}, "
                f"samples={self.samples!r}, {len(self.calls)} calls, {len(self.blocks)} blocks)")


# ---------------------------------------------------------------------------------------------
# stderr capture
# ---------------------------------------------------------------------------------------------
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


def _htslib_reason(lines: list[str]) -> str:
    errs = [ln for ln in lines if ln.startswith("[E::")] or lines
    return errs[-1] if errs else ""


# ---------------------------------------------------------------------------------------------
# Raw byte access
# ---------------------------------------------------------------------------------------------
def _sniff(path: Path) -> str:
    """'bgzf', 'gzip', 'plain' or 'empty' from the first bytes."""
    with path.open("rb") as fh:
        head = fh.read(18)
    if not head:
        return "empty"
    if head[:2] == b"\x1f\x8b":
        # BGZF = gzip with FEXTRA holding the 'BC' subfield (SAM/BAM spec 4.1).
        if len(head) >= 16 and head[3] & 4 and head[12:14] == b"BC":
            return "bgzf"
        return "gzip"
    return "plain"


def _iter_chunks(path: Path, kind: str) -> Iterator[bytes]:
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
                size = min(size * 4, BGZF_GROUP)
                buf = carry + raw if carry else raw
                blocks, used = _split_blocks(buf, offset, name)
                carry = buf[used:]
                if total < BGZF_GROUP:
                    # Nothing is read ahead yet (the header, or all of the indexed path):
                    # inflate here and start no threads.
                    if blocks:
                        yield _inflate(buf, blocks, offset, name)
                    offset += used
                    continue
                if pool is None:
                    from concurrent.futures import ThreadPoolExecutor

                    pool = stack.enter_context(ThreadPoolExecutor(max_workers=2))
                if blocks:
                    pending.append(pool.submit(_inflate, buf, blocks, offset, name))
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
        fh.seek(max(0, path.stat().st_size - len(BGZF_EOF)))
        if fh.read() != BGZF_EOF:
            raise InputError("truncated bgzip file: no BGZF end-of-file marker", file=name)


def _split_blocks(
    buf: bytes, offset: int, name: str
) -> tuple[list[tuple[int, int, int]], int]:
    """Complete BGZF blocks in ``buf`` as (deflate start, deflate end, ISIZE), and the number of
    bytes they span (the rest is an incomplete block, carried over to the next read)."""
    blocks: list[tuple[int, int, int]] = []
    o, n = 0, len(buf)
    while o + 18 <= n:
        if buf[o : o + 4] != bgzf.MAGIC:
            raise InputError(f"corrupt bgzip data: no BGZF block at byte {offset + o}", file=name)
        extra_end, bsize = bgzf.block_header(buf, o)
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


def _inflate(buf: bytes, blocks: list[tuple[int, int, int]], offset: int, name: str) -> bytes:
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


# ---------------------------------------------------------------------------------------------
# Header
# ---------------------------------------------------------------------------------------------
class Header(NamedTuple):
    lines: list[str]  # every header line, without line ends, the #CHROM line last
    samples: list[str]
    contigs: dict[str, int | None]
    meta: list[tuple[str, str]]  # (key, value) of every "##key=value" line
    formats: dict[str, str]  # FORMAT ID -> Number
    infos: dict[str, str]  # INFO ID -> Number
    info_descriptions: dict[str, str]

    def meta_values(self, key: str) -> list[str]:
        return [v for k, v in self.meta if k == key]

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


_STRUCT = re.compile(r"^##(INFO|FORMAT|contig)=<(.*)>\s*$")
_KV = re.compile(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|[^,]*)')


def _structured(value: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _KV.findall(value)}


def parse_header(lines: list[str], file: str) -> Header:
    if not lines or not lines[0].startswith("##fileformat=VCF"):
        first = lines[0][:40] if lines else ""
        raise InputError(
            f"not a VCF file: the first line should be ##fileformat=VCFv4.x, found {first!r}",
            file=file,
            line=1,
        )
    chrom_line = lines[-1]
    if not chrom_line.startswith("#CHROM"):
        raise InputError("no #CHROM header line before the data", file=file, line=len(lines))
    cols = chrom_line.split("\t")
    if cols[:8] != ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]:
        raise InputError(
            "malformed #CHROM line (columns must be tab-separated)", file=file, line=len(lines)
        )
    samples = cols[9:]
    seen: set[str] = set()
    for s in samples:
        if s in seen:
            raise InputError(
                f"duplicate sample name {s!r} in the #CHROM line",
                file=file,
                line=len(lines),
                field=s,
            )
        seen.add(s)
    contigs: dict[str, int | None] = {}
    meta: list[tuple[str, str]] = []
    formats: dict[str, str] = {}
    infos: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    for ln in lines[:-1]:
        m = _STRUCT.match(ln)
        if m:
            d = _structured(m.group(2))
            ident = d.get("ID", "")
            if m.group(1) == "contig":
                length = d.get("length", "")
                contigs[ident] = int(length) if length.isdigit() else None
            elif m.group(1) == "FORMAT":
                formats[ident] = d.get("Number", ".")
            else:
                infos[ident] = d.get("Number", ".")
                descriptions[ident] = d.get("Description", "")
        if ln.startswith("##") and "=" in ln:
            k, _, v = ln[2:].partition("=")
            meta.append((k, v))
    return Header(lines, samples, contigs, meta, formats, infos, descriptions)


def detect_caller(h: Header) -> str:
    keys = {k for k, _ in h.meta}
    sources = " ".join(h.meta_values("source")).lower()
    if "MutectVersion" in keys or "mutect2" in sources or "normal_sample" in keys:
        return "Mutect2"
    if "MuTect" in keys:
        return "MuTect1"
    if "MuSE_version" in keys:
        return "MuSE"
    if "DeepVariant_version" in keys:
        return "DeepVariant"
    if "strelka" in sources:
        return "Strelka2" if any(v.startswith("2.9") for v in h.meta_values("source_version")) \
            else "Strelka"
    if "varscan" in sources:
        return "VarScan2"
    if "vardict" in sources:
        return "VarDict"
    if "freebayes" in sources:
        return "FreeBayes"
    if "lofreq" in sources:
        return "LoFreq"
    if "bcftools_callVersion" in keys or "samtoolsVersion" in keys:
        return "bcftools"
    return "generic"


def detect_build(h: Header, file: str, requested: str | None) -> str:
    """The build, from contig lengths, RefSeq contig names, ##reference, and ``requested``.

    Any two sources that disagree raise :class:`BuildError` naming both.
    """
    evidence: list[tuple[str, str]] = []
    for name in CHR11_NAMES:
        if name in h.contigs:
            length = h.contigs[name]
            if length in CHR11_LENGTH:
                evidence.append((CHR11_LENGTH[length], f"##contig {name} length={length}"))
            if name in REFSEQ_BUILD:
                evidence.append((REFSEQ_BUILD[name], f"##contig {name}"))
    for value in h.meta_values("reference") + h.meta_values("assembly"):
        for rx, build in _REFERENCE_HINTS:
            if rx.search(value):
                evidence.append((build, f"##reference={value[:80]}"))
                break
    builds = {b for b, _ in evidence}
    if len(builds) > 1:
        a = next(s for b, s in evidence if b == "GRCh37")
        b = next(s for b, s in evidence if b == "GRCh38")
        raise BuildError(f"header contradicts itself: {a} is GRCh37 but {b} is GRCh38", file=file)
    if requested is not None:
        if requested not in reference.BUILDS:
            raise UsageError(f"--build must be GRCh37 or GRCh38, not {requested!r}")
        if builds and requested not in builds:
            raise BuildError(
                f"--build {requested} contradicts the header ({evidence[0][1]} is "
                f"{evidence[0][0]})",
                file=file,
            )
        return requested
    if not builds:
        raise UsageError(
            f"{file}: the header does not say which genome build it uses "
            "(no chr11 contig length or ##reference): pass --build GRCh37 or --build GRCh38"
        )
    return builds.pop()


_ROLE_NAMES = {"normal": "normal", "tumor": "tumor", "tumour": "tumor"}


def header_roles(h: Header, caller: str) -> dict[str, str]:
    """Sample -> role from the header alone: ##normal_sample/##tumor_sample, NORMAL/TUMOR
    column names, and VarDict's documented tumour-first paired layout."""
    roles: dict[str, str] = {}
    for key, role in (("normal_sample", "normal"), ("tumor_sample", "tumor")):
        for v in h.meta_values(key):
            if v in h.samples:
                roles[v] = role
    for s in h.samples:
        r = _ROLE_NAMES.get(s.lower())
        if r and s not in roles:
            roles[s] = r
    if not roles and caller == "VarDict" and len(h.samples) == 2:
        roles = {h.samples[0]: "tumor", h.samples[1]: "normal"}
    return roles


# ---------------------------------------------------------------------------------------------
# Text scanning (the pre-filter)
# ---------------------------------------------------------------------------------------------
def _decode(raw: bytes, file: str, line: int | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"non-UTF-8 byte 0x{raw[exc.start]:02x} at column {exc.start + 1}",
            file=file,
            line=line,
        ) from None


class _TextStream:
    """One pass over a (possibly bgzipped) VCF: the header first, then the pre-filter."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.name = str(path)
        self.chunks = _iter_chunks(path, kind)
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
            lines.append(_decode(raw.rstrip(b"\r"), self.name, self.line_no))
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

    def matching_lines(
        self, pattern: re.Pattern[bytes], keep: Any
    ) -> Iterator[tuple[int, bytes]]:
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
                if raw and pattern.match(rest + b"\n") and keep(base + 1, raw):
                    yield base + 1, raw
                return
            buf = rest + nxt


def _position_prefix(start: int, end: int) -> bytes:
    """The longest decimal prefix shared by every integer in [start, end]."""
    a, b = str(start), str(end)
    if len(a) != len(b):
        return b""
    n = 0
    while n < len(a) and a[n] == b[n]:
        n += 1
    return a[:n].encode()


_END_RX = re.compile(rb"(?:^|;)END=(\d+)")


def _region_filter(
    file: str, start: int, end: int, wide: bool
) -> Any:
    def keep(line_no: int, raw: bytes) -> bool:
        parts = raw.split(b"\t", 8)
        if len(parts) < 8:
            raise InputError(
                f"{len(parts)} tab-separated columns, a VCF data line needs at least 8",
                file=file,
                line=line_no,
            )
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


# ---------------------------------------------------------------------------------------------
# Region lines: index, pre-filter, or BCF
# ---------------------------------------------------------------------------------------------
def _index_of(path: Path) -> Path | None:
    for suffix in (".tbi", ".csi"):
        p = Path(str(path) + suffix)
        if p.exists():
            return p
    return None


def _plain_bcf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"BCF\x02"


def _bcf_magic(path: Path) -> bool:
    with path.open("rb") as fh:
        raw = fh.read(65536)
    try:
        return zlib.decompressobj(31).decompress(raw, 8).startswith(b"BCF\x02")
    except zlib.error:
        return False


def _tabix_lines(
    path: Path, index: Path, start: int, end: int, warnings: list[str]
) -> list[tuple[int | None, str]]:
    name = str(path)
    if index.suffix == ".tbi":
        from . import tabix

        try:
            found = tabix.fetch(name, str(index), CHR11_NAMES, start - 1, end)
        except (tabix.Unsupported, OSError):
            pass  # htslib below reads it, or says what is wrong with it
        else:
            if int(index.stat().st_mtime) < int(path.stat().st_mtime):
                # htslib's own warning, so that both paths say the same.
                warnings.append(
                    f"{name}: [W::hts_idx_load3] The index file is older than the data file: "
                    f"{index}"
                )
            out: list[tuple[int | None, str]] = []
            for _, raw in found:
                try:
                    out.append((None, _decode(raw, name, None)))
                except InputError as exc:
                    # An indexed read has no line numbers: name the record instead.
                    record = raw.split(b"\t", 2)[:2]
                    where = b":".join(record).decode("ascii", "replace")
                    raise InputError(f"record {where}: {exc.message}", file=name) from None
            return out
    return _pysam_tabix_lines(path, index, start, end, warnings)


def _pysam_tabix_lines(
    path: Path, index: Path, start: int, end: int, warnings: list[str]
) -> list[tuple[int | None, str]]:
    import pysam

    name = str(path)
    out: list[tuple[int | None, str]] = []
    with capture_stderr() as err:
        try:
            # Named explicitly: by default htslib looks for a .tbi only.
            tbx = pysam.TabixFile(name, index=str(index))
            for contig in CHR11_NAMES:
                if contig in tbx.contigs:
                    for raw in tbx.fetch(contig, start - 1, end):
                        out.append((None, raw.rstrip("\r")))
            tbx.close()
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(
                f"cannot read through its index: {_htslib_reason(err) or exc}", file=name
            ) from None
    warnings.extend(f"{name}: {ln}" for ln in err if ln.startswith("[W::"))
    return out


def _bcf_region(
    path: Path, start: int, end: int, warnings: list[str]
) -> tuple[list[str], list[tuple[int | None, str]]]:
    import pysam

    name = str(path)
    lines: list[tuple[int | None, str]] = []
    with capture_stderr() as err:
        try:
            vf = pysam.VariantFile(name)
            header = str(vf.header).rstrip("\n").split("\n")
            contigs = [c for c in CHR11_NAMES if c in vf.header.contigs]
            if _index_of(path) is not None:
                for c in contigs:
                    lines.extend((None, str(r).rstrip("\n")) for r in vf.fetch(c, start - 1, end))
            else:
                wanted = set(contigs)
                for r in vf:
                    if r.contig in wanted and r.pos <= end and (r.stop >= start):
                        lines.append((None, str(r).rstrip("\n")))
            vf.close()
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable BCF: {_htslib_reason(err) or exc}", file=name) from None
    warnings.extend(f"{name}: {ln}" for ln in err if ln.startswith("[W::"))
    return header, lines


# ---------------------------------------------------------------------------------------------
# Evidence from each caller's encoding
# ---------------------------------------------------------------------------------------------
def _round(x: float | None) -> float | None:
    if x is None or math.isnan(x):
        return None
    return round(float(x), 4)


class _Fields:
    """Typed access to one sample's FORMAT values with Number=A/R checks."""

    def __init__(self, rec: Any, sample: str, h: Header, file: str, line: int | None) -> None:
        self.s = rec.samples[sample]
        self.keys = set(rec.format.keys())
        self.n_alleles = len(rec.alleles)
        self.h = h
        self.file = file
        self.line = line
        self.sample = sample

    def get(self, key: str) -> Any:
        if key not in self.keys:
            return None
        try:
            v = self.s.get(key)
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"sample {self.sample}: unreadable value ({exc})",
                file=self.file,
                line=self.line,
                field=key,
            ) from None
        if isinstance(v, tuple):
            if all(x is None for x in v):
                return None
            number = self.h.formats.get(key)
            expected = {"R": self.n_alleles, "A": self.n_alleles - 1}.get(number or "")
            if expected is not None and len(v) != expected:
                raise InputError(
                    f"sample {self.sample}: Number={number} needs {expected} values, "
                    f"found {len(v)}",
                    file=self.file,
                    line=self.line,
                    field=key,
                )
        return v

    def num(self, key: str, index: int = 0) -> float | None:
        v = self.get(key)
        if v is None:
            return None
        if isinstance(v, tuple):
            v = v[index] if index < len(v) else None
        if v is None:
            return None
        if isinstance(v, str):
            t = v.strip().rstrip("%")
            try:
                f = float(t)
            except ValueError:
                raise InputError(
                    f"sample {self.sample}: {v!r} is not a number",
                    file=self.file,
                    line=self.line,
                    field=key,
                ) from None
            return f / 100.0 if v.strip().endswith("%") else f
        return float(v)


def _genotype(rec: Any, sample: str) -> str | None:
    s = rec.samples[sample]
    if "GT" not in rec.format:
        return None
    gt = s.get("GT")
    if gt is None:
        return None
    sep = "|" if s.phased else "/"
    return sep.join("." if a is None else str(a) for a in gt)


def _int(x: float | None) -> int | None:
    return None if x is None else round(x)


def sample_evidence(
    rec: Any, sample: str, alt_index: int, h: Header, caller: str, file: str, line: int | None
) -> SampleEvidence:
    """Depth, ALT reads and VAF for ALT number ``alt_index`` (1-based) in ``sample``.

    VAF comes from read counts whenever the caller gives them, because some callers' own AF is a
    model estimate (Mutect2 reports AF≈0.05 for a normal with zero ALT reads); the caller's
    fraction is used only when counts are absent.
    """
    f = _Fields(rec, sample, h, file, line)
    gt = _genotype(rec, sample)
    ref_n: float | None = None
    alt_n: float | None = None
    depth: float | None = None
    frac: float | None = None
    ref_allele = rec.ref.upper()
    alt_allele = rec.alleles[alt_index].upper()
    if {"AU", "CU", "GU", "TU"} <= f.keys and len(ref_allele) == 1 and len(alt_allele) == 1:
        # Strelka SNV: tier-1 counts per base.
        ref_n = f.num(f"{ref_allele}U", 0) if ref_allele in "ACGT" else None
        alt_n = f.num(f"{alt_allele}U", 0) if alt_allele in "ACGT" else None
        if ref_n is not None and alt_n is not None:
            depth = ref_n + alt_n
    elif {"TAR", "TIR"} <= f.keys:
        ref_n, alt_n = f.num("TAR", 0), f.num("TIR", 0)
        if ref_n is not None and alt_n is not None:
            depth = ref_n + alt_n
    elif "RD" in f.keys and "FREQ" in f.keys:
        # VarScan2: RD/AD are single counts, FREQ a percentage string.
        ref_n, alt_n = f.num("RD"), f.num("AD")
        frac = f.num("FREQ")
        depth = f.num("DP")
        if depth is None and ref_n is not None and alt_n is not None:
            depth = ref_n + alt_n
    elif "AO" in f.keys and "RO" in f.keys:
        ref_n, alt_n = f.num("RO"), f.num("AO", alt_index - 1)
        depth = f.num("DP")
    elif "AD" in f.keys and (h.formats.get("AD") in ("R", ".", None) or f.n_alleles > 2):
        ad = f.get("AD")
        if isinstance(ad, tuple) and len(ad) > alt_index:
            ref_n = None if ad[0] is None else float(ad[0])
            alt_n = None if ad[alt_index] is None else float(ad[alt_index])
        depth = f.num("DP")
        if depth is None and isinstance(ad, tuple) and all(x is not None for x in ad):
            depth = float(sum(ad))
    elif "DV" in f.keys and f.n_alleles == 2:
        # bcftools call: DV is the non-reference count.
        depth, alt_n = f.num("DP"), f.num("DV")
    else:
        depth = f.num("DP")
    if frac is None:
        for key in ("AF", "VAF", "FA"):
            if key in f.keys:
                number = h.formats.get(key)
                frac = f.num(key, alt_index - 1 if number == "A" or f.n_alleles > 2 else 0)
                break
    if alt_n is None and frac is not None and depth is not None:
        alt_n = frac * depth  # LoFreq-style: only DP and AF are given
    vaf: float | None = None
    if alt_n is not None:
        denom = (ref_n + alt_n) if ref_n is not None else depth
        if denom:
            vaf = alt_n / denom
        elif denom == 0:
            vaf = 0.0
    if vaf is None:
        vaf = frac
    if depth is None and ref_n is not None and alt_n is not None:
        depth = ref_n + alt_n
    return SampleEvidence(_int(depth), _int(alt_n), _round(vaf), gt)


# ---------------------------------------------------------------------------------------------
# INFO-level facts: population frequency, caller verdicts, VEP/SnpEff consequences
# ---------------------------------------------------------------------------------------------
_POP_AF_KEYS = (
    "gnomAD_AF", "gnomad_AF", "gnomADg_AF", "gnomADe_AF", "gnomAD_AF_popmax", "AF_popmax",
    "popmax_AF", "gnomAD_exomes_AF", "gnomAD_genomes_AF", "MAX_AF",
)
_CSQ_POP_KEYS = ("gnomAD_AF", "gnomADe_AF", "gnomADg_AF", "MAX_AF", "AF_popmax", "gnomAD_AF_popmax")
_VARSCAN_SS = {"0": "reference", "1": "germline", "2": "somatic", "3": "LOH", "5": "unknown"}
# VEP: "... Format: Allele|Consequence|..."; SnpEff: "Functional annotations: 'Allele | ...'".
_FMT_RX = re.compile(r"(?:Format|annotations):\s*'?\s*([^'\"]+)")


def _info_value(rec: Any, key: str, alt_index: int) -> Any:
    try:
        v = rec.info.get(key)
    except (ValueError, TypeError):
        return None
    if isinstance(v, tuple):
        if len(v) == len(rec.alleles) - 1:
            return v[alt_index - 1]
        return v[0] if v else None
    return v


def _as_float(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _annotation_fields(h: Header, key: str) -> list[str] | None:
    desc = h.info_descriptions.get(key)
    if not desc:
        return None
    m = _FMT_RX.search(desc)
    if not m:
        return None
    return [x.strip() for x in m.group(1).split("|")]


def _csq(rec: Any, h: Header, alt: str) -> tuple[tuple[str, ...], float | None]:
    """MEN1 consequence terms from VEP CSQ / SnpEff ANN, and the CSQ gnomAD frequency."""
    terms: list[str] = []
    pop: list[float] = []
    for key, cons_key, gene_key in (("CSQ", "Consequence", "SYMBOL"),
                                    ("ANN", "Annotation", "Gene_Name")):
        names = _annotation_fields(h, key)
        if names is None or key not in rec.info:
            continue
        raw = rec.info.get(key)
        entries = raw if isinstance(raw, tuple) else (raw,)
        for entry in entries:
            if not isinstance(entry, str):
                continue
            d = dict(zip(names, entry.split("|"), strict=False))
            allele = d.get("Allele", "")
            if allele and allele not in (alt, alt[1:] or "-"):
                continue
            if d.get(gene_key) == "MEN1":
                terms.extend(t for t in d.get(cons_key, "").split("&") if t)
            for pk in _CSQ_POP_KEYS:
                f = _as_float(d.get(pk))
                if f is not None:
                    pop.append(f)
    return tuple(dict.fromkeys(terms)), (max(pop) if pop else None)


def population_af(rec: Any, alt_index: int) -> float | None:
    values: list[float] = []
    for key in _POP_AF_KEYS:
        if key in rec.info:
            f = _as_float(_info_value(rec, key, alt_index))
            if f is not None:
                values.append(f)
    if "POPAF" in rec.info:
        # Mutect2 writes -log10(frequency).
        f = _as_float(_info_value(rec, "POPAF", alt_index))
        if f is not None:
            values.append(10 ** (-f))
    return max(values) if values else None


def caller_verdicts(rec: Any, caller: str, samples: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    info = rec.info
    if "SOMATIC" in info and info.get("SOMATIC"):
        out.append(f"{caller}:SOMATIC")
    for key in ("NT", "SGT", "STATUS"):
        if key in info:
            out.append(f"{caller}:{key}={info.get(key)}")
    if "SS" in info:
        ss = str(info.get("SS"))
        out.append(f"{caller}:SS={ss}({_VARSCAN_SS.get(ss, '?')})")
    if "SS" in rec.format:
        for s in samples:
            v = rec.samples[s].get("SS")
            if v is not None:
                out.append(f"{caller}:{s}:SS={v}")
    if caller == "Mutect2":
        out.extend(f"Mutect2:{f}" for f in rec.filter if f != "PASS")
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------------------------
SYMBOLIC_REF_BLOCK = {"<NON_REF>", "<*>"}
_END_TEXT = re.compile(r"(?:^|;)END=(\d+)")


def _is_symbolic(alt: str) -> bool:
    return alt.startswith("<") or "[" in alt or "]" in alt or alt in ("*", ".")


def read_vcf(
    path: str | os.PathLike[str], *, build: str | None = None, whole_file: bool = False
) -> VcfData:
    """Read the MEN1 window of one VCF/BCF file (see the module docstring for how).

    ``whole_file=True`` parses every record whatever its position, and tolerates an unknown
    build (reported as ``"unknown"``): it exists to check the callers' encodings on files that
    do not cover MEN1, and is meant for small files only.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError("no such file", file=name)
    if not p.is_file():
        raise InputError("not a regular file", file=name)
    kind = _sniff(p)
    if kind == "empty":
        raise InputError("empty file", file=name)
    warnings: list[str] = []
    is_bcf = (kind == "bgzf" and _bcf_magic(p)) or (kind == "plain" and _plain_bcf(p))
    if kind == "gzip":
        raise InputError(
            "compressed with plain gzip, not bgzip: recompress it with `bgzip` "
            "(htslib and its indexes need BGZF blocks)",
            file=name,
        )
    region_lines: list[tuple[int | None, str]]
    if is_bcf:
        header_lines = _bcf_header(p)
        h = parse_header(header_lines, name)
        build = detect_build(h, name, build)
        w = reference.window(build)
        _, region_lines = _bcf_region(p, w.start, w.end, warnings)
    else:
        stream = _TextStream(p, kind)
        header_lines = stream.header_lines()
        h = parse_header(header_lines, name)
        if whole_file:
            try:
                build = detect_build(h, name, build)
            except UsageError:
                build = "unknown"
            region_lines = [
                (ln, _decode(raw, name, ln))
                for ln, raw in stream.matching_lines(re.compile(b"\n"), lambda _n, raw: bool(raw))
            ]
            caller = detect_caller(h)
            data = VcfData(name, build, caller, h.samples, header_roles(h, caller), None,
                           warnings=warnings)
            _parse_region(h, region_lines, data)
            return data
        build = detect_build(h, name, build)
        w = reference.window(build)
        index = _index_of(p) if kind == "bgzf" else None
        if index is not None:
            region_lines = _tabix_lines(p, index, w.start, w.end, warnings)
        else:
            wide = _maybe_gvcf(h)
            # A gVCF block covering MEN1 may start before the window. Blocks starting more than
            # GVCF_LOOKBACK before it are not searched: such long blocks are no-call deserts, and
            # missing one can only make coverage look worse, never better.
            lo = max(1, w.start - GVCF_LOOKBACK) if wide else w.start
            prefix = _position_prefix(lo, w.end)
            names = b"|".join(re.escape(c.encode()) for c in CHR11_NAMES)
            pattern = re.compile(b"\n(?:" + names + b")\t" + prefix)
            keep = _region_filter(name, w.start, w.end, wide)
            region_lines = [
                (ln, _decode(raw, name, ln)) for ln, raw in stream.matching_lines(pattern, keep)
            ]
    caller = detect_caller(h)
    data = VcfData(
        path=name,
        build=build,
        caller=caller,
        samples=h.samples,
        header_roles=header_roles(h, caller),
        contig_style=None,
        warnings=warnings,
    )
    _check_contigs(h, region_lines, build, data, name)
    _parse_region(h, region_lines, data)
    return data


def _bcf_header(p: Path) -> list[str]:
    import pysam

    with capture_stderr() as err:
        try:
            vf = pysam.VariantFile(str(p))
            text = str(vf.header)
            vf.close()
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable BCF: {_htslib_reason(err) or exc}", file=str(p)) from None
    return text.rstrip("\n").split("\n")


def _maybe_gvcf(h: Header) -> bool:
    text_keys = {k for k, _ in h.meta}
    return (
        "GVCFBlock" in text_keys
        or any(ln.startswith(("##ALT=<ID=NON_REF", "##ALT=<ID=*")) for ln in h.lines)
        or "MIN_DP" in h.formats
        or "MIN_DP" in h.infos
    )


def _check_contigs(
    h: Header, lines: list[tuple[int | None, str]], build: str, data: VcfData, name: str
) -> None:
    used: set[str] = set()
    want = 9 + len(h.samples) if h.samples else 8
    for ln, text in lines:
        ncols = text.count("\t") + 1
        if ncols != want and not (not h.samples and ncols == 9):
            raise InputError(
                f"{ncols} tab-separated columns, expected {want} "
                f"({len(h.samples)} sample(s) in the #CHROM line)",
                file=name,
                line=ln,
            )
        contig = text.split("\t", 1)[0]
        if h.contigs and contig not in h.contigs:
            declared = ", ".join(c for c in CHR11_NAMES if c in h.contigs) or "none"
            raise InputError(
                f"contig {contig!r} is used but not declared in the header "
                f"(declared chr11 spellings: {declared})",
                file=name,
                line=ln,
                field="CHROM",
            )
        if contig in REFSEQ_BUILD and REFSEQ_BUILD[contig] != build:
            raise BuildError(
                f"contig {contig} is {REFSEQ_BUILD[contig]} but the build is {build}",
                file=name,
                line=ln,
                field="CHROM",
            )
        used.add(contig)
    if not h.contigs:
        data.warnings.append(f"{name}: the header declares no contigs")
    if len(used) > 1:
        raise InputError(
            f"chromosome 11 is spelled in more than one way ({', '.join(sorted(used))})",
            file=name,
            field="CHROM",
        )
    data.contig_style = used.pop() if used else next(
        (c for c in CHR11_NAMES if c in h.contigs), None
    )


def _parse_region(h: Header, lines: list[tuple[int | None, str]], data: VcfData) -> None:
    import pysam

    name = data.path
    with tempfile.NamedTemporaryFile("w", suffix=".vcf", encoding="utf-8") as tmp:
        tmp.write(h.text)
        for _, text in lines:
            tmp.write(text)
            tmp.write("\n")
        tmp.flush()
        index = 0
        with capture_stderr() as err:
            try:
                vf = pysam.VariantFile(tmp.name)
            except (OSError, ValueError) as exc:
                raise InputError(
                    f"invalid header: {_htslib_reason(err) or exc}", file=name
                ) from None
            try:
                for index, rec in enumerate(vf):
                    ln = lines[index][0] if index < len(lines) else None
                    _record(rec, h, data, ln)
            except InputError:
                raise
            except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
                ln = lines[min(index + 1, len(lines) - 1)][0] if lines else None
                raise InputError(
                    f"invalid record: {_htslib_reason(err) or exc}", file=name, line=ln
                ) from None
            finally:
                vf.close()
        for msg in err:
            if msg.startswith("[W::"):
                data.warnings.append(f"{name}: {msg}")


def _record(rec: Any, h: Header, data: VcfData, line: int | None) -> None:
    alts = rec.alts or ()
    samples = data.samples
    # rec.stop follows END only when the header declares it as an Integer; read the text too.
    end_info: int | None = rec.stop if rec.stop > rec.pos + len(rec.ref) - 1 else None
    m = _END_TEXT.search(str(rec).split("\t", 8)[7])
    if m:
        end_info = max(end_info or 0, int(m.group(1)))
    if not alts or all(a in SYMBOLIC_REF_BLOCK or a == "." for a in alts):
        # Reference block (gVCF) or a reference-only site.
        if any(a in SYMBOLIC_REF_BLOCK for a in alts):
            data.is_gvcf = True
        end = int(end_info) if end_info is not None else rec.pos + len(rec.ref) - 1
        data.blocks.append(Block(rec.pos, end, _block_depths(rec, samples)))
        return
    if any(a in SYMBOLIC_REF_BLOCK for a in alts):
        data.is_gvcf = True
        data.blocks.append(Block(rec.pos, rec.pos + len(rec.ref) - 1, _block_depths(rec, samples)))
    filters = tuple(rec.filter.keys()) or ("PASS",)
    verdicts = caller_verdicts(rec, data.caller, samples)
    for i, alt in enumerate(alts, start=1):
        if alt in SYMBOLIC_REF_BLOCK or alt in ("*", "."):
            continue
        if _is_symbolic(alt):
            data.warnings.append(
                f"{data.path}: symbolic allele {alt} at {rec.contig}:{rec.pos} is not "
                "classified (structural variants are outside this engine)"
            )
            continue
        if not re.fullmatch(r"[ACGTNacgtn]+", alt) or not re.fullmatch(
            r"[ACGTNacgtn]+", rec.ref
        ):
            raise InputError(
                f"allele {rec.ref}>{alt} has characters other than A, C, G, T, N",
                file=data.path,
                line=line,
                field="ALT",
            )
        try:
            ev = {
                s: sample_evidence(rec, s, i, h, data.caller, data.path, line) for s in samples
            }
        except InputError as exc:
            if exc.line is None:
                # Indexed and BCF reads have no line numbers: name the record instead.
                exc.message = f"record {rec.contig}:{rec.pos}: {exc.message}"
                exc.args = (exc.message,)
            raise
        terms, csq_af = _csq(rec, h, alt)
        pop = population_af(rec, i)
        if pop is None or (csq_af is not None and csq_af > pop):
            pop = csq_af if csq_af is not None else pop
        data.calls.append(
            Call(
                file=data.path,
                line=line,
                chrom=rec.contig,
                pos=rec.pos,
                ref=rec.ref.upper(),
                alt=alt.upper(),
                caller=data.caller,
                filters=filters,
                verdicts=verdicts,
                samples=ev,
                population_af=pop,
                csq=terms,
            )
        )


def _block_depths(rec: Any, samples: list[str]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for s in samples:
        v = None
        for key in ("MIN_DP", "DP"):
            if key in rec.format:
                x = rec.samples[s].get(key)
                if isinstance(x, tuple):
                    x = x[0] if x else None
                if x is not None:
                    v = int(x)
                    break
        out[s] = v
    return out
