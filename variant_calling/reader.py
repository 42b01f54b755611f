"""Read any caller's VCF/BCF and keep only what the MEN1 engine needs.

Every input ends up in the same shape: the header text plus the few lines that fall in the MEN1
window, written to a small temporary VCF that pysam parses in full. How those lines are found
depends on the file:

* bgzipped VCF with a tabix/CSI index: the index's chunks for the window (:mod:`.region`,
  :mod:`.tabix`);
* bgzipped or plain VCF without an index: the textual pre-filter (:mod:`.scan`) over the
  decompressed stream (:mod:`.bgzf`), so whole-genome files are scanned without being parsed or
  held in memory;
* BCF: pysam (indexed ``fetch`` or a streamed scan), each record re-serialised to text.

Then each record becomes :class:`~.records.Call` objects (one per ALT) or gVCF
:class:`~.records.Block` s, read with the layout of the caller the header names
(:mod:`.callers`), with the population frequency the input carries (:mod:`.popfreq`) and its
VEP/SnpEff annotation (:mod:`.annotations`).

The module also keeps the public names the rest of the project imports from it.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from . import bgzf, callers, cns, popfreq, reference, svcall
from .annotations import annotation
from .callers.evidence import sample_evidence
from .callers.structural import COPY_NUMBER_CALLERS
from .errors import BuildError, InputError, UsageError
from .header import (
    CHR11_NAMES,
    REFSEQ_BUILD,
    Header,
    declared_roles,
    detect_build,
    parse_header,
    structured,
)
from .hts import capture_stderr, htslib_reason, htslib_warnings
from .records import Block, Call, SampleEvidence, VcfData
from .region import bcf_header, bcf_region, index_of, tabix_lines
from .scan import TextStream, chr11_pattern, decode, region_filter, split_fields

__all__ = [
    "Block", "Call", "HeaderSummary", "SampleEvidence", "VcfData", "capture_stderr",
    "read_header", "read_vcf",
]

GVCF_LOOKBACK = 500_000
SYMBOLIC_REF_BLOCK = {"<NON_REF>", "<*>"}
_END_TEXT = re.compile(r"(?:^|;)END=(\d+)")
_ACGTN = re.compile(r"[ACGTNacgtn]+")

Lines = list[tuple[int | None, str]]


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
    kind = bgzf.sniff(p)
    if kind == "empty":
        raise InputError("empty file", file=name)
    if kind == "gzip":
        raise InputError(
            "compressed with plain gzip, not bgzip: recompress it with `bgzip` "
            "(htslib and its indexes need BGZF blocks)",
            file=name,
        )
    if kind == "plain":
        with p.open("rb") as fh:
            if cns.is_cns(fh.read(64)):
                return cns.read_cns(p, build=build)
    warnings: list[str] = []
    region_lines: Lines
    if bgzf.is_bcf(p, kind):
        h = parse_header(bcf_header(p), name)
        build = detect_build(h, name, build)
        w = reference.window(build)
        region_lines = bcf_region(p, w.start, w.end, warnings)
    else:
        stream = TextStream(p, kind)
        h = parse_header(stream.header_lines(), name)
        if whole_file:
            try:
                build = detect_build(h, name, build)
            except UsageError:
                build = "unknown"
            region_lines = [
                (ln, decode(raw, name, ln))
                for ln, raw in stream.matching_lines(re.compile(b"\n"), lambda _n, raw: bool(raw))
            ]
            caller = callers.detect(h)
            data = _data(h, name, build, warnings, caller)
            data.window_records = len(region_lines)
            _parse_region(h, region_lines, data, caller)
            return data
        try:
            build = detect_build(h, name, build)
        except UsageError:
            _refuse_undeclared_chr11(h, stream, name)
            raise
        w = reference.window(build)
        index = index_of(p) if kind == "bgzf" else None
        if index is not None:
            region_lines = tabix_lines(p, index, w.start, w.end, warnings)
        else:
            wide = _maybe_gvcf(h)
            # A gVCF block covering MEN1 may start before the window. Blocks starting more than
            # GVCF_LOOKBACK before it are not searched: such long blocks are no-call deserts, and
            # missing one can only make coverage look worse, never better.
            lo = max(1, w.start - GVCF_LOOKBACK) if wide else w.start
            copy_number = _maybe_copy_number(h)
            if copy_number:
                # A deletion of the whole gene may start megabases before it (a CNVkit segment
                # of an arm): every chr11 record whose END reaches the window is read.
                wide, lo = True, 1
            keep = region_filter(name, w.start, w.end, wide)
            header_lines = stream.line_no
            chr11_lines = 0

            def counted(n: int, raw: bytes) -> bool:
                nonlocal chr11_lines
                chr11_lines += 1
                return keep(n, raw)

            region_lines = [
                (ln, decode(raw, name, ln))
                for ln, raw in stream.matching_lines(chr11_pattern(lo, w.end), counted)
            ]
            elsewhere = stream.line_no - header_lines - chr11_lines
            if copy_number and elsewhere > 0:
                warnings.append(f"{name}: {elsewhere} record(s) on other chromosomes ignored")
            away = chr11_lines - len(region_lines)
            if copy_number and away > 0:
                warnings.append(f"{name}: {away} chr11 record(s) away from MEN1 ignored")
    caller = callers.detect(h)
    data = _data(h, name, build, warnings, caller)
    _check_contigs(h, region_lines, build, data, name)
    data.window_records = len(region_lines)
    _parse_region(h, region_lines, data, caller)
    return data


class HeaderSummary(NamedTuple):
    """What the header of one input says before any record is read: enough for a person to
    confirm the caller, the build and which sample is which before the classification runs."""

    caller: str
    #: The caller's version as its header records it (GATK's command line), else None.
    caller_version: str | None
    #: The build the header implies, or None when it names none (``build_problem`` says why).
    build: str | None
    build_problem: str | None
    samples: list[str]
    #: Sample -> role from the header alone, as the engine assigns it without a mapping.
    roles: dict[str, str]
    #: Sample -> (role, header line) for the roles the header states outright: a mapping that
    #: contradicts one of these is refused by :func:`~.roles.assign_roles`.
    declared: dict[str, tuple[str, str]]


def read_header(path: str | os.PathLike[str]) -> HeaderSummary:
    """The header of a VCF, bgzipped VCF or BCF (never its records, so a whole-genome file
    answers at once); a CNVkit segment table has no header and names no sample."""
    p = Path(path)
    name = str(path)
    kind = bgzf.sniff(p)
    if kind in ("empty", "gzip"):
        read_vcf(p)  # raises the reader's own message for these
    if kind == "plain":
        with p.open("rb") as fh:
            if cns.is_cns(fh.read(64)):
                return HeaderSummary("CNVkit", None, None, None, [], {}, {})
    if bgzf.is_bcf(p, kind):
        h = parse_header(bcf_header(p), name)
    else:
        h = parse_header(TextStream(p, kind).header_lines(), name)
    caller = callers.detect(h)
    build: str | None
    problem: str | None = None
    try:
        build = detect_build(h, name, None)
    except (UsageError, BuildError) as exc:
        build, problem = None, str(exc)
    return HeaderSummary(caller.name, _caller_version(h, caller.name), build, problem,
                         list(h.samples), callers.header_roles(h, caller), declared_roles(h))


def _caller_version(h: Header, caller: str) -> str | None:
    tool = caller.split()[0].lower()
    for key, value in h.meta:
        if key.startswith("GATKCommandLine"):
            fields = structured(value.strip("<>"))
            if fields.get("ID", "").lower() == tool and fields.get("Version"):
                return fields["Version"]
    for key in ("source_version", f"{tool}Version"):
        values = [v for k, v in h.meta if k.lower() == key.lower()]
        if values:
            return values[0].strip('"')
    return None


def _data(
    h: Header, name: str, build: str, warnings: list[str], caller: callers.Caller
) -> VcfData:
    return VcfData(
        path=name,
        build=build,
        caller=caller.name,
        samples=h.samples,
        header_roles=callers.header_roles(h, caller),
        contig_style=None,
        warnings=warnings,
        declared_roles=declared_roles(h),
    )


def _refuse_undeclared_chr11(h: Header, stream: TextStream, name: str) -> None:
    """A header that declares contigs, none of them chr11, gives no build; if the file uses a
    chr11 spelling all the same, that is the error to report (exit 3), not a missing --build."""
    if not h.contigs or any(c in h.contigs for c in CHR11_NAMES):
        return
    for ln, raw in stream.matching_lines(chr11_pattern(), lambda _n, _raw: True):
        contig = split_fields(raw, name, ln)[0].decode("utf-8", "replace")
        raise InputError(
            f"contig {contig!r} is used but not declared in the header (it declares "
            f"{len(h.contigs)} contigs, no chromosome 11)",
            file=name,
            line=ln,
            field="CHROM",
        )


def _maybe_gvcf(h: Header) -> bool:
    text_keys = {k for k, _ in h.meta}
    return (
        "GVCFBlock" in text_keys
        or any(ln.startswith(("##ALT=<ID=NON_REF", "##ALT=<ID=*")) for ln in h.lines)
        or "MIN_DP" in h.formats
        or "MIN_DP" in h.infos
    )


def _maybe_copy_number(h: Header) -> bool:
    """The header declares copy-number or structural alleles (or is a copy-number caller's)."""
    declared_alts = any(ln.startswith(("##ALT=<ID=DEL", "##ALT=<ID=DUP", "##ALT=<ID=CNV"))
                        for ln in h.lines)
    return declared_alts or "SVTYPE" in h.infos or callers.detect(h).name in COPY_NUMBER_CALLERS


def _check_contigs(h: Header, lines: Lines, build: str, data: VcfData, name: str) -> None:
    used: set[str] = set()
    want = 9 + len(h.samples) if h.samples else 8
    for ln, text in lines:
        ncols = text.count("\t") + 1
        if ncols != want and not (not h.samples and ncols == 9):
            split_fields(text.encode(), name, ln)  # names space-separated columns
            raise InputError(
                f"{ncols} tab-separated columns, expected {want} "
                f"({len(h.samples)} sample(s) in the #CHROM line)",
                file=name,
                line=ln,
            )
        contig, pos_text, _ = text.split("\t", 2)
        if h.contigs and contig not in h.contigs:
            declared = ", ".join(c for c in CHR11_NAMES if c in h.contigs) or "none"
            raise InputError(
                f"contig {contig!r} is used but not declared in the header "
                f"(declared chr11 spellings: {declared})",
                file=name,
                line=ln,
                field="CHROM",
            )
        length = h.contigs.get(contig)
        if length is not None and pos_text.isdigit() and int(pos_text) > length:
            where = "" if ln is not None else f"record {contig}:{pos_text}: "
            raise InputError(
                f"{where}POS {pos_text} is beyond the end of {contig} (length={length} in "
                "its ##contig line)",
                file=name,
                line=ln,
                field="POS",
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


class _FileContext:
    """What every record of one file is read with."""

    __slots__ = ("caller", "layouts", "mutect", "popaf_ignored")

    def __init__(self, h: Header, caller: callers.Caller) -> None:
        self.caller = caller
        self.layouts = self.caller.all_layouts
        self.mutect = popfreq.mutect_rule(h)
        self.popaf_ignored: str | None = None


def _parse_region(h: Header, lines: Lines, data: VcfData, caller: callers.Caller) -> None:
    import pysam

    name = data.path
    ctx = _FileContext(h, caller)
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
                    f"invalid header: {htslib_reason(err) or exc}", file=name
                ) from None
            try:
                for index, rec in enumerate(vf):
                    ln, raw = lines[index] if index < len(lines) else (None, None)
                    _record(rec, h, data, ln, ctx, raw)
            except InputError:
                raise
            except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
                ln = lines[min(index + 1, len(lines) - 1)][0] if lines else None
                raise InputError(
                    f"invalid record: {htslib_reason(err) or exc}", file=name, line=ln
                ) from None
            finally:
                vf.close()
        data.warnings.extend(htslib_warnings(name, err))
    if ctx.popaf_ignored:
        data.warnings.append(popfreq.popaf_ignored_note(name, ctx.popaf_ignored))


def _is_symbolic(alt: str) -> bool:
    return alt.startswith("<") or "[" in alt or "]" in alt or alt in ("*", ".")


def _record(rec: Any, h: Header, data: VcfData, line: int | None, ctx: _FileContext,
            raw: str | None = None) -> None:
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
        data.blocks.append(Block(rec.pos, end, _block_depths(rec, samples, data.path, line)))
        return
    if any(a in SYMBOLIC_REF_BLOCK for a in alts):
        data.is_gvcf = True
        depths = _block_depths(rec, samples, data.path, line)
        data.blocks.append(Block(rec.pos, rec.pos + len(rec.ref) - 1, depths))
    if svcall.copy_number_alts(alts):
        data.cnv_calls.extend(svcall.read_record(rec, data.caller, samples, data.path, line,
                                                 data.warnings, raw))
    filters = tuple(rec.filter.keys()) or ("PASS",)
    verdicts = callers.verdicts(rec, ctx.caller, samples)
    for i, alt in enumerate(alts, start=1):
        if alt in SYMBOLIC_REF_BLOCK or alt in ("*", ".") or svcall.is_copy_number_allele(alt):
            continue
        if _is_symbolic(alt):
            data.warnings.append(
                f"{data.path}: symbolic allele {alt} at {rec.contig}:{rec.pos} is not "
                "classified (only deletions, duplications and copy-number changes are)"
            )
            continue
        if not _ACGTN.fullmatch(alt) or not _ACGTN.fullmatch(rec.ref):
            raise InputError(
                f"allele {rec.ref}>{alt} has characters other than A, C, G, T, N",
                file=data.path,
                line=line,
                field="ALT",
            )
        try:
            ev = {
                s: sample_evidence(rec, s, i, h, ctx.layouts, data.path, line)
                for s in samples
            }
            ann = annotation(rec, h, alt, popfreq.is_frequency_field)
            found = []
            unreadable: list[str] = []
            mutect, ignored = popfreq.mutect_popaf(rec, h, i, ctx.mutect, data.path, line,
                                                   unreadable)
            ctx.popaf_ignored = ctx.popaf_ignored or ignored
            values = popfreq.info_values(rec, h, i, unreadable)
            if unreadable:
                where = f"line {line}" if line is not None else f"record {rec.contig}:{rec.pos}"
                data.warnings.append(popfreq.unreadable_note(data.path, where, unreadable))
            for pf in (
                popfreq.from_values(values, data.path, line),
                popfreq.from_values(ann.values, data.path, line),
                mutect,
            ):
                if pf is not None:
                    found.append(pf)
        except InputError as exc:
            if exc.line is None:
                # Indexed and BCF reads have no line numbers: name the record instead.
                exc.message = f"record {rec.contig}:{rec.pos}: {exc.message}"
                exc.args = (exc.message,)
            raise
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
                population=popfreq.merge(found),
                csq=ann.terms,
            )
        )


def _block_depths(
    rec: Any, samples: list[str], file: str, line: int | None
) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for s in samples:
        v = None
        for key in ("MIN_DP", "DP"):
            if key in rec.format:
                x = rec.samples[s].get(key)
                if isinstance(x, tuple):
                    x = x[0] if x else None
                if x is not None:
                    try:
                        v = int(x)
                    except ValueError:
                        where = "" if line is not None else f"record {rec.contig}:{rec.pos}: "
                        raise InputError(
                            f"{where}sample {s}: {key} {x!r} is not a number",
                            file=file,
                            line=line,
                            field=key,
                        ) from None
                    break
        out[s] = v
    return out
