from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from variant_calling import InputFile
from variant_calling.errors import BuildError, InputError, SampleRoleError
from variant_calling.rules import Rules

from .conftest import (
    A541T,
    CHR11_38,
    DEL4,
    GRCH37_SHIFT,
    PAIRED,
    Q265X,
    R532X,
    VUS,
    Counts,
    bgzip_index,
    deepvariant,
    freebayes,
    header_of,
    mutect2,
    strelka2,
)
from .conftest import (
    classify_json as classify,
)

HET = Counts(20, 20)
HOM = Counts(1, 39)
ABSENT = Counts(40, 0)
T_HET = Counts(30, 30)
T_LOH = Counts(8, 52)
T_SUB = Counts(30, 20)


def only(result: dict[str, Any]) -> dict[str, Any]:
    assert len(result["variants"]) == 1, result["variants"]
    return result["variants"][0]


# ------------------------------------------------------------------ every caller layout
@pytest.mark.parametrize("caller", sorted(PAIRED))
def test_paired_callers_germline_loh(make_vcf: Any, caller: str) -> None:
    p = make_vcf(caller, [PAIRED[caller](*R532X, HET, T_LOH)])
    r = classify([str(p)], build="GRCh38")
    v = only(r)
    assert v["origin"] == "germline_loh" and v["qualifying"]
    assert v["normal"] == {"depth": 40, "alt_reads": 20, "vaf": 0.5}
    assert v["tumor"]["alt_reads"] == 52
    assert r["men1_status"] == "germline" and r["qualifies"] is True


@pytest.mark.parametrize("caller", sorted(PAIRED))
def test_paired_callers_somatic(make_vcf: Any, caller: str) -> None:
    p = make_vcf(caller, [PAIRED[caller](*Q265X, ABSENT, T_SUB)])
    r = classify([str(p)], build="GRCh38")
    assert only(r)["origin"] == "somatic"
    assert r["men1_status"] == "somatic" and r["qualifies"]


# ------------------------------------------------------------------ every origin
@pytest.mark.parametrize(
    "normal,tumor,origin,qualifying",
    [
        (HET, T_HET, "germline", True),
        (HOM, Counts(0, 60), "germline", True),
        (HET, T_LOH, "germline_loh", True),
        (Counts(90, 10), Counts(90, 10), "germline_mosaic", False),
        (ABSENT, T_SUB, "somatic", True),
        (Counts(6, 0), T_SUB, "undetermined", True),
    ],
)
def test_origins(
    make_vcf: Any, normal: Counts, tumor: Counts, origin: str, qualifying: bool
) -> None:
    r = classify([str(make_vcf("mutect2", [mutect2(*R532X, normal, tumor)]))])
    v = only(r)
    assert (v["origin"], v["qualifying"]) == (origin, qualifying)
    if origin == "germline_mosaic":
        assert r["men1_status"] == "undetermined_origin"
        assert any("mosaic" in w for w in r["warnings"])
    if origin == "undetermined":
        assert r["men1_status"] == "undetermined_origin"


def test_tumour_only_is_undetermined_and_qualifies(make_vcf: Any) -> None:
    p = make_vcf("deepvariant", [deepvariant(*DEL4, T_SUB)])
    r = classify([InputFile(str(p), "tumor")], build="GRCh38")
    v = only(r)
    assert v["origin"] == "undetermined" and v["normal"] is None and v["qualifying"]
    assert r["normal_sample"] is None and r["tumor_sample"] == "NA12878"


def test_blood_only_germline(make_vcf: Any) -> None:
    p = make_vcf("freebayes", [freebayes(*R532X, HET)])
    r = classify([InputFile(str(p), "normal")], build="GRCh38")
    assert only(r)["origin"] == "germline" and r["men1_status"] == "germline"
    assert r["tumor_sample"] is None


def test_separate_normal_and_tumour_files(make_vcf: Any) -> None:
    n = make_vcf("deepvariant", [deepvariant(*R532X, HET)])
    t = make_vcf("freebayes", [freebayes(*R532X, T_LOH), freebayes(*Q265X, T_SUB)])
    r = classify([InputFile(str(n), "normal"), InputFile(str(t), "tumor")], build="GRCh38")
    by_pos = {v["pos"]: v for v in r["variants"]}
    assert by_pos[R532X[0]]["origin"] == "germline_loh"
    # Absent from a plain (non-g) normal VCF proves nothing about coverage.
    assert by_pos[Q265X[0]]["origin"] == "undetermined"
    assert r["men1_status"] == "germline"


def test_gvcf_normal_proves_absence(make_vcf: Any) -> None:
    block = (
        "chr11\t64801514\t.\tG\t<*>\t0\t.\tEND=64816294;MIN_DP=35\tGT:DP:MIN_DP\t0/0:36:35"
    )
    n = make_vcf("freebayes", [block], extra=(
        '##INFO=<ID=MIN_DP,Number=1,Type=Integer,Description="x">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="x">',
        '##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="x">',
    ))
    t = make_vcf("deepvariant", [deepvariant(*Q265X, T_SUB)])
    r = classify([InputFile(str(n), "normal"), InputFile(str(t), "tumor")], build="GRCh38")
    v = only(r)
    assert v["origin"] == "somatic" and v["normal"]["depth"] == 35
    assert r["coverage"]["covered"] is True


def test_gvcf_coverage_gap_reported(make_vcf: Any) -> None:
    extra = (
        '##INFO=<ID=MIN_DP,Number=1,Type=Integer,Description="x">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="x">',
        '##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="x">',
    )
    blocks = [
        "chr11\t64801514\t.\tG\t<*>\t0\t.\tEND=64807000;MIN_DP=35\tGT:DP:MIN_DP\t0/0:36:35",
        "chr11\t64807001\t.\tT\t<*>\t0\t.\tEND=64816294;MIN_DP=4\tGT:DP:MIN_DP\t0/0:5:4",
    ]
    n = make_vcf("freebayes", blocks, extra=extra)
    r = classify([InputFile(str(n), "normal")], build="GRCh38")
    assert r["men1_status"] == "none_detected"
    cov = r["coverage"]
    assert cov["covered"] is False
    assert any("exon 2" in g for g in cov["samples"]["1"]["uncovered"])
    assert any("NOT all covered" in w for w in r["warnings"])


# ------------------------------------------------------------------ one variant, two callers
def test_two_callers_two_representations_one_variant(make_vcf: Any) -> None:
    from .conftest import ref_at

    m = make_vcf("mutect2", [mutect2(*DEL4, ABSENT, T_SUB)])
    # Strelka writes the same deletion padded with two more reference bases on the right.
    ref = ref_at(DEL4[0], 7)
    s = make_vcf("strelka2", [strelka2(DEL4[0], ref, "T" + ref[5:], ABSENT, Counts(25, 30))])
    r = classify([str(m), str(s)])
    v = only(r)
    assert (v["pos"], v["ref"], v["alt"]) == DEL4
    assert v["callers"] == ["Mutect2", "Strelka2"]
    assert v["tumor"]["depth"] == 55  # the deeper of the two
    assert v["origin"] == "somatic"


# ------------------------------------------------------------------ classification and status
def test_refseq_mismatch_site_never_qualifies(make_vcf: Any) -> None:
    p = make_vcf("mutect2", [mutect2(*A541T, Counts(0, 40), Counts(0, 50), "germline")])
    r = classify([str(p)])
    v = only(r)
    assert not v["qualifying"] and v["classification"] in ("benign", "likely_benign")
    assert r["men1_status"] == "none_detected" and not r["qualifies"]


def test_vus_only(make_vcf: Any) -> None:
    r = classify([str(make_vcf("mutect2", [mutect2(*VUS, HET, T_HET)]))])
    assert only(r)["classification"] == "uncertain_significance"
    assert r["men1_status"] == "vus_only" and not r["qualifies"]


def test_none_detected_and_reference_calls_ignored(make_vcf: Any) -> None:
    r = classify([str(make_vcf("mutect2", [mutect2(*R532X, ABSENT, Counts(50, 0))]))])
    assert r["variants"] == [] and r["men1_status"] == "none_detected"
    assert any("no ALT support" in w for w in r["warnings"])


def test_germline_and_somatic(make_vcf: Any) -> None:
    p = make_vcf("mutect2", [mutect2(*R532X, HET, T_HET), mutect2(*DEL4, ABSENT, T_SUB)])
    assert classify([str(p)])["men1_status"] == "germline_and_somatic"


# ------------------------------------------------------------------ quality
def test_weak_evidence_disqualifies(make_vcf: Any) -> None:
    p = make_vcf("mutect2", [mutect2(*DEL4, ABSENT, T_SUB, "weak_evidence")])
    r = classify([str(p)])
    v = only(r)
    assert not v["qualifying"] and v["filters"] == ["weak_evidence"]
    assert any("QUALITY_FAIL" in e for e in v["evidence"])
    assert any("failed caller quality" in w for w in r["warnings"])


def test_mutect2_germline_filter_does_not_disqualify_a_carrier(make_vcf: Any) -> None:
    p = make_vcf("mutect2", [mutect2(*R532X, HET, T_HET, "germline;normal_artifact")])
    v = only(classify([str(p)]))
    assert v["qualifying"] and v["filters"] == ["germline", "normal_artifact"]
    assert "Mutect2:germline" in v["evidence"]


def test_normal_artifact_disqualifies_a_somatic_call(make_vcf: Any) -> None:
    p = make_vcf("mutect2", [mutect2(*DEL4, Counts(39, 1), T_SUB, "normal_artifact")])
    assert not only(classify([str(p)]))["qualifying"]


def test_rules_override_changes_decision(make_vcf: Any) -> None:
    p = make_vcf("mutect2", [mutect2(*DEL4, ABSENT, T_SUB)])
    strict = Rules.from_mapping({"min_normal_depth": 100})
    assert only(classify([str(p)], rules=strict))["origin"] == "undetermined"


# ------------------------------------------------------------------ roles
def _mutect1_pair(tmp_path: Path, command_line: bool = False) -> Path:
    # MuTect1 (jacquard) layout: numeric sample names. Its ##MuTect line records the roles
    # (normal_sample_name=25714 tumor_sample_name=25715); without it (as some pipelines strip
    # it), no role is left anywhere in the header.
    head = [ln for ln in header_of("mutect1_tumor_normal_jacquard.vcf")
            if command_line or not ln.startswith("##MuTect=")]
    rec = (
        f"chr11\t{R532X[0] - GRCH37_SHIFT}\t.\tG\tA\t.\tPASS\t.\tGT:AD:BQ:DP:FA\t"
        "0/1:20,20:.:40:0.5\t0/1:8,52:30:60:0.867"
    )
    p = tmp_path / "mutect1.vcf"
    p.write_text("\n".join([*head, rec]) + "\n")
    return p


def test_ambiguous_roles_name_the_samples(tmp_path: Path) -> None:
    with pytest.raises(SampleRoleError, match="25714, 25715"):
        classify([str(_mutect1_pair(tmp_path))])


def test_mutect1_roles_from_its_command_line(tmp_path: Path) -> None:
    r = classify([str(_mutect1_pair(tmp_path, command_line=True))])
    assert (r["normal_sample"], r["tumor_sample"]) == ("25714", "25715")
    assert r["inputs"][0]["caller"] == "MuTect1"
    assert only(r)["origin"] == "germline_loh"


def test_roles_from_user(tmp_path: Path) -> None:
    r = classify([str(_mutect1_pair(tmp_path))], normal_sample="25714", tumor_sample="25715")
    assert r["build"] == "GRCh37"
    v = only(r)
    assert v["origin"] == "germline_loh" and v["pos"] == R532X[0] - GRCH37_SHIFT


def test_named_sample_absent(make_vcf: Any) -> None:
    with pytest.raises(SampleRoleError, match="ARGO-evo_normal"):
        classify([str(make_vcf("mutect2", []))], normal_sample="BLOOD1")


def test_multisample_file_given_as_normal_needs_sample(tmp_path: Path) -> None:
    with pytest.raises(SampleRoleError, match="--normal-sample"):
        classify([InputFile(str(_mutect1_pair(tmp_path)), "normal")])


def test_single_sample_without_role(make_vcf: Any) -> None:
    with pytest.raises(SampleRoleError, match="NA12878"):
        classify([str(make_vcf("deepvariant", [deepvariant(*R532X, HET)]))], build="GRCh38")


# ------------------------------------------------------------------ build, naming, bad input
def test_grch37_and_input_contig_naming(tmp_path: Path) -> None:
    head = header_of("mutect1_normal_first_vcf2maf.vcf")
    rec = (
        f"11\t{R532X[0] - GRCH37_SHIFT}\t.\tG\tA\t.\tPASS\t.\tGT:AD:BQ:DP:FA\t"
        "0/0:40:.:40:0.0\t0/1:30,20:30:50:0.4"
    )
    p = tmp_path / "b37.vcf"
    p.write_text("\n".join([*head, rec]) + "\n")
    r = classify([str(p)])
    v = only(r)
    assert r["build"] == "GRCh37" and v["chrom"] == "11" and v["origin"] == "somatic"
    assert v["hgvs_c"].endswith("c.1579C>T")


def test_builds_differ_between_files(tmp_path: Path, make_vcf: Any) -> None:
    with pytest.raises(BuildError):
        classify([str(make_vcf("mutect2", [])), str(_mutect1_pair(tmp_path))],
                 normal_sample="25714", tumor_sample="25715")


def test_ref_mismatch_is_input_error(make_vcf: Any) -> None:
    p = make_vcf("mutect2", [mutect2(R532X[0], "C", "A", HET, T_HET)])
    with pytest.raises(InputError, match="does not match"):
        classify([str(p)])


def test_indexed_input(make_vcf: Any) -> None:
    gz = bgzip_index(make_vcf("mutect2", [mutect2(*R532X, HET, T_LOH)]))
    assert only(classify([str(gz)]))["origin"] == "germline_loh"


# ------------------------------------------------------------------ knowledge
def test_user_clinvar_replaces_shipped_table(make_vcf: Any) -> None:
    clinvar = resources.files("variant_calling").joinpath(
        "data", "clinvar_MEN1_GRCh38_2021-01_partial.vcf"
    )
    p = make_vcf("mutect2", [mutect2(*R532X, HET, T_LOH)])
    shipped = classify([str(p)])["known_variants_version"]
    user = classify([str(p)], clinvar=str(clinvar))["known_variants_version"]
    assert shipped and user and user != shipped


def test_vep_csq_disagreement_warns(make_vcf: Any) -> None:
    csq = (
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
        'Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|gnomAD_AF">'
    )
    rec = mutect2(*R532X, HET, T_HET).replace("TLOD=40.2", "TLOD=40.2;CSQ=A|missense_variant|"
                                              "MODERATE|MEN1|0.00001")
    r = classify([str(make_vcf("mutect2", [rec], extra=(csq,)))])
    assert any("disagrees" in w and "missense_variant" in w for w in r["warnings"])
    assert only(r)["population_af"] == pytest.approx(1e-5)


def test_result_contract_keys(make_vcf: Any) -> None:
    r = classify([str(make_vcf("mutect2", [mutect2(*R532X, HET, T_LOH)]))])
    for key in ("build", "transcript", "normal_sample", "tumor_sample", "men1_status",
                "qualifies", "warnings", "known_variants_version", "variants",
                "engine_version", "coverage"):
        assert key in r
    assert r["transcript"] == "NM_001370259.2"
    v = only(r)
    for key in ("chrom", "pos", "ref", "alt", "hgvs_c", "hgvs_p", "consequence", "origin",
                "classification", "qualifying", "normal", "tumor", "filters", "evidence"):
        assert key in v
    assert CHR11_38  # the helper header line is importable for other modules


def test_snpeff_ann_agreement_is_silent_and_disagreement_warns(make_vcf: Any) -> None:
    ann = (
        '##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '
        "'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID' \">"
    )
    agree = mutect2(*R532X, HET, T_HET).replace("TLOD=40.2", "TLOD=40.2;ANN=A|stop_gained|HIGH|"
                                                "MEN1|4221")
    r = classify([str(make_vcf("mutect2", [agree], extra=(ann,)))])
    assert not any("disagrees" in w for w in r["warnings"])
    other = agree.replace("stop_gained", "synonymous_variant")
    r = classify([str(make_vcf("mutect2", [other], extra=(ann,)))])
    assert any("disagrees" in w and "synonymous_variant" in w for w in r["warnings"])


def test_mutect2_germline_filter_never_disqualifies(make_vcf: Any) -> None:
    # Tumour-only Mutect2 marks a carrier "germline" from population data; no normal to judge.
    rec = mutect2(*R532X, HET, T_HET, "germline")
    fields = rec.split("\t")
    head = [ln.replace("\tARGO-evo\tARGO-evo_normal", "\tARGO-evo")
            for ln in header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf")
            if not ln.startswith("##normal_sample")]
    p = make_vcf("mutect2", [])
    p.write_text("\n".join([*head, "\t".join(fields[:10])]) + "\n")
    r = classify([str(p)])
    v = only(r)
    assert v["origin"] == "undetermined" and v["qualifying"]
    assert r["men1_status"] == "undetermined_origin" and r["normal_sample"] is None


def test_gvcf_variant_site_counts_as_covered(make_vcf: Any) -> None:
    extra = (
        '##INFO=<ID=MIN_DP,Number=1,Type=Integer,Description="x">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="x">',
        '##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="x">',
    )
    pos = R532X[0]
    recs = [
        f"chr11\t64801514\t.\tG\t<*>\t0\t.\tEND={pos - 1};MIN_DP=35\tGT:DP:MIN_DP\t0/0:36:35",
        freebayes(*R532X, Counts(20, 20)),
        f"chr11\t{pos + 1}\t.\tG\t<*>\t0\t.\tEND=64816294;MIN_DP=35\tGT:DP:MIN_DP\t0/0:36:35",
    ]
    r = classify([InputFile(str(make_vcf("freebayes", recs, extra=extra)), "normal")],
                 build="GRCh38")
    assert r["coverage"]["covered"] is True, r["coverage"]
    assert only(r)["origin"] == "germline"


def test_strelka_snv_and_indel_files_together(make_vcf: Any) -> None:
    snv = make_vcf("strelka2", [strelka2(*R532X, HET, T_LOH)])
    indel = make_vcf("strelka2", [strelka2(*DEL4, ABSENT, T_SUB)])
    r = classify([str(snv), str(indel)])
    assert [v["origin"] for v in r["variants"]] == ["germline_loh", "somatic"]
    assert r["men1_status"] == "germline_and_somatic"
    assert any(e == "Strelka2:NT=het" for e in r["variants"][0]["evidence"])


def test_varscan2_indel_counts(make_vcf: Any) -> None:
    from .conftest import varscan2

    r = classify([str(make_vcf("varscan2", [varscan2(*DEL4, ABSENT, T_SUB)]))])
    v = only(r)
    assert v["tumor"] == {"depth": 50, "alt_reads": 20, "vaf": 0.4}
    assert "VarScan2:SS=2(somatic)" in v["evidence"]
