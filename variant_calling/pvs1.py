"""PVS1 (and the somatic OVS1) for MEN1: the ClinGen SVI decision tree, region by region.

The tree (Abou Tayoun et al., Hum Mutat 2018;39:1517) asks, for each null-variant type, whether
NMD is predicted, whether the lost or altered region is critical, and how much of the protein
goes. On MEN1's structure (NM_001370259.2: exon 1 non-coding, CDS in exons 2-10, exon 10 last,
menin 610 aa) its answers are fixed per region, so they are stated once here as data. Where the
plain tree would leave a MEN1 null variant that is established pathogenic at Strong or Moderate
(i.e. a VUS even with PM2_Supporting), the row is upgraded on MEN1-specific evidence, following
the upweighting the ClinGen expert panels' specifications use (reviewed in PMC9980257, table 1:
"consider upweighting to PVS1 if the truncated/deleted region is critical to function, e.g. a
pathogenic missense variant has been identified in it"; start loss: "consider upweighting based
on the location of pathogenic variants between the native and the next in-frame start"). The
ENIGMA BRCA1/2 panel does the same for truncations escaping NMD upstream of the most 3'
established pathogenic truncation (Parsons et al., Am J Hum Genet 2024).

MEN1 facts used (docs/men1-facts.md): menin's nuclear localisation signals NLS1 (residues
479-497), NLSa (546-572) and NLS2 (588-608) (Guru et al., PNAS 1998;95:1630; La et al., Oncogene
2006;25:3537); ClinVar assertions cited by VCV number from the shipped ClinVar sample.

Exon arithmetic (coding lengths from the shipped exon table; checked in
tests/variant_calling/test_pvs1.py by splicing and translating the reference CDS): exon 2 c.1-445,
3 c.446-654 (209 nt), 4 c.655-783 (129 nt, in frame, residues 219-261), 5 c.784-824 (41 nt),
6 c.825-912 (88 nt), 7 c.913-1049 (137 nt), 8 c.1050-1185 (136 nt), 9 c.1186-1350 (165 nt, in
frame, residues 396-450), 10 c.1351-1833 (stop codon c.1831-1833). A premature stop 3' of
c.1300 (the last 50 nt of exon 9, or exon 10) escapes NMD.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from .locus import Annotation, ExonEffect, exon_rearrangement

if TYPE_CHECKING:
    from .known import KnownVariant

__all__ = ["LAST_UPGRADED_RESIDUE", "NLS2_END", "TABLE", "ExonPvs1", "Pvs1Region", "assess",
           "exon_gain", "exon_loss"]

#: The most 3' truncation established pathogenic in the shipped ClinVar sample: p.(Arg527*),
#: c.1579C>T, VCV000016688 (Pathogenic). Truncations altering menin at or before it are
#: upgraded to very strong.
LAST_UPGRADED_RESIDUE = 527
#: Last residue of NLS2; a truncation altering menin up to here removes (part of) it.
NLS2_END = 608


class Pvs1Region(NamedTuple):
    """One row of the MEN1 PVS1 table."""

    id: str
    where: str
    #: very_strong / strong / moderate, or None when PVS1 does not apply.
    strength: str | None
    #: What the plain SVI tree answers for this region.
    tree: str
    #: Why this row's strength: the tree's, or the evidence for an upgrade.
    basis: str


TABLE: tuple[Pvs1Region, ...] = (
    Pvs1Region(
        "NMD",
        "nonsense or frameshift with its premature stop 5' of c.1301 (exons 2-8, exon 9 up to "
        "its last 50 nt): NMD predicted",
        "very_strong",
        "PVS1",
        "the tree: NMD predicted, and exons 2-10 are in every MEN1 RefSeq transcript",
    ),
    Pvs1Region(
        "ESCAPE_TO_527",
        "nonsense or frameshift escaping NMD (stop at or 3' of c.1301) whose first altered "
        f"residue is at or before Arg{LAST_UPGRADED_RESIDUE}",
        "very_strong",
        "PVS1_Strong (removes >= 13.8 % of menin, with NLS1, NLSa and NLS2)",
        "upgraded: truncations escaping NMD are established pathogenic down to p.(Arg527*) "
        "(ClinVar VCV000016688), with p.(Trp436*) VCV000016687 and p.(Arg460*) VCV000016692 "
        "(a recurrent MEN1 mutation); the lost region also holds the pathogenic in-frame "
        "p.(Gln453_Arg456del) VCV000016708 (PMC9980257 recommendation H; ENIGMA's rule)",
    ),
    Pvs1Region(
        "ESCAPE_NLS",
        f"nonsense or frameshift escaping NMD whose first altered residue is "
        f"{LAST_UPGRADED_RESIDUE + 1}-{NLS2_END}",
        "very_strong",
        "PVS1_Strong (the lost region holds NLSa 546-572 and NLS2 588-608, critical for "
        "menin's nuclear function)",
        "upgraded: functional evidence that the lost region is essential (PMC9980257 "
        "recommendation F): menin truncated before NLSa/NLS2 stays in the cytoplasm and loses "
        "its repression of transcription and proliferation (Guru et al. 1998; La et al. 2006); "
        "MEN1's truncating mutations lie along the whole coding region, exon 10 included "
        "(Lemos and Thakker, Hum Mutat 2008;29:22); a novel nonsense variant here must not "
        "read as uncertain",
    ),
    Pvs1Region(
        "ESCAPE_TAIL",
        f"nonsense or frameshift altering only residues {NLS2_END + 1}-610",
        None,
        "PVS1_Moderate (< 10 % of the protein, role of the region unknown)",
        "not applied: the tree's Moderate is for a lost region of unknown role; here at most "
        "the last two residues go, C-terminal of NLS2, the last known functional element",
    ),
    Pvs1Region(
        "START",
        "initiation codon (c.1-c.3, start lost)",
        "very_strong",
        "PVS1_Moderate (no alternative start in any MEN1 transcript; the next in-frame Met is "
        "Met228, and pathogenic variants lie between)",
        "upgraded: re-initiation at Met228 would lose 37 % of menin, a region holding "
        "pathogenic missense p.(Leu22Arg) VCV000016677, p.(His139Asp) VCV000016699, "
        "p.(Leu168Pro) VCV000036532, p.(Val184Glu) VCV000016697 and the recurrent "
        "c.249_252del VCV000016693; and c.1A>G itself is P/LP (VCV000036525) "
        "(PMC9980257 recommendation B)",
    ),
    Pvs1Region(
        "SPLICE_EXON1",
        "donor of the non-coding exon 1 (intron 1 +1/+2)",
        None,
        "PVS1 N/A (5' UTR)",
        "the tree (PMC9980257 recommendation A): the CDS is untouched and other first exons "
        "(NM_130799.2, NM_000244.3) exist",
    ),
    Pvs1Region(
        "SPLICE_EXON2",
        "canonical sites of exon 2 (intron 1 -1/-2, intron 2 +1/+2): skipping exon 2 removes "
        "the initiation codon and c.1-445, out of frame",
        "very_strong",
        "as an initiation-codon loss: PVS1_Moderate",
        "upgraded as START: the product could only start at Met228",
    ),
    Pvs1Region(
        "SPLICE_EXON3",
        "canonical sites of exon 3 (intron 2 -1/-2, intron 3 +1/+2): exon 3 (209 nt) skipped "
        "out of frame, new stop at codon 161, NMD predicted",
        "very_strong",
        "PVS1",
        "the tree; c.654+1G>A is pathogenic (VCV000039763)",
    ),
    Pvs1Region(
        "SPLICE_EXON4",
        "canonical sites of exon 4 (intron 3 -1/-2, intron 4 +1/+2): exon 4 (129 nt) skipped "
        "in frame, deleting residues 219-261 (7.0 %)",
        "very_strong",
        "PVS1_Strong (in frame; the region is critical: it holds the pathogenic missense "
        "p.(Glu255Lys) VCV000016696)",
        "upgraded: pathogenic missense in the deleted region (PMC9980257 recommendation F); "
        "menin does not tolerate even single-residue in-frame deletions in its fold, "
        "e.g. p.(Glu363del) VCV000016685 is pathogenic",
    ),
    Pvs1Region(
        "SPLICE_EXON5",
        "canonical sites of exon 5 (intron 4 -1/-2, intron 5 +1/+2): exon 5 (41 nt) skipped "
        "out of frame, new stop at codon 302, NMD predicted",
        "very_strong",
        "PVS1",
        "the tree; c.824+1G>A is pathogenic (VCV000016710)",
    ),
    Pvs1Region(
        "SPLICE_EXON6",
        "canonical sites of exon 6 (intron 5 -1/-2, intron 6 +1/+2): exon 6 (88 nt) skipped "
        "out of frame, new stop at codon 338, NMD predicted",
        "very_strong",
        "PVS1",
        "the tree",
    ),
    Pvs1Region(
        "SPLICE_EXON7",
        "canonical sites of exon 7 (intron 6 -1/-2, intron 7 +1/+2): exon 7 (137 nt) skipped "
        "out of frame, new stop at codon 320, NMD predicted",
        "very_strong",
        "PVS1",
        "the tree",
    ),
    Pvs1Region(
        "SPLICE_EXON8",
        "canonical sites of exon 8 (intron 7 -1/-2, intron 8 +1/+2): exon 8 (136 nt) skipped "
        "out of frame; the new stop (codon 399) falls in the last 50 nt of exon 9, so NMD is "
        "not predicted; menin is altered from residue 350",
        "very_strong",
        "PVS1_Strong (truncation removing > 10 %)",
        "upgraded as ESCAPE_TO_527: the altered region starts 5' of established pathogenic "
        "truncations escaping NMD",
    ),
    Pvs1Region(
        "SPLICE_EXON9",
        "canonical sites of exon 9 (intron 8 -1/-2, intron 9 +1/+2): exon 9 (165 nt) skipped "
        "in frame, deleting residues 396-450 (9.0 %)",
        "very_strong",
        "PVS1_Strong (in frame; critical region: pathogenic missense p.(Asp418Asn) "
        "VCV000016703 and p.(Trp436Arg) VCV000016686 lie in it)",
        "upgraded: pathogenic missense in the deleted region (PMC9980257 recommendation F), "
        "and this very skipping is established pathogenic: c.1350+1G>A (VCV000016707)",
    ),
    Pvs1Region(
        "SPLICE_EXON10",
        "acceptor of the last exon (intron 9 -1/-2): exon 10 cannot be skipped; a cryptic "
        "acceptor or intron retention alters menin from residue 451",
        "very_strong",
        "PVS1_Strong (NMD not predicted; the altered region holds NLS1, NLSa and NLS2)",
        "upgraded as ESCAPE_TO_527: a cryptic acceptor or intron retention alters menin from "
        "residue 451, 5' of the established pathogenic NMD-escaping truncations p.(Arg460*) "
        "and p.(Arg527*); only RNA evidence of an in-frame outcome that keeps the NLSs "
        "would argue for less (the pathologist's override then records it)",
    ),
)

_BY_ID = {r.id: r for r in TABLE}


def _row(region_id: str) -> Pvs1Region:
    return _BY_ID[region_id]


def assess(annotation: Annotation) -> tuple[Pvs1Region | None, str | None]:
    """(the table row for a null variant, or None; a note when PVS1 was considered and not
    applicable for a reason outside the table)."""
    csq = annotation.consequence
    if csq in ("stop_gained", "frameshift_variant"):
        if annotation.hgvs_p is None or annotation.protein_position is None:
            return None, "PVS1_not_applicable: no protein change"
        if "ext" in annotation.hgvs_p:
            return None, "PVS1_not_applicable: C-terminal extension, not a truncation"
        if not annotation.nmd_escape:
            return _row("NMD"), None
        if annotation.protein_position <= LAST_UPGRADED_RESIDUE:
            return _row("ESCAPE_TO_527"), None
        if annotation.protein_position <= NLS2_END:
            return _row("ESCAPE_NLS"), None
        return _row("ESCAPE_TAIL"), None
    if csq == "start_lost":
        return _row("START"), None
    if csq in ("splice_donor_variant", "splice_acceptor_variant") and annotation.intron:
        # The donor of intron k ends exon k; the acceptor of intron k starts exon k + 1.
        exon = annotation.intron + (1 if csq == "splice_acceptor_variant" else 0)
        return _BY_ID.get(f"SPLICE_EXON{exon}"), None
    return None, None


# ---------------------------------------------------------------------------------------------
# Whole-exon deletions and tandem duplications inside MEN1 (the tree's deletion and
# duplication branches; ClinGen CNV scoring section 2E for losses, 2I for gains)

#: The tree's threshold for a lost or altered region's share of the protein.
TEN_PERCENT_OF_MENIN = 61  # residues (610 aa)
_PATHOGENIC = ("pathogenic", "likely_pathogenic")


class ExonPvs1(NamedTuple):
    """PVS1 for a whole-exon event: the strength (None: not applicable) and why."""

    strength: str | None
    reason: str


def _critical_missense(known: Iterable[KnownVariant], first: int, last: int) -> KnownVariant | None:
    return next((v for v in known if v.significance in _PATHOGENIC
                 and v.consequence == "missense_variant" and v.protein_position is not None
                 and first <= v.protein_position <= last), None)


def _truncation(effect: ExonEffect) -> ExonPvs1:
    first = effect.first_residue or 1
    if effect.nmd:
        row = _row("NMD")
        return ExonPvs1(row.strength, f"premature stop, NMD predicted [MEN1 PVS1 table NMD: "
                                      f"{row.basis}]")
    for rid, limit in (("ESCAPE_TO_527", LAST_UPGRADED_RESIDUE), ("ESCAPE_NLS", NLS2_END)):
        if first <= limit:
            row = _row(rid)
            return ExonPvs1(row.strength, f"menin altered from residue {first}, NMD not "
                                          f"predicted [MEN1 PVS1 table {rid}: {row.basis}]")
    row = _row("ESCAPE_TAIL")
    return ExonPvs1(None, f"menin altered only from residue {first} [MEN1 PVS1 table "
                          f"ESCAPE_TAIL: {row.basis}]")


def exon_loss(exons: list[int], known: Iterable[KnownVariant]) -> ExonPvs1:
    """PVS1 for the loss of the MANE exons ``exons`` (a deletion with both breakpoints inside
    the gene; an exon it only partly removes counts as lost, its splice site being gone).

    A single exon gives its table row (the same answer as a canonical splice variant skipping
    it); several are spliced out and translated (:func:`variant_calling.locus.exon_rearrangement`)
    and read by the same rules."""
    lost = sorted(set(exons))
    if not lost:
        return ExonPvs1(None, "no exon is lost (an intronic deletion)")
    if lost == [1]:
        row = _row("SPLICE_EXON1")
        return ExonPvs1(None, f"only the non-coding exon 1 is lost [MEN1 PVS1 table "
                              f"SPLICE_EXON1: {row.basis}]")
    if len(lost) == 1 and 2 <= lost[0] <= 9:
        row = _row(f"SPLICE_EXON{lost[0]}")
        return ExonPvs1(row.strength, f"exon {lost[0]} lost: {row.where} [MEN1 PVS1 table "
                                      f"{row.id}: {row.basis}]")
    effect = exon_rearrangement([n for n in range(1, 11) if n not in lost])
    return _effect_strength(effect, known, "loss")


def exon_gain(exons: list[int], tandem: bool, known: Iterable[KnownVariant]) -> ExonPvs1:
    """PVS1 for a duplication of the MANE exons ``exons`` inside the gene: proven in tandem
    (``tandem``), frame disrupted and NMD predicted → PVS1; presumed in tandem (a read-depth
    gain) → PVS1_Strong; otherwise not applicable (Abou Tayoun et al. 2018, figure 1)."""
    copied = sorted(set(exons))
    if not copied:
        return ExonPvs1(None, "no exon is duplicated (an intronic duplication)")
    last = copied[-1]
    order = [n for n in range(1, last + 1)] + copied + [n for n in range(last + 1, 11)]
    effect = exon_rearrangement(order)
    how = "proven in tandem" if tandem else "presumed in tandem (read depth)"
    if effect.kind == "truncating" and effect.nmd:
        strength = "very_strong" if tandem else "strong"
        return ExonPvs1(strength, f"duplication of exon(s) {_exons(copied)} {how}: reading "
                                  f"frame disrupted from residue {effect.first_residue}, NMD "
                                  "predicted (the tree's duplication branch)")
    what = {"in_frame": "reading frame kept", "unchanged": "menin unchanged",
            "start_lost": "start codon copied"}.get(effect.kind, "no NMD predicted")
    return ExonPvs1(None, f"duplication of exon(s) {_exons(copied)} {how}: {what} (the tree's "
                          "duplication branch applies PVS1 only to a frameshift with NMD)")


def _exons(numbers: list[int]) -> str:
    return f"{numbers[0]}" if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"


def _effect_strength(effect: ExonEffect, known: Iterable[KnownVariant], what: str) -> ExonPvs1:
    if effect.kind == "start_lost":
        row = _row("START")
        return ExonPvs1(row.strength, f"the initiation codon is lost [MEN1 PVS1 table START: "
                                      f"{row.basis}]")
    if effect.kind == "truncating":
        return _truncation(effect)
    if effect.kind == "in_frame":
        first = effect.first_residue or 1
        last = effect.last_residue or first
        hit = _critical_missense(known, first, last)
        if hit is not None:
            return ExonPvs1("very_strong", f"in-frame {what} of residues {first}-{last} holding "
                                           f"the pathogenic missense {hit.protein_change} "
                                           f"{hit.id}: a critical region (PMC9980257 "
                                           "recommendation F, as the SPLICE_EXON4/9 rows)")
        size = last - first + 1
        if size >= TEN_PERCENT_OF_MENIN:
            return ExonPvs1("strong", f"in-frame {what} of residues {first}-{last} "
                                      f"({size} aa, > 10 % of menin): PVS1_Strong")
        return ExonPvs1("moderate", f"in-frame {what} of residues {first}-{last} ({size} aa, "
                                    "< 10 % of menin): PVS1_Moderate")
    return ExonPvs1(None, "menin unchanged")
