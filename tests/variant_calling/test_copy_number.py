"""Copy-number input (issue 19): real GATK gCNV, CNVkit (export vcf, .cns, .call.cns), Manta
and Delly output; MEN1 deletions of the published kinds (the whole gene; single and multiple
exons) and duplications in each caller's own layout; exons, HGVS, origin and the ClinGen CNV
scoring.

Expected exons, HGVS names and sections are computed here from the shipped exon table (its
GRCh38/GRCh37 coordinates and c. numbers), not by the code under test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from variant_calling import InputFile, pvs1
from variant_calling.copy_number import classify_event, tier_of_score
from variant_calling.errors import InputError
from variant_calling.known import KnownVariantTable
from variant_calling.locus import exon_rearrangement
from variant_calling.reader import read_vcf

from .conftest import classify_json
from .test_locus import exon_rows

CNV = Path(__file__).resolve().parents[1] / "data" / "cnv"
MANE = "NM_001370259.2"
GCNV = "gatk_gcnv_segments_SAMPLE_000.vcf"
CNVKIT_VCF = "cnvkit_0.9.10_export_vcf_hcc1395_subset.vcf"
MANTA = "manta_1.6.0_somaticSV_hcc1395_chr11_subset.vcf"
DELLY = "delly_1.2.6_somatic_hcc1395_chr1_subset.vcf"
MANTA_SAMPLES = {"normal_sample": "hcc1395bl-dna-illumina",
                 "tumor_sample": "hcc1395-dna-illumina"}


def exons(build: str = "GRCh38") -> dict[int, tuple[int, int, str, str]]:
    """MANE exon -> (start, end, c_start, c_end) from the exon table."""
    return {int(r["exon"]): (int(r[f"{build.lower()}_start"]), int(r[f"{build.lower()}_end"]),
                             r["c_start"][2:], r["c_end"][2:])
            for r in exon_rows() if r["transcript"] == MANE}


def c_of(g: int, build: str = "GRCh38") -> str:
    """HGVS c. position of a genomic base inside the transcript, from the exon table: an exon
    base by its offset from the exon's first (highest) base; an intronic base from the nearer
    exon (the middle base of an odd intron from the 5' one)."""
    ex = exons(build)
    for lo, hi, c_first, _c_last in ex.values():
        if lo <= g <= hi:
            return _add(c_first, hi - g)
    for n in range(1, 10):
        up_lo = ex[n][0]  # exon n's last transcript base (lowest coordinate)
        down_hi = ex[n + 1][1]  # exon n+1's first base
        if down_hi < g < up_lo:
            d5, d3 = up_lo - g, g - down_hi
            length = up_lo - down_hi - 1
            if d5 <= (length + 1) // 2:
                return f"{ex[n][3]}+{d5}"
            return f"{ex[n + 1][2]}-{d3}"
    raise AssertionError(f"{g} is outside the transcript")


def _add(c: str, k: int) -> str:
    if c.startswith("-"):
        n = int(c) + k
        return str(n) if n < 0 else str(n + 1)  # c.-1 is followed by c.1
    return str(int(c) + k)


def text(name: str) -> str:
    return (CNV / name).read_text()


def header(name: str) -> list[str]:
    return [ln for ln in text(name).splitlines() if ln.startswith("#")]


def write(tmp_path: Path, name: str, records: list[str], out: str) -> Path:
    p = tmp_path / out
    p.write_text("\n".join([*header(name), *records]) + "\n")
    return p


def only(r: dict[str, Any]) -> dict[str, Any]:
    (v,) = [v for v in r["variants"] if v["copy_number"]]
    return v


# ---------------------------------------------------------------------------------------------
# The real files: every record read in each caller's layout


def test_real_gcnv_segments_read_by_copy_number_and_genotype_index() -> None:
    data = read_vcf(CNV / GCNV, build="GRCh38", whole_file=True)
    assert data.caller == "GATK gCNV"
    records = [ln.split("\t") for ln in text(GCNV).splitlines() if not ln.startswith("#")]
    expected = {("DEL", r[0], int(r[1])) for r in records if r[9].startswith("1:")} | {
        ("DUP", r[0], int(r[1])) for r in records if r[9].startswith("2:")}
    carried = {(c.svtype, c.chrom, c.start) for c in data.cnv_calls
               if c.samples["SAMPLE_000"].carries}
    assert carried == expected and len(expected) > 30
    gain = next(c for c in data.cnv_calls if c.start == 976042 and c.svtype == "DUP")
    assert gain.end == 976262 and gain.samples["SAMPLE_000"].copy_number == 5
    assert gain.tandem is False  # a read-depth gain is in tandem by presumption only


def test_real_cnvkit_export_vcf() -> None:
    data = read_vcf(CNV / CNVKIT_VCF, build="GRCh38", whole_file=True)
    assert data.caller == "CNVkit" and len(data.cnv_calls) == 25
    hom = [c for c in data.cnv_calls if c.samples["HCC1395T.sorted.somatic.call"].genotype
           == "1/1"]
    assert [(c.chrom, c.start - 1) for c in hom] == [("chr11", 6465407), ("chr11", 31373954),
                                                      ("chr11", 36229053)]


def test_real_manta_somatic_pairs_and_tandem_duplications() -> None:
    data = read_vcf(CNV / MANTA, whole_file=True)
    assert data.caller == "Manta" and data.build == "GRCh38"
    dups = [c for c in data.cnv_calls if c.svtype == "DUP"]
    assert dups and all(c.tandem for c in dups)
    first = dups[0]
    assert first.samples["hcc1395bl-dna-illumina"].carries is False  # PR 53,0 SR 79,0
    assert first.samples["hcc1395-dna-illumina"].carries is True  # PR 88,32 SR 141,38
    assert "PR 88,32" in first.samples["hcc1395-dna-illumina"].support


def test_real_delly_somatic_calls() -> None:
    data = read_vcf(CNV / DELLY, whole_file=True)
    assert data.caller == "Delly"
    records = [r for r in (ln.split("\t") for ln in text(DELLY).splitlines()
                           if not ln.startswith("#")) if r[4].startswith("<")]
    assert len(data.cnv_calls) == len(records) > 0
    assert len(data.calls) > 0  # its sequence-resolved deletions are small variants
    for rec, call in zip(records, data.cnv_calls, strict=True):
        assert call.start == int(rec[1]) + 1 and f"END={call.end};" in rec[7]
        assert call.tandem is (True if call.svtype == "DUP" else None)  # Delly DUP: CT=5to3
        assert call.cipos is not None and call.samples["hcc1395bl-dna-illumina"].genotype == "0/0"


def test_real_cnvkit_segments_over_men1_are_copy_neutral() -> None:
    # The regression sample's chr11 segment 55028439-96209393 lists MEN1 among its genes.
    for name in ("cnvkit_p2-9_2.call.cns", "cnvkit_p2-9_2.cns"):
        r = classify_json([InputFile(str(CNV / name), "tumor")], build="GRCh37")
        assert r["variants"] == [] and r["men1_status"] == "not_covered"
        assert any("sequence variants of MEN1 were not assessed" in w for w in r["warnings"])


def test_real_cnvkit_whole_gene_gain_in_a_tumour_is_not_loss_of_function() -> None:
    r = classify_json([InputFile(str(CNV / CNVKIT_VCF), "tumor")], build="GRCh38")
    v = only(r)
    # chr11:62716945-69652729 (CN 3) spans the whole gene, and the shipped window.
    assert v["copy_number"]["start"] == 62716946 and v["copy_number"]["end"] == 69652729
    assert v["copy_number"]["exons"] == list(range(1, 11))
    assert v["hgvs_c"] == f"{MANE}:c.(?_-61)_(*818_?)dup"
    assert v["hgvs_g"] == "NC_000011.10:g.62716946_69652729dup"
    assert v["copy_number"]["section"] == "2H" and v["copy_number"]["score"] == 0
    assert v["classification"] == "uncertain_significance" and not v["qualifying"]
    assert any("reaches past the shipped MEN1 window" in w for w in r["warnings"])


# ---------------------------------------------------------------------------------------------
# MEN1 events in each caller's layout


def gcnv(tmp_path: Path, segments: list[tuple[int, int, int]], build: str = "GRCh38") -> Path:
    recs = [f"11\t{s}\tCNV_11_{s}_{e}\tN\t<DEL>,<DUP>\t.\t.\tEND={e}\tGT:CN:NP:QA:QS:QSE:QSS\t"
            f"{0 if cn == 2 else (1 if cn < 2 else 2)}:{cn}:12:80:80:90:90"
            for s, e, cn in segments]
    return write(tmp_path, GCNV, recs, f"gcnv_{len(segments)}.vcf")


@pytest.mark.parametrize("build", ["GRCh38", "GRCh37"])
def test_germline_whole_gene_deletion_qualifies(tmp_path: Path, build: str) -> None:
    ex = exons(build)
    lo, hi = ex[10][0] - 40_000, ex[1][1] + 25_000  # a 100 kb-scale loss beyond the window
    p = gcnv(tmp_path, [(lo - 5000, lo - 1, 2), (lo, hi, 1), (hi + 1, hi + 9000, 2)], build)
    r = classify_json([InputFile(str(p), "normal")], build=build)
    v = only(r)
    assert v["hgvs_g"] == (f"{'NC_000011.10' if build == 'GRCh38' else 'NC_000011.9'}"
                           f":g.{lo}_{hi}del")
    assert v["hgvs_c"] == f"{MANE}:c.(?_-61)_(*818_?)del" and v["hgvs_p"] == "p.0?"
    assert v["consequence"] == "transcript_ablation"
    assert v["copy_number"]["exons"] == list(range(1, 11))
    assert v["copy_number"]["section"] == "2A" and v["copy_number"]["score"] == 1.0
    assert v["origin"] == "germline" and v["classification"] == "pathogenic"
    assert v["qualifying"] and r["men1_status"] == "germline" and r["qualifies"]
    assert any("haploinsufficient" in e and "Lemos & Thakker" in e for e in v["evidence"])
    assert v["copy_number"]["copy_number"] == {"normal": 1}


EXON_CASES = [
    # (lost exons, breakpoints (intron after the last, intron before the first), section,
    #  points): single exons read as the PVS1 table's skipping rows.
    ([3], "2E", 0.90),
    ([4], "2E", 0.90),
    ([5, 6, 7, 8], "2E", 0.90),
    ([6, 7], "2E", 0.45),
]


@pytest.mark.parametrize(("lost", "section", "points"), EXON_CASES,
                         ids=lambda c: str(c))
def test_intragenic_deletions_by_the_pvs1_tree(tmp_path: Path, lost: list[int], section: str,
                                               points: float) -> None:
    ex = exons()
    first, last = lost[0], lost[-1]
    # Breakpoints 30 bases into the flanking introns (every MEN1 intron is longer than 60).
    hi, lo = ex[first][1] + 30, ex[last][0] - 30
    p = gcnv(tmp_path, [(lo, hi, 1)])
    v = only(classify_json([InputFile(str(p), "normal")], build="GRCh38"))
    assert v["copy_number"]["exons"] == lost and v["copy_number"]["exons_partial"] == []
    assert v["hgvs_c"] == f"{MANE}:c.{c_of(hi)}_{c_of(lo)}del"
    assert v["hgvs_c"] == f"{MANE}:c.{ex[first][2]}-30_{ex[last][3]}+30del"
    assert (v["copy_number"]["section"], v["copy_number"]["score"]) == (section, points)
    tier = "likely_pathogenic" if points >= 0.9 else "uncertain_significance"
    assert v["classification"] == tier and v["qualifying"] is (points >= 0.9)


@pytest.mark.parametrize(("end_at", "section", "score"), [
    ("exon1_only", "2C-2", 0.0),  # exon 1 and the promoter: 5' UTR only
    ("into_exon3", "2C-1", 0.90),  # the 5' end with coding sequence
    ("utr3_only", "2D-1", 0.0),
    ("last_exon_coding", "2D-2", 0.90),  # established pathogenic variants in exon 10
    ("into_exon9", "2D-4", 0.90),
])
def test_one_breakpoint_inside_the_gene(tmp_path: Path, end_at: str, section: str,
                                        score: float) -> None:
    ex = exons()
    cds_end = ex[10][1] - (1833 - 1351)  # c.1833 from exon 10's first base c.1351
    lo, hi = {
        "exon1_only": (ex[2][1] + 100, ex[1][1] + 5000),
        "into_exon3": (ex[3][0] + 50, ex[1][1] + 5000),
        "utr3_only": (ex[10][0] - 5000, cds_end - 10),
        "last_exon_coding": (ex[10][0] - 5000, cds_end + 100),
        "into_exon9": (ex[10][0] - 5000, ex[9][1] - 20),
    }[end_at]
    v = only(classify_json([InputFile(str(gcnv(tmp_path, [(lo, hi, 1)])), "normal")],
                           build="GRCh38"))
    assert (v["copy_number"]["section"], v["copy_number"]["score"]) == (section, score)


def tumour_segments(tmp_path: Path, rows: list[tuple[int, int, str, float, int, int]]) -> Path:
    """A CNVkit ``.call.cns`` of the tumour: (start, end, gene, log2, cn, probes) per segment,
    depth 80 and weight probes - 1 as CNVkit writes them."""
    seg = tmp_path / "tumour.call.cns"
    seg.write_text("chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight\n" + "".join(
        f"chr11\t{start}\t{end}\t{gene}\t{log2}\t{cn}\t80\t{probes}\t{probes - 1}\n"
        for start, end, gene, log2, cn, probes in rows))
    return seg


def test_single_exon_losses_agree_with_the_pvs1_table() -> None:
    """Splicing an exon out and translating (the multi-exon path) gives each single exon the
    strength the table states for skipping it."""
    known = KnownVariantTable.shipped("GRCh38")
    for n in range(2, 10):
        row = next(r for r in pvs1.TABLE if r.id == f"SPLICE_EXON{n}")
        effect = exon_rearrangement([k for k in range(1, 11) if k != n])
        computed = pvs1._effect_strength(effect, known, "loss")
        assert computed.strength == row.strength, (n, computed)


def test_somatic_tandem_duplication_from_manta(tmp_path: Path) -> None:
    ex = exons()
    hi, lo = ex[3][1] + 40, ex[3][0] - 40  # exon 3 (209 nt, out of frame) copied in tandem
    rec = (f"chr11\t{lo - 1}\tMantaDUP:TANDEM:1:0:1:0:0:0\tA\t<DUP:TANDEM>\t.\tPASS\t"
           f"END={hi};SVTYPE=DUP;SVLEN={hi - lo + 1};SOMATIC;SOMATICSCORE=114\tPR:SR\t"
           "53,0:79,0\t88,32:141,38")
    p = write(tmp_path, MANTA, [rec], "manta.vcf")
    r = classify_json([InputFile(str(p))], **MANTA_SAMPLES)
    v = only(r)
    assert v["origin"] == "somatic" and v["in_tumor"]
    assert v["hgvs_c"] == f"{MANE}:c.{ex[3][2]}-40_{ex[3][3]}+40dup"
    assert v["copy_number"]["tandem"] is True and v["copy_number"]["section"] == "2I"
    assert v["copy_number"]["score"] == 0.9 and v["classification"] == "likely_pathogenic"
    assert v["qualifying"] and r["men1_status"] == "somatic"


def test_a_read_depth_duplication_is_only_presumed_in_tandem(tmp_path: Path) -> None:
    ex = exons()
    hi, lo = ex[3][1] + 40, ex[3][0] - 40
    v = only(classify_json([InputFile(str(gcnv(tmp_path, [(lo, hi, 3)])), "normal")],
                           build="GRCh38"))
    assert v["copy_number"]["tandem"] is False and v["copy_number"]["score"] == 0.45
    assert v["classification"] == "uncertain_significance" and not v["qualifying"]


def delly(pos: int, end: int, svtype: str, tumour_gt: str, normal_gt: str = "0/0") -> str:
    ct = "3to5" if svtype == "DEL" else "5to3"
    return (f"chr11\t{pos}\t{svtype}00000117\tG\t<{svtype}>\t3120\tPASS\tPRECISE;"
            f"SVTYPE={svtype};SVMETHOD=EMBL.DELLYv1.2.6;END={end};PE=32;MAPQ=60;CT={ct};"
            "CIPOS=-3,3;CIEND=-3,3;SRMAPQ=60;INSLEN=0;HOMLEN=3;SR=20;SRQ=1;CE=1.99;CONSBP=117;"
            f"RDRATIO=0;SOMATIC\tGT:GL:GQ:FT:RCL:RC:RCR:RDCN:DR:DV:RR:RV\t"
            f"{tumour_gt}:-135.5,-12.3,0:123:PASS:1410:0:1440:1:0:32:0:41\t"
            f"{normal_gt}:0,-9.3,-102.0:93:PASS:1771:3512:1716:2:35:0:31:0")


def test_a_tumour_single_copy_loss_of_the_whole_gene_is_a_second_hit_only(
        tmp_path: Path) -> None:
    ex = exons()
    lo, hi = ex[10][0] - 3000, ex[1][1] + 3000
    p = write(tmp_path, DELLY, [delly(lo - 1, hi, "DEL", "0/1")], "delly_het.vcf")
    samples = {"normal_sample": "hcc1395bl-dna-illumina",
               "tumor_sample": "hcc1395-dna-illumina"}
    r = classify_json([InputFile(str(p))], **samples)
    v = only(r)
    assert v["origin"] == "somatic" and v["classification"] == "pathogenic"
    assert v["second_hit_only"] and not v["qualifying"]
    # The CIPOS/CIEND ranges make the breakpoints uncertain in both names.
    assert v["hgvs_g"] == f"NC_000011.10:g.({lo - 3}_{lo + 3})_({hi - 3}_{hi + 3})del"
    assert r["men1_status"] == "not_covered"  # copy-number input alone: pending
    # Both copies lost in the tumour: MEN1 is gone, which qualifies.
    p = write(tmp_path, DELLY, [delly(lo - 1, hi, "DEL", "1/1")], "delly_hom.vcf")
    r = classify_json([InputFile(str(p))], **samples)
    v = only(r)
    assert not v["second_hit_only"] and v["qualifying"] and r["men1_status"] == "somatic"


# ---------------------------------------------------------------------------------------------
# Bad input


def test_end_before_pos_is_refused(tmp_path: Path) -> None:
    ex = exons()
    p = write(tmp_path, DELLY, [delly(ex[3][1], ex[3][0], "DEL", "0/1")], "bad.vcf")
    with pytest.raises(InputError, match=r"END \d+ is before POS"):
        classify_json([InputFile(str(p))], normal_sample="hcc1395bl-dna-illumina",
                      tumor_sample="hcc1395-dna-illumina")


@pytest.mark.parametrize(("name", "record", "message"), [
    (CNVKIT_VCF, "chr11\t64807000\t.\tN\t<DUP>\t.\t.\tIMPRECISE;SVTYPE=DUP;END=64808500;"
                 "SVLEN=1500;FOLD_CHANGE=1.5;FOLD_CHANGE_LOG=0.58;PROBES=9\tGT:GQ:CN:CNQ\t"
                 "0/1:0:1:9", r"CN 1 contradicts the allele <DUP>"),
    (CNVKIT_VCF, "chr11\t64807000\t.\tN\t<DEL>\t.\t.\tIMPRECISE;SVTYPE=DUP;END=64808500;"
                 "SVLEN=-1500;FOLD_CHANGE=0.5;FOLD_CHANGE_LOG=-1;PROBES=9\tGT:GQ\t0/1:9",
     r"SVTYPE=DUP contradicts the allele <DEL>"),
    (GCNV, "11\t64807000\tCNV_x\tN\t<DEL>,<DUP>\t.\t.\tEND=64808500\tGT:CN:NP:QA:QS:QSE:QSS\t"
           "1:3:5:50:50:50:50", r"CN 3 contradicts GT 1 \(<DEL>\)"),
])
def test_copy_numbers_contradicting_the_allele_are_refused(tmp_path: Path, name: str,
                                                           record: str, message: str) -> None:
    p = write(tmp_path, name, [record], "bad.vcf")
    with pytest.raises(InputError, match=message):
        classify_json([InputFile(str(p), "tumor")], build="GRCh38")


def test_overlapping_loss_and_gain_are_reported_and_neither_qualifies(tmp_path: Path) -> None:
    ex = exons()
    a = f"chr11\t{ex[3][0] - 500}\t.\tN\t<DEL>\t.\t.\tIMPRECISE;SVTYPE=DEL;END={ex[3][1] + 500}" \
        ";SVLEN=-1;FOLD_CHANGE=0.5;FOLD_CHANGE_LOG=-1;PROBES=9\tGT:GQ\t0/1:9"
    b = f"chr11\t{ex[3][0] - 200}\t.\tN\t<DUP>\t.\t.\tIMPRECISE;SVTYPE=DUP;END={ex[3][1] + 200}" \
        ";SVLEN=1;FOLD_CHANGE=1.5;FOLD_CHANGE_LOG=0.58;PROBES=9\tGT:GQ:CN:CNQ\t0/1:0:3:9"
    r = classify_json([InputFile(str(write(tmp_path, CNVKIT_VCF, [a, b], "x.vcf")), "tumor")],
                      build="GRCh38")
    cnvs = [v for v in r["variants"] if v["copy_number"]]
    assert len(cnvs) == 2 and not any(v["qualifying"] or v["quality_pass"] for v in cnvs)
    assert any("contradictory copy-number events" in w for w in r["warnings"])


def test_events_elsewhere_are_ignored_and_counted(tmp_path: Path) -> None:
    r = classify_json([InputFile(str(CNV / GCNV), "normal")], build="GRCh38")
    assert r["variants"] == []
    assert any(re.search(r"73 record\(s\) on other chromosomes ignored", w)
               for w in r["warnings"])


def test_cns_bad_values_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "t.call.cns"
    p.write_text("chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight\n"
                 "chr11\t64000000\t65000000\tMEN1\tminus\t1\t50\t30\t29\n")
    with pytest.raises(InputError, match=r"line 2, field log2: log2 'minus' is not a number"):
        classify_json([InputFile(str(p), "tumor")], build="GRCh38")
    p.write_text("chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight\n"
                 "chr11\t64900000\t64800000\tMEN1\t-1\t1\t50\t30\t29\n")
    with pytest.raises(InputError, match=r"end 64800000 is before start 64900000"):
        classify_json([InputFile(str(p), "tumor")], build="GRCh38")


def test_cns_loss_by_log2_thresholds(tmp_path: Path) -> None:
    ex = exons("GRCh37")
    p = tmp_path / "tumour.cns"
    p.write_text("chromosome\tstart\tend\tgene\tlog2\tdepth\tprobes\tweight\n"
                 f"chr11\t{ex[10][0] - 90000}\t{ex[1][1] + 50000}\tFADS1,MEN1\t-1.3\t10\t40\t39\n")
    v = only(classify_json([InputFile(str(p), "tumor")], build="GRCh37"))
    # log2 -1.3 < -1.1: copy number 0 by CNVkit's default thresholds: a homozygous loss.
    assert v["copy_number"]["copy_number"] == {"tumor": 0}
    assert v["origin"] == "undetermined" and v["qualifying"] and not v["second_hit_only"]


# ---------------------------------------------------------------------------------------------
# <CNV> alleles: the copy number decides the direction (Canvas's layout)

#: A Canvas-style header (Canvas writes ``<CNV>`` with ``SVTYPE=CNV`` and per-sample ``RC``,
#: ``BC``, ``CN``: the record layout of Illumina Nirvana's tests of Canvas output,
#: ``Canvas:LOSS:chrX:114954878:115162839 N <CNV> 3 q10 SVTYPE=CNV;END=... RC:BC:CN 109:5:0``).
CANVAS_HEADER = [
    "##fileformat=VCFv4.1",
    "##source=Canvas 1.40.0.1613+master",
    "##reference=file:///genomes/Homo_sapiens/NCBI/GRCh38/Sequence/WholeGenomeFasta",
    "##contig=<ID=chr11,length=135086622>",
    '##ALT=<ID=CNV,Description="Copy number variable region">',
    '##FILTER=<ID=q10,Description="Quality below 10">',
    '##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">',
    '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
    '##INFO=<ID=CNVLEN,Number=1,Type=Integer,Description="Number of reference positions">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=RC,Number=1,Type=Float,Description="Mean counts per bin in the region">',
    '##FORMAT=<ID=BC,Number=1,Type=Float,Description="Number of bins in the region">',
    '##FORMAT=<ID=CN,Number=1,Type=Integer,Description="Copy number genotype">',
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tBLOOD",
]


def canvas(tmp_path: Path, lo: int, hi: int, fmt: str, sample: str) -> Path:
    kind = "LOSS" if sample.endswith(":0") or sample.endswith(":1") else "GAIN"
    rec = (f"chr11\t{lo - 1}\tCanvas:{kind}:chr11:{lo}-{hi}\tN\t<CNV>\t30\tPASS\t"
           f"SVTYPE=CNV;END={hi};CNVLEN={hi - lo + 1}\t{fmt}\t{sample}")
    p = tmp_path / f"canvas_{fmt}_{sample.replace(':', '_').replace('/', '')}.vcf"
    p.write_text("\n".join([*CANVAS_HEADER, rec]) + "\n")
    return p


def test_a_cnv_allele_with_copy_number_1_is_a_loss_not_a_gain(tmp_path: Path) -> None:
    """SVTYPE=CNV names no direction: a whole-gene <CNV> at CN 1 is the 2A loss (it once read
    as a gain, 2H, because the SVTYPE was taken for a direction)."""
    ex = exons()
    lo, hi = ex[10][0] - 30_000, ex[1][1] + 30_000
    for fmt, sample in (("RC:BC:CN", "31.5:120:1"), ("GT:RC:BC:CN", "0/1:31.5:120:1")):
        v = only(classify_json([InputFile(str(canvas(tmp_path, lo, hi, fmt, sample)),
                                          "normal")], build="GRCh38"))
        assert v["alt"] == "<DEL>" and v["copy_number"]["svtype"] == "DEL"
        assert v["copy_number"]["section"] == "2A" and v["classification"] == "pathogenic"
        assert v["origin"] == "germline" and v["qualifying"]
        assert v["copy_number"]["copy_number"] == {"normal": 1}


def test_cnv_alleles_gain_copy_neutral_and_without_copy_number(tmp_path: Path) -> None:
    ex = exons()
    lo, hi = ex[10][0] - 30_000, ex[1][1] + 30_000
    gain = only(classify_json([InputFile(str(canvas(tmp_path, lo, hi, "RC:BC:CN",
                                                    "90.1:120:3")), "normal")],
                              build="GRCh38"))
    assert gain["copy_number"]["svtype"] == "DUP" and gain["copy_number"]["section"] == "2H"
    # CN 2 (Canvas's copy-neutral LOH is written so): no deletion and no duplication.
    r = classify_json([InputFile(str(canvas(tmp_path, lo, hi, "RC:BC:CN", "60.2:120:2")),
                                 "normal")], build="GRCh38")
    assert r["variants"] == [] and r["men1_status"] == "not_covered"
    # A carrier with no copy number: gain or loss is unknown, never guessed, and said so.
    r = classify_json([InputFile(str(canvas(tmp_path, lo, hi, "GT:RC:BC", "0/1:31.5:120")),
                                 "normal")], build="GRCh38")
    assert r["variants"] == []
    assert any("<CNV> at chr11:" in w and "gives sample(s) BLOOD no copy number (CN): gain or "
               "loss is unknown; not classified" in w for w in r["warnings"])


# ---------------------------------------------------------------------------------------------
# Overlapping events of one direction and different extent


def test_a_germline_exon_deletion_and_the_tumours_whole_gene_loss_are_two_events(
        tmp_path: Path) -> None:
    """The classic two hits in copy number: exon 3 deleted in the blood (gCNV), the whole gene
    at one copy in the tumour (CNVkit). Overlapping losses covering different exons are not
    merged into one (which made the result depend on the order of the inputs and gave the
    normal a whole-gene loss it does not have); each is classified on its own, and a warning
    names both."""
    ex = exons()
    germ = gcnv(tmp_path, [(ex[3][0] - 30, ex[3][1] + 30, 1)])
    seg = tumour_segments(tmp_path, [(ex[10][0] - 90000, ex[1][1] + 50000, "FADS1,MEN1", -0.6,
                                      1, 40)])
    inputs = [InputFile(str(germ), "normal"), InputFile(str(seg), "tumor")]
    results = [classify_json(inputs, build="GRCh38"),
               classify_json(inputs[::-1], build="GRCh38")]
    for r in results:
        by_exons = {tuple(v["copy_number"]["exons"]): v for v in r["variants"]}
        assert set(by_exons) == {(3,), tuple(range(1, 11))}
        exon3, whole = by_exons[(3,)], by_exons[tuple(range(1, 11))]
        assert exon3["origin"] == "germline" and exon3["copy_number"]["copy_number"] == {
            "normal": 1}
        assert exon3["hgvs_c"] == f"{MANE}:c.{ex[3][2]}-30_{ex[3][3]}+30del"
        assert exon3["classification"] == "likely_pathogenic" and exon3["qualifying"]
        assert whole["copy_number"]["copy_number"] == {"tumor": 1}
        assert whole["second_hit_only"] and not whole["qualifying"]
        assert r["men1_status"] == "germline"
        (w,) = [w for w in r["warnings"] if w.startswith("overlapping copy-number losses")]
        assert "(the whole gene)" in w and "(exon 3)" in w and "review both" in w
    assert [v["hgvs_c"] for v in results[0]["variants"]] == [
        v["hgvs_c"] for v in results[1]["variants"]]


def test_one_deletion_seen_in_blood_and_tumour_is_one_event(tmp_path: Path) -> None:
    """Breakpoints in the same introns at two resolutions (gCNV on the blood, CNVkit on the
    tumour), the same exon lost: one germline event with both samples' copy numbers, each
    call cited, no overlap warning."""
    ex = exons()
    germ = gcnv(tmp_path, [(ex[3][0] - 30, ex[3][1] + 30, 1)])
    seg = tumour_segments(tmp_path, [(ex[3][0] - 61, ex[3][1] + 50, "MEN1", -0.9, 1, 4)])
    r = classify_json([InputFile(str(germ), "normal"), InputFile(str(seg), "tumor")],
                      build="GRCh38")
    v = only(r)
    assert v["copy_number"]["exons"] == [3] and v["origin"] == "germline" and v["in_tumor"]
    assert v["copy_number"]["copy_number"] == {"normal": 1, "tumor": 1}
    assert sum(e.startswith("CALLED_BY") for e in v["evidence"]) == 2
    assert not any(w.startswith("overlapping") for w in r["warnings"])


# ---------------------------------------------------------------------------------------------
# The remaining sections and the tiers


def test_last_exon_loss_without_known_pathogenic_variants_is_2d3(tmp_path: Path) -> None:
    ex = exons()
    cds_end = ex[10][1] - (1833 - 1351)
    scored = classify_event("GRCh38", "DEL", ex[10][0] - 5000, cds_end + 100, None, [])
    assert (scored.section, scored.score) == ("2D-3", 0.30)
    assert tier_of_score(scored.score) == "uncertain_significance"


def test_a_gain_with_one_breakpoint_inside_is_2j(tmp_path: Path) -> None:
    ex = exons()
    v = only(classify_json([InputFile(str(gcnv(tmp_path, [(ex[5][0] - 40, ex[1][1] + 4000, 3)])),
                                      "normal")], build="GRCh38"))
    assert v["copy_number"]["section"] == "2J" and v["copy_number"]["score"] == 0
    assert v["classification"] == "uncertain_significance" and not v["qualifying"]


@pytest.mark.parametrize(("score", "tier"), [
    (1.0, "pathogenic"), (0.99, "pathogenic"), (0.98, "likely_pathogenic"),
    (0.90, "likely_pathogenic"), (0.89, "uncertain_significance"),
    (0.0, "uncertain_significance"), (-0.89, "uncertain_significance"),
    (-0.90, "likely_benign"), (-0.98, "likely_benign"), (-0.99, "benign"), (-1.0, "benign"),
])
def test_tiers_map_onto_classification_as_riggs_table_3(score: float, tier: str) -> None:
    assert tier_of_score(score) == tier


def test_segments_on_other_chromosomes_are_counted() -> None:
    """The real regression table: every segment off chromosome 11 is counted in a warning."""
    name = "cnvkit_p2-9_2.call.cns"
    rows = [ln.split("\t") for ln in text(name).splitlines()[1:] if ln.strip()]
    elsewhere = sum(r[0] not in ("chr11", "11") for r in rows)
    assert elsewhere > 0
    r = classify_json([InputFile(str(CNV / name), "tumor")], build="GRCh37")
    assert f"{elsewhere} segment(s) on other chromosomes ignored" in " ".join(r["warnings"])


def test_a_tumour_deletion_over_the_bloods_reference_segments_is_somatic(
        tmp_path: Path) -> None:
    """Separate files: the blood's gCNV segments show MEN1 at two copies, the tumour's CNVkit
    table an exon 3-4 loss. The blood was assessed over those exons and lacks the loss: the
    origin is somatic (not undetermined), with the blood's segment cited."""
    ex = exons()
    blood = gcnv(tmp_path, [(ex[10][0] - 60_000, ex[6][1] + 500, 2),
                            (ex[6][1] + 501, ex[1][1] + 40_000, 2)])
    seg = tumour_segments(tmp_path, [
        (ex[10][0] - 90000, ex[4][0] - 101, "MEN1", 0.02, 2, 40),
        (ex[4][0] - 101, ex[3][1] + 80, "MEN1", -0.9, 1, 4),
        (ex[3][1] + 80, ex[1][1] + 90000, "MEN1", 0.01, 2, 40)])
    r = classify_json([InputFile(str(blood), "normal"), InputFile(str(seg), "tumor")],
                      build="GRCh38")
    v = only(r)
    assert v["copy_number"]["exons"] == [3, 4]
    assert v["origin"] == "somatic" and v["in_tumor"]
    assert v["copy_number"]["copy_number"] == {"normal": 2, "tumor": 1}
    absent = next(e for e in v["evidence"] if e.startswith("ORIGIN_NORMAL_ABSENT"))
    assert "reference segment GATK gCNV gcnv_2.vcf" in absent
    # Blood segments that leave a lost exon uncovered prove nothing: undetermined.
    gap = gcnv(tmp_path, [(ex[10][0] - 60_000, ex[4][0] + 20, 2)])
    v = only(classify_json([InputFile(str(gap), "normal"), InputFile(str(seg), "tumor")],
                           build="GRCh38"))
    assert v["origin"] == "undetermined" and "ORIGIN_NO_NORMAL" in v["evidence"]


# ---------------------------------------------------------------------------------------------
# Published MEN1 deletions

#: (publication, what it reports): the breakpoints are not published, so the events are placed
#: as reported (the whole gene in about 29 kb; exons 5 and 6) with breakpoints in the flanks.
PUBLISHED = [
    ("Fukuuchi et al., Jpn J Clin Oncol 2006;36:739: a germline deletion of about 29 kb "
     "spanning the whole MEN1 gene, flanked by Alu repeats", "whole"),
    ("Owens, Ellard & Vaidya, Clin Endocrinol 2008;68:350: a germline gross deletion of "
     "exons 5 and 6 found by MLPA in 1 of 101 sequencing-negative probands", "exons_5_6"),
]


@pytest.mark.parametrize("build", ["GRCh38", "GRCh37"])
@pytest.mark.parametrize(("paper", "kind"), PUBLISHED, ids=["fukuuchi2006", "owens2008"])
def test_published_men1_deletions(tmp_path: Path, build: str, paper: str, kind: str) -> None:
    ex = exons(build)
    acc = "NC_000011.10" if build == "GRCh38" else "NC_000011.9"
    if kind == "whole":
        lo = ex[10][0] - 11_000
        hi = lo + 29_000 - 1
        assert hi > ex[1][1]  # 29 kb from 11 kb 3' of the gene covers all of it (7.2 kb)
        lost, hgvs_c, section, score, tier = (list(range(1, 11)), f"{MANE}:c.(?_-61)_(*818_?)del",
                                              "2A", 1.0, "pathogenic")
    else:
        hi, lo = ex[5][1] + 50, ex[6][0] - 50
        lost = [5, 6]
        hgvs_c = f"{MANE}:c.{ex[5][2]}-50_{ex[6][3]}+50del"
        assert hgvs_c == f"{MANE}:c.{c_of(hi, build)}_{c_of(lo, build)}del"
        # 41 + 88 = 129 nt: in frame, 43 residues (< 10 % of menin's 610), no P/LP missense of
        # the shipped table among them: PVS1_Moderate, 2E 0.30. The proband's phenotype is
        # case-level evidence (section 4), the pathologist's to weigh at review.
        length = (ex[5][1] - ex[5][0] + 1) + (ex[6][1] - ex[6][0] + 1)
        assert length == 129 and length % 3 == 0
        section, score, tier = "2E", 0.30, "uncertain_significance"
    r = classify_json([InputFile(str(gcnv(tmp_path, [(lo, hi, 1)], build)), "normal")],
                      build=build)
    v = only(r)
    assert v["copy_number"]["exons"] == lost, paper
    assert v["hgvs_c"] == hgvs_c and v["hgvs_g"] == f"{acc}:g.{lo}_{hi}del"
    assert (v["copy_number"]["section"], v["copy_number"]["score"]) == (section, score)
    assert v["classification"] == tier and v["origin"] == "germline"
    assert v["qualifying"] is (tier == "pathogenic")
    if kind == "exons_5_6":
        assert any("in-frame loss of residues 262-304 (43 aa" in e for e in v["evidence"])


def test_callers_that_disagree_on_a_sample_are_warned_of(tmp_path: Path) -> None:
    """The blood's gCNV file has the exon 3 loss; the paired Manta file's blood column has no
    alternate reads for it (PR 53,0 SR 79,0). The loss stays germline (a caller can miss an
    imprecise event), and a warning names the disagreement."""
    ex = exons()
    germ = gcnv(tmp_path, [(ex[3][0] - 30, ex[3][1] + 30, 1)])
    rec = (f"chr11\t{ex[3][0] - 41}\tMantaDEL:1:0:1:0:0:0\tA\t<DEL>\t.\tPASS\t"
           f"END={ex[3][1] + 40};SVTYPE=DEL;SVLEN=-{ex[3][1] - ex[3][0] + 81};SOMATIC;"
           "SOMATICSCORE=60\tPR:SR\t53,0:79,0\t88,32:141,38")
    paired = write(tmp_path, MANTA, [rec], "manta_del.vcf")
    r = classify_json([InputFile(str(paired)), InputFile(str(germ), "normal")],
                      build="GRCh38", **MANTA_SAMPLES)
    v = only(r)
    assert v["origin"] == "germline" and v["copy_number"]["exons"] == [3]
    (w,) = [w for w in r["warnings"] if "callers disagree" in w]
    assert w.startswith(v["hgvs_c"]) and "the normal's callers disagree (GATK gCNV, Manta)" in w


def test_a_germline_carriers_tumour_whole_gene_loss_is_named_as_the_second_hit(
        tmp_path: Path) -> None:
    """A germline exon 3 deletion (gCNV, blood) and the tumour's single-copy loss of the whole
    gene (CNVkit): the loss is reported as a second hit only, and the germline deletion's
    evidence names it."""
    ex = exons()
    germ = gcnv(tmp_path, [(ex[3][0] - 30, ex[3][1] + 30, 1)])
    seg = tumour_segments(tmp_path, [(ex[10][0] - 90000, ex[1][1] + 50000, "MEN1", -0.6, 1, 40)])
    r = classify_json([InputFile(str(germ), "normal"), InputFile(str(seg), "tumor")],
                      build="GRCh38")
    first = next(v for v in r["variants"] if v["copy_number"]["exons"] == [3])
    assert first["qualifying"]
    (hit,) = [e for e in first["evidence"] if e.startswith("COPY_NUMBER_SECOND_HIT")]
    assert f"{MANE}:c.(?_-61)_(*818_?)del in the tumour" in hit
    # Without a germline first hit the loss is only reported.
    alone = classify_json([InputFile(str(seg), "tumor")], build="GRCh38")
    assert not alone["qualifies"]
    assert not any(e.startswith("COPY_NUMBER_SECOND_HIT") for v in alone["variants"]
                   for e in v["evidence"])
