"""Loss of heterozygosity of the MEN1 locus in the tumour, from the heterozygous markers of the
normal (issue 19).

The usual second hit in a MEN1 tumour is loss of the other allele (11q13 LOH). A germline
variant's own tumour VAF shows it only when the variant is in the tumour's data; the locus
test uses every site where the **normal is heterozygous** (normal VAF 0.30-0.70 with the normal
thresholds of :mod:`variant_calling.origin`) and the tumour has depth: common SNPs in and
around MEN1 within the shipped window, the two genome-versus-RefSeq sites for the minority
heterozygous there, and the germline variant itself. Only SNVs are markers (indel allele
fractions are biased by alignment).

**The test**: for each marker a two-sided Fisher exact test of the tumour's ALT/REF reads
against the normal's (either allele may be the one lost); the markers' p-values are combined
by Fisher's method (-2 Σ ln p, chi-square with 2k degrees of freedom). The locus has LOH when
the combined p-value is at most ``loh_locus_max_p`` (0.001) and the median shift of the tumour
B-allele fraction from the normal's is at least ``loh_min_baf_shift`` (0.05). At a tumour
purity p, a one-copy loss moves a het site's fraction to 1/(2-p) (0.59 at 30 %), a copy-neutral
LOH to (1+p)/2: low purity needs depth and markers. Eight markers at 250x find a one-copy loss
at 30 % purity (combined p 1.3e-4); at 200x they give 0.0011 and do not.

LOH never qualifies on its own: for a germline carrier it is the second hit (reported, on the
report and the gate's detail); for a somatic-only case it is reported.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any, Protocol

from .origin import fisher_two_sided, normal_state
from .records import SampleEvidence
from .rules import Rules

__all__ = ["TEST", "assess"]

TEST = ("two-sided Fisher exact test per heterozygous marker (tumour vs normal ALT/REF reads), "
        "combined by Fisher's method")


class Marker(Protocol):
    pos: int
    ref: str
    alt: str
    normal: SampleEvidence | None
    tumor: SampleEvidence | None


def _chi2_sf_even(x: float, dof: int) -> float:
    """Survival function of a chi-square with an even number of degrees of freedom."""
    k = dof // 2
    term = total = 1.0
    for i in range(1, k):
        term *= (x / 2) / i
        total += term
    return min(1.0, math.exp(-x / 2) * total)


def _counts(e: SampleEvidence) -> tuple[int, int] | None:
    if e.alt_reads is None or e.depth is None or e.depth <= 0 or e.alt_reads > e.depth:
        return None
    return e.alt_reads, e.depth - e.alt_reads


def assess(sites: Iterable[Marker], *, paired: bool, rules: Rules) -> dict[str, Any]:
    """The locus LOH result (the ``loh`` object of the JSON)."""
    thresholds = {"max_p": rules.loh_locus_max_p, "min_baf_shift": rules.loh_min_baf_shift}
    if not paired:
        return {"status": "not_assessed", "test": TEST, "thresholds": thresholds,
                "reason": "needs a normal and a tumour sample", "markers": []}
    markers: list[dict[str, Any]] = []
    logs = 0.0
    shifts: list[float] = []
    for v in sites:
        if len(v.ref) != 1 or len(v.alt) != 1 or v.normal is None or v.tumor is None:
            continue
        if normal_state(v.normal, rules) != "het":
            continue
        n, t = _counts(v.normal), _counts(v.tumor)
        if n is None or t is None or v.tumor.depth is None \
                or v.tumor.depth < rules.min_tumor_depth:
            continue
        p = fisher_two_sided(t[0], t[1], n[0], n[1])
        n_baf, t_baf = n[0] / sum(n), t[0] / sum(t)
        shifts.append(abs(t_baf - n_baf))
        logs += -2 * math.log(max(p, 1e-300))
        markers.append({"pos": v.pos, "ref": v.ref, "alt": v.alt,
                        "normal": {"alt_reads": n[0], "depth": sum(n), "baf": round(n_baf, 4)},
                        "tumor": {"alt_reads": t[0], "depth": sum(t), "baf": round(t_baf, 4)},
                        "p": float(f"{p:.3g}")})
    if not markers:
        return {"status": "not_assessed", "test": TEST, "thresholds": thresholds,
                "reason": "no heterozygous marker in the normal within the MEN1 locus (the "
                          "files hold none with tumour depth): LOH cannot be tested",
                "markers": []}
    combined = _chi2_sf_even(logs, 2 * len(markers))
    shift = statistics.median(shifts)
    loh = combined <= rules.loh_locus_max_p and shift >= rules.loh_min_baf_shift
    return {"status": "loh" if loh else "no_loh", "test": TEST, "thresholds": thresholds,
            "p_value": float(f"{combined:.3g}"), "median_baf_shift": round(shift, 4),
            "reason": (f"{len(markers)} heterozygous marker(s): combined p {combined:.2g}, "
                       f"median tumour B-allele fraction shift {shift:.3f}"),
            "markers": markers}
