"""Locus LOH (issue 19): paired Mutect2 files built from the shipped reference, heterozygous
SNPs in the normal, the tumour's allele fractions computed from a known purity for a one-copy
loss or a copy-neutral LOH; a pair without heterozygous markers says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from variant_calling import InputFile, locus, reference

from .conftest import R532X, Counts, classify_json, mutect2, write_vcf

#: Intronic or flanking positions of the GRCh38 window, away from every exon (markers).
MARKER_POSITIONS = (64802400, 64803100, 64805500, 64806000, 64806800, 64808600, 64811800,
                    64813500)


def other(base: str) -> str:
    return "G" if base != "G" else "A"


def tumour_baf(purity: float, kind: str, alt_kept: bool) -> float:
    """B-allele fraction of a het site in the tumour sample: a one-copy loss leaves one copy in
    tumour cells, two in normal cells; a copy-neutral LOH two copies of the kept allele."""
    kept = 1.0 / (2.0 - purity) if kind == "deletion" else (1.0 + purity) / 2.0
    return kept if alt_kept else 1.0 - kept


def pair(tmp_path: Path, purity: float, kind: str = "deletion", depth: int = 200,
         markers: tuple[int, ...] = MARKER_POSITIONS, extra: tuple[str, ...] = ()) -> Path:
    recs = list(extra)
    for i, pos in enumerate(markers):
        for p in markers:
            assert all(not (e.start - 30 <= p <= e.end + 30) for e in locus.mane_exons("GRCh38"))
        ref = reference.sequence("GRCh38", pos, pos)
        baf = tumour_baf(purity, kind, alt_kept=i % 2 == 0) if purity else 0.5
        t_alt = round(depth * baf)
        recs.append(mutect2(pos, ref, other(ref), Counts(depth // 2, depth // 2),
                            Counts(depth - t_alt, t_alt), filt="germline"))
    return write_vcf(tmp_path / f"pair_{purity}_{kind}.vcf", "mutect2", recs)


@pytest.mark.parametrize("purity", [0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("kind", ["deletion", "copy_neutral"])
def test_loh_is_found_at_every_purity(tmp_path: Path, purity: float, kind: str) -> None:
    # 250x: a one-copy loss at 30 % purity moves each site's fraction by 0.09 only.
    r = classify_json([InputFile(str(pair(tmp_path, purity, kind, depth=250)))])
    loh = r["loh"]
    assert loh["status"] == "loh", loh["reason"]
    assert len(loh["markers"]) == len(MARKER_POSITIONS)
    assert loh["p_value"] <= 0.001 and loh["median_baf_shift"] >= 0.05
    assert {m["pos"] for m in loh["markers"]} == set(MARKER_POSITIONS)
    # LOH alone qualifies nobody: the markers are benign or uncertain polymorphisms.
    assert not r["qualifies"]


def test_a_balanced_tumour_has_no_loh(tmp_path: Path) -> None:
    loh = classify_json([InputFile(str(pair(tmp_path, 0.0)))])["loh"]
    assert loh["status"] == "no_loh" and loh["p_value"] > 0.5


def test_low_depth_at_low_purity_is_not_called(tmp_path: Path) -> None:
    """The detection limit, stated: at 30 % purity a one-copy loss needs depth; eight markers
    at 200x give a combined p of 0.0011, just above the 0.001 threshold."""
    loh = classify_json([InputFile(str(pair(tmp_path, 0.3, depth=200)))])["loh"]
    assert loh["status"] == "no_loh" and "8 heterozygous marker(s)" in loh["reason"]
    assert 0.001 < loh["p_value"] < 0.002


def test_no_heterozygous_marker_says_so(tmp_path: Path) -> None:
    # A homozygous SNP and a somatic call: nothing heterozygous in the normal.
    ref = reference.sequence("GRCh38", MARKER_POSITIONS[0], MARKER_POSITIONS[0])
    recs = [mutect2(MARKER_POSITIONS[0], ref, other(ref), Counts(0, 60), Counts(0, 60)),
            mutect2(*R532X, Counts(60, 0), Counts(40, 20))]
    r = classify_json([InputFile(str(write_vcf(tmp_path / "none.vcf", "mutect2", recs)))])
    assert r["loh"]["status"] == "not_assessed" and r["loh"]["markers"] == []
    assert "no heterozygous marker" in r["loh"]["reason"]


def test_a_tumour_only_input_cannot_be_tested(make_vcf: Any) -> None:
    from .conftest import deepvariant

    p = make_vcf("deepvariant", [deepvariant(*R532X, Counts(20, 20))])
    r = classify_json([InputFile(str(p), "tumor")])
    assert r["loh"]["status"] == "not_assessed"
    assert r["loh"]["reason"] == "needs a normal and a tumour sample"


def test_for_a_germline_carrier_locus_loh_is_the_second_hit(tmp_path: Path) -> None:
    # The germline stop is heterozygous in blood and absent from the tumour's data (outside
    # the tumour panel: no tumour reads), while the locus markers show the loss.
    stop = mutect2(*R532X, Counts(30, 30), Counts(0, 0), filt="germline")
    r = classify_json([InputFile(str(pair(tmp_path, 0.6, extra=(stop,))))])
    assert r["loh"]["status"] == "loh" and r["men1_status"] == "germline"
    v = next(v for v in r["variants"] if v["pos"] == R532X[0])
    assert v["qualifying"] and any(e.startswith("LOCUS_LOH_SECOND_HIT") for e in v["evidence"])


def test_the_two_sided_fisher_test_matches_the_textbook() -> None:
    from variant_calling.origin import fisher_two_sided

    # Fisher's lady tasting tea, [[3, 1], [1, 3]]: p = 34/70 (R: fisher.test, 0.4857).
    assert fisher_two_sided(3, 1, 1, 3) == pytest.approx(34 / 70)
    assert fisher_two_sided(10, 0, 0, 10) == pytest.approx(2 / 184756)


def test_the_thresholds_are_rules_data(tmp_path: Path) -> None:
    """The test's thresholds come from the rules a site configures (``--rules``), and the
    result states the ones it used: the 200x 30 % pair (combined p 0.0011) is LOH under a
    0.01 limit, and the 250x 30 % pair (median shift 0.09) is not under a 0.2 shift."""
    from variant_calling.rules import Rules

    low = InputFile(str(pair(tmp_path, 0.3, depth=200)))
    loose = Rules.from_mapping({"loh_locus_max_p": 0.01})
    loh = classify_json([low], rules=loose)["loh"]
    assert loh["status"] == "loh" and loh["thresholds"] == {"max_p": 0.01, "min_baf_shift": 0.05}
    strict = Rules.from_mapping({"loh_min_baf_shift": 0.2})
    deep = InputFile(str(pair(tmp_path, 0.3, depth=250)))
    loh = classify_json([deep], rules=strict)["loh"]
    assert loh["status"] == "no_loh" and loh["thresholds"]["min_baf_shift"] == 0.2


def test_separate_normal_and_tumour_files_are_paired_for_the_test(tmp_path: Path) -> None:
    """A blood VCF and a tumour VCF from a germline caller (DeepVariant, one sample each): the
    markers are the sites heterozygous in the blood file, read in the tumour file."""
    from .conftest import deepvariant

    n_recs, t_recs = [], []
    for i, pos in enumerate(MARKER_POSITIONS):
        ref = reference.sequence("GRCh38", pos, pos)
        t_alt = round(250 * tumour_baf(0.5, "deletion", alt_kept=i % 2 == 0))
        n_recs.append(deepvariant(pos, ref, other(ref), Counts(125, 125)))
        t_recs.append(deepvariant(pos, ref, other(ref), Counts(250 - t_alt, t_alt)))
    normal = write_vcf(tmp_path / "blood.vcf", "deepvariant", n_recs)
    tumour = write_vcf(tmp_path / "tumour.vcf", "deepvariant", t_recs)
    loh = classify_json([InputFile(str(normal), "normal"), InputFile(str(tumour), "tumor")])["loh"]
    assert loh["status"] == "loh" and len(loh["markers"]) == len(MARKER_POSITIONS)
    assert all(m["normal"]["baf"] == 0.5 for m in loh["markers"])


def test_for_a_germline_exon_deletion_carrier_locus_loh_is_the_second_hit(
        tmp_path: Path) -> None:
    """The first hit a germline exon 3 deletion (gCNV on the blood), the second the tumour's
    loss of the other allele, seen at the markers outside the deletion."""
    from .test_copy_number import exons, gcnv

    ex = exons()
    deletion = gcnv(tmp_path, [(ex[3][0] - 30, ex[3][1] + 30, 1)])
    r = classify_json([InputFile(str(pair(tmp_path, 0.6))), InputFile(str(deletion), "normal")],
                      normal_sample="ARGO-evo_normal", tumor_sample="ARGO-evo", build="GRCh38")
    assert r["loh"]["status"] == "loh"
    (v,) = [v for v in r["variants"] if v["copy_number"]]
    assert v["origin"] == "germline" and v["qualifying"]
    assert any(e.startswith("LOCUS_LOH_SECOND_HIT") for e in v["evidence"])


def test_the_refseq_sites_are_markers_only_where_the_normal_is_heterozygous(
        tmp_path: Path) -> None:
    """docs/men1-facts.md fact 1: most people are homozygous for the RefSeq allele at the two
    genome-versus-RefSeq sites (a homozygous call against the genome); only a heterozygous
    normal makes one a marker."""
    from .conftest import A541T

    his433 = 64805085
    ref = reference.sequence("GRCh38", his433, his433)
    t_alt = round(250 * tumour_baf(0.6, "deletion", alt_kept=False))
    extra = (
        mutect2(*A541T, Counts(125, 125), Counts(250 - t_alt, t_alt), filt="germline"),
        mutect2(his433, ref, other(ref), Counts(0, 120), Counts(0, 250), filt="germline"),
    )
    loh = classify_json([InputFile(str(pair(tmp_path, 0.6, extra=extra)))])["loh"]
    used = {m["pos"] for m in loh["markers"]}
    assert A541T[0] in used and his433 not in used
    assert loh["status"] == "loh" and len(used) == len(MARKER_POSITIONS) + 1
