"""ACMG-style classification (variant_calling.pathogenicity)."""

from __future__ import annotations

from importlib import resources

import pytest
from Bio.Seq import Seq

from variant_calling import locus
from variant_calling.known import KnownVariantTable
from variant_calling.locus import MANE, annotate
from variant_calling.pathogenicity import (
    STRENGTH,
    THRESHOLDS,
    TIERS,
    Classification,
    ClassificationError,
    classify,
    combine,
)

SHIPPED = KnownVariantTable.shipped()
EMPTY = KnownVariantTable((), "empty (test)")


def vcf(c_name: str, build: str = "GRCh38") -> tuple[int, str, str]:
    v = locus.to_genomic(build, f"{MANE}:{c_name}")
    assert v is not None
    return v


def run(
    c_name: str, af: float | None, known: KnownVariantTable = SHIPPED, build: str = "GRCh38"
) -> Classification:
    pos, ref, alt = vcf(c_name, build)
    return classify(build, pos, ref, alt, annotate(build, pos, ref, alt), known, af)


def rules(c: Classification) -> set[str]:
    return {e.split(":", 1)[0] for e in c.evidence}


# ---------------------------------------------------------------------------------------------
# The combining table (Richards et al. 2015, table 5, with ClinGen SVI's PVS1 + PM2_P)


@pytest.mark.parametrize(
    ("codes", "tier"),
    [
        ((), "uncertain_significance"),
        (("PM2_not_assessed",), "uncertain_significance"),
        (("PVS1",), "uncertain_significance"),
        (("PVS1", "PM2_Supporting"), "likely_pathogenic"),  # SVI
        (("PVS1", "PS1"), "pathogenic"),
        (("PVS1", "PM5"), "likely_pathogenic"),
        (("PVS1", "PM5", "PM2_Supporting"), "pathogenic"),
        (("PVS1", "PM4", "PM5"), "pathogenic"),
        (("PVS1_Strong", "PS1"), "pathogenic"),  # two strong
        (("PVS1_Strong", "PM2_Supporting"), "uncertain_significance"),
        (("PVS1_Strong", "PM5"), "likely_pathogenic"),
        (("PS1", "PM4", "PM5", "PM2_Supporting"), "likely_pathogenic"),
        (("PVS1_Moderate", "PM4", "PM5"), "likely_pathogenic"),  # three moderate
        (("PM5", "PM2_Supporting"), "uncertain_significance"),
        (("BA1",), "benign"),
        (("BS1",), "uncertain_significance"),
        (("BS1", "BS1:second"), "benign"),
        (("PVS1", "PS1", "BA1"), "uncertain_significance"),  # contradictory
        (("PS1:ClinVar:VCV000016682 x pathogenic", "PVS1"), "pathogenic"),
    ],
)
def test_combining_table(codes: tuple[str, ...], tier: str) -> None:
    assert combine(codes) == tier


def test_thresholds_and_strengths_are_named_data() -> None:
    assert THRESHOLDS["BA1"] == 0.05 and THRESHOLDS["BS1"] == 0.001 and THRESHOLDS["PM2"] == 0.0
    assert STRENGTH["PVS1"] == "very_strong" and STRENGTH["PM2_Supporting"] == "supporting"
    assert TIERS[0] == "pathogenic" and TIERS[-1] == "benign"


# ---------------------------------------------------------------------------------------------
# Single rules through classify()


def test_nonsense_subject_to_nmd_is_pvs1() -> None:
    novel = run("c.593G>A", 0.0, EMPTY)  # p.(Trp198*), exon 3
    assert rules(novel) == {"PVS1", "PM2_Supporting"}
    assert novel.tier == "likely_pathogenic"
    no_freq = run("c.593G>A", None, EMPTY)
    assert rules(no_freq) == {"PVS1", "PM2_not_assessed"}  # PM2 is not assumed
    assert no_freq.tier == "uncertain_significance"


def test_nonsense_escaping_nmd_is_pvs1_strong() -> None:
    c = run("c.1378C>T", 0.0, EMPTY)  # p.(Arg460*), last exon
    assert "PVS1_Strong" in rules(c) and "PVS1" not in rules(c)


def _late_nonsense() -> str:
    """An SNV making a stop in the last 10 % of menin, found with a codon table."""
    text = resources.files("variant_calling").joinpath("data", "MEN1_transcripts_CDS.fa")
    cds = "".join(text.read_text().split(">NM_001370259.2")[1].splitlines()[1:])
    for codon in range(560, 610):
        triplet = cds[3 * (codon - 1) : 3 * codon]
        for k in range(3):
            for alt in "ACGT":
                mutated = triplet[:k] + alt + triplet[k + 1 :]
                if alt != triplet[k] and str(Seq(mutated).translate()) == "*":
                    i = 3 * (codon - 1) + k
                    return f"c.{i + 1}{cds[i]}>{alt}"
    raise AssertionError("no late nonsense SNV")


def test_late_nonsense_removing_under_ten_percent_is_pvs1_moderate() -> None:
    name = _late_nonsense()
    c = run(name, 0.0, EMPTY)
    assert "PVS1_Moderate" in rules(c), (name, c)
    assert c.tier == "uncertain_significance"


def test_same_amino_acid_change_as_a_known_pathogenic_variant_is_ps1() -> None:
    # c.593G>A p.(Trp198*) is in ClinVar as pathogenic; c.594G>A (TGG -> TGA) is the same stop.
    c = run("c.594G>A", 0.0)
    assert "PS1" in rules(c) and "PVS1" in rules(c)
    assert any(e.startswith("PS1:ClinVar:VCV000016682") for e in c.evidence)
    assert c.tier == "pathogenic"


def test_other_missense_at_a_known_pathogenic_residue_is_pm5() -> None:
    c = run("c.1307G>C", 0.0)  # p.(Trp436Ser); p.(Trp436Arg) is pathogenic
    assert any(e.startswith("PM5:ClinVar:VCV000016686") for e in c.evidence)
    assert c.tier == "uncertain_significance"  # PM5 + PM2_Supporting only


def test_canonical_splice_sites_are_pvs1_except_the_non_coding_first_exon_donor() -> None:
    assert run("c.445+1G>A", 0.0, EMPTY).tier == "likely_pathogenic"
    assert run("c.446-2A>G", 0.0, EMPTY).tier == "likely_pathogenic"
    exon1_donor = locus.genomic_position("GRCh38", "-24+1")
    ref = locus.reference.sequence("GRCh38", exon1_donor, exon1_donor)
    alt = "A" if ref != "A" else "G"
    ann = annotate("GRCh38", exon1_donor, ref, alt)
    assert ann.consequence == "splice_donor_variant" and ann.intron == 1
    c = classify("GRCh38", exon1_donor, ref, alt, ann, EMPTY, 0.0)
    assert "PVS1" not in rules(c) and "PVS1_not_applicable" in rules(c)


def test_start_loss_is_pvs1() -> None:
    assert rules(run("c.2T>C", 0.0, EMPTY)) == {"PVS1", "PM2_Supporting"}


def test_inframe_deletion_is_pm4() -> None:
    c = run("c.1087_1089del", 0.0, EMPTY)
    assert rules(c) == {"PM4", "PM2_Supporting"}
    assert c.tier == "uncertain_significance"


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
    assert run(missense, 0.2, EMPTY) == Classification("benign", ("BA1",))
    assert rules(run(missense, 0.01, EMPTY)) == {"BS1"}
    assert rules(run(missense, 0.0005, EMPTY)) == set()  # rare but present: no PM2
    assert run(missense, None, EMPTY).tier == "uncertain_significance"
    # BA1 is stand-alone, even for a null variant.
    assert run("c.593G>A", 0.3, EMPTY).tier == "benign"
    with pytest.raises(ClassificationError):
        run(missense, 1.5, EMPTY)


# ---------------------------------------------------------------------------------------------
# Known variants and the RefSeq sites


def test_known_pathogenic_assertion_is_used_and_cited() -> None:
    c = run("c.1378C>T", None)  # p.(Arg460*): PVS1_Strong alone would be a VUS
    assert c.tier == "pathogenic"
    assert any(e.startswith("known:ClinVar:VCV000016692 pathogenic") for e in c.evidence)
    lp = run("c.65T>G", 0.0)  # Pathogenic/Likely_pathogenic in ClinVar
    assert lp.tier == "likely_pathogenic"


def test_known_likely_pathogenic_never_lowers_a_stronger_rule_result() -> None:
    # A table asserting c.594G>A (p.Trp198*) only likely pathogenic, beside the pathogenic
    # c.593G>A with the same protein change: the rules (PVS1 + PS1) say pathogenic.
    p = SHIPPED.lookup("GRCh38", *vcf("c.593G>A"))
    assert p is not None and p.significance == "pathogenic"
    lp = p._replace(id="test:LP", hgvs_c=f"{MANE}:c.594G>A", significance="likely_pathogenic")
    c = run("c.594G>A", 0.0, KnownVariantTable((p, lp), "test"))
    assert any(e.startswith("known:test:LP likely_pathogenic") for e in c.evidence)
    assert c.tier == "pathogenic"


def test_known_benign_assertion_sets_the_tier() -> None:
    assert run("c.-20G>A", None).tier == "likely_benign"  # Benign/Likely_benign
    assert run("c.249G>A", 0.0).tier == "likely_benign"


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
        c = classify(build, pos, genome_base, alt, ann, SHIPPED, af)
        assert c.tier == "benign"
        assert c.evidence[0] == "refseq_genome_mismatch_site"
