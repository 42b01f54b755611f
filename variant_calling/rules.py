"""Thresholds and filter vocabularies as data.

Every number the engine uses to decide origin or quality lives in :class:`Rules`, with its
default and the reason for it. Override any of them with ``DEFAULT_RULES.replace(...)`` or
:meth:`Rules.from_mapping` (e.g. from a site's JSON configuration).

``Rules`` is a ``NamedTuple`` rather than a frozen dataclass: ``men1 classify`` runs are short,
and the ``dataclasses`` module with its class set-up cost a sixth of an indexed run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .errors import UsageError
from .population import MEN1_MAX_CREDIBLE_AF


class Rules(NamedTuple):
    # --- coverage -------------------------------------------------------------------------
    #: Normal depth below which absence cannot be claimed (≥ 15 reads give a het variant a
    #: < 0.01 % chance of showing no ALT read, binomial p=0.5).
    min_normal_depth: int = 15
    #: Tumour depth below which presence/absence in the tumour is not judged.
    min_tumor_depth: int = 15
    #: gVCF: minimum depth for a coding base to count as covered.
    min_coverage_depth: int = 20

    # --- normal sample --------------------------------------------------------------------
    #: Normal VAF range compatible with a heterozygous germline variant.
    het_min_vaf: float = 0.30
    het_max_vaf: float = 0.70
    #: Normal VAF at or above which the variant is homozygous (or hemizygous) germline.
    hom_min_vaf: float = 0.85
    #: Low-level normal VAF reported as germline mosaic, for review (below het_min_vaf).
    mosaic_min_vaf: float = 0.05
    #: ALT reads needed in the normal before any germline call (het, hom or mosaic).
    min_normal_alt_reads: int = 3
    #: The normal counts as "absent" with at most this many ALT reads, or a VAF below
    #: absent_max_vaf (tolerates a sequencing error or tumour-in-normal contamination).
    absent_max_alt_reads: int = 1
    absent_max_vaf: float = 0.02

    # --- tumour sample --------------------------------------------------------------------
    #: ALT reads and VAF needed to call the variant present in the tumour.
    min_tumor_alt_reads: int = 3
    min_tumor_vaf: float = 0.03
    #: Second hit: tumour VAF must exceed the normal's by this much, and reach loh_min_tumor_vaf.
    loh_min_vaf_gain: float = 0.20
    loh_min_tumor_vaf: float = 0.65
    #: ...and the gain must be significant: one-sided Fisher exact test of tumour vs normal
    #: ALT/REF read counts ("clearly above", not a shallow tumour's noise).
    loh_max_p_value: float = 0.01

    # --- caller filters -------------------------------------------------------------------
    #: FILTER values that do NOT disqualify a variant whose own evidence says it is germline:
    #: the caller flags it because it is in the normal, which is what a germline carrier looks
    #: like (fact 7 of the reference README). Every other non-PASS value disqualifies.
    germline_compatible_filters: frozenset[str] = frozenset(
        {
            "normal_artifact",  # Mutect2: ALT reads in the normal
            "panel_of_normals",  # Mutect2: seen in normals
            "QSS_ref",  # Strelka: normal not hom-ref
            "QSI_ref",
            "MAF0.05",  # VarDict: matched sample AF > 0.05
            "DIFF0.2",  # VarDict: non-somatic/LOH with small AF difference
        }
    )
    #: FILTER values that never disqualify, whatever the origin. Mutect2's ``germline`` is a
    #: statement about origin, not about the call being real (the issue's quality rule).
    neutral_filters: frozenset[str] = frozenset({"PASS", ".", "germline"})

    # --- population frequency (pathogenicity and oncogenicity) ----------------------------
    #: BA1 / SBVS1: ClinGen SVI's stand-alone benign frequency (Ghosh et al., Hum Mutat 2018).
    ba1_af: float = 0.05
    #: BS1 / SBS1: a filtering allele frequency above MEN1's maximum credible allele frequency
    #: (Whiffin et al. 2017; derivation in variant_calling/population.py and docs/men1-cli.md).
    max_credible_af: float = MEN1_MAX_CREDIBLE_AF
    #: PM2_Supporting / OP4: absent from the population resource, or a frequency at or below
    #: this ("extremely low": no higher than a pathogenic MEN1 allele can credibly be).
    pm2_max_af: float = MEN1_MAX_CREDIBLE_AF

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Rules:
        unknown = set(values) - set(cls._fields)
        if unknown:
            raise UsageError(f"unknown rule(s): {', '.join(sorted(unknown))}")
        converted: dict[str, Any] = {
            k: frozenset(v) if isinstance(getattr(DEFAULT_RULES, k), frozenset) else v
            for k, v in values.items()
        }
        return DEFAULT_RULES.replace(**converted)

    def replace(self, **changes: Any) -> Rules:
        """A copy with ``changes`` applied; an unknown name raises ``ValueError``."""
        return self._replace(**changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            name: sorted(v) if isinstance(v := getattr(self, name), frozenset) else v
            for name in self._fields
        }


DEFAULT_RULES = Rules()
