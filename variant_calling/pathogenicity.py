"""Germline pathogenicity of MEN1 variants: ACMG/AMP criteria on the ClinGen SVI points scale.

Points and tiers: :mod:`variant_calling.scoring` (Tavtigian et al. 2018, 2020). MEN1 is a
tumour suppressor whose disease mechanism is loss of function (docs/men1-facts.md fact 4), so
null variants carry PVS1 at the strength the MEN1 PVS1 table gives (:mod:`variant_calling.pvs1`).
The criteria this engine can judge from a VCF, and their default strengths:

==============  =========  ==============================================================
code            points     when
==============  =========  ==============================================================
PVS1[_Strong]   8 / 4      null variant, strength by the MEN1 PVS1 table
PS1             4          missense with the same amino-acid change as a known P/LP
                           variant (never on top of PVS1: the same loss of function)
PM4             2          in-frame indel or C-terminal extension (never with PVS1)
PM5             2          missense at a residue where another missense is known P/LP
PM2_Supporting  1          absent from the population resource, or AF <= the MEN1
                           maximum credible AF (ClinGen SVI 2020: PM2 at supporting)
BS1             -4         filtering AF > the MEN1 maximum credible AF (Whiffin 2017)
BA1             stand-alone  filtering AF > 5 %
==============  =========  ==============================================================

Case-level, segregation, de novo, functional and computational criteria (PS2-PS4, PM1, PM3,
PM6, PP1-PP4, BS2-BS4, BP1-BP7) need evidence a VCF does not hold: the pathologist weighs them
and overrides the tier, with a reason, at review.

The known-variant table is the laboratory's prior knowledge, not an evidence code (ClinGen SVI
retired PP5/BP6): an exact match is cited, a P/LP assertion raises the tier to at least its own
(``points`` still reports the criteria alone), a B/LB assertion sets the tier unless the
criteria reach P/LP, which is a conflict reported as uncertain significance. The two
RefSeq-vs-genome sites (docs/men1-facts.md fact 1) are common polymorphisms: BA1.
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import Men1Error
from .known import TIERS, KnownVariant, KnownVariantTable
from .locus import Annotation
from .population import PopulationFrequency, frequency_criteria
from .pvs1 import assess as assess_pvs1
from .rules import DEFAULT_RULES, Rules
from .scoring import ACMG_TIERS, Criterion, tally

__all__ = [
    "TIERS",
    "Classification",
    "ClassificationError",
    "classify",
    "null_variant_strength",
]

_PATHOGENIC_TIERS = ("pathogenic", "likely_pathogenic")
_BENIGN_TIERS = ("likely_benign", "benign")
_SUFFIX = {"very_strong": "", "strong": "_Strong", "moderate": "_Moderate"}
NOT_ASSESSED = (
    "not assessed from a VCF (the pathologist weighs them at review): PS2-PS4, PM1, PM3, PM6, "
    "PP1-PP4, BS2-BS4, BP1-BP7"
)


class ClassificationError(Men1Error):
    """Inputs to classification are out of range (e.g. an allele frequency above 1)."""


class Classification(NamedTuple):
    """A variant's tier, the sum of its criteria's points, and the evidence trail."""

    tier: str
    points: int
    evidence: tuple[str, ...]


def null_variant_strength(
    annotation: Annotation, code: str
) -> tuple[Criterion | None, list[str]]:
    """``code`` (PVS1 or OVS1) at the MEN1 table's strength for this variant, and notes."""
    row, note = assess_pvs1(annotation)
    notes = [note.replace("PVS1", code, 1)] if note else []
    if row is None:
        return None, notes
    if row.strength is None:
        notes.append(f"{code}_not_applicable: {row.where} [MEN1 PVS1 table {row.id}: {row.basis}]")
        return None, notes
    return Criterion(
        f"{code}{_SUFFIX[row.strength]}",
        f"{row.where} [MEN1 PVS1 table {row.id}; tree: {row.tree}; {row.basis}]",
    ), notes


def population_evidence(
    population: PopulationFrequency | None, rules: Rules, codes: tuple[str, str, str]
) -> tuple[list[Criterion], list[str]]:
    """The frequency criteria of either scale: ``codes`` are its (very common, too common,
    rare) codes, e.g. ("BA1", "BS1", "PM2_Supporting") or ("SBVS1", "SBS1", "OP4")."""
    check_population(population)
    very_common, too_common, rare = codes
    return frequency_criteria(
        population, very_common=very_common, too_common=too_common, rare=rare,
        ba1_af=rules.ba1_af, max_credible_af=rules.max_credible_af,
        rare_max_af=rules.pm2_max_af,
    )


def length_change(annotation: Annotation) -> bool:
    """An in-frame indel, or a C-terminal extension (stop lost): PM4 / OM2."""
    lengthened = annotation.hgvs_p is not None and "ext" in annotation.hgvs_p
    return lengthened or annotation.consequence in ("inframe_deletion", "inframe_insertion")


def refseq_site_reason(annotation: Annotation) -> str:
    return (f"{annotation.hgvs_c}: a site where the genome and RefSeq disagree; both alleles "
            "are common in every population (docs/men1-facts.md fact 1)")


def _cite(v: KnownVariant) -> str:
    return f"{v.id} {v.hgvs_c} {v.significance}"


def check_population(pop: PopulationFrequency | None) -> None:
    if pop is None:
        return
    for name, value in (("allele frequency", pop.af), ("filtering allele frequency", pop.faf95)):
        if value is not None and not 0.0 <= value <= 1.0:
            raise ClassificationError(f"population {name} {value} is not in [0, 1]")


def classify(
    build: str,
    pos: int,
    ref: str,
    alt: str,
    annotation: Annotation,
    known: KnownVariantTable,
    population: PopulationFrequency | None,
    rules: Rules = DEFAULT_RULES,
) -> Classification:
    """Classify one variant; ``annotation`` is :func:`variant_calling.locus.annotate`'s result,
    ``population`` what the input says of its population frequency (None: nothing)."""
    criteria, notes = population_evidence(population, rules, ("BA1", "BS1", "PM2_Supporting"))
    if annotation.refseq_genome_mismatch:
        ba1 = Criterion("BA1", refseq_site_reason(annotation))
        return Classification("benign", 0, (ba1.text(),))

    pvs1, pvs1_notes = null_variant_strength(annotation, "PVS1")
    notes += pvs1_notes
    if pvs1 is not None:
        criteria.append(pvs1)
    else:
        if length_change(annotation):
            criteria.append(Criterion("PM4", f"protein length change {annotation.hgvs_p}"))
        if annotation.consequence == "missense_variant":
            ps1 = [v for v in known.same_protein_change(annotation)
                   if v.significance in _PATHOGENIC_TIERS]
            if ps1:
                criteria.append(Criterion("PS1", f"same amino-acid change as {_cite(ps1[0])}"))
            pm5 = [v for v in known.same_residue(annotation)
                   if v.significance in _PATHOGENIC_TIERS]
            if pm5:
                criteria.append(Criterion("PM5", f"another missense at this residue is "
                                                 f"{_cite(pm5[0])}"))

    rules_tier, points = tally(criteria, ACMG_TIERS)
    evidence = [c.text() for c in criteria] + notes
    evidence.append(f"points {points:+d} -> {rules_tier}" if not any(
        c.code == "BA1" for c in criteria) else "BA1 stand-alone -> benign")
    tier = rules_tier
    match = known.lookup(build, pos, ref, alt)
    if match is not None:
        evidence.append(f"known:{match.id} {match.significance} ({match.review})")
        if any(c.code == "BA1" for c in criteria):
            pass  # stand-alone benign outranks any assertion
        elif match.significance in _PATHOGENIC_TIERS:
            if TIERS.index(match.significance) < TIERS.index(tier):
                tier = match.significance
                evidence.append(f"tier {tier} from the known-variant table assertion")
        elif match.significance in _BENIGN_TIERS:
            if rules_tier in _PATHOGENIC_TIERS:
                tier = "uncertain_significance"
                evidence.append(
                    f"conflict: the criteria give {rules_tier} but the known-variant table "
                    f"says {match.significance}; uncertain significance until reviewed"
                )
            else:
                tier = match.significance
                evidence.append(f"tier {tier} from the known-variant table assertion")
    evidence.append(NOT_ASSESSED)
    return Classification(tier, points, tuple(evidence))
