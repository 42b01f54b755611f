"""The known-variant table (variant_calling.known)."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pysam
import pytest

from variant_calling import locus
from variant_calling.errors import BuildError, InputError
from variant_calling.known import KnownVariantTable, tier_of
from variant_calling.locus import MANE, annotate

DATA = Path(__file__).resolve().parents[1] / "data"
CLINVAR38 = DATA / "clinvar_MEN1_GRCh38_2021-01_partial.vcf"
CLINVAR37 = DATA / "clinvar_MEN1_GRCh37_2021-01_partial.vcf"


def records(path: Path) -> list[tuple[int, str, str, str, str]]:
    """(pos, ref, alt, VariationID, CLNSIG) of every record, read without pysam."""
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        f = line.split("\t")
        info = dict(kv.split("=", 1) for kv in f[7].split(";"))
        out.append((int(f[1]), f[3], f[4], f[2], info["CLNSIG"]))
    return out


@pytest.mark.parametrize(
    ("clnsig", "tier"),
    [
        ("Pathogenic", "pathogenic"),
        ("Likely_pathogenic", "likely_pathogenic"),
        ("Pathogenic/Likely_pathogenic", "likely_pathogenic"),
        ("Uncertain_significance", "uncertain_significance"),
        ("Conflicting_interpretations_of_pathogenicity", "uncertain_significance"),
        ("Conflicting_classifications_of_pathogenicity", "uncertain_significance"),
        ("Benign/Likely_benign", "likely_benign"),
        ("Likely_benign", "likely_benign"),
        ("Benign", "benign"),
        ("Pathogenic|risk_factor", "pathogenic"),
        ("Pathogenic/Likely_pathogenic/Pathogenic,_low_penetrance", "likely_pathogenic"),
        ("Likely_pathogenic/Likely_benign", "uncertain_significance"),
        ("Conflicting interpretations of pathogenicity", "uncertain_significance"),
        ("drug_response", None),
        ("not_provided", None),
        ("", None),
    ],
)
def test_clinvar_significance_maps_to_five_tiers(clnsig: str, tier: str | None) -> None:
    assert tier_of(clnsig) == tier


def test_shipped_table_holds_every_clinvar_record_of_both_builds() -> None:
    table = KnownVariantTable.shipped()
    assert "2021-01" in table.version and "shipped" in table.version
    assert table.skipped == ()
    for path, build in ((CLINVAR38, "GRCh38"), (CLINVAR37, "GRCh37")):
        recs = records(path)
        assert len(recs) == 53
        for pos, ref, alt, vid, clnsig in recs:
            hit = table.lookup(build, pos, ref, alt)
            assert hit is not None, (build, pos, ref, alt)
            assert hit.id == f"ClinVar:VCV{int(vid):09d}"
            assert hit.significance == tier_of(clnsig)
    assert len(table) == 53  # the two builds describe the same 53 alleles


def test_shipped_entries_are_named_on_mane() -> None:
    table = KnownVariantTable.shipped()
    r460 = table.lookup("GRCh38", 64804789, "G", "A")
    assert r460 is not None
    assert (r460.hgvs_c, r460.protein_change) == (f"{MANE}:c.1378C>T", "p.(Arg460*)")
    assert r460.significance == "pathogenic"
    assert r460.review == "criteria provided, multiple submitters, no conflicts"
    assert r460.source_name == "NM_000244.3(MEN1):c.1393C>T (p.Arg465Ter)"
    assert table.by_hgvs("NM_000244.3:c.1393C>T") == r460


def test_refseq_site_record_is_kept_under_its_transcript_name() -> None:
    table = KnownVariantTable.shipped()
    # ClinVar's REF=T ALT=T record is the genome allele, i.e. c.1621G>A on the transcript.
    entry = table.by_hgvs("NM_000244.3:c.1636G>A")
    assert entry is not None and entry.id == "ClinVar:VCV000041852"
    assert entry.significance == "uncertain_significance"
    # A sample carrying the RefSeq allele is c.1621=, which is not that record.
    assert table.lookup("GRCh38", 64804546, "T", "C") is None


def test_lookup_normalises_the_query() -> None:
    table = KnownVariantTable.shipped()
    # VCV 36521 (c.1174dup) is T>TC at 64805645, before a run of five C (64805646-64805650).
    left = table.lookup("GRCh38", 64805645, "T", "TC")
    right = table.lookup("GRCh38", 64805650, "C", "CC")
    assert left is not None and left == right
    assert left.hgvs_c == f"{MANE}:c.1174dup"
    # Build independent: the GRCh37 coordinates find the same entry.
    assert table.lookup("GRCh37", 64805645 - 232528, "T", "TC") == left
    assert table.lookup("GRCh38", 64805645, "T", "TG") is None
    assert table.lookup("GRCh38", 1000, "A", "C") is None  # outside the window


def test_user_clinvar_vcf_replaces_the_shipped_table(tmp_path: Path) -> None:
    text = CLINVAR38.read_text().splitlines()
    body = [ln for ln in text if not ln.startswith("#")]
    header = [ln for ln in text if ln.startswith("#")]
    header.insert(1, "##fileDate=2099-12-31")
    r460 = next(ln for ln in body if "\t64804789\t" in ln)
    kept = [
        r460.replace("CLNSIG=Pathogenic", "CLNSIG=Likely_benign"),
        next(ln for ln in body if "\t64810109\t" in ln),  # c.1A>G
        "11\t64804700\t999\tG\tA\t.\t.\tALLELEID=1;CLNSIG=drug_response;CLNREVSTAT=x",
        "11\t1000\t998\tA\tC\t.\t.\tALLELEID=2;CLNSIG=Pathogenic;CLNREVSTAT=x",  # not MEN1
    ]
    path = tmp_path / "clinvar_user.vcf"
    path.write_text("\n".join(header + sorted(kept, key=lambda ln: int(ln.split("\t")[1]))) + "\n")
    table = KnownVariantTable.from_clinvar_vcf(str(path), "GRCh38")
    assert "clinvar_user.vcf" in table.version and "2099-12-31" in table.version
    assert len(table) == 2
    hit = table.lookup("GRCh38", 64804789, "G", "A")
    assert hit is not None and hit.significance == "likely_benign"
    # Shipped entries are gone: the user's file replaces, it does not add.
    assert table.lookup("GRCh38", 64804588, "G", "A") is None
    assert [s.reason for s in table.skipped] == ["CLNSIG drug_response is not a pathogenicity tier"]


def test_indexed_clinvar_vcf_is_fetched_by_region(tmp_path: Path) -> None:
    plain = tmp_path / "clinvar37.vcf"
    shutil.copy(CLINVAR37, plain)
    indexed = pysam.tabix_index(str(plain), preset="vcf", force=True)
    table = KnownVariantTable.from_clinvar_vcf(indexed, "GRCh37")
    assert len(table) == 53
    # The GRCh37 file answers for GRCh38 coordinates too (keys are MANE names).
    assert table.lookup("GRCh38", 64804789, "G", "A") is not None


def test_whole_clinvar_vcf_table_matches_the_shipped_one() -> None:
    shipped = KnownVariantTable.shipped()
    user = KnownVariantTable.from_clinvar_vcf(str(CLINVAR38), "GRCh38")
    assert {(v.hgvs_c, v.id, v.significance) for v in user} == {
        (v.hgvs_c, v.id, v.significance) for v in shipped
    }
    assert user.version.startswith("clinvar_MEN1_GRCh38_2021-01_partial.vcf")


def _shift(line: str, by: int) -> str:
    if line.startswith("#"):
        return line
    f = line.split("\t")
    return "\t".join([f[0], str(int(f[1]) + by), *f[2:]])


def test_clinvar_file_on_the_other_build_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="##reference says GRCh38"):
        KnownVariantTable.from_clinvar_vcf(str(CLINVAR38), "GRCh37")
    text = CLINVAR37.read_text().replace("##reference=GRCh37\n", "")
    unlabelled = tmp_path / "unlabelled.vcf"
    unlabelled.write_text(text)
    # Unlabelled GRCh37 positions read as GRCh38 lie outside the MEN1 window: no entries.
    assert len(KnownVariantTable.from_clinvar_vcf(str(unlabelled), "GRCh38")) == 0
    # Unlabelled records whose REF alleles mostly disagree with the genome: refused.
    shifted = tmp_path / "shifted.vcf"
    shifted.write_text("\n".join(_shift(ln, 7) for ln in text.splitlines()) + "\n")
    with pytest.raises(BuildError, match="do not match GRCh37"):
        KnownVariantTable.from_clinvar_vcf(str(shifted), "GRCh37")


def test_unreadable_clinvar_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.vcf"
    bad.write_text("this is not a VCF\n")
    with pytest.raises(InputError, match="cannot open as a VCF"):
        KnownVariantTable.from_clinvar_vcf(str(bad), "GRCh38")
    with pytest.raises(InputError, match="cannot open as a VCF"):
        KnownVariantTable.from_clinvar_vcf(str(tmp_path / "missing.vcf"), "GRCh38")


CLINVAR_STYLE_HEADER = """##fileformat=VCFv4.1
##fileDate=2024-05-01
##source=ClinVar
##reference=GRCh38
##ID=<Description="ClinVar Variation ID">
##INFO=<ID=ALLELEID,Number=1,Type=Integer,Description="the ClinVar Allele ID">
##INFO=<ID=CLNHGVS,Number=.,Type=String,Description="Top-level HGVS expression.">
##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="ClinVar review status">
##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Aggregate germline classification">
##INFO=<ID=GENEINFO,Number=1,Type=String,Description="Gene(s)">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
"""


def test_clinvar_release_layout_is_read(tmp_path: Path) -> None:
    # The layout of ClinVar's own VCF releases: no contig lines, Number=. list fields with
    # commas inside values, VariationID in the ID column.
    rows = [
        "11\t64804789\t16692\tG\tA\t.\t.\tALLELEID=31731;"
        "CLNHGVS=NC_000011.10:g.64804789G>A;"
        "CLNREVSTAT=criteria_provided,_multiple_submitters,_no_conflicts;"
        "CLNSIG=Pathogenic;GENEINFO=MEN1:4221",
        "11\t64810129\t36517\tC\tT\t.\t.\tALLELEID=45179;"
        "CLNHGVS=NC_000011.10:g.64810129C>T;CLNREVSTAT=criteria_provided,_single_submitter;"
        "CLNSIG=Benign/Likely_benign;GENEINFO=MEN1:4221",
        "11\t64807952\t.\tC\tT\t.\t.\tALLELEID=31721;CLNSIG=Pathogenic,_low_penetrance",
    ]
    path = tmp_path / "clinvar_20240501.vcf"
    path.write_text(CLINVAR_STYLE_HEADER + "\n".join(rows) + "\n")
    table = KnownVariantTable.from_clinvar_vcf(str(path), "GRCh38")
    assert table.version == "clinvar_20240501.vcf (fileDate 2024-05-01; source ClinVar)"
    r460 = table.lookup("GRCh38", 64804789, "G", "A")
    assert r460 is not None
    assert (r460.id, r460.significance) == ("ClinVar:VCV000016692", "pathogenic")
    assert r460.review == "criteria provided, multiple submitters, no conflicts"
    assert r460.source_name == "NC_000011.10:g.64804789G>A"
    utr = table.lookup("GRCh38", 64810129, "C", "T")
    assert utr is not None and utr.significance == "likely_benign"
    # ClinVar releases declare no contigs; htslib's complaint is kept, not printed.
    assert any("Contig '11' is not defined" in w for w in table.warnings)
    no_id = table.lookup("GRCh38", 64807952, "C", "T")
    assert no_id is not None
    assert (no_id.id, no_id.significance) == ("ClinVar:AlleleID:31721", "pathogenic")


def test_plain_gzip_clinvar_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "clinvar.vcf.gz"
    path.write_bytes(gzip.compress(CLINVAR38.read_bytes()))
    with pytest.raises(InputError, match="bgzip"):
        KnownVariantTable.from_clinvar_vcf(str(path), "GRCh38")


def test_bgzipped_unindexed_clinvar_file_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "clinvar.vcf.gz"
    pysam.tabix_compress(str(CLINVAR38), str(path))
    assert len(KnownVariantTable.from_clinvar_vcf(str(path), "GRCh38")) == 53


def test_same_protein_change_and_same_residue() -> None:
    table = KnownVariantTable.shipped()
    # c.1306T>A p.(Trp436Arg) is a known pathogenic missense (TGG -> AGG); TGG -> CGG is
    # another way to the same Arg, TGG -> TCG a different missense at the same residue.
    same_aa = annotate("GRCh38", *_vcf("c.1306T>C"))
    assert same_aa.hgvs_p == "p.(Trp436Arg)"
    assert [v.id for v in table.same_protein_change(same_aa)] == ["ClinVar:VCV000016686"]
    assert table.same_residue(same_aa) == []
    other_aa = annotate("GRCh38", *_vcf("c.1307G>C"))
    assert other_aa.hgvs_p == "p.(Trp436Ser)"
    assert table.same_protein_change(other_aa) == []
    # Only the missense entry counts for PM5, not the nonsense p.(Trp436*) at the same residue.
    assert [v.id for v in table.same_residue(other_aa)] == ["ClinVar:VCV000016686"]
    # The variant itself is not its own PS1 evidence.
    known = annotate("GRCh38", *_vcf("c.1306T>A"))
    assert table.same_protein_change(known) == []


def _vcf(c_name: str) -> tuple[int, str, str]:
    vcf = locus.to_genomic("GRCh38", f"{MANE}:{c_name}")
    assert vcf is not None
    return vcf


def test_shipped_table_is_the_same_from_either_build() -> None:
    from variant_calling.known import KnownVariantTable

    both = {v.hgvs_c: v.id for v in KnownVariantTable.shipped()}
    for build in ("GRCh37", "GRCh38"):
        one = KnownVariantTable.shipped(build)
        assert {v.hgvs_c: v.id for v in one} == both
        assert one.version == KnownVariantTable.shipped().version
