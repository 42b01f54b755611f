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

    # --- locus LOH from heterozygous markers (variant_calling/loh.py) ---------------------
    #: Allelic imbalance of the MEN1 locus in the tumour: the two-sided Fisher exact tests of
    #: each heterozygous marker (tumour vs normal ALT/REF reads), combined by Fisher's method,
    #: at or below this p-value...
    loh_locus_max_p: float = 0.001
    #: ...with the markers' median tumour B-allele fraction moved at least this far from the
    #: normal's (a one-copy loss at 30 % purity moves a het site's fraction by 0.09).
    loh_min_baf_shift: float = 0.05

    # --- caller filters -------------------------------------------------------------------
    #: FILTER values that do NOT disqualify a variant whose own evidence says it is germline:
    #: the caller flags it because it is in the normal, which is what a germline carrier looks
    #: like (fact 7 of the reference README). Every other non-PASS value disqualifies.
    germline_compatible_filters: frozenset[str] = frozenset(
        {
            "normal_artifact",  # Mutect2 (GATK 4.1+): ALT reads in the normal
            "artifact_in_normal",  # the same filter in GATK 4.0 Mutect2
            "alt_allele_in_normal",  # GATK3 MuTect2: "Evidence seen in the normal sample"
            # GATK3 MuTect2: ALT reads in the normal at a site with several events, e.g. a
            # carrier's variant next to a phased germline SNP.
            "multi_event_alt_allele_in_normal",
            "panel_of_normals",  # Mutect2: seen in normals
            "QSS_ref",  # Strelka: normal not hom-ref
            "QSI_ref",
            "MAF0.05",  # VarDict: matched sample AF > 0.05
            "DIFF0.2",  # VarDict: non-somatic/LOH with small AF difference
        }
    )
    #: FILTER values that never disqualify, whatever the origin. Mutect2's ``germline`` (GATK
    #: 4.1+) and ``germline_risk`` (GATK3 MuTect2 and GATK 4.0: "Evidence indicates this site is
    #: germline, not somatic") are statements about origin, not about the call being real: the
    #: engine decides origin from the read counts itself.
    neutral_filters: frozenset[str] = frozenset({"PASS", ".", "germline", "germline_risk"})

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
        """Rules from a site's configuration (e.g. ``--rules`` JSON); a value of the wrong
        type or out of range raises :class:`UsageError` naming the rule."""
        if not isinstance(values, Mapping):
            raise UsageError(
                f"rules must be a JSON object of rule names to values, not {type(values).__name__}"
            )
        unknown = set(values) - set(cls._fields)
        if unknown:
            raise UsageError(f"unknown rule(s): {', '.join(sorted(unknown))}")
        return DEFAULT_RULES.replace(**{k: _checked(k, v) for k, v in values.items()})

    def replace(self, **changes: Any) -> Rules:
        """A copy with ``changes`` applied; an unknown name raises ``ValueError``."""
        return self._replace(**changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            name: sorted(v) if isinstance(v := getattr(self, name), frozenset) else v
            for name in self._fields
        }


DEFAULT_RULES = Rules()


def _checked(name: str, value: Any) -> Any:
    """``value`` as the type of the rule's default, or a :class:`UsageError` saying why not."""
    default = getattr(DEFAULT_RULES, name)
    shown = repr(value)[:40]
    if isinstance(default, frozenset):
        if not isinstance(value, list | tuple | set | frozenset) or not all(
            isinstance(x, str) for x in value
        ):
            raise UsageError(f"rule {name} must be a list of FILTER names (strings), not {shown}")
        return frozenset(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise UsageError(f"rule {name} must be {kind}, not {shown}")
    if isinstance(default, int) and not float(value).is_integer():
        raise UsageError(f"rule {name} must be a whole number, not {shown}")
    # Every float rule is a fraction (a VAF, a VAF gain or a p-value); counts are not negative.
    if not value >= 0 or (isinstance(default, float) and not value <= 1):
        limit = "between 0 and 1" if isinstance(default, float) else "0 or more"
        raise UsageError(f"rule {name} must be {limit}, not {shown}")
    return int(value) if isinstance(default, int) else float(value)
