"""Genotyping pages: upload VCFs, follow the classification, review and override, sign out,
print the report; the coordinator's enrolment gate with the criteria form."""

from __future__ import annotations

import os
from datetime import datetime
from typing import IO, Any

from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from .. import get_db
from ..errors import Conflict, NotFound, ValidationError
from ..inputs import Choice, Spec, Text
from ..models import EligibilityAssessment, GenotypingAnalysis
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
from . import local_time, select_locale
from .auth import actor, client_address, login_required, roles_required, signature_policy
from .boundary import form, upload_form
from .transaction import db_session, record_refusal, retry_conflicts

bp = Blueprint("genotyping", __name__, url_prefix="/genotyping")

def settings(app: Flask | None = None) -> genotyping.Settings:
    app = app or current_app
    return genotyping.Settings.from_config(app.config, app.instance_path)


UPLOAD_ENDPOINTS = frozenset({"genotyping.upload", "api.upload_genotyping"})
#: Multipart forms whose files stream straight into the upload store, under its size limit:
#: the VCF upload, and the outside report's PDF and the MLPA table (issue 19).
STREAMED_ENDPOINTS = UPLOAD_ENDPOINTS | {"sources.outside", "sources.mlpa_page"}
UPLOAD_FILES = ("paired", "normal", "tumor")
_UPLOAD_FIELDS: dict[str, Spec] = {
    "normal_specimen": Text(64), "tumor_specimen": Text(64), "normal_sample": Text(200),
    "tumor_sample": Text(200), "caller": Text(64), "caller_version": Text(64),
    "assay": Text(8), "build": Text(8)}
# The page and the API take the same multipart form.
UPLOAD_FORMS = {e: upload_form(e, UPLOAD_FILES, **_UPLOAD_FIELDS)
                for e in sorted(UPLOAD_ENDPOINTS)}
OVERRIDE = form("genotyping.override", field=Choice(tuple(genotyping.OVERRIDABLE)),
                value=Text(64), reason=Text(1000))
RETRY = form("genotyping.retry")
SIGN = form("genotyping.sign", confirm=Text(8), password=Text(256))
AMEND = form("genotyping.amend", confirm=Text(8), password=Text(256), reason=Text(1000))
CRITERIA = form("genotyping.record_criteria", source=Text(300), **enrollment.FIELD_SPECS)


def upload_limit_check() -> None:
    """413 before the body is read: by the declared length, and capped while streaming."""
    if request.endpoint not in STREAMED_ENDPOINTS:
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


class StreamingUploadRequest(Request):
    """The app's request class: a file part of an upload is streamed by the form parser
    straight into the upload store's directory, hashed as it arrives (not spooled to /tmp and
    copied again), so a multi-GB gVCF is read once and never held in memory. Files of other
    forms take Werkzeug's default."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None
                         ) -> IO[bytes]:
        if self.endpoint not in STREAMED_ENDPOINTS:
            return super()._get_file_stream(total_content_length, content_type, filename,
                                            content_length)
        conf = settings()
        os.makedirs(conf.upload_dir, exist_ok=True)
        incoming = upload_store.Incoming(conf.upload_dir, conf.max_bytes)
        self.__dict__.setdefault("_incoming", []).append(incoming)
        return incoming

    def close(self) -> None:
        # Also the parts of a body that never finished (client gone, limit reached): their
        # temporary files go now, not at the next sweep.
        super().close()
        for incoming in self.__dict__.pop("_incoming", ()):
            incoming.close()


@bp.record_once
def _install_request_class(state: Any) -> None:
    state.app.request_class = StreamingUploadRequest


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
        for role in UPLOAD_FILES
        if (f := request.files.get(role)) is not None and (f.filename or f.content_length)
    ]
    fields = UPLOAD_FORMS[request.endpoint or "genotyping.upload"].read()
    req = genotyping.AnalysisRequest(
        participant_code=code, uploads=uploads,
        normal_specimen=fields.get("normal_specimen") or None,
        tumor_specimen=fields.get("tumor_specimen") or None,
        normal_sample=fields.get("normal_sample") or None,
        tumor_sample=fields.get("tumor_sample") or None,
        caller=fields.get("caller", ""), caller_version=fields.get("caller_version", ""),
        assay=fields.get("assay", ""), build=fields.get("build", ""),
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
            queue_job(analysis)
    else:
        retry_failed(analysis)
    return analysis, created


def queue_job(analysis: GenotypingAnalysis) -> None:
    """Hand a large input to the workers: the message goes out when the request commits."""
    assert analysis.job is not None
    jobs.mark_queued(db_session(), analysis.job,
                     int(current_app.config["JOBS_MAX_ATTEMPTS"]))


def retry_failed(analysis: GenotypingAnalysis) -> bool:
    """The same files uploaded again after a failed classification: run it again."""
    if analysis.job is None or analysis.job.state != "failed":
        return False
    jobs.retry(db_session(), actor(), analysis.job)
    g.genotyping_retried = True
    return True


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
        **upload_limits(),
    )


def upload_limits() -> dict[str, Any]:
    """What the upload form's script checks before sending (the server checks it again)."""
    limit = settings().max_bytes
    text = (f"{limit / (1 << 30):g} GiB" if limit >= 1 << 30 else
            f"{limit / (1 << 20):g} MiB")
    return {"upload_max_bytes": limit, "upload_max_text": text}


@bp.route("/participants/<code>/upload", methods=["POST"])
@roles_required("pathologist")
def upload(code: str) -> Any:
    analysis, created = create_from_request(code)
    target = url_for(".analysis", analysis_id=analysis.id)
    if g.get("genotyping_retried"):
        flash(_("These files were uploaded before and their classification failed: it is "
                "queued again."), "success")
    else:
        flash(_("Uploaded; classification started.") if created else
              _("These files were already uploaded: showing the existing result."),
              "success" if created else "info")
    if request.headers.get("HX-Request"):  # the form's script follows the redirect itself
        resp = make_response("", 200)
        resp.headers["HX-Redirect"] = target
        return resp
    return redirect(target, code=303)


@bp.route("/analyses/<int:analysis_id>/retry", methods=["POST"])
@roles_required("pathologist")
def retry(analysis_id: int) -> Any:
    a = genotyping.get_analysis(db_session(), actor(), analysis_id)
    if a.job is None:
        raise Conflict("this analysis has no classification job", code="not_failed")
    jobs.retry(db_session(), actor(), a.job)
    flash(_("Classification queued again."), "success")
    return redirect(url_for(".analysis", analysis_id=analysis_id), code=303)


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
    f = OVERRIDE.read()
    row = genotyping.override(db_session(), actor(), variant_id, f.get("field") or "",
                              f.get("value", ""), f.get("reason", ""))
    flash(_("Override recorded. Sign an amendment (or the first version) to report it."),
          "success")
    return redirect(url_for(".analysis", analysis_id=row.variant.analysis_id), code=303)


@bp.route("/analyses/<int:analysis_id>/sign", methods=["POST"])
@roles_required("pathologist")
@retry_conflicts
def sign(analysis_id: int) -> Any:
    f = SIGN.read()
    if f.get("confirm") != "yes":
        raise ValidationError(_("Confirm the meaning of your signature."), code="confirm")
    record_refusal("bad_credentials")  # a wrong password is counted and audited
    v = genotyping.sign(db_session(), actor(), analysis_id, f.get("password", ""),
                        address=client_address(), policy=signature_policy())
    flash(_("Report signed: version %(n)d.", n=v.version), "success")
    return redirect(url_for(".analysis", analysis_id=analysis_id), code=303)


@bp.route("/analyses/<int:analysis_id>/amend", methods=["POST"])
@roles_required("pathologist")
@retry_conflicts
def amend(analysis_id: int) -> Any:
    f = AMEND.read()
    if f.get("confirm") != "yes":
        raise ValidationError(_("Confirm the meaning of your signature."), code="confirm")
    record_refusal("bad_credentials")  # a wrong password is counted and audited
    v = genotyping.sign(db_session(), actor(), analysis_id, f.get("password", ""),
                        amend_reason=f.get("reason", ""), address=client_address(),
                        policy=signature_policy())
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


def source_url(ref: dict[str, Any], participant: str) -> str:
    """The page that shows one record a gate criterion cites (:func:`enrollment.link`)."""
    kind = ref["kind"]
    if kind == "report_version":
        return url_for(".analysis", analysis_id=ref["analysis"],
                       _anchor=f"version-{ref['version']}")
    if kind == "file":
        return url_for(".analysis", analysis_id=ref["analysis"],
                       _anchor=f"file-{ref['sha256'][:12]}")
    if kind == "analysis":
        return url_for(".analysis", analysis_id=ref["analysis"])
    if kind == "specimen":
        return url_for("specimens.detail", barcode=ref["barcode"])
    if kind == "assessment":
        return url_for(".assessment", code=participant, assessment_id=ref["assessment"])
    return url_for("participants.detail", code=ref.get("code", participant))


def source_time(ref: dict[str, Any]) -> str:
    """A cited record's time (stored as ISO UTC) in the reader's zone; "" when it has none."""
    return local_time(datetime.fromisoformat(ref["at"])) if ref.get("at") else ""


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
        protocol_unit=enrollment.PROTOCOL_UNIT, next_actors=enrollment.NEXT_ACTORS,
        decisions=enrollment.DECISIONS, source_url=source_url, source_time=source_time,
        mismatch=enrollment.enrolment_mismatches(s, [p]).get(p.code),
    )


@bp.route("/participants/<code>/assessments/<int:assessment_id>")
@login_required
def assessment(code: str, assessment_id: int) -> str:
    """One recorded eligibility assessment: the values as entered, their source, who and when
    (what the gate's criteria cite)."""
    s = db_session()
    p = access.get_participant(s, actor(), code)
    row = s.get(EligibilityAssessment, assessment_id)
    if row is None or row.participant_id != p.id:
        raise NotFound("no eligibility assessment %(id)s for %(participant)s",
                       id=assessment_id, participant=p.code)
    latest = enrollment.latest_assessment(s, p)
    return render_template("genotyping/assessment.html", participant=p, a=row,
                           current=latest is not None and latest.id == row.id,
                           rows=enrollment.assessment_rows(row.values))


@bp.route("/participants/<code>/criteria", methods=["POST"])
@roles_required("coordinator")
def record_criteria(code: str) -> Any:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    raw = CRITERIA.read()
    source = raw.pop("source", "")
    enrollment.record_assessment(s, actor(), p, raw, source)
    flash(_("Criteria recorded."), "success")
    return redirect(url_for(".gate", code=p.code), code=303)
