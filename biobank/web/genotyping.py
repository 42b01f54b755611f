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
from itsdangerous import BadSignature, URLSafeTimedSerializer

from .. import get_db
from ..errors import BiobankError, Conflict, FieldError, NotFound, ValidationError
from ..inputs import Choice, Spec, Text
from ..models import EligibilityAssessment, GenotypingAnalysis, GenotypingVariant
from ..services import (
    access,
    enrollment,
    genotyping,
    jobs,
    reports_pdf,
    rereview,
    upload_store,
)
from ..services import worklist as worklist_service
from . import local_time, select_locale, translate_message
from .auth import actor, client_address, login_required, roles_required, signature_policy
from .boundary import form, upload_form
from .errors import error_response
from .transaction import db_session, record_refusal, refusals, retry_conflicts

bp = Blueprint("genotyping", __name__, url_prefix="/genotyping")

def settings(app: Flask | None = None) -> genotyping.Settings:
    app = app or current_app
    return genotyping.Settings.from_config(app.config, app.instance_path)


UPLOAD_ENDPOINTS = frozenset({"genotyping.upload", "api.upload_genotyping", "genotyping.receive"})
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
                for e in ("genotyping.upload", "api.upload_genotyping")}
#: The page's two steps: the files (and the specimens they come from), then the confirmation
#: of what their headers say.
RECEIVE = upload_form("genotyping.receive", UPLOAD_FILES, normal_specimen=Text(64),
                      tumor_specimen=Text(64))
CONFIRM = form("genotyping.confirm", received=Text(4000, required=True),
               **{k: v for k, v in _UPLOAD_FIELDS.items()})
CONFIRM_FIELDS = tuple(_UPLOAD_FIELDS)
#: A received upload waits this long for its confirmation (a day: a pathologist may be
#: called away between the two steps; the files stay stored either way).
RECEIVED_MAX_AGE = 24 * 3600
OVERRIDE = form("genotyping.override", field=Choice(tuple(genotyping.OVERRIDABLE)),
                value=Text(64), reason=Text(1000))
RETRY = form("genotyping.retry")
SIGN = form("genotyping.sign", confirm=Text(8), password=Text(256))
AMEND = form("genotyping.amend", confirm=Text(8), password=Text(256), reason=Text(1000))
CRITERIA = form("genotyping.record_criteria", source=Text(300), **enrollment.FIELD_SPECS)


class UploadTooLarge(BiobankError):
    """The declared body is over the upload limit. The answer names the limit, so that whoever
    sends a whole-genome gVCF knows what will fit (the page's script says the same before
    sending); the code stays the one the bare 413 had."""

    status = 413
    code = "request_entity_too_large"


def upload_limit_check() -> None:
    """413 before the body is read: by the declared length, and capped while streaming."""
    if request.endpoint not in STREAMED_ENDPOINTS:
        return
    limit = settings().max_bytes + 1024 * 1024  # room for the form fields around the file
    if request.content_length is not None and request.content_length > limit:
        # abort() with the answer itself: no error handler runs, so nothing reads the body
        # (a page form's refusal would re-read the form to show it again).
        abort(error_response(UploadTooLarge(
            "The files are larger than the upload limit (%(limit)s).",
            limit=upload_limits()["upload_max_text"])))
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


def create_from_request(code: str) -> tuple[GenotypingAnalysis, bool, genotyping.OneStepPlan]:
    """Shared by the one-step page form and the API: store the files, read their headers,
    take from them what the body does not say (sample roles, caller, build:
    :func:`genotyping.plan_one_step`, which refuses a mapping the header contradicts), create
    the analysis, classify small inputs now and large ones on the job runner."""
    upload_limit_check()  # already done before the body was read; harmless again
    user = actor()
    access.require_role(user, "pathologist")
    uploads = [
        genotyping.Upload(role, f.stream, f.filename or "")
        for role in UPLOAD_FILES
        if (f := request.files.get(role)) is not None and (f.filename or f.content_length)
    ]
    fields = UPLOAD_FORMS[request.endpoint or "genotyping.upload"].read()
    got = genotyping.receive(db_session(), user, code, uploads, settings())
    plan = genotyping.plan_one_step(
        got, {"normal": fields.get("normal_specimen") or None,
              "tumor": fields.get("tumor_specimen") or None},
        {"normal": fields.get("normal_sample") or None,
         "tumor": fields.get("tumor_sample") or None},
        fields.get("caller", ""), fields.get("caller_version", ""), fields.get("build", ""))
    req = genotyping.AnalysisRequest(
        participant_code=code, uploads=[], stored=[(r.role, r.file.sha256) for r in got],
        normal_specimen=fields.get("normal_specimen") or None,
        tumor_specimen=fields.get("tumor_specimen") or None,
        normal_sample=plan.samples.get("normal", (None, None))[0],
        tumor_sample=plan.samples.get("tumor", (None, None))[0],
        caller=plan.caller, caller_version=plan.caller_version,
        assay=fields.get("assay", ""), build=plan.build,
    )
    analysis, created = start_analysis(req)
    return analysis, created, plan


def start_analysis(req: genotyping.AnalysisRequest) -> tuple[GenotypingAnalysis, bool]:
    """Create the analysis of ``req``; classify small inputs now and large ones on the job
    runner; the same inputs again find the existing analysis (retried if it had failed)."""
    s = db_session()
    conf = settings()
    analysis, created = genotyping.create_analysis(s, actor(), req, conf)
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


def retry_job(analysis: GenotypingAnalysis) -> None:
    """Queue the analysis's failed classification again with the site's budget of attempts
    (JOBS_MAX_ATTEMPTS, as a new job gets): the page, the API and a re-upload share it."""
    if analysis.job is None:
        raise Conflict("this analysis has no classification job", code="not_failed")
    jobs.retry(db_session(), actor(), analysis.job,
               int(current_app.config["JOBS_MAX_ATTEMPTS"]))


def retry_failed(analysis: GenotypingAnalysis) -> bool:
    """The same files uploaded again after a failed classification: run it again."""
    if analysis.job is None or analysis.job.state != "failed":
        return False
    retry_job(analysis)
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
    specs = _specimens_of(p.id)
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
    analysis, created, _plan = create_from_request(code)
    _say_started(created, _("Uploaded; classification started."))
    return _go(url_for(".analysis", analysis_id=analysis.id))


def _say_started(created: bool, started: str) -> None:
    if g.get("genotyping_retried"):
        flash(_("These files were uploaded before and their classification failed: it is "
                "queued again."), "success")
    else:
        flash(started if created else
              _("These files were already uploaded: showing the existing result."),
              "success" if created else "info")


def _go(target: str) -> Any:
    """After an upload: the form's script follows HX-Redirect itself; a plain form a 303."""
    if request.headers.get("HX-Request"):
        resp = make_response("", 200)
        resp.headers["HX-Redirect"] = target
        return resp
    return redirect(target, code=303)


def _received_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="genotyping.received")


@bp.route("/participants/<code>/receive", methods=["POST"])
@roles_required("pathologist")
def receive(code: str) -> Any:
    """Step one: the files are stored (streamed, as one upload is) and their headers read;
    the confirmation page shows what they say. Nothing is classified yet."""
    upload_limit_check()
    uploads = [
        genotyping.Upload(role, f.stream, f.filename or "")
        for role in UPLOAD_FILES
        if (f := request.files.get(role)) is not None and (f.filename or f.content_length)
    ]
    fields = RECEIVE.read()
    got = genotyping.receive(db_session(), actor(), code, uploads, settings())
    token = _received_serializer().dumps({
        "p": code, "u": actor().id, "f": [[r.role, r.file.sha256] for r in got],
        "n": fields.get("normal_specimen") or "", "t": fields.get("tumor_specimen") or ""})
    return _go(url_for(".confirm", code=code, received=token))


def _received(code: str, token: str) -> dict[str, Any]:
    """The first step's record, signed by this app for this user and participant."""
    try:
        doc = _received_serializer().loads(token, max_age=RECEIVED_MAX_AGE)
    except BadSignature:
        raise ValidationError("the received upload has expired or is not valid; upload the "
                              "files again", code="upload_expired") from None
    if not isinstance(doc, dict) or doc.get("p") != code or doc.get("u") != actor().id:
        raise ValidationError("the received upload has expired or is not valid; upload the "
                              "files again", code="upload_expired")
    return doc


#: The confirmation form's field for each refusal code of the services (the rest go on top).
CONFIRM_FIELD_OF_CODE = {"caller_required": "caller", "bad_assay": "assay",
                         "bad_build": "build", "sample_mapping": "tumor_sample"}


def _confirm_page(code: str, token: str, values: dict[str, str], errors: dict[str, str]
                  ) -> str:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    doc = _received(code, token)
    got = genotyping.received_files(s, actor(), [(r, h) for r, h in doc["f"]], settings())
    proposal = genotyping.propose(got)
    specs = _specimens_of(p.id)
    return render_template(
        "genotyping/confirm.html", participant=p, received=got, proposal=proposal,
        token=token, values=values, errors=errors,
        normal_specimens=[x for x in specs if x.specimen_type in genotyping.NORMAL_TYPES],
        tumor_specimens=[x for x in specs if x.specimen_type in genotyping.TUMOR_TYPES],
        needs={role: any(r.role in kinds for r in got)
               for role, kinds in genotyping.ROLE_FILES.items()},
        assays=genotyping.ASSAYS, builds=genotyping.BUILDS)


def _confirm_refused(exc: BiobankError, code: str) -> str:
    """The confirmation page again with the refusal beside its field. Only a service's
    ValidationError with a valid first step can be shown there: otherwise (an expired or forged
    token, a refusal of who is asking) raising hands the refusal to the error page."""
    from .genotyping_sources import field_errors  # it imports this module

    if not isinstance(exc, ValidationError):
        raise exc
    token = request.form.get("received", "")
    _received(code, token)  # an invalid first step raises: the error page names it
    values = {k: request.form.get(k, "") for k in CONFIRM_FIELDS}
    return _confirm_page(code, token, values, field_errors(exc, CONFIRM_FIELD_OF_CODE))


@bp.route("/participants/<code>/confirm", methods=["GET", "POST"])
@roles_required("pathologist")
def confirm(code: str) -> Any:
    """Step two: the pathologist confirms the caller, the build and which sample is which
    (changeable only where the header declares no role), and the analysis is created."""
    if request.method == "GET":
        token = request.args.get("received", "")
        doc = _received(code, token)
        got = genotyping.received_files(db_session(), actor(),
                                        [(r, h) for r, h in doc["f"]], settings())
        proposal = genotyping.propose(got)
        values = {"normal_specimen": doc.get("n", ""), "tumor_specimen": doc.get("t", ""),
                  "normal_sample": proposal.proposed.get("normal", ""),
                  "tumor_sample": proposal.proposed.get("tumor", ""),
                  "caller": proposal.caller if got and got[0].header.samples else "",
                  "caller_version": proposal.caller_version, "assay": "panel",
                  "build": proposal.build or "GRCh38"}
        return _confirm_page(code, token, values, {})
    f = CONFIRM.read()
    doc = _received(code, f.get("received") or "")
    s = db_session()
    got = genotyping.received_files(s, actor(), [(r, h) for r, h in doc["f"]], settings())
    linked = {"normal": bool(f.get("normal_specimen")), "tumor": bool(f.get("tumor_specimen"))}
    names = {"normal": f.get("normal_sample") or None, "tumor": f.get("tumor_sample") or None}
    genotyping.check_mapping(got, linked, names)
    req = genotyping.AnalysisRequest(
        participant_code=code, uploads=[], stored=[(r.role, r.file.sha256) for r in got],
        normal_specimen=f.get("normal_specimen") or None,
        tumor_specimen=f.get("tumor_specimen") or None,
        normal_sample=names["normal"], tumor_sample=names["tumor"],
        caller=f.get("caller") or "", caller_version=f.get("caller_version") or "",
        assay=f.get("assay") or "", build=f.get("build") or "")
    analysis, created = start_analysis(req)
    _say_started(created, _("Confirmed; classification started."))
    return redirect(url_for(".analysis", analysis_id=analysis.id), code=303)


def _specimens_of(participant_id: int) -> list[Any]:
    from sqlalchemy import select

    from ..models import Specimen

    return list(db_session().execute(
        select(Specimen).where(Specimen.participant_id == participant_id,
                               Specimen.status != "expected").order_by(Specimen.id)).scalars())


@bp.route("/analyses/<int:analysis_id>/retry", methods=["POST"])
@roles_required("pathologist")
def retry(analysis_id: int) -> Any:
    retry_job(genotyping.get_analysis(db_session(), actor(), analysis_id))
    flash(_("Classification queued again."), "success")
    return redirect(url_for(".analysis", analysis_id=analysis_id), code=303)


@bp.route("/analyses/<int:analysis_id>")
@login_required
def analysis(analysis_id: int) -> str:
    return _analysis_page(analysis_id)


def _analysis_page(analysis_id: int, override_error: dict[str, Any] | None = None) -> str:
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
        history=genotyping.analysis_history(s, a), status_words=genotyping.status_words,
        tumour_losses=genotyping.tumour_losses,
        germline_first_hits=genotyping.germline_first_hits,
        coordinates=genotyping.variant_coordinates, override_fields=genotyping.OVERRIDE_FIELDS,
        override_error=override_error or {},
    )


@bp.route("/worklist")
@roles_required("pathologist")
def worklist() -> str:
    """What waits for the pathologist, oldest first: review, sign-out, re-review; each queue
    paged on the server (``?review_page=2``), the other queues' pages kept in the links."""
    pages: dict[str, int] = {}
    for queue in worklist_service.QUEUES:
        raw = request.args.get(f"{queue}_page")
        if raw is None:
            continue
        if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 and int(raw) >= 1):
            raise FieldError("%(field)s: the page is a whole number from 1",
                             field=f"{queue}_page", code="bad_page")
        pages[queue] = int(raw)
    work = worklist_service.worklist(db_session(), actor(), pages)

    def page_url(queue: str, n: int) -> str:
        args: dict[str, Any] = {f"{q}_page": shown for q, shown in work.pages.items()
                                if shown > 1}
        args[f"{queue}_page"] = n
        return url_for(".worklist", **args, _anchor=f"q-{queue}")

    return render_template("genotyping/worklist.html", assays=genotyping.ASSAYS, work=work,
                           page_url=page_url)


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


#: The override form's field for each refusal code of the service.
OVERRIDE_FIELD_OF_CODE = {"bad_field": "field", "bad_value": "value",
                          "reason_required": "reason"}


def _override_refused(exc: BiobankError, variant_id: int) -> tuple[str, int]:
    """The analysis page again, the refusal beside the field of the variant's form it is
    about, the reason typed kept (the request rolled back)."""
    v = db_session().get(GenotypingVariant, variant_id)
    if v is None:
        raise exc
    from .genotyping_sources import field_errors  # it imports this module

    posted = request.form.get("field", "")
    # A Conflict (the value it already has) is about the value chosen.
    errors = (field_errors(exc, OVERRIDE_FIELD_OF_CODE) if isinstance(exc, ValidationError)
              else {"value": translate_message(exc.message)})
    return _analysis_page(v.analysis_id, {
        # A refused field has no form of its own (oncogenicity of a germline variant): the
        # refusal goes above the variant's forms.
        "variant": v.id,
        "field": posted if posted in genotyping.OVERRIDABLE and set(errors) - {"field", ""}
        else "",
        "errors": errors, "reason": request.form.get("reason", ""),
        "value": request.form.get("value", "")}), exc.status


def _variant_visible(exc: BiobankError) -> bool:
    return isinstance(exc, (ValidationError, Conflict)) and not isinstance(exc, NotFound)


@bp.route("/variants/<int:variant_id>/override", methods=["POST"])
@roles_required("pathologist")
@refusals(_override_refused, when=_variant_visible)
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


def _analysis_shown(exc: Any, analysis_id: int) -> Any:
    return analysis(analysis_id)


def variant_page(exc: Any, variant_id: int) -> Any:
    """The analysis page of the variant a form was about."""
    variant = db_session().get(GenotypingVariant, variant_id)
    if variant is None:
        raise exc
    return analysis(variant.analysis_id)


def _gate_page(exc: Any, code: str) -> Any:
    # The criteria as typed, not the last recorded assessment's.
    return gate(code, typed=request.form)


# A wrong password is the password field's refusal (counted and audited all the same); the
# rest of the form is kept, the password never.
SIGN.shown_on(_analysis_shown, bad_credentials="password", confirm="confirm")
AMEND.shown_on(_analysis_shown, bad_credentials="password", confirm="confirm",
               reason_required="reason")
RETRY.shown_on(_analysis_shown)
OVERRIDE.shown_on(variant_page, reason_required="reason", invalid="value")
CRITERIA.shown_on(_gate_page, source_required="source")
for _upload_page in ("genotyping.upload",):
    UPLOAD_FORMS[_upload_page].shown_on("genotyping.participant")
RECEIVE.shown_on("genotyping.participant")
CONFIRM.shown_on(_confirm_refused)


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
def gate(code: str, typed: Any = None) -> str:
    s = db_session()
    p = access.get_participant(s, actor(), code)
    a = enrollment.latest_assessment(s, p)
    values = typed if typed is not None else (a.values if a else {})
    source = typed.get("source", "") if typed is not None else (a.source if a else "")
    return render_template(
        "genotyping/gate.html", participant=p, gate=enrollment.evaluate(s, p),
        history=enrollment.history(s, p), values=values, source=source,
        count_labs=enrollment.COUNT_LABS,
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
