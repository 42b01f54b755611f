"""Tables the engine carries instead of computing them at start-up equal what they replace.

``men1 classify`` avoids Biopython on its start-up path and ships a precomputed index of the
known-variant table; these tests prove that nothing changes by it.
"""

from __future__ import annotations

import itertools
import random
import string

import pytest
from Bio.Data import CodonTable
from Bio.Seq import Seq
from Bio.SeqUtils import seq3

from variant_calling import locus


def test_codon_table_is_biopythons_standard_table() -> None:
    table = CodonTable.unambiguous_dna_by_id[1]
    expected = dict(table.forward_table)
    expected.update({c: "*" for c in table.stop_codons})
    assert expected == locus._CODONS
    assert len(locus._CODONS) == 64


@pytest.mark.parametrize("letter", [*string.ascii_uppercase, "-", "1"])
def test_three_letter_codes_are_biopythons(letter: str) -> None:
    assert locus._aa(letter) == seq3(letter)


def test_stop_is_written_as_a_star() -> None:
    assert locus._aa("*") == "*"


def _bio_translate(cds: str) -> str:
    usable = len(cds) - len(cds) % 3
    protein = str(Seq(cds[:usable]).translate())
    stop = protein.find("*")
    return protein if stop < 0 else protein[: stop + 1]


def test_translation_equals_biopython_on_the_transcripts() -> None:
    for acc in locus.TRANSCRIPTS:
        tx = locus._tx(acc)
        for frame in range(3):
            cds = tx.cdna[tx.cds_start - 1 + frame :]
            assert locus._translate(cds) == _bio_translate(cds)
        assert locus._reference_protein(acc) == _bio_translate(
            tx.cdna[tx.cds_start - 1 : tx.cds_end]
        )


def test_translation_equals_biopython_on_random_and_ambiguous_sequences() -> None:
    rng = random.Random(7)
    for n in itertools.chain(range(0, 12), (100, 301, 1000)):
        cds = "".join(rng.choice("ACGT") for _ in range(n))
        assert locus._translate(cds) == _bio_translate(cds)
    for cds in ("ATGCTNTAA", "ATGNNNTGA", "ATGRAYTAA", "CTNGGG"):
        assert locus._translate(cds) == _bio_translate(cds)


def test_shipped_cdna_is_plain_acgt() -> None:
    # The fast translation path covers every codon of the shipped transcripts.
    for acc in locus.TRANSCRIPTS:
        assert set(locus._tx(acc).cdna) <= set("ACGT")


def test_shipped_known_variant_index_equals_recomputation() -> None:
    import json

    from variant_calling import known

    shipped = json.loads((known._DATA / known.SHIPPED_INDEX).read_text("utf-8"))
    assert shipped == known.compute_shipped_index()


@pytest.mark.parametrize("build", ["GRCh38", "GRCh37", None])
def test_shipped_table_from_the_index_equals_the_table_read_from_the_vcfs(
    build: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from variant_calling import known

    from_index = known._shipped.__wrapped__(build)
    # A stale index (its CRC no longer matches the VCF) is ignored: the VCF is read instead.
    monkeypatch.setattr(known.zlib, "crc32", lambda _data: -1)
    from_vcf = known._shipped.__wrapped__(build)
    assert from_index == from_vcf
    assert list(from_index) == list(from_vcf)
    assert len(from_index) > 40
