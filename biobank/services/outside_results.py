"""Outside results: a participant's germline MEN1 result from another laboratory (issue 19).

The pathologist enters the result as the report names it (HGVS), with the laboratory, the
report date and its accession, and attaches the report's PDF (stored content-addressed like
uploads). The engine (:func:`variant_calling.outside.classify_name`) checks the name against
the shipped reference, places it and classifies it; the analysis is then reviewed and signed
like any other, and the gate cites it as "outside report <lab> <date>, confirmed and signed by
...".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from variant_calling import Men1Error
from variant_calling.outside import classify_name

from ..errors import ValidationError
from ..models import GenotypingAnalysis, User, utcnow
from . import access, analysis_sources, genotyping

__all__ = ["FIELDS", "OutsideRequest", "create", "pdf_kind", "rerun"]

PDF_MAGIC = b"%PDF-"
#: The form's fields, in order.
FIELDS = ("hgvs", "build", "lab", "report_date", "accession", "report")
#: The field each refusal is about (its stable code → the form field), so that a page shows
#: the message beside that field.
FIELD_OF_CODE = {
    "hgvs_required": "hgvs", "hgvs_too_long": "hgvs", "bad_hgvs": "hgvs", "bad_build": "build",
    "lab_required": "lab", "lab_too_long": "lab", "bad_date": "report_date",
    "accession_required": "accession", "accession_too_long": "accession",
    "hgvs_one_line": "hgvs", "lab_one_line": "lab", "accession_one_line": "accession",
    "empty_file": "report", "not_pdf": "report", "no_file": "report", "too_large": "report",
}
MAX_TEXT = {"hgvs": 200, "lab": 200, "accession": 100}


@dataclass
class OutsideRequest:
    participant_code: str
    hgvs: str
    lab: str
    report_date: str
    accession: str
    report: genotyping.Upload | None
    build: str = "GRCh38"


def pdf_kind(head: bytes) -> str:
    """An outside report is attached as the laboratory's PDF."""
    if not head:
        raise ValidationError("the report file is empty", code="empty_file")
    if not head.startswith(PDF_MAGIC):
        raise ValidationError("attach the outside report as a PDF (this file is not one)",
                              code="not_pdf")
    return "pdf"


def _text(req: OutsideRequest, name: str) -> str:
    """The variant's name, the laboratory and the accession are one line each, stored as
    typed (ends stripped). A line break or tab in one is refused naming the field: silently
    joining the lines would store something else than the report says (issue 15: stored as
    sent, or a 4xx naming the field)."""
    value = str(getattr(req, name) or "").strip()
    if any(c in value for c in "\r\n\t"):
        raise ValidationError("one line only: no line breaks or tabs", code=f"{name}_one_line")
    if not value:
        if name == "hgvs":
            raise ValidationError("give the variant as the report names it (HGVS)",
                                  code="hgvs_required")
        if name == "lab":
            raise ValidationError("give the laboratory", code="lab_required")
        raise ValidationError("give the report's accession number", code="accession_required")
    if len(value) > MAX_TEXT[name]:
        raise ValidationError("at most %(n)s characters", n=MAX_TEXT[name],
                              code=f"{name}_too_long")
    return value


def _report_date(raw: str) -> str:
    try:
        when = date.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationError("give the report date as YYYY-MM-DD", code="bad_date") from None
    if when > utcnow().date():
        raise ValidationError("the report date %(date)s is in the future",
                              date=when.isoformat(), code="bad_date")
    return when.isoformat()


def create(session: Session, actor: User, req: OutsideRequest, settings: genotyping.Settings
           ) -> tuple[GenotypingAnalysis, bool]:
    """Record and classify an outside result; (analysis, created). Nothing is written when
    any field is refused (the request rolls back)."""
    access.require_role(actor, "pathologist")
    participant = access.get_participant(session, actor, req.participant_code)
    hgvs = _text(req, "hgvs")
    if req.build not in genotyping.BUILDS:
        raise ValidationError("build must be GRCh38 or GRCh37", code="bad_build")
    lab = _text(req, "lab")
    report_date = _report_date(req.report_date)
    accession = _text(req, "accession")
    try:
        result = classify_name(hgvs, build=req.build, clinvar=settings.known_variants).as_dict()
    except Men1Error as exc:
        # The engine's line names what is wrong with the name (English, like HGVS itself).
        raise ValidationError("the HGVS name was refused: %(reason)s", reason=str(exc),
                              code="bad_hgvs") from exc
    if req.report is None:
        raise ValidationError("attach the outside report (PDF)", code="no_file")
    document = genotyping.store_file(session, actor, req.report, settings, sniffer=pdf_kind)
    details = {"hgvs": hgvs, "lab": lab, "report_date": report_date, "accession": accession,
               "report_file": document.original_name}
    return analysis_sources.record_analysis(
        session, actor, participant, source="outside", details=details, document=document,
        build=req.build, caller="outside report", caller_version=lab, assay="outside",
        result=result)


def rerun(a: GenotypingAnalysis, settings: genotyping.Settings) -> dict[str, Any]:
    """What the current engine says of the name as entered (re-review)."""
    details = a.details or {}
    return classify_name(str(details.get("hgvs", "")), build=a.build,
                         clinvar=settings.known_variants).as_dict()
