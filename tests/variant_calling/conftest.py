"""Fixtures for the MEN1 engine: real caller headers around synthetic MEN1 records.

Each builder takes read counts per sample and writes a record in that caller's own encoding
(the FORMAT/INFO layout of the caller's real records in ``tests/data/vcf``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from variant_calling import classify, reference

DATA = Path(__file__).resolve().parents[1] / "data" / "vcf"
REAL_VCFS = sorted(DATA.glob("*.vcf"))
GRCH37_SHIFT = 232528  # GRCh38 - GRCh37 over the MEN1 window

# GRCh38 test variants (ClinVar sample): name -> (pos, ref, alt)
R532X = (64804588, "G", "A")  # NM_000244.3 c.1594C>T p.Arg532Ter, pathogenic
Q265X = (64807557, "G", "A")  # c.793C>T p.Gln265Ter, pathogenic
DEL4 = (64809857, "TAGAC", "T")  # c.249_252del p.Ile85fs, pathogenic
VUS = (64804645, "G", "C")  # c.1537C>G p.Gln513Glu, uncertain significance
A541T = (64804546, "T", "C")  # the RefSeq-vs-genome site; benign, must never qualify


@dataclass(frozen=True)
class Counts:
    ref: int
    alt: int

    @property
    def depth(self) -> int:
        return self.ref + self.alt

    @property
    def vaf(self) -> float:
        return self.alt / self.depth if self.depth else 0.0

    def gt(self) -> str:
        if self.vaf >= 0.85:
            return "1/1"
        return "0/1" if self.vaf >= 0.1 else "0/0"


def header_of(name: str, extra: tuple[str, ...] = ()) -> list[str]:
    lines = (DATA / name).read_text().splitlines()
    head = [ln for ln in lines if ln.startswith("#")]
    return head[:-1] + list(extra) + head[-1:]


CHR11_38 = "##contig=<ID=chr11,length=135086622>"


def mutect2(pos: int, ref: str, alt: str, n: Counts, t: Counts, filt: str = "PASS") -> str:
    # Columns: tumour (ARGO-evo) then normal (ARGO-evo_normal), as in the real file.
    def s(c: Counts, gt: str) -> str:
        return f"{gt}:{c.ref},{c.alt}:{c.vaf + 0.001:.3f}:{c.depth}"

    return (
        f"chr11\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\tDP={n.depth + t.depth};ECNT=1;GERMQ=30;"
        f"NALOD=1.2;NLOD=5.1;POPAF=6.00;TLOD=40.2\tGT:AD:AF:DP\t{s(t, t.gt())}\t{s(n, n.gt())}"
    )


def strelka2(pos: int, ref: str, alt: str, n: Counts, t: Counts, filt: str = "PASS") -> str:
    if len(ref) == 1 and len(alt) == 1:

        def s(c: Counts) -> str:
            counts = {b: 0 for b in "ACGT"}
            counts[ref] = c.ref
            counts[alt] = c.alt
            tiers = ":".join(f"{counts[b]},{counts[b] + 1}" for b in "ACGT")
            return f"{c.depth}:0:0:0:{tiers}"

        nt = "ref" if n.alt == 0 else "het"
        return (
            f"chr11\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\tSOMATIC;QSS=60;TQSS=1;NT={nt};QSS_NT=60;"
            f"TQSS_NT=1;SGT=GG->AG;DP={n.depth + t.depth};MQ=60.00;MQ0=0;SomaticEVS=12.1\t"
            f"DP:FDP:SDP:SUBDP:AU:CU:GU:TU\t{s(n)}\t{s(t)}"
        )

    def si(c: Counts) -> str:
        return f"{c.depth}:{c.depth}:{c.ref},{c.ref}:{c.alt},{c.alt}:0,0:{c.depth}.0:0.00:0.00:0.00"

    return (
        f"chr11\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\tSOMATIC;QSI=50;TQSI=1;NT=ref;QSI_NT=50;"
        f"TQSI_NT=1;SGT=ref->het;MQ=60.00;MQ0=0;RU=A;RC=1;IC=0;IHP=2;SomaticEVS=10.5\t"
        f"DP:DP2:TAR:TIR:TOR:DP50:FDP50:SUBDP50:BCN50\t{si(n)}\t{si(t)}"
    )


def varscan2(pos: int, ref: str, alt: str, n: Counts, t: Counts, filt: str = "PASS") -> str:
    ss = "2" if n.alt == 0 else "1"
    som = "SOMATIC;" if ss == "2" else ""

    def s(c: Counts) -> str:
        freq = f"{100 * c.vaf:.2f}%".replace(".00%", "%")
        return f"{c.gt()}:.:{c.depth}:{c.ref}:{c.alt}:{freq}:{c.ref // 2},{c.ref - c.ref // 2},"\
            f"{c.alt // 2},{c.alt - c.alt // 2}"

    return (
        f"chr11\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\tDP={n.depth + t.depth};{som}SS={ss};SSC=40;"
        f"GPV=1E0;SPV=1.2E-5\tGT:GQ:DP:RD:AD:FREQ:DP4\t{s(n)}\t{s(t)}"
    )


def vardict(pos: int, ref: str, alt: str, n: Counts, t: Counts, filt: str = "PASS",
            status: str = "StrongSomatic") -> str:
    # Tumour (abc) first, then the matched normal (abc-match).
    def s(c: Counts) -> str:
        return (
            f"{c.gt()}:{c.depth}:{c.alt}:{c.alt // 2},{c.alt - c.alt // 2}:"
            f"{c.ref // 2},{c.ref - c.ref // 2}:{c.ref},{c.alt}:{c.vaf:.4f}"
        )

    return (
        f"chr11\t{pos}\t.\t{ref}\t{alt}\t60\t{filt}\tSTATUS={status};SAMPLE=abc;TYPE=SNV;"
        f"DP={t.depth};VD={t.alt};AF={t.vaf:.4f};SHIFT3=0;MSI=1.000;MSILEN=1;SSF=0.001;SOR=0\t"
        f"GT:DP:VD:ALD:RD:AD:AF\t{s(t)}\t{s(n)}"
    )


def muse(pos: int, ref: str, alt: str, n: Counts, t: Counts, filt: str = "PASS") -> str:
    # MuSE: TUMOR first, then NORMAL.
    return (
        f"chr11\t{pos}\t.\t{ref}\t{alt}\t.\t{filt}\tSOMATIC\tGT:DP:AD:BQ:SS\t"
        f"{t.gt()}:{t.depth}:{t.ref},{t.alt}:30,30:2\t{n.gt()}:{n.depth}:{n.ref},{n.alt}:30,0:."
    )


def deepvariant(pos: int, ref: str, alt: str, c: Counts, filt: str = "PASS") -> str:
    return (
        f"chr11\t{pos}\t.\t{ref}\t{alt}\t50.1\t{filt}\t.\tGT:GQ:DP:AD:VAF:PL\t"
        f"{c.gt()}:50:{c.depth}:{c.ref},{c.alt}:{c.vaf:.6g}:50,0,60"
    )


def freebayes(pos: int, ref: str, alt: str, c: Counts, filt: str = ".") -> str:
    return (
        f"chr11\t{pos}\t.\t{ref}\t{alt}\t300.5\t{filt}\tAB=0.5;AC=1;AF=0.5;AN=2;AO={c.alt};"
        f"DP={c.depth};RO={c.ref};NUMALT=1;TYPE=snp\tGT:DP:AD:RO:QR:AO:QA:GL\t"
        f"{c.gt()}:{c.depth}:{c.ref},{c.alt}:{c.ref}:{c.ref * 35}:{c.alt}:{c.alt * 35}:-20,0,-20"
    )


HEADERS = {
    "mutect2": ("mutect2_gatk4_filtered_tumor_normal_argo.vcf", ()),
    "strelka2": ("strelka2_2.9.10_somatic_snv_indel_argo.vcf", ()),
    "varscan2": ("varscan2_somatic_snp_jacquard.vcf", (CHR11_38,)),
    "vardict": ("vardict_1.8.1_paired_subset.vcf", (CHR11_38,)),
    "muse": ("muse_tumor_normal_argo.vcf", ()),
    "deepvariant": ("deepvariant_1.5.0_golden_single_sample.vcf", (CHR11_38,)),
    "freebayes": ("freebayes_1.3.10_single_sample.vcf", (CHR11_38,)),
}
PAIRED = {"mutect2": mutect2, "strelka2": strelka2, "varscan2": varscan2, "vardict": vardict,
          "muse": muse}


def write_vcf(path: Path, caller: str, records: list[str], extra: tuple[str, ...] = ()) -> Path:
    name, add = HEADERS[caller]
    lines = header_of(name, add + extra) + sorted(records, key=lambda r: int(r.split("\t")[1]))
    path.write_text("\n".join(lines) + "\n")
    return path


def bgzip_index(path: Path) -> Path:
    subprocess.run(["bgzip", "-f", str(path)], check=True)
    gz = Path(str(path) + ".gz")
    subprocess.run(["tabix", "-p", "vcf", str(gz)], check=True)
    return gz


@pytest.fixture
def make_vcf(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(10_000))

    def make(caller: str, records: list[str], extra: tuple[str, ...] = (),
             name: str | None = None) -> Path:
        p = tmp_path / (name or f"{caller}_{next(counter)}.vcf")
        return write_vcf(p, caller, records, extra)

    return make


def ref_at(pos: int, n: int = 1, build: str = "GRCh38") -> str:
    return reference.sequence(build, pos, pos + n - 1)


def classify_json(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The engine's result as the CLI and the app see it (its JSON form)."""
    return classify(*args, **kwargs).as_dict()
