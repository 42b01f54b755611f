"""Variant normalisation: trim shared bases and left-align indels against the shipped reference.

The algorithm is vt's (Tan, Abecasis & Kang 2015): while both alleles end in the same base,
drop it, extending both to the left with the reference base whenever one allele becomes empty;
then drop shared leading bases while both alleles are longer than one base. The result is the
unique parsimonious, left-aligned VCF representation, so one variant written two ways by two
callers compares equal.
"""

from __future__ import annotations

from . import reference
from .errors import InputError


class RefMismatchError(InputError):
    """The VCF's REF allele is not the reference sequence at that position (wrong build?)."""


def check_ref(build: str, pos: int, ref: str, *, file: str | None = None,
              line: int | None = None) -> None:
    """Raise :class:`RefMismatchError` if ``ref`` disagrees with the shipped window.

    ``N`` in the VCF matches any base; positions outside the window are not checked.
    """
    end = pos + len(ref) - 1
    if not reference.contains(build, pos, end):
        return
    genome = reference.sequence(build, pos, end)
    if any(a != "N" and a != b for a, b in zip(ref.upper(), genome, strict=True)):
        raise RefMismatchError(
            f"REF {ref} at chr11:{pos} does not match the {build} reference ({genome}); "
            "is the build right?",
            file=file,
            line=line,
            field="REF",
        )


def normalize(build: str, pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Trimmed, left-aligned (pos, ref, alt); 1-based VCF-style with an anchor base for indels.

    Left-alignment stops at the edge of the shipped window (the variant is then only trimmed).
    """
    ref, alt = ref.upper(), alt.upper()
    if ref == alt:
        return pos, ref, alt
    w = reference.window(build)
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
        if not ref or not alt:
            if pos - 1 < w.start or pos - 1 > w.end:
                # Cannot extend leftwards outside the window: restore and stop.
                break
            base = reference.sequence(build, pos - 1, pos - 1)
            ref, alt, pos = base + ref, base + alt, pos - 1
    if not ref or not alt:
        # Only reachable at the window's edge; keep a valid anchor from the original alleles.
        return pos, ref or alt[:1], alt or ref[:1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt
