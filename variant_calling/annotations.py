"""VEP ``CSQ`` and SnpEff ``ANN`` annotations carried by an input.

Both are INFO fields holding one ``|``-separated entry per allele and transcript, whose field
names the header's Description lists (VEP: ``... Format: Allele|Consequence|...``; SnpEff:
``Functional annotations: 'Allele | Annotation | ...'``). From the entries for an ALT allele the
engine takes the MEN1 consequence terms (to compare with its own) and any population frequency
fields (VEP ``--af_gnomade``/``--af_gnomadg``/``--max_af``, or custom gnomAD annotations).
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from .header import Header

__all__ = ["Annotation", "annotation"]

# VEP: "... Format: Allele|Consequence|..."; SnpEff: "Functional annotations: 'Allele | ...'".
_FMT_RX = re.compile(r"(?:Format|annotations):\s*'?\s*([^'\"]+)")
_SOURCES = (("CSQ", "Consequence", "SYMBOL"), ("ANN", "Annotation", "Gene_Name"))


class Annotation(NamedTuple):
    terms: tuple[str, ...]  # MEN1 consequence terms (Sequence Ontology), in order, unique
    #: Numeric annotation fields that may be population frequencies: "CSQ/<name>" -> largest
    #: value over this allele's entries (VEP joins co-located alleles' values with "&").
    values: dict[str, float]


def _fields(h: Header, key: str) -> list[str] | None:
    desc = h.info_descriptions.get(key)
    if not desc:
        return None
    m = _FMT_RX.search(desc)
    if not m:
        return None
    return [x.strip() for x in m.group(1).split("|")]


def _largest(text: str) -> float | None:
    best: float | None = None
    for part in text.split("&"):
        try:
            f = float(part)
        except ValueError:
            continue
        if not math.isnan(f) and (best is None or f > best):
            best = f
    return best


def annotation(rec: Any, h: Header, alt: str, wanted: Any) -> Annotation:
    """MEN1 terms, and the values of the annotation fields for which ``wanted(name)`` is true."""
    terms: list[str] = []
    values: dict[str, float] = {}
    for key, cons_key, gene_key in _SOURCES:
        names = _fields(h, key)
        if names is None or key not in rec.info:
            continue
        raw = rec.info.get(key)
        entries = raw if isinstance(raw, tuple) else (raw,)
        numeric = [n for n in names if wanted(n)]
        for entry in entries:
            if not isinstance(entry, str):
                continue
            d = dict(zip(names, entry.split("|"), strict=False))
            allele = d.get("Allele", "")
            if allele and allele not in (alt, alt[1:] or "-"):
                continue
            if d.get(gene_key) == "MEN1":
                terms.extend(t for t in d.get(cons_key, "").split("&") if t)
            for n in numeric:
                f = _largest(d.get(n, ""))
                if f is not None and f > values.get(f"{key}/{n}", -1.0):
                    values[f"{key}/{n}"] = f
    return Annotation(tuple(dict.fromkeys(terms)), values)
