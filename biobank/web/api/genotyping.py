"""Genotyping JSON API: upload (multipart), analyses, reports and the enrolment gate."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import gettext

from ...models import GenotypingAnalysis, GenotypingVariant
from ...services import access, enrollment, genotyping
from ..auth import actor
from ..genotyping import create_from_request, retry_job
from ..transaction import db_session
from . import route
from .schemas import NULLABLE_STR

CRITERION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "status", "detail", "source"],
    "properties": {
        "name": {"type": "string"}, "label": {"type": "string"},
        "status": {"type": "string", "enum": ["met", "not_met", "pending"]},
        "detail": {"type": "string"}, "source": {"type": "string"},
        "links": {"type": "array", "items": {
            "type": "object", "required": ["kind", "text"],
            "description": "the records the source cites: kind (report_version, analysis, "
                           "file, specimen, assessment, participant), the keys that find it, "
                           "its text and its UTC time (at) where it has one",
            "properties": {"kind": {"type": "string"}, "text": {"type": "string"},
                           "at": NULLABLE_STR}}},
        "flag": {"type": "string", "description": "a caution on a met criterion "
                                                  "(a specimen received damaged)"},
        "next_actor": {"type": "string", "description": "who moves a pending criterion on: "
                       "site_technician, central_lab, pathologist or coordinator"},
    },
}
GATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["participant", "decision", "criteria", "missing"],
    "properties": {
        "participant": {"type": "string"},
        "decision": {"type": "string", "enum": ["eligible", "not_eligible", "pending"]},
        "criteria": {"type": "array", "items": CRITERION_SCHEMA},
        "missing": {"type": "array", "items": {"type": "string"}},
    },
}
ANALYSIS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "participant", "state", "progress", "variants", "versions"],
    "properties": {
        "id": {"type": "integer"}, "participant": {"type": "string"},
        "state": {"type": "string"}, "progress": {"type": "integer"},
        "error": NULLABLE_STR,
        "attempt": {"type": "integer"}, "max_attempts": {"type": "integer"},
        "men1_status": NULLABLE_STR,
        "engine_version": NULLABLE_STR,
        "known_variants_version": NULLABLE_STR,
        "normal_sample": {**NULLABLE_STR, "description": "the VCF sample used as the blood "
                          "(normal) sample"},
        "tumor_sample": {**NULLABLE_STR, "description": "the VCF sample used as the tumour "
                         "sample"},
        "variants": {"type": "array", "items": {"type": "object"}},
        "versions": {"type": "array", "items": {"type": "object"}},
    },
}


def _variant(v: GenotypingVariant) -> dict[str, Any]:
    return {
        "id": v.id, "hgvs_c": v.hgvs_c, "hgvs_p": v.hgvs_p, "consequence": v.consequence,
        "origin": v.origin, "engine_origin": v.engine_origin,
        "classification": v.classification, "engine_classification": v.engine_classification,
        "oncogenicity": v.oncogenicity, "engine_oncogenicity": v.engine_oncogenicity,
        "qualifying": genotyping.qualifying(v), "quality_pass": v.quality_pass,
        "in_tumor": v.in_tumor,
        "normal": {"depth": v.normal_depth, "vaf": v.normal_vaf},
        "tumor": {"depth": v.tumor_depth, "vaf": v.tumor_vaf},
        "evidence": list(v.evidence),
    }


def analysis_json(a: GenotypingAnalysis) -> dict[str, Any]:
    job = a.job
    return {
        "id": a.id, "participant": a.participant.code,
        "state": job.state if job else "queued", "progress": job.progress if job else 0,
        "error": job.error if job else None,
        "attempt": job.attempt if job else 0, "max_attempts": job.max_attempts if job else 0,
        "men1_status": genotyping.effective_status(a) if a.variants or (
            job and job.state == "done") else None,
        "engine_version": a.engine_version, "known_variants_version": a.known_variants_version,
        "assay": {"caller": a.caller, "caller_version": a.caller_version, "assay": a.assay,
                  "build": a.build},
        "files": [{"role": i.role, "sha256": i.file.sha256} for i in a.inputs],
        "normal_specimen": a.normal_specimen.barcode if a.normal_specimen else None,
        "tumor_specimen": a.tumor_specimen.barcode if a.tumor_specimen else None,
        "normal_sample": a.normal_sample, "tumor_sample": a.tumor_sample,
        "warnings": list(a.warnings),
        "variants": [_variant(v) for v in a.variants],
        "versions": [
            {"report": v.report_id, "version": v.version, "amended": v.amended,
             "amendment_reason": v.amendment_reason, "men1_status": v.men1_status,
             "signed_by": v.signer_name, "signed_at": v.signed_at.isoformat(),
             "meaning": v.meaning}
            for v in (a.report.versions if a.report else [])
        ],
    }


SAMPLE_SOURCE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["sample", "source"],
    "properties": {
        "sample": NULLABLE_STR,
        "source": {"type": "string", "nullable": True,
                   "enum": [*genotyping.SAMPLE_SOURCES, None],
                   "description": "request: named in the body; header: declared by "
                   "##normal_sample/##tumor_sample or ##SAMPLE; detected: the engine's "
                   "detection (caller conventions, NORMAL/TUMOR columns, the one sample of a "
                   "single-sample file); specimen: the sample named as the linked specimen's "
                   "barcode; null: the file names no sample (a copy-number table)"},
        "declared_by": {**NULLABLE_STR, "description": "the header line that fixes it"},
    },
}
UPLOAD_SCHEMA: dict[str, Any] = {
    **ANALYSIS_SCHEMA,
    "properties": {
        **ANALYSIS_SCHEMA["properties"],
        "proposal": {
            "type": "object",
            "description": "what the files' headers said and where each role's sample came "
                           "from (the page's confirmation step shows the same)",
            "properties": {
                "samples": {"type": "object", "properties": {
                    "normal": SAMPLE_SOURCE_SCHEMA, "tumor": SAMPLE_SOURCE_SCHEMA}},
                "caller_found": {"type": "string"}, "caller_version_found": NULLABLE_STR,
                "build_found": NULLABLE_STR,
            },
        },
    },
}


@route("/participants/<code>/genotyping", "POST",
       summary="Upload a paired VCF, or a blood and/or tumour VCF, in one step (multipart "
               "form: files paired|normal|tumor; fields normal_specimen, tumor_specimen, "
               "assay, and optionally normal_sample, tumor_sample, caller, caller_version, "
               "build). Fields left out are taken from the headers as the page's "
               "confirmation step proposes them: each role's sample as the header declares it "
               "(##normal_sample/##tumor_sample, ##SAMPLE) or the engine detects it, else the "
               "linked specimen's barcode; the caller and the build found. A sample name that "
               "contradicts the header's declaration is refused (422 contradicts_header), as "
               "is a role the header leaves ambiguous and the body does not name (422 "
               "sample_required). The answer's proposal says where each sample came from.",
       response=UPLOAD_SCHEMA, status=201, errors=(401, 403, 404, 413, 422))
def upload_genotyping(code: str) -> Any:
    a, created, plan = create_from_request(code)
    return jsonify({**analysis_json(a), "proposal": plan.as_dict()}), 201 if created else 200


@route("/genotyping/analyses/<int:analysis_id>", "GET",
       summary="One genotyping analysis: job state, variants, signed versions",
       response=ANALYSIS_SCHEMA, params={"analysis_id": {"type": "integer"}})
def get_analysis(analysis_id: int) -> Any:
    return jsonify(analysis_json(genotyping.get_analysis(db_session(), actor(), analysis_id)))


@route("/genotyping/analyses/<int:analysis_id>/retry", "POST",
       summary="Queue a failed classification again (pathologist)",
       response=ANALYSIS_SCHEMA, status=202, errors=(401, 403, 404, 409),
       params={"analysis_id": {"type": "integer"}})
def retry_analysis(analysis_id: int) -> Any:
    s = db_session()
    access.require_role(actor(), "pathologist")  # before the lookup: 403 beats 404
    a = genotyping.get_analysis(s, actor(), analysis_id)
    retry_job(a)
    return jsonify(analysis_json(a)), 202


@route("/participants/<code>/enrollment-gate", "GET",
       summary="May this participant enrol? The decision with every criterion and its source",
       response=GATE_SCHEMA)
def enrollment_gate(code: str) -> Any:
    s = db_session()
    gate = enrollment.evaluate(s, access.get_participant(s, actor(), code))
    # Criterion texts in the request's language (Accept-Language, or the account's choice).
    return jsonify(gate.as_dict(gettext))
