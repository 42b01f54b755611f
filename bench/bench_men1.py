"""Benchmark ``men1 classify`` on a whole-genome-sized VCF against bcftools and bgzip.

Run::

    .venv/bin/python bench/bench_men1.py                 # 5,000,000 records (default)
    .venv/bin/python bench/bench_men1.py --quick          # smoke run: 200,000 records, once
    .venv/bin/python bench/bench_men1.py --records N --repeat R

It writes ``bench/out/wgs_<N>.vcf.gz`` (+ ``.tbi``; git-ignored, reused when present), a
tumour/normal pair in Mutect2's layout on GRCh38 with records spread over chr1..chrY in
proportion to their lengths, two of them pathogenic MEN1 variants. It then measures wall time
from process start to exit (median of ``--repeat`` runs; ``variant_calling`` byte-compiled first,
as an install would have it) and peak memory (max RSS via wait4):

* indexed:   ``men1 classify`` vs ``bcftools view -H -r <MEN1 region>``        goal ≤ 2×
* unindexed: ``men1 classify`` vs ``bcftools view -H`` (full scan)              goal ≤ 0.5×
             ``men1 classify`` vs ``bgzip -dc | wc -l`` (decompression floor)   reported
* peak memory of ``men1 classify``                                               goal < 200 MB
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from variant_calling import reference  # noqa: E402

OUT = ROOT / "bench" / "out"
MEN1 = reference.window("GRCh38")
REGION = f"chr11:{MEN1.start}-{MEN1.end}"
GRCH38 = {
    "chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555,
    "chr5": 181538259, "chr6": 170805979, "chr7": 159345973, "chr8": 145138636,
    "chr9": 138394717, "chr10": 133797422, "chr11": 135086622, "chr12": 133275309,
    "chr13": 114364328, "chr14": 107043718, "chr15": 101991189, "chr16": 90338345,
    "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
    "chr21": 46709983, "chr22": 50818468, "chrX": 156040895, "chrY": 57227415,
}
HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth">
##INFO=<ID=ECNT,Number=1,Type=Integer,Description="Events in haplotype">
##INFO=<ID=GERMQ,Number=1,Type=Integer,Description="Not germline quality">
##INFO=<ID=POPAF,Number=A,Type=Float,Description="-log10 population AF">
##INFO=<ID=TLOD,Number=A,Type=Float,Description="Tumour LOD">
##MutectVersion=2.2
##normal_sample=NORMAL1
##tumor_sample=TUMOR1
{contigs}
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR1\tNORMAL1
"""
FORMAT = "GT:AD:AF:DP"
# Pathogenic MEN1 variants planted in the file: germline + LOH, and somatic.
PLANTED = {
    64804588: "chr11\t64804588\t.\tG\tA\t.\tPASS\tDP=100;ECNT=1;GERMQ=1;POPAF=6.00;TLOD=80.1"
    f"\t{FORMAT}\t0/1:8,52:0.866:60\t0/1:20,20:0.5:40",
    64809857: "chr11\t64809857\t.\tTAGAC\tT\t.\tPASS\tDP=90;ECNT=1;GERMQ=93;POPAF=6.00;TLOD=50.2"
    f"\t{FORMAT}\t0/1:30,20:0.4:50\t0/0:40,0:0.024:40",
}


def generate(path: Path, records: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    total = sum(GRCH38.values())
    contigs = "\n".join(f"##contig=<ID={c},length={n},assembly=GRCh38>" for c, n in GRCH38.items())
    men1_seq = reference.sequence("GRCh38", MEN1.start, MEN1.end)
    bases = "ACGT"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as raw:
        bgzip = subprocess.Popen(["bgzip", "-@", "2", "-c"], stdin=subprocess.PIPE, stdout=raw)
        assert bgzip.stdin is not None
        out = bgzip.stdin
        out.write(HEADER.format(contigs=contigs).encode())
        written = 0
        for chrom, length in GRCH38.items():
            n = max(1, round(records * length / total))
            if chrom == "chrY":
                n = records - written
            step = length / (n + 1)
            buf: list[str] = []
            planted = dict(PLANTED) if chrom == "chr11" else {}
            for i in range(1, n + 1):
                pos = int(i * step)
                for p in [p for p in planted if p <= pos]:
                    buf.append(planted.pop(p))
                if MEN1.start <= pos <= MEN1.end:
                    ref = men1_seq[pos - MEN1.start]
                else:
                    ref = bases[rng.randrange(4)]
                alt = bases[(bases.index(ref) + 1 + rng.randrange(3)) % 4]
                t_alt = rng.randrange(3, 30)
                t_ref = rng.randrange(20, 60)
                n_ref = rng.randrange(25, 60)
                buf.append(
                    f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\tDP={t_ref + t_alt + n_ref};"
                    f"ECNT=1;GERMQ=93;POPAF=6.00;TLOD={t_alt * 2.5:.2f}\t{FORMAT}\t"
                    f"0/1:{t_ref},{t_alt}:{t_alt / (t_ref + t_alt):.3f}:{t_ref + t_alt}\t"
                    f"0/0:{n_ref},0:0.020:{n_ref}"
                )
                if len(buf) >= 50_000:
                    out.write(("\n".join(buf) + "\n").encode())
                    buf.clear()
            buf.extend(planted.values())
            if buf:
                out.write(("\n".join(buf) + "\n").encode())
            written += n
        out.close()
        if bgzip.wait() != 0:
            raise SystemExit("bgzip failed")
    tmp.rename(path)
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)


def run(cmd: list[str] | str, *, shell: bool = False) -> tuple[float, int, float]:
    """(wall seconds, exit code, peak RSS in MB) from process start to exit."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, proc.returncode, usage.ru_maxrss / 1024


def median_runs(
    cmds: list[list[str] | str], repeat: int, *, shell: bool = False
) -> list[tuple[float, float]]:
    """(median wall seconds, max peak RSS MB) per command. The commands take turns, so that a
    change in the machine's load (it is shared) weighs on both sides of a ratio alike."""
    times: list[list[float]] = [[] for _ in cmds]
    peaks: list[list[float]] = [[] for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            wall, rc, peak = run(cmd, shell=shell and isinstance(cmd, str))
            if rc != 0:
                raise SystemExit(f"command failed ({rc}): {cmd}")
            times[i].append(wall)
            peaks[i].append(peak)
    return [(statistics.median(t), max(p)) for t, p in zip(times, peaks, strict=True)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON too")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 200,000 records, one repeat (figures not meaningful)")
    args = ap.parse_args()
    if args.quick:
        args.records, args.repeat = 200_000, 1
    for tool in ("bcftools", "bgzip", "tabix"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found on PATH")
    men1 = str(Path(sys.executable).with_name("men1"))
    OUT.mkdir(parents=True, exist_ok=True)
    indexed = OUT / f"wgs_{args.records}.vcf.gz"
    if not indexed.exists() or not Path(str(indexed) + ".tbi").exists():
        print(f"generating {indexed} ({args.records:,} records) ...", flush=True)
        t0 = time.perf_counter()
        generate(indexed, args.records)
        print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)
    noindex_dir = OUT / "noindex"
    noindex_dir.mkdir(exist_ok=True)
    unindexed = noindex_dir / indexed.name
    if not unindexed.exists():
        os.link(indexed, unindexed)
    size_mb = indexed.stat().st_size / 1e6
    # An installed package runs from compiled bytecode (pip compiles it). A checkout run with
    # PYTHONDONTWRITEBYTECODE set, or read-only, would recompile every module at each start,
    # ~20 ms that no installed `men1` pays: compile once here, as an install would.
    compileall.compile_dir(ROOT / "variant_calling", quiet=1)

    # Sanity: the planted variants are found both ways.
    for f in (indexed, unindexed):
        res = json.loads(subprocess.run([men1, "classify", str(f)], check=True,
                                        capture_output=True, text=True).stdout)
        assert res["men1_status"] == "germline_and_somatic", res["men1_status"]

    r = args.repeat
    (m_idx, m_idx_mem), (b_idx, _) = median_runs(
        [[men1, "classify", str(indexed)], ["bcftools", "view", "-H", "-r", REGION, str(indexed)]],
        r,
    )
    (m_full, m_full_mem), (b_full, _), (floor, _) = median_runs(
        [
            [men1, "classify", str(unindexed)],
            ["bcftools", "view", "-H", str(unindexed)],
            f"bgzip -dc '{unindexed}' | wc -l",
        ],
        r,
        shell=True,
    )

    figures = {
        "records": args.records,
        "file_mb": round(size_mb, 1),
        "indexed_men1_s": round(m_idx, 3),
        "indexed_bcftools_region_s": round(b_idx, 3),
        "indexed_ratio": round(m_idx / b_idx, 2),
        "unindexed_men1_s": round(m_full, 3),
        "unindexed_bcftools_full_s": round(b_full, 3),
        "unindexed_ratio_vs_bcftools": round(m_full / b_full, 3),
        "bgzip_dc_wc_l_s": round(floor, 3),
        "unindexed_ratio_vs_bgzip_floor": round(m_full / floor, 2),
        "peak_rss_mb_indexed": round(m_idx_mem, 1),
        "peak_rss_mb_unindexed": round(m_full_mem, 1),
    }
    ok_idx = figures["indexed_ratio"] <= 2
    ok_full = figures["unindexed_ratio_vs_bcftools"] <= 0.5
    ok_mem = max(m_idx_mem, m_full_mem) < 200
    print(f"file: {indexed} ({args.records:,} records, {size_mb:.0f} MB bgzipped)")
    print(f"median of {r} run(s), wall time from process start to exit")
    print(f"indexed   men1 classify {m_idx:7.3f} s | bcftools view -H -r {b_idx:7.3f} s | "
          f"ratio {figures['indexed_ratio']:.2f}x (goal <= 2x) {'OK' if ok_idx else 'MISSED'}")
    print(f"unindexed men1 classify {m_full:7.3f} s | bcftools view -H    {b_full:7.3f} s | "
          f"ratio {figures['unindexed_ratio_vs_bcftools']:.3f}x (goal <= 0.5x) "
          f"{'OK' if ok_full else 'MISSED'}")
    print(f"unindexed men1 classify {m_full:7.3f} s | bgzip -dc | wc -l  {floor:7.3f} s | "
          f"ratio {figures['unindexed_ratio_vs_bgzip_floor']:.2f}x (decompression floor)")
    print(f"peak RSS men1 classify: indexed {m_idx_mem:.0f} MB, unindexed {m_full_mem:.0f} MB "
          f"(goal < 200 MB) {'OK' if ok_mem else 'MISSED'}")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
