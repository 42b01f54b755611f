"""Germline and single-sample callers.

==========  ===========================================  ===================================
caller      recognised by                                counts
==========  ===========================================  ===================================
DeepVariant ``##DeepVariant_version``                    ``AD`` and ``VAF``
FreeBayes   ``##source=freeBayes``                       ``RO``/``AO``; gVCF ``<*>`` blocks
LoFreq      ``##source=lofreq``                          ``DP4``, else ``DP`` × ``AF``
bcftools    ``##bcftools_callVersion``, ``##samtools``   ``AD``, or ``DP``/``DV``
==========  ===========================================  ===================================
"""

from __future__ import annotations

from ..header import Header
from . import Caller
from .evidence import dp4, ro_ao


def _keys(h: Header) -> set[str]:
    return {k for k, _ in h.meta}


def _sources(h: Header) -> str:
    return " ".join(h.meta_values("source")).lower()


CALLERS = (
    Caller("DeepVariant", lambda h: "DeepVariant_version" in _keys(h)),
    Caller("FreeBayes", lambda h: "freebayes" in _sources(h), (ro_ao,)),
    Caller("LoFreq", lambda h: "lofreq" in _sources(h), (dp4,)),
    Caller(
        "bcftools", lambda h: "bcftools_callVersion" in _keys(h) or "samtoolsVersion" in _keys(h)
    ),
)
