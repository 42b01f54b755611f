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
- a possible germline mosaic never qualifies on its own: it is reported for review.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "GERMLINE_ORIGINS",
    "ONCOGENIC_TIERS",
    "PATHOGENIC_TIERS",
    "STATUSES",
    "TUMOUR_ORIGINS",
    "Verdict",
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


def qualifies(v: Verdict) -> bool:
    if not v.quality_pass:
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
        v.quality_pass
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
