"""Genotyping pages for results that are not VCF uploads: an outside laboratory's report
entered as HGVS with its PDF attached, and the stored document of such an analysis.

A refused field is shown beside its field with the other inputs kept (422); nothing is
written (the request rolls back).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from ..errors import ValidationError
from ..models import GenotypingInput, Specimen
from ..services import access, genotyping, mlpa, outside_results
from . import translate_message
from .auth import actor, login_required, roles_required
from .genotyping import settings
from .transaction import db_session

bp = Blueprint("sources", __name__, url_prefix="/genotyping")

def field_errors(exc: ValidationError, fields: dict[str, str]) -> dict[str, str]:
    """The refusal, translated, keyed by the form field its code is about (``fields``; ""
    for the form as a whole)."""
    return {fields.get(exc.code, ""): translate_message(exc.message)}


def _upload(name: str) -> genotyping.Upload | None:
    """The file the form sent as ``name`` (None when none was chosen)."""
    f = request.files.get(name)
    if f is None or not (f.filename or f.content_length):
        return None
    return genotyping.Upload("normal", f.stream, f.filename or "")


@bp.route("/participants/<code>/outside", methods=["GET", "POST"])
@login_required
def outside(code: str) -> Any:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    access.require_role(actor(), "pathologist")
    values = {name: request.form.get(name, "") for name in outside_results.FIELDS
              if name != "report"}
    values.setdefault("build", "GRCh38")
    if request.method == "GET":
        return render_template("genotyping/outside.html", participant=p, values=values,
                               errors={}, builds=genotyping.BUILDS)
    upload = _upload("report")
    req = outside_results.OutsideRequest(
        participant_code=code, hgvs=values["hgvs"], lab=values["lab"],
        report_date=values["report_date"], accession=values["accession"], report=upload,
        build=values["build"] or "GRCh38")
    try:
        analysis, created = outside_results.create(s, actor(), req, settings())
    except ValidationError as exc:
        s.rollback()
        errors = field_errors(exc, outside_results.FIELD_OF_CODE)
        page = render_template("genotyping/outside.html", participant=p, values=values,
                               errors=errors, builds=genotyping.BUILDS)
        return page, 422
    flash(_("Outside result recorded and classified; review it and sign it out.") if created
          else _("This outside result was already recorded: showing it."),
          "success" if created else "info")
    return redirect(url_for("genotyping.analysis", analysis_id=analysis.id), code=303)


def _blood_specimens(participant_id: int) -> list[Specimen]:
    from sqlalchemy import select

    return [x for x in db_session().execute(
        select(Specimen).where(Specimen.participant_id == participant_id,
                               Specimen.status != "expected").order_by(Specimen.id)).scalars()
        if x.specimen_type in genotyping.NORMAL_TYPES]


@bp.route("/participants/<code>/mlpa", methods=["GET", "POST"])
@login_required
def mlpa_page(code: str) -> Any:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    access.require_role(actor(), "pathologist")
    values = {"normal_specimen": request.form.get("normal_specimen", ""),
              "build": request.form.get("build", "GRCh38") or "GRCh38"}
    specimens = _blood_specimens(p.id)

    def page(errors: dict[str, str]) -> str:
        return render_template("genotyping/mlpa.html", participant=p, values=values,
                               errors=errors, builds=genotyping.BUILDS, specimens=specimens)

    if request.method == "GET":
        return page({})
    upload = _upload("table")
    req = mlpa.MlpaRequest(participant_code=code, normal_specimen=values["normal_specimen"],
                           table=upload, build=values["build"])
    try:
        analysis, created = mlpa.create(s, actor(), req, settings())
    except ValidationError as exc:
        s.rollback()
        return page(field_errors(exc, mlpa.FIELD_OF_CODE)), 422
    flash(_("MLPA table imported and classified; review it and sign it out.") if created
          else _("This MLPA table was already imported: showing it."),
          "success" if created else "info")
    return redirect(url_for("genotyping.analysis", analysis_id=analysis.id), code=303)


@bp.route("/variants/<int:variant_id>/confirm", methods=["POST"])
@roles_required("pathologist")
def confirm(variant_id: int) -> Any:
    row = mlpa.confirm(db_session(), actor(), variant_id, request.form.get("method", ""),
                       request.form.get("reason", ""))
    flash(_("Confirmation recorded. Sign an amendment (or the first version) to report it."),
          "success")
    return redirect(url_for("genotyping.analysis", analysis_id=row.variant.analysis_id),
                    code=303)


@bp.route("/analyses/<int:analysis_id>/documents/<int:input_id>")
@login_required
def document(analysis_id: int, input_id: int) -> Response:
    """An analysis's stored document (an outside report's PDF, an MLPA table), by the
    analysis it belongs to (site scoping), never by its file name."""
    s = db_session()
    a = genotyping.get_analysis(s, actor(), analysis_id)
    row = s.get(GenotypingInput, input_id)
    if row is None or row.analysis_id != a.id or a.source == "vcf":
        return Response(status=404)
    path = f"{settings().upload_dir}/{row.file.stored_name}"
    mimetype = {"pdf": "application/pdf", "csv": "text/csv"}.get(row.file.kind,
                                                                 "application/octet-stream")
    return send_file(path, mimetype=mimetype, as_attachment=True,
                     download_name=f"analysis-{a.id}-{row.file.sha256[:12]}.{row.file.kind}")
