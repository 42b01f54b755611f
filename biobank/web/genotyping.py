"""Genotyping pages: upload VCFs, follow the classification, review and override, sign out,
print the report; the coordinator's enrolment gate with the criteria form."""

from __future__ import annotations

import os
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from .. import get_db
from ..errors import ValidationError
from ..models import GenotypingAnalysis
from ..services import (
    access,
    audit,
    enrollment,
    genotyping,
    jobs,
    reports_pdf,
    rereview,
    upload_store,
)
from . import select_locale
from .auth import actor, login_required, roles_required
from .transaction import db_session

bp = Blueprint("genotyping", __name__, url_prefix="/genotyping")

def settings(app: Flask | None = None) -> genotyping.Settings:
    app = app or current_app
    return genotyping.Settings.from_config(app.config, app.instance_path)


def runner(app: Flask) -> jobs.JobRunner:
    r = app.extensions.get("biobank.jobs")
    if r is None:
        r = app.extensions["biobank.jobs"] = jobs.JobRunner(get_db(app))
    return r


UPLOAD_ENDPOINTS = frozenset({"genotyping.upload", "api.upload_genotyping", "sources.outside",
                              "sources.mlpa_page"})


def upload_limit_check() -> None:
    """413 before the body is read: by the declared length, and capped while streaming."""
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return
    limit = settings().max_bytes + 1024 * 1024  # room for the form fields around the file
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    request.max_content_length = limit


@bp.record_once
def _install_limit(state: Any) -> None:
    # First of the app's before-request functions: the CSRF check reads the form (the body),
    # so the per-route limit must run before it.
    state.app.before_request_funcs.setdefault(None, []).insert(0, upload_limit_check)


def sweep_uploads_once() -> None:
    """On a process's first request (the instance path is final by then): a worker killed
    between placing an upload and committing its row left the file behind; its replacement
    removes it before serving."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions.get("biobank.uploads_swept") == os.getpid():
        return
    app.extensions["biobank.uploads_swept"] = os.getpid()
    upload_store.sweep_at_start(get_db(app), settings(app).upload_dir)


@bp.record_once
def _install_sweep(state: Any) -> None:
    state.app.before_request(sweep_uploads_once)


def create_from_request(code: str) -> tuple[GenotypingAnalysis, bool]:
    """Shared by the page and the API: store the files, create the analysis, classify small
    inputs now and large ones on the job runner."""
    upload_limit_check()  # already done before the body was read; harmless again
    user = actor()
    access.require_role(user, "pathologist")
    uploads = [
        genotyping.Upload(role, f.stream, f.filename or "")
        for role in ("paired", "normal", "tumor")
        if (f := request.files.get(role)) is not None and (f.filename or f.content_length)
    ]
    form = request.form
    req = genotyping.AnalysisRequest(
        participant_code=code, uploads=uploads,
        normal_specimen=form.get("normal_specimen") or None,
        tumor_specimen=form.get("tumor_specimen") or None,
        normal_sample=form.get("normal_sample") or None,
        tumor_sample=form.get("tumor_sample") or None,
        caller=form.get("caller", ""), caller_version=form.get("caller_version", ""),
        assay=form.get("assay", ""), build=form.get("build", ""),
    )
    s = db_session()
    conf = settings()
    analysis, created = genotyping.create_analysis(s, user, req, conf)
    if created:
        inline_max = int(current_app.config.get("GENOTYPING_INLINE_MAX_BYTES",
                                                genotyping.DEFAULT_INLINE_MAX))
        if genotyping.total_size(analysis) <= inline_max:
            genotyping.run_inline(s, analysis, conf)
        else:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            job = analysis.job
            assert job is not None
            db = get_db(app)
            work = genotyping.background_work(
                db, conf, lambda jid, pct, step: jobs.set_progress(db, jid, pct, step))
            runner(app).submit(job.id, work)
    return analysis, created


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------
@bp.route("/participants/<code>")
@login_required
def participant(code: str) -> str:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    from sqlalchemy import select

    from ..models import Specimen

    specs = s.execute(select(Specimen).where(Specimen.participant_id == p.id,
                                             Specimen.status != "expected")
                      .order_by(Specimen.id)).scalars().all()
    return render_template(
        "genotyping/participant.html", participant=p,
        analyses=genotyping.analyses_of(s, p),
        normal_specimens=[x for x in specs if x.specimen_type in genotyping.NORMAL_TYPES],
        tumor_specimens=[x for x in specs if x.specimen_type in genotyping.TUMOR_TYPES],
        assays=genotyping.ASSAYS, builds=genotyping.BUILDS,
    )


@bp.route("/participants/<code>/upload", methods=["POST"])
@roles_required("pathologist")
def upload(code: str) -> Any:
    analysis, created = create_from_request(code)
    flash(_("Uploaded; classification started.") if created else
          _("These files were already uploaded: showing the existing result."),
          "success" if created else "info")
    return redirect(url_for(".analysis", analysis_id=analysis.id), code=303)


@bp.route("/analyses/<int:analysis_id>")
@login_required
def analysis(analysis_id: int) -> str:
    s = db_session()
    a = genotyping.get_analysis(s, actor(), analysis_id)
    last = genotyping.latest_version(a)
    current = genotyping.report_content(a) if a.job and a.job.state == "done" else None
    changed = bool(last and current and
                   genotyping._digest(last.content) != genotyping._digest(current))
    return render_template(
        "genotyping/analysis.html", a=a, job=a.job, last=last, current=current,
        changed=changed, classifications=genotyping.CLASSIFICATIONS,
        oncogenicities=genotyping.ONCOGENICITIES, tumour_origins=genotyping.TUMOUR_ORIGINS,
        engine_variant=genotyping.engine_variant,
        origins=genotyping.ORIGINS, qualifying=genotyping.qualifying,
        meaning=genotyping.SIGNATURE_MEANING,
        rereviews=rereview.open_suggestions(s, a.id), rereview_fields=rereview.FIELDS,
        history=audit.history(s, "genotyping_analysis", a.id),
    )


@bp.route("/analyses/<int:analysis_id>/job")
@login_required
def job_status(analysis_id: int) -> Response:
    s = db_session()
    a = genotyping.get_analysis(s, actor(), analysis_id)
    resp = make_response(render_template("genotyping/_job.html", a=a, job=a.job))
    if a.job is not None and a.job.state in ("done", "failed") and request.headers.get(
            "HX-Request") and request.args.get("polling"):
        resp.headers["HX-Refresh"] = "true"
    return resp


@bp.route("/variants/<int:variant_id>/override", methods=["POST"])
@roles_required("pathologist")
def override(variant_id: int) -> Any:
    row = genotyping.override(db_session(), actor(), variant_id, request.form.get("field", ""),
                              request.form.get("value", ""), request.form.get("reason", ""))
    flash(_("Override recorded. Sign an amendment (or the first version) to report it."),
          "success")
    return redirect(url_for(".analysis", analysis_id=row.variant.analysis_id), code=303)


@bp.route("/analyses/<int:analysis_id>/sign", methods=["POST"])
@roles_required("pathologist")
def sign(analysis_id: int) -> Any:
    if request.form.get("confirm") != "yes":
        raise ValidationError(_("Confirm the meaning of your signature."), code="confirm")
    v = genotyping.sign(db_session(), actor(), analysis_id, request.form.get("password", ""))
    flash(_("Report signed: version %(n)d.", n=v.version), "success")
    return redirect(url_for(".analysis", analysis_id=analysis_id), code=303)


@bp.route("/analyses/<int:analysis_id>/amend", methods=["POST"])
@roles_required("pathologist")
def amend(analysis_id: int) -> Any:
    if request.form.get("confirm") != "yes":
        raise ValidationError(_("Confirm the meaning of your signature."), code="confirm")
    v = genotyping.sign(db_session(), actor(), analysis_id, request.form.get("password", ""),
                        amend_reason=request.form.get("reason", ""))
    flash(_("Amendment signed: version %(n)d.", n=v.version), "success")
    return redirect(url_for(".analysis", analysis_id=analysis_id), code=303)


@bp.route("/reports/<int:report_id>/v<int:version>.pdf")
@login_required
def report_pdf(report_id: int, version: int) -> Response:
    v = genotyping.get_version(db_session(), actor(), report_id, version)
    resp = make_response(reports_pdf.render(v, select_locale() or "en", actor().site.timezone))
    resp.headers["Content-Type"] = "application/pdf"
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="MEN1-report-{v.content["participant"]}-v{version}.pdf"')
    return resp


@bp.route("/participants/<code>/gate")
@login_required
def gate(code: str) -> str:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    a = enrollment.latest_assessment(s, p)
    return render_template(
        "genotyping/gate.html", participant=p, gate=enrollment.evaluate(s, p),
        history=enrollment.history(s, p), values=a.values if a else {},
        source=a.source if a else "", count_labs=enrollment.COUNT_LABS,
        uln_labs=enrollment.ULN_LABS, exclusions=enrollment.EXCLUSIONS,
        protocol_unit=enrollment.PROTOCOL_UNIT,
    )


@bp.route("/participants/<code>/criteria", methods=["POST"])
@roles_required("coordinator")
def record_criteria(code: str) -> Any:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    raw = {k: v for k, v in request.form.items() if k in enrollment.ALL_FIELDS}
    enrollment.record_assessment(s, actor(), p, raw, request.form.get("source", ""))
    flash(_("Criteria recorded."), "success")
    return redirect(url_for(".gate", code=p.code), code=303)
