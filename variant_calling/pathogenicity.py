"""ACMG/AMP 2015 classification of MEN1 variants, with the ClinGen SVI refinements.

MEN1 is a tumour suppressor whose disease mechanism is loss of function (README facts #4), so
null variants carry PVS1. The rules applied, and their strengths:

=================  ============  =======================================================
code               strength      when
=================  ============  =======================================================
PVS1               very strong   nonsense/frameshift subject to NMD, canonical +/-1,2
                                 splice site, start loss
PVS1_Strong        strong        nonsense/frameshift escaping NMD (last exon, or the last
                                 50 nt of the penultimate exon) removing >= 10 % of menin
PVS1_Moderate      moderate      the same, removing < 10 % of menin
PS1                strong        same amino-acid change as a known P/LP variant
PM4                moderate      in-frame indel or stop loss (protein length change)
PM5                moderate      another missense at a residue with a known P/LP missense
PM2_Supporting     supporting    population AF == 0 (ClinGen SVI: PM2 at supporting)
BA1                stand-alone   population AF > 5 %
BS1                strong        population AF > 0.1 %
=================  ============  =======================================================

``population_af is None`` means the file carried no frequency: PM2 is then *not* applied and
``PM2_not_assessed`` is recorded, because absence of evidence is not evidence of absence.

Start loss gets full PVS1 as the project's rules require; ClinGen SVI (Abou Tayoun 2018) would
usually downgrade initiation-codon variants to PVS1_Moderate. The canonical donor of the
non-coding exon 1 (intron 1, "+" side) gets no PVS1: an alternative first exon (NM_130799.2's)
exists and the CDS is untouched.

Exact matches in the known-variant table are cited (``known:<id> <tier>``) and their assertion
is used: a known P/LP variant is at least that tier, a known B/LB variant is that tier. The two
RefSeq-vs-genome sites (README facts #1) are benign whatever else is said, and BA1 is
stand-alone benign.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from .errors import Men1Error
from .known import TIERS, KnownVariant, KnownVariantTable
from .locus import Annotation

__all__ = [
    "STRENGTH",
    "THRESHOLDS",
    "TIERS",
    "Classification",
    "ClassificationError",
    "classify",
    "combine",
]

THRESHOLDS: dict[str, float] = {
    # BA1: ClinGen SVI's general stand-alone benign allele frequency.
    "BA1": 0.05,
    # BS1: "greater than expected for the disorder". MEN1 prevalence is ~1/30,000, i.e. a
    # pathogenic-allele frequency of ~1.7e-5 in total; even a single allele explaining all of it
    # could not reach 1e-4. 0.001 (ten times that) leaves room for reduced penetrance and
    # population-specific founder alleles while still catching common polymorphisms.
    "BS1": 0.001,
    # PM2: an allele frequency at or below this counts as absent from controls.
    "PM2": 0.0,
    # PVS1 for NMD-escaping truncation: Strong when at least this fraction of menin is lost.
    "PVS1_STRONG_MIN_FRACTION": 0.10,
}
"""Named thresholds (allele frequencies are fractions, not percentages)."""

MENIN_LENGTH = 610

STRENGTH: dict[str, str] = {
    "PVS1": "very_strong",
    "PVS1_Strong": "strong",
    "PVS1_Moderate": "moderate",
    "PS1": "strong",
    "PM4": "moderate",
    "PM5": "moderate",
    "PM2_Supporting": "supporting",
    "BA1": "stand_alone",
    "BS1": "strong",
}
"""ACMG strength of every rule code this module emits (codes after ':' are citations)."""

_BENIGN_CODES = {"BA1", "BS1"}
_PATHOGENIC_TIERS = ("pathogenic", "likely_pathogenic")
_BENIGN_TIERS = ("likely_benign", "benign")


class ClassificationError(Men1Error):
    """Inputs to classification are out of range (e.g. an allele frequency above 1)."""


class Classification(NamedTuple):
    tier: str
    evidence: tuple[str, ...]


def _rule(code: str) -> str:
    return code.split(":", 1)[0]


def combine(codes: Iterable[str]) -> str:
    """The ACMG/AMP 2015 tier (Richards et al. table 5) for a set of rule codes.

    Codes not in :data:`STRENGTH` (notes such as ``PM2_not_assessed``) are ignored. Adds the
    ClinGen SVI rule that PVS1 with PM2_Supporting is likely pathogenic. Pathogenic and benign
    criteria that both reach a tier contradict each other: uncertain_significance.
    """
    rules = [_rule(c) for c in codes if _rule(c) in STRENGTH]
    path = Counter(STRENGTH[r] for r in rules if r not in _BENIGN_CODES)
    ben = Counter(STRENGTH[r] for r in rules if r in _BENIGN_CODES)
    vs, s, m, p = (path[k] for k in ("very_strong", "strong", "moderate", "supporting"))
    pathogenic = (
        (vs >= 1 and (s >= 1 or m >= 2 or (m == 1 and p == 1) or p >= 2))
        or s >= 2
        or (s == 1 and (m >= 3 or (m == 2 and p >= 2) or (m == 1 and p >= 4)))
    )
    likely_pathogenic = (
        (vs >= 1 and m >= 1)
        or (vs >= 1 and p >= 1)  # ClinGen SVI (2020): PVS1 + PM2_Supporting
        or (s == 1 and m >= 1)
        or (s == 1 and p >= 2)
        or m >= 3
        or (m == 2 and p >= 2)
        or (m == 1 and p >= 4)
    )
    benign = ben["stand_alone"] >= 1 or ben["strong"] >= 2
    likely_benign = (ben["strong"] == 1 and ben["supporting"] >= 1) or ben["supporting"] >= 2
    path_tier = "pathogenic" if pathogenic else "likely_pathogenic" if likely_pathogenic else None
    benign_tier = "benign" if benign else "likely_benign" if likely_benign else None
    if path_tier and benign_tier:
        return "uncertain_significance"
    return path_tier or benign_tier or "uncertain_significance"


def _pvs1(annotation: Annotation) -> tuple[str | None, str | None]:
    """(PVS1 code or None, a note when PVS1 was considered but not applied)."""
    csq = annotation.consequence
    if csq in ("stop_gained", "frameshift_variant"):
        if annotation.hgvs_p is None or annotation.protein_position is None:
            return None, "PVS1_not_applicable:no protein change"
        if "ext" in annotation.hgvs_p:
            # A frameshift through the stop codon lengthens menin: not a null allele (PM4).
            return None, "PVS1_not_applicable:C-terminal extension"
        if not annotation.nmd_escape:
            return "PVS1", None
        lost = (MENIN_LENGTH - annotation.protein_position + 1) / MENIN_LENGTH
        if lost >= THRESHOLDS["PVS1_STRONG_MIN_FRACTION"]:
            return "PVS1_Strong", None
        return "PVS1_Moderate", None
    if csq in ("splice_donor_variant", "splice_acceptor_variant"):
        if annotation.intron == 1 and csq == "splice_donor_variant":
            return None, "PVS1_not_applicable:donor of non-coding exon 1"
        return "PVS1", None
    if csq == "start_lost":
        return "PVS1", None
    return None, None


def _cite(v: KnownVariant) -> str:
    return f"{v.id} {v.hgvs_c} {v.significance}"


def classify(
    build: str,
    pos: int,
    ref: str,
    alt: str,
    annotation: Annotation,
    known: KnownVariantTable,
    population_af: float | None,
) -> Classification:
    """Classify one variant; ``annotation`` is :func:`variant_calling.locus.annotate`'s result.

    ``population_af`` is the population allele frequency from the input (a fraction), or None
    when the input carries none.
    """
    if population_af is not None and not 0.0 <= population_af <= 1.0:
        raise ClassificationError(f"population allele frequency {population_af} is not in [0, 1]")
    if annotation.refseq_genome_mismatch:
        return Classification(
            "benign",
            (
                "refseq_genome_mismatch_site",
                f"{annotation.hgvs_c}: the genome and RefSeq disagree here; common polymorphism",
            ),
        )
    evidence: list[str] = []
    if population_af is None:
        evidence.append("PM2_not_assessed")
    elif population_af > THRESHOLDS["BA1"]:
        evidence.append("BA1")
    elif population_af > THRESHOLDS["BS1"]:
        evidence.append("BS1")
    elif population_af <= THRESHOLDS["PM2"]:
        evidence.append("PM2_Supporting")

    pvs1, note = _pvs1(annotation)
    if pvs1:
        evidence.append(pvs1)
    if note:
        evidence.append(note)
    lengthened = annotation.hgvs_p is not None and "ext" in annotation.hgvs_p
    if lengthened or annotation.consequence in ("inframe_deletion", "inframe_insertion"):
        evidence.append("PM4")

    ps1 = [v for v in known.same_protein_change(annotation) if v.significance in _PATHOGENIC_TIERS]
    if ps1:
        evidence.append(f"PS1:{_cite(ps1[0])}")
    pm5 = [v for v in known.same_residue(annotation) if v.significance in _PATHOGENIC_TIERS]
    if pm5:
        evidence.append(f"PM5:{_cite(pm5[0])}")

    tier = combine(evidence)
    match = known.lookup(build, pos, ref, alt)
    if match is not None:
        evidence.append(f"known:{match.id} {match.significance} ({match.review})")
        if "BA1" in evidence:
            pass  # stand-alone benign outranks any assertion
        elif match.significance in _PATHOGENIC_TIERS:
            if TIERS.index(match.significance) < TIERS.index(tier):
                tier = match.significance
        elif match.significance in _BENIGN_TIERS:
            tier = match.significance
    return Classification(tier, tuple(evidence))
