"""MEN1 copy-number events: which exons a deletion or duplication covers, its HGVS names, its
origin, and its classification on the ClinGen CNV points (Riggs et al., Genet Med
2020;22:245, the ACMG/ClinGen technical standards for constitutional copy-number variants).

**Losses** (section 2, MEN1 being an established haploinsufficient gene, :data:`HI_EVIDENCE`):

======  ======  ==========================================================================
2A      1.00    complete overlap of MEN1 (both breakpoints outside the MANE transcript)
2C-1    0.90    the 5' end lost with coding sequence (the 3' breakpoint inside the gene)
2C-2    0       only the 5' UTR lost (exon 1 / intron 1, before c.1)
2D-1    0       only the 3' UTR lost
2D-2    0.90    only the last exon lost, and established pathogenic variants lie in it
2D-3    0.30    only the last exon lost, no established pathogenic variant in it
2D-4    0.90    the last exon and other exons lost (the 5' breakpoint inside the gene)
2E      0-0.90  both breakpoints inside the gene: the PVS1 tree on the lost exons
                (:func:`variant_calling.pvs1.exon_loss`): PVS1 0.90, PVS1_Strong 0.45,
                PVS1_Moderate 0.30, PVS1_Supporting 0.15, not applicable 0
======  ======  ==========================================================================

**Gains**: MEN1's mechanism is loss of function and no triplosensitivity is recorded for it, so
a gain of the whole gene is 2H (0: a haploinsufficient gene fully contained in a gain); one
breakpoint inside the gene is 2J (0; 2K, 0.45, needs a phenotype judgement the pathologist
makes); both inside is 2I, the PVS1 duplication branch (:func:`variant_calling.pvs1.exon_gain`):
proven in tandem with a frameshift and NMD 0.90, presumed in tandem 0.45.

Section 1A (the event contains a protein-coding gene) is 0. Sections 3 (gene count), 4
(case-level) and 5 (family history) are not assessed: gene content outside the MEN1 window is
not shipped, and case data is the pathologist's. **Tiers** (Riggs table 3, mapped onto
``classification``): >= 0.99 pathogenic, 0.90-0.98 likely pathogenic, -0.89-0.89 uncertain
significance, -0.90 to -0.98 likely benign, <= -0.99 benign.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, NamedTuple

from . import locus, reference
from .known import KnownVariant
from .pvs1 import ExonPvs1, exon_gain, exon_loss
from .qualify import GERMLINE_ORIGINS, Verdict, caller_quality, qualifies
from .records import CopyNumberCall, CopyNumberEvidence
from .results import VariantResult
from .roles import Source
from .rules import Rules

__all__ = ["HI_EVIDENCE", "Scored", "classify_event", "event_names", "exons_of", "results",
           "tier_of_score"]

#: The haploinsufficiency evidence the loss sections rely on, with its sources.
HI_EVIDENCE = (
    "MEN1 is treated as an established haploinsufficient gene (Riggs 2020 sections 2A-2E): "
    "loss of function is its disease mechanism, truncating variants throughout exons 2-10 "
    "being the rule (Lemos & Thakker, Hum Mutat 2008;29:22, 1,336 mutations: frameshift 41 %, "
    "nonsense 23 %; docs/men1-facts.md fact 4), and germline whole- and partial-gene deletions "
    "cause MEN1 (about 1 % of germline mutations in the same series); {count} null variants "
    "in the known-variant table are pathogenic or likely pathogenic"
)
PVS1_POINTS = {"very_strong": 0.90, "strong": 0.45, "moderate": 0.30, "supporting": 0.15}
TIERS = ("pathogenic", "likely_pathogenic", "uncertain_significance", "likely_benign",
         "benign")
_NULL = ("stop_gained", "frameshift_variant", "splice_donor_variant", "splice_acceptor_variant",
         "start_lost")
_PATHOGENIC = ("pathogenic", "likely_pathogenic")


def tier_of_score(score: float) -> str:
    if score >= 0.99:
        return TIERS[0]
    if score >= 0.90:
        return TIERS[1]
    if score > -0.90:
        return TIERS[2]
    if score > -0.99:
        return TIERS[3]
    return TIERS[4]


class Exons(NamedTuple):
    """How an event [start, end] meets the MANE transcript."""

    whole: tuple[int, ...]  # exons entirely inside the event
    partial: tuple[int, ...]  # exons the event cuts
    covers_5prime: bool  # reaches past the transcript's 5' end (exon 1, high coordinate)
    covers_3prime: bool  # reaches past its 3' end (exon 10's end, low coordinate)
    coding: bool  # any coding base inside the event
    overlaps: bool  # any base of the transcript inside the event

    @property
    def touched(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.whole) | set(self.partial)))


def exons_of(build: str, start: int, end: int) -> Exons:
    exons = locus.mane_exons(build)
    tx_lo, tx_hi = exons[-1].start, exons[0].end
    whole = tuple(e.number for e in exons if start <= e.start and e.end <= end)
    partial = tuple(e.number for e in exons
                    if e.number not in whole and e.start <= end and start <= e.end)
    coding = any(e.coding is not None and e.coding[0] <= end and start <= e.coding[1]
                 for e in exons)
    return Exons(whole, partial, end >= tx_hi, start <= tx_lo, coding,
                 start <= tx_hi and tx_lo <= end)


class Scored(NamedTuple):
    section: str
    score: float
    scoring: tuple[tuple[str, float, str], ...]  # (code, points, reason)
    consequence: str
    hgvs_p: str | None


def _known_null(known: Iterable[KnownVariant]) -> list[KnownVariant]:
    return [v for v in known if v.significance in _PATHOGENIC and v.consequence in _NULL]


def classify_event(build: str, svtype: str, start: int, end: int, tandem: bool | None,
                   known: Iterable[KnownVariant]) -> Scored:
    """The ClinGen CNV points of one deletion (``svtype`` DEL) or duplication (DUP)."""
    ex = exons_of(build, start, end)
    known = list(known)
    items: list[tuple[str, float, str]] = [
        ("1A", 0.0, "contains a protein-coding gene (MEN1)")]
    if svtype == "DEL":
        section, points, reason, consequence, hgvs_p = _loss(build, ex, start, end, known)
        items.append((section, points, reason))
        items.append(("HI", 0.0, HI_EVIDENCE.format(count=len(_known_null(known)))))
    else:
        section, points, reason, consequence, hgvs_p = _gain(ex, tandem, known)
        items.append((section, points, reason))
    items.append(("3", 0.0, "not assessed: the genes outside the MEN1 window are not shipped "
                            "(a gain of points only; 3A is 0)"))
    items.append(("4-5", 0.0, "not assessed: case-level and family data (the pathologist "
                              "weighs them at review)"))
    score = round(sum(p for _c, p, _r in items), 2)
    return Scored(section, score, tuple(items), consequence, hgvs_p)


def _from_pvs1(result: ExonPvs1) -> tuple[float, str]:
    if result.strength is None:
        return 0.0, f"PVS1 not applicable: {result.reason}"
    code = {"very_strong": "PVS1", "strong": "PVS1_Strong", "moderate": "PVS1_Moderate",
            "supporting": "PVS1_Supporting"}[result.strength]
    return PVS1_POINTS[result.strength], f"{code}: {result.reason}"


def _loss(build: str, ex: Exons, start: int, end: int, known: list[KnownVariant]
          ) -> tuple[str, float, str, str, str | None]:
    if ex.covers_5prime and ex.covers_3prime:
        return ("2A", 1.00, "complete overlap of MEN1, an established haploinsufficient gene",
                "transcript_ablation", "p.0?")
    if ex.covers_5prime:
        if ex.coding:
            return ("2C-1", 0.90, "the 5' end of MEN1 is lost with coding sequence (exons "
                                  f"{_span(ex.touched)}); the 3' breakpoint is inside the gene",
                    "feature_truncation", "p.0?")
        return ("2C-2", 0.0, "only the 5' UTR of MEN1 is lost (exon 1; the coding sequence "
                             "begins in exon 2)", "5_prime_UTR_variant", None)
    if ex.covers_3prime:
        last = locus.mane_exons(build)[-1]
        assert last.coding is not None
        if not ex.coding:
            return ("2D-1", 0.0, "only the 3' UTR of MEN1 is lost", "3_prime_UTR_variant", None)
        if ex.touched == (last.number,):
            in_last = [v for v in known if v.significance in _PATHOGENIC
                       and v.protein_position is not None and v.protein_position >= 451]
            if in_last:
                return ("2D-2", 0.90, f"only the last exon is lost, where established pathogenic "
                                      f"variants lie (e.g. {in_last[0].id} "
                                      f"{in_last[0].protein_change})", "feature_truncation",
                        "p.?")
            return ("2D-3", 0.30, "only the last exon is lost; no established pathogenic "
                                  "variant is known in it", "feature_truncation", "p.?")
        return ("2D-4", 0.90, f"the last exon and other exons are lost (exons "
                              f"{_span(ex.touched)})", "feature_truncation", "p.?")
    pvs1 = exon_loss(list(ex.touched), known)
    points, reason = _from_pvs1(pvs1)
    if not ex.touched:
        return ("2E", points, f"both breakpoints inside MEN1: {reason}", "intron_variant", None)
    return ("2E", points, f"both breakpoints inside MEN1, exons {_span(ex.touched)} lost: "
                          f"{reason}", "feature_truncation", "p.?")


def _gain(ex: Exons, tandem: bool | None, known: list[KnownVariant]
          ) -> tuple[str, float, str, str, str | None]:
    if ex.covers_5prime and ex.covers_3prime:
        return ("2H", 0.0, "MEN1 is fully contained in the gain: a haploinsufficient gene "
                           "gained whole is not lost (no triplosensitivity is recorded for "
                           "MEN1)", "transcript_amplification", None)
    if ex.covers_5prime or ex.covers_3prime:
        return ("2J", 0.0, "one breakpoint inside MEN1 (2K, 0.45, needs a phenotype judgement "
                           "the pathologist makes)", "feature_elongation", "p.?")
    pvs1 = exon_gain(list(ex.touched), bool(tandem), known)
    points, reason = _from_pvs1(pvs1)
    consequence = "feature_elongation" if ex.touched else "intron_variant"
    return ("2I", points, f"both breakpoints inside MEN1: {reason}", consequence,
            "p.?" if ex.touched else None)


def _span(numbers: tuple[int, ...]) -> str:
    if not numbers:
        return "none"
    return f"{numbers[0]}" if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"


def _position(build: str, pos: int, ci: tuple[int, int] | None) -> str:
    if ci is None or ci == (0, 0):
        return str(pos)
    return f"({pos + ci[0]}_{pos + ci[1]})"


def event_names(build: str, svtype: str, start: int, end: int,
                cipos: tuple[int, int] | None, ciend: tuple[int, int] | None
                ) -> dict[str, Any]:
    """HGVS names of an event: g. on the build's chromosome 11 accession (uncertain
    breakpoints as ranges where the caller gives CIPOS/CIEND), and c. on MANE, a breakpoint
    beyond the transcript written ``(?_-61)`` / ``(*818_?)``."""
    edit = "del" if svtype == "DEL" else "dup"
    acc = locus.CHR11_ACCESSIONS[build]
    g = f"{acc}:g.{_position(build, start, cipos)}_{_position(build, end, ciend)}{edit}"
    ex = exons_of(build, start, end)
    first, last = locus.transcript_ends(build)

    def c(pos: int, ci: tuple[int, int] | None) -> str:
        if ci is None or ci == (0, 0):
            return locus.c_position_any(build, pos)
        # A range on the plus strand reads in reverse on this minus-strand gene.
        return (f"({locus.c_position_any(build, pos + ci[1])}_"
                f"{locus.c_position_any(build, pos + ci[0])})")

    # Minus strand: the event's end (high coordinate) is its 5' side on the transcript.
    five = f"(?_{first})" if ex.covers_5prime else c(end, ciend)
    three = f"({last}_?)" if ex.covers_3prime else c(start, cipos)
    return {"hgvs_g": g, "hgvs_c": f"{locus.MANE}:c.{five}_{three}{edit}",
            "size": end - start + 1,
            "within_window": reference.contains(build, start, end)}


# ---------------------------------------------------------------------------------------------
# From the inputs' calls to results


class _Event:
    """Calls of one direction that overlap and cover the same MEN1 exons, across inputs and
    callers, with the best evidence per role."""

    __slots__ = ("calls", "disagree", "end", "footprint", "normal", "start", "svtype", "tumor")

    def __init__(self, call: CopyNumberCall, footprint: Exons) -> None:
        self.svtype = call.svtype
        self.start, self.end = call.start, call.end
        self.footprint = footprint
        self.calls: list[CopyNumberCall] = [call]
        #: Roles whose calls disagree (one caller has the sample carry it, another not).
        self.disagree: set[str] = set()
        self.normal: CopyNumberEvidence | None = None
        self.tumor: CopyNumberEvidence | None = None


def _merge_evidence(a: CopyNumberEvidence | None, b: CopyNumberEvidence
                    ) -> CopyNumberEvidence:
    if a is None or (b.carries and not a.carries) or (a.carries is None and b.carries is not None):
        return b
    return a


#: Read-depth callers: each of their records is a segment, so a segment a sample does not
#: carry shows that sample at the reference copy number over its whole extent. (A Manta or
#: Delly record a sample lacks says nothing of the bases around its breakpoints.)
SEGMENT_CALLERS = frozenset({"GATK gCNV", "CNVkit"})


def _events(sources: list[Source], build: str, warnings: list[str]) -> list[_Event]:
    exons = locus.mane_exons(build)
    tx_lo, tx_hi = exons[-1].start, exons[0].end
    events: list[_Event] = []
    reference_segments: dict[str, list[tuple[CopyNumberCall, CopyNumberEvidence]]] = {
        "normal": [], "tumor": []}
    away = 0
    for src in sources:
        for call in src.data.cnv_calls:
            roles = {role: call.samples.get(getattr(src, role) or "")
                     for role in ("normal", "tumor")}
            if not any(e is not None and e.carries for e in roles.values()):
                # A reference segment: MEN1 looked at, nothing changed.
                if call.caller in SEGMENT_CALLERS:
                    for role, ev in roles.items():
                        if ev is not None and ev.carries is False:
                            reference_segments[role].append((call, ev))
                continue
            if call.end < tx_lo or call.start > tx_hi:
                away += 1
                continue
            # Calls are one event only when they change the same exons: a germline exon
            # deletion and the tumour's loss of the whole gene overlap but are two hits, each
            # with its own origin and class (their overlap is warned of in results()).
            footprint = exons_of(build, call.start, call.end)
            event = next((e for e in events if e.svtype == call.svtype
                          and e.footprint == footprint
                          and e.start <= call.end and call.start <= e.end), None)
            if event is None:
                event = _Event(call, footprint)
                events.append(event)
            else:
                event.calls.append(call)
            for role, ev in roles.items():
                if ev is not None:
                    before = getattr(event, role)
                    if before is not None and None not in (before.carries, ev.carries) \
                            and before.carries != ev.carries:
                        event.disagree.add(role)
                    setattr(event, role, _merge_evidence(before, ev))
    if away:
        warnings.append(f"{away} copy-number call(s) near MEN1 but not overlapping its "
                        "transcript ignored")
    for e in events:
        for role, segments in reference_segments.items():
            if getattr(e, role) is None:
                setattr(e, role, _reference_over(build, e, segments))
    return sorted(events, key=lambda e: (e.start, e.svtype))


def _reference_over(build: str, e: _Event,
                    segments: list[tuple[CopyNumberCall, CopyNumberEvidence]]
                    ) -> CopyNumberEvidence | None:
    """A sample's evidence of absence for an event its files do not call: its reference
    segments (a separate gCNV or CNVkit file of the blood, say) cover every MEN1 exon the event
    changes (its whole extent inside the transcript when it changes none). Partly covered
    (the sample has its own, different event there) is no evidence either way."""
    exons = {x.number: x for x in locus.mane_exons(build)}
    tx_lo, tx_hi = exons[10].start, exons[1].end
    lo, hi = max(e.start, tx_lo), min(e.end, tx_hi)
    spans = ([(exons[n].start, exons[n].end) for n in e.footprint.touched]
             or [(lo, hi)])
    used: list[tuple[CopyNumberCall, CopyNumberEvidence]] = []
    for a, b in spans:
        # Adjacent segments may share an exon between them: covered when their union is.
        at = a
        for c, ev in sorted((x for x in segments if x[0].start <= b and a <= x[0].end),
                            key=lambda x: x[0].start):
            if c.start > at:
                break
            at = max(at, c.end + 1)
            if all((u.file, u.line, u.start) != (c.file, c.line, c.start) for u, _ in used):
                used.append((c, ev))  # gCNV's segment is one call per ALT: cited once
        if at <= b:
            return None
    where = "; ".join(f"{c.caller} {os.path.basename(c.file)}"
                      + (f":{c.line}" if c.line else "") + f" chr11:{c.start}-{c.end}"
                      + (f" {ev.support}" if ev.support else "") for c, ev in used)
    first = used[0][1]
    return CopyNumberEvidence(False, first.copy_number, first.genotype,
                              f"reference segment {where}")


def _origin(e: _Event) -> tuple[str, bool, list[str]]:
    """(origin, in_tumour, evidence): present in the normal → germline; absent from an
    assessed normal and present in the tumour → somatic; a tumour call without a normal →
    undetermined."""
    n, t = e.normal, e.tumor
    ev = []
    for role, x in (("NORMAL", n), ("TUMOR", t)):
        if x is None:
            ev.append(f"ORIGIN_NO_{role}")
            continue
        state = {True: "PRESENT", False: "ABSENT", None: "NO_CALL"}[x.carries]
        detail = ", ".join(p for p in (f"GT {x.genotype}" if x.genotype else "",
                                       x.support) if p)
        ev.append(f"ORIGIN_{role}_{state}" + (f" ({detail})" if detail else ""))
    in_tumor = bool(t is not None and t.carries)
    if n is not None and n.carries:
        return "germline", in_tumor, ev
    if n is not None and n.carries is False and in_tumor:
        return "somatic", True, ev
    return "undetermined", in_tumor, ev


def _exon_words(ex: Exons) -> str:
    if ex.covers_5prime and ex.covers_3prime:
        return "the whole gene"
    if not ex.touched:
        return "no exon"
    return f"exons {_span(ex.touched)}" if len(ex.touched) > 1 else f"exon {ex.touched[0]}"


def _copies(e: _Event) -> dict[str, int | None]:
    return {role: getattr(e, role).copy_number for role in ("normal", "tumor")
            if getattr(e, role) is not None}


def _homozygous(x: CopyNumberEvidence | None) -> bool:
    return x is not None and (x.copy_number == 0 or x.genotype in ("1/1", "1|1"))


def results(sources: list[Source], build: str, known: Iterable[KnownVariant], rules: Rules,
            warnings: list[str]) -> list[VariantResult]:
    """The MEN1 copy-number events of the inputs as classified results (events reaching past
    the shipped window are kept: only their names and exons need the transcript)."""
    known = list(known)
    events = _events(sources, build, warnings)
    contradicted: set[int] = set()
    for i, a in enumerate(events):
        for j, b in enumerate(events):
            if i < j and a.svtype != b.svtype and a.start <= b.end and b.start <= a.end:
                for role in ("normal", "tumor"):
                    x, y = getattr(a, role), getattr(b, role)
                    if x is not None and y is not None and x.carries and y.carries:
                        contradicted.update((i, j))
                        warnings.append(
                            f"contradictory copy-number events in the {role}: a loss "
                            f"chr11:{a.start}-{a.end} and a gain chr11:{b.start}-{b.end} "
                            "overlap; neither qualifies until reviewed")
    for i, a in enumerate(events):
        for b in events[i + 1:]:
            if a.svtype == b.svtype and a.start <= b.end and b.start <= a.end:
                kind = "losses" if a.svtype == "DEL" else "gains"
                warnings.append(
                    f"overlapping copy-number {kind} of different extent: chr11:{a.start}-"
                    f"{a.end} ({_exon_words(a.footprint)}) and chr11:{b.start}-{b.end} "
                    f"({_exon_words(b.footprint)}); reported and classified separately (one "
                    "event at two resolutions, or two hits such as a germline exon deletion "
                    "and the tumour's loss of the rest): review both")
    out: list[VariantResult] = []
    w = reference.window(build)
    for i, e in enumerate(events):
        scored = classify_event(build, e.svtype, e.start, e.end,
                                any(c.tandem for c in e.calls) if e.svtype == "DUP" else None,
                                known)
        first = e.calls[0]
        names = event_names(build, e.svtype, e.start, e.end, first.cipos, first.ciend)
        ex = exons_of(build, e.start, e.end)
        origin, in_tumor, origin_ev = _origin(e)
        passes, filters, qev = caller_quality([c.filters for c in e.calls],
                                              origin in GERMLINE_ORIGINS, rules)
        if i in contradicted:
            passes = False
            qev = ["QUALITY_FAIL (contradicted by an overlapping event of the other direction)"]
        tier = tier_of_score(scored.score)
        second_hit_only = (e.svtype == "DEL" and scored.section == "2A"
                           and origin not in GERMLINE_ORIGINS and not _homozygous(e.tumor))
        verdict = Verdict(origin, tier, None, passes, in_tumor, second_hit_only)
        evidence = [*origin_ev,
                    *(f"{code} ({points:+.2f}): {reason}" for code, points, reason in
                      scored.scoring),
                    f"ClinGen CNV score {scored.score:+.2f} -> {tier}", *qev]
        if second_hit_only:
            evidence.append("SECOND_HIT_ONLY: a single-copy loss of the whole gene in the "
                            "tumour is the usual second hit; it qualifies only with a first")
        for c in e.calls:
            where = f"{c.caller} {os.path.basename(c.file)}" + (f":{c.line}" if c.line else "")
            evidence.append(f"CALLED_BY {where} chr11:{c.start}-{c.end} {c.alt}"
                            + (f" {c.record_id}" if c.record_id else ""))
        for role in sorted(e.disagree):
            # Presence wins (a caller can miss an imprecise event; it cannot invent reads),
            # but the pathologist sees the disagreement.
            warnings.append(f"{names['hgvs_c']}: the {'tumour' if role == 'tumor' else role}'s "
                            f"callers disagree ({', '.join(sorted({c.caller for c in e.calls}))}"
                            "): one has the sample carry the event, another not; read as "
                            "carried: review")
        if not reference.contains(build, e.start, e.end):
            warnings.append(f"{names['hgvs_c']}: the event reaches past the shipped MEN1 window "
                            f"(chr11:{w.start}-{w.end}); it is named and classified on its "
                            "exons, not sequence-checked")
        ref = (reference.sequence(build, e.start, e.start)
               if reference.contains(build, e.start) else "N")
        out.append(VariantResult(
            chrom=first.chrom, pos=e.start, ref=ref, alt=f"<{e.svtype}>",
            hgvs_c=names["hgvs_c"], hgvs_p=scored.hgvs_p, consequence=scored.consequence,
            origin=origin, classification=tier, points=None, oncogenicity=None,
            qualifying=qualifies(verdict), quality_pass=passes, in_tumor=in_tumor,
            normal=None, tumor=None, filters=tuple(filters), population=None,
            callers=tuple(sorted({c.caller for c in e.calls})), evidence=tuple(evidence),
            hgvs_g=names["hgvs_g"], second_hit_only=second_hit_only,
            copy_number={
                "svtype": e.svtype, "start": e.start, "end": e.end, "size": names["size"],
                "cipos": list(first.cipos) if first.cipos else None,
                "ciend": list(first.ciend) if first.ciend else None,
                "tandem": any(c.tandem for c in e.calls) if e.svtype == "DUP" else None,
                "copy_number": _copies(e),
                "exons": list(ex.whole), "exons_partial": list(ex.partial),
                "section": scored.section, "score": scored.score,
                "scoring": [{"code": c, "points": p, "reason": r}
                            for c, p, r in scored.scoring],
                "scale": "ClinGen CNV points (Riggs et al. 2020)",
            },
        ))
    return out
