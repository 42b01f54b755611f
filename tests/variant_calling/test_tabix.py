"""The pure-Python tabix reader returns exactly what htslib (pysam) returns for the same query."""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
from pathlib import Path

import pysam
import pytest

from variant_calling import reference, tabix
from variant_calling.errors import InputError
from variant_calling.reader import read_vcf

from .conftest import R532X, REAL_VCFS, Counts, header_of, mutect2

W = reference.window("GRCh38")
N_HET = Counts(20, 20)
T_LOH = Counts(8, 52)


def _compress(text: str, path: Path, *extra: str) -> Path:
    path.write_text(text)
    subprocess.run(["bgzip", "-f", str(path)], check=True)
    gz = Path(str(path) + ".gz")
    subprocess.run(["tabix", "-f", *extra, "-p", "vcf", str(gz)], check=True)
    return gz


def _pysam(gz: Path, contigs: list[str], beg: int, end: int) -> list[tuple[str, bytes]]:
    with pysam.TabixFile(str(gz)) as tbx:
        return [
            # Both readers leave out a CRLF file's carriage returns.
            (c, line.encode().rstrip(b"\r"))
            for c in contigs
            if c in tbx.contigs
            for line in tbx.fetch(c, beg, end)
        ]


def _mine(gz: Path, contigs: list[str], beg: int, end: int) -> list[tuple[str, bytes]]:
    return tabix.fetch(str(gz), str(gz) + ".tbi", contigs, beg, end)


# ------------------------------------------------------------------ the real callers' files
@pytest.mark.parametrize("path", REAL_VCFS, ids=lambda p: p.name)
def test_real_files_agree_with_htslib(tmp_path: Path, path: Path) -> None:
    # Sorted as text (contigs in order of first use, then POS): bcftools sort refuses some.
    lines = path.read_text().splitlines()
    head = [ln for ln in lines if ln.startswith("#")]
    body = [ln for ln in lines if ln and not ln.startswith("#")]
    order = {c: i for i, c in enumerate(dict.fromkeys(ln.split("\t")[0] for ln in body))}
    body.sort(key=lambda ln: (order[ln.split("\t")[0]], int(ln.split("\t")[1])))
    gz = _compress("\n".join(head + body) + "\n", tmp_path / path.name)
    with pysam.TabixFile(str(gz)) as tbx:
        contigs = list(tbx.contigs)
    assert contigs
    rng = random.Random(path.name)
    assert _mine(gz, contigs, 0, 1 << 29) == _pysam(gz, contigs, 0, 1 << 29)
    for c in contigs:
        positions = [int(line.split(b"\t")[1]) for _, line in _pysam(gz, [c], 0, 1 << 29)]
        lo, hi = min(positions), max(positions)
        regions = [(lo - 1, lo), (hi - 1, hi), (lo, hi)]
        for _ in range(8):
            a, b = sorted(rng.sample(range(lo - 10, hi + 10), 2))
            regions.append((a, b))
        for beg, end in regions:
            assert _mine(gz, [c], beg, end) == _pysam(gz, [c], beg, end), (c, beg, end)
        assert _mine(gz, contigs, lo, hi) == _pysam(gz, contigs, lo, hi)


# ------------------------------------------------------------------ a many-block synthetic file
@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~60,000 records on three contigs, hundreds of BGZF blocks: SNVs, long deletions and gVCF
    blocks (END=) that put records in the larger bins, some bins with several chunks."""
    rng = random.Random(7)
    head = header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf", (
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End position">',
    ))
    head = [h for h in head if not h.startswith("##contig")]
    head[-1:-1] = ["##contig=<ID=chr1,length=248956422>", "##contig=<ID=chr11,length=135086622>",
                   "##contig=<ID=chr12,length=133275309>"]
    lines = list(head)
    fmt = "GT:AD:AF:DP\t0/1:10,5:0.33:15\t0/0:20,0:0.02:20"
    for contig, lo, hi, n in (("chr1", 1, 3_000_000, 15_000),
                              ("chr11", 64_000_000, 65_600_000, 30_000),
                              ("chr12", 1, 2_000_000, 15_000)):
        for pos in sorted(rng.sample(range(lo, hi), n)):
            kind = rng.random()
            if kind < 0.02:
                ref = "A" + "".join(rng.choice("ACGT") for _ in range(rng.randrange(1, 3000)))
                lines.append(f"{contig}\t{pos}\t.\t{ref}\tA\t.\tPASS\tDP=5\t{fmt}")
            elif kind < 0.05:
                end = pos + rng.randrange(1, 400_000)
                lines.append(f"{contig}\t{pos}\t.\tA\t<*>\t.\tPASS\tEND={end};DP=5\t{fmt}")
            else:
                lines.append(f"{contig}\t{pos}\t.\tA\tC\t.\tPASS\tDP=5;ECNT=1\t{fmt}")
    d = tmp_path_factory.mktemp("big")
    return _compress("\n".join(lines) + "\n", d / "big.vcf")


def _chunks(gz: Path, contigs: list[str], beg: int, end: int) -> list[tuple[int, int]]:
    return tabix.query_index(Path(str(gz) + ".tbi").read_bytes(), contigs, beg, end)[1]


def test_big_file_random_regions_agree_with_htslib(big: Path) -> None:
    rng = random.Random(11)
    regions = [(W.start - 1, W.end), (0, 1 << 29), (64_000_000, 64_000_001)]
    for _ in range(150):
        beg = rng.randrange(0, 66_000_000)
        regions.append((beg, beg + rng.choice((1, 100, 16_384, 100_000, 2_000_000))))
    for beg, end in regions:
        for contigs in (["chr11"], ["chr1"], ["chr12"], ["chr11", "11", "chrX"]):
            assert _mine(big, contigs, beg, end) == _pysam(big, contigs, beg, end), (
                contigs, beg, end)


def test_regions_across_block_boundaries(big: Path) -> None:
    """Regions whose records start in one BGZF block and end in another, and that span many."""
    raw = big.read_bytes()
    block_starts = [o for o, _ in tabix._blocks(raw)]
    assert len(block_starts) > 20
    spanning = 0
    for beg in range(64_000_000, 65_600_000, 37_000):
        end = beg + 60_000
        chunks = _chunks(big, ["chr11"], beg, end)
        if any(b >> 16 != e >> 16 for b, e in chunks):
            spanning += 1
        assert _mine(big, ["chr11"], beg, end) == _pysam(big, ["chr11"], beg, end)
    assert spanning > 5


def test_bin_walk_matches_a_plain_walk(big: Path) -> None:
    """Skipping bins by runs of single-chunk bins lands where a bin-by-bin walk does, on a file
    that also has bins with several chunks."""
    raw = Path(str(big) + ".tbi").read_bytes()
    data = tabix._Inflated(raw).need(1 << 30, exact=False)
    n_ref, l_nm = struct.unpack_from("<i", data, 4)[0], struct.unpack_from("<i", data, 32)[0]
    o = 36 + l_nm
    multi = 0
    for _ in range(n_ref):
        (n_bin,) = struct.unpack_from("<i", data, o)
        o += 4
        skipped, _ = tabix._walk_bins(tabix._Inflated(raw), o, n_bin, None)
        for _ in range(n_bin):
            _, n_chunk = struct.unpack_from("<Ii", data, o)
            multi += n_chunk > 1
            o += 8 + 16 * n_chunk
        assert skipped == o
        (n_intv,) = struct.unpack_from("<i", data, o)
        o += 4 + 8 * n_intv
    assert multi > 0


def test_the_reader_uses_it_and_finds_what_htslib_finds(big: Path) -> None:
    data = read_vcf(big)
    lines = _pysam(big, ["chr11"], W.start - 1, W.end)
    assert lines
    expected = [int(line.split(b"\t")[1]) for _, line in lines
                if not line.split(b"\t")[4].startswith(b"<")]
    assert [c.pos for c in data.calls] == expected


# ------------------------------------------------------------------ what it leaves to htslib
def _one_record() -> str:
    rec = mutect2(*R532X, N_HET, T_LOH)
    return "\n".join([*header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf"), rec]) + "\n"


def test_csi_index_is_left_to_htslib(tmp_path: Path) -> None:
    text = _one_record()
    gz = _compress(text, tmp_path / "c.vcf", "--csi")
    assert not Path(str(gz) + ".tbi").exists()
    with pytest.raises(tabix.Unsupported):
        tabix.query_index(Path(str(gz) + ".csi").read_bytes(), ["chr11"], 0, 1 << 29)
    assert [c.pos for c in read_vcf(gz).calls] == [R532X[0]]


def test_non_vcf_preset_is_left_to_htslib(tmp_path: Path) -> None:
    text = _one_record()
    (tmp_path / "g.vcf").write_text(text)
    subprocess.run(["bgzip", str(tmp_path / "g.vcf")], check=True)
    gz = tmp_path / "g.vcf.gz"
    subprocess.run(["tabix", "-s1", "-b2", "-e2", "-c#", str(gz)], check=True)
    with pytest.raises(tabix.Unsupported):
        tabix.query_index(Path(str(gz) + ".tbi").read_bytes(), ["chr11"], 0, 1 << 29)
    assert [c.pos for c in read_vcf(gz).calls] == [R532X[0]]


def test_damaged_index_falls_back_to_htslib_and_its_message(tmp_path: Path) -> None:
    text = _one_record()
    gz = _compress(text, tmp_path / "d.vcf")
    tbi = Path(str(gz) + ".tbi")
    tbi.write_bytes(tbi.read_bytes()[:40])
    with pytest.raises(tabix.Unsupported):
        tabix.fetch(str(gz), str(tbi), ["chr11"], 0, 1 << 29)
    with pytest.raises(InputError, match="cannot read through its index"):
        read_vcf(gz)


def test_chunk_past_the_end_of_the_data_is_unsupported(tmp_path: Path) -> None:
    text = _one_record()
    gz = _compress(text, tmp_path / "t.vcf")
    size = gz.stat().st_size
    with gz.open("rb") as fh, pytest.raises(tabix.Unsupported):
        tabix.read_chunk(fh, 0, ((size + 10) << 16) | 5)


def test_older_index_warns_like_htslib(tmp_path: Path) -> None:
    text = _one_record()
    gz = _compress(text, tmp_path / "o.vcf")
    later = gz.stat().st_mtime + 120
    os.utime(gz, (later, later))
    mine = read_vcf(gz).warnings
    csi_copy = tmp_path / "copy.vcf.gz"
    shutil.copy(gz, csi_copy)
    subprocess.run(["tabix", "--csi", "-p", "vcf", str(csi_copy)], check=True)
    os.utime(csi_copy, (later + 120, later + 120))
    theirs = read_vcf(csi_copy).warnings
    older = [w for w in mine if "older than the data file" in w]
    assert len(older) == 1
    assert older[0].replace(str(gz), "X") == theirs[0].replace(str(csi_copy), "X").replace(
        ".csi", ".tbi")


def test_non_utf8_record_is_named(tmp_path: Path) -> None:
    text = _one_record().replace("GERMQ=30", "GERMQ=3\udcff")
    raw = text.encode("utf-8", "surrogateescape")
    plain = tmp_path / "u.vcf"
    plain.write_bytes(raw)
    subprocess.run(["bgzip", "-f", str(plain)], check=True)
    gz = Path(str(plain) + ".gz")
    subprocess.run(["tabix", "-p", "vcf", str(gz)], check=True)
    with pytest.raises(InputError, match=rf"record chr11:{R532X[0]}: non-UTF-8 byte 0xff"):
        read_vcf(gz)


def test_a_chunk_too_large_to_read_at_once_is_left_to_htslib(
    big: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = [(c.pos, c.ref, c.alt) for c in read_vcf(big).calls]
    monkeypatch.setattr(tabix, "MAX_CHUNK_SPAN", 1000)
    with pytest.raises(tabix.Unsupported):
        _mine(big, ["chr11"], W.start - 1, W.end)
    assert [(c.pos, c.ref, c.alt) for c in read_vcf(big).calls] == expected
