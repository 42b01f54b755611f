"""Novel MEN1 variants end to end: a real Mutect2 layout in, the gate's answer out.

Each variant is in no known-variant table. It is written into a VCF with the real GATK4
Mutect2 header (tests/data/vcf), as a germline carrier (normal VAF 0.5) and as a somatic
call (normal 0/40, tumour VAF 0.3), on GRCh38 and GRCh37, with each kind of population
evidence. The expected codes, points, tiers and qualification are computed HERE from the
published tables (ACMG/AMP points, Tavtigian 2020; oncogenicity points, Horak 2022; the MEN1
PVS1 table and frequency thresholds of docs/men1-cli.md), never by asking the engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from variant_calling import classify, locus
from variant_calling.known import KnownVariantTable
from variant_calling.locus import MANE, annotate

from .conftest import GRCH37_SHIFT, header_of

# --- the published tables, written out --------------------------------------------------------
POINTS = {
    "PVS1": 8, "PVS1_Strong": 4, "PM4": 2, "PM2_Supporting": 1, "BS1": -4, "BA1": 0,
    "OVS1": 8, "OVS1_Strong": 4, "OM2": 2, "OP4": 1, "SBS1": -4, "SBVS1": -8,
}


def acmg_tier(codes: tuple[str, ...]) -> str:
    if "BA1" in codes:
        return "benign"
    return _tier(sum(POINTS[c] for c in codes), "pathogenic", "likely_pathogenic")


def onc_tier(codes: tuple[str, ...]) -> str:
    return _tier(sum(POINTS[c] for c in codes), "oncogenic", "likely_oncogenic")


def _tier(points: int, top: str, likely: str) -> str:
    if points >= 10:
        return top
    if points >= 6:
        return likely
    if points >= 0:
        return "uncertain_significance"
    return "likely_benign" if points >= -6 else "benign"


# --- the variants ---------------------------------------------------------------------------
class Novel(NamedTuple):
    label: str
    c_name: str
    consequence: str
    germline: tuple[str, ...]  # ACMG codes from the variant itself (PVS1 row, PM4)
    somatic: tuple[str, ...]  # the same for oncogenicity (OVS1 row, OM2)


NOVEL = [
    Novel("nonsense, exon 2, NMD", "c.133G>T", "stop_gained", ("PVS1",), ("OVS1",)),
    Novel("nonsense, exon 7, NMD", "c.963C>A", "stop_gained", ("PVS1",), ("OVS1",)),
    Novel("nonsense, exon 10, escapes NMD, before Arg527", "c.1412G>A", "stop_gained",
          ("PVS1",), ("OVS1",)),
    Novel("nonsense, exon 10, NLS region", "c.1588G>T", "stop_gained", ("PVS1",), ("OVS1",)),
    Novel("frameshift deletion, exon 3", "c.502del", "frameshift_variant", ("PVS1",),
          ("OVS1",)),
    Novel("frameshift duplication, exon 5", "c.800dup", "frameshift_variant", ("PVS1",),
          ("OVS1",)),
    Novel("frameshift, exon 10, escapes NMD", "c.1450del", "frameshift_variant", ("PVS1",),
          ("OVS1",)),
    Novel("canonical donor, exon 6", "c.912+1G>A", "splice_donor_variant", ("PVS1",),
          ("OVS1",)),
    Novel("canonical acceptor, exon 9 (in-frame skip)", "c.1186-1G>A",
          "splice_acceptor_variant", ("PVS1",), ("OVS1",)),
    Novel("canonical acceptor of the last exon", "c.1351-2A>G", "splice_acceptor_variant",
          ("PVS1",), ("OVS1",)),
    Novel("donor of the non-coding exon 1", "c.-24+1G>A", "splice_donor_variant", (), ()),
    Novel("initiation codon", "c.2T>C", "start_lost", ("PVS1",), ("OVS1",)),
    Novel("in-frame deletion", "c.1100_1102del", "inframe_deletion", ("PM4",), ("OM2",)),
    Novel("in-frame duplication", "c.1000_1002dup", "inframe_insertion", ("PM4",), ("OM2",)),
    Novel("stop lost", "c.1833A>G", "stop_lost", ("PM4",), ("OM2",)),
    Novel("missense", "c.1000G>A", "missense_variant", (), ()),
    Novel("synonymous", "c.900C>T", "synonymous_variant", (), ()),
    Novel("splice region, +5", "c.912+5G>A", "splice_region_variant", (), ()),
    Novel("deep intronic", "c.913-20T>C", "intron_variant", (), ()),
    Novel("5' UTR", "c.-10G>A", "5_prime_UTR_variant", (), ()),
]


class Population(NamedTuple):
    label: str
    info: str  # the record's population INFO field ("" for none)
    germline: tuple[str, ...]
    somatic: tuple[str, ...]


POPULATIONS = {
    # Mutect2's POPAF default (6.00) with a germline resource named in the header: absent.
    "popaf_default": Population("POPAF default", "POPAF=6.00", ("PM2_Supporting",), ("OP4",)),
    "none": Population("no population field", "", (), ()),
    # The same POPAF from a Mutect2 run that named no germline resource: no evidence at all.
    "popaf_no_resource": Population("POPAF, no resource", "POPAF=6.00", (), ()),
    "gnomad_rare": Population("gnomAD 1e-6", "gnomAD_AF=1e-06", ("PM2_Supporting",), ("OP4",)),
    # Above MEN1's maximum credible AF (3.3e-6), below BA1.
    "gnomad_common": Population("gnomAD 0.2 %", "gnomAD_AF=0.002", ("BS1",), ("SBS1",)),
    "gnomad_very_common": Population("gnomAD 8 %", "gnomAD_AF=0.08", ("BA1",), ("SBVS1",)),
}

#: An applied code as the evidence trail writes it: "PVS1 (+8): ...", "BA1 (stand-alone): ...".
APPLIED = re.compile(r"^([A-Z]+\d+(?:_[A-Za-z]+)?) \((?:[+-]\d+|stand-alone)\): ")
GNOMAD_HEADER = '##INFO=<ID=gnomAD_AF,Number=A,Type=Float,Description="gnomAD AF">'
GRCH37_CONTIG = "##contig=<ID=chr11,length=135006516>"


def write(tmp: Path, build: str, v: Novel, origin: str, pop: Population) -> Path:
    g = locus.to_genomic("GRCh38", f"{MANE}:{v.c_name}")
    assert g is not None
    pos, ref, alt = g
    if build == "GRCh37":
        pos -= GRCH37_SHIFT
    head = header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf", (GNOMAD_HEADER,))
    if pop.label == "POPAF, no resource":
        head = [re.sub(r" --germline-resource \S+", "", h) for h in head]
    if build == "GRCh37":
        head = [GRCH37_CONTIG if h.startswith("##contig=<ID=chr11,") else h for h in head]
    normal, tumour = ((20, 20), (30, 30)) if origin == "germline" else ((40, 0), (28, 12))

    def sample(ref_n: int, alt_n: int) -> str:
        gt = "0/1" if alt_n else "0/0"
        return f"{gt}:{ref_n},{alt_n}:{alt_n / (ref_n + alt_n) + 0.001:.3f}:{ref_n + alt_n}"

    info = ";".join(x for x in ("DP=100", "ECNT=1", "GERMQ=30", "TLOD=40.2", pop.info) if x)
    filt = "germline" if origin == "germline" else "PASS"
    rec = (f"chr11\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\t{info}\tGT:AD:AF:DP\t"
           f"{sample(*tumour)}\t{sample(*normal)}")
    path = tmp / f"{build}_{origin}.vcf"
    path.write_text("\n".join([*head, rec]) + "\n")
    return path


# 20 variants x 2 origins on GRCh38 with the Mutect2 default, plus builds and population
# evidence crossed over them: 20 x 2 + 20 x 2 (GRCh37, no field) + 10 x 2 x 4 = 160 runs.
CASES: list[tuple[str, Novel, str, str]] = []
for v in NOVEL:
    for origin in ("germline", "somatic"):
        CASES.append(("GRCh38", v, origin, "popaf_default"))
        CASES.append(("GRCh37", v, origin, "none"))
for v in NOVEL[::2]:
    for origin in ("germline", "somatic"):
        for key in ("gnomad_rare", "gnomad_common", "gnomad_very_common", "popaf_no_resource"):
            CASES.append(("GRCh38" if key != "gnomad_common" else "GRCh37", v, origin, key))


def test_the_variants_are_novel_and_their_consequences_as_labelled() -> None:
    for build in ("GRCh38", "GRCh37"):
        table = KnownVariantTable.shipped(build)
        for v in NOVEL:
            g = locus.to_genomic(build, f"{MANE}:{v.c_name}")
            assert g is not None
            ann = annotate(build, *g)
            assert ann.consequence == v.consequence, v
            assert table.lookup(build, *g) is None
            assert not table.same_protein_change(ann) and not table.same_residue(ann)


@pytest.mark.parametrize(
    ("build", "variant", "origin", "population"),
    CASES,
    ids=[f"{b}-{v.c_name}-{o}-{p}" for b, v, o, p in CASES],
)
def test_novel_variant(tmp_path: Path, build: str, variant: Novel, origin: str,
                       population: str) -> None:
    pop = POPULATIONS[population]
    result = classify([str(write(tmp_path, build, variant, origin, pop))], build=build)
    assert len(result.variants) == 1
    got = result.variants[0]
    assert got.origin == origin and got.hgvs_c == f"{MANE}:{variant.c_name}"

    germline_codes = variant.germline + pop.germline
    expected_tier = acmg_tier(germline_codes)
    expected_points = sum(POINTS[c] for c in germline_codes)
    assert (got.classification, got.points) == (expected_tier, expected_points), got.evidence
    applied = {m.group(1) for e in got.evidence if (m := APPLIED.match(e))}
    assert applied == set(germline_codes), got.evidence

    if origin == "germline":
        assert got.oncogenicity is None
        qualifying = expected_tier in ("pathogenic", "likely_pathogenic")
    else:
        somatic_codes = variant.somatic + pop.somatic
        onc = got.oncogenicity
        assert onc is not None
        assert (onc.tier, onc.points) == (onc_tier(somatic_codes),
                                          sum(POINTS[c] for c in somatic_codes)), onc.evidence
        qualifying = expected_tier in ("pathogenic", "likely_pathogenic") or onc.tier in (
            "oncogenic", "likely_oncogenic")
    assert got.qualifying is qualifying
    assert result.qualifies is qualifying
    expected_status = (origin if qualifying else
                       "vus_only" if "uncertain_significance" in (
                           expected_tier, got.oncogenicity and got.oncogenicity.tier)
                       else "none_detected")
    assert result.men1_status == expected_status
    if population == "popaf_no_resource":
        assert any("POPAF ignored: no --germline-resource" in w for w in result.warnings)


def test_enough_cases_of_every_kind() -> None:
    assert len(CASES) >= 40
    assert {c[0] for c in CASES} == {"GRCh38", "GRCh37"}
    assert {c[2] for c in CASES} == {"germline", "somatic"}
    assert {c[3] for c in CASES} == set(POPULATIONS)
    kinds = {v.consequence for v in NOVEL}
    assert {"stop_gained", "frameshift_variant", "splice_donor_variant",
            "splice_acceptor_variant", "start_lost", "inframe_deletion", "inframe_insertion",
            "stop_lost", "missense_variant", "synonymous_variant", "splice_region_variant",
            "intron_variant", "5_prime_UTR_variant"} <= kinds
