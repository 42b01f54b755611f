"""The experiment that opened issue 14, rerun through ``men1 classify``.

Ten novel MEN1 truncating variants (nonsense, frameshift, canonical splice), each predicted to
undergo nonsense-mediated decay, as a germline carrier (normal VAF 0.5) and as a somatic call
(normal 0/40, tumour VAF 0.3) in the Mutect2 layout, three runs each: ``POPAF=6.00`` on GRCh38,
``POPAF=6.00`` on GRCh37, no population field on GRCh38. 10 x 2 x 3 = 60 runs, which were all
``uncertain_significance`` and not qualifying before the points scale.

Everything the test expects is computed here, not by the engine: the variants come from the
shipped MANE CDS and exon table (genomic positions from the exon table's own GRCh38 and
GRCh37 columns, the gene being on the minus strand), NMD is predicted by translating the
mutated or exon-skipped CDS (a premature stop more than 50 nt 5' of the last exon-exon
junction), and the points are the published ones (Tavtigian et al. 2020: very strong 8,
supporting 1; Horak et al. 2022 the same for OVS1/OP4): PVS1 8 (+ PM2_Supporting 1 when
Mutect2 with a ``--germline-resource`` says the allele is absent) = likely pathogenic, and
OVS1 8 (+ OP4 1) = likely oncogenic for the somatic calls.
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from Bio.Seq import Seq

from variant_calling import reference
from variant_calling.cli import main
from variant_calling.known import KnownVariantTable

from .conftest import header_of

DATA = resources.files("variant_calling").joinpath("data")
MANE = "NM_001370259.2"
ARGO = "mutect2_gatk4_filtered_tumor_normal_argo.vcf"  # real GATK4 Mutect2, --germline-resource
CONTIG = {"GRCh38": "##contig=<ID=chr11,length=135086622>",
          "GRCh37": "##contig=<ID=chr11,length=135006516>"}
COMPLEMENT = str.maketrans("ACGT", "TGCA")
VERY_STRONG, SUPPORTING = 8, 1  # Tavtigian 2020 / Horak 2022 points


def _cds() -> str:
    text = DATA.joinpath("MEN1_transcripts_CDS.fa").read_text()
    return "".join(text.split(f">{MANE}")[1].split(">")[0].splitlines()[1:])


class Exon(NamedTuple):
    number: int
    c_first: int  # first coding base in the exon (c.)
    c_last: int
    tx_start: int  # transcript position of the exon's first base
    g38: tuple[int, int]  # plus-strand start, end
    g37: tuple[int, int]


def _exons() -> tuple[list[Exon], int]:
    """The MANE coding exons and the transcript position of c.1, from the exon table."""
    rows = csv.DictReader(
        (ln for ln in DATA.joinpath("MEN1_exons.tsv").read_text().splitlines()
         if not ln.startswith("# ")), delimiter="\t")
    out = []
    cds_tx = 0
    for r in rows:
        if r["transcript"] != MANE or r["c_end"].startswith("c.-"):
            continue
        first, last = r["c_start"][2:], r["c_end"][2:]
        if first.startswith("-"):
            # c.1 lies |c_start| bases after the exon's first base (there is no c.0).
            cds_tx = int(r["tx_start"]) - int(first)
        out.append(Exon(
            int(r["exon"]), 1 if first.startswith("-") else int(first),
            1833 if last.startswith("*") else int(last), int(r["tx_start"]),
            (int(r["grch38_start"]), int(r["grch38_end"])),
            (int(r["grch37_start"]), int(r["grch37_end"]))))
    return out, cds_tx


CDS = _cds()
EXONS, CDS_TX = _exons()
LAST_JUNCTION = next(e.c_last for e in EXONS if e.number == 9)  # end of exon 9, c.1350


def genomic(c: int, build: str) -> int:
    """Plus-strand position of coding base c.``c`` (minus-strand gene)."""
    tx = CDS_TX + c - 1
    for e in EXONS:
        span = e.g38 if build == "GRCh38" else e.g37
        if e.tx_start <= tx <= e.tx_start + span[1] - span[0]:
            return span[1] - (tx - e.tx_start)
    raise AssertionError(c)


def nmd(mutated_cds: str, junction: int = LAST_JUNCTION) -> bool:
    """A premature stop more than 50 nt 5' of the last exon-exon junction."""
    protein = str(Seq(mutated_cds[: len(mutated_cds) // 3 * 3]).translate())
    stop = protein.index("*") + 1
    return 3 * (stop - 1) + 1 <= junction - 50  # the stop codon's first base


class Novel(NamedTuple):
    label: str
    #: (pos, ref, alt) on the plus strand, per build, VCF style
    site: dict[str, tuple[int, str, str]]


def _snv(c: int, alt_coding: str, label: str) -> Novel:
    site = {}
    for build in ("GRCh38", "GRCh37"):
        pos = genomic(c, build)
        ref = CDS[c - 1].translate(COMPLEMENT)
        assert reference.sequence(build, pos, pos) == ref, (label, build)
        site[build] = (pos, ref, alt_coding.translate(COMPLEMENT))
    return Novel(label, site)


def _stop_gain(codon: int) -> tuple[int, str] | None:
    """The first single-base change (c. position, base) that makes ``codon`` a stop codon."""
    triplet = CDS[3 * (codon - 1): 3 * codon]
    for k in range(3):
        for alt in "ACGT":
            mutated = triplet[:k] + alt + triplet[k + 1:]
            if alt != triplet[k] and str(Seq(mutated).translate()) == "*":
                return 3 * (codon - 1) + k + 1, alt
    return None


def _nonsense(codons: range) -> Novel:
    for codon in codons:
        if (hit := _stop_gain(codon)) is not None:
            c, alt = hit
            assert nmd(CDS[: c - 1] + alt + CDS[c:])
            return _snv(c, alt, f"c.{c}{CDS[c - 1]}>{alt} p.{codon}*")
    raise AssertionError(codons)


def _deletion(c: int) -> Novel:
    """c.``c``del: on the plus strand the deleted base is genomic(c), anchored on the base
    before it (genomic(c) - 1, which is c.``c + 1``'s side on this minus-strand gene)."""
    assert nmd(CDS[: c - 1] + CDS[c:])
    site = {}
    for build in ("GRCh38", "GRCh37"):
        pos = genomic(c, build)
        two = reference.sequence(build, pos - 1, pos)
        assert two[1] == CDS[c - 1].translate(COMPLEMENT)
        site[build] = (pos - 1, two, two[0])
    return Novel(f"c.{c}del", site)


def _donor(exon: int, offset: int) -> Novel:
    """Intron ``exon`` +1G>A or +2T>C (the donor's GT): the exon is skipped; it must be out
    of frame, with NMD predicted."""
    e = next(x for x in EXONS if x.number == exon)
    skipped = CDS[: e.c_first - 1] + CDS[e.c_last:]
    assert (e.c_last - e.c_first + 1) % 3 != 0
    assert nmd(skipped, LAST_JUNCTION - (e.c_last - e.c_first + 1))
    coding_ref, coding_alt = {1: ("G", "A"), 2: ("T", "C")}[offset]
    site = {}
    for build in ("GRCh38", "GRCh37"):
        span = e.g38 if build == "GRCh38" else e.g37
        pos = span[0] - offset  # intronic, 3' of the exon on this minus-strand gene
        ref = coding_ref.translate(COMPLEMENT)
        assert reference.sequence(build, pos, pos) == ref, (exon, build)
        site[build] = (pos, ref, coding_alt.translate(COMPLEMENT))
    return Novel(f"c.{e.c_last}+{offset}{coding_ref}>{coding_alt} (exon {exon} donor)", site)


NOVEL = [
    _nonsense(range(30, 60)),  # exon 2
    _nonsense(range(160, 200)),  # exon 3
    _nonsense(range(300, 330)),  # exon 7
    _nonsense(range(360, 390)),  # exon 8
    _deletion(520),  # exon 3
    _deletion(850),  # exon 6
    _deletion(1100),  # exon 8
    # c.654+1G>A and c.824+1G>A are in the shipped ClinVar sample: their +2 neighbours are not.
    _donor(3, 2),
    _donor(5, 2),
    _donor(7, 1),
]

RUNS = [("GRCh38", "POPAF=6.00"), ("GRCh37", "POPAF=6.00"), ("GRCh38", "")]
CASES = [(v, origin, build, pop) for v in NOVEL for origin in ("germline", "somatic")
         for build, pop in RUNS]


def test_the_experiment_is_sixty_runs_of_novel_variants() -> None:
    assert len(CASES) == 60
    for build in ("GRCh38", "GRCh37"):
        table = KnownVariantTable.shipped(build)
        for v in NOVEL:
            assert table.lookup(build, *v.site[build]) is None, v.label


def write(tmp: Path, v: Novel, origin: str, build: str, pop: str,
          tumour: tuple[int, int] | None = None) -> Path:
    head = [CONTIG[build] if h.startswith("##contig=<ID=chr11,") else h
            for h in header_of(ARGO)]
    pos, ref, alt = v.site[build]
    normal = (20, 20) if origin == "germline" else (40, 0)
    tumour = tumour or ((30, 30) if origin == "germline" else (28, 12))
    # What a real Mutect2 run writes for a carrier: its germline and normal-artifact filters.
    filt = "germline;normal_artifact" if origin == "germline" else "PASS"

    def sample(ref_n: int, alt_n: int) -> str:
        gt = "0/1" if alt_n else "0/0"
        return f"{gt}:{ref_n},{alt_n}:{alt_n / (ref_n + alt_n):.3f}:{ref_n + alt_n}"

    info = ";".join(x for x in ("DP=100", "ECNT=1", "GERMQ=30", pop, "TLOD=40.2") if x)
    rec = (f"chr11\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\t{info}\tGT:AD:AF:DP\t"
           f"{sample(*tumour)}\t{sample(*normal)}")
    path = tmp / f"{build}_{origin}.vcf"
    path.write_text("\n".join([*head, rec]) + "\n")
    return path


def men1_classify(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    rc = main(["classify", str(path), *args])
    out = capsys.readouterr()
    assert rc == 0, out.err
    result: dict[str, Any] = json.loads(out.out)
    return result


@pytest.mark.parametrize(("variant", "origin", "build", "pop"), CASES,
                         ids=[f"{v.label.split()[0]}-{o}-{b}-{p or 'no_field'}"
                              for v, o, b, p in CASES])
def test_novel_truncating_variant_qualifies(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            variant: Novel, origin: str, build: str,
                                            pop: str) -> None:
    r = men1_classify(write(tmp_path, variant, origin, build, pop), capsys,
                      "--build", build)
    (v,) = r["variants"]
    points = VERY_STRONG + (SUPPORTING if pop else 0)
    assert v["origin"] == origin
    assert (v["classification"], v["points"]) == ("likely_pathogenic", points), v["evidence"]
    if origin == "germline":
        assert v["oncogenicity"] is None
    else:
        onc = v["oncogenicity"]
        assert (onc["tier"], onc["points"]) == ("likely_oncogenic", points), onc["evidence"]
    assert v["qualifying"] and r["qualifies"] and r["men1_status"] == origin


def test_germline_frameshift_with_loss_of_the_other_allele_qualifies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The second observation: tumour VAF 0.87, no population field.
    r = men1_classify(write(tmp_path, NOVEL[5], "germline", "GRCh38", "", tumour=(8, 52)),
                      capsys)
    (v,) = r["variants"]
    assert v["origin"] == "germline_loh"
    assert v["oncogenicity"] is None  # a germline origin: one scale only
    assert (v["classification"], v["points"]) == ("likely_pathogenic", VERY_STRONG)
    assert v["qualifying"] and r["men1_status"] == "germline"


@pytest.mark.parametrize("origin", ["germline", "somatic"])
def test_novel_last_exon_nonsense_with_af_0_qualifies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], origin: str) -> None:
    # The third: a last-exon nonsense escapes NMD; the MEN1 PVS1 table's ESCAPE_NLS row
    # (docs/men1-cli.md) keeps it very strong. gnomAD_AF=0 is "absent": PM2_Supporting / OP4.
    codons = range(540, 580)  # between NLSa's start and NLS2, exon 10
    last = None
    for codon in codons:
        try:
            last = _nonsense_escaping(codon)
            break
        except LookupError:
            continue
    assert last is not None
    assert KnownVariantTable.shipped("GRCh38").lookup("GRCh38", *last.site["GRCh38"]) is None
    p = write(tmp_path, last, origin, "GRCh38", "gnomAD_AF=0")
    text = p.read_text().replace(
        "#CHROM", '##INFO=<ID=gnomAD_AF,Number=A,Type=Float,Description="gnomAD AF">\n#CHROM')
    p.write_text(text)
    r = men1_classify(p, capsys)
    (v,) = r["variants"]
    assert v["consequence"] == "stop_gained"
    assert (v["classification"], v["points"]) == ("likely_pathogenic", VERY_STRONG + SUPPORTING)
    if origin == "somatic":
        assert v["oncogenicity"]["tier"] == "likely_oncogenic"
    assert v["qualifying"] and r["men1_status"] == origin


def _nonsense_escaping(codon: int) -> Novel:
    hit = _stop_gain(codon)
    if hit is None:
        raise LookupError(codon)
    c, alt = hit
    assert not nmd(CDS[: c - 1] + alt + CDS[c:])  # in the last exon
    return _snv(c, alt, f"c.{c}{CDS[c - 1]}>{alt}")


NULL = ("stop_gained", "frameshift_variant", "splice_donor_variant", "splice_acceptor_variant",
        "start_lost")


@pytest.mark.parametrize("build", ["GRCh38", "GRCh37"])
def test_known_null_variants_qualify_with_an_empty_clinvar(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], build: str) -> None:
    """The issue's second observation, through ``men1 classify --clinvar EMPTY``: every P/LP
    null variant of the shipped ClinVar sample (nonsense, frameshift, canonical splice, start
    loss), called as a germline carrier in one Mutect2 file, is still at least likely
    pathogenic and qualifies without the table."""
    from variant_calling.locus import annotate

    clinvar = DATA.joinpath(f"clinvar_MEN1_{build}_2021-01_partial.vcf").read_text().splitlines()
    empty = tmp_path / "clinvar_empty.vcf"
    empty.write_text("\n".join(ln for ln in clinvar if ln.startswith("#")) + "\n")
    shipped = KnownVariantTable.shipped(build)
    sites = []
    for line in clinvar:
        if line.startswith("#"):
            continue
        f = line.split("\t")
        pos, ref, alt = int(f[1]), f[3], f[4]
        known = shipped.lookup(build, pos, ref, alt)
        if known and known.significance in ("pathogenic", "likely_pathogenic") \
                and annotate(build, pos, ref, alt).consequence in NULL:
            sites.append((pos, ref, alt))
    assert len(sites) >= 22  # the 22 nonsense/frameshift/splice, and start losses
    head = [CONTIG[build] if h.startswith("##contig=<ID=chr11,") else h
            for h in header_of(ARGO)]
    records = [f"chr11\t{pos}\t.\t{ref}\t{alt}\t.\tgermline;normal_artifact\tDP=100;ECNT=1;"
               f"GERMQ=5;TLOD=80.1\tGT:AD:AF:DP\t0/1:30,30:0.500:60\t0/1:20,20:0.500:40"
               for pos, ref, alt in sorted(set(sites))]
    vcf = tmp_path / "carriers.vcf"
    vcf.write_text("\n".join([*head, *records]) + "\n")
    r = men1_classify(vcf, capsys, "--build", build, "--clinvar", str(empty))
    assert len(r["variants"]) == len(set(sites))
    for v in r["variants"]:
        assert not any(e.startswith("known:") for e in v["evidence"]), v["hgvs_c"]
        assert v["classification"] in ("pathogenic", "likely_pathogenic"), (v["hgvs_c"],
                                                                            v["evidence"])
        assert v["origin"] == "germline" and v["qualifying"], v["hgvs_c"]
    assert r["men1_status"] == "germline"
