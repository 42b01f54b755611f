"""Copy-number and structural-variant callers (issue 19): their records are deletions,
duplications and copy-number segments, read by :mod:`variant_calling.svcall`.

=============  ==========================================  ====================================
caller         recognised by                               what a sample says
=============  ==========================================  ====================================
GATK gCNV      FORMAT ``CN``, ``QSE`` and ``QSS``          ``GT`` is an allele index (0 ref,
               (PostprocessGermlineCNVCalls)               1 <DEL>, 2 <DUP>) and ``CN``
CNVkit         ``##source=CNVkit``                         ``GT``; ``CN`` on gains
Manta          ``##source=GenerateSVCandidates``           ``PR``/``SR`` ref,alt read pairs and
                                                           split reads; ``GT`` when germline
Delly          INFO ``SVMETHOD`` with FORMAT ``RDCN`` or   ``GT``, ``DV``/``RV`` (variant pairs,
               ``DV``                                      junction reads), ``RDCN``
=============  ==========================================  ====================================
"""

from __future__ import annotations

from ..header import Header
from . import Caller


def _sources(h: Header) -> str:
    return " ".join(h.meta_values("source")).lower()


#: Callers of copy-number and structural events only (no sequence variants).
COPY_NUMBER_CALLERS = frozenset({"GATK gCNV", "CNVkit", "Manta", "Delly"})

CALLERS = (
    Caller("GATK gCNV", lambda h: {"CN", "QSE", "QSS"} <= set(h.formats)),
    Caller("CNVkit", lambda h: "cnvkit" in _sources(h)),
    Caller("Manta", lambda h: "generatesvcandidates" in _sources(h)),
    Caller("Delly", lambda h: "SVMETHOD" in h.infos and ("RDCN" in h.formats
                                                          or "DV" in h.formats)),
)
