"""Coverage of the MEN1 coding exons in gVCF inputs (reference blocks with MIN_DP), and whether
the inputs say anything about MEN1 at all (:func:`men1_covered`)."""

from __future__ import annotations

from typing import Any

from .records import Block
from .roles import Source
from .rules import Rules

__all__ = ["CODING_EXONS_GRCH38", "coding_exons", "coverage", "men1_covered"]

# Coding parts of the MANE exons (c.1 to the stop codon), GRCh38, plus-strand 1-based inclusive,
# from the shipped MEN1_exons.tsv (exon 2 from c.1 = 64810109; exon 10 to c.1833 = 64804334).
CODING_EXONS_GRCH38: tuple[tuple[int, int, int], ...] = (
    (2, 64809665, 64810109),
    (3, 64807891, 64808099),
    (4, 64807552, 64807680),
    (5, 64807179, 64807219),
    (6, 64807011, 64807098),
    (7, 64806232, 64806368),
    (8, 64805635, 64805770),
    (9, 64805034, 64805198),
    (10, 64804334, 64804816),
)
# GRCh37 is GRCh38 shifted by a constant over the whole MEN1 window (no indels between them).
GRCH37_OFFSET = 64810109 - 64577581


def coding_exons(build: str) -> tuple[tuple[int, int, int], ...]:
    shift = 0 if build == "GRCh38" else GRCH37_OFFSET
    return tuple((n, a - shift, b - shift) for n, a, b in CODING_EXONS_GRCH38)


def coverage(sources: list[Source], build: str, rules: Rules) -> dict[str, Any] | None:
    gvcfs = [s for s in sources if s.data.is_gvcf]
    if not gvcfs:
        return None
    samples: dict[str, Any] = {}
    for src in gvcfs:
        # Variant sites cover their own bases too: some gVCF writers (FreeBayes) give them no
        # <*> allele, so they are not among the reference blocks.
        sites = [
            Block(c.pos, c.pos + len(c.ref) - 1, {s: e.depth for s, e in c.samples.items()})
            for c in src.data.calls
        ]
        for sample in src.data.samples:
            if sample not in (src.normal, src.tumor):
                continue
            covered = 0
            total = 0
            gaps: list[str] = []
            for exon, start, end in coding_exons(build):
                spans = sorted(
                    (max(b.start, start), min(b.end, end))
                    for b in [*src.data.blocks, *sites]
                    if b.end >= start
                    and b.start <= end
                    and (b.min_depth.get(sample) or 0) >= rules.min_coverage_depth
                )
                total += end - start + 1
                cursor = start
                for a, b in spans:
                    if a > cursor:
                        gaps.append(f"exon {exon} chr11:{cursor}-{a - 1}")
                    if b >= cursor:
                        covered += b - max(a, cursor) + 1
                        cursor = b + 1
                if cursor <= end:
                    gaps.append(f"exon {exon} chr11:{cursor}-{end}")
            samples[sample] = {
                "covered": not gaps,
                "fraction": round(covered / total, 4),
                "uncovered": gaps,
            }
    return {
        "min_depth": rules.min_coverage_depth,
        "covered": all(s["covered"] for s in samples.values()) if samples else False,
        "samples": samples,
    }



def men1_covered(sources: list[Source], cov: dict[str, Any] | None) -> bool | None:
    """Was MEN1 looked at? ``False`` when the inputs cannot show it was, ``True`` when a gVCF
    shows every coding base at depth, ``None`` when it cannot be told (a variant-only VCF).

    ``False`` when no input has a single record in the MEN1 window (a header with no records,
    or records elsewhere only), or when the gVCF inputs cover none of the MEN1 coding bases at
    ``min_coverage_depth``. A VCF that covers MEN1 is expected to hold at least the common
    sites where most genomes differ from the reference (p.Ala541Thr, c.1299; the reference
    README's fact 1), so an empty window is a sign that MEN1 was not sequenced, called or kept,
    not a negative result.
    """
    if not any(s.data.window_records for s in sources):
        return False
    if cov is None:
        return None
    if cov["covered"]:
        return True
    fractions = [c["fraction"] for c in cov["samples"].values()]
    if fractions and all(f == 0 for f in fractions):
        return False
    return None
