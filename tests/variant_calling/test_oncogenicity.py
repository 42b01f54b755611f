"""Somatic oncogenicity (variant_calling.oncogenicity) and the one qualifying rule
(variant_calling.qualify)."""

from __future__ import annotations

import pytest

from variant_calling import locus
from variant_calling.known import KnownVariantTable
from variant_calling.locus import MANE, annotate
from variant_calling.oncogenicity import Oncogenicity, classify
from variant_calling.population import PopulationFrequency
from variant_calling.qualify import Verdict, men1_status, qualifies

SHIPPED = KnownVariantTable.shipped()
EMPTY = KnownVariantTable((), "empty (test)")
ABSENT = PopulationFrequency(0.0, "test", absent=True)


def run(c_name: str, pop: PopulationFrequency | None = ABSENT,
        known: KnownVariantTable = EMPTY) -> Oncogenicity:
    v = locus.to_genomic("GRCh38", f"{MANE}:{c_name}")
    assert v is not None
    pos, ref, alt = v
    return classify("GRCh38", pos, ref, alt, annotate("GRCh38", pos, ref, alt), known, pop)


def codes(o: Oncogenicity) -> set[str]:
    return {e.split(" ", 1)[0].split(":", 1)[0] for e in o.evidence
            if not e.startswith(("points ", "not assessed"))}


def test_novel_null_variant_in_a_tumour_suppressor_is_likely_oncogenic() -> None:
    o = run("c.593G>A")  # p.(Trp198*), NMD
    assert codes(o) == {"OVS1", "OP4"}
    assert (o.tier, o.points) == ("likely_oncogenic", 9)
    no_pop = run("c.593G>A", None)
    assert codes(no_pop) == {"OVS1", "OP4_not_assessed"}
    assert (no_pop.tier, no_pop.points) == ("likely_oncogenic", 8)


def test_ovs1_strength_follows_the_men1_pvs1_table() -> None:
    nls = run("c.1588G>T")  # p.(Glu530*): the ESCAPE_NLS row, upgraded to very strong
    assert codes(nls) == {"OVS1", "OP4"}
    assert (nls.tier, nls.points) == ("likely_oncogenic", 9)
    frameshift = run("c.1324C>T")  # p.(Gln442*) escapes NMD, upstream of Arg527
    assert codes(frameshift) == {"OVS1", "OP4"}


def test_known_germline_pathogenic_missense_counts_for_os1() -> None:
    exact = run("c.1306T>A", known=SHIPPED)  # p.(Trp436Arg), pathogenic in ClinVar
    assert codes(exact) == {"OS1", "OP4"}
    assert any("counts as established oncogenic" in e for e in exact.evidence)
    same_aa = run("c.1306T>C", known=SHIPPED)  # the same Arg by another base
    assert codes(same_aa) == {"OS1", "OP4"}
    other_aa = run("c.1307G>C", known=SHIPPED)  # p.(Trp436Ser): another change there
    assert codes(other_aa) == {"OM4", "OP4"}
    assert (other_aa.tier, other_aa.points) == ("uncertain_significance", 3)


def test_no_os1_on_top_of_ovs1() -> None:
    o = run("c.594G>A", known=SHIPPED)  # same stop as the known c.593G>A
    assert codes(o) == {"OVS1", "OP4"}


def test_inframe_indel_and_extension_are_om2() -> None:
    assert codes(run("c.1087_1089del")) == {"OM2", "OP4"}
    assert codes(run("c.1831T>C")) == {"OM2", "OP4"}


def test_population_frequency_uses_men1_germline_cutoffs() -> None:
    common = run("c.593G>A", PopulationFrequency(0.08, "test"))
    assert codes(common) == {"OVS1", "SBVS1"}
    assert (common.tier, common.points) == ("uncertain_significance", 0)
    too_common = run("c.1306T>G", PopulationFrequency(0.001, "test"))
    assert codes(too_common) == {"SBS1"}
    assert (too_common.tier, too_common.points) == ("likely_benign", -4)


def test_refseq_genome_sites_are_benign() -> None:
    pos = locus.REFSEQ_GENOME_MISMATCH_SITES["GRCh38"][0]
    base = locus.reference.sequence("GRCh38", pos, pos)
    alt = {"T": "C", "A": "G"}[base]
    o = classify("GRCh38", pos, base, alt, annotate("GRCh38", pos, base, alt), SHIPPED, None)
    assert (o.tier, o.points) == ("benign", -8)


# ---------------------------------------------------------------------------------------------
# The qualifying rule


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        (Verdict("germline", "pathogenic", None, True, True), True),
        (Verdict("germline", "likely_pathogenic", None, True, False), True),
        (Verdict("germline_loh", "likely_pathogenic", None, True, True), True),
        (Verdict("germline", "uncertain_significance", None, True, True), False),
        (Verdict("germline", "pathogenic", None, False, True), False),  # quality
        (Verdict("germline_mosaic", "pathogenic", None, True, True), False),  # for review
        (Verdict("somatic", "uncertain_significance", "likely_oncogenic", True, True), True),
        (Verdict("somatic", "uncertain_significance", "oncogenic", True, True), True),
        (Verdict("somatic", "pathogenic", "uncertain_significance", True, True), True),
        (Verdict("somatic", "uncertain_significance", "uncertain_significance", True, True),
         False),
        (Verdict("somatic", "pathogenic", "likely_oncogenic", True, False), False),  # not in T
        (Verdict("somatic", "pathogenic", "likely_oncogenic", False, True), False),
        (Verdict("undetermined", "uncertain_significance", "likely_oncogenic", True, True),
         True),
        (Verdict("undetermined", "likely_pathogenic", None, True, True), True),
    ],
)
def test_qualifies(verdict: Verdict, expected: bool) -> None:
    assert qualifies(verdict) is expected


G = Verdict("germline", "pathogenic", None, True, True)
S = Verdict("somatic", "uncertain_significance", "likely_oncogenic", True, True)
U = Verdict("undetermined", "likely_pathogenic", None, True, True)
MOSAIC = Verdict("germline_mosaic", "pathogenic", None, True, True)
VUS = Verdict("germline", "uncertain_significance", None, True, True)
SOMATIC_VUS = Verdict("somatic", "likely_benign", "uncertain_significance", True, True)
BENIGN = Verdict("germline", "benign", None, True, True)


@pytest.mark.parametrize(
    ("verdicts", "covered", "status"),
    [
        ([G, BENIGN], True, "germline"),
        ([S], True, "somatic"),
        ([G, S], True, "germline_and_somatic"),
        ([U], True, "undetermined_origin"),
        ([MOSAIC], True, "undetermined_origin"),
        ([VUS, BENIGN], True, "vus_only"),
        ([SOMATIC_VUS], True, "vus_only"),
        ([BENIGN], True, "none_detected"),
        ([], True, "none_detected"),
        ([], False, "not_covered"),
        ([VUS], False, "not_covered"),
        ([G], False, "germline"),
    ],
)
def test_men1_status(verdicts: list[Verdict], covered: bool, status: str) -> None:
    assert men1_status(verdicts, covered=covered) == status
