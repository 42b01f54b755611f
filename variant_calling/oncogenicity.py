"""Somatic oncogenicity of MEN1 variants: the ClinGen/CGC/VICC SOP (Horak et al., Genet Med
2022;24:986), on the same points scale as germline pathogenicity (:mod:`variant_calling.scoring`).

It applies to variants of somatic origin and to tumour-only calls (origin undetermined); a
variant of germline origin (``germline``, ``germline_loh``, ``germline_mosaic``) has none.

==============  =========  ==============================================================
code            points     when
==============  =========  ==============================================================
OVS1[_Strong]   8 / 4      null variant in a bona fide tumour suppressor (MEN1 is one:
                           docs/men1-facts.md fact 4); strength by the MEN1 PVS1 table, as
                           the SOP defers to the PVS1 caveats for NMD escape and splicing
OS1             4          the same amino-acid change as an established oncogenic variant
                           (never on top of OVS1: the same loss of function)
OM2             2          in-frame indel or C-terminal extension in a tumour suppressor
OM4             2          missense at a residue where another missense is oncogenic
OP4             1          absent from the population resource, or AF <= MEN1's maximum
                           credible AF
SBS1            -4         filtering AF > MEN1's maximum credible AF
SBVS1           -8         filtering AF > 5 %
==============  =========  ==============================================================

SBVS1 and SBS1 use MEN1's germline cut-offs because the SOP asks, for genes that cause
hereditary cancer, for the germline specification's frequency thresholds (its table 3).

**The known-variant table and OS1.** The table holds germline assertions (ClinVar). For MEN1,
a variant asserted pathogenic or likely pathogenic for the MEN1 syndrome is treated as an
established oncogenic variant: the syndrome's tumours arise when that allele's loss of function
meets loss of the other allele, the same two hits as a sporadic MEN1-mutant tumour. So an exact
match, or a different nucleotide change giving the same amino-acid change, earns OS1, and a
known P/LP missense at the same residue earns OM4. Germline B/LB assertions do not count as
evidence against oncogenicity (the SOP's benign codes are population and functional data).

Hotspot, functional and computational codes (OS2, OS3, OM1, OM3, OP1-OP3, SBS2, SBP1, SBP2)
need data the engine does not ship; the pathologist weighs them at review.
"""

from __future__ import annotations

from typing import NamedTuple

from .known import KnownVariantTable
from .locus import Annotation
from .pathogenicity import (
    length_change,
    null_variant_strength,
    population_evidence,
    refseq_site_reason,
)
from .population import PopulationFrequency
from .rules import DEFAULT_RULES, Rules
from .scoring import ONCOGENICITY_TIERS, Criterion, tally

__all__ = ["ONCOGENICITY_TIERS", "SOMATIC_ORIGINS", "Oncogenicity", "classify"]

#: Origins whose variants are judged for oncogenicity.
SOMATIC_ORIGINS = ("somatic", "undetermined")
_ESTABLISHED = ("pathogenic", "likely_pathogenic")
NOT_ASSESSED = (
    "not assessed (no hotspot, functional or computational data in the engine): OS2, OS3, "
    "OM1, OM3, OP1-OP3, SBS2, SBP1, SBP2"
)


class Oncogenicity(NamedTuple):
    tier: str
    points: int
    evidence: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"tier": self.tier, "points": self.points, "evidence": list(self.evidence)}


def classify(
    build: str,
    pos: int,
    ref: str,
    alt: str,
    annotation: Annotation,
    known: KnownVariantTable,
    population: PopulationFrequency | None,
    rules: Rules = DEFAULT_RULES,
) -> Oncogenicity:
    """The oncogenicity of one variant found in a tumour."""
    criteria, notes = population_evidence(population, rules, ("SBVS1", "SBS1", "OP4"))
    if annotation.refseq_genome_mismatch:
        sbvs1 = Criterion("SBVS1", refseq_site_reason(annotation))
        return Oncogenicity("benign", sbvs1.points, (sbvs1.text(),))

    ovs1, ovs1_notes = null_variant_strength(annotation, "OVS1")
    notes += ovs1_notes
    if ovs1 is not None:
        criteria.append(ovs1)
    else:
        if length_change(annotation):
            criteria.append(Criterion(
                "OM2", f"protein length change {annotation.hgvs_p} in a tumour suppressor"))
        exact = known.lookup(build, pos, ref, alt)
        same_change = [v for v in known.same_protein_change(annotation)
                       if v.significance in _ESTABLISHED]
        if exact is not None and exact.significance in _ESTABLISHED:
            criteria.append(Criterion(
                "OS1", f"this variant is {exact.id} {exact.significance} for the MEN1 syndrome "
                       "(a germline P/LP MEN1 allele counts as established oncogenic)"))
        elif same_change:
            v = same_change[0]
            criteria.append(Criterion(
                "OS1", f"same amino-acid change as {v.id} {v.hgvs_c} ({v.significance}, "
                       "counted as established oncogenic)"))
        if annotation.consequence == "missense_variant":
            other = [v for v in known.same_residue(annotation) if v.significance in _ESTABLISHED]
            if other:
                v = other[0]
                criteria.append(Criterion(
                    "OM4", f"another missense at this residue, {v.id} {v.protein_change}, is "
                           f"{v.significance} (counted as oncogenic)"))

    tier, points = tally(criteria, ONCOGENICITY_TIERS)
    evidence = [c.text() for c in criteria] + notes
    evidence.append(f"points {points:+d} -> {tier}")
    evidence.append(NOT_ASSESSED)
    return Oncogenicity(tier, points, tuple(evidence))
