"""Analyses whose variants do not come from an uploaded VCF: an outside laboratory's report
(``outside_results``) and an MLPA probe-ratio table (``mlpa``).

Both are classified at once (the engine needs a name or a table, not a file scan) and then
live exactly as a VCF analysis does: variants with overrides, a report signed and amended
through :func:`biobank.services.genotyping.sign`, re-review, the enrolment gate. This module
holds what they share: the analysis row with its stored document, its job marked done, and the
engine's result stored by :func:`genotyping.store_result`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import (
    ClassificationJob,
    GenotypingAnalysis,
    GenotypingFile,
    GenotypingInput,
    Participant,
    Specimen,
    User,
    utcnow,
)
from . import audit, genotyping

__all__ = ["record_analysis"]


def record_analysis(session: Session, actor: User, participant: Participant, *, source: str,
                    details: dict[str, Any], document: GenotypingFile, build: str,
                    caller: str, caller_version: str, assay: str,
                    result: dict[str, Any], normal: Specimen | None = None
                    ) -> tuple[GenotypingAnalysis, bool]:
    """Create the analysis of a classified non-VCF source (``details`` and ``document``
    identify it; the same ones again find the existing analysis): (analysis, created)."""
    key_doc = {"participant": participant.code, "source": source, "details": details,
               "document": document.sha256, "build": build,
               "normal": normal.barcode if normal else None}
    key, existing = genotyping.analysis_by_key(session, key_doc)
    if existing is not None:
        return existing, False
    analysis = GenotypingAnalysis(
        input_key=key, participant_id=participant.id, source=source, details=details,
        normal_specimen_id=normal.id if normal else None, caller=caller[:64],
        caller_version=caller_version[:64], assay=assay, build=build, warnings=[],
        created_by_id=actor.id,
    )
    genotyping.insert_once(session, analysis)
    session.add(GenotypingInput(analysis_id=analysis.id, file_id=document.id, role="normal"))
    job = ClassificationJob(analysis_id=analysis.id, state="running", progress=0,
                            step="classifying", started_at=utcnow())
    session.add(job)
    session.flush()
    audit.record(session, actor, f"genotyping.{source}_create", "genotyping_analysis",
                 analysis.id, {"participant": participant.code, "document": document.sha256,
                               "normal_specimen": key_doc["normal"], "build": build,
                               **details})
    genotyping.store_result(session, job.id, {**result, "display_names": {}})
    session.refresh(analysis)
    return analysis, True
