"""Orchestration: read → normalise → annotate → origin → classify → qualify → result dict.

The result is a plain JSON-ready dict (the ``men1 classify --format json`` contract); the CLI
and the app only format it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from . import __version__, loh, reference
from .callers.structural import COPY_NUMBER_CALLERS
from .coverage import coverage, men1_covered
from .errors import BuildError, Men1Error, UsageError
from .normalize import check_ref, normalize
from .origin import decide
from .population import most_common
from .qualify import (
    ONCOGENIC_TIERS,
    PATHOGENIC_TIERS,
    STATUSES,
    Verdict,
    caller_quality,
    men1_status,
    qualifies,
)
from .reader import Block, Call, SampleEvidence, VcfData, read_vcf
from .results import InputSummary, Men1Result, VariantResult
from .roles import Source, assign_roles
from .rules import DEFAULT_RULES, Rules

__all__ = ["STATUSES", "TRANSCRIPT", "InputFile", "classify"]

TRANSCRIPT = "NM_001370259.2"
GERMLINE_ORIGINS = ("germline", "germline_loh", "germline_mosaic")


class InputFile(NamedTuple):
    """One input: a path and the role the user gave it (None = from its header)."""

    path: str
    role: str | None = None


class _Variant:
    """One normalised allele and the best evidence for it per role, across the inputs."""

    __slots__ = (
        "alt",
        "calls",
        "chrom",
        "normal",
        "normal_from",
        "pos",
        "ref",
        "tumor",
        "tumor_from",
    )

    def __init__(self, pos: int, ref: str, alt: str, chrom: str) -> None:
        self.pos = pos
        self.ref = ref
        self.alt = alt
        self.chrom = chrom
        self.calls: list[Call] = []
        self.normal: SampleEvidence | None = None
        self.tumor: SampleEvidence | None = None
        self.normal_from = ""
        self.tumor_from = ""


# ---------------------------------------------------------------------------------------------
# Merging calls
# ---------------------------------------------------------------------------------------------
def _better(a: SampleEvidence | None, b: SampleEvidence) -> bool:
    """True when b is better evidence than a (deeper, or a has no depth)."""
    if a is None:
        return True
    return (b.depth or -1) > (a.depth or -1)


def _block_evidence(blocks: list[Block], sample: str, pos: int) -> SampleEvidence | None:
    for b in blocks:
        if b.start <= pos <= b.end:
            depth = b.min_depth.get(sample)
            return SampleEvidence(depth, 0, 0.0 if depth else None, "0/0")
    return None


def _collect(sources: list[Source], build: str, warnings: list[str]) -> list[_Variant]:
    w = reference.window(build)
    variants: dict[tuple[int, str, str], _Variant] = {}
    for src in sources:
        for call in src.data.calls:
            if not reference.contains(build, call.pos, call.pos + len(call.ref) - 1):
                warnings.append(
                    f"{call.file}: {call.chrom}:{call.pos} {call.ref}>{call.alt} extends past "
                    f"the shipped MEN1 window ({w.start}-{w.end}); not classified"
                )
                continue
            check_ref(build, call.pos, call.ref, file=call.file, line=call.line)
            pos, ref, alt = normalize(build, call.pos, call.ref, call.alt)
            v = variants.setdefault((pos, ref, alt), _Variant(pos, ref, alt, call.chrom))
            v.calls.append(call)
            where = f"{call.caller} {os.path.basename(call.file)}" + (
                f":{call.line}" if call.line else ""
            )
            for role in ("normal", "tumor"):
                sample = getattr(src, role)
                if sample is None or sample not in call.samples:
                    continue
                ev = call.samples[sample]
                if _better(getattr(v, role), ev):
                    setattr(v, role, ev)
                    setattr(v, f"{role}_from", where)
    # A sample that saw no variant here but has a gVCF block over it is a covered reference call.
    for v in variants.values():
        for role in ("normal", "tumor"):
            if getattr(v, role) is not None:
                continue
            for src in sources:
                sample = getattr(src, role)
                if sample is not None and src.data.blocks:
                    block_ev = _block_evidence(src.data.blocks, sample, v.pos)
                    if block_ev is not None:
                        setattr(v, role, block_ev)
                        setattr(v, f"{role}_from", f"gVCF block {os.path.basename(src.data.path)}")
                        break
    return sorted(variants.values(), key=lambda v: (v.pos, v.ref, v.alt))


# ---------------------------------------------------------------------------------------------
# Quality, coverage, status
# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------
def classify(
    inputs: Sequence[InputFile | str],
    *,
    normal_sample: str | None = None,
    tumor_sample: str | None = None,
    build: str | None = None,
    clinvar: str | None = None,
    rules: Rules = DEFAULT_RULES,
) -> Men1Result:
    """Classify MEN1 variants in ``inputs``; ``.as_dict()`` of the result is the
    ``men1 classify`` JSON object."""
    # Imported here so that `import variant_calling` (e.g. by the web app, or for the reader
    # alone) does not pay for Biopython and the known-variant table.
    from . import copy_number
    from .known import load as load_known
    from .locus import annotate, genomic_name
    from .oncogenicity import SOMATIC_ORIGINS
    from .oncogenicity import classify as classify_oncogenicity
    from .pathogenicity import classify as classify_pathogenicity

    files = [i if isinstance(i, InputFile) else InputFile(str(i)) for i in inputs]
    if not files:
        raise UsageError("no input VCF given")
    roles_given = [f.role for f in files]
    for r in roles_given:
        if r not in (None, "normal", "tumor"):
            raise UsageError(f"unknown role {r!r}")
    if roles_given.count("normal") > 1 or roles_given.count("tumor") > 1:
        raise UsageError("at most one --normal and one --tumor file")
    if build is not None and build not in reference.BUILDS:
        raise UsageError(f"--build must be GRCh37 or GRCh38, not {build!r}")

    warnings: list[str] = []
    datas: list[VcfData] = []
    for f in files:
        datas.append(read_vcf(f.path, build=build))
    builds = {d.build for d in datas}
    if len(builds) > 1:
        detail = ", ".join(f"{d.path}: {d.build}" for d in datas)
        raise BuildError(f"the inputs are on different builds ({detail})")
    the_build = datas[0].build
    sources = [Source(d) for d in datas]
    assign_roles(sources, roles_given, normal_sample, tumor_sample, warnings)
    for d in datas:
        warnings.extend(d.warnings)

    known = load_known(clinvar, the_build, warnings)

    merged = _collect(sources, the_build, warnings)
    paired = any(s.normal for s in sources) and any(s.tumor for s in sources)
    locus_loh = loh.assess(merged, paired=paired, rules=rules)
    out_variants: list[VariantResult] = []
    ignored = 0
    for v in merged:
        origin = decide(v.normal, v.tumor, rules)
        if not origin.detected:
            ignored += 1
            continue
        try:
            ann = annotate(the_build, v.pos, v.ref, v.alt)
        except Men1Error as exc:
            warnings.append(f"chr11:{v.pos} {v.ref}>{v.alt}: not annotated ({exc})")
            continue
        pop = most_common(c.population for c in v.calls)
        cls = classify_pathogenicity(the_build, v.pos, v.ref, v.alt, ann, known, pop, rules)
        onc = (
            classify_oncogenicity(the_build, v.pos, v.ref, v.alt, ann, known, pop, rules)
            if origin.origin in SOMATIC_ORIGINS
            else None
        )
        passes, filters, qev = caller_quality(
            [c.filters for c in v.calls], origin.origin in GERMLINE_ORIGINS, rules)
        verdict = Verdict(origin.origin, cls.tier, onc.tier if onc else None, passes,
                          origin.in_tumor)
        harmful = cls.tier in PATHOGENIC_TIERS or (onc is not None and onc.tier in ONCOGENIC_TIERS)
        evidence = list(origin.evidence) + list(cls.evidence) + qev
        for c in v.calls:
            evidence.extend(x for x in c.verdicts if x not in evidence)
        if locus_loh["status"] == "loh" and origin.origin in GERMLINE_ORIGINS:
            evidence.append(f"LOCUS_LOH_SECOND_HIT ({locus_loh['reason']}): the tumour lost "
                            "one MEN1 allele")
        if v.normal_from:
            evidence.append(f"NORMAL_EVIDENCE_FROM {v.normal_from}")
        if v.tumor_from:
            evidence.append(f"TUMOR_EVIDENCE_FROM {v.tumor_from}")
        if harmful and origin.origin == "germline_mosaic":
            warnings.append(
                f"{ann.hgvs_c}: possible germline mosaic (normal {v.normal and v.normal.vaf}); "
                "review before enrolment"
            )
        if harmful and not passes:
            tiers = cls.tier if onc is None else f"{cls.tier} / {onc.tier}"
            warnings.append(f"{ann.hgvs_c}: {tiers} but failed caller quality filters")
        for c in v.calls:
            if c.csq and ann.consequence not in c.csq:
                warnings.append(
                    f"{ann.hgvs_c}: consequence {ann.consequence} disagrees with the input's "
                    f"annotation ({'&'.join(c.csq)}) in {os.path.basename(c.file)}"
                )
        out_variants.append(
            VariantResult(
                chrom=v.chrom,
                pos=v.pos,
                ref=v.ref,
                alt=v.alt,
                hgvs_c=ann.hgvs_c,
                hgvs_p=ann.hgvs_p,
                hgvs_g=genomic_name(the_build, v.pos, v.ref, v.alt),
                consequence=ann.consequence,
                origin=origin.origin,
                classification=cls.tier,
                points=cls.points,
                oncogenicity=onc,
                qualifying=qualifies(verdict),
                quality_pass=passes,
                in_tumor=origin.in_tumor,
                normal=v.normal,
                tumor=v.tumor,
                filters=tuple(filters),
                population=pop,
                callers=tuple(sorted({c.caller for c in v.calls})),
                evidence=tuple(evidence),
            )
        )
    if ignored:
        warnings.append(f"{ignored} MEN1 record(s) with no ALT support in any sample ignored")
    for cnv in copy_number.results(sources, the_build, known, rules, warnings):
        if locus_loh["status"] == "loh" and cnv.origin in GERMLINE_ORIGINS:
            # A germline deletion's carrier has a second hit too (the markers lie outside it).
            cnv = cnv._replace(evidence=(*cnv.evidence, f"LOCUS_LOH_SECOND_HIT "
                                         f"({locus_loh['reason']}): the tumour lost one MEN1 "
                                         "allele"))
        out_variants.append(cnv)
    # A tumour's single-copy loss of the whole gene is the usual second hit: a germline
    # carrier's qualifying variants say so (the loss itself never qualifies alone).
    losses = [v.hgvs_c for v in out_variants if v.second_hit_only and v.in_tumor]
    if losses:
        out_variants = [
            v._replace(evidence=(*v.evidence, f"COPY_NUMBER_SECOND_HIT ({', '.join(losses)} "
                                              "in the tumour): the tumour lost the other "
                                              "MEN1 allele"))
            if v.qualifying and v.origin in GERMLINE_ORIGINS else v
            for v in out_variants]
    out_variants.sort(key=lambda v: (v.pos, v.ref, v.alt))
    cov = coverage(sources, the_build, rules)
    # Nothing found, and the inputs cannot show MEN1 was looked at: pending, not negative.
    covered = men1_covered(sources, cov) is not False
    # A copy-number caller does not look at sequence variants: its silence is not a negative.
    # Nor does a file of another caller (Canvas, DRAGEN CNV) whose MEN1 records are all
    # copy-number alleles: without this it read `none_detected`.
    copy_number_only = all(s.data.caller in COPY_NUMBER_CALLERS
                           or (bool(s.data.cnv_calls) and not s.data.calls) for s in sources)
    status = men1_status((v.verdict for v in out_variants),
                         covered=covered and not copy_number_only)
    if status == "not_covered" and copy_number_only and covered:
        warnings.append("copy-number input only: sequence variants of MEN1 were not assessed; "
                        "without a qualifying event the result is pending, not negative")
    elif status == "not_covered":
        warnings.append("MEN1 not covered: no input has a record in the MEN1 region, or the "
                        "gVCF blocks cover none of its coding bases at the minimum depth; the "
                        "result is pending, not negative")
    if cov is not None and not cov["covered"] and status == "none_detected":
        warnings.append("none detected, but the MEN1 coding exons were NOT all covered")
    normals = [s.normal for s in sources if s.normal]
    tumors = [s.tumor for s in sources if s.tumor]
    return Men1Result(
        engine_version=__version__,
        build=the_build,
        transcript=TRANSCRIPT,
        normal_sample=normals[0] if normals else None,
        tumor_sample=tumors[0] if tumors else None,
        men1_status=status,
        qualifies=any(v.qualifying for v in out_variants),
        warnings=tuple(dict.fromkeys(warnings)),
        known_variants_version=known.version,
        coverage=cov,
        inputs=tuple(
            InputSummary(
                path=s.data.path,
                caller=s.data.caller,
                samples=tuple(s.data.samples),
                normal_sample=s.normal,
                tumor_sample=s.tumor,
                gvcf=s.data.is_gvcf,
            )
            for s in sources
        ),
        rules=rules,
        variants=tuple(out_variants),
        loh=locus_loh,
    )
