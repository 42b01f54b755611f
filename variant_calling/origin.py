"""Germline / somatic / LOH decision from normal and tumour read evidence.

The decision is a small table over two states, each derived from one sample's evidence with the
thresholds in :class:`~variant_calling.rules.Rules`:

===========================  ======================  ==================
normal state                 tumour state            origin
===========================  ======================  ==================
het / hom                    present, VAF gain       ``germline_loh``
het / hom                    anything else           ``germline``
mosaic                       any                     ``germline_mosaic``
absent (adequately covered)  present                 ``somatic``
anything else                any                     ``undetermined``
===========================  ======================  ==================

Every step leaves a rule code in ``evidence`` (``ORIGIN_...``) with the numbers it used.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .reader import SampleEvidence
from .rules import DEFAULT_RULES, Rules

ORIGINS = ("germline", "germline_loh", "germline_mosaic", "somatic", "undetermined")


class Origin(NamedTuple):
    origin: str
    evidence: tuple[str, ...]
    in_normal: bool  # germline evidence in the normal (het, hom or mosaic)
    in_tumor: bool  # present in the tumour by the tumour thresholds
    detected: bool  # ALT support somewhere; False = a reference call, not a variant


def _fmt(e: SampleEvidence) -> str:
    return f"vaf={e.vaf} alt={e.alt_reads} depth={e.depth}"


def _alt(e: SampleEvidence) -> int:
    if e.alt_reads is not None:
        return e.alt_reads
    if e.vaf is not None and e.depth is not None:
        return round(e.vaf * e.depth)
    return 0


def fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided Fisher exact test on [[a, b], [c, d]]: P(first cell >= a) given the margins.

    Used as P(tumour ALT fraction is this much above the normal's by chance), with
    a, b = tumour ALT, REF reads and c, d = normal ALT, REF reads.
    """
    row1, col1, total = a + b, a + c, a + b + c + d

    def log_p(k: int) -> float:
        return (
            _lcomb(col1, k) + _lcomb(total - col1, row1 - k) - _lcomb(total, row1)
        )

    top = min(row1, col1)
    return min(1.0, sum(math.exp(log_p(k)) for k in range(a, top + 1)))


def fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher exact test on [[a, b], [c, d]]: the probability, given the margins, of
    a table no more likely than the one observed (either row may have the larger fraction)."""
    row1, col1, total = a + b, a + c, a + b + c + d

    def log_p(k: int) -> float:
        return _lcomb(col1, k) + _lcomb(total - col1, row1 - k) - _lcomb(total, row1)

    observed = log_p(a)
    lo, hi = max(0, row1 + col1 - total), min(row1, col1)
    # A relative tolerance, as R's fisher.test uses, so that ties are counted.
    p = sum(math.exp(lp) for k in range(lo, hi + 1)
            if (lp := log_p(k)) <= observed + 1e-7)
    return min(1.0, p)


def _lcomb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _loh_p_value(normal: SampleEvidence, tumor: SampleEvidence) -> float | None:
    counts = (normal.alt_reads, normal.depth, tumor.alt_reads, tumor.depth)
    if any(x is None for x in counts):
        return None
    n_alt, n_depth, t_alt, t_depth = (int(x) for x in counts)  # type: ignore[arg-type]
    return fisher_greater(t_alt, t_depth - t_alt, n_alt, n_depth - n_alt)


def normal_state(e: SampleEvidence | None, r: Rules) -> str:
    """One of no_normal, no_counts, shallow, hom, het, mosaic, absent, low."""
    if e is None:
        return "no_normal"
    if e.vaf is None:
        return "no_counts"
    if e.depth is None or e.depth < r.min_normal_depth:
        return "shallow"
    alt = _alt(e)
    if alt >= r.min_normal_alt_reads:
        if e.vaf >= r.hom_min_vaf:
            return "hom"
        if e.vaf >= r.het_min_vaf:
            return "het"
        if e.vaf >= r.mosaic_min_vaf:
            return "mosaic"
    if alt <= r.absent_max_alt_reads or e.vaf < r.absent_max_vaf:
        return "absent"
    return "low"


def tumor_state(e: SampleEvidence | None, r: Rules) -> str:
    """One of no_tumor, present, absent, shallow."""
    if e is None:
        return "no_tumor"
    if e.vaf is not None and _alt(e) >= r.min_tumor_alt_reads and e.vaf >= r.min_tumor_vaf:
        return "present"
    if e.depth is not None and e.depth >= r.min_tumor_depth:
        return "absent"
    return "shallow"


def decide(
    normal: SampleEvidence | None, tumor: SampleEvidence | None, rules: Rules = DEFAULT_RULES
) -> Origin:
    r = rules
    ns, ts = normal_state(normal, r), tumor_state(tumor, r)
    ev: list[str] = []
    if normal is None:
        ev.append("ORIGIN_NO_NORMAL")
    else:
        code = {
            "no_counts": "ORIGIN_NORMAL_NO_READ_COUNTS",
            "shallow": f"ORIGIN_NORMAL_SHALLOW (depth<{r.min_normal_depth})",
            "hom": "ORIGIN_NORMAL_HOM",
            "het": "ORIGIN_NORMAL_HET",
            "mosaic": "ORIGIN_NORMAL_MOSAIC",
            "absent": "ORIGIN_NORMAL_ABSENT",
            "low": "ORIGIN_NORMAL_LOW_SUPPORT",
        }[ns]
        ev.append(f"{code} {_fmt(normal)}")
        if ns == "het" and normal.vaf is not None and normal.vaf > r.het_max_vaf:
            ev.append(f"ORIGIN_NORMAL_VAF_IMBALANCED (>{r.het_max_vaf})")
    if tumor is None:
        ev.append("ORIGIN_NO_TUMOR")
    else:
        ev.append(f"ORIGIN_TUMOR_{ts.upper()} {_fmt(tumor)}")

    in_normal = ns in ("het", "hom", "mosaic")
    in_tumor = ts == "present"
    if ns in ("het", "hom"):
        assert normal is not None and normal.vaf is not None
        origin = "germline"
        if in_tumor and tumor is not None and tumor.vaf is not None:
            gain = tumor.vaf - normal.vaf
            if gain >= r.loh_min_vaf_gain and tumor.vaf >= r.loh_min_tumor_vaf:
                p = _loh_p_value(normal, tumor)
                p_text = "n/a" if p is None else f"{p:.2g}"
                if p is None or p <= r.loh_max_p_value:
                    origin = "germline_loh"
                    ev.append(f"ORIGIN_LOH_SECOND_HIT (tumour VAF +{gain:.4f}, p={p_text})")
                else:
                    ev.append(
                        f"ORIGIN_LOH_NOT_SIGNIFICANT (tumour VAF +{gain:.4f}, p={p_text} > "
                        f"{r.loh_max_p_value})"
                    )
        if ts == "absent":
            ev.append("ORIGIN_TUMOR_LOST_VARIANT_ALLELE")
    elif ns == "mosaic":
        origin = "germline_mosaic"
        ev.append("ORIGIN_REVIEW_MOSAIC")
    elif ns == "absent" and in_tumor:
        origin = "somatic"
    else:
        origin = "undetermined"
    min_alt = min(r.min_normal_alt_reads, r.min_tumor_alt_reads)
    detected = (
        in_normal
        or in_tumor
        or any(e is not None and _alt(e) >= min_alt for e in (normal, tumor))
    )
    if not detected:
        ev.append("ORIGIN_NOT_DETECTED")
    return Origin(origin, tuple(ev), in_normal, in_tumor, detected)
