"""Outside results: a germline MEN1 result from another laboratory's report, entered as an
HGVS name, checked against the shipped reference and classified by the same engine.

A clinical genetics report names the variant as c. on one of the RefSeq transcripts (often
NM_000244.3, whose numbering above c.445 is 15 higher than the MANE transcript's) or as g. on
chromosome 11. The name is parsed by :mod:`variant_calling.locus` (``strict``: a position
outside the transcript or the gene is refused), placed on the genome, renamed on the MANE
transcript and classified on the germline scale like a call from a VCF. The report is of
germline DNA, so the variant's origin is ``germline``; it has no read evidence and passes
quality because a clinical laboratory reported it and the signing pathologist confirms it
against the attached report.
"""

from __future__ import annotations

from . import __version__, locus, reference
from .copy_number import classify_event, tier_of_score
from .errors import UsageError
from .known import KnownVariantTable
from .known import load as load_known
from .locus import (
    MANE,
    TRANSCRIPTS,
    CopyNumberName,
    HgvsError,
    annotate,
    copy_number_name,
    genomic_name,
    place,
)
from .pathogenicity import classify as classify_pathogenicity
from .qualify import Verdict, men1_status, qualifies
from .reference import BUILDS
from .results import Men1Result, VariantResult
from .rules import DEFAULT_RULES, Rules

__all__ = ["SOURCE", "classify_name"]

#: What the result's ``callers`` and evidence say the variant came from.
SOURCE = "outside report"


def _hint(name: str, build: str) -> str:
    """A name refused on its transcript that is valid on another one: the usual mix-up of
    NM_000244.3 numbering with NM_130799.2/NM_001370259.2 numbering."""
    if ":c." not in name:
        return ""
    acc, rest = name.split(":c.", 1)
    fits = []
    for other in TRANSCRIPTS:
        if other.split(".")[0] == acc.split("(")[0].split(".")[0]:
            continue
        try:
            if copy_number_name(build, f"{other}:c.{rest}") is None:
                place(build, f"{other}:c.{rest}", strict=True)
        except HgvsError:
            continue
        fits.append(f"{other}:c.{rest}")
    return f" (it reads correctly as {' or '.join(fits)}: check the transcript)" if fits else ""


def classify_name(name: str, *, build: str = "GRCh38", clinvar: str | None = None,
                  rules: Rules = DEFAULT_RULES) -> Men1Result:
    """Classify one outside germline result given as an HGVS name.

    Raises :class:`~variant_calling.locus.HgvsError` naming what is wrong with the name (a
    malformed name, an unknown transcript or version, a position outside the transcript or
    the gene, a reference base that is not the reference's)."""
    if build not in BUILDS:
        raise UsageError(f"--build must be GRCh37 or GRCh38, not {build!r}")
    text = " ".join(name.split())
    if not text:
        raise HgvsError("no HGVS name given")
    try:
        cnv = copy_number_name(build, text)
        if cnv is not None:
            warnings: list[str] = []
            known = load_known(clinvar, build, warnings)
            return _copy_number_result(text, cnv, build, known, rules, warnings)
        pos, ref, alt = place(build, text, strict=True)
    except HgvsError as exc:
        raise HgvsError(f"{exc}{_hint(text, build)}") from None
    warnings = []
    known = load_known(clinvar, build, warnings)
    ann = annotate(build, pos, ref, alt)
    g_name = genomic_name(build, pos, ref, alt)
    if not text.startswith(MANE) and ":c." in text:
        warnings.append(f"{text} is named on the MANE transcript as {ann.hgvs_c}")
    cls = classify_pathogenicity(build, pos, ref, alt, ann, known, None, rules)
    verdict = Verdict("germline", cls.tier, None, True, False)
    evidence = (
        f"OUTSIDE_RESULT as reported: {text}",
        f"GENOMIC {build} chr11:{pos} {ref}>{alt} ({g_name})",
        *cls.evidence,
        "QUALITY_REPORTED: a clinical laboratory's reported germline result; the signing "
        "pathologist confirms it against the attached report",
    )
    variant = VariantResult(
        chrom="chr11", pos=pos, ref=ref, alt=alt, hgvs_c=ann.hgvs_c, hgvs_p=ann.hgvs_p,
        consequence=ann.consequence, origin="germline", classification=cls.tier,
        points=cls.points, oncogenicity=None, qualifying=qualifies(verdict), quality_pass=True,
        in_tumor=False, normal=None, tumor=None, filters=(), population=None,
        callers=(SOURCE,), evidence=evidence, hgvs_g=g_name,
    )
    return Men1Result(
        engine_version=__version__, build=build, transcript=MANE, normal_sample=None,
        tumor_sample=None, men1_status=men1_status([verdict]), qualifies=variant.qualifying,
        warnings=tuple(warnings), known_variants_version=known.version, coverage=None,
        inputs=(), rules=rules, variants=(variant,),
    )


def _copy_number_result(text: str, cnv: CopyNumberName, build: str, known: KnownVariantTable,
                        rules: Rules, warnings: list[str]) -> Men1Result:
    """An outside deletion or duplication (an MLPA or array result): classified like a
    copy-number call on the ClinGen CNV points, on the bases it certainly changes (the inner
    bounds of uncertain breakpoints), named on MANE with its uncertainty kept."""
    # An outside duplication's orientation is not reported: in tandem by presumption only.
    scored = classify_event(build, cnv.svtype, cnv.start, cnv.end,
                            False if cnv.svtype == "DUP" else None, known)
    tier = tier_of_score(scored.score)
    verdict = Verdict("germline", tier, None, True, False)
    names = _copy_number_names(build, cnv)
    ex = locus.mane_exons(build)
    whole = [e.number for e in ex if cnv.start <= e.start and e.end <= cnv.end]
    partial = [e.number for e in ex if e.number not in whole
               and e.start <= cnv.end and cnv.start <= e.end]
    if names["hgvs_c"] != text:
        warnings.append(f"{text} is named on the MANE transcript as {names['hgvs_c']}")
    evidence = (
        f"OUTSIDE_RESULT as reported: {text}",
        f"GENOMIC {build} chr11:{cnv.start}-{cnv.end} "
        + ("(the bases certainly changed; the breakpoints are uncertain) " if not cnv.certain
           else "") + f"({names['hgvs_g']})",
        *(f"{code} ({points:+.2f}): {reason}" for code, points, reason in scored.scoring),
        f"ClinGen CNV score {scored.score:+.2f} -> {tier}",
        "QUALITY_REPORTED: a clinical laboratory's reported germline result; the signing "
        "pathologist confirms it against the attached report",
    )
    ref = (reference.sequence(build, cnv.start, cnv.start)
           if reference.contains(build, cnv.start) else "N")
    variant = VariantResult(
        chrom="chr11", pos=cnv.start, ref=ref, alt=f"<{cnv.svtype}>", hgvs_c=names["hgvs_c"],
        hgvs_p=scored.hgvs_p, consequence=scored.consequence, origin="germline",
        classification=tier, points=None, oncogenicity=None, qualifying=qualifies(verdict),
        quality_pass=True, in_tumor=False, normal=None, tumor=None, filters=(),
        population=None, callers=(SOURCE,), evidence=evidence, hgvs_g=names["hgvs_g"],
        copy_number={
            "svtype": cnv.svtype, "start": cnv.start, "end": cnv.end,
            "size": cnv.end - cnv.start + 1, "cipos": None, "ciend": None,
            "tandem": False if cnv.svtype == "DUP" else None,
            "copy_number": {"normal": None}, "exons": whole, "exons_partial": partial,
            "section": scored.section, "score": scored.score,
            "scoring": [{"code": c, "points": p, "reason": r} for c, p, r in scored.scoring],
            "scale": "ClinGen CNV points (Riggs et al. 2020)",
            "outer": [cnv.outer_start, cnv.outer_end],
        },
    )
    return Men1Result(
        engine_version=__version__, build=build, transcript=MANE, normal_sample=None,
        tumor_sample=None, men1_status=men1_status([verdict]), qualifies=variant.qualifying,
        warnings=tuple(warnings), known_variants_version=known.version, coverage=None,
        inputs=(), rules=rules, variants=(variant,),
    )


def _copy_number_names(build: str, cnv: CopyNumberName) -> dict[str, str]:
    """g. and MANE c. names keeping the uncertainty: a breakpoint known to lie between two
    positions is ``(a_b)``, an unknown outer bound ``?``."""
    edit = "del" if cnv.svtype == "DEL" else "dup"
    acc = locus.CHR11_ACCESSIONS[build]

    def g(inner: int, outer: int | None, low: bool) -> str:
        if outer == inner:
            return str(inner)
        o = "?" if outer is None else str(outer)
        return f"({o}_{inner})" if low else f"({inner}_{o})"

    def c(pos: int | None) -> str:
        return "?" if pos is None else locus.c_position_any(build, pos)

    # Minus strand: the 5' breakpoint (first in the c. name) is the high coordinate.
    five = (c(cnv.end) if cnv.outer_end == cnv.end
            else f"({c(cnv.outer_end)}_{c(cnv.end)})")
    three = (c(cnv.start) if cnv.outer_start == cnv.start
             else f"({c(cnv.start)}_{c(cnv.outer_start)})")
    return {"hgvs_g": f"{acc}:g.{g(cnv.start, cnv.outer_start, True)}_"
                      f"{g(cnv.end, cnv.outer_end, False)}{edit}",
            "hgvs_c": f"{MANE}:c.{five}_{three}{edit}"}
