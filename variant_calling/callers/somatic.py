"""Paired somatic callers other than the MuTect family.

=============  =============================================  ==================================
caller         recognised by                                  counts
=============  =============================================  ==================================
Strelka2       ``##source=strelka``, ``source_version`` 2.8+   SNV tier-1 ``{BASE}U``; indel
Strelka        ``##source=strelka`` (1.0.x: ``2.0.x``)       ``TAR``/``TIR``
MuSE           ``##MuSE_version``                             ``AD`` (TUMOR then NORMAL)
VarScan2       ``##source=VarScan2``                          ``RD``/``AD``, ``FREQ`` in %
VarDict        ``##source=VarDict*``                          ``AD``; tumour column first
SomaticSniper  FORMAT ``BCOUNT`` + ``DP4`` + ``SSC``, or      ``BCOUNT`` per base (SNVs), else
               ``InputVCFSource=<bam-somaticsniper>``         ``DP4``
=============  =============================================  ==================================

SomaticSniper writes no ``AD``: its counts are ``BCOUNT`` (reads per base A, C, G, T) and
``DP4`` (high-quality REF forward/reverse, ALT forward/reverse), per the bam-somaticsniper
VCF header. Columns are ``NORMAL`` and ``TUMOR`` (its ``-n``/``-t`` defaults).
"""

from __future__ import annotations

import re

from ..header import Header
from . import Caller
from .evidence import base_counts, strelka_indel, strelka_snv, varscan


def _sources(h: Header) -> str:
    return " ".join(h.meta_values("source")).lower()


def is_strelka2(h: Header) -> bool:
    """Strelka2 numbers itself 2.8 and later; Strelka 1.0.x wrote ``source_version=2.0.x``."""
    if "strelka" not in _sources(h):
        return False
    for v in h.meta_values("source_version"):
        m = re.match(r"(\d+)\.(\d+)", v)
        if m and (int(m.group(1)), int(m.group(2))) >= (2, 8):
            return True
    return False


def is_strelka(h: Header) -> bool:
    return "strelka" in _sources(h)


def is_somaticsniper(h: Header) -> bool:
    if {"BCOUNT", "DP4", "SSC"} <= set(h.formats):
        return True
    logs = " ".join(h.meta_values("vcfProcessLog")).lower()
    return "somaticsniper" in logs or "somatic-sniper" in logs or "somaticsniper" in _sources(h)


def vardict_roles(h: Header) -> dict[str, str]:
    """VarDict's paired mode writes the tumour column first, then the matched normal."""
    named = any(s.lower() in ("normal", "tumor", "tumour") for s in h.samples)
    if named or len(h.samples) != 2:
        return {}
    return {h.samples[0]: "tumor", h.samples[1]: "normal"}


CALLERS = (
    Caller("MuSE", lambda h: "MuSE_version" in {k for k, _ in h.meta}),
    Caller("Strelka2", is_strelka2, (strelka_snv, strelka_indel)),
    Caller("Strelka", is_strelka, (strelka_snv, strelka_indel)),
    Caller("VarScan2", lambda h: "varscan" in _sources(h), (varscan,)),
    Caller("VarDict", lambda h: "vardict" in _sources(h), roles=vardict_roles),
    Caller("SomaticSniper", is_somaticsniper, (base_counts,)),
)
