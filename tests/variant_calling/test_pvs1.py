"""The MEN1 PVS1 table (variant_calling.pvs1): its exon arithmetic recomputed from the shipped
reference, each region reached by a real variant, and the established null variants it must
not leave uncertain."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
from Bio.Seq import Seq

from variant_calling import locus
from variant_calling.known import KnownVariantTable
from variant_calling.locus import MANE, annotate
from variant_calling.pathogenicity import classify
from variant_calling.pvs1 import LAST_UPGRADED_RESIDUE, NLS2_END, TABLE, assess

EMPTY = KnownVariantTable((), "empty (test)")
DATA = resources.files("variant_calling").joinpath("data")


def _cds() -> str:
    text = DATA.joinpath("MEN1_transcripts_CDS.fa").read_text()
    return "".join(text.split(">NM_001370259.2")[1].split(">")[0].splitlines()[1:])


def _coding_exons() -> list[tuple[int, int, int]]:
    """(exon, first c., last c.) of the MANE CDS, from the shipped exon table."""
    rows = csv.DictReader(
        (ln for ln in DATA.joinpath("MEN1_exons.tsv").read_text().splitlines()
         if not ln.startswith("# ")),
        delimiter="\t",
    )
    out = []
    for r in rows:
        if r["transcript"] != "NM_001370259.2" or r["c_end"].startswith("c.-"):
            continue
        first = r["c_start"][2:]
        last = r["c_end"][2:]
        first_c = 1 if first.startswith("-") else int(first)
        last_c = 1833 if last.startswith("*") else int(last)
        out.append((int(r["exon"]), first_c, last_c))
    return out


CDS = _cds()
EXONS = _coding_exons()


def test_exon_arithmetic_stated_in_the_table_holds() -> None:
    assert len(CDS) == 1833 and str(Seq(CDS).translate()).endswith("*")
    assert [e[0] for e in EXONS] == list(range(2, 11))
    length = {n: b - a + 1 for n, a, b in EXONS}
    assert length == {2: 445, 3: 209, 4: 129, 5: 41, 6: 88, 7: 137, 8: 136, 9: 165, 10: 483}
    in_frame = sorted(n for n in range(3, 10) if length[n] % 3 == 0)
    assert in_frame == [4, 9]  # skipping exon 4 or 9 keeps the frame
    # The next in-frame methionine after Met1 (the START row's premise).
    protein = str(Seq(CDS).translate())
    assert protein.index("M", 1) + 1 == 228


def _skip(exon: int) -> tuple[int | None, bool]:
    """(stop codon number in the exon-skipped transcript, NMD predicted) by translation."""
    spans = {n: (a, b) for n, a, b in EXONS}
    a, b = spans[exon]
    skipped = CDS[: a - 1] + CDS[b:]
    protein = str(Seq(skipped[: len(skipped) // 3 * 3]).translate())
    stop = protein.index("*") + 1
    # The last exon-exon junction of the skipped transcript (end of exon 9, shifted).
    last_junction = spans[9][1] - (b - a + 1 if exon < 10 else 0)
    ptc_c = 3 * (stop - 1) + 1
    return stop, ptc_c <= last_junction - 50


@pytest.mark.parametrize(
    ("exon", "stop", "nmd"),
    [(3, 161, True), (5, 302, True), (6, 338, True), (7, 320, True), (8, 399, False)],
)
def test_out_of_frame_skips_as_the_table_states(exon: int, stop: int, nmd: bool) -> None:
    assert _skip(exon) == (stop, nmd)
    row = next(r for r in TABLE if r.id == f"SPLICE_EXON{exon}")
    assert f"codon {stop}" in row.where
    assert ("NMD predicted" in row.where) == nmd


@pytest.mark.parametrize(("exon", "first", "last"), [(4, 219, 261), (9, 396, 450)])
def test_in_frame_skips_delete_the_residues_the_table_names(
    exon: int, first: int, last: int
) -> None:
    a, b = next((a, b) for n, a, b in EXONS if n == exon)
    assert ((a + 2) // 3, b // 3) == (first, last)
    row = next(r for r in TABLE if r.id == f"SPLICE_EXON{exon}")
    assert f"residues {first}-{last}" in row.where


def test_the_nmd_boundary_is_the_last_50_nt_of_exon_9() -> None:
    exon9_end = next(b for n, a, b in EXONS if n == 9)
    boundary = exon9_end - 50 + 1  # c.1301: the first stop position that escapes NMD
    assert boundary == 1301 and "c.1301" in TABLE[0].where


def _stop_at(codon: int) -> str:
    """An SNV giving a stop at ``codon`` (c. name), found with the codon table."""
    triplet = CDS[3 * (codon - 1): 3 * codon]
    for k in range(3):
        for alt in "ACGT":
            mutated = triplet[:k] + alt + triplet[k + 1:]
            if alt != triplet[k] and str(Seq(mutated).translate()) == "*":
                i = 3 * (codon - 1) + k
                return f"c.{i + 1}{CDS[i]}>{alt}"
    raise LookupError(codon)


def _stop_in(codons: range) -> tuple[int, str]:
    for codon in codons:
        try:
            return codon, _stop_at(codon)
        except LookupError:
            continue
    raise AssertionError(f"no nonsense SNV in codons {codons}")


def _region(name: str) -> str | None:
    pos, ref, alt = locus.to_genomic("GRCh38", f"{MANE}:{name}") or (0, "", "")
    row, _ = assess(annotate("GRCh38", pos, ref, alt))
    return row.id if row else None


@pytest.mark.parametrize(
    ("codons", "region"),
    [
        (range(20, 60), "NMD"),
        (range(380, 420), "NMD"),  # exon 8/9, NMD still predicted
        (range(437, 450), "ESCAPE_TO_527"),  # exon 9's last 50 nt
        (range(451, LAST_UPGRADED_RESIDUE + 1), "ESCAPE_TO_527"),
        (range(LAST_UPGRADED_RESIDUE + 1, NLS2_END + 1), "ESCAPE_NLS"),
    ],
)
def test_nonsense_regions(codons: range, region: str) -> None:
    codon, name = _stop_in(codons)
    assert _region(name) == region, (codon, name)


def test_the_last_two_residues_are_the_tail_row() -> None:
    # No single-base change makes a stop at codons 609-610, so the row is reached by a
    # described truncation there.
    with pytest.raises(AssertionError):
        _stop_in(range(NLS2_END + 1, 611))
    ann = locus.Annotation(f"{MANE}:c.1825_1826delinsTA", "p.(Leu609*)", "stop_gained", 10,
                           None, 609, False, True)
    row, _ = assess(ann)
    assert row is not None and row.id == "ESCAPE_TAIL" and row.strength is None


@pytest.mark.parametrize(
    ("name", "region"),
    [
        ("c.-24+1G>A", "SPLICE_EXON1"),
        ("c.-23-2A>G", "SPLICE_EXON2"),
        ("c.445+1G>A", "SPLICE_EXON2"),
        ("c.446-2A>G", "SPLICE_EXON3"),
        ("c.654+2T>C", "SPLICE_EXON3"),
        ("c.655-1G>A", "SPLICE_EXON4"),
        ("c.783+1G>A", "SPLICE_EXON4"),
        ("c.784-1G>A", "SPLICE_EXON5"),
        ("c.824+1G>A", "SPLICE_EXON5"),
        ("c.912+2T>C", "SPLICE_EXON6"),
        ("c.913-2A>G", "SPLICE_EXON7"),
        ("c.1049+1G>A", "SPLICE_EXON7"),
        ("c.1050-1G>A", "SPLICE_EXON8"),
        ("c.1185+1G>A", "SPLICE_EXON8"),
        ("c.1186-2A>G", "SPLICE_EXON9"),
        ("c.1350+1G>A", "SPLICE_EXON9"),
        ("c.1351-1G>A", "SPLICE_EXON10"),
        ("c.1A>G", "START"),
        ("c.3G>A", "START"),
        ("c.1306T>G", None),  # missense
        ("c.1087_1089del", None),  # in frame
    ],
)
def test_splice_start_and_other_regions(name: str, region: str | None) -> None:
    pos, ref, alt = locus.to_genomic("GRCh38", f"{MANE}:{name}") or (0, "", "")
    if ref and locus.reference.sequence("GRCh38", pos, pos + len(ref) - 1) != ref:
        # The test names a base the reference does not have there: choose a real change.
        ref = locus.reference.sequence("GRCh38", pos, pos)
        alt = "G" if ref != "G" else "A"
    row, _ = assess(annotate("GRCh38", pos, ref, alt))
    assert (row.id if row else None) == region


def test_every_row_has_a_strength_a_tree_answer_and_a_basis() -> None:
    ids = [r.id for r in TABLE]
    assert len(ids) == len(set(ids))
    for r in TABLE:
        assert r.strength in ("very_strong", "strong", "moderate", None)
        assert r.tree and r.basis and r.where
        if r.strength is not None and r.strength != "very_strong":
            assert "not upgraded" in r.basis or "the tree" in r.basis
        if "upgraded" in r.basis and "not upgraded" not in r.basis:
            assert r.strength == "very_strong"


NULL = ("stop_gained", "frameshift_variant", "splice_donor_variant", "splice_acceptor_variant",
        "start_lost")


@pytest.mark.parametrize("build", ["GRCh38", "GRCh37"])
def test_known_null_variants_stay_pathogenic_without_the_known_table(build: str) -> None:
    """Every P/LP null variant of the shipped ClinVar sample, classified with an EMPTY table
    (a site that has not loaded ClinVar, or a variant not yet in it): at least likely pathogenic
    with the variant absent from the population resource, and with no population data at all."""
    shipped = KnownVariantTable.shipped(build)
    name = f"clinvar_MEN1_{build}_2021-01_partial.vcf"
    null_known = []
    for line in DATA.joinpath(name).read_text().splitlines():
        if line.startswith("#"):
            continue
        f = line.split("\t")
        pos, ref, alt = int(f[1]), f[3], f[4]
        known = shipped.lookup(build, pos, ref, alt)
        ann = annotate(build, pos, ref, alt)
        if known and known.significance in ("pathogenic", "likely_pathogenic") \
                and ann.consequence in NULL:
            null_known.append((pos, ref, alt, ann))
    # 25 records: nonsense, frameshift, canonical splice and start loss, germline or somatic.
    assert len(null_known) == 25
    from variant_calling.population import PopulationFrequency

    absent = PopulationFrequency(0.0, "test resource", absent=True)
    for pos, ref, alt, ann in null_known:
        for pop in (absent, None):
            c = classify(build, pos, ref, alt, ann, EMPTY, pop)
            assert c.tier in ("pathogenic", "likely_pathogenic"), (ann.hgvs_c, c)


def test_the_documented_table_is_the_table_the_engine_uses() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "men1-cli.md").read_text()
    for r in TABLE:
        strength = (r.strength or "not applied").replace("_", " ")
        line = next((ln for ln in doc.splitlines() if ln.startswith(f"| `{r.id}` |")), "")
        assert f"| **{strength}** |" in line, r.id
