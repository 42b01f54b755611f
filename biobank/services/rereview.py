"""Signed reports stay as signed; when the engine would now say something else, say so.

``reclassify`` reruns the current MEN1 engine (its rules and the configured known-variant
table) on the stored input files of every classified analysis and compares each variant's
tiers, on both scales, and the participant's status with what the engine said when the
analysis was reviewed (the signed version's record of it, or the stored result before
signature). A difference becomes a re-review suggestion, shown on the analysis page and the
enrolment gate; the pathologist answers it by amending (or signing) through the usual path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from variant_calling import Men1Error

from ..errors import BiobankError
from ..models import ClassificationJob, GenotypingAnalysis, ReportVersion, ReReview
from . import audit, genotyping

__all__ = ["FIELDS", "Finding", "compare", "open_suggestions", "reclassify", "resolve"]

FIELDS = {
    "classification": "Classification",
    "oncogenicity": "Oncogenicity",
    "men1_status": "MEN1 status",
    "variant": "Variant reported",
}
"""What a difference is about, for people."""


class Finding(NamedTuple):
    analysis_id: int
    participant: str
    version: int | None
    differences: list[dict[str, Any]]
    engine_version: str
    known_variants_version: str
    error: str | None = None


def _tier(scale: dict[str, Any] | None) -> str | None:
    return None if scale is None else scale.get("tier")


def compare(reviewed: list[dict[str, Any]], engine_status_then: str | None,
            fresh: dict[str, Any]) -> list[dict[str, Any]]:
    """The differences between what the engine said at review and what it says now.

    ``reviewed`` are the variants as the report records them (``hgvs_c``, the reviewed
    ``classification``/``oncogenicity`` and the engine's ``engine_classification``/
    ``engine_oncogenicity`` at the time); ``fresh`` is the engine's result now.
    """
    then = {v["hgvs_c"]: v for v in reviewed}
    now = {v["hgvs_c"]: v for v in fresh.get("variants", [])}
    out: list[dict[str, Any]] = []
    for name in sorted(set(then) | set(now)):
        t, n = then.get(name), now.get(name)
        if t is None or n is None:
            out.append({"hgvs_c": name, "field": "variant",
                        "reviewed": None if t is None else t.get("classification"),
                        "engine_then": None if t is None else t.get("engine_classification"),
                        "now": None if n is None else n.get("classification")})
            continue
        for field, now_value in (("classification", n.get("classification")),
                                 ("oncogenicity", _tier(n.get("oncogenicity")))):
            engine_then = t.get(f"engine_{field}")
            if engine_then != now_value:
                out.append({"hgvs_c": name, "field": field, "reviewed": t.get(field),
                            "engine_then": engine_then, "now": now_value})
    if engine_status_then is not None and engine_status_then != fresh.get("men1_status"):
        out.append({"hgvs_c": None, "field": "men1_status", "reviewed": None,
                    "engine_then": engine_status_then, "now": fresh.get("men1_status")})
    return out


def _rerun(session: Session, a: GenotypingAnalysis, settings: genotyping.Settings
           ) -> dict[str, Any]:
    """The current engine on the analysis's own inputs: its VCFs, the outside report's name
    as entered, or the MLPA table."""
    if a.source == "outside":
        from . import outside_results

        return outside_results.rerun(a, settings)
    if a.source == "mlpa":
        from . import mlpa

        return mlpa.rerun(a, settings)
    assert a.job is not None
    return genotyping.run_engine(
        genotyping.classify_input(session, a.job.id, settings.upload_dir),
        settings.max_decompressed, known_variants=settings.known_variants)


def _reviewed(a: GenotypingAnalysis) -> tuple[ReportVersion | None, list[dict[str, Any]],
                                                 str | None]:
    version = genotyping.latest_version(a)
    if version is not None:
        return version, list(version.content.get("variants", [])), version.content.get(
            "engine_men1_status")
    rows = [{"hgvs_c": v.hgvs_c, "classification": v.classification,
             "engine_classification": v.engine_classification, "oncogenicity": v.oncogenicity,
             "engine_oncogenicity": v.engine_oncogenicity} for v in a.variants]
    return None, rows, a.men1_status


def _digest(differences: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(differences, sort_keys=True).encode()).hexdigest()


def reclassify(session: Session, settings: genotyping.Settings, *, apply: bool,
               progress: Callable[[int, int], None] | None = None) -> list[Finding]:
    """Rerun every classified analysis; with ``apply``, record each new difference as a
    suggestion (audited). Returns a finding per analysis that differs or cannot be rerun."""
    ids = list(session.execute(
        select(GenotypingAnalysis.id).join(ClassificationJob)
        .where(ClassificationJob.state == "done").order_by(GenotypingAnalysis.id)
    ).scalars())
    findings: list[Finding] = []
    for n, analysis_id in enumerate(ids, 1):
        if progress is not None:
            progress(n, len(ids))
        a = session.get(GenotypingAnalysis, analysis_id)
        assert a is not None and a.job is not None
        version, reviewed, status_then = _reviewed(a)
        try:
            fresh = _rerun(session, a, settings)
        except (BiobankError, Men1Error, OSError) as exc:
            findings.append(Finding(a.id, a.participant.code,
                                    version.version if version else None, [], "", "",
                                    error=str(exc)))
            continue
        differences = compare(reviewed, status_then, fresh)
        if not differences:
            continue
        finding = Finding(a.id, a.participant.code, version.version if version else None,
                          differences, str(fresh.get("engine_version")),
                          str(fresh.get("known_variants_version"))[:120])
        findings.append(finding)
        if apply:
            _record(session, a, version, finding)
    return findings


def _record(session: Session, a: GenotypingAnalysis, version: ReportVersion | None,
            finding: Finding) -> None:
    digest = _digest(finding.differences)
    exists = session.execute(select(ReReview.id).where(
        ReReview.analysis_id == a.id, ReReview.digest == digest)).first()
    if exists is not None:
        return
    row = ReReview(analysis_id=a.id, report_version_id=version.id if version else None,
                   digest=digest, engine_version=finding.engine_version,
                   known_variants_version=finding.known_variants_version,
                   differences=finding.differences)
    session.add(row)
    session.flush()
    audit.record(session, None, "genotyping.rereview_suggested", "genotyping_analysis", a.id, {
        "version": finding.version, "engine_version": finding.engine_version,
        "known_variants_version": finding.known_variants_version,
        "differences": len(finding.differences),
    })


def open_suggestions(session: Session, analysis_id: int) -> list[ReReview]:
    return list(session.execute(
        select(ReReview).where(ReReview.analysis_id == analysis_id,
                               ReReview.resolved_by_version_id.is_(None))
        .order_by(ReReview.id)
    ).scalars())


def resolve(session: Session, analysis_id: int, version: ReportVersion) -> None:
    """A signature (or amendment) answers the analysis's open suggestions."""
    for row in open_suggestions(session, analysis_id):
        row.resolved_by_version_id = version.id
    session.flush()
