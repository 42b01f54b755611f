"""The VCF header: its lines parsed once, the genome build it implies, the sample roles it states
and the GATK command lines it records."""

from __future__ import annotations

import re
from typing import NamedTuple

from . import reference
from .errors import BuildError, InputError, UsageError

__all__ = [
    "CHR11_LENGTH",
    "CHR11_NAMES",
    "REFSEQ_BUILD",
    "Header",
    "declared_roles",
    "detect_build",
    "gatk_command_lines",
    "parse_header",
]

# GRCh37 and GRCh38 lengths of chromosome 11 (the build's fingerprint in ##contig lines).
CHR11_LENGTH = {135006516: "GRCh37", 135086622: "GRCh38"}
CHR11_NAMES = ("chr11", "11", "NC_000011.9", "NC_000011.10")
REFSEQ_BUILD = {"NC_000011.9": "GRCh37", "NC_000011.10": "GRCh38"}
_REFERENCE_HINTS = (
    (re.compile(r"grch38|hg38|hs38|b38|gca_000001405\.15", re.I), "GRCh38"),
    (re.compile(r"grch37|hg19|hs37|b37|g1k_v37|human_g1k|gca_000001405\.1\b", re.I), "GRCh37"),
)


class Header(NamedTuple):
    lines: list[str]  # every header line, without line ends, the #CHROM line last
    samples: list[str]
    contigs: dict[str, int | None]
    meta: list[tuple[str, str]]  # (key, value) of every "##key=value" line
    formats: dict[str, str]  # FORMAT ID -> Number
    infos: dict[str, str]  # INFO ID -> Number
    info_descriptions: dict[str, str]
    filters: dict[str, str]  # FILTER ID -> Description

    def meta_values(self, key: str) -> list[str]:
        return [v for k, v in self.meta if k == key]

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


_STRUCT = re.compile(r"^##(INFO|FORMAT|FILTER|contig)=<(.*)>\s*$")
_KV = re.compile(r'([A-Za-z_][\w.]*)=("(?:[^"\\]|\\.)*"|[^,]*)')


def structured(value: str) -> dict[str, str]:
    """The ``key=value`` pairs of a structured header value ``<ID=...,Description="...">``."""
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
    filters: dict[str, str] = {}
    for ln in lines[:-1]:
        m = _STRUCT.match(ln)
        if m:
            d = structured(m.group(2))
            ident = d.get("ID", "")
            kind = m.group(1)
            if kind == "contig":
                length = d.get("length", "")
                contigs[ident] = int(length) if length.isdigit() else None
            elif kind == "FORMAT":
                formats[ident] = d.get("Number", ".")
            elif kind == "FILTER":
                filters[ident] = d.get("Description", "")
            else:
                infos[ident] = d.get("Number", ".")
                descriptions[ident] = d.get("Description", "")
        if ln.startswith("##") and "=" in ln:
            k, _, v = ln[2:].partition("=")
            meta.append((k, v))
    return Header(lines, samples, contigs, meta, formats, infos, descriptions, filters)


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


def declared_roles(h: Header) -> dict[str, tuple[str, str]]:
    """Sample -> (role, header line) for the roles the header states outright.

    Mutect2 (GATK4) writes ``##normal_sample=``/``##tumor_sample=``; GATK3 MuTect2 and the GDC's
    files write ``##SAMPLE=<ID=NORMAL,SampleName=...>`` (the column is named by ID or SampleName).
    """
    out: dict[str, tuple[str, str]] = {}
    for key, role in (("normal_sample", "normal"), ("tumor_sample", "tumor")):
        for v in h.meta_values(key):
            if v in h.samples:
                out[v] = (role, f"##{key}={v}")
    for value in h.meta_values("SAMPLE"):
        d = structured(value.strip("<>"))
        sample_role = {"NORMAL": "normal", "TUMOR": "tumor", "TUMOUR": "tumor"}.get(
            d.get("ID", "").upper()
        )
        if sample_role is None:
            continue
        for name in (d.get("ID", ""), d.get("SampleName", "")):
            if name in h.samples and name not in out:
                line = f"##SAMPLE=<ID={d['ID']},SampleName={d.get('SampleName', '')}>"
                out[name] = (sample_role, line)
    return out


def gatk_command_lines(h: Header, tool: str) -> list[str]:
    """The command lines a GATK4 header records for ``tool`` (e.g. ``Mutect2``)."""
    out = []
    for key, value in h.meta:
        if key.startswith("GATKCommandLine"):
            d = structured(value.strip("<>"))
            if d.get("ID") == tool:
                out.append(d.get("CommandLine", "") or d.get("CommandLineOptions", ""))
    return out


def gatk_tool_version(h: Header, tool: str) -> str | None:
    """The GATK version of the first ``##GATKCommandLine`` for ``tool`` (e.g. ``4.0.5.2``)."""
    for key, value in h.meta:
        if key.startswith("GATKCommandLine"):
            d = structured(value.strip("<>"))
            if d.get("ID") == tool:
                return d.get("Version") or None
    return None


def command_arg(command_line: str, *names: str) -> str | None:
    """The value of the first of ``names`` (e.g. ``--germline-resource``) in a GATK command
    line, or None when absent (GATK writes ``null`` for an unset file argument)."""
    for name in names:
        m = re.search(rf"(?:^|\s){re.escape(name)}[ =](\S+)", command_line)
        if m and m.group(1) not in ("null", '""'):
            return m.group(1)
    return None
