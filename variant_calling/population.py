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

from .scoring import Criterion

__all__ = [
    "MEN1_MAX_CREDIBLE_AF",
    "PopulationFrequency",
    "filtering_af",
    "frequency_criteria",
    "max_credible_af",
    "most_common",
]


def max_credible_af(
    prevalence: float, allelic_contribution: float, genetic_contribution: float,
    penetrance: float,
) -> float:
    """Whiffin et al. 2017's maximum credible population allele frequency for a dominant
    disorder: prevalence x allelic contribution x genetic contribution / penetrance, halved
    because each affected carrier has one such allele among two."""
    return prevalence * allelic_contribution * genetic_contribution / penetrance / 2


#: MEN1's maximum credible allele frequency, every parameter chosen at its conservative
#: (frequency-raising) end:
#: - prevalence 1 in 30,000, the upper end of the 2-3 per 100,000 of the MEN1 clinical
#:   practice guidelines (Thakker et al., J Clin Endocrinol Metab 2012;97:2990);
#: - genetic contribution 1.0: MEN1 is the only gene of the syndrome (MEN4/CDKN1B aside);
#: - allelic contribution 0.1: no single MEN1 mutation accounts for more than ~4.5 % of the
#:   1,133 germline mutations collected by Lemos & Thakker (Hum Mutat 2008;29:22); doubled;
#: - penetrance 0.5: MEN1 is > 95 % penetrant by age 50 (Thakker 2012); halved to allow for
#:   the young and for milder alleles.
#: = 1/30,000 x 0.1 x 1.0 / 0.5 / 2 = 3.3e-6 (1 in 300,000 alleles).
MEN1_MAX_CREDIBLE_AF = max_credible_af(1 / 30_000, 0.1, 1.0, 0.5)


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


def frequency_criteria(
    pop: PopulationFrequency | None,
    *,
    very_common: str,
    too_common: str,
    rare: str,
    ba1_af: float,
    max_credible_af: float,
    rare_max_af: float,
) -> tuple[list[Criterion], list[str]]:
    """(criteria, notes) from population frequency, for either scale.

    Germline: ``BA1``, ``BS1``, ``PM2_Supporting``; somatic: ``SBVS1``, ``SBS1``, ``OP4``. The
    benign codes compare the filtering allele frequency (the point frequency where the input
    gives no FAF and no counts); the rarity code compares the point frequency, so a variant
    can be too frequent for the rarity code without being frequent enough for a benign one.
    """
    if pop is None:
        return [], [f"{rare.split('_')[0]}_not_assessed: the input carries no population "
                    "frequency (absence of evidence is not evidence of absence)"]
    benign_af = pop.for_benign_evidence
    basis = "filtering AF" if pop.faf95 is not None else "AF (no filtering AF in the input)"
    where = f"{pop.source}"
    if benign_af > ba1_af:
        return [Criterion(very_common, f"{basis} {benign_af:.3g} > {ba1_af:g} ({where})")], []
    if benign_af > max_credible_af:
        return [Criterion(
            too_common,
            f"{basis} {benign_af:.3g} > MEN1's maximum credible AF {max_credible_af:.2g} "
            f"({where})",
        )], []
    if pop.absent:
        return [Criterion(rare, f"absent from the population resource ({where})")], []
    if pop.af <= rare_max_af:
        return [Criterion(rare, f"AF {pop.af:.3g} <= {rare_max_af:.2g} ({where})")], []
    return [], [f"{rare}_not_met: AF {pop.af:.3g} > {rare_max_af:.2g} ({where})"]
