"""Population allele frequency evidence, as the classifier consumes it.

The reader turns whatever an input carries (gnomAD INFO fields, VEP/SnpEff annotations,
Mutect2's ``POPAF``/``POP_AF``) into one :class:`PopulationFrequency` per call; ``None`` means
the input says nothing about the population, which is not the same as "absent from it".

The filtering allele frequency (Whiffin et al., Genet Med 2017;19:1151) is the highest true
allele frequency that is still compatible, at 95 % one-sided confidence, with the observed
allele count: the lower Poisson bound on AC, divided by AN. gnomAD publishes it (``faf95``);
where an input gives only AC and AN, :func:`filtering_af` computes it the same way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["PopulationFrequency", "filtering_af", "most_common"]


class PopulationFrequency(NamedTuple):
    """What one input says about an allele's frequency in a population resource."""

    #: Point estimate (a fraction, not a percentage); 0.0 when the resource lacks the allele.
    af: float
    #: Where it came from, for the evidence trail (e.g. ``INFO/gnomAD_AF``).
    source: str
    #: The resource was consulted and does not hold the allele.
    absent: bool = False
    #: Filtering allele frequency (95 % lower bound, the popmax group's where given).
    faf95: float | None = None
    ac: int | None = None
    an: int | None = None

    @property
    def for_benign_evidence(self) -> float:
        """The frequency BS1/BA1 compare with: the filtering AF where known, else the point AF."""
        return self.af if self.faf95 is None else self.faf95


def _poisson_upper_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)
    below = term
    for i in range(1, k):
        term *= lam / i
        below += term
    return max(0.0, 1.0 - below)


def filtering_af(ac: int, an: int, confidence: float = 0.95) -> float:
    """The filtering allele frequency for ``ac`` alleles seen in ``an`` (0.0 when ac is 0).

    It is the frequency f at which an allele count of at least ``ac`` would be seen with
    probability ``1 - confidence`` (bisection on the Poisson upper tail, as gnomAD does).
    """
    if an <= 0 or ac < 0 or ac > an:
        raise ValueError(f"allele count {ac} of {an} is not a count")
    if ac == 0:
        return 0.0
    alpha = 1.0 - confidence
    lo, hi = 0.0, float(ac)
    for _ in range(200):
        mid = (lo + hi) / 2
        if _poisson_upper_tail(ac, mid) < alpha:
            lo = mid
        else:
            hi = mid
    return lo / an


def most_common(freqs: Iterable[PopulationFrequency | None]) -> PopulationFrequency | None:
    """The highest frequency among several inputs' (the one benign evidence must answer to)."""
    seen = [f for f in freqs if f is not None]
    if not seen:
        return None
    return max(seen, key=lambda f: (f.af, f.for_benign_evidence))
