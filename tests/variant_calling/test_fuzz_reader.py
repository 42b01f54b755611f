"""Fuzz the reader: any bytes in, either a result or a Men1Error out, never anything else."""

from __future__ import annotations

import os
import tempfile
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from variant_calling.errors import Men1Error
from variant_calling.reader import read_vcf

from .conftest import DEL4, R532X, Counts, header_of, mutect2

# Bounded in the suite; `make fuzz` (bench/fuzz_long.py) sets FUZZ_EXAMPLES for long runs.
SCALE = int(os.environ.get("FUZZ_EXAMPLES", "0"))


def examples(default: int) -> int:
    return SCALE or default


HEADER = "\n".join(
    ln for ln in header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf")
    if not ln.startswith("##contig") or "ID=chr11," in ln
)
GOOD = (
    HEADER
    + "\n"
    + mutect2(*R532X, Counts(20, 20), Counts(8, 52))
    + "\n"
    + mutect2(*DEL4, Counts(40, 0), Counts(30, 20))
    + "\n"
).encode()
# Edit points inside the data lines, where most of the interesting damage happens.
DATA_START = len(HEADER) + 1

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(GOOD) - 1), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, len(GOOD)), st.just(0)),
    st.tuples(st.just("insert"), st.integers(DATA_START, len(GOOD)), st.integers(0, 255)),
    st.tuples(st.just("data_flip"), st.integers(DATA_START, len(GOOD) - 1), st.integers(0, 255)),
)


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    buf = bytearray(data)
    for op, at, value in ops:
        at = min(at, len(buf))
        if op in ("flip", "data_flip") and at < len(buf):
            buf[at] = value
        elif op == "cut":
            del buf[at:]
        elif op == "insert":
            buf[at:at] = bytes([value]) * (1 + value % 4)
    return bytes(buf)


def _bgzf(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    import struct

    block = (
        b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00"
        + struct.pack("<H", len(body) + 25)
        + body
        + struct.pack("<II", zlib.crc32(data), len(data))
    )
    eof = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
    return block + eof


def check(raw: bytes, suffix: str) -> None:
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        Path(tmp.name).write_bytes(raw)
        try:
            read_vcf(tmp.name, build="GRCh38")
        except Men1Error as exc:
            assert str(exc)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(mutation, min_size=1, max_size=4))
def test_fuzz_plain(ops: list[tuple[str, int, int]]) -> None:
    check(mutate(GOOD, ops), ".vcf")


@settings(max_examples=examples(200), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(mutation, min_size=1, max_size=3), st.booleans())
def test_fuzz_bgzip(ops: list[tuple[str, int, int]], damage_compressed: bool) -> None:
    if damage_compressed:
        raw = mutate(_bgzf(GOOD), [(op, at % 300, v) for op, at, v in ops])
    else:
        raw = _bgzf(mutate(GOOD, ops))
    check(raw, ".vcf.gz")


@settings(max_examples=examples(200), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400))
def test_fuzz_arbitrary_bytes(raw: bytes) -> None:
    check(raw, ".vcf")
    check(b"##fileformat=VCFv4.2\n" + raw, ".vcf")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(mutation.filter(lambda m: m[0] in ("insert", "data_flip")), min_size=1,
                max_size=3))
def test_fuzz_cli_never_tracebacks(ops: list[tuple[str, int, int]]) -> None:
    import contextlib
    import io

    from variant_calling.cli import main

    with tempfile.NamedTemporaryFile(suffix=".vcf") as tmp:
        Path(tmp.name).write_bytes(mutate(GOOD, ops))
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["classify", tmp.name])
    assert rc in (0, 2, 3)
    assert "internal error" not in err.getvalue(), err.getvalue()
    if rc:
        assert err.getvalue().count("\n") == 1
