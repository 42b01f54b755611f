"""MLPA results: a SALSA MLPA P017 MEN1 probe-ratio table from a participant's blood DNA
(issue 19).

The pathologist uploads the table (the CSV template of :mod:`variant_calling.mlpa`, copied from
Coffalyser.Net's report) and links the blood specimen it was run on (the kit is validated on
blood, not tumour). The engine calls exon deletions and duplications, names and classifies them
like copy-number calls; the analysis is reviewed and signed like any other. An event seen by a
single probe counts once a confirmation (another method or probe) is recorded (:func:`confirm`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from variant_calling import Men1Error
from variant_calling.mlpa import classify_table, read_table

from ..errors import Conflict, NotFound, ValidationError
from ..models import GenotypingAnalysis, GenotypingVariant, User, VariantOverride
from . import access, analysis_sources, audit, genotyping

__all__ = ["FIELD_OF_CODE", "MlpaRequest", "confirm", "create", "csv_kind", "rerun"]

KIT = "SALSA MLPA P017 MEN1"
#: The form field each refusal (by its stable code) is about.
FIELD_OF_CODE = {
    "specimen_required": "normal_specimen", "wrong_participant": "normal_specimen",
    "wrong_specimen_type": "normal_specimen", "not_collected": "normal_specimen",
    "not_found": "normal_specimen", "bad_table": "table", "no_file": "table",
    "empty_file": "table", "not_csv": "table", "too_large": "table", "bad_build": "build",
}
MAX_TABLE = 1 << 20


@dataclass
class MlpaRequest:
    participant_code: str
    normal_specimen: str | None
    table: genotyping.Upload | None
    build: str = "GRCh38"


def csv_kind(head: bytes) -> str:
    """An MLPA table is CSV text: the template's header row comes first."""
    if not head.strip():
        raise ValidationError("the MLPA table is empty", code="empty_file")
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].lower()
    if b"kit" not in first or b"ratio" not in first:
        raise ValidationError("not an MLPA table: its first row must be the header "
                              "kit,probe,exon,ratio", code="not_csv")
    return "csv"


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError("the MLPA table is not UTF-8 text", code="bad_table") from exc


def _table_text(path: str) -> str:
    with open(path, "rb") as fh:
        return _decode(fh.read(MAX_TABLE))


def _classify(text: str, build: str, settings: genotyping.Settings, name: str
              ) -> dict[str, Any]:
    try:
        return classify_table(text, build=build, file=name,
                              clinvar=settings.known_variants).as_dict()
    except Men1Error as exc:
        raise ValidationError("the MLPA table was refused: %(reason)s", reason=str(exc),
                              code="bad_table") from exc


def create(session: Session, actor: User, req: MlpaRequest, settings: genotyping.Settings
           ) -> tuple[GenotypingAnalysis, bool]:
    access.require_role(actor, "pathologist")
    participant = access.get_participant(session, actor, req.participant_code)
    if req.build not in genotyping.BUILDS:
        raise ValidationError("build must be GRCh38 or GRCh37", code="bad_build")
    if not req.normal_specimen:
        raise ValidationError("link the blood specimen the MLPA was run on",
                              code="specimen_required")
    blood = genotyping.linked_specimen(session, actor, participant, req.normal_specimen,
                                       genotyping.NORMAL_TYPES, "an MLPA specimen (blood DNA)")
    if req.table is None:
        raise ValidationError("attach the MLPA probe-ratio table (CSV)", code="no_file")
    # A table is small: checked whole before anything is stored, so a refusal leaves nothing.
    raw = req.table.stream.read(MAX_TABLE + 1)
    if len(raw) > MAX_TABLE:
        raise ValidationError("the file is larger than %(mib)s MiB", mib=MAX_TABLE >> 20,
                              code="too_large")
    csv_kind(raw[:4096])
    text = _decode(raw)
    name = req.table.filename or "MLPA table"
    result = _classify(text, req.build, settings, name)
    kit_as_given = _kit_of(text)
    document = genotyping.store_file(
        session, actor, genotyping.Upload("normal", io.BytesIO(raw), name), settings,
        sniffer=lambda _head: "csv")  # checked whole above
    details = {"kit": KIT, "lot": kit_as_given, "table_file": document.original_name,
               "events": len(result["variants"])}
    return analysis_sources.record_analysis(
        session, actor, participant, source="mlpa", details=details, document=document,
        build=req.build, caller="MLPA", caller_version=kit_as_given, assay="mlpa",
        result=result, normal=blood)


def _kit_of(text: str) -> str:
    kit, _probes = read_table(text)
    return kit


def rerun(a: GenotypingAnalysis, settings: genotyping.Settings) -> dict[str, Any]:
    """What the current engine says of the stored table (re-review). Like the engine's first
    result it knows no confirmation: those are the review's, as overrides are."""
    doc = a.inputs[0].file
    text = _table_text(f"{settings.upload_dir}/{doc.stored_name}")
    return _classify(text, a.build, settings, doc.original_name)


def confirm(session: Session, actor: User, variant_id: int, method: str, reason: str
            ) -> VariantOverride:
    """Record that a single-probe MLPA event was confirmed (by ``method``): it then passes
    quality and counts like any other event."""
    access.require_role(actor, "pathologist")
    v = session.get(GenotypingVariant, variant_id) if 0 < variant_id <= genotyping.MAX_ID \
        else None
    if v is None or not access.can_see_site(actor, v.analysis.participant.site_id):
        raise NotFound("no variant %(variant_id)s visible to you", variant_id=variant_id)
    engine = genotyping.engine_variant(v.analysis, v).get("copy_number") or {}
    if v.analysis.source != "mlpa" or not engine.get("single_probe"):
        raise ValidationError("only an MLPA event seen by a single probe needs a confirmation",
                              code="bad_field")
    if v.quality_pass:
        raise Conflict("this event is already confirmed")
    method, reason = (method or "").strip(), (reason or "").strip()
    if not method:
        raise ValidationError("name the confirming method (e.g. a second MLPA probe set, "
                              "qPCR, array)", code="method_required")
    if not reason:
        raise ValidationError("a confirmation needs a reason (the result it rests on)",
                              code="reason_required")
    text = f"{method[:200]}: {reason}"[:1000]
    v.quality_pass = True
    row = VariantOverride(variant_id=v.id, field="confirmation", old_value="unconfirmed",
                          new_value="confirmed", reason=text, actor_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "genotyping.confirm", "genotyping_variant", v.id,
                 {"quality_pass": [False, True], "hgvs_c": v.hgvs_c,
                  "analysis": v.analysis_id}, text)
    return row
