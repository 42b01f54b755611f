"""MEN1 transcript model, HGVS naming and consequences (variant_calling.locus).

Expected names come from outside the code under test: the exon table's c. numbering, ClinVar's
own names and VCF alleles, published MEN1 mutations, or a codon table applied here.
"""

from __future__ import annotations

import csv
import itertools
import re
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
from Bio.Seq import Seq
from hypothesis import given, settings
from hypothesis import strategies as st

from variant_calling import locus, reference
from variant_calling.errors import Men1Error
from variant_calling.locus import MANE, HgvsError, annotate, to_genomic, translate_name

DATA = Path(__file__).resolve().parents[1] / "data"
BUILDS = ("GRCh38", "GRCh37")
# GRCh38 - GRCh37 over the MEN1 window (docs/men1-facts.md fact 3: c.1 is 64810109 vs 64577581).
BUILD_SHIFT = 64810109 - 64577581
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def comp(base: str) -> str:
    return base.translate(COMPLEMENT)


def other_base(base: str) -> str:
    return "A" if base != "A" else "C"


@cache
def exon_rows() -> list[dict[str, str]]:
    text = resources.files("variant_calling").joinpath("data", "MEN1_exons.tsv").read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@cache
def cdna(accession: str) -> tuple[str, int]:
    """(cDNA sequence, 1-based transcript position of c.1) read from the shipped FASTA."""
    text = resources.files("variant_calling").joinpath("data", "MEN1_transcripts_cDNA.fa")
    seqs: dict[str, list[str]] = {}
    cds: dict[str, int] = {}
    acc = ""
    for line in text.read_text().splitlines():
        if line.startswith(">"):
            acc = line[1:].split()[0]
            seqs[acc] = []
            cds[acc] = int(re.search(r"CDS=(\d+)\.\.", line).group(1))  # type: ignore[union-attr]
        else:
            seqs[acc].append(line.strip())
    return "".join(seqs[accession]), cds[accession]


def genome(build: str, pos: int) -> str:
    return reference.sequence(build, pos, pos)


def c_to_genomic(accession: str, build: str, c: int) -> int:
    """Genomic position of a coding c. number on ``accession``, from the exon table's
    transcript positions."""
    _, cds_start = cdna(accession)
    t = cds_start + c - 1
    for row in exon_rows():
        if row["transcript"] == accession and int(row["tx_start"]) <= t <= int(row["tx_end"]):
            # Minus strand: the exon's first transcript base is its highest coordinate.
            return int(row[f"{build.lower()}_end"]) - (t - int(row["tx_start"]))
    raise AssertionError(f"c.{c} not in any exon of {accession}")


def mane_c_to_genomic(build: str, c: int) -> int:
    return c_to_genomic(MANE, build, c)


# ---------------------------------------------------------------------------------------------
# Exon model


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize(
    "row", [r for r in exon_rows() if r["transcript"] == MANE], ids=lambda r: f"exon{r['exon']}"
)
def test_exon_boundaries_are_named_as_in_the_exon_table(build: str, row: dict[str, str]) -> None:
    g_start, g_end = int(row[f"{build.lower()}_start"]), int(row[f"{build.lower()}_end"])
    for g, expected in ((g_end, row["c_start"]), (g_start, row["c_end"])):
        ref = genome(build, g)
        ann = annotate(build, g, ref, other_base(ref))
        position = re.match(r"^NM_001370259\.2:(c\.[-*]?\d+)[ACGT]>[ACGT]$", ann.hgvs_c)
        assert position is not None, ann.hgvs_c
        assert position.group(1) == expected
        assert ann.exon == int(row["exon"])


@pytest.mark.parametrize("build", BUILDS)
def test_first_intronic_bases_hang_off_the_exon_boundaries(build: str) -> None:
    rows = [r for r in exon_rows() if r["transcript"] == MANE]
    for row, nxt in itertools.pairwise(rows):
        donor = int(row[f"{build.lower()}_start"]) - 1
        acceptor = int(nxt[f"{build.lower()}_end"]) + 1
        d = annotate(build, donor, genome(build, donor), other_base(genome(build, donor)))
        a = annotate(build, acceptor, genome(build, acceptor), other_base(genome(build, acceptor)))
        assert d.hgvs_c.startswith(f"{MANE}:{row['c_end']}+1")
        assert a.hgvs_c.startswith(f"{MANE}:{nxt['c_start']}-1")
        assert d.consequence == "splice_donor_variant" and d.intron == int(row["exon"])
        assert a.consequence == "splice_acceptor_variant" and a.intron == int(row["exon"])
        assert d.hgvs_p is None and a.hgvs_p is None


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("row", exon_rows(), ids=lambda r: f"{r['transcript']}-exon{r['exon']}")
def test_every_transcript_places_its_exon_ends_on_the_genome(
    build: str, row: dict[str, str]
) -> None:
    acc, low, high = row["transcript"], row[f"{build.lower()}_start"], row[f"{build.lower()}_end"]
    assert locus.genomic_position(build, row["c_start"][2:], acc) == int(high)
    assert locus.genomic_position(build, row["c_end"][2:], acc) == int(low)


@pytest.mark.parametrize("acc", locus.TRANSCRIPTS)
def test_exon_boundaries_listing_matches_the_table(acc: str) -> None:
    table = [
        (int(r["exon"]), r["c_start"][2:], r["c_end"][2:])
        for r in exon_rows()
        if r["transcript"] == acc
    ]
    assert locus.exon_boundaries(acc) == table


def test_c_position_of_genomic_coordinates() -> None:
    assert locus.c_position("GRCh38", 64810109) == "1"  # docs/men1-facts.md fact 3
    assert locus.c_position("GRCh37", 64577581) == "1"
    assert locus.c_position("GRCh38", 64804546) == "1621"
    with pytest.raises(HgvsError):
        locus.c_position("GRCh38", 1)


def test_odd_length_intron_midpoint_takes_the_donor_side() -> None:
    # Intron 2 is GRCh38 64808100-64809664: 1,565 bases, so 783 are named from c.445 (HGVS:
    # the middle base of an odd-length intron gets the "+" name) and 782 from c.446.
    assert locus.c_position("GRCh38", 64809664) == "445+1"
    assert locus.c_position("GRCh38", 64809664 - 782) == "445+783"
    assert locus.c_position("GRCh38", 64809664 - 783) == "446-782"
    assert locus.c_position("GRCh38", 64808100) == "446-1"


def test_transcript_reference_differs_from_the_genome_only_at_the_two_documented_sites() -> None:
    seq, _ = cdna(MANE)
    rows = sorted((r for r in exon_rows() if r["transcript"] == MANE), key=lambda r: int(r["exon"]))
    diffs = []
    tx_pos = 0
    for row in rows:
        for g in range(int(row["grch38_end"]), int(row["grch38_start"]) - 1, -1):
            tx_pos += 1
            if comp(genome("GRCh38", g)) != seq[tx_pos - 1]:
                diffs.append(g)
    assert tx_pos == len(seq)
    assert sorted(diffs) == sorted(locus.REFSEQ_GENOME_MISMATCH_SITES["GRCh38"])


def test_cds_translates_to_the_refseq_protein() -> None:
    seq, cds_start = cdna(MANE)
    text = resources.files("variant_calling").joinpath("data", "MEN1_menin_proteins.fa")
    chunks = text.read_text().split(">NP_001357188.2")[1].split(">")[0].splitlines()[1:]
    protein = "".join(chunks)
    assert str(Seq(seq[cds_start - 1 : cds_start - 1 + 1833]).translate()) == protein + "*"


def test_region_covers_the_gene_inside_the_window() -> None:
    for build in BUILDS:
        start, end = locus.region(build)
        w = reference.window(build)
        assert w.start <= start < end <= w.end
    s38, e38 = locus.region("GRCh38")
    # MANE spans 64803516-64810551 (MANE summary row).
    assert s38 < 64803516 and e38 > 64810551
    assert locus.region("GRCh37") == (s38 - BUILD_SHIFT, e38 - BUILD_SHIFT)


# ---------------------------------------------------------------------------------------------
# ClinVar's names and VCF alleles


@cache
def clinvar_rows() -> list[dict[str, str]]:
    with open(DATA / "clinvar_MEN1_variant_summary_2021-01_partial.tsv", newline="") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["PositionVCF"] != "-1"]


def clinvar_name(row: dict[str, str]) -> str:
    return row["Name"].split(" ")[0].replace("(MEN1)", "")


def test_clinvar_snv_names_map_to_the_vcf_alleles_in_both_builds() -> None:
    snvs = [r for r in clinvar_rows() if r["Type"] == "single nucleotide variant"]
    matched, no_ops = 0, []
    for row in snvs:
        build = row["Assembly"]
        expected = (int(row["PositionVCF"]), row["ReferenceAlleleVCF"], row["AlternateAlleleVCF"])
        got = to_genomic(build, clinvar_name(row))
        if expected[1] == expected[2]:
            no_ops.append(row["VariationID"])
            # The genome already carries the named allele: nothing to put in a VCF.
            assert got is None
            assert genome(build, expected[0]) == expected[2]
        else:
            assert got == expected, clinvar_name(row)
            matched += 1
    assert no_ops == ["41852", "41852"]  # VariationID of AlleleID 50291, one per build
    assert matched == len(snvs) - 2
    assert matched >= 2 * 29


@pytest.mark.parametrize(
    "row",
    [r for r in clinvar_rows() if r["Name"].startswith("NM_")],
    ids=lambda r: f"{r['Assembly']}-{r['VariationID']}",
)
def test_clinvar_vcf_alleles_are_named_like_clinvar(row: dict[str, str]) -> None:
    build = row["Assembly"]
    vcf = (int(row["PositionVCF"]), row["ReferenceAlleleVCF"], row["AlternateAlleleVCF"])
    ann = annotate(build, *vcf)
    assert ann.hgvs_c == translate_name(clinvar_name(row))
    p = re.search(r"\(p\.([A-Z][a-z]{2})(\d+)([A-Z][a-z]{2}|=|Ter)\)$", row["Name"])
    if p and ann.consequence != "start_lost":
        residue = int(p.group(2))
        if row["Name"].startswith("NM_000244.3") and residue > 148:
            residue -= 5  # NM_000244.3's longer exon 2 adds five residues after Gly148
        alt = {"Ter": "*"}.get(p.group(3), p.group(3))
        assert ann.hgvs_p == f"p.({p.group(1)}{residue}{alt})"


# ---------------------------------------------------------------------------------------------
# One case per consequence, on both builds


CASES = [
    # name in, name out, hgvs_p, consequence, exon, intron
    ("c.1378C>T", "c.1378C>T", "p.(Arg460*)", "stop_gained", 10, None),  # R460X
    ("c.1546dup", "c.1546dup", "p.(Arg516Profs*15)", "frameshift_variant", 10, None),
    ("c.249_252del", "c.249_252del", "p.(Ile85Serfs*33)", "frameshift_variant", 2, None),
    ("c.1A>G", "c.1A>G", "p.(Met1?)", "start_lost", 2, None),
    ("c.2T>C", "c.2T>C", "p.(Met1?)", "start_lost", 2, None),
    ("c.1087_1089del", "c.1087_1089del", "p.(Glu363del)", "inframe_deletion", 8, None),
    ("c.1087_1089dup", "c.1087_1089dup", "p.(Glu363dup)", "inframe_insertion", 8, None),
    ("c.1074_1075delinsAA", "c.1074_1075delinsAA", "p.(Glu359Lys)", "missense_variant", 8, None),
    # Codons 362-366 are AAG GAG TTC TTT GAA (Lys Glu Phe Phe Glu).
    (
        "c.1089_1090insGCA",
        "c.1089_1090insGCA",
        "p.(Glu363_Phe364insAla)",
        "inframe_insertion",
        8,
        None,
    ),
    (
        "c.1088_1089insGCA",
        "c.1089_1090insCAG",
        "p.(Glu363_Phe364insGln)",
        "inframe_insertion",
        8,
        None,
    ),
    ("c.1089_1090insTAA", "c.1090_1091insAAT", "p.(Phe364*)", "stop_gained", 8, None),
    ("c.1090_1092delinsTGG", "c.1091_1092delinsGG", "p.(Phe364Trp)", "missense_variant", 8, None),
    ("c.249G>A", "c.249G>A", "p.(Leu83=)", "synonymous_variant", 2, None),
    ("c.447C>T", "c.447C>T", "p.(Gly149=)", "splice_region_variant", 3, None),
    ("c.784-9G>A", "c.784-9G>A", None, "intron_variant", None, 4),
    ("c.445+5", None, None, "splice_region_variant", None, 2),
    ("c.-20G>A", "c.-20G>A", None, "5_prime_UTR_variant", 2, None),
    ("c.*5", None, None, "3_prime_UTR_variant", 10, None),
    ("c.-71", None, None, "upstream_gene_variant", None, None),
    ("c.*828", None, None, "downstream_gene_variant", None, None),
    ("c.649_654+2del", "c.649_654+2del", "p.?", "splice_donor_variant", 3, 3),
]


def case_vcf(build: str, name: str) -> tuple[int, str, str]:
    if re.search(r"[ACGT]>|del|dup|ins", name):
        vcf = to_genomic(build, f"{MANE}:{name}")
        assert vcf is not None
        return vcf
    g = locus.genomic_position(build, name[2:])
    ref = genome(build, g)
    return g, ref, other_base(ref)


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_consequences(build: str, case: tuple) -> None:
    name, expected_c, hgvs_p, consequence, exon, intron = case
    ann = annotate(build, *case_vcf(build, name))
    if expected_c is not None:
        assert ann.hgvs_c == f"{MANE}:{expected_c}"
    else:
        assert ann.hgvs_c.startswith(f"{MANE}:{name}")
    assert (ann.hgvs_p, ann.consequence) == (hgvs_p, consequence)
    assert (ann.exon, ann.intron) == (exon, intron)
    assert ann.refseq_genome_mismatch is False


EDGE_CASES = [
    # name in, name out, consequence, exon, intron
    # c.445 and c.445+1 are both G: the duplicated G stays exonic (the GT after it is intact).
    ("c.445dup", "c.445dup", "frameshift_variant", 2, None),
    # +2 and +3 are both T: an inserted T is a 3'-shifted duplication of +3, GT intact.
    ("c.445+1_445+2insT", "c.445+3dup", "splice_region_variant", None, 2),
    ("c.445+1_445+2del", "c.445+1_445+2del", "splice_donor_variant", None, 2),
    ("c.445_445+1insT", "c.445_445+1insT", "splice_region_variant", 2, 2),
    ("c.-24+5del", "c.-24+5del", "splice_region_variant", None, 1),  # 5' UTR intron
    ("c.-23-12del", "c.-23-12del", "intron_variant", None, 1),
    ("c.-1_1del", "c.-1_1del", "start_lost", 2, None),
    ("c.-3_-1del", "c.-3_-1del", "5_prime_UTR_variant", 2, None),
    ("c.1833_*1insA", "c.*1dup", "3_prime_UTR_variant", 10, None),
]


@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: c[0])
def test_junction_and_utr_edge_cases(case: tuple) -> None:
    name, expected, consequence, exon, intron = case
    ann = annotate("GRCh38", *case_vcf("GRCh38", name))
    assert ann.hgvs_c == f"{MANE}:{expected}"
    assert (ann.consequence, ann.exon, ann.intron) == (consequence, exon, intron)


def test_donor_context_used_by_the_edge_cases() -> None:
    # The facts the edge cases rely on, read from the genome (minus strand) directly.
    g445 = int(
        next(r for r in exon_rows() if r["transcript"] == MANE and r["exon"] == "2")["grch38_start"]
    )
    tx_strand = "".join(comp(genome("GRCh38", g)) for g in range(g445, g445 - 4, -1))
    assert tx_strand == "GGTT"  # c.445, +1, +2, +3


def test_stop_loss_extends_to_the_next_in_frame_stop_in_the_utr() -> None:
    seq, cds_start = cdna(MANE)
    stop = cds_start - 1 + 1830  # 0-based first base of the TGA
    mutated = seq[:stop] + "C" + seq[stop + 1 :]  # c.1831T>C: TGA -> CGA (Arg)
    tail = str(Seq(mutated[stop : stop + (len(mutated) - stop) // 3 * 3]).translate())
    # HGVS numbers extension residues after the old stop: Arg611 then *1, *2 ... the new stop.
    expected = f"p.(*611Argext*{tail.index('*')})"
    ann = annotate("GRCh38", *case_vcf("GRCh38", "c.1831T>C"))
    assert (ann.hgvs_p, ann.consequence) == (expected, "stop_lost")


def test_stop_codon_synonymous_change_is_named_with_the_stop() -> None:
    ann = annotate("GRCh38", *case_vcf("GRCh38", "c.1833A>G"))  # TGA -> TGG is Trp
    assert ann.consequence == "stop_lost"
    ann = annotate("GRCh38", *case_vcf("GRCh38", "c.1832G>A"))  # TGA -> TAA, still a stop
    assert (ann.hgvs_p, ann.consequence) == ("p.(*611=)", "synonymous_variant")


def test_nonsense_mediated_decay_boundary() -> None:
    # Exon 9 ends at c.1350; the last 50 nt of the penultimate exon start at c.1301.
    early = annotate("GRCh38", *case_vcf("GRCh38", "c.593G>A"))  # p.Trp198*, exon 3
    last_exon = annotate("GRCh38", *case_vcf("GRCh38", "c.1378C>T"))
    assert early.nmd_escape is False
    assert last_exon.nmd_escape is True
    assert annotate("GRCh38", *case_vcf("GRCh38", "c.1307G>A")).nmd_escape is True  # Trp436*
    assert annotate("GRCh38", *case_vcf("GRCh38", "c.1062C>A")).nmd_escape is False  # Cys354*


def test_insertion_is_a_dup_and_3prime_shifted_wherever_the_caller_put_it() -> None:
    # c.1546dup lengthens a run of seven C (plus strand: G). Inserting the extra G at any point
    # of the run names the same variant.
    g_first = locus.genomic_position("GRCh38", "1546")
    run = [g for g in range(g_first, g_first + 7) if genome("GRCh38", g) == "G"]
    assert len(run) == 7
    names = set()
    for g in [*run, run[0] - 1]:
        base = genome("GRCh38", g)
        names.add(annotate("GRCh38", g, base, base + "G").hgvs_c)
    assert names == {f"{MANE}:c.1546dup"}


def test_deletion_in_a_run_is_3prime_shifted_on_the_transcript() -> None:
    g_first = locus.genomic_position("GRCh38", "1546")
    right_aligned = g_first + 5  # anchor inside the run, not left-aligned
    base = genome("GRCh38", right_aligned)
    ann = annotate("GRCh38", right_aligned, base + "G", base)
    assert ann.hgvs_c == f"{MANE}:c.1546del"
    assert ann.consequence == "frameshift_variant"


def test_insertion_that_is_not_a_repeat() -> None:
    vcf = to_genomic("GRCh38", f"{MANE}:c.465_466insAATT")
    assert vcf == (64808079, "C", "CAATT")  # ClinVar VariationID 36530, GRCh38
    ann = annotate("GRCh38", *vcf)
    assert ann.hgvs_c == f"{MANE}:c.465_466insAATT"
    assert ann.consequence == "frameshift_variant"
    assert ann.hgvs_p is not None and ann.hgvs_p.startswith("p.(Gly156")


# ---------------------------------------------------------------------------------------------
# The RefSeq-vs-genome sites


@pytest.mark.parametrize("build", BUILDS)
def test_refseq_allele_called_against_the_genome_is_no_change_on_the_transcript(build: str) -> None:
    a541, h433 = locus.REFSEQ_GENOME_MISMATCH_SITES[build]
    assert (genome(build, a541), genome(build, h433)) == ("T", "A")
    ann = annotate(build, a541, "T", "C")  # RefSeq G (Ala541) on the minus strand
    assert (ann.hgvs_c, ann.hgvs_p) == (f"{MANE}:c.1621=", "p.(Ala541=)")
    assert ann.refseq_genome_mismatch is True
    ann = annotate(build, h433, "A", "G")
    assert (ann.hgvs_c, ann.hgvs_p) == (f"{MANE}:c.1299=", "p.(His433=)")
    assert ann.refseq_genome_mismatch is True


def test_genome_allele_at_the_site_is_named_as_the_polymorphism() -> None:
    ann = annotate("GRCh38", 64804546, "T", "T")  # ClinVar's no-op record, VariationID 41852
    assert (ann.hgvs_c, ann.hgvs_p) == (f"{MANE}:c.1621G>A", "p.(Ala541Thr)")
    assert ann.refseq_genome_mismatch is True
    assert translate_name("NM_000244.3:c.1636G>A") == f"{MANE}:c.1621G>A"


def test_polymorphism_inside_a_multi_base_record_is_still_recognised() -> None:
    # 64804546-7 is TG on the genome; the RefSeq allele at 546 (C) with 547 unchanged.
    ann = annotate("GRCh38", 64804546, "TG", "CG")
    assert (ann.hgvs_c, ann.refseq_genome_mismatch) == (f"{MANE}:c.1621=", True)
    # A real change next to the site, spelled with the site's genome base, is not the site.
    ann = annotate("GRCh38", 64804546, "TG", "TA")
    assert ann.hgvs_c == f"{MANE}:c.1620C>T" and ann.refseq_genome_mismatch is False


def test_third_allele_at_the_site_is_an_ordinary_change() -> None:
    ann = annotate("GRCh38", 64804546, "T", "A")  # GCC -> TCC
    assert (ann.hgvs_c, ann.hgvs_p) == (f"{MANE}:c.1621G>T", "p.(Ala541Ser)")
    assert ann.refseq_genome_mismatch is False
    assert to_genomic("GRCh38", f"{MANE}:c.1621G>T") == (64804546, "T", "A")


def test_indels_beside_a_refseq_site_name_only_the_recorded_event() -> None:
    # 64804546 is c.1621 (genome T, RefSeq C on the plus strand), 64804547 is c.1620.
    # A VCF anchor base asserts nothing, so deleting 64804547 is c.1620del, not a delins.
    assert annotate("GRCh38", 64804546, "TG", "T").hgvs_c == f"{MANE}:c.1620del"
    assert annotate("GRCh38", 64804545, "GT", "G").hgvs_c == f"{MANE}:c.1621del"
    # Two VCF spellings of one genomic insertion get one name.
    assert annotate("GRCh38", 64804546, "T", "TT") == annotate("GRCh38", 64804545, "G", "GT")


@pytest.mark.parametrize("build", BUILDS)
def test_indels_around_the_refseq_sites_round_trip(build: str) -> None:
    for site in locus.REFSEQ_GENOME_MISMATCH_SITES[build]:
        for g in range(site - 4, site + 4):
            b = genome(build, g)
            r = reference.sequence(build, g, g + 2)
            for alleles in ((r[:2], r[0]), (r, r[0]), (b, b + "T"), (b, b + "GC")):
                name = annotate(build, g, *alleles).hgvs_c
                vcf = to_genomic(build, name)
                assert vcf is not None
                assert annotate(build, *vcf).hgvs_c == name


# ---------------------------------------------------------------------------------------------
# translate_name / to_genomic


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NM_000244.3:c.1561dupC", "c.1546dup"),  # the classic c.1546dupC, NM_000244.3 numbering
        ("NM_130799.2:c.1546_1547insC", "c.1546dup"),
        ("NM_000244.3(MEN1):c.1393C>T (p.Arg465Ter)", "c.1378C>T"),
        ("NM_000244.3:c.445G>A", "c.445G>A"),  # below c.446 the numberings agree
        ("NM_000244.3:c.461-3C>T", "c.446-3C>T"),
        ("NM_000244.3:c.669+18C>T", "c.654+18C>T"),
        ("NM_130799.2:c.1024delG", "c.1024del"),
        ("NM_001370259.2:c.1621=", "c.1621="),
    ],
)
def test_translate_name(name: str, expected: str) -> None:
    assert translate_name(name) == f"{MANE}:{expected}"


def test_nm_000244_extra_exon_2_bases_are_intronic_on_mane() -> None:
    acc = "NM_000244.3"
    for n in range(446, 461):
        g = locus.genomic_position("GRCh38", str(n), acc)
        base = comp(genome("GRCh38", g))
        alt = other_base(base)
        assert translate_name(f"{acc}:c.{n}{base}>{alt}") == f"{MANE}:c.445+{n - 445}{base}>{alt}"


def test_bad_names_are_refused() -> None:
    with pytest.raises(HgvsError, match=r"reference at c\.1546 on NM_000244\.3 is G"):
        translate_name("NM_000244.3:c.1546dupC")
    with pytest.raises(HgvsError, match="give the transcript"):
        translate_name("c.1378C>T")
    with pytest.raises(HgvsError, match="not modelled"):
        translate_name("NM_999999.1:c.1A>G")
    with pytest.raises(HgvsError, match="unsupported"):
        translate_name(f"{MANE}:c.1378inv")
    with pytest.raises(Men1Error):
        to_genomic("GRCh38", f"{MANE}:c.445+9999A>G")


def test_bad_alleles_are_refused() -> None:
    with pytest.raises(HgvsError, match="does not match"):
        annotate("GRCh38", 64804588, "C", "A")  # genome has G
    with pytest.raises(HgvsError, match="outside"):
        annotate("GRCh38", 64700000, "A", "C")
    with pytest.raises(HgvsError, match="A/C/G/T"):
        annotate("GRCh38", 64804588, "G", "<DEL>")


# ---------------------------------------------------------------------------------------------
# Properties


@settings(max_examples=150, deadline=None)
@given(c=st.integers(min_value=1, max_value=1833), pick=st.integers(min_value=0, max_value=2))
def test_every_cds_snv_round_trips_through_the_genome(c: int, pick: int) -> None:
    seq, cds_start = cdna(MANE)
    ref = seq[cds_start - 1 + c - 1]
    alt = [b for b in "ACGT" if b != ref][pick]
    name = f"{MANE}:c.{c}{ref}>{alt}"
    vcf = to_genomic("GRCh38", name)
    if c == 1621 and alt == "A":  # the genome's own allele at the RefSeq site
        assert vcf is None
        return
    assert vcf is not None
    assert vcf[0] == mane_c_to_genomic("GRCh38", c)
    assert vcf[2] == comp(alt)
    assert annotate("GRCh38", *vcf).hgvs_c == name
    assert to_genomic("GRCh37", name) == (vcf[0] - BUILD_SHIFT, vcf[1], vcf[2])


@settings(max_examples=150, deadline=None)
@given(
    offset=st.integers(min_value=0, max_value=14_000),
    kind=st.sampled_from(["snv", "del1", "del3", "insA", "insGC"]),
)
def test_both_builds_give_the_same_annotation(offset: int, kind: str) -> None:
    start38, end38 = locus.region("GRCh38")
    g38 = min(start38 + 5 + offset, end38 - 5)
    g37 = g38 - BUILD_SHIFT
    b = genome("GRCh38", g38)
    if kind == "snv":
        alleles = (b, other_base(b))
    elif kind.startswith("del"):
        n = int(kind[3:])
        r = reference.sequence("GRCh38", g38, g38 + n)
        alleles = (r, r[0])
    else:
        alleles = (b, b + kind[3:])
    assert annotate("GRCh38", g38, *alleles) == annotate("GRCh37", g37, *alleles)


@settings(max_examples=200, deadline=None)
@given(
    offset=st.integers(min_value=0, max_value=14_000),
    n=st.integers(min_value=1, max_value=4),
    inserted=st.sampled_from(["", "A", "C", "G", "T", "AG", "TTT", "GCA"]),
)
def test_indels_round_trip_through_their_names(offset: int, n: int, inserted: str) -> None:
    start, end = locus.region("GRCh38")
    g = min(start + 5 + offset, end - 10)
    if inserted:
        ref = genome("GRCh38", g)
        ann = annotate("GRCh38", g, ref, ref + inserted)
    else:
        ref = reference.sequence("GRCh38", g, g + n)
        ann = annotate("GRCh38", g, ref, ref[0])
    vcf = to_genomic("GRCh38", ann.hgvs_c)
    assert vcf is not None
    assert annotate("GRCh38", *vcf).hgvs_c == ann.hgvs_c
