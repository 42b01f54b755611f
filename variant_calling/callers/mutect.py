"""The MuTect family (Broad): MuTect1, GATK3 MuTect2, and GATK4 Mutect2 paired or tumour-only.

All write counts as FORMAT ``AD`` (+ ``DP``); MuTect1 also ``FA``, Mutect2 a model ``AF``.
How each is recognised, from its own headers:

* GATK4 Mutect2 (4.0-4.6): ``##source=Mutect2``, ``##MutectVersion=`` (``##Mutect Version=``
  in 4.0), or a ``##GATKCommandLine=<ID=Mutect2,...>``. ``##normal_sample=`` /
  ``##tumor_sample=`` name the roles. Tumour-only when it has one sample and names no normal
  (neither ``##normal_sample`` nor ``--normal-sample``/``-normal`` on its command line).
* GATK3 MuTect2 (3.5-3.8): ``##GATKCommandLine.MuTect2=<ID=MuTect2,...>`` (pre-release builds:
  ``##GATKCommandLine.M2``), or its filter vocabulary (``alt_allele_in_normal``,
  ``t_lod_fstar``, ``multi_event_alt_allele_in_normal``); columns ``TUMOR``/``NORMAL`` and
  ``##SAMPLE=<ID=NORMAL,SampleName=...>``.
* MuTect1 (1.1.x): ``##MuTect="analysis_type=MuTect ..."`` or ``##GATKCommandLine=<ID=MuTect``,
  whose arguments name ``normal_sample_name=``/``tumor_sample_name=``; files rewritten by
  vcf2maf/GDC keep only MuTect1's FILTER wording ("... as a confident somatic mutation") and
  the ``FA`` fraction.
"""

from __future__ import annotations

import re

from ..header import Header, command_arg, gatk_command_lines
from . import Caller, filters_too

_GATK3_FILTERS = {"alt_allele_in_normal", "t_lod_fstar", "multi_event_alt_allele_in_normal",
                  "triallelic_site"}


def _keys(h: Header) -> set[str]:
    return {k for k, _ in h.meta}


def is_mutect2(h: Header) -> bool:
    keys = _keys(h)
    sources = " ".join(h.meta_values("source")).lower()
    return (
        "MutectVersion" in keys
        or "Mutect Version" in keys
        or "mutect2" in sources
        or "normal_sample" in keys
        or bool(gatk_command_lines(h, "Mutect2"))
    )


def names_a_normal(h: Header) -> bool:
    """The run had a matched normal: the header or Mutect2's command line names one."""
    if h.meta_values("normal_sample"):
        return True
    return any(
        command_arg(cl, "--normal-sample", "-normal", "--normal") is not None
        for cl in gatk_command_lines(h, "Mutect2")
    )


def is_tumour_only_mutect2(h: Header) -> bool:
    return is_mutect2(h) and len(h.samples) == 1 and not names_a_normal(h)


def is_gatk3_mutect2(h: Header) -> bool:
    keys = _keys(h)
    if any(k in ("GATKCommandLine.MuTect2", "GATKCommandLine.M2") for k in keys):
        return True
    if gatk_command_lines(h, "MuTect2"):
        return True
    return bool(_GATK3_FILTERS & set(h.filters)) and not is_mutect2(h)


def _mutect1_command(h: Header) -> str | None:
    for value in h.meta_values("MuTect"):
        return value
    for cl in gatk_command_lines(h, "MuTect"):
        return cl
    return None


def is_mutect1(h: Header) -> bool:
    if _mutect1_command(h) is not None:
        return True
    wording = " ".join(h.filters.values())
    return "confident somatic mutation" in wording and "FA" in h.formats


def mutect1_roles(h: Header) -> dict[str, str]:
    """MuTect1 records the sample names it was given among its own arguments."""
    cmd = _mutect1_command(h) or ""
    out: dict[str, str] = {}
    for key, role in (("normal_sample_name", "normal"), ("tumor_sample_name", "tumor")):
        m = re.search(rf"(?:^|\s){key}=(\S+)", cmd)
        if m and m.group(1) in h.samples:
            out[m.group(1)] = role
    return out


def tumour_only_roles(h: Header) -> dict[str, str]:
    """A tumour-only run's single sample is, by the run's design, the tumour."""
    return {h.samples[0]: "tumor"}


CALLERS = (
    Caller("GATK3 MuTect2", is_gatk3_mutect2, verdicts=filters_too),
    Caller("Mutect2 tumour-only", is_tumour_only_mutect2, roles=tumour_only_roles,
           verdicts=filters_too),
    Caller("Mutect2", is_mutect2, verdicts=filters_too),
    Caller("MuTect1", is_mutect1, roles=mutect1_roles),
)
