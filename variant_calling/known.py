"""The known-variant table: ClinVar assertions for MEN1, keyed by their NM_001370259.2 name.

Keying by the MANE c. name (computed by :func:`variant_calling.locus.annotate` from the VCF
allele) makes a lookup independent of the build and of how a caller placed an indel: a
GRCh37 ClinVar file answers for a GRCh38 sample, and an allele that was not left-aligned still
finds its entry, because both sides go through the same 3'-normalisation.

The shipped table is the small, OLD ClinVar sample of January 2021 (see ``data/SOURCES.md``),
copied verbatim as two VCFs. A user-supplied ClinVar VCF replaces it entirely
(:meth:`KnownVariantTable.from_clinvar_vcf`); :attr:`KnownVariantTable.version` says which one
is in use.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

from . import locus
from .errors import BuildError, InputError
from .locus import Annotation, HgvsError

__all__ = [
    "SHIPPED_VERSION",
    "TIERS",
    "KnownVariant",
    "KnownVariantTable",
    "Skipped",
    "load",
    "tier_of",
]

TIERS = ("pathogenic", "likely_pathogenic", "uncertain_significance", "likely_benign", "benign")

SHIPPED_VERSION = "clinvar-2021-01-24-partial (shipped)"
SHIPPED_FILES = {
    "GRCh38": "clinvar_MEN1_GRCh38_2021-01_partial.vcf",
    "GRCh37": "clinvar_MEN1_GRCh37_2021-01_partial.vcf",
}

# Annotating every shipped record took a fifth of a `men1 classify` run, so the result ships
# precomputed; it is used only while the VCF's CRC-32 matches, and
# tests/variant_calling/test_precomputed.py proves it equals recomputation. Regenerate it with
# ``python -c "from variant_calling import known; known.write_shipped_index()"``.
SHIPPED_INDEX = "clinvar_MEN1_2021-01_partial.index.json"
_DATA = Path(__file__).parent / "data"

_TERM_TIER = {
    "pathogenic": "pathogenic",
    "likely_pathogenic": "likely_pathogenic",
    "uncertain_significance": "uncertain_significance",
    "likely_benign": "likely_benign",
    "benign": "benign",
}


def tier_of(clnsig: str) -> str | None:
    """One of :data:`TIERS` for a ClinVar CLNSIG / ClinicalSignificance string, or None.

    ``"Pathogenic/Likely_pathogenic"`` takes the weaker of its parts (likely_pathogenic), as
    does ``"Benign/Likely_benign"``; any conflict (ClinVar's "Conflicting interpretations" or
    classifications, or a mix of pathogenic and benign parts) is uncertain_significance.
    Non-Mendelian assertions (risk_factor, drug_response, not_provided, ...) have no tier.
    """
    text = clnsig.strip().lower().replace(" ", "_")
    primary = text.split("|")[0].split(";")[0]
    if primary.startswith("conflicting"):
        return "uncertain_significance"
    tiers = set()
    for part in primary.split("/"):
        # "Pathogenic,_low_penetrance" is still a pathogenic assertion about this allele.
        part = part.split(",")[0].strip("_")
        if part in _TERM_TIER:
            tiers.add(_TERM_TIER[part])
    if not tiers:
        return None
    pathogenic_side = tiers & {"pathogenic", "likely_pathogenic"}
    benign_side = tiers & {"benign", "likely_benign"}
    if pathogenic_side and benign_side:
        return "uncertain_significance"
    # TIERS runs pathogenic -> benign; the weakest assertion is the one nearest the middle.
    middle = TIERS.index("uncertain_significance")
    return min(tiers, key=lambda t: abs(TIERS.index(t) - middle))


class KnownVariant(NamedTuple):
    """One ClinVar assertion, named on NM_001370259.2.

    ``consequence`` and ``protein_position`` come from the MANE annotation (for PM5).
    """

    id: str
    hgvs_c: str
    protein_change: str | None
    significance: str
    review: str
    source_name: str
    consequence: str | None = None
    protein_position: int | None = None


class Skipped(NamedTuple):
    """A record that could not enter the table, and why (reported, never silently lost)."""

    record: str
    reason: str


class KnownVariantTable:
    __slots__ = ("_by_c", "skipped", "variants", "version", "warnings")

    def __init__(
        self,
        variants: tuple[KnownVariant, ...],
        version: str,
        skipped: tuple[Skipped, ...] = (),
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.variants = variants
        self.version = version
        self.skipped = skipped
        self.warnings = warnings
        self._by_c: dict[str, KnownVariant] = {}
        for v in self.variants:
            # Two records normalising to one allele: the first one read stands.
            self._by_c.setdefault(v.hgvs_c, v)

    def _key(self) -> tuple[object, ...]:
        return (self.variants, self.version, self.skipped, self.warnings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KnownVariantTable):
            return NotImplemented
        return self._key() == other._key()

    def __repr__(self) -> str:
        return (f"KnownVariantTable({len(self.variants)} variants, version={self.version!r}, "
                f"{len(self.skipped)} skipped)")

    def __len__(self) -> int:
        return len(self._by_c)

    def __iter__(self) -> Iterator[KnownVariant]:
        return iter(self._by_c.values())

    @classmethod
    def shipped(cls, build: str | None = None) -> KnownVariantTable:
        """The table shipped with the package (ClinVar, January 2021, partial). Both builds'
        files describe the same alleles; with ``build`` only that build's file is read, which
        halves start-up time for a classification run."""
        return _shipped(build)

    @classmethod
    def from_clinvar_vcf(cls, path: str, build: str) -> KnownVariantTable:
        """Read a ClinVar VCF (any size); only records in the MEN1 region are kept.

        Uses the tabix/CSI index when there is one, otherwise streams the file. The version
        string names the file and its ``##fileDate`` / ``##source`` header lines.
        """
        variants, skipped, header, warnings = _read_clinvar(path, build)
        name = os.path.basename(path)
        details = [f"fileDate {header['fileDate']}"] if "fileDate" in header else []
        if "source" in header:
            details.append(f"source {header['source']}")
        version = f"{name} ({'; '.join(details)})" if details else name
        return cls(tuple(variants), version, tuple(skipped), tuple(dict.fromkeys(warnings)))

    def lookup(self, build: str, pos: int, ref: str, alt: str) -> KnownVariant | None:
        """The entry for exactly this allele (after normalisation), or None."""
        try:
            name = locus.annotate(build, pos, ref, alt).hgvs_c
        except HgvsError:
            return None
        return self._by_c.get(name)

    def by_hgvs(self, name: str) -> KnownVariant | None:
        """The entry for an HGVS c. name on any modelled transcript, or None."""
        return self._by_c.get(locus.translate_name(name))

    def same_protein_change(self, annotation: Annotation) -> list[KnownVariant]:
        """Entries with the same protein change by a different nucleotide change (ACMG PS1)."""
        p = annotation.hgvs_p
        if p is None or "?" in p or "=" in p or "fs" in p:
            return []
        return [v for v in self if v.protein_change == p and v.hgvs_c != annotation.hgvs_c]

    def same_residue(self, annotation: Annotation) -> list[KnownVariant]:
        """Other missense changes at the same residue (ACMG PM5)."""
        if annotation.consequence != "missense_variant" or annotation.protein_position is None:
            return []
        return [
            v
            for v in self
            if v.consequence == "missense_variant"
            and v.protein_position == annotation.protein_position
            and v.protein_change != annotation.hgvs_p
        ]


@cache
def _shipped(only: str | None = None) -> KnownVariantTable:
    variants: list[KnownVariant] = []
    skipped: list[Skipped] = []
    seen: dict[str, KnownVariant] = {}
    for build, filename in SHIPPED_FILES.items():
        if only is not None and build != only:
            continue
        found, lost = _shipped_records(build)
        skipped.extend(lost)
        for v in found:
            # Both builds describe the same alleles; a disagreement would mean a broken file.
            if v.hgvs_c in seen and seen[v.hgvs_c].id != v.id:
                raise InputError(f"{filename}: {v.hgvs_c} is both {seen[v.hgvs_c].id} and {v.id}")
            if v.hgvs_c not in seen:
                seen[v.hgvs_c] = v
                variants.append(v)
    return KnownVariantTable(tuple(variants), SHIPPED_VERSION, tuple(skipped))


def _shipped_records(build: str) -> tuple[list[KnownVariant], list[Skipped]]:
    """One build's shipped records: from the precomputed index while it matches the VCF."""
    filename = SHIPPED_FILES[build]
    path = _DATA / filename
    try:
        entry = json.loads((_DATA / SHIPPED_INDEX).read_text("utf-8")).get(build)
    except (OSError, ValueError):
        entry = None
    if (
        isinstance(entry, dict)
        and entry.get("source") == filename
        and entry.get("crc32") == zlib.crc32(path.read_bytes())
    ):
        return (
            [KnownVariant(*v) for v in entry["variants"]],
            [Skipped(*s) for s in entry["skipped"]],
        )
    found, lost, _, _ = _read_clinvar(str(path), build)
    return found, lost


def compute_shipped_index() -> dict[str, Any]:
    """The content of :data:`SHIPPED_INDEX`, computed from the shipped ClinVar VCFs."""
    index: dict[str, Any] = {}
    for build, filename in SHIPPED_FILES.items():
        path = _DATA / filename
        found, lost, _, _ = _read_clinvar(str(path), build)
        index[build] = {
            "source": filename,
            "crc32": zlib.crc32(path.read_bytes()),
            "variants": [list(v) for v in found],
            "skipped": [list(s) for s in lost],
        }
    return index


def write_shipped_index() -> None:
    # One record a line, so that a regenerated index reads well in a diff.
    out = []
    for build, entry in compute_shipped_index().items():
        rows = {
            k: "[" + "".join(f"\n   {json.dumps(r, ensure_ascii=False)}," for r in entry[k])
            .rstrip(",") + ("\n  ]" if entry[k] else "]")
            for k in ("variants", "skipped")
        }
        out.append(
            f' {json.dumps(build)}: {{"source": {json.dumps(entry["source"])}, '
            f'"crc32": {entry["crc32"]},\n  "variants": {rows["variants"]},\n'
            f'  "skipped": {rows["skipped"]}}}'
        )
    (_DATA / SHIPPED_INDEX).write_text("{\n" + ",\n".join(out) + "\n}\n", "utf-8")


def _info(info: Any, key: str) -> str:
    """An INFO value as text; "" when absent (pysam raises for keys the header lacks)."""
    try:
        value = info.get(key)
    except (KeyError, ValueError):
        return ""
    return _info_text(value)


def _info_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return ",".join(str(x) for x in value)
    return str(value)


def _read_clinvar(
    path: str, build: str
) -> tuple[list[KnownVariant], list[Skipped], dict[str, str], list[str]]:
    """Records, skipped records, header values and htslib's warnings for one ClinVar VCF."""
    from .reader import capture_stderr

    # htslib prints its real reason on fd 2 and raises something vague: keep the reason.
    try:
        with capture_stderr() as err:
            variants, skipped, header = _read_clinvar_records(path, build)
    except InputError as exc:
        reasons = [ln for ln in err if ln.startswith("[E::")]
        if reasons and type(exc) is InputError:
            raise InputError(f"{exc.message} ({reasons[-1]})", file=path) from None
        raise
    warnings = [f"{os.path.basename(path)}: {ln}" for ln in err if ln.startswith("[W::")]
    return variants, skipped, header, warnings


def _read_clinvar_records(
    path: str, build: str
) -> tuple[list[KnownVariant], list[Skipped], dict[str, str]]:
    import pysam  # imported here: the rest of the module is usable without htslib

    try:
        vcf = pysam.VariantFile(path)
    except NotImplementedError:
        # htslib cannot seek in plain gzip; ClinVar ships BGZF, a re-compressed copy may not.
        raise InputError(
            "compressed with plain gzip; recompress with bgzip (or gunzip it)", file=path
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot open as a VCF: {exc}", file=path) from None
    header: dict[str, str] = {}
    for rec in vcf.header.records:
        if rec.key in ("fileDate", "source", "reference") and rec.value:
            header.setdefault(rec.key, str(rec.value))
    stated = _stated_build(header.get("reference", ""))
    if stated is not None and stated != build:
        vcf.close()
        raise BuildError(f"##reference says {stated}, not {build}", file=path)
    start, end = locus.region(build)
    variants: list[KnownVariant] = []
    skipped: list[Skipped] = []
    with vcf:
        for record in _records_in_region(vcf, path, start, end):
            for alt in record.alts or ():
                entry = _entry(record, alt, build)
                if isinstance(entry, Skipped):
                    skipped.append(entry)
                else:
                    variants.append(entry)
    mismatched = sum(1 for s in skipped if s.reason.startswith("REF "))
    # With no ##reference line, a file on the other build shows itself by its REF alleles.
    if mismatched and mismatched * 2 > mismatched + len(variants):
        raise BuildError(
            f"{mismatched} of {mismatched + len(variants)} MEN1 REF alleles do not match "
            f"{build}; is the file on the other build?",
            file=path,
        )
    return variants, skipped, header


def _stated_build(reference_line: str) -> str | None:
    text = reference_line.lower()
    if any(k in text for k in ("grch38", "hg38")):
        return "GRCh38"
    if any(k in text for k in ("grch37", "hg19", "b37", "hs37")):
        return "GRCh37"
    return None


def _records_in_region(vcf: Any, path: str, start: int, end: int) -> Iterator[Any]:
    contigs = [c for c in ("11", "chr11") if c in vcf.header.contigs]
    if contigs and vcf.index is not None:
        # pysam's fetch is 0-based half-open.
        yield from vcf.fetch(contigs[0], start - 1, end)
        return
    try:
        for record in vcf:
            if record.chrom in ("11", "chr11") and start <= record.pos <= end:
                yield record
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable VCF record: {exc}", file=path) from None


_DIGITS = re.compile(r"^\d+$")


def _entry(rec: Any, alt: str, build: str) -> KnownVariant | Skipped:
    info = rec.info
    vid = str(rec.id or "")
    allele_id = _info(info, "ALLELEID")
    if _DIGITS.match(vid):
        ident = f"ClinVar:VCV{int(vid):09d}"
    elif allele_id:
        ident = f"ClinVar:AlleleID:{allele_id}"
    else:
        ident = f"ClinVar:{rec.chrom}:{rec.pos}:{rec.ref}>{alt}"
    clnsig = unquote(_info(info, "CLNSIG"))
    tier = tier_of(clnsig)
    if tier is None:
        return Skipped(ident, f"CLNSIG {clnsig or '(none)'} is not a pathogenicity tier")
    try:
        ann = locus.annotate(build, rec.pos, rec.ref, alt)
    except HgvsError as exc:
        return Skipped(ident, str(exc))
    if ann.hgvs_c.endswith("="):
        return Skipped(ident, "no change relative to the transcript")
    review = unquote(_info(info, "CLNREVSTAT")).replace("_", " ")
    name = _info(info, "NAME") or _info(info, "CLNHGVS")
    return KnownVariant(
        id=ident,
        hgvs_c=ann.hgvs_c,
        protein_change=ann.hgvs_p,
        significance=tier,
        review=review,
        source_name=unquote(name).replace("_(", " ("),
        consequence=ann.consequence,
        protein_position=ann.protein_position,
    )


def load(clinvar: str | None, build: str, warnings: list[str]) -> KnownVariantTable:
    """The known-variant table a classification uses: ``clinvar`` (a ClinVar VCF) or the
    shipped one, with what a user should know about it added to ``warnings``."""
    if clinvar is None:
        known = KnownVariantTable.shipped(build)
    else:
        known = KnownVariantTable.from_clinvar_vcf(clinvar, build)
    warnings.extend(known.warnings)
    if clinvar is not None and len(known) == 0:
        warnings.append(f"{clinvar}: no MEN1 records; every variant is classified by rules alone")
    if clinvar is not None and known.skipped:
        warnings.append(
            f"{clinvar}: {len(known.skipped)} MEN1-region record(s) not usable as known variants"
        )
    return known
