"""Evidence codes and their points: the Bayesian points scale both classifications use.

Germline pathogenicity follows the ClinGen SVI points scale (Tavtigian et al., Genet Med
2018;20:1054 and Hum Mutat 2020;41:1734); somatic oncogenicity follows the ClinGen/CGC/VICC SOP
(Horak et al., Genet Med 2022;24:986), which uses the same points and the same tier cut-offs.

A code's strength is read from its name, as the ClinGen convention writes it: the criterion's
own level (``PVS1`` very strong, ``PS*`` strong, ``PM*`` moderate, ``PP*`` supporting; ``BA1``
stand-alone, ``BS*`` strong, ``BP*`` supporting; ``OVS1``/``OS*``/``OM*``/``OP*`` and
``SBVS1``/``SBS*``/``SBP*`` likewise), or a suffix that changes it (``PVS1_Strong``,
``PM2_Supporting``, ``OVS1_Moderate``). Benign codes count negative.

=============  ======
strength       points
=============  ======
very strong    8
strong         4
moderate       2
supporting     1
=============  ======

Tiers: >= 10 pathogenic / oncogenic; 6 to 9 likely pathogenic / likely oncogenic; 0 to 5
uncertain significance; -1 to -6 likely benign; <= -7 benign.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "ACMG_TIERS",
    "ONCOGENICITY_TIERS",
    "POINTS",
    "Criterion",
    "is_benign",
    "points_of",
    "strength_of",
    "tally",
    "tier_for",
]

ACMG_TIERS = (
    "pathogenic",
    "likely_pathogenic",
    "uncertain_significance",
    "likely_benign",
    "benign",
)
ONCOGENICITY_TIERS = (
    "oncogenic",
    "likely_oncogenic",
    "uncertain_significance",
    "likely_benign",
    "benign",
)

POINTS: dict[str, int] = {"very_strong": 8, "strong": 4, "moderate": 2, "supporting": 1}

_SUFFIX = {
    "VeryStrong": "very_strong",
    "Strong": "strong",
    "Moderate": "moderate",
    "Supporting": "supporting",
    "StandAlone": "stand_alone",
}
# Longest prefixes first: SBVS before SBS before SBP, PVS before PS, ...
_LEVEL = (
    ("SBVS", "very_strong"),
    ("SBS", "strong"),
    ("SBP", "supporting"),
    ("OVS", "very_strong"),
    ("OS", "strong"),
    ("OM", "moderate"),
    ("OP", "supporting"),
    ("PVS", "very_strong"),
    ("PS", "strong"),
    ("PM", "moderate"),
    ("PP", "supporting"),
    ("BA", "stand_alone"),
    ("BS", "strong"),
    ("BP", "supporting"),
)
_CODE = re.compile(r"^(SBVS|SBS|SBP|OVS|OS|OM|OP|PVS|PS|PM|PP|BA|BS|BP)\d+(?:_([A-Za-z]+))?$")


def strength_of(code: str) -> str | None:
    """The strength a code's name gives it, or None when it is not an evidence code."""
    m = _CODE.match(code)
    if m is None:
        return None
    if m.group(2) is not None:
        return _SUFFIX.get(m.group(2))
    return dict(_LEVEL)[m.group(1)]


def is_benign(code: str) -> bool:
    return code.startswith(("B", "SB"))


def points_of(code: str) -> int:
    """Signed points of one code (0 for stand-alone BA1, which is not a sum but a verdict)."""
    strength = strength_of(code)
    if strength is None or strength == "stand_alone":
        return 0
    n = POINTS[strength]
    return -n if is_benign(code) else n


def tier_for(points: int, tiers: tuple[str, ...] = ACMG_TIERS) -> str:
    if points >= 10:
        return tiers[0]
    if points >= 6:
        return tiers[1]
    if points >= 0:
        return tiers[2]
    if points >= -6:
        return tiers[3]
    return tiers[4]


class Criterion(NamedTuple):
    """One applied evidence code and why it applies."""

    code: str
    reason: str

    @property
    def points(self) -> int:
        return points_of(self.code)

    def text(self) -> str:
        strength = strength_of(self.code) or ""
        label = "stand-alone" if strength == "stand_alone" else f"{self.points:+d}"
        return f"{self.code} ({label}): {self.reason}"


def tally(criteria: Iterable[Criterion], tiers: tuple[str, ...] = ACMG_TIERS) -> tuple[str, int]:
    """(tier, total points). A stand-alone benign code (BA1) makes the tier benign outright."""
    applied = list(criteria)
    total = sum(c.points for c in applied)
    if any(strength_of(c.code) == "stand_alone" for c in applied):
        return tiers[-1], total
    return tier_for(total, tiers), total
