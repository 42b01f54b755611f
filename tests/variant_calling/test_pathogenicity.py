"""ACMG-style classification (variant_calling.pathogenicity)."""

from __future__ import annotations

import pytest

from variant_calling import locus
from variant_calling.known import KnownVariantTable
from variant_calling.locus import MANE, annotate
from variant_calling.pathogenicity import Classification, ClassificationError, classify
from variant_calling.population import MEN1_MAX_CREDIBLE_AF, PopulationFrequency

SHIPPED = KnownVariantTable.shipped()
EMPTY = KnownVariantTable((), "empty (test)")


def vcf(c_name: str, build: str = "GRCh38") -> tuple[int, str, str]:
    v = locus.to_genomic(build, f"{MANE}:{c_name}")
    assert v is not None
    return v


def pop(af: float | None, faf: float | None = None) -> PopulationFrequency | None:
    if af is None:
        return None
    return PopulationFrequency(af, "test", absent=af == 0.0, faf95=faf)


def run(
    c_name: str, af: float | None, known: KnownVariantTable = SHIPPED, build: str = "GRCh38",
    faf: float | None = None,
) -> Classification:
    pos, ref, alt = vcf(c_name, build)
    return classify(build, pos, ref, alt, annotate(build, pos, ref, alt), known, pop(af, faf))


def rules(c: Classification) -> set[str]:
    """The evidence codes applied and the notes, by their code (``PVS1``, ``PM2_not_assessed``)."""
    return {e.split(" ", 1)[0].split(":", 1)[0] for e in c.evidence
            if not e.startswith(("points ", "not assessed", "known:", "tier ", "BA1 stand"))}


# ---------------------------------------------------------------------------------------------
# Single rules through classify()


def test_nonsense_subject_to_nmd_is_pvs1() -> None:
    novel = run("c.593G>A", 0.0, EMPTY)  # p.(Trp198*), exon 3
    assert rules(novel) == {"PVS1", "PM2_Supporting"}
    assert (novel.tier, novel.points) == ("likely_pathogenic", 9)
    no_freq = run("c.593G>A", None, EMPTY)
    assert rules(no_freq) == {"PVS1", "PM2_not_assessed"}  # PM2 is not assumed...
    assert (no_freq.tier, no_freq.points) == ("likely_pathogenic", 8)  # ...PVS1 alone is LP


def test_nonsense_escaping_nmd_upstream_of_arg527_is_very_strong() -> None:
    c = run("c.1378C>T", 0.0, EMPTY)  # p.(Arg460*), last exon: the MEN1 table's upgrade
    assert rules(c) == {"PVS1", "PM2_Supporting"}
    assert any("ESCAPE_TO_527" in e for e in c.evidence)
    assert c.tier == "likely_pathogenic"


def test_novel_nonsense_in_the_nls_region_is_likely_pathogenic() -> None:
    # p.(Glu530*): past Arg527, before the end of NLS2. The tree alone gives Strong (4 + 1 =
    # VUS), which no pathologist would sign for a novel nonsense variant in MEN1; the table's
    # ESCAPE_NLS row upgrades it on the NLSs' functional evidence.
    c = run("c.1588G>T", 0.0, EMPTY)
    assert rules(c) == {"PVS1", "PM2_Supporting"}
    assert any("ESCAPE_NLS" in e for e in c.evidence)
    assert (c.tier, c.points) == ("likely_pathogenic", 9)


def test_frameshift_altering_only_the_last_two_residues_is_not_pvs1() -> None:
    c = run("c.1826del", 0.0, EMPTY)  # p.(Gly609Alafs*19): C-terminal of NLS2
    assert not rules(c) & {"PVS1", "PVS1_Strong", "PVS1_Moderate"}
    assert any("ESCAPE_TAIL" in e for e in c.evidence)


def test_same_amino_acid_change_as_a_known_pathogenic_missense_is_ps1() -> None:
    # c.1306T>A p.(Trp436Arg) is pathogenic; c.1306T>C makes the same Arg (TGG -> CGG).
    c = run("c.1306T>C", 0.0)
    assert "PS1" in rules(c)
    assert any(e.startswith("PS1 (+4): same amino-acid change as ClinVar:VCV000016686")
               for e in c.evidence)
    # PM5 is for a different change at the residue, so not here: PS1 + PM2_Supporting.
    assert rules(c) == {"PS1", "PM2_Supporting"}
    assert (c.tier, c.points) == ("uncertain_significance", 5)


def test_no_ps1_on_top_of_pvs1_for_the_same_loss_of_function() -> None:
    # c.593G>A p.(Trp198*) is in ClinVar as pathogenic; c.594G>A (TGG -> TGA) is the same stop.
    c = run("c.594G>A", 0.0, SHIPPED)
    assert rules(c) == {"PVS1", "PM2_Supporting"}
    assert c.points == 9


def test_other_missense_at_a_known_pathogenic_residue_is_pm5() -> None:
    c = run("c.1307G>C", 0.0)  # p.(Trp436Ser); p.(Trp436Arg) is pathogenic
    assert any(e.startswith("PM5 (+2): another missense at this residue is "
                            "ClinVar:VCV000016686") for e in c.evidence)
    assert (c.tier, c.points) == ("uncertain_significance", 3)  # PM5 + PM2_Supporting


def test_canonical_splice_sites_are_pvs1_except_the_non_coding_first_exon_donor() -> None:
    assert run("c.445+1G>A", 0.0, EMPTY).tier == "likely_pathogenic"
    assert run("c.446-2A>G", 0.0, EMPTY).tier == "likely_pathogenic"
    exon1_donor = locus.genomic_position("GRCh38", "-24+1")
    ref = locus.reference.sequence("GRCh38", exon1_donor, exon1_donor)
    alt = "A" if ref != "A" else "G"
    ann = annotate("GRCh38", exon1_donor, ref, alt)
    assert ann.consequence == "splice_donor_variant" and ann.intron == 1
    c = classify("GRCh38", exon1_donor, ref, alt, ann, EMPTY, pop(0.0))
    assert "PVS1" not in rules(c) and "PVS1_not_applicable" in rules(c)
    assert c.tier == "uncertain_significance"


def test_start_loss_is_pvs1_by_the_men1_upgrade() -> None:
    c = run("c.2T>C", 0.0, EMPTY)
    assert rules(c) == {"PVS1", "PM2_Supporting"}
    assert any("START" in e for e in c.evidence)


def test_inframe_deletion_is_pm4() -> None:
    c = run("c.1087_1089del", 0.0, EMPTY)
    assert rules(c) == {"PM4", "PM2_Supporting"}
    assert (c.tier, c.points) == ("uncertain_significance", 3)


def test_stop_loss_is_pm4_not_pvs1() -> None:
    assert rules(run("c.1831T>C", 0.0, EMPTY)) == {"PM4", "PM2_Supporting"}
    # A one-base deletion in the stop codon that reads on into the 3' UTR: an extension.
    shifted = run("c.1831del", 0.0, EMPTY)
    ann = annotate("GRCh38", *vcf("c.1831del"))
    assert ann.consequence == "frameshift_variant" and "ext" in (ann.hgvs_p or "")
    assert not rules(shifted) & {"PVS1", "PVS1_Strong", "PVS1_Moderate"}
    assert {"PM4", "PVS1_not_applicable"} <= rules(shifted)


def test_frequency_rules() -> None:
    missense = "c.1306T>G"  # p.(Trp436Gly), not in the table
    ba1 = run(missense, 0.2, EMPTY)
    assert (ba1.tier, ba1.points, rules(ba1)) == ("benign", 0, {"BA1"})
    bs1 = run(missense, 0.01, EMPTY)
    assert (bs1.tier, bs1.points, rules(bs1)) == ("likely_benign", -4, {"BS1"})
    # Above the PM2 threshold, and a filtering AF at or below MEN1's maximum credible AF:
    # neither PM2 nor BS1.
    between = run(missense, 5e-6, EMPTY, faf=2e-6)
    assert rules(between) == {"PM2_Supporting_not_met"} and between.points == 0
    # A filtering AF above the maximum credible AF is BS1 even when the point AF is low.
    assert "BS1" in rules(run(missense, 5e-6, EMPTY, faf=4e-6))
    rare = run(missense, MEN1_MAX_CREDIBLE_AF, EMPTY)
    assert rules(rare) == {"PM2_Supporting"}
    assert run(missense, None, EMPTY).tier == "uncertain_significance"
    # BA1 is stand-alone, even for a null variant; BS1 only weighs against it.
    assert run("c.593G>A", 0.3, EMPTY).tier == "benign"
    bs1_null = run("c.593G>A", 0.002, EMPTY)
    assert (bs1_null.tier, bs1_null.points) == ("uncertain_significance", 4)
    with pytest.raises(ClassificationError):
        run(missense, 1.5, EMPTY)


# ---------------------------------------------------------------------------------------------
# Known variants and the RefSeq sites


def test_known_pathogenic_assertion_is_used_and_cited() -> None:
    c = run("c.1579C>T", None)  # p.(Arg527*), known pathogenic
    assert c.tier == "pathogenic" and c.points == 8
    assert any(e.startswith("known:ClinVar:VCV000016688 pathogenic") for e in c.evidence)
    assert any(e == "tier pathogenic from the known-variant table assertion" for e in c.evidence)
    lp = run("c.65T>G", 0.0)  # p.(Leu22Arg), Pathogenic/Likely_pathogenic in ClinVar
    assert lp.tier == "likely_pathogenic"


def test_known_likely_pathogenic_never_lowers_a_stronger_rule_result() -> None:
    p = SHIPPED.lookup("GRCh38", *vcf("c.593G>A"))
    assert p is not None and p.significance == "pathogenic"
    lp = p._replace(id="test:LP", significance="likely_pathogenic")
    c = run("c.593G>A", 0.0, KnownVariantTable((lp,), "test"))
    assert c.tier == "likely_pathogenic"  # PVS1 + PM2_Supporting = 9, and LP asserted
    strong = run("c.593G>A", 0.0, KnownVariantTable(
        (lp._replace(hgvs_c=f"{MANE}:c.593G>A"),), "test"))
    assert strong.tier == "likely_pathogenic"


def test_known_benign_assertion_sets_the_tier_unless_the_criteria_say_pathogenic() -> None:
    assert run("c.-20G>A", None).tier == "likely_benign"  # Benign/Likely_benign
    assert run("c.249G>A", 0.0).tier == "likely_benign"
    # A table that calls a null variant benign contradicts PVS1: uncertain, for review.
    p = SHIPPED.lookup("GRCh38", *vcf("c.593G>A"))
    assert p is not None
    wrong = KnownVariantTable((p._replace(significance="benign"),), "test")
    c = run("c.593G>A", 0.0, wrong)
    assert c.tier == "uncertain_significance"
    assert any(e.startswith("conflict: the criteria give likely_pathogenic") for e in c.evidence)


@pytest.mark.parametrize("build", ["GRCh38", "GRCh37"])
@pytest.mark.parametrize("site", [0, 1])
@pytest.mark.parametrize("allele", ["refseq", "genome"])
def test_refseq_genome_mismatch_sites_are_always_benign(build: str, site: int, allele: str) -> None:
    pos = locus.REFSEQ_GENOME_MISMATCH_SITES[build][site]
    genome_base = locus.reference.sequence(build, pos, pos)
    refseq_base = {"T": "C", "A": "G"}[genome_base]
    alt = refseq_base if allele == "refseq" else genome_base
    ann = annotate(build, pos, genome_base, alt)
    for af in (None, 0.0, 0.6):
        c = classify(build, pos, genome_base, alt, ann, SHIPPED, pop(af))
        assert c.tier == "benign"
        assert c.evidence[0].startswith("BA1 (stand-alone): ")
