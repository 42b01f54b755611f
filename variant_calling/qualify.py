"""Who qualifies: the one rule for a variant's ``qualifying`` and a participant's
``men1_status``.

The engine applies it to its own calls, and the app to the values a pathologist has reviewed
(after overrides), so the CLI, the review page, the signed report and the enrolment gate can
never disagree about what qualifies. The trial admits "a MEN1 germline mutation (MEN-1
syndrome), or a tumour with a somatic MEN1 mutation":

- a variant of germline origin (heterozygous, or with loss of the other allele in the tumour)
  qualifies when pathogenic or likely pathogenic;
- a variant of somatic origin, or a tumour-only call whose origin cannot be told, qualifies
  when it is present in the tumour and oncogenic or likely oncogenic (or pathogenic or likely
  pathogenic on the germline scale);
- in both cases only when the call passes quality (a caller filter that says the call may not
  be real disqualifies it);
- a possible germline mosaic never qualifies on its own: it is reported for review;
- an event that only removes one copy of an intact MEN1 in the tumour (a single-copy loss of
  the whole gene) is the usual second hit, not a MEN1 mutation: reported, never qualifying on
  its own (``second_hit_only``); a germline loss of the whole gene is the first hit and
  qualifies as any germline null allele does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .rules import Rules

__all__ = [
    "GERMLINE_ORIGINS",
    "ONCOGENIC_TIERS",
    "PATHOGENIC_TIERS",
    "STATUSES",
    "TUMOUR_ORIGINS",
    "Verdict",
    "caller_quality",
    "men1_status",
    "qualifies",
]

PATHOGENIC_TIERS = ("pathogenic", "likely_pathogenic")
ONCOGENIC_TIERS = ("oncogenic", "likely_oncogenic")
#: Germline origins that qualify (a mosaic is reported for review, never qualifying).
GERMLINE_ORIGINS = ("germline", "germline_loh")
#: Origins that qualify through the tumour: somatic, or a tumour-only call of unknown origin.
TUMOUR_ORIGINS = ("somatic", "undetermined")

STATUSES = (
    "germline",
    "somatic",
    "germline_and_somatic",
    "undetermined_origin",
    "vus_only",
    "none_detected",
    "not_covered",
)


class Verdict(NamedTuple):
    """What the rule needs to know about one variant."""

    origin: str
    classification: str
    oncogenicity: str | None
    quality_pass: bool
    in_tumor: bool
    #: The event removes one copy of an otherwise intact MEN1 (a tumour's single-copy loss of
    #: the whole gene): a second hit, which qualifies only through a first one.
    second_hit_only: bool = False


def caller_quality(filters_per_call: Sequence[tuple[str, ...]], germline: bool, rules: Rules
                   ) -> tuple[bool, list[str], list[str]]:
    """(passes, filters, evidence) of one variant from its calls' FILTER values: it passes when
    one call's filters do not disqualify it (``neutral_filters`` never do;
    ``germline_compatible_filters`` do not for a variant of germline origin)."""
    filters: list[str] = []
    passing = False
    blocking: set[str] = set()
    for call_filters in filters_per_call:
        bad = [
            f
            for f in call_filters
            if f not in rules.neutral_filters
            and not (germline and f in rules.germline_compatible_filters)
        ]
        filters.extend(f for f in call_filters if f not in filters)
        if bad:
            blocking.update(bad)
        else:
            passing = True
    if filters != ["PASS"] and "PASS" in filters and len(filters_per_call) == 1:
        filters.remove("PASS")
    ev = (
        ["QUALITY_PASS"]
        if passing
        else [f"QUALITY_FAIL (caller filters: {', '.join(sorted(blocking))})"]
    )
    return passing, filters, ev


def qualifies(v: Verdict) -> bool:
    if not v.quality_pass:
        return False
    if v.second_hit_only and v.origin not in GERMLINE_ORIGINS:
        return False
    if v.origin in GERMLINE_ORIGINS:
        return v.classification in PATHOGENIC_TIERS
    if v.origin in TUMOUR_ORIGINS and v.in_tumor:
        return v.classification in PATHOGENIC_TIERS or v.oncogenicity in ONCOGENIC_TIERS
    return False


def men1_status(verdicts: Iterable[Verdict], *, covered: bool = True) -> str:
    """The participant's MEN1 status from their variants.

    ``covered=False`` says the input showed nothing of MEN1 (a gVCF without blocks over it, a
    VCF without records): then "nothing found" (or only a VUS, which says nothing of the
    uncovered exons) reads ``not_covered``, never ``none_detected``.
    """
    vs = list(verdicts)
    q = [v for v in vs if qualifies(v)]
    germ = any(v.origin in GERMLINE_ORIGINS for v in q)
    som = any(v.origin == "somatic" for v in q)
    if germ and som:
        return "germline_and_somatic"
    if germ:
        return "germline"
    if som:
        return "somatic"
    harmful = any(
        v.quality_pass and not v.second_hit_only
        and (v.classification in PATHOGENIC_TIERS or v.oncogenicity in ONCOGENIC_TIERS)
        for v in vs
    )
    if q or harmful:
        # Qualifying with an origin that cannot be told, or harmful but not qualifying (a
        # mosaic, or absent from the tumour): for review, never silently "none".
        return "undetermined_origin"
    if not covered:
        return "not_covered"
    if any("uncertain_significance" in (v.classification, v.oncogenicity) for v in vs):
        return "vus_only"
    return "none_detected"
