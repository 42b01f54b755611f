"""Caller layouts from the wild (issue 14, item 6): each test reads a real caller file from a
public project's test data (tests/data/SOURCES.md), or puts a MEN1 record in that file's own
layout under its real header, and checks what the engine makes of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from variant_calling import InputFile
from variant_calling.cli import main
from variant_calling.errors import InputError, SampleRoleError
from variant_calling.reader import read_vcf

from .conftest import CHR11_38, DATA, GRCH37_SHIFT, R532X, header_of
from .conftest import classify_json as classify

GATK3 = "mutect2_gatk3.5_tumor_normal_mupexi.vcf"
GATK40_TN = "mutect2_gatk4.0.5.2_tumor_normal_somaticseq.vcf"
GATK40_TO = "mutect2_gatk4.0.5.2_tumor_only_somaticseq.vcf"
GATK41_RESOURCE = "mutect2_gatk4.1_germline_resource_gatk.vcf"
MITO_TO = "mutect2_mitochondria_tumor_only_gatk.vcf"
SNIPER = "somaticsniper_1.0.5_fpfilter_vcf2maf.vcf"
ARGO = "mutect2_gatk4_filtered_tumor_normal_argo.vcf"
POS37 = R532X[0] - GRCH37_SHIFT  # c.1579C>T p.(Arg527*), pathogenic, on GRCh37


def with_header(tmp_path: Path, real: str, records: list[str], extra: tuple[str, ...] = (),
                drop: str | None = None) -> Path:
    head = [ln for ln in header_of(real, extra) if drop is None or not ln.startswith(drop)]
    p = tmp_path / f"men1_{real}"
    p.write_text("\n".join([*head, *records]) + "\n")
    return p


def only(result: dict[str, Any]) -> dict[str, Any]:
    (v,) = result["variants"]
    return v


# ------------------------------------------------------------------ detection
@pytest.mark.parametrize(
    "name,caller",
    [
        (GATK3, "GATK3 MuTect2"),
        (GATK40_TN, "Mutect2"),
        (GATK40_TO, "Mutect2 tumour-only"),
        (GATK41_RESOURCE, "Mutect2"),
        (MITO_TO, "Mutect2 tumour-only"),
        (ARGO, "Mutect2"),
        ("mutect1_tumor_normal_jacquard.vcf", "MuTect1"),
        ("mutect1_normal_first_vcf2maf.vcf", "MuTect1"),
        (SNIPER, "SomaticSniper"),
        ("strelka1_somatic_snvs_jacquard.vcf", "Strelka"),
        ("strelka2_2.9.10_somatic_snv_indel_argo.vcf", "Strelka2"),
        ("muse_tumor_normal_argo.vcf", "MuSE"),
        ("varscan2_somatic_snp_jacquard.vcf", "VarScan2"),
        ("vardict_1.8.1_paired_subset.vcf", "VarDict"),
        ("lofreq_somatic_argo.vcf", "LoFreq"),
        ("deepvariant_1.5.0_golden_single_sample.vcf", "DeepVariant"),
        ("freebayes_1.3.10_gvcf.vcf", "FreeBayes"),
        ("bcftools_call_multisample_3samples.vcf", "bcftools"),
    ],
)
def test_caller_detected_from_its_own_header(name: str, caller: str) -> None:
    assert read_vcf(DATA / name, whole_file=True).caller == caller


def test_every_real_file_has_a_named_caller() -> None:
    generic = [p.name for p in sorted(DATA.glob("*.vcf"))
               if read_vcf(p, whole_file=True).caller == "generic"]
    assert generic == []


# ------------------------------------------------------------------ GATK3 MuTect2
def _gatk3(pos: int, filt: str, normal: str, tumor: str) -> str:
    # Columns TUMOR then NORMAL, FORMAT as MuTect2 3.5 writes it (GT:AD:AF ...).
    return (f"chr11\t{pos}\t.\tG\tA\t.\t{filt}\tECNT=1;HCNT=1;MAX_ED=.;MIN_ED=.;NLOD=1.37;"
            f"TLOD=39.28\tGT:AD:AF\t{tumor}\t{normal}")


def test_gatk3_mutect2_real_file_roles_and_counts() -> None:
    d = read_vcf(DATA / GATK3, whole_file=True)
    assert d.header_roles == {"TUMOR": "tumor", "NORMAL": "normal"}
    assert d.declared_roles["NORMAL"] == ("normal", "##SAMPLE=<ID=NORMAL,SampleName=_N>")
    c = next(x for x in d.calls if x.pos == 1495725)  # alt_allele_in_normal;...;germline_risk
    assert c.filters == ("alt_allele_in_normal", "clustered_events", "germline_risk")
    assert (c.samples["TUMOR"].alt_reads, c.samples["TUMOR"].depth) == (7, 71)
    assert (c.samples["NORMAL"].alt_reads, c.samples["NORMAL"].depth) == (2, 33)
    assert "GATK3 MuTect2:alt_allele_in_normal" in c.verdicts


def test_gatk3_filters_do_not_lose_a_germline_carrier(tmp_path: Path) -> None:
    rec = _gatk3(R532X[0], "alt_allele_in_normal;germline_risk", "0/1:20,20:0.500",
                 "0/1:8,52:0.867")
    r = classify([str(with_header(tmp_path, GATK3, [rec]))])
    v = only(r)
    assert v["origin"] == "germline_loh" and v["quality_pass"] and v["qualifying"]
    assert r["men1_status"] == "germline"


def test_gatk3_alt_allele_in_normal_still_fails_a_somatic_call(tmp_path: Path) -> None:
    # The filter excuses a variant the engine finds germline, nothing else.
    rec = _gatk3(R532X[0], "alt_allele_in_normal", "0/0:40,0:0.00", "0/1:30,20:0.400")
    v = only(classify([str(with_header(tmp_path, GATK3, [rec]))]))
    assert v["origin"] == "somatic" and not v["quality_pass"] and not v["qualifying"]


# ------------------------------------------------------------------ GATK 4.0 Mutect2
def _gatk40(pos: int, filt: str, normal: str, tumor: str, pop_af: str = "1.000e-05") -> str:
    return (f"chr11\t{pos}\t.\tG\tA\t.\t{filt}\tDP=100;ECNT=1;NLOD=1.5;N_ART_LOD=-1.4;"
            f"POP_AF={pop_af};P_CONTAM=0.00;P_GERMLINE=-1.1;TLOD=93.27\tGT:AD:AF\t{normal}\t"
            f"{tumor}")


@pytest.mark.parametrize("filt", ["germline_risk", "artifact_in_normal",
                                  "germline_risk;artifact_in_normal"])
def test_gatk40_filters_do_not_lose_a_germline_carrier(tmp_path: Path, filt: str) -> None:
    rec = _gatk40(R532X[0], filt, "0/1:20,20:0.500", "0/1:8,52:0.867")
    r = classify([str(with_header(tmp_path, GATK40_TN, [rec], extra=(CHR11_38,)))],
                 build="GRCh38")
    v = only(r)
    assert v["origin"] == "germline_loh" and v["qualifying"], v["evidence"]
    assert r["men1_status"] == "germline"


def test_gatk40_pop_af_without_resource_is_not_evidence(tmp_path: Path) -> None:
    rec = _gatk40(R532X[0], "PASS", "0/0:40,0:0.020", "0/1:30,20:0.400")
    p = with_header(tmp_path, GATK40_TN, [rec], extra=(CHR11_38,))
    (c,) = read_vcf(p, build="GRCh38").calls
    assert c.population is None
    r = classify([str(p)], build="GRCh38")
    assert only(r)["population_af"] is None
    assert any("POP_AF ignored: no --germline-resource" in w for w in r["warnings"])


def _gatk40_with_resource(tmp_path: Path, records: list[str]) -> Path:
    p = with_header(tmp_path, GATK40_TN, records, extra=(CHR11_38,))
    p.write_text(p.read_text().replace(
        "Mutect2  --tumor-sample TUMOR",
        "Mutect2  --germline-resource af-only-gnomad.raw.sites.vcf.gz --tumor-sample TUMOR"))
    return p


def test_gatk40_pop_af_default_with_a_resource_means_absent(tmp_path: Path) -> None:
    # The real 4.0.5.2 tumour-normal run (default --af-of-alleles-not-in-resource -1) wrote
    # POP_AF=1.000e-05 on every record: its value for an allele the resource lacks. Read as a
    # frequency it would be BS1 (> 3.3e-6) and a novel null variant uncertain.
    real = read_vcf(DATA / GATK40_TN, whole_file=True)
    assert {c.population for c in real.calls} == {None}  # no resource in the real run
    rec = _gatk40(R532X[0], "PASS", "0/0:40,0:0.020", "0/1:28,12:0.300", pop_af="1.000e-05")
    p = _gatk40_with_resource(tmp_path, [rec])
    (c,) = read_vcf(p, build="GRCh38").calls
    assert c.population is not None and c.population.absent and c.population.af == 0.0
    assert "POP_AF=1e-05 (absent from af-only-gnomad.raw.sites.vcf.gz)" in c.population.source
    v = only(classify([str(p)], build="GRCh38", clinvar=str(_empty_clinvar(tmp_path))))
    assert (v["classification"], v["points"]) == ("likely_pathogenic", 9), v["evidence"]
    assert v["oncogenicity"]["tier"] == "likely_oncogenic" and v["qualifying"]


def test_gatk40_pop_af_is_a_fraction(tmp_path: Path) -> None:
    rec = _gatk40(R532X[0], "PASS", "0/0:40,0:0.020", "0/1:28,12:0.300", pop_af="2.000e-04")
    (c,) = read_vcf(_gatk40_with_resource(tmp_path, [rec]), build="GRCh38").calls
    assert c.population is not None and not c.population.absent
    assert c.population.af == pytest.approx(2e-4)  # the frequency itself, not -log10


def _empty_clinvar(tmp_path: Path) -> Path:
    src = Path(__file__).resolve().parents[2] / "variant_calling" / "data" / (
        "clinvar_MEN1_GRCh38_2021-01_partial.vcf")
    out = tmp_path / "clinvar_empty.vcf"
    out.write_text("\n".join(ln for ln in src.read_text().splitlines()
                             if ln.startswith("#")) + "\n")
    return out


# ------------------------------------------------------------------ tumour-only Mutect2
@pytest.mark.parametrize("real", [GATK40_TO, MITO_TO])
def test_tumour_only_mutect2_sample_is_the_tumour(tmp_path: Path, real: str) -> None:
    sample = header_of(real)[-1].split("\t")[-1]
    rec = (f"chr11\t{R532X[0]}\t.\tG\tA\t.\tPASS\tDP=60;ECNT=1;POP_AF=5.000e-08;TLOD=90.1\t"
           "GT:AD:AF\t0/1:30,20:0.400")
    r = classify([str(with_header(tmp_path, real, [rec], extra=(CHR11_38,)))], build="GRCh38")
    assert r["tumor_sample"] == sample and r["normal_sample"] is None
    assert r["inputs"][0]["caller"] == "Mutect2 tumour-only"
    v = only(r)
    assert v["origin"] == "undetermined" and v["tumor"]["alt_reads"] == 20 and v["qualifying"]


# ------------------------------------------------------------------ SomaticSniper
def test_somaticsniper_real_file_counts_from_bcount_and_dp4() -> None:
    d = read_vcf(DATA / SNIPER, whole_file=True)
    first = d.calls[0]  # C>G; NORMAL BCOUNT 0,10,0,0; TUMOR DP=7, BCOUNT 0,3,4,0, DP4 0,3,0,4
    assert (first.samples["NORMAL"].depth, first.samples["NORMAL"].alt_reads) == (10, 0)
    assert (first.samples["TUMOR"].depth, first.samples["TUMOR"].alt_reads) == (7, 4)
    assert "SomaticSniper:TUMOR:SS=2" in first.verdicts
    # Every somatic call in the file has its ALT reads (before this, none had any).
    assert all((c.samples["TUMOR"].alt_reads or 0) > 0 for c in d.calls)


def test_somaticsniper_men1_call_is_read_and_qualifies(tmp_path: Path) -> None:
    rec = (f"11\t{POS37}\t.\tG\tA\t.\tPASS\t.\tGT:IGT:DP:DP4:BCOUNT:GQ:JGQ:VAQ:BQ:GMQ:AMQ:SS:SSC"
           "\t0/0:0/0:40:20,20,0,0:0,0,40,0:77:47:0:36:53:55:0:.\t"
           "0/1:0/1:50:15,15,10,10:20,0,30,0:40:47:40:36,30:40:46,26:2:47")
    r = classify([str(with_header(tmp_path, SNIPER, [rec]))], build="GRCh37")
    v = only(r)
    assert v["tumor"] == {"depth": 50, "alt_reads": 20, "vaf": 0.4}
    assert v["normal"]["alt_reads"] == 0 and v["origin"] == "somatic" and v["qualifying"]
    assert r["men1_status"] == "somatic"


def test_dp4_only_when_bcount_absent(tmp_path: Path) -> None:
    rec = (f"11\t{POS37}\t.\tG\tA\t.\tPASS\t.\tGT:DP:DP4:SS\t0/0:40:20,20,0,0:0\t"
           "0/1:50:15,15,10,10:2")
    (c,) = read_vcf(with_header(tmp_path, SNIPER, [rec]), build="GRCh37").calls
    assert (c.samples["TUMOR"].alt_reads, c.samples["TUMOR"].depth) == (20, 50)


# ------------------------------------------------------------------ MuTect1
def test_mutect1_roles_from_its_recorded_arguments() -> None:
    d = read_vcf(DATA / "mutect1_tumor_normal_jacquard.vcf", whole_file=True)
    assert d.header_roles == {"25714": "normal", "25715": "tumor"}


# ------------------------------------------------------------------ population frequency
def _m41(pos: int, popaf: str) -> str:
    # GATK 4.1 Mutect2 layout (tumour SM-612V3 first, then normal SM-612V6), on GRCh37.
    return (f"11\t{pos}\t.\tG\tA\t.\t.\tDP=100;ECNT=1;NALOD=1.49;NLOD=8.98;POPAF={popaf};"
            "TLOD=30.3\tGT:AD:AF:DP\t0/1:8,52:0.860:60\t0/1:20,20:0.500:40")


def test_popaf_default_with_germline_resource_means_absent(tmp_path: Path) -> None:
    real = read_vcf(DATA / GATK41_RESOURCE, whole_file=True)
    absent = [c for c in real.calls if c.population is not None and c.population.absent]
    present = [c for c in real.calls if c.population is not None and not c.population.absent]
    assert absent and present  # POPAF=6.00 and e.g. POPAF=2.79 in the same run
    assert all(c.population.af == 0.0 for c in absent if c.population)
    two79 = next(c for c in present if c.population and "2.79" in c.population.source)
    assert two79.population is not None and two79.population.af == pytest.approx(10 ** -2.79)
    (c,) = read_vcf(with_header(tmp_path, GATK41_RESOURCE, [_m41(POS37, "6.00")])).calls
    assert c.population is not None and c.population.absent
    assert "af-only-gnomad.raw.sites.vcf" in c.population.source


def test_popaf_without_germline_resource_is_ignored(tmp_path: Path) -> None:
    p = with_header(tmp_path, GATK41_RESOURCE, [_m41(POS37, "6.00")])
    p.write_text(p.read_text().replace(
        "--germline-resource gs://gatk-best-practices/somatic-b37/af-only-gnomad.raw.sites.vcf ",
        ""))
    d = read_vcf(p)
    assert d.calls[0].population is None
    assert any("POPAF ignored: no --germline-resource in ##GATKCommandLine" in w
               for w in d.warnings)


def test_tumour_only_default_is_7_30(tmp_path: Path) -> None:
    # The same real run made tumour-only: its default for an absent allele is 5e-8 (7.30),
    # and 6.00 is then a real (if tiny) frequency.
    p = with_header(tmp_path, GATK41_RESOURCE, [_m41(POS37, "7.30"), _m41(POS37 + 1, "6.00")],
                    drop="##normal_sample")
    p.write_text(p.read_text().replace("--normal-sample SM-612V6 ", ""))
    first, second = read_vcf(p).calls
    assert first.population is not None and first.population.absent
    assert second.population is not None and not second.population.absent
    assert second.population.af == pytest.approx(1e-6)


def test_zero_default_af_is_read_not_refused(tmp_path: Path) -> None:
    # --af-of-alleles-not-in-resource 0 (the GATK forum's advice for tumour-only runs): an
    # absent allele's POPAF is then infinite, and no value is log10(0).
    p = with_header(tmp_path, GATK41_RESOURCE, [_m41(POS37, "6.00"), _m41(POS37 + 1, "inf")])
    p.write_text(p.read_text().replace("--af-of-alleles-not-in-resource -1.0",
                                       "--af-of-alleles-not-in-resource 0.0"))
    six, inf = read_vcf(p).calls
    assert six.population is not None and six.population.af == pytest.approx(1e-6)
    assert inf.population is not None and inf.population.af == 0.0


def test_gnomad_fields_faf_and_ac_an(tmp_path: Path) -> None:
    extra = tuple(
        f'##INFO=<ID={k},Number=A,Type={t},Description="gnomAD {k}">'
        for k, t in (("gnomAD_AF", "Float"), ("gnomAD_AC", "Integer"), ("gnomAD_AN", "Integer"),
                     ("faf95_popmax", "Float"))
    )
    def rec(info: str, pos: int = R532X[0]) -> str:
        return (f"chr11\t{pos}\t.\tG\tA\t.\tPASS\tDP=100;POPAF=6.00;{info}\tGT:AD:AF:DP\t"
                "0/1:8,52:0.860:60\t0/1:20,20:0.500:40")

    p = with_header(tmp_path, ARGO, [rec("gnomAD_AF=0.0002;gnomAD_AC=50;gnomAD_AN=250000")],
                    extra=extra)
    (c,) = read_vcf(p).calls
    pf = c.population
    assert pf is not None and pf.af == pytest.approx(0.0002) and not pf.absent
    assert (pf.ac, pf.an) == (50, 250000)
    # No FAF field: computed from AC/AN (the 95 % lower Poisson bound on 50, over AN).
    assert pf.faf95 is not None and 0.00012 < pf.faf95 < 0.0002
    assert "INFO/gnomAD_AC" in pf.source and "INFO/gnomAD_AF" in pf.source
    # POPAF=6.00 (absent from the resource) does not make a gnomAD carrier absent.
    assert "INFO/POPAF=6.00" in pf.source
    p = with_header(tmp_path, ARGO, [rec("gnomAD_AF=0.0002;faf95_popmax=0.0007")], extra=extra)
    pf = read_vcf(p).calls[0].population
    assert pf is not None and pf.faf95 == pytest.approx(0.0007)
    assert pf.source.startswith("INFO/faf95_popmax")


# ------------------------------------------------------------------ roles declared by the header
def test_sample_naming_contradicting_the_header_is_an_error(tmp_path: Path) -> None:
    p = with_header(tmp_path, ARGO, [])
    with pytest.raises(SampleRoleError) as ei:
        classify([str(p)], normal_sample="ARGO-evo")
    msg = str(ei.value)
    assert "--normal-sample ARGO-evo" in msg and "##tumor_sample=ARGO-evo" in msg
    with pytest.raises(SampleRoleError, match="##normal_sample=ARGO-evo_normal"):
        classify([str(p)], tumor_sample="ARGO-evo_normal")
    # Naming what the header says is fine.
    r = classify([str(p)], normal_sample="ARGO-evo_normal", tumor_sample="ARGO-evo")
    assert r["normal_sample"] == "ARGO-evo_normal"


def test_gatk3_sample_lines_are_declarations_too(tmp_path: Path) -> None:
    with pytest.raises(SampleRoleError, match="##SAMPLE=<ID=TUMOR"):
        classify([str(with_header(tmp_path, GATK3, []))], normal_sample="TUMOR")


def test_contradiction_exit_3_names_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    p = with_header(tmp_path, ARGO, [])
    rc = main(["classify", str(p), "--tumor-sample", "ARGO-evo_normal"])
    err = capsys.readouterr().err
    assert rc == 3 and "--tumor-sample ARGO-evo_normal" in err
    assert "##normal_sample=ARGO-evo_normal" in err


# ------------------------------------------------------------------ untidy real headers
def test_no_call_normal_is_not_evidence(tmp_path: Path) -> None:
    # GT and AD missing, Mutect2's model AF and DP present: no ALT reads may be derived.
    rec = (f"chr11\t{R532X[0]}\t.\tG\tA\t.\tPASS\tDP=100;ECNT=1;POPAF=6.00;TLOD=40.2\t"
           "GT:AD:AF:DP\t0/1:8,52:0.867:60\t./.:.:0.501:40")
    p = with_header(tmp_path, ARGO, [rec])
    (c,) = read_vcf(p).calls
    n = c.samples["ARGO-evo_normal"]
    assert (n.alt_reads, n.vaf, n.genotype) == (None, None, "./.")
    r = classify([str(p)])
    v = only(r)
    assert v["origin"] == "undetermined" and r["men1_status"] != "germline"
    assert any(e.startswith("ORIGIN_NORMAL_NO_READ_COUNTS") for e in v["evidence"])


def test_space_separated_line_is_refused_with_its_line(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    rec = (f"chr11 {R532X[0]} . G A . PASS DP=100;POPAF=6.00 GT:AD:AF:DP 0/1:8,52:0.867:60 "
           "0/1:20,20:0.500:40")
    p = with_header(tmp_path, ARGO, [rec])
    line = len(p.read_text().splitlines())
    rc = main(["classify", str(p)])
    err = capsys.readouterr().err
    assert rc == 3 and f"line {line}" in err and "spaces, not tabs" in err


def test_undeclared_chr11_exits_3_not_asking_for_a_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real GATK mitochondria file declares chrM only.
    rec = f"chr11\t{R532X[0]}\t.\tG\tA\t.\t.\tDP=60;TLOD=9.1\tGT:AD:AF\t0/1:30,20:0.400"
    p = with_header(tmp_path, MITO_TO, [rec])
    rc = main(["classify", str(p)])
    err = capsys.readouterr().err
    assert rc == 3 and "'chr11' is used but not declared" in err and "field CHROM" in err


def test_pos_beyond_contig_length(tmp_path: Path) -> None:
    rec = (f"chr11\t{R532X[0]}\t.\tG\tA\t.\tPASS\tDP=100;POPAF=6.00\tGT:AD:AF:DP\t"
           "0/1:8,52:0.867:60\t0/1:20,20:0.500:40")
    p = with_header(tmp_path, ARGO, [rec])
    p.write_text(p.read_text().replace("##contig=<ID=chr11,length=135086622>",
                                       "##contig=<ID=chr11,length=64804000>"))
    with pytest.raises(InputError) as ei:
        read_vcf(p, build="GRCh38")
    assert ei.value.field == "POS" and "beyond the end of chr11" in str(ei.value)
    assert "64804000" in str(ei.value)


def test_undeclared_format_fields_are_read_or_named(tmp_path: Path) -> None:
    # No FORMAT lines at all (the real ARGO header without them): htslib hands AD over as text.
    rec = (f"chr11\t{R532X[0]}\t.\tG\tA\t.\tPASS\tDP=100\tGT:AD\t0/1:8,52\t0/1:20,20")
    p = with_header(tmp_path, ARGO, [rec], drop="##FORMAT")
    (c,) = read_vcf(p).calls
    assert (c.samples["ARGO-evo_normal"].alt_reads, c.samples["ARGO-evo_normal"].depth) == (20, 40)
    bad = with_header(tmp_path, ARGO, [rec.replace("0/1:20,20", "0/1:20,x")], drop="##FORMAT")
    with pytest.raises(InputError) as ei:
        read_vcf(bad)
    e = ei.value
    assert e.field == "AD" and e.line is not None
    assert "FORMAT AD is not declared in the header" in str(e) and "'x'" in str(e)


def test_undeclared_info_fields_are_read_and_named(tmp_path: Path) -> None:
    # The real ARGO header without its INFO lines: htslib hands DP, POPAF, ... over as text.
    rec = (f"chr11\t{R532X[0]}\t.\tG\tA\t.\tPASS\tDP=100;ECNT=1;POPAF=6.00;TLOD=40.2\t"
           "GT:AD:AF:DP\t0/1:8,52:0.867:60\t0/1:20,20:0.500:40")
    p = with_header(tmp_path, ARGO, [rec], drop="##INFO")
    r = classify([str(p)])
    v = only(r)
    assert v["origin"] == "germline_loh" and v["qualifying"]
    assert v["population"]["absent"] is True  # POPAF read from its text
    assert any("INFO 'POPAF' at chr11:" in w and "not defined in the header" in w
               for w in r["warnings"])
    # Text that is not a number is no evidence, and the warning says which field and where.
    bad = with_header(tmp_path, ARGO, [rec.replace("POPAF=6.00", "POPAF=six")], drop="##INFO")
    line = len(bad.read_text().splitlines())
    r = classify([str(bad)])
    v = only(r)
    assert v["population"] is None and v["qualifying"]
    assert any(e.startswith("PM2_not_assessed") for e in v["evidence"])
    assert any(f"line {line}: INFO/POPAF='six' is not a number (INFO POPAF is not declared "
               "in the header): population frequency not read from it" in w
               for w in r["warnings"])


def test_unreadable_gnomad_value_is_named(tmp_path: Path) -> None:
    extra = ('##INFO=<ID=gnomAD_AF,Number=A,Type=String,Description="gnomAD AF as text">',)
    rec = (f"chr11\t{R532X[0]}\t.\tG\tA\t.\tPASS\tDP=100;gnomAD_AF=n/a\t"
           "GT:AD:AF:DP\t0/1:28,12:0.300:40\t0/0:40,0:0.000:40")
    r = classify([str(with_header(tmp_path, ARGO, [rec], extra=extra))])
    v = only(r)
    assert v["origin"] == "somatic" and v["population"] is None
    assert any("INFO/gnomAD_AF='n/a' is not a number: population frequency not read" in w
               for w in r["warnings"])


# ------------------------------------------------------------------ --rules
@pytest.mark.parametrize(
    "rules,needle",
    [
        ({"min_normal_depth": "15"}, "rule min_normal_depth must be a whole number, not '15'"),
        ({"het_min_vaf": 30}, "rule het_min_vaf must be between 0 and 1"),
        ({"neutral_filters": "germline"}, "rule neutral_filters must be a list"),
        (["min_normal_depth", 15], "rules must be a JSON object"),
    ],
)
def test_bad_rules_value_says_what_and_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rules: Any, needle: str
) -> None:
    f = tmp_path / "site-rules.json"
    f.write_text(json.dumps(rules))
    rc = main(["classify", str(with_header(tmp_path, ARGO, [])), "--rules", str(f)])
    err = capsys.readouterr().err
    assert rc == 2 and needle in err and str(f) in err and "internal error" not in err


# ------------------------------------------------------------------ not covered
def test_header_without_records_is_not_covered(tmp_path: Path) -> None:
    r = classify([str(with_header(tmp_path, ARGO, []))])
    assert r["men1_status"] == "not_covered" and not r["qualifies"]
    assert any("MEN1 not covered" in w for w in r["warnings"])


def test_records_elsewhere_only_is_not_covered() -> None:
    r = classify([str(DATA / ARGO)])  # a real run: records on other chromosomes only
    assert r["men1_status"] == "not_covered"


def test_gvcf_without_blocks_over_men1_is_not_covered(tmp_path: Path) -> None:
    # The real FreeBayes gVCF header with a block on chr11 that ends before MEN1.
    extra = (CHR11_38, '##INFO=<ID=MIN_DP,Number=1,Type=Integer,Description="x">')
    block = "chr11\t64700000\t.\tA\t<*>\t0\t.\tEND=64790000;MIN_DP=30\tGT:DP:MIN_DP\t0/0:31:30"
    r = classify([InputFile(str(with_header(tmp_path, "freebayes_1.3.10_gvcf.vcf", [block],
                                            extra=extra)), "normal")], build="GRCh38")
    assert r["men1_status"] == "not_covered"
    low = block.replace("64700000", "64801000").replace("64790000", "64816294").replace(
        "MIN_DP=30", "MIN_DP=5").replace("0/0:31:30", "0/0:6:5")
    r = classify([InputFile(str(with_header(tmp_path, "freebayes_1.3.10_gvcf.vcf", [low],
                                            extra=extra)), "normal")], build="GRCh38")
    assert r["men1_status"] == "not_covered" and r["coverage"]["covered"] is False


def test_covered_gvcf_stays_none_detected(tmp_path: Path) -> None:
    extra = (CHR11_38, '##INFO=<ID=MIN_DP,Number=1,Type=Integer,Description="x">')
    block = "chr11\t64801514\t.\tG\t<*>\t0\t.\tEND=64816294;MIN_DP=35\tGT:DP:MIN_DP\t0/0:36:35"
    r = classify([InputFile(str(with_header(tmp_path, "freebayes_1.3.10_gvcf.vcf", [block],
                                            extra=extra)), "normal")], build="GRCh38")
    assert r["men1_status"] == "none_detected" and r["coverage"]["covered"] is True
