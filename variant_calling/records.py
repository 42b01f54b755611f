"""What the reader hands to the engine: calls, their per-sample evidence, gVCF blocks, and the
file-level facts (:class:`VcfData`). Plain records, no parsing here."""

from __future__ import annotations

from typing import Any, NamedTuple

from .population import PopulationFrequency

__all__ = ["Block", "Call", "CopyNumberCall", "CopyNumberEvidence", "SampleEvidence", "VcfData"]


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
    #: What the input says about the allele in a population resource; None = nothing.
    population: PopulationFrequency | None = None
    csq: tuple[str, ...] = ()  # VEP CSQ / SnpEff ANN consequence terms for MEN1, if present
    end: int | None = None


class CopyNumberEvidence(NamedTuple):
    """What one sample says about a copy-number event: whether it carries it, its copy number
    where the caller gives one, and the read support the caller counted."""

    carries: bool | None  # None: the sample has no call here (no-call, no data)
    copy_number: int | None
    genotype: str | None
    support: str  # the caller's own counts, as evidence text ("" when none)

    def as_dict(self) -> dict[str, Any]:
        return {"carries": self.carries, "copy_number": self.copy_number,
                "genotype": self.genotype, "support": self.support}


class CopyNumberCall(NamedTuple):
    """One deletion, duplication or copy-number segment as the caller wrote it: chr11
    [start, end], 1-based inclusive (a VCF symbolic allele's POS is the base before the event
    for <DEL>/<DUP>, see :mod:`variant_calling.svcall`)."""

    file: str
    line: int | None
    chrom: str
    start: int
    end: int
    svtype: str  # DEL | DUP
    alt: str  # as written: <DEL>, <DUP:TANDEM>, <CNV>, or "segment" for a CNVkit .cns row
    caller: str
    filters: tuple[str, ...]
    samples: dict[str, CopyNumberEvidence]
    #: Breakpoint confidence intervals (CIPOS/CIEND, relative offsets), None when not given.
    cipos: tuple[int, int] | None = None
    ciend: tuple[int, int] | None = None
    #: True: the caller proved the copy is in tandem (Manta <DUP:TANDEM>, Delly CT=5to3);
    #: False: a read-depth gain, in tandem only by presumption; None for losses.
    tandem: bool | None = None
    record_id: str = ""


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
        "cnv_calls",
        "contig_style",
        "declared_roles",
        "header_roles",
        "is_gvcf",
        "path",
        "samples",
        "warnings",
        "window_records",
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
        declared_roles: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.path = path
        self.build = build
        self.caller = caller
        self.samples = samples
        self.header_roles = header_roles
        #: Roles the header states outright (``##normal_sample=``, ``##tumor_sample=``,
        #: ``##SAMPLE=<ID=NORMAL,...>``): sample -> (role, the header line saying so). A user's
        #: sample naming that contradicts one of these is an error, not an override.
        self.declared_roles: dict[str, tuple[str, str]] = (
            {} if declared_roles is None else declared_roles
        )
        self.contig_style = contig_style
        self.calls: list[Call] = [] if calls is None else calls
        #: Deletions, duplications and copy-number segments over the MEN1 window.
        self.cnv_calls: list[CopyNumberCall] = []
        self.blocks: list[Block] = [] if blocks is None else blocks
        self.is_gvcf = is_gvcf
        self.warnings: list[str] = [] if warnings is None else warnings
        #: Data records read in the MEN1 window (calls, blocks, reference-only sites, records
        #: with no ALT support, symbolic alleles): 0 means the file says nothing about MEN1.
        self.window_records = 0

    def __repr__(self) -> str:
        return (f"VcfData(path={self.path!r}, build={self.build!r}, caller={self.caller!r}, "
                f"samples={self.samples!r}, {len(self.calls)} calls, {len(self.blocks)} blocks)")
