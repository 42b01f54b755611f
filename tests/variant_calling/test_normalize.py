from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from variant_calling import reference
from variant_calling.normalize import RefMismatchError, check_ref, normalize

W = reference.window("GRCh38")


def seq(a: int, b: int) -> str:
    return reference.sequence("GRCh38", a, b)


def test_snv_unchanged() -> None:
    assert normalize("GRCh38", 64804588, "G", "A") == (64804588, "G", "A")


def test_mnp_trimmed() -> None:
    pos = 64804588
    ref = seq(pos - 1, pos + 1)
    alt = ref[0] + "T" + ref[2]
    assert normalize("GRCh38", pos - 1, ref, alt) == (pos, ref[1], "T")


def test_homopolymer_deletion_left_aligned() -> None:
    # chr11:64805891-64805894 is AAAA; deleting any one A is the same variant.
    assert seq(64805890, 64805895) == "CAAAAT"
    expected = (64805890, "CA", "C")
    assert normalize("GRCh38", 64805894, "AT", "T") == expected
    assert normalize("GRCh38", 64805892, "AA", "A") == expected
    assert normalize("GRCh38", 64805893, "AAA", "AA") == expected


def test_insertion_left_aligned() -> None:
    assert normalize("GRCh38", 64805893, "A", "AA") == (64805890, "C", "CA")


def test_clinvar_c249_252del_two_ways() -> None:
    a = normalize("GRCh38", 64809857, "TAGAC", "T")
    # The same 4 bp deleted, written with the REF padded on the right.
    b = normalize("GRCh38", 64809857, seq(64809857, 64809863), "T" + seq(64809862, 64809863))
    assert a == b


def test_check_ref() -> None:
    check_ref("GRCh38", 64804588, "G")
    check_ref("GRCh38", 64804588, "N")
    with pytest.raises(RefMismatchError) as ei:
        check_ref("GRCh38", 64804588, "C", file="x.vcf", line=7)
    assert ei.value.field == "REF" and ei.value.line == 7


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(W.start + 100, W.end - 200),
    length=st.integers(1, 6),
    shift=st.integers(0, 12),
)
def test_deletion_representations_converge(start: int, length: int, shift: int) -> None:
    """Shifting a deletion right through a repeat never changes its normal form."""
    deleted = seq(start + 1, start + length)
    canonical = normalize("GRCh38", start, seq(start, start + length), seq(start, start))
    # Move the deletion right while it stays equivalent (same resulting sequence).
    pos = start
    for _ in range(shift):
        nxt = pos + 1
        if seq(nxt + 1, nxt + length) != deleted:
            break
        pos = nxt
        deleted = seq(pos + 1, pos + length)
    assert normalize("GRCh38", pos, seq(pos, pos + length), seq(pos, pos)) == canonical


@settings(max_examples=150, deadline=None)
@given(start=st.integers(W.start + 100, W.end - 200), length=st.integers(1, 6))
def test_duplication_representations_converge(start: int, length: int) -> None:
    """Duplicating S = ref[start+1 .. start+L] can be written after start or after S."""
    s = seq(start + 1, start + length)
    before = normalize("GRCh38", start, seq(start, start), seq(start, start) + s)
    after_pos = start + length
    after = normalize("GRCh38", after_pos, seq(after_pos, after_pos),
                      seq(after_pos, after_pos) + s)
    assert before == after
    pos, ref, alt = before
    assert len(ref) == 1 and len(alt) == length + 1 and pos <= start
