"""What ``classify`` returns: typed records, turned into JSON only at the edges.

:meth:`Men1Result.as_dict` is the ``men1 classify --format json`` contract (docs/men1-cli.md);
the CLI prints it and the app stores it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from .population import PopulationFrequency
from .qualify import Verdict
from .reader import SampleEvidence
from .rules import Rules

if TYPE_CHECKING:
    # At run time the engine imports the classifiers (and Biopython) only when it classifies.
    from .oncogenicity import Oncogenicity

__all__ = ["InputSummary", "Men1Result", "VariantResult"]


def _population_dict(p: PopulationFrequency | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "af": round(p.af, 9),
        "faf95": None if p.faf95 is None else round(p.faf95, 9),
        "absent": p.absent,
        "ac": p.ac,
        "an": p.an,
        "source": p.source,
    }


class VariantResult(NamedTuple):
    chrom: str
    pos: int
    ref: str
    alt: str
    hgvs_c: str
    hgvs_p: str | None
    consequence: str
    origin: str
    #: Germline pathogenicity tier (ACMG/AMP on the ClinGen points scale).
    classification: str
    #: The sum of the applied ACMG criteria's points (None for a copy-number event, scored on
    #: the ClinGen CNV scale: ``copy_number["score"]``).
    points: int | None
    #: Somatic oncogenicity; None for variants of germline origin.
    oncogenicity: Oncogenicity | None
    qualifying: bool
    quality_pass: bool
    in_tumor: bool
    normal: SampleEvidence | None
    tumor: SampleEvidence | None
    filters: tuple[str, ...]
    population: PopulationFrequency | None
    callers: tuple[str, ...]
    evidence: tuple[str, ...]
    #: The HGVS g. name on the result's build (NC_000011.10/.9), 3'-shifted.
    hgvs_g: str | None = None
    #: A deletion, duplication or copy-number segment: its extent, exons, copy numbers and
    #: ClinGen CNV scoring (None for a small variant).
    copy_number: dict[str, Any] | None = None
    #: The qualifying rule's ``second_hit_only`` (variant_calling.qualify).
    second_hit_only: bool = False

    @property
    def verdict(self) -> Verdict:
        return Verdict(
            self.origin,
            self.classification,
            self.oncogenicity.tier if self.oncogenicity else None,
            self.quality_pass,
            self.in_tumor,
            self.second_hit_only,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "chrom": self.chrom,
            "pos": self.pos,
            "ref": self.ref,
            "alt": self.alt,
            "hgvs_c": self.hgvs_c,
            "hgvs_p": self.hgvs_p,
            "hgvs_g": self.hgvs_g,
            "consequence": self.consequence,
            "origin": self.origin,
            "classification": self.classification,
            "points": self.points,
            "oncogenicity": self.oncogenicity.as_dict() if self.oncogenicity else None,
            "qualifying": self.qualifying,
            "quality_pass": self.quality_pass,
            "in_tumor": self.in_tumor,
            "normal": self.normal.as_dict() if self.normal else None,
            "tumor": self.tumor.as_dict() if self.tumor else None,
            "filters": list(self.filters),
            "population_af": None if self.population is None else round(self.population.af, 9),
            "population": _population_dict(self.population),
            "callers": list(self.callers),
            "evidence": list(self.evidence),
            "copy_number": self.copy_number,
            "second_hit_only": self.second_hit_only,
        }


class InputSummary(NamedTuple):
    path: str
    caller: str
    samples: tuple[str, ...]
    normal_sample: str | None
    tumor_sample: str | None
    gvcf: bool

    def as_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "samples": list(self.samples)}


class Men1Result(NamedTuple):
    engine_version: str
    build: str
    transcript: str
    normal_sample: str | None
    tumor_sample: str | None
    men1_status: str
    qualifies: bool
    warnings: tuple[str, ...]
    known_variants_version: str
    coverage: dict[str, Any] | None
    inputs: tuple[InputSummary, ...]
    rules: Rules
    variants: tuple[VariantResult, ...]
    #: Loss of heterozygosity of the MEN1 locus in the tumour (variant_calling.loh); None when
    #: the classification had no sequencing input to test (an outside report, MLPA).
    loh: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine_version": self.engine_version,
            "build": self.build,
            "transcript": self.transcript,
            "normal_sample": self.normal_sample,
            "tumor_sample": self.tumor_sample,
            "men1_status": self.men1_status,
            "qualifies": self.qualifies,
            "warnings": list(self.warnings),
            "known_variants_version": self.known_variants_version,
            "coverage": self.coverage,
            "inputs": [i.as_dict() for i in self.inputs],
            "rules": self.rules.as_dict(),
            "variants": [v.as_dict() for v in self.variants],
            "loh": self.loh,
        }
