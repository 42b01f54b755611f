"""Read counts per sample from the FORMAT fields each caller writes.

A *layout* is one way of writing counts (Strelka's per-base tier-1 counts, VarScan's RD/AD with a
percentage FREQ, AD, DP4, ...): a function that returns None when the sample's FORMAT does not
use it, else (ref reads, alt reads, depth, the caller's own allele fraction). A caller lists the
layouts to try in order (:mod:`variant_calling.callers`); :func:`sample_evidence` turns the first
that applies into :class:`~variant_calling.records.SampleEvidence`.

Read counts win over a caller's allele fraction whenever both exist: some callers' AF is a model
estimate (Mutect2 reports AF≈0.05 for a normal with zero ALT reads). A fraction is turned into a
count (fraction × depth) only for a sample that has a genotype call: a no-call (``./.``) with an
AF beside it is not evidence of ALT reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from ..errors import InputError
from ..header import Header
from ..records import SampleEvidence

__all__ = ["GENERIC", "Fields", "Layout", "sample_evidence"]


class Counts(NamedTuple):
    ref: float | None
    alt: float | None
    depth: float | None
    fraction: float | None = None  # the caller's own ALT fraction, when it gives one


class Site(NamedTuple):
    ref: str  # REF, upper case
    alt: str  # this ALT, upper case
    alt_index: int  # 1-based
    n_alleles: int


class Fields:
    """Typed access to one sample's FORMAT values with Number=A/R checks.

    A field the header does not declare (or declares as a String) reaches us as text: numbers
    are read from it all the same, and text that is not a number is refused naming the field,
    the sample and whether the header declares it.
    """

    def __init__(self, rec: Any, sample: str, h: Header, file: str, line: int | None) -> None:
        self.s = rec.samples[sample]
        self.keys = set(rec.format.keys())
        self.n_alleles = len(rec.alleles)
        self.h = h
        self.file = file
        self.line = line
        self.sample = sample

    def _error(self, key: str, message: str) -> InputError:
        declared = "" if key in self.h.formats else f" (FORMAT {key} is not declared in the header)"
        return InputError(
            f"sample {self.sample}: {message}{declared}",
            file=self.file,
            line=self.line,
            field=key,
        )

    def get(self, key: str) -> Any:
        if key not in self.keys:
            return None
        try:
            v = self.s.get(key)
        except (ValueError, TypeError) as exc:
            raise self._error(key, f"unreadable value ({exc})") from None
        if isinstance(v, str) and "," in v:
            v = tuple(None if x in ("", ".") else x for x in v.split(","))
        if isinstance(v, tuple):
            if all(x is None for x in v):
                return None
            number = self.h.formats.get(key)
            expected = {"R": self.n_alleles, "A": self.n_alleles - 1}.get(number or "")
            if expected is not None and len(v) != expected:
                raise self._error(key, f"Number={number} needs {expected} values, found {len(v)}")
        return v

    def _number(self, key: str, v: Any) -> float | None:
        if v is None or v == ".":
            return None
        if isinstance(v, str):
            t = v.strip()
            try:
                f = float(t.rstrip("%"))
            except ValueError:
                raise self._error(key, f"{v!r} is not a number") from None
            return f / 100.0 if t.endswith("%") else f
        f = float(v)
        return None if math.isnan(f) else f

    def num(self, key: str, index: int = 0) -> float | None:
        v = self.get(key)
        if isinstance(v, tuple):
            v = v[index] if index < len(v) else None
        return self._number(key, v)

    def nums(self, key: str) -> tuple[float | None, ...] | None:
        """Every value of a list field (AD, DP4, BCOUNT, ...), as numbers."""
        v = self.get(key)
        if v is None:
            return None
        values = v if isinstance(v, tuple) else (v,)
        return tuple(self._number(key, x) for x in values)


Layout = Callable[[Fields, Site], "Counts | None"]


def _total(*xs: float | None) -> float | None:
    return None if any(x is None for x in xs) else sum(x for x in xs if x is not None)


# --- the layouts ------------------------------------------------------------------------------
def strelka_snv(f: Fields, site: Site) -> Counts | None:
    """Strelka SNVs: the tier-1 (first) value of ``{BASE}U`` for REF and ALT."""
    if not {"AU", "CU", "GU", "TU"} <= f.keys or len(site.ref) != 1 or len(site.alt) != 1:
        return None
    ref = f.num(f"{site.ref}U", 0) if site.ref in "ACGT" else None
    alt = f.num(f"{site.alt}U", 0) if site.alt in "ACGT" else None
    return Counts(ref, alt, _total(ref, alt))


def strelka_indel(f: Fields, site: Site) -> Counts | None:
    """Strelka indels: tier-1 ``TAR`` (reference) and ``TIR`` (indel) reads."""
    if not {"TAR", "TIR"} <= f.keys:
        return None
    ref, alt = f.num("TAR", 0), f.num("TIR", 0)
    return Counts(ref, alt, _total(ref, alt))


def varscan(f: Fields, site: Site) -> Counts | None:
    """VarScan2: ``RD``/``AD`` single counts, ``FREQ`` a percentage string."""
    if not {"RD", "FREQ"} <= f.keys:
        return None
    ref, alt = f.num("RD"), f.num("AD")
    depth = f.num("DP")
    return Counts(ref, alt, depth if depth is not None else _total(ref, alt), f.num("FREQ"))


def ro_ao(f: Fields, site: Site) -> Counts | None:
    """FreeBayes: ``RO`` reference observations, ``AO`` per ALT."""
    if not {"RO", "AO"} <= f.keys:
        return None
    return Counts(f.num("RO"), f.num("AO", site.alt_index - 1), f.num("DP"))


def allelic_depth(f: Fields, site: Site) -> Counts | None:
    """``AD`` (Number=R: REF then each ALT) with ``DP``."""
    if "AD" not in f.keys:
        return None
    number = f.h.formats.get("AD")
    if number not in ("R", ".", None) and site.n_alleles <= 2:
        return None  # e.g. VarScan's AD is the ALT count alone
    ad = f.nums("AD")
    depth = f.num("DP")
    if ad is None or len(ad) <= site.alt_index:
        return Counts(None, None, depth)
    ref, alt = ad[0], ad[site.alt_index]
    if depth is None and all(x is not None for x in ad):
        depth = sum(x for x in ad if x is not None)
    return Counts(ref, alt, depth)


def base_counts(f: Fields, site: Site) -> Counts | None:
    """SomaticSniper: ``BCOUNT`` (reads per base A, C, G, T) for a single-base REF and ALT;
    ``DP4`` (REF forward, REF reverse, ALT forward, ALT reverse) otherwise."""
    if "BCOUNT" in f.keys and len(site.ref) == 1 and len(site.alt) == 1:
        counts = f.nums("BCOUNT")
        if counts is not None and len(counts) == 4 and site.ref in "ACGT" and site.alt in "ACGT":
            ref, alt = counts["ACGT".index(site.ref)], counts["ACGT".index(site.alt)]
            depth = f.num("DP")
            return Counts(ref, alt, depth if depth is not None else _total(ref, alt))
    return dp4(f, site)


def dp4(f: Fields, site: Site) -> Counts | None:
    """``DP4``: high-quality REF forward, REF reverse, ALT forward, ALT reverse reads (samtools,
    SomaticSniper, LoFreq). The ALT reads are all ALT alleles together, so only a biallelic
    record's counts are taken from it."""
    if "DP4" not in f.keys or site.n_alleles != 2:
        return None
    v = f.nums("DP4")
    if v is None or len(v) != 4:
        return None
    ref, alt = _total(v[0], v[1]), _total(v[2], v[3])
    depth = f.num("DP")
    return Counts(ref, alt, depth if depth is not None else _total(ref, alt))


def dv(f: Fields, site: Site) -> Counts | None:
    """bcftools call: ``DV`` is the non-reference read count (biallelic records)."""
    if "DV" not in f.keys or site.n_alleles != 2:
        return None
    return Counts(None, f.num("DV"), f.num("DP"))


def depth_only(f: Fields, site: Site) -> Counts:
    """No counts: the depth, and the caller's fraction (LoFreq writes ``DP`` and ``AF``)."""
    return Counts(None, None, f.num("DP"))


#: Tried in this order when the caller is unknown (or for a caller's fields after its own).
GENERIC: tuple[Layout, ...] = (
    strelka_snv, strelka_indel, varscan, ro_ao, allelic_depth, base_counts, dv, depth_only,
)


# --- evidence ---------------------------------------------------------------------------------
def genotype(rec: Any, sample: str) -> str | None:
    if "GT" not in rec.format:
        return None
    s = rec.samples[sample]
    gt = s.get("GT")
    if gt is None:
        return None
    sep = "|" if s.phased else "/"
    return sep.join("." if a is None else str(a) for a in gt)


def _fraction(f: Fields, site: Site) -> float | None:
    for key in ("AF", "VAF", "FA"):
        if key in f.keys:
            number = f.h.formats.get(key)
            many = number == "A" or site.n_alleles > 2
            return f.num(key, site.alt_index - 1 if many else 0)
    return None


def _round(x: float | None) -> float | None:
    if x is None or math.isnan(x):
        return None
    return round(float(x), 4)


def _int(x: float | None) -> int | None:
    return None if x is None else round(x)


def sample_evidence(
    rec: Any,
    sample: str,
    alt_index: int,
    h: Header,
    layouts: tuple[Layout, ...],
    file: str,
    line: int | None,
) -> SampleEvidence:
    """Depth, ALT reads and VAF for ALT number ``alt_index`` (1-based) in ``sample``."""
    f = Fields(rec, sample, h, file, line)
    gt = genotype(rec, sample)
    site = Site(rec.ref.upper(), rec.alleles[alt_index].upper(), alt_index, len(rec.alleles))
    counts = Counts(None, None, None)
    for layout in layouts:
        found = layout(f, site)
        if found is not None:
            counts = found
            break
    ref_n, alt_n, depth, frac = counts
    if frac is None:
        frac = _fraction(f, site)
    no_call = gt is not None and all(a == "." for a in gt.replace("|", "/").split("/"))
    if alt_n is None and frac is not None and depth is not None and not no_call:
        alt_n = frac * depth  # only a fraction and a depth are given (LoFreq)
    vaf: float | None = None
    if alt_n is not None:
        denom = (ref_n + alt_n) if ref_n is not None else depth
        if denom:
            vaf = alt_n / denom
        elif denom == 0:
            vaf = 0.0
    if vaf is None and not no_call:
        vaf = frac
    if depth is None and ref_n is not None and alt_n is not None:
        depth = ref_n + alt_n
    return SampleEvidence(_int(depth), _int(alt_n), _round(vaf), gt)
