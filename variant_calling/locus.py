"""The MEN1 transcript model: HGVS c./p. names and the most severe consequence of a variant.

Every name is given on the MANE Select transcript NM_001370259.2 (same CDS as NM_130799.2, its
own non-coding exon 1). Names on NM_000244.3 and NM_130799.2 are accepted by
:func:`translate_name` and :func:`to_genomic`.

Coordinates: genomic positions are 1-based inclusive plus-strand (as in VCF). MEN1 lies on the
minus strand, so internally every sequence is held in *transcript orientation*: the reverse
complement of the shipped genome window, indexed 0-based from its transcript-5' end (the
highest genomic coordinate). Because both builds' windows hold the same LRG_509 sequence, that
index is the same for GRCh37 and GRCh38 and every name is build independent by construction.

The transcript reference
------------------------
HGVS names are relative to the transcript, and at two coding sites the RefSeq transcript and the
genome disagree (docs/men1-facts.md fact 1): c.1621 (GRCh38 chr11:64804546; RefSeq G = Ala541,
genome A = Thr541) and c.1299 (chr11:64805085; synonymous His433). Names and translations therefore
use a *transcript reference*: the genome window with the RefSeq bases put back at those two
exonic sites (derived from ``MEN1_transcripts_cDNA.fa`` and checked against the documented
sites at load).

The consequence is that the common VCF call ``REF=T ALT=C`` at chr11:64804546 (the sample
carries the RefSeq allele, the genome's reference holds the other one) is named
``NM_001370259.2:c.1621=`` with ``p.(Ala541=)``: relative to the transcript nothing changed,
and naming it ``c.1621A>G`` would invent a reference base that NM_001370259.2 does not have.
Conversely, an allele equal to the genome base (for instance ClinVar's no-op record
``REF=T ALT=T``) is named ``c.1621G>A p.(Ala541Thr)``, exactly as ClinVar and the literature
name the polymorphism. Either way :attr:`Annotation.refseq_genome_mismatch` is True so that
pathogenicity can call it benign. A third allele at such a site (neither the genome nor the
RefSeq base) is an ordinary change relative to the transcript and is not flagged.

Indels are first placed on the genome (trimmed and left-aligned), and only the bases a record
changes relative to the genome are then described against the transcript: a VCF anchor base
that happens to sit on a RefSeq site asserts nothing, so ``chr11:64804546 TG>T`` is
``c.1620del``, not a deletion-insertion that drags the polymorphism in.

The 3' rule
-----------
The reader hands over left-aligned plus-strand alleles; on this minus-strand gene that is the
transcript's 3'-most placement. :func:`annotate` nevertheless normalises again in transcript
orientation (so callers that did not left-align still get the right name), with one exception
taken from HGVS practice (Mutalyzer and VariantValidator apply the rule to the transcript): a
deletion or duplication that can lie wholly inside an exon is kept at its 3'-most exonic
placement, so an exonic duplication at a donor is not renamed as an intronic one.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

from . import reference
from .errors import Men1Error

__all__ = [
    "CHR11_ACCESSIONS",
    "MANE",
    "REFSEQ_GENOME_MISMATCH_SITES",
    "SEVERITY",
    "TRANSCRIPTS",
    "Annotation",
    "HgvsError",
    "annotate",
    "c_position",
    "exon_boundaries",
    "gene_span",
    "genomic_name",
    "genomic_position",
    "place",
    "region",
    "to_genomic",
    "translate_name",
]

MANE = "NM_001370259.2"
TRANSCRIPTS = ("NM_001370259.2", "NM_130799.2", "NM_000244.3")

# Documented in docs/men1-facts.md fact 1; the data must agree (checked in _model()).
REFSEQ_GENOME_MISMATCH_SITES: dict[str, tuple[int, ...]] = {
    "GRCh38": (64804546, 64805085),
    "GRCh37": (64572018, 64572557),
}

# Consequences from most to least severe (Ensembl VEP's ranking, restricted to the terms used).
SEVERITY = (
    "splice_acceptor_variant",
    "splice_donor_variant",
    "stop_gained",
    "frameshift_variant",
    "stop_lost",
    "start_lost",
    "inframe_insertion",
    "inframe_deletion",
    "missense_variant",
    "splice_region_variant",
    "synonymous_variant",
    "5_prime_UTR_variant",
    "3_prime_UTR_variant",
    "intron_variant",
    "upstream_gene_variant",
    "downstream_gene_variant",
)

# Splice-site windows (VEP / Sequence Ontology definitions).
CANONICAL_SPLICE_MAX = 2  # intronic +1/+2 donor, -1/-2 acceptor
SPLICE_REGION_INTRON_MAX = 8  # intronic 3..8
SPLICE_REGION_EXON_MAX = 3  # exonic 1..3 bases from an internal exon boundary
# A premature stop this close to (or beyond) the last exon-exon junction escapes
# nonsense-mediated decay (the 50-nt rule used by ClinGen SVI for PVS1).
NMD_BOUNDARY_NT = 50
# How far outside the MANE transcript region() reaches (VEP's default up/downstream distance is
# 5 kb; the shipped window has ~5.7 kb upstream and ~2 kb downstream of MANE).
REGION_UPSTREAM = 5000
REGION_DOWNSTREAM = 2000


class HgvsError(Men1Error):
    """A variant or an HGVS name cannot be placed on the MEN1 transcript model."""


class Annotation(NamedTuple):
    """A variant described on NM_001370259.2.

    ``exon``/``intron`` are MANE numbers of the first (transcript 5'-most) exon or intron the
    variant touches; both are set when it spans a boundary. ``protein_position`` is the first
    residue changed. ``nmd_escape`` is only set for truncating variants (stop_gained,
    frameshift_variant): True when the premature stop lies in the last exon or within the last
    50 nt of the penultimate exon.
    """

    hgvs_c: str
    hgvs_p: str | None
    consequence: str
    exon: int | None
    intron: int | None
    protein_position: int | None
    refseq_genome_mismatch: bool
    nmd_escape: bool | None = None


class _Exon(NamedTuple):
    number: int
    tx_start: int  # 1-based position in the mature transcript
    tx_end: int
    idx_start: int  # 0-based index in the transcript-oriented window
    idx_end: int


class _Transcript(NamedTuple):
    accession: str
    exons: tuple[_Exon, ...]
    cdna: str
    cds_start: int  # transcript position of c.1
    cds_end: int  # transcript position of the last base of the stop codon

    @property
    def length(self) -> int:
        return len(self.cdna)


class _Model(NamedTuple):
    seq: str  # transcript reference, transcript orientation (RefSeq bases at mismatch sites)
    genome_seq: str  # the genome window itself, transcript orientation
    transcripts: dict[str, _Transcript]
    mismatch_idx: frozenset[int]


# Path(__file__), not importlib.resources: see reference.py (start-up cost of every run).
_DATA = Path(__file__).parent / "data"
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")
_BASES = re.compile(r"^[ACGT]+$")


def _revcomp(s: str) -> str:
    return s.translate(_COMPLEMENT)[::-1]


def _read_fasta(name: str) -> dict[str, str]:
    text = (_DATA / name).read_text("ascii")
    records: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith(">"):
            current = records.setdefault(line[1:].split()[0], [])
        elif line.strip():
            current.append(line.strip().upper())
    return {k: "".join(v) for k, v in records.items()}


def _win_end(build: str) -> int:
    return reference.window(build).end


@cache
def _model() -> _Model:
    w38 = reference.window("GRCh38")
    genome = _revcomp(reference.sequence("GRCh38", w38.start, w38.end))
    table = _DATA / "MEN1_exons.tsv"
    rows = [
        line.split("\t")
        for line in table.read_text("ascii").splitlines()
        if line and not line.startswith(("#", "transcript\t"))
    ]
    cdnas = _read_fasta("MEN1_transcripts_cDNA.fa")
    cdss = _read_fasta("MEN1_transcripts_CDS.fa")
    exons: dict[str, list[_Exon]] = {}
    for r in rows:
        acc, number = r[0], int(r[1])
        g38_start, g38_end, g37_start, g37_end = (int(x) for x in r[5:9])
        idx_start = _win_end("GRCh38") - g38_end
        # Both builds must index the same LRG sequence, or names would depend on the build.
        if _win_end("GRCh37") - g37_end != idx_start or g37_end - g37_start != g38_end - g38_start:
            raise HgvsError(f"MEN1_exons.tsv: {acc} exon {number} differs between builds")
        exons.setdefault(acc, []).append(
            _Exon(number, int(r[9]), int(r[10]), idx_start, _win_end("GRCh38") - g38_start)
        )
    transcripts: dict[str, _Transcript] = {}
    seq = list(genome)
    mismatches: set[int] = set()
    for acc in TRANSCRIPTS:
        ex = tuple(sorted(exons[acc], key=lambda e: e.number))
        cdna = cdnas[acc]
        cds_start = cdna.find(cdss[acc]) + 1
        if cds_start <= 0:
            raise HgvsError(f"{acc}: CDS not found in the cDNA")
        transcripts[acc] = _Transcript(acc, ex, cdna, cds_start, cds_start + len(cdss[acc]) - 1)
        for e in ex:
            n = e.tx_end - e.tx_start + 1
            # Almost every exon agrees with the genome: compare whole slices at C speed.
            if genome[e.idx_start : e.idx_start + n] == cdna[e.tx_start - 1 : e.tx_start - 1 + n]:
                continue
            for k in range(n):
                i = e.idx_start + k
                base = cdna[e.tx_start - 1 + k]
                if genome[i] != base:
                    mismatches.add(i)
                    seq[i] = base
    documented = {_win_end("GRCh38") - g for g in REFSEQ_GENOME_MISMATCH_SITES["GRCh38"]}
    if mismatches != documented:
        raise HgvsError(
            "transcript/genome mismatches in the shipped data "
            f"{sorted(_win_end('GRCh38') - i for i in mismatches)} differ from the documented "
            f"sites {REFSEQ_GENOME_MISMATCH_SITES['GRCh38']}"
        )
    return _Model("".join(seq), genome, transcripts, frozenset(mismatches))


def _tx(accession: str = MANE) -> _Transcript:
    try:
        return _model().transcripts[accession]
    except KeyError:
        pass
    base, _, version = accession.partition(".")
    same = [t for t in TRANSCRIPTS if t.split(".")[0] == base]
    if same and not version:
        # An outside report often drops the version; the accession alone names one of ours.
        return _model().transcripts[same[0]]
    if same:
        raise HgvsError(
            f"{accession}: version {version} is not modelled (the shipped reference is "
            f"{same[0]}; another version may differ in sequence and numbering)"
        )
    raise HgvsError(
        f"transcript {accession!r} is not modelled; use one of {', '.join(TRANSCRIPTS)}"
    )


def region(build: str) -> tuple[int, int]:
    """The MEN1 region to fetch from a VCF: the MANE transcript, 5 kb upstream, 2 kb downstream.

    1-based inclusive plus-strand coordinates, clipped to the shipped reference window so that
    everything inside can be annotated.
    """
    w = reference.window(build)
    tx = _tx()
    lo = w.end - tx.exons[-1].idx_end - REGION_DOWNSTREAM
    hi = w.end - tx.exons[0].idx_start + REGION_UPSTREAM
    return max(lo, w.start), min(hi, w.end)


# ---------------------------------------------------------------------------------------------
# Positions


class _Pos(NamedTuple):
    """A window index described on a transcript: an anchor transcript position and an offset.

    ``tx_pos`` runs beyond 1..length for up/downstream bases (c.-62 is one base before a
    transcript starting at c.-61), and ``offset`` is the intronic distance from ``tx_pos``.
    """

    kind: str  # "exon", "intron", "upstream", "downstream"
    tx_pos: int
    offset: int
    exon: int | None
    intron: int | None


def _locate(tx: _Transcript, idx: int) -> _Pos:
    first, last = tx.exons[0], tx.exons[-1]
    if idx < first.idx_start:
        return _Pos("upstream", 1 - (first.idx_start - idx), 0, None, None)
    if idx > last.idx_end:
        return _Pos("downstream", tx.length + (idx - last.idx_end), 0, None, None)
    for k, e in enumerate(tx.exons):
        if e.idx_start <= idx <= e.idx_end:
            return _Pos("exon", e.tx_start + idx - e.idx_start, 0, e.number, None)
        nxt = tx.exons[k + 1]
        if e.idx_end < idx < nxt.idx_start:
            length = nxt.idx_start - e.idx_end - 1
            d5, d3 = idx - e.idx_end, nxt.idx_start - idx
            # HGVS: the middle base of an odd-length intron takes the "+" (donor) side.
            if d5 <= (length + 1) // 2:
                return _Pos("intron", e.tx_end, d5, None, e.number)
            return _Pos("intron", nxt.tx_start, -d3, None, e.number)
    raise AssertionError("unreachable: exons are contiguous in index order")


def _c_number(tx: _Transcript, tx_pos: int) -> str:
    if tx_pos < tx.cds_start:
        return f"-{tx.cds_start - tx_pos}"
    if tx_pos > tx.cds_end:
        return f"*{tx_pos - tx.cds_end}"
    return str(tx_pos - tx.cds_start + 1)


def _c_pos(tx: _Transcript, idx: int) -> str:
    p = _locate(tx, idx)
    text = _c_number(tx, p.tx_pos)
    if p.offset > 0:
        return f"{text}+{p.offset}"
    if p.offset < 0:
        return f"{text}{p.offset}"
    return text


def _c_range(tx: _Transcript, first: int, last: int) -> str:
    if first == last:
        return _c_pos(tx, first)
    return f"{_c_pos(tx, first)}_{_c_pos(tx, last)}"


_POS_RE = re.compile(r"^(?P<base>[-*]?\d+)(?P<offset>[+-]\d+)?$")


def _parse_pos(tx: _Transcript, text: str, *, strict: bool = False) -> int:
    """Transcript-oriented window index of one HGVS c. position on ``tx``.

    ``strict`` refuses positions before the transcript's first base or after its last (HGVS
    allows them for flanking sequence; an outside lab's result naming one is a typo)."""
    m = _POS_RE.match(text)
    if not m:
        raise HgvsError(f"cannot read HGVS position {text!r}")
    base, offset = m["base"], int(m["offset"] or 0)
    cds_length = tx.cds_end - tx.cds_start + 1
    if base.startswith("*"):
        tx_pos = tx.cds_end + int(base[1:])
    elif base.startswith("-"):
        tx_pos = tx.cds_start - int(base[1:])
    else:
        if int(base) == 0:
            raise HgvsError("c.0 does not exist")
        if int(base) > cds_length:
            raise HgvsError(
                f"c.{text} is beyond the coding sequence of {tx.accession} (c.1 to "
                f"c.{cds_length}); a 3' UTR position is written c.*N"
            )
        tx_pos = tx.cds_start + int(base) - 1
    first, last = tx.exons[0], tx.exons[-1]
    if strict and not 1 <= tx_pos <= tx.length:
        ends = f"c.{_c_number(tx, 1)} to c.{_c_number(tx, tx.length)}"
        raise HgvsError(f"c.{text} is outside {tx.accession} (its bases run {ends})")
    if tx_pos < 1:
        idx = first.idx_start - (1 - tx_pos)
    elif tx_pos > tx.length:
        idx = last.idx_end + (tx_pos - tx.length)
    else:
        exon = next(e for e in tx.exons if e.tx_start <= tx_pos <= e.tx_end)
        idx = exon.idx_start + tx_pos - exon.tx_start
    if offset:
        boundary = None
        if 1 <= tx_pos <= tx.length:
            exon = _exon_of_tx(tx, tx_pos)
            boundary = exon.tx_end if offset > 0 else exon.tx_start
        if tx_pos != boundary:
            raise HgvsError(f"c.{text}: an intronic offset must hang off an exon boundary")
        idx += offset
        if _locate(tx, idx).kind != "intron":
            raise HgvsError(f"c.{text} is not inside an intron of {tx.accession}")
    if not 0 <= idx < len(_model().seq):
        raise HgvsError(f"c.{text} lies outside the shipped MEN1 reference window")
    return idx


def _exon_of_tx(tx: _Transcript, tx_pos: int) -> _Exon:
    for e in tx.exons:
        if e.tx_start <= tx_pos <= e.tx_end:
            return e
    raise HgvsError(f"transcript position {tx_pos} is outside {tx.accession}")


def _unit(tx: _Transcript, idx: int) -> tuple[str, int | None]:
    p = _locate(tx, idx)
    return p.kind, p.exon if p.kind == "exon" else p.intron


# ---------------------------------------------------------------------------------------------
# Variant normalisation in transcript orientation


class _Edit(NamedTuple):
    """A minimal edit of the transcript-oriented reference: replace seq[start:end] by ``ins``.

    ``start == end`` is an insertion between ``start - 1`` and ``start``.
    """

    start: int
    end: int
    ins: str


def _placements(seq: str, edit: _Edit) -> list[_Edit]:
    """Every equivalent placement of a pure deletion or insertion, transcript 5' to 3'."""
    start, end, ins = edit.start, edit.end, edit.ins
    out: list[_Edit] = []
    if end > start:
        while start > 0 and seq[start - 1] == seq[end - 1]:
            start, end = start - 1, end - 1
        out.append(_Edit(start, end, ""))
        while end < len(seq) and seq[start] == seq[end]:
            start, end = start + 1, end + 1
            out.append(_Edit(start, end, ""))
    else:
        while start > 0 and seq[start - 1] == ins[-1]:
            ins, start = ins[-1] + ins[:-1], start - 1
        out.append(_Edit(start, start, ins))
        while start < len(seq) and seq[start] == ins[0]:
            ins, start = ins[1:] + ins[0], start + 1
            out.append(_Edit(start, start, ins))
    return out


def _exonic(seq: str, tx: _Transcript, edit: _Edit) -> bool:
    if edit.end > edit.start:
        touched = [edit.start, edit.end - 1]
    else:
        n = len(edit.ins)
        is_dup = edit.start >= n and seq[edit.start - n : edit.start] == edit.ins
        touched = [edit.start - n, edit.start - 1] if is_dup else [edit.start - 1, edit.start]
    units = {_unit(tx, i) for i in touched}
    return len(units) == 1 and next(iter(units))[0] == "exon"


def _shift_3prime(seq: str, edit: _Edit, tx: _Transcript) -> _Edit:
    """The 3'-most equivalent placement of a pure deletion or insertion (HGVS 3' rule).

    A variant that can be placed wholly inside an exon is kept there, at its 3'-most exonic
    placement: as in Mutalyzer and VariantValidator, which apply the rule to the transcript,
    an exonic duplication next to a donor is not renamed as an intronic one.
    """
    if edit.end > edit.start and edit.ins:
        return edit
    options = _placements(seq, edit)
    exonic = [e for e in options if _exonic(seq, tx, e)]
    return (exonic or options)[-1]


def _to_edit(build: str, pos: int, ref: str, alt: str) -> tuple[_Edit, bool]:
    """Transcript-oriented minimal edit for a VCF allele, and whether it hit a mismatch site."""
    m = _model()
    ref, alt = ref.upper(), alt.upper()
    if not _BASES.match(ref) or not _BASES.match(alt):
        raise HgvsError(f"only A/C/G/T alleles can be named, got REF={ref!r} ALT={alt!r}")
    end_pos = pos + len(ref) - 1
    w = reference.window(build)
    if not (w.start <= pos and end_pos <= w.end):
        raise HgvsError(
            f"chr11:{pos}-{end_pos} is outside the shipped {build} MEN1 window "
            f"chr11:{w.start}-{w.end}"
        )
    lo, hi = w.end - end_pos, w.end - pos  # inclusive indices, transcript orientation
    genome_ref = _revcomp(reference.sequence(build, pos, end_pos))
    tx_ref = m.seq[lo : hi + 1]
    given = _revcomp(ref)
    if given not in (genome_ref, tx_ref):
        raise HgvsError(
            f"REF {ref} at {build} chr11:{pos} does not match the reference "
            f"({_revcomp(genome_ref)})"
        )
    touched = any(lo <= i <= hi for i in m.mismatch_idx)
    # First the bases this record changes relative to the genome (a VCF anchor base asserts
    # nothing), then that edit described against the transcript reference.
    start, r, a = _trim(lo, genome_ref, _revcomp(alt))
    if not r and not a:
        # A no-op against the genome (ClinVar's REF=ALT record at a RefSeq site): the sample
        # carries the genome's bases, which differ from the transcript's.
        start, r, a = lo, genome_ref, genome_ref
    start, r, a = _trim(start, m.seq[start : start + len(r)], a)
    return _Edit(start, start + len(r), a), touched


def _trim(start: int, r: str, a: str) -> tuple[int, str, str]:
    # The VCF anchor base sits at the transcript-3' end here, so trim suffixes first.
    while r and a and r[-1] == a[-1]:
        r, a = r[:-1], a[:-1]
    while r and a and r[0] == a[0]:
        r, a = r[1:], a[1:]
        start += 1
    return start, r, a


# ---------------------------------------------------------------------------------------------
# Protein consequence


# The standard genetic code (NCBI table 1) and IUPAC three-letter codes, as Biopython has them
# (tests/variant_calling/test_locus.py checks both against Biopython). Importing Biopython for
# them cost about a third of a `men1 classify` run.
_CODONS = {
    a + b + c: aa
    for (a, b, c), aa in zip(
        ((a, b, c) for a in "TCAG" for b in "TCAG" for c in "TCAG"),
        "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG",
        strict=True,
    )
}
_THREE_LETTER = {
    "A": "Ala", "B": "Asx", "C": "Cys", "D": "Asp", "E": "Glu", "F": "Phe", "G": "Gly",
    "H": "His", "I": "Ile", "J": "Xle", "K": "Lys", "L": "Leu", "M": "Met", "N": "Asn",
    "O": "Pyl", "P": "Pro", "Q": "Gln", "R": "Arg", "S": "Ser", "T": "Thr", "U": "Sec",
    "V": "Val", "W": "Trp", "X": "Xaa", "Y": "Tyr", "Z": "Glx",
}


def _aa(letter: str) -> str:
    if letter == "*":
        return "*"
    return "".join(_THREE_LETTER.get(x, "Xaa") for x in letter)


def _translate(cds: str) -> str:
    """Translate up to and including the first stop (no stop: the whole readable frame)."""
    usable = len(cds) - len(cds) % 3
    codons = _CODONS
    try:
        protein = "".join([codons[cds[i : i + 3]] for i in range(0, usable, 3)])
    except KeyError:
        # An ambiguity code: Biopython resolves those it can (CTN is Leu).
        from Bio.Seq import Seq

        protein = str(Seq(cds[:usable]).translate())
    stop = protein.find("*")
    return protein if stop < 0 else protein[: stop + 1]


@cache
def _reference_protein(accession: str) -> str:
    tx = _tx(accession)
    return _translate(tx.cdna[tx.cds_start - 1 : tx.cds_end])


class _Protein(NamedTuple):
    hgvs_p: str
    consequence: str
    position: int
    ptc_tx_pos: int | None = None  # reference-transcript position of a premature stop


def _protein_effect(tx: _Transcript, t_start: int, t_end: int, ins: str) -> _Protein | None:
    """Effect of replacing transcript positions [t_start, t_end) (0-based) by ``ins``.

    None when the edit lies wholly in a UTR.
    """
    cds0, cds1 = tx.cds_start - 1, tx.cds_end  # 0-based half-open CDS
    if t_start == t_end:  # insertion before index t_start
        if t_start <= cds0 or t_start >= cds1:
            return None
        hits_start = t_start < cds0 + 3
    else:
        if t_end <= cds0 or t_start >= cds1:
            return None
        hits_start = t_start < cds0 + 3
    ref_protein = _reference_protein(tx.accession)
    mutant = tx.cdna[:t_start] + ins + tx.cdna[t_end:]
    if hits_start and (t_start < cds0 or mutant[cds0 : cds0 + 3] != "ATG"):
        return _Protein("p.(Met1?)", "start_lost", 1)
    mut_protein = _translate(mutant[cds0:])
    delta = len(ins) - (t_end - t_start)
    frameshift = delta % 3 != 0 and t_start < cds1
    i = 0
    while i < min(len(ref_protein), len(mut_protein)) and ref_protein[i] == mut_protein[i]:
        i += 1
    if i == len(ref_protein) == len(mut_protein):
        codon = min((max(t_start, cds0) - cds0) // 3, len(ref_protein) - 1)
        same = f"p.({_aa(ref_protein[codon])}{codon + 1}=)"
        return _Protein(same, "synonymous_variant", codon + 1)
    ref_aa = ref_protein[i] if i < len(ref_protein) else "*"
    stop = mut_protein.find("*")
    if ref_aa == "*":
        # The stop codon itself changed: a C-terminal extension.
        new = mut_protein[i] if i < len(mut_protein) else "X"
        # Extension residues are numbered like 3' UTR bases: the new stop is at *N after it.
        tail = f"*{stop - i}" if stop >= 0 else "*?"
        kind = "frameshift_variant" if frameshift else "stop_lost"
        return _Protein(f"p.(*{i + 1}{_aa(new)}ext{tail})", kind, i + 1)
    ptc = None
    if stop >= 0:
        # Reference-transcript position of the new stop: premature (and relevant to the NMD
        # rule) only if it comes before the reference stop codon.
        m0 = cds0 + 3 * stop
        ref0 = m0 - delta if m0 >= t_start + len(ins) else m0
        if ref0 < cds1 - 3:
            ptc = ref0 + 1
    if frameshift:
        if i < len(mut_protein) and mut_protein[i] == "*":
            return _Protein(f"p.({_aa(ref_aa)}{i + 1}*)", "frameshift_variant", i + 1, ptc)
        tail = f"fs*{stop - i + 1}" if stop >= 0 else "fs*?"
        new = mut_protein[i] if i < len(mut_protein) else "X"
        fs = f"p.({_aa(ref_aa)}{i + 1}{_aa(new)}{tail})"
        return _Protein(fs, "frameshift_variant", i + 1, ptc)
    if ptc is not None:
        if mut_protein[i] == "*":
            return _Protein(f"p.({_aa(ref_aa)}{i + 1}*)", "stop_gained", i + 1, ptc)
        # In-frame change whose new residues end in a stop.
        last_codon = (t_end - 1 - cds0) // 3 if t_end > t_start else i
        last_codon = max(last_codon, i)
        span = _aa_range(ref_protein, i, last_codon)
        inserted = "".join(_aa(x) for x in mut_protein[i : stop + 1])
        return _Protein(f"p.({span}delins{inserted})", "stop_gained", i + 1, ptc)
    # In-frame: trim the common suffix too (prefix first puts the change 3'-most).
    r_rest, m_rest = ref_protein[i:], mut_protein[i:]
    while r_rest and m_rest and r_rest[-1] == m_rest[-1]:
        r_rest, m_rest = r_rest[:-1], m_rest[:-1]
    if delta < 0:
        kind = "inframe_deletion"
    elif delta > 0:
        kind = "inframe_insertion"
    else:
        kind = "missense_variant"
    if r_rest and not m_rest:
        return _Protein(f"p.({_aa_range(ref_protein, i, i + len(r_rest) - 1)}del)", kind, i + 1)
    if m_rest and not r_rest:
        n = len(m_rest)
        if i >= n and ref_protein[i - n : i] == m_rest:
            return _Protein(f"p.({_aa_range(ref_protein, i - n, i - 1)}dup)", kind, i - n + 1)
        inserted = "".join(_aa(x) for x in m_rest)
        flank = f"{_aa(ref_protein[i - 1])}{i}_{_aa(ref_protein[i])}{i + 1}"
        return _Protein(f"p.({flank}ins{inserted})", kind, i)
    if len(r_rest) == 1 and len(m_rest) == 1:
        return _Protein(f"p.({_aa(r_rest)}{i + 1}{_aa(m_rest)})", kind, i + 1)
    inserted = "".join(_aa(x) for x in m_rest)
    return _Protein(
        f"p.({_aa_range(ref_protein, i, i + len(r_rest) - 1)}delins{inserted})", kind, i + 1
    )


def _aa_range(protein: str, first: int, last: int) -> str:
    if first == last:
        return f"{_aa(protein[first])}{first + 1}"
    return f"{_aa(protein[first])}{first + 1}_{_aa(protein[last])}{last + 1}"


# ---------------------------------------------------------------------------------------------
# Splice and region terms


def _splice_term(tx: _Transcript, p: _Pos) -> str | None:
    if p.kind == "intron":
        d = abs(p.offset)
        if d <= CANONICAL_SPLICE_MAX:
            return "splice_donor_variant" if p.offset > 0 else "splice_acceptor_variant"
        if d <= SPLICE_REGION_INTRON_MAX:
            return "splice_region_variant"
        return None
    if p.kind == "exon":
        e = _exon_of_tx(tx, p.tx_pos)
        last = tx.exons[-1].number
        near_donor = e.number != last and e.tx_end - p.tx_pos < SPLICE_REGION_EXON_MAX
        near_acceptor = e.number != 1 and p.tx_pos - e.tx_start < SPLICE_REGION_EXON_MAX
        if near_donor or near_acceptor:
            return "splice_region_variant"
    return None


def _most_severe(terms: set[str]) -> str:
    return min(terms, key=SEVERITY.index)


def _nmd_escape(tx: _Transcript, ptc_tx_pos: int) -> bool:
    last_junction = tx.exons[-2].tx_end  # last base before the last exon-exon junction
    return ptc_tx_pos > last_junction - NMD_BOUNDARY_NT


def _region_term(tx: _Transcript, p: _Pos) -> str:
    if p.kind == "upstream":
        return "upstream_gene_variant"
    if p.kind == "downstream":
        return "downstream_gene_variant"
    if p.kind == "intron":
        return "intron_variant"
    if p.tx_pos < tx.cds_start:
        return "5_prime_UTR_variant"
    if p.tx_pos > tx.cds_end:
        return "3_prime_UTR_variant"
    return "synonymous_variant"  # coding positions are refined by _protein_effect


def _describe(edit: _Edit) -> Annotation:
    tx = _tx()
    seq = _model().seq
    deleted = seq[edit.start : edit.end]
    if not deleted and not edit.ins:
        # No change relative to the transcript (a RefSeq allele called against the genome).
        p = _locate(tx, edit.start)
        same_p: str | None = None
        codon: int | None = None
        if p.kind == "exon" and tx.cds_start <= p.tx_pos <= tx.cds_end:
            codon = (p.tx_pos - tx.cds_start) // 3 + 1
            ref_protein = _reference_protein(tx.accession)
            same_p = f"p.({_aa(ref_protein[codon - 1])}{codon}=)"
        return Annotation(
            f"{MANE}:c.{_c_pos(tx, edit.start)}=",
            same_p,
            _region_term(tx, p),
            p.exon,
            p.intron,
            codon,
            False,
        )
    exonic_dup = False
    if deleted and not edit.ins:
        name = f"{_c_range(tx, edit.start, edit.end - 1)}del"
        points = list(range(edit.start, edit.end))
    elif edit.ins and not deleted:
        n = len(edit.ins)
        if edit.start >= n and seq[edit.start - n : edit.start] == edit.ins:
            name = f"{_c_range(tx, edit.start - n, edit.start - 1)}dup"
            # A duplication of exonic bases ending at a donor is read by the spliceosome as
            # an exonic insertion: the GT after it is intact.
            exonic_dup = _exonic(seq, tx, edit)
        else:
            name = f"{_c_pos(tx, edit.start - 1)}_{_c_pos(tx, edit.start)}ins{edit.ins}"
        points = [edit.start - 1, edit.start]
    elif len(deleted) == 1 and len(edit.ins) == 1:
        name = f"{_c_pos(tx, edit.start)}{deleted}>{edit.ins}"
        points = [edit.start]
    else:
        name = f"{_c_range(tx, edit.start, edit.end - 1)}delins{edit.ins}"
        points = list(range(edit.start, edit.end))
    positions = [_locate(tx, i) for i in points]
    is_insertion = not deleted
    terms: set[str] = set()
    for p in positions:
        term = _splice_term(tx, p)
        # An insertion only breaks a canonical dinucleotide when both flanks lie inside it.
        if is_insertion and term in ("splice_donor_variant", "splice_acceptor_variant"):
            both = all(
                q.kind == "intron" and abs(q.offset) <= CANONICAL_SPLICE_MAX for q in positions
            )
            term = term if both else "splice_region_variant"
        if term:
            terms.add(term)
    kinds = {p.kind for p in positions}
    if is_insertion and kinds == {"exon", "intron"}:
        terms.add("splice_region_variant")
    hgvs_p: str | None = None
    protein_position: int | None = None
    nmd: bool | None = None
    exonic = [p for p in positions if p.kind == "exon"]
    if exonic_dup or (exonic and len(exonic) == len(positions)):
        if is_insertion:
            t_start = t_end = positions[0].tx_pos  # 0-based: right after the left flank
        else:
            t_start, t_end = positions[0].tx_pos - 1, positions[-1].tx_pos
        effect = _protein_effect(tx, t_start, t_end, edit.ins)
        if effect is None:
            terms.update(_region_term(tx, p) for p in positions)
        else:
            terms.add(effect.consequence)
            hgvs_p, protein_position = effect.hgvs_p, effect.position
            if effect.ptc_tx_pos is not None:
                nmd = _nmd_escape(tx, effect.ptc_tx_pos)
            elif effect.consequence == "frameshift_variant" and "ext" not in effect.hgvs_p:
                nmd = True  # no stop before the transcript ends: nothing for NMD to see
    else:
        terms.update(_region_term(tx, p) for p in positions if p.kind != "exon")
        if exonic:
            cds = [p for p in exonic if tx.cds_start <= p.tx_pos <= tx.cds_end]
            if cds:
                hgvs_p = "p.?"  # crosses an exon-intron junction: effect on splicing unknown
            else:
                terms.update(_region_term(tx, p) for p in exonic)
    exon = next((p.exon for p in positions if p.exon is not None), None)
    intron = next((p.intron for p in positions if p.intron is not None), None)
    if exonic_dup:
        intron = None
    return Annotation(
        f"{MANE}:c.{name}",
        hgvs_p,
        _most_severe(terms),
        exon,
        intron,
        protein_position,
        False,
        nmd,
    )


def annotate(build: str, pos: int, ref: str, alt: str) -> Annotation:
    """Name a VCF-style plus-strand variant on NM_001370259.2 and give its consequence.

    ``pos``/``ref``/``alt`` are as in VCF (indels carry their anchor base). ``ref`` must match
    the genome, or, at the two RefSeq-vs-genome sites, the RefSeq base. Raises
    :class:`HgvsError` for anything that cannot be named (symbolic alleles, outside the window).
    """
    ref, alt = ref.upper(), alt.upper()
    end = pos + len(ref) - 1
    if (
        len(ref) != len(alt)
        and _BASES.match(ref)
        and _BASES.match(alt)
        and reference.contains(build, pos, end)
        and reference.sequence(build, pos, end) == ref
    ):
        # Place indels on the genome first, so that equivalent VCF spellings name the same
        # event even beside a RefSeq-vs-genome site (which only the transcript reference has).
        pos, ref, alt = _left_align(build, pos, ref, alt)
    edit, touched = _to_edit(build, pos, ref, alt)
    m = _model()
    deleted = m.seq[edit.start : edit.end]
    if deleted or edit.ins:
        edit = _shift_3prime(m.seq, edit, _tx())
    ann = _describe(edit)
    deleted = m.seq[edit.start : edit.end]
    # The polymorphism itself, however the record spells it: either no change relative to the
    # transcript (the sample has the RefSeq base) or exactly the genome's base at the site.
    is_refseq_allele = touched and not deleted and not edit.ins
    is_genome_allele = (
        len(deleted) == 1 and edit.start in m.mismatch_idx and edit.ins == m.genome_seq[edit.start]
    )
    if is_refseq_allele or is_genome_allele:
        ann = ann._replace(refseq_genome_mismatch=True)
    return ann


# ---------------------------------------------------------------------------------------------
# Parsing names


_NAME_RE = re.compile(
    r"^\s*(?:(?P<acc>[A-Z]{2}_\d+(?:\.\d+)?)(?:\([^)]*\))?:)?c\."
    r"(?P<p1>[-*]?\d+(?:[+-]\d+)?)(?:_(?P<p2>[-*]?\d+(?:[+-]\d+)?))?"
    r"(?P<edit>[^\s(]*)"
)
_G_NAME_RE = re.compile(
    r"^\s*(?P<acc>[A-Za-z]{2}_\d+(?:\.\d+)?|chr11|11)(?:\([^)]*\))?:g\."
    r"(?P<p1>\d+)(?:_(?P<p2>\d+))?(?P<edit>[^\s(]*)"
)
_EDIT_RE = re.compile(
    r"^(?:(?P<sub_ref>[ACGT])>(?P<sub_alt>[ACGT])"
    r"|(?P<same>=)"
    r"|del(?P<del_seq>[ACGT]*)(?:ins(?P<delins_seq>[ACGT]+))?"
    r"|dup(?P<dup_seq>[ACGT]*)"
    r"|ins(?P<ins_seq>[ACGT]+))$"
)
#: RefSeq accessions of chromosome 11, per build (g. names).
CHR11_ACCESSIONS = {"GRCh38": "NC_000011.10", "GRCh37": "NC_000011.9"}
_BUILD_OF_ACCESSION = {acc: build for build, acc in CHR11_ACCESSIONS.items()}


class _Parsed(NamedTuple):
    tx: _Transcript
    first: int  # transcript-oriented window index
    last: int
    kind: str  # "sub", "same", "del", "delins", "dup", "ins"
    ref_seq: str  # bases stated in the name ("" when omitted), transcript orientation
    alt_seq: str  # transcript orientation
    p1: str
    p2: str | None
    #: A g. name: its bases are the genome's (not the transcript's at the RefSeq sites).
    genomic: bool = False


def _edit(name: str, text: str) -> tuple[str, str, str]:
    """(kind, stated reference bases, new bases) of an HGVS edit, as written."""
    e = _EDIT_RE.match(text)
    if not e:
        raise HgvsError(f"{name!r}: unsupported HGVS edit {text!r}")
    if e["sub_ref"]:
        return "sub", e["sub_ref"], e["sub_alt"]
    if e["same"]:
        return "same", "", ""
    if e["delins_seq"] is not None:
        return "delins", e["del_seq"], e["delins_seq"]
    if e["ins_seq"] is not None:
        return "ins", "", e["ins_seq"]
    if e["dup_seq"] is not None:
        return "dup", e["dup_seq"], ""
    return "del", e["del_seq"] or "", ""


def _check_shape(name: str, kind: str, first: int, last: int) -> None:
    if last < first:
        raise HgvsError(f"{name!r}: range runs backwards")
    if kind == "ins" and last != first + 1:
        raise HgvsError(f"{name!r}: an insertion needs two adjacent flanking positions")
    if kind == "sub" and last != first:
        raise HgvsError(f"{name!r}: a substitution names one position")


def gene_span(build: str) -> tuple[int, int]:
    """The MEN1 gene on ``build``: from the 3' end of the last exon to the 5' end of the
    furthest first exon of any modelled transcript (plus strand, 1-based inclusive)."""
    w_end = reference.window(build).end
    txs = _model().transcripts.values()
    return (w_end - max(t.exons[-1].idx_end for t in txs),
            w_end - min(t.exons[0].idx_start for t in txs))


def _parse_genomic(name: str, m: re.Match[str], build: str | None, strict: bool) -> _Parsed:
    acc = m["acc"]
    if acc in _BUILD_OF_ACCESSION:
        name_build = _BUILD_OF_ACCESSION[acc]
    elif acc.upper().startswith("NC_000011"):
        raise HgvsError(
            f"{name!r}: give the version of {acc}: NC_000011.10 (GRCh38) or NC_000011.9 (GRCh37)"
        )
    elif acc in ("chr11", "11"):
        if build is None:
            raise HgvsError(f"{name!r}: name the build (--build), or write NC_000011.10:g. "
                            "(GRCh38) / NC_000011.9:g. (GRCh37)")
        name_build = build
    else:
        raise HgvsError(f"{name!r}: {acc} is not chromosome 11 (NC_000011.10 on GRCh38, "
                        "NC_000011.9 on GRCh37)")
    kind, ref_seq, alt_seq = _edit(name, m["edit"])
    lo = int(m["p1"])
    hi = int(m["p2"]) if m["p2"] else lo
    _check_shape(name, kind, lo, hi)
    w = reference.window(name_build)
    span = gene_span(name_build)
    if strict and not (span[0] <= lo and hi <= span[1]):
        raise HgvsError(f"{name!r}: {name_build} chr11:{lo} is outside MEN1 "
                        f"(chr11:{span[0]}-{span[1]})")
    if not (w.start <= lo and hi <= w.end):
        raise HgvsError(f"{name!r}: {name_build} chr11:{lo}-{hi} lies outside the shipped MEN1 "
                        f"reference window chr11:{w.start}-{w.end}")
    if ref_seq:
        actual = reference.sequence(name_build, lo, hi)
        if actual != ref_seq:
            raise HgvsError(f"{name!r}: the reference at {name_build} chr11:{lo} is {actual}, "
                            f"not {ref_seq}")
    tx = _tx()
    # Window indices are the same LRG sequence on both builds: the name is build independent.
    return _Parsed(tx, w.end - hi, w.end - lo, kind, _revcomp(ref_seq), _revcomp(alt_seq),
                   m["p1"], m["p2"], True)


def _parse(name: str, *, strict: bool = False, build: str | None = None) -> _Parsed:
    g = _G_NAME_RE.match(name)
    if g:
        return _parse_genomic(name, g, build, strict)
    m = _NAME_RE.match(name)
    if not m:
        raise HgvsError(f"cannot read {name!r} as an HGVS c. or g. name")
    if m["acc"] is None:
        raise HgvsError(
            f"{name!r}: give the transcript (e.g. {MANE}:c....); numbering differs between "
            "NM_000244.3 and NM_130799.2/NM_001370259.2"
        )
    tx = _tx(m["acc"])
    kind, ref_seq, alt_seq = _edit(name, m["edit"])
    first = _parse_pos(tx, m["p1"], strict=strict)
    last = _parse_pos(tx, m["p2"], strict=strict) if m["p2"] else first
    _check_shape(name, kind, first, last)
    if ref_seq:
        actual = _model().seq[first : last + 1]
        if actual != ref_seq:
            raise HgvsError(
                f"{name!r}: the reference at c.{m['p1']} on {tx.accession} is {actual}, "
                f"not {ref_seq}"
            )
    return _Parsed(tx, first, last, kind, ref_seq, alt_seq, m["p1"], m["p2"])


def _left_align(build: str, pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Trim and left-align a VCF allele on the genome (plus strand), keeping an anchor base."""
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    if len(ref) == 1 or len(alt) == 1:
        w = reference.window(build)
        while ref[-1] == alt[-1] and pos - 1 >= w.start:
            before = reference.sequence(build, pos - 1, pos - 1)
            ref, alt, pos = before + ref[:-1], before + alt[:-1], pos - 1
    return pos, ref, alt


def to_genomic(build: str, name: str, *, strict: bool = False) -> tuple[int, str, str] | None:
    """VCF-style (pos, ref, alt) on ``build`` for an HGVS name: c. on any of the modelled
    transcripts (with or without its version), or g. on chromosome 11 of either build
    (``NC_000011.10:g.`` GRCh38, ``NC_000011.9:g.`` GRCh37; ``chr11:g.`` is on ``build``).

    The result is left-aligned on the genome, as the reader normalises. Returns None when the
    named allele is what the genome already carries (``c.N=`` or the genome's base at a
    RefSeq-vs-genome site, e.g. NM_001370259.2:c.1621G>A): there is no VCF record for it.
    ``strict`` refuses positions outside the transcript (c.) or the gene (g.): a clinical
    result names a variant of MEN1, never of its flanks.
    """
    p = _parse(name, strict=strict, build=build)
    w_end = reference.window(build).end
    g_lo, g_hi = w_end - p.last, w_end - p.first  # plus-strand span of [first, last]
    genome = reference.sequence
    if p.kind == "same":
        return None
    if p.kind == "sub":
        alt = _revcomp(p.alt_seq)
        ref = genome(build, g_lo, g_lo)
        if alt == ref:
            return None
        return g_lo, ref, alt
    if p.kind == "del":
        anchor = g_lo - 1
        ref = genome(build, anchor, g_hi)
        return _left_align(build, anchor, ref, ref[0])
    if p.kind == "dup":
        anchor = g_lo - 1
        base = genome(build, anchor, anchor)
        # The duplicated bases are the ones the name is written on: the transcript's for a c.
        # name (they differ from the genome's at the RefSeq-vs-genome sites), else the genome's.
        source = _model().genome_seq if p.genomic else _model().seq
        copy = _revcomp(source[p.first : p.last + 1])
        return _left_align(build, anchor, base, base + copy)
    if p.kind == "ins":
        base = genome(build, g_lo, g_lo)
        return _left_align(build, g_lo, base, base + _revcomp(p.alt_seq))
    anchor = g_lo - 1
    ref = genome(build, anchor, g_hi)
    alt = ref[0] + _revcomp(p.alt_seq)
    if ref == alt:
        return None
    return _left_align(build, anchor, ref, alt)


def place(build: str, name: str, *, strict: bool = False) -> tuple[int, str, str]:
    """Like :func:`to_genomic`, for a name that must describe a change: the genome's own base
    at a RefSeq-vs-genome site (NM_001370259.2:c.1621G>A, p.Ala541Thr) comes back as REF=ALT,
    ClinVar's spelling, which :func:`annotate` names and flags; a name of no change at all
    (``c.N=``) raises :class:`HgvsError`."""
    vcf = to_genomic(build, name, strict=strict)
    if vcf is not None:
        return vcf
    p = _parse(name, strict=strict, build=build)
    g = reference.window(build).end - p.first
    if p.kind == "sub" and p.first in _model().mismatch_idx:
        base = reference.sequence(build, g, g)
        return g, base, base
    raise HgvsError(f"{name!r} names no change against the reference")


def translate_name(name: str, *, strict: bool = False) -> str:
    """The NM_001370259.2 name of a c. name on NM_000244.3, NM_130799.2 or NM_001370259.2
    (or of a g. name on chromosome 11; see :func:`to_genomic`, also for ``strict``).

    The name is placed on the genome and renamed, so the result is 3'-normalised and follows
    current HGVS style (``c.1546dupC`` on NM_000244.3 becomes ``c.1531dup``). Positions inside
    NM_000244.3's longer exon 2 (c.446-c.460) are intronic on MANE (c.445+1-c.445+15). A name
    that is a no-op against the genome keeps its edit and only has its positions renumbered.
    """
    p = _parse(name, strict=strict, build="GRCh38")
    vcf = to_genomic("GRCh38", name, strict=strict)
    if vcf is not None:
        return annotate("GRCh38", *vcf).hgvs_c
    mane = _tx()
    where = _c_range(mane, p.first, p.last)
    if p.kind == "sub":
        edit = f"{p.ref_seq}>{p.alt_seq}"
    elif p.kind == "same":
        edit = "="
    else:
        edit = {"del": "del", "dup": "dup", "ins": f"ins{p.alt_seq}"}.get(
            p.kind, f"delins{p.alt_seq}"
        )
    return f"{MANE}:c.{where}{edit}"


def genomic_name(build: str, pos: int, ref: str, alt: str) -> str:
    """The HGVS g. name of a VCF-style allele (``NC_000011.10:g.64804603dup``), 3'-shifted on
    the plus strand as HGVS asks of genomic names."""
    acc = CHR11_ACCESSIONS[build]
    ref, alt = ref.upper(), alt.upper()
    if ref == alt:  # the genome's own allele (ClinVar's REF=ALT at a RefSeq site)
        last = pos + len(ref) - 1
        return f"{acc}:g.{pos}=" if pos == last else f"{acc}:g.{pos}_{last}="
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    if len(ref) == 1 and len(alt) == 1:
        return f"{acc}:g.{pos}{ref}>{alt}"
    w = reference.window(build)

    def base(g: int) -> str:
        return reference.sequence(build, g, g) if w.start <= g <= w.end else ""

    if ref and not alt:
        first, last = pos, pos + len(ref) - 1
        while base(last + 1) and base(last + 1) == base(first):
            first, last = first + 1, last + 1
        where = f"{first}" if first == last else f"{first}_{last}"
        return f"{acc}:g.{where}del"
    if alt and not ref:
        after, ins = pos - 1, alt  # inserted between `after` and `after + 1`
        while base(after + 1) and base(after + 1) == ins[0]:
            ins, after = ins[1:] + ins[0], after + 1
        n = len(ins)
        if after - n + 1 >= w.start and reference.sequence(build, after - n + 1, after) == ins:
            where = f"{after}" if n == 1 else f"{after - n + 1}_{after}"
            return f"{acc}:g.{where}dup"
        return f"{acc}:g.{after}_{after + 1}ins{ins}"
    last = pos + len(ref) - 1
    where = f"{pos}" if pos == last else f"{pos}_{last}"
    return f"{acc}:g.{where}delins{alt}"


def exon_boundaries(accession: str = MANE) -> list[tuple[int, str, str]]:
    """(exon number, c. name of its first base, c. name of its last base) for a transcript."""
    tx = _tx(accession)
    return [(e.number, _c_pos(tx, e.idx_start), _c_pos(tx, e.idx_end)) for e in tx.exons]


def genomic_position(build: str, name_position: str, accession: str = MANE) -> int:
    """Plus-strand genomic coordinate of one c. position (e.g. ``"784-9"``, ``"*5"``)."""
    return reference.window(build).end - _parse_pos(_tx(accession), name_position)


def c_position(build: str, pos: int) -> str:
    """The MANE c. position (without ``c.``) of a genomic coordinate in the shipped window."""
    w = reference.window(build)
    if not w.start <= pos <= w.end:
        raise HgvsError(f"{build} chr11:{pos} is outside the shipped MEN1 window")
    return _c_pos(_tx(), w.end - pos)


# ---------------------------------------------------------------------------------------------
# Whole exons: copy-number events


class ExonSpan(NamedTuple):
    """A MANE exon on the genome (plus strand, 1-based inclusive) and its coding part."""

    number: int
    start: int
    end: int
    #: The exon's coding bases (c.1 to the stop codon) on the genome; None for exon 1.
    coding: tuple[int, int] | None


def mane_exons(build: str) -> list[ExonSpan]:
    """The MANE exons, 5' (exon 1, the highest coordinate) to 3'."""
    return transcript_exons(build, MANE)


def transcript_exons(build: str, accession: str) -> list[ExonSpan]:
    """The exons of a modelled transcript, 5' to 3' (``coding``: their CDS part)."""
    tx = _tx(accession)
    w_end = reference.window(build).end
    out = []
    for e in tx.exons:
        a, b = max(e.tx_start, tx.cds_start), min(e.tx_end, tx.cds_end)
        coding = None
        if a <= b:
            coding = (w_end - (e.idx_start + b - e.tx_start),
                      w_end - (e.idx_start + a - e.tx_start))
        out.append(ExonSpan(e.number, w_end - e.idx_end, w_end - e.idx_start, coding))
    return out


def c_position_any(build: str, pos: int) -> str:
    """The MANE c. position of any chr11 coordinate: inside the shipped window as
    :func:`c_position`; beyond it, counted on from the transcript's ends (c.-N upstream, c.*N
    downstream), which needs no sequence."""
    return _c_pos(_tx(), reference.window(build).end - pos)


def transcript_ends(build: str) -> tuple[str, str]:
    """The c. names of the MANE transcript's first and last bases (c.-61, c.*818)."""
    tx = _tx()
    return _c_number(tx, 1), _c_number(tx, tx.length)


class ExonEffect(NamedTuple):
    """What a transcript made of whole MANE exons in a given order does to menin."""

    kind: str  # "start_lost", "truncating", "in_frame", "unchanged"
    #: First residue (1-based) of menin altered or lost.
    first_residue: int | None
    #: The last reference residue lost, for an in-frame change.
    last_residue: int | None
    #: NMD predicted: the new stop lies more than 50 nt 5' of the last exon-exon junction.
    nmd: bool | None
    hgvs_p: str


def exon_rearrangement(order: list[int]) -> ExonEffect:
    """The effect on menin of splicing the MANE exons in ``order`` (exon numbers; a deleted
    exon is missing, a tandem duplication repeats a run). Translation starts at the reference
    start codon in the first copy of exon 2."""
    tx = _tx()
    by_number = {e.number: e for e in tx.exons}
    if 2 not in order:
        return ExonEffect("start_lost", 1, None, None, "p.0?")
    mrna = ""
    junctions: list[int] = []
    start = -1
    for n in order:
        e = by_number[n]
        if n == 2 and start < 0:
            start = len(mrna) + (tx.cds_start - e.tx_start)
        mrna += tx.cdna[e.tx_start - 1 : e.tx_end]
        junctions.append(len(mrna))
    ref = _reference_protein(tx.accession)
    mut = _translate(mrna[start:])
    i = 0
    while i < min(len(ref), len(mut)) and ref[i] == mut[i]:
        i += 1
    if i == len(ref) == len(mut):
        return ExonEffect("unchanged", None, None, None, "p.(=)")
    last_junction = junctions[-2] if len(junctions) > 1 else 0
    if mut.endswith("*"):
        stop_at = start + 3 * (len(mut) - 1)  # 0-based mRNA index of the stop codon
        # The reference C terminus follows the change: an in-frame loss or gain of residues.
        tail = 0
        while (tail < min(len(ref), len(mut)) - i
               and ref[len(ref) - 1 - tail] == mut[len(mut) - 1 - tail]):
            tail += 1
        # Back in the reference frame, ending at the reference stop: at least the last ten
        # residues agree (an out-of-frame product matching them by chance is negligible).
        if tail >= min(10, len(ref) - i) and len(ref) - tail >= i:
            last = len(ref) - tail  # 1-based number of the last lost residue
            return ExonEffect("in_frame", i + 1, last if last > i else None, None,
                              "p.?")
        nmd = stop_at + 3 <= last_junction - NMD_BOUNDARY_NT
        return ExonEffect("truncating", i + 1, None, nmd, "p.?")
    # No stop before the mRNA ends (the last exon lost): menin altered from residue i + 1.
    return ExonEffect("truncating", i + 1, None, False, "p.?")


# ---------------------------------------------------------------------------------------------
# Copy-number names: deletions and duplications with uncertain breakpoints (outside reports)

_CN_POS = r"(?:\?|[-*]?\d+(?:[+-]\d+)?)"
_CN_SIDE = rf"(?:\({_CN_POS}_{_CN_POS}\)|[-*]?\d+(?:[+-]\d+)?)"
_CN_NAME_RE = re.compile(
    r"^\s*(?P<acc>[A-Za-z]{2}_\d+(?:\.\d+)?|chr11|11)(?:\([^)]*\))?:(?P<kind>[cg])\."
    rf"(?P<first>{_CN_SIDE})_(?P<second>{_CN_SIDE})(?P<edit>del|dup)\s*$"
)


class CopyNumberName(NamedTuple):
    """A deletion or duplication named with (possibly) uncertain breakpoints, on the plus
    strand of ``build``: ``start``-``end`` the bases certainly changed (the inner bounds),
    ``outer_start``/``outer_end`` the furthest the event may reach (None: ``?``, unknown)."""

    svtype: str  # DEL | DUP
    start: int
    end: int
    outer_start: int | None
    outer_end: int | None
    certain: bool  # both breakpoints given exactly


def _cn_side(text: str) -> tuple[str, str, bool]:
    """(a, b, uncertain) of one breakpoint written ``(a_b)``, or (p, p, False) of a position."""
    if text.startswith("("):
        a, b = text[1:-1].split("_")
        return a, b, True
    return text, text, False


def copy_number_name(build: str, name: str) -> CopyNumberName | None:
    """Read an HGVS deletion or duplication written with uncertain breakpoints, as MLPA and
    array reports name them (``NM_130799.2:c.(783+1_784-1)_(912+1_913-1)del``,
    ``NM_001370259.2:c.(?_-61)_(*818_?)del``, ``NC_000011.10:g.(?_64803516)_(64810551_?)del``),
    or a g. deletion/duplication reaching past the shipped window. None for any other name
    (:func:`place` reads those, with their bases). Raises :class:`HgvsError` saying what is
    wrong: an unknown transcript, a position that is not one, a range that runs backwards, a
    breakpoint with no known bound inside the event, an event that misses MEN1."""
    m = _CN_NAME_RE.match(name)
    if not m:
        return None
    # Each breakpoint as (outer, inner, uncertain), in the name's order: 5' then 3' for c.,
    # low then high for g.
    out_a, in_a, unc_a = _cn_side(m["first"])
    in_b, out_b, unc_b = _cn_side(m["second"])  # (x_y) of the second: x is the inner bound
    if in_a == "?" or in_b == "?":
        raise HgvsError(f"{name!r}: each breakpoint needs a known bound inside the event "
                        "(c.(?_X)_(Y_?), not (?_?))")
    uncertain = unc_a or unc_b
    w = reference.window(build)
    svtype = "DEL" if m["edit"] == "del" else "DUP"
    if m["kind"] == "g":
        acc = m["acc"]
        if acc in _BUILD_OF_ACCESSION:
            name_build = _BUILD_OF_ACCESSION[acc]
        elif acc in ("chr11", "11"):
            name_build = build
        elif acc.upper().startswith("NC_000011"):
            raise HgvsError(f"{name!r}: give the version of {acc}: NC_000011.10 (GRCh38) or "
                            "NC_000011.9 (GRCh37)")
        else:
            raise HgvsError(f"{name!r}: {acc} is not chromosome 11 (NC_000011.10 on GRCh38, "
                            "NC_000011.9 on GRCh37)")
        tokens = (out_a, in_a, in_b, out_b)
        if any(t != "?" and not t.isdigit() for t in tokens):
            raise HgvsError(f"{name!r}: a g. position is a whole number")
        g = [None if t == "?" else int(t) for t in tokens]
        here = reference.window(name_build)
        inside = all(x is not None and here.start <= x <= here.end for x in g)
        if not uncertain and inside:
            return None  # an exact change inside the window: a sequence change (place)
        if name_build != build:
            if not inside and any(x is not None and not here.start <= x <= here.end
                                  for x in g):
                raise HgvsError(f"{name!r} is on {name_build} and reaches past the shipped "
                                f"MEN1 window: give --build {name_build}")
            g = [None if x is None else x + w.end - here.end for x in g]
        lo_out, lo, hi, hi_out = g
        lo_unc, hi_unc = unc_a, unc_b
    else:
        if m["acc"] in ("chr11", "11"):
            raise HgvsError(f"{name!r}: give the transcript (e.g. {MANE}:c....)")
        if not uncertain:
            return None  # an exact c. name: a sequence change (place reads it)
        tx = _tx(m["acc"])

        def genomic(pos_text: str, outer: bool) -> int | None:
            if pos_text == "?":
                return None
            try:
                return w.end - _parse_pos(tx, pos_text)
            except HgvsError as exc:
                if outer and "outside the shipped MEN1 reference window" in str(exc):
                    return None  # a far outer bound: named "?" here
                raise HgvsError(f"{name!r}: {exc}") from None

        # Minus strand: the name's 5' breakpoint is the event's high coordinate.
        hi_out, hi = genomic(out_a, True), genomic(in_a, False)
        lo, lo_out = genomic(in_b, False), genomic(out_b, True)
        lo_unc, hi_unc = unc_b, unc_a
    assert lo is not None and hi is not None
    if lo > hi or (lo_out is not None and lo_out > lo) or (hi_out is not None and hi_out < hi):
        raise HgvsError(f"{name!r}: range runs backwards")
    span = gene_span(build)
    if hi < span[0] or lo > span[1]:
        raise HgvsError(f"{name!r}: {build} chr11:{lo}-{hi} is outside MEN1 "
                        f"(chr11:{span[0]}-{span[1]})")
    return CopyNumberName(svtype, lo, hi, lo_out if lo_unc else lo, hi_out if hi_unc else hi,
                          not uncertain)
