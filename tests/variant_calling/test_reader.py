from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from variant_calling.errors import BuildError, InputError, UsageError
from variant_calling.reader import read_vcf

from .conftest import (
    CHR11_38,
    DEL4,
    R532X,
    REAL_VCFS,
    Counts,
    bgzip_index,
    deepvariant,
    freebayes,
    header_of,
    muse,
    mutect2,
    strelka2,
    vardict,
    varscan2,
    write_vcf,
)

N_HET = Counts(20, 20)
T_LOH = Counts(8, 52)


# ------------------------------------------------------------------ every real file reads
@pytest.mark.parametrize("path", REAL_VCFS, ids=lambda p: p.name)
def test_every_reference_file_reads(path: Path) -> None:
    data = read_vcf(path, whole_file=True)
    records = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    assert data.calls or data.blocks
    assert len(data.calls) + len(data.blocks) >= len(records) * 0.9
    for call in data.calls:
        for ev in call.samples.values():
            assert ev.depth is None or ev.depth >= 0
            assert ev.vaf is None or 0.0 <= ev.vaf <= 1.0


@pytest.mark.parametrize("path", REAL_VCFS, ids=lambda p: p.name)
def test_every_reference_file_reads_men1_window(path: Path) -> None:
    try:
        data = read_vcf(path)
    except UsageError:  # no build in the header
        data = read_vcf(path, build="GRCh38")
    assert data.calls == []  # none of them covers MEN1


def _first(path: str, **kw: object):  # type: ignore[no-untyped-def]
    data = read_vcf(Path(__file__).resolve().parents[1] / "data" / "vcf" / path,
                    whole_file=True, **kw)  # type: ignore[arg-type]
    return data, data.calls[0]


def test_mutect2_counts_roles_and_popaf() -> None:
    data, c = _first("mutect2_gatk4_filtered_tumor_normal_argo.vcf")
    assert data.caller == "Mutect2" and data.build == "GRCh38"
    assert data.header_roles == {"ARGO-evo": "tumor", "ARGO-evo_normal": "normal"}
    t, n = c.samples["ARGO-evo"], c.samples["ARGO-evo_normal"]
    assert (t.depth, t.alt_reads, t.vaf) == (43, 15, round(15 / 43, 4))
    # Mutect2's own normal AF is 0.053 with zero ALT reads; counts win.
    assert (n.alt_reads, n.vaf) == (0, 0.0)
    # The run names a --germline-resource, so POPAF=1.20 is a frequency of 10^-1.2.
    assert c.population is not None and c.population.af == pytest.approx(10 ** -1.2)
    assert not c.population.absent and c.population.source.startswith("INFO/POPAF=1.20")


def test_strelka2_tier1_counts() -> None:
    data, c = _first("strelka2_2.9.10_somatic_snv_indel_argo.vcf")
    assert c.samples["TUMOR"].alt_reads == 8 and c.samples["TUMOR"].depth == 17
    assert "Strelka2:SOMATIC" in c.verdicts and "Strelka2:NT=ref" in c.verdicts
    indels = [x for x in data.calls if len(x.ref) != len(x.alt)]
    assert indels and all(x.samples["TUMOR"].depth is not None for x in indels)


def test_strelka1_indel_tar_tir() -> None:
    _, c = _first("strelka1_somatic_indels_jacquard.vcf")
    assert (c.samples["TUMOR"].depth, c.samples["TUMOR"].alt_reads) == (8, 4)


def test_varscan2_percentage_freq() -> None:
    _, c = _first("varscan2_somatic_snp_jacquard.vcf")
    assert c.samples["TUMOR"].vaf == round(8 / 15, 4)
    assert "VarScan2:SS=1(germline)" in c.verdicts


def test_vardict_tumour_first_and_status() -> None:
    data, c = _first("vardict_1.8.1_paired_subset.vcf")
    assert data.header_roles == {"abc": "tumor", "abc-match": "normal"}
    assert c.verdicts == ("VarDict:STATUS=StrongSomatic",)
    assert c.filters == ("v3", "f0.02")


def test_muse_tumour_first() -> None:
    data, c = _first("muse_tumor_normal_argo.vcf")
    assert data.samples == ["TUMOR", "NORMAL"]
    assert data.header_roles == {"TUMOR": "tumor", "NORMAL": "normal"}
    assert c.samples["TUMOR"].alt_reads == 4


def test_freebayes_ro_ao_and_gvcf_blocks() -> None:
    data, c = _first("freebayes_1.3.10_gvcf.vcf")
    assert data.is_gvcf and data.blocks
    assert (c.samples["1"].depth, c.samples["1"].alt_reads) == (41, 16)


def test_deepvariant_and_bcftools() -> None:
    _, c = _first("deepvariant_1.5.0_golden_single_sample.vcf")
    assert c.samples["NA12878"].vaf == 1.0
    _, c = _first("bcftools_call_multisample_3samples.vcf")
    assert c.samples["HG00102"].genotype == "1/1"


def test_lofreq_af_times_dp() -> None:
    _, c = _first("lofreq_somatic_argo.vcf")
    assert (c.samples["Tumor"].depth, c.samples["Tumor"].alt_reads) == (20, 4)


def test_phased_genotype_kept() -> None:
    data, _ = _first("mutect2_gatk4_filtered_tumor_normal_argo.vcf")
    assert data.calls[1].samples["ARGO-evo"].genotype == "0|1"


# ------------------------------------------------------------------ MEN1 window
@pytest.mark.parametrize(
    "caller,record",
    [
        ("mutect2", mutect2(*R532X, N_HET, T_LOH)),
        ("strelka2", strelka2(*R532X, N_HET, T_LOH)),
        ("varscan2", varscan2(*R532X, N_HET, T_LOH)),
        ("vardict", vardict(*R532X, N_HET, T_LOH)),
        ("muse", muse(*R532X, N_HET, T_LOH)),
    ],
)
def test_paired_callers_men1_evidence(tmp_path: Path, caller: str, record: str) -> None:
    p = write_vcf(tmp_path / f"{caller}.vcf", caller, [record])
    data = read_vcf(p, build="GRCh38")
    (c,) = data.calls
    roles = {r: s for s, r in data.header_roles.items()}
    n, t = c.samples[roles["normal"]], c.samples[roles["tumor"]]
    assert (n.depth, n.alt_reads, n.vaf) == (40, 20, 0.5)
    assert (t.depth, t.alt_reads, t.vaf) == (60, 52, round(52 / 60, 4))
    assert c.line == len(header_of(write_vcf.__globals__["HEADERS"][caller][0])) + (
        0 if caller in ("mutect2", "strelka2", "muse") else 1
    ) + 1


def test_single_sample_callers(tmp_path: Path) -> None:
    for caller, rec in (("deepvariant", deepvariant(*R532X, Counts(15, 17))),
                        ("freebayes", freebayes(*R532X, Counts(15, 17)))):
        data = read_vcf(write_vcf(tmp_path / f"{caller}.vcf", caller, [rec]), build="GRCh38")
        (c,) = data.calls
        assert (c.samples[data.samples[0]].alt_reads, c.samples[data.samples[0]].depth) == (17, 32)


def test_prefilter_skips_other_chromosomes_and_positions(tmp_path: Path) -> None:
    recs = [
        mutect2(*R532X, N_HET, T_LOH),
        mutect2(64700000, "A", "G", N_HET, T_LOH),  # chr11, outside the window
        mutect2(64804000, "A", "G", N_HET, T_LOH).replace("chr11", "chr1", 1),
    ]
    p = write_vcf(tmp_path / "m.vcf", "mutect2", recs)
    data = read_vcf(p)
    assert [(c.chrom, c.pos) for c in data.calls] == [("chr11", R532X[0])]


@pytest.mark.parametrize("compress", ["plain", "bgzip", "bgzip+index"])
def test_plain_bgzip_and_indexed_agree(tmp_path: Path, compress: str) -> None:
    recs = [mutect2(*R532X, N_HET, T_LOH), mutect2(*DEL4, N_HET, T_LOH)]
    p = write_vcf(tmp_path / "m.vcf", "mutect2", recs)
    if compress == "bgzip":
        subprocess.run(["bgzip", "-f", str(p)], check=True)
        p = Path(str(p) + ".gz")
    elif compress == "bgzip+index":
        p = bgzip_index(p)
    data = read_vcf(p)
    assert [(c.pos, c.ref, c.alt) for c in data.calls] == [R532X, DEL4]


def test_bcf_indexed_and_not(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [mutect2(*R532X, N_HET, T_LOH)])
    bcf = tmp_path / "m.bcf"
    subprocess.run(["bcftools", "view", "-Ob", "-o", str(bcf), str(p)], check=True)
    assert [c.pos for c in read_vcf(bcf).calls] == [R532X[0]]
    subprocess.run(["bcftools", "index", str(bcf)], check=True)
    assert [c.pos for c in read_vcf(bcf).calls] == [R532X[0]]
    raw_bcf = tmp_path / "m.u.bcf"
    subprocess.run(["bcftools", "view", "-Ou", "-o", str(raw_bcf), str(p)], check=True)
    assert [c.pos for c in read_vcf(raw_bcf).calls] == [R532X[0]]


def test_crlf_accepted(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [mutect2(*R532X, N_HET, T_LOH)])
    p.write_bytes(p.read_bytes().replace(b"\n", b"\r\n"))
    (c,) = read_vcf(p).calls
    assert c.samples["ARGO-evo_normal"].vaf == 0.5


def test_multiallelic_split(tmp_path: Path) -> None:
    rec = (
        f"chr11\t{R532X[0]}\t.\tG\tA,T\t.\tPASS\tDP=90\tGT:AD:AF:DP\t"
        "0/1/2:30,20,10:0.33,0.17:60\t0/1:20,20,0:0.5,0.0:40"
    )
    data = read_vcf(write_vcf(tmp_path / "m.vcf", "mutect2", [rec]))
    assert [(c.alt, c.samples["ARGO-evo"].alt_reads) for c in data.calls] == [("A", 20), ("T", 10)]


def test_symbolic_alleles_are_copy_number_calls_or_warnings(tmp_path: Path) -> None:
    """A <DEL> with an END is a copy-number call (issue 19), never a small variant; one
    without an extent, or an allele the engine does not classify (<INV>), is a warning."""
    recs = [
        f"chr11\t{R532X[0]}\t.\tG\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=64805000\tGT:AD:AF:DP\t"
        "0/1:10,10:0.5:20\t0/0:20,0:0.0:20",
        f"chr11\t{R532X[0] + 1}\t.\tA\t<NON_REF>\t.\tPASS\tEND=64804700\tGT:AD:AF:DP\t"
        "0/0:20:.:20\t0/0:20:.:20",
        f"chr11\t{R532X[0] + 5}\t.\tA\t<DEL>\t.\tPASS\tSVTYPE=DEL\tGT:AD:AF:DP\t"
        "0/1:10,10:0.5:20\t0/0:20,0:0.0:20",
        f"chr11\t{R532X[0] + 9}\t.\tA\t<INV>\t.\tPASS\tSVTYPE=INV;END=64805100\tGT:AD:AF:DP\t"
        "0/1:10,10:0.5:20\t0/0:20,0:0.0:20",
    ]
    data = read_vcf(write_vcf(tmp_path / "m.vcf", "mutect2", recs))
    assert data.calls == []
    (cnv,) = data.cnv_calls
    assert (cnv.start, cnv.end, cnv.svtype) == (R532X[0] + 1, 64805000, "DEL")
    assert cnv.samples["ARGO-evo"].carries and not cnv.samples["ARGO-evo_normal"].carries
    assert any("<DEL> at chr11:" in w and "no END or SVLEN" in w for w in data.warnings)
    assert any("<INV>" in w and "not classified" in w for w in data.warnings)
    assert data.is_gvcf and data.blocks[0].end == 64804700


def test_gvcf_block_starting_before_window_is_kept(tmp_path: Path) -> None:
    rec = "chr11\t64790000\t.\tA\t<*>\t0\t.\tEND=64816000;MIN_DP=30\tGT:DP:MIN_DP\t0/0:31:30"
    p = write_vcf(tmp_path / "fb.vcf", "freebayes", [rec],
                  extra=('##INFO=<ID=MIN_DP,Number=1,Type=Integer,Description="x">',))
    data = read_vcf(p, build="GRCh38")
    assert data.blocks and data.blocks[0].start == 64790000


# ------------------------------------------------------------------ build
def test_build_from_contig_length_and_contradiction(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [])
    assert read_vcf(p).build == "GRCh38"
    with pytest.raises(BuildError, match="contradicts"):
        read_vcf(p, build="GRCh37")


def test_build_grch37_from_contig_and_refseq_names(tmp_path: Path) -> None:
    p = tmp_path / "g37.vcf"
    pos = R532X[0] - 232528
    p.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=NC_000011.9>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="g">\n'
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="a">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\n"
        f"NC_000011.9\t{pos}\t.\tG\tA\t.\tPASS\t.\tGT:AD\t0/1:20,20\n"
    )
    data = read_vcf(p)
    assert data.build == "GRCh37" and data.calls[0].chrom == "NC_000011.9"


def test_build_unknown_is_usage_error(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "v.vcf", "varscan2", [])
    p.write_text(p.read_text().replace(CHR11_38 + "\n", ""))
    with pytest.raises(UsageError, match="--build"):
        read_vcf(p)


def test_header_self_contradiction(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [], extra=("##reference=file:///ref/hg19.fa",))
    with pytest.raises(BuildError, match="GRCh37"):
        read_vcf(p)


# ------------------------------------------------------------------ bad input
def _err(p: Path, **kw: object) -> InputError:
    with pytest.raises(InputError) as ei:
        read_vcf(p, **kw)  # type: ignore[arg-type]
    return ei.value


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "e.vcf"
    p.write_bytes(b"")
    assert "empty" in str(_err(p))


def test_pdf_named_vcf(tmp_path: Path) -> None:
    p = tmp_path / "report.vcf"
    p.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    e = _err(p)
    assert "PDF" in str(e) and e.line == 1


def test_truncated_bgzip(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [mutect2(*R532X, N_HET, T_LOH)])
    subprocess.run(["bgzip", "-f", str(p)], check=True)
    gz = Path(str(p) + ".gz")
    gz.write_bytes(gz.read_bytes()[:-100])
    assert "truncated" in str(_err(gz))


def test_bgzip_missing_eof_marker(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [mutect2(*R532X, N_HET, T_LOH)])
    subprocess.run(["bgzip", "-f", str(p)], check=True)
    gz = Path(str(p) + ".gz")
    gz.write_bytes(gz.read_bytes()[:-28])
    assert "end-of-file" in str(_err(gz))


def test_plain_gzip_rejected(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [])
    gz = tmp_path / "m.vcf.gz"
    with p.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert "plain gzip" in str(_err(gz))


def test_non_utf8_in_region_line(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [mutect2(*R532X, N_HET, T_LOH)])
    raw = p.read_bytes().replace(b"GERMQ=30", b"GERMQ=3\xff")
    p.write_bytes(raw)
    e = _err(p)
    assert "non-UTF-8" in str(e) and e.line == raw.count(b"\n")


def test_number_r_wrong_count(tmp_path: Path) -> None:
    rec = mutect2(*R532X, N_HET, T_LOH).replace(":20,20:", ":20,20,3:")
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [rec])
    e = _err(p)
    assert e.field == "AD" and e.line is not None and "Number=R" in str(e)


def test_contig_used_but_not_declared(tmp_path: Path) -> None:
    rec = mutect2(*R532X, N_HET, T_LOH).replace("chr11", "11", 1)
    e = _err(write_vcf(tmp_path / "m.vcf", "mutect2", [rec]))
    assert e.field == "CHROM" and "not declared" in str(e) and e.line


def test_duplicate_sample_names(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [])
    p.write_text(p.read_text().replace("ARGO-evo_normal\n", "ARGO-evo\n"))
    assert "duplicate sample" in str(_err(p))


def test_huge_header_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import variant_calling.scan as r

    monkeypatch.setattr(r, "MAX_HEADER_BYTES", 10_000)
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [])
    assert "header larger" in str(_err(p))


def test_ref_not_acgt(tmp_path: Path) -> None:
    rec = mutect2(R532X[0], "G", "X", N_HET, T_LOH)
    e = _err(write_vcf(tmp_path / "m.vcf", "mutect2", [rec]))
    assert e.field == "ALT"


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in str(_err(tmp_path / "nope.vcf"))


def test_last_line_without_newline_and_bom(tmp_path: Path) -> None:
    p = write_vcf(tmp_path / "m.vcf", "mutect2", [mutect2(*R532X, N_HET, T_LOH)])
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes().rstrip(b"\n"))
    assert [c.pos for c in read_vcf(p).calls] == [R532X[0]]


def test_unsorted_file_streams(tmp_path: Path) -> None:
    recs = [mutect2(*DEL4, N_HET, T_LOH), mutect2(*R532X, N_HET, T_LOH)]
    p = tmp_path / "unsorted.vcf"
    p.write_text("\n".join(header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf") + recs) + "\n")
    assert sorted(c.pos for c in read_vcf(p).calls) == [R532X[0], DEL4[0]]


def test_indexed_error_names_the_record(tmp_path: Path) -> None:
    rec = mutect2(*R532X, N_HET, T_LOH).replace(":20,20:", ":20,20,3:")
    gz = bgzip_index(write_vcf(tmp_path / "m.vcf", "mutect2", [rec]))
    e = _err(gz)
    assert e.line is None and f"chr11:{R532X[0]}" in str(e) and e.field == "AD"


@pytest.mark.parametrize(
    "format_lines",
    [
        "",  # fields used but not declared
        '##FORMAT=<ID=AD,Number=R,Type=Float,Description="declared with the wrong type">\n'
        '##FORMAT=<ID=DP,Number=1,Type=String,Description="declared with the wrong type">\n',
    ],
)
def test_untidy_headers(tmp_path: Path, format_lines: str) -> None:
    p = tmp_path / "untidy.vcf"
    p.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr11,length=135086622>\n" + format_lines
        + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR\n"
        f"chr11\t{R532X[0]}\t.\tG\tA\t.\tPASS\tDP=100\tGT:AD:DP\t0/1:20,20:40\t0/1:8,52:60\n"
    )
    (c,) = read_vcf(p).calls
    assert (c.samples["NORMAL"].alt_reads, c.samples["NORMAL"].depth) == (20, 40)
    assert c.samples["TUMOR"].vaf == round(52 / 60, 4)


def test_prefilter_boundaries_match_the_index(tmp_path: Path) -> None:
    """The textual pre-filter and a tabix fetch keep exactly the same records."""
    from variant_calling import reference

    w = reference.window("GRCh38")
    positions = sorted({
        648, 6480, 6480151, 64801513, w.start, w.start + 1, R532X[0], w.end - 1, w.end,
        w.end + 1, 64816295, 64899999, 100000000, 135000000,
    })
    recs = []
    for contig in ("chr1", "chr11", "chr12"):
        for pos in positions:
            base = reference.sequence("GRCh38", pos, pos) if w.start <= pos <= w.end else "A"
            alt = "C" if base != "C" else "T"
            recs.append(mutect2(pos, base, alt, N_HET, T_LOH).replace("chr11", contig, 1))
    p = tmp_path / "edges.vcf"
    p.write_text("\n".join(header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf") + recs)
                 + "\n")
    streamed = [(c.chrom, c.pos) for c in read_vcf(p).calls]
    indexed = [(c.chrom, c.pos) for c in read_vcf(bgzip_index(p)).calls]
    assert streamed == indexed
    assert [pos for _, pos in streamed] == [q for q in positions if w.start <= q <= w.end]
