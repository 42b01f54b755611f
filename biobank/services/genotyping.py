"""Genotyping: VCF uploads linked to the sequenced specimens, classification through the MEN1
engine (``variant_calling``, in-process), variant review with overrides, and signed reports.

Files are content-addressed (``<upload_dir>/<sha256>.vcf[.gz]|.bcf``); their type is decided by
their first bytes, never by the name the client sent. The same inputs again find the existing
analysis instead of classifying twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import variant_calling
from variant_calling import HeaderSummary, InputFile, Men1Error
from variant_calling.qualify import (
    GERMLINE_ORIGINS,
    TUMOUR_ORIGINS,
    Verdict,
    men1_status,
    qualifies,
)

from .. import vocabulary
from ..errors import Conflict, FieldError, NotFound, ValidationError
from ..i18n import N_, term
from ..models import (
    ClassificationJob,
    GenotypingAnalysis,
    GenotypingFile,
    GenotypingInput,
    GenotypingReport,
    GenotypingVariant,
    Participant,
    ReportVersion,
    Specimen,
    User,
    VariantOverride,
    utcnow,
)
from . import access, audit, specimens, throttle, upload_store, users

CHUNK = 1 << 20
# A whole-genome gVCF (needed to tell "not covered" from "none detected") is several GB
# compressed and several times that decompressed; the engine streams it, so the decompressed
# cap only bounds a zip bomb's run time.
DEFAULT_UPLOAD_MAX = 8 * 1024 * 1024 * 1024
DEFAULT_INLINE_MAX = 1024 * 1024
DEFAULT_DECOMPRESSED_MAX = 64 * 1024 * 1024 * 1024
VCF_MAGIC = b"##fileformat=VCF"
CNS_MAGIC = b"chromosome\tstart\tend"
BCF_MAGIC = b"BCF\x02"
GZIP_MAGIC = b"\x1f\x8b"
# The labels are the vocabulary's; these names stay for the code that validates with them.
ASSAYS = vocabulary.ASSAYS
BUILDS = ("GRCh38", "GRCh37")
CLASSIFICATIONS = vocabulary.CLASSIFICATIONS
ORIGINS = vocabulary.ORIGINS
ONCOGENICITIES = vocabulary.ONCOGENICITIES
# What a linked specimen may be: germline DNA comes from blood, tumour DNA from the tumour.
NORMAL_TYPES = frozenset({"whole_blood_edta", "buffy_coat", "germline_dna"})
TUMOR_TYPES = frozenset({"ffpe_block", "ffpe_slides", "ffpe_curls", "fresh_frozen_tissue",
                         "tumour_dna"})
SIGNATURE_MEANING = "Reviewed and approved"


@dataclass(frozen=True)
class Upload:
    """One file as received: its role (paired | normal | tumor), a binary stream, the name."""

    role: str
    stream: IO[bytes]
    filename: str = ""


@dataclass
class AnalysisRequest:
    participant_code: str
    uploads: list[Upload]
    normal_specimen: str | None = None
    tumor_specimen: str | None = None
    normal_sample: str | None = None
    tumor_sample: str | None = None
    caller: str = ""
    caller_version: str = ""
    assay: str = ""
    build: str = ""
    #: Files received earlier (the page's first step): (role, sha256) each.
    stored: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Settings:
    upload_dir: str
    max_bytes: int
    max_decompressed: int
    #: A ClinVar VCF replacing the engine's shipped known-variant table (None: the shipped one).
    known_variants: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: str) -> Settings:
        """From the app's configuration (pages, workers and CLI commands alike)."""
        return cls(
            # UPLOAD_DIR is shared by every app server and worker (docs/DEPLOY.md).
            upload_dir=str(config.get("UPLOAD_DIR") or os.path.join(instance_path, "uploads")),
            max_bytes=int(config.get("GENOTYPING_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX)),
            max_decompressed=int(config.get("GENOTYPING_MAX_DECOMPRESSED_BYTES",
                                            DEFAULT_DECOMPRESSED_MAX)),
            known_variants=config.get("MEN1_KNOWN_VARIANTS") or None,
        )


@dataclass
class ClassifyInput:
    """What the engine needs, read from the database (no session held while it runs)."""

    analysis_id: int
    files: list[tuple[str, str]]  # (path, role)
    normal_sample: str | None
    tumor_sample: str | None
    build: str
    expected: dict[str, str] = field(default_factory=dict)  # role -> sample name
    names: dict[str, str] = field(default_factory=dict)  # stored path -> the uploaded name


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------
def _safe_name(name: str) -> str:
    """The client's file name for display only: last path part, printable, bounded."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in base if ch.isprintable() and ch not in "<>\"'")
    return clean.strip()[:255] or "upload"


def sniff(head: bytes) -> str:
    """The kind of a file from its first bytes: ``vcf`` or ``gz`` (BGZF/gzip, checked later)."""
    if not head:
        raise ValidationError("the file is empty", code="empty_file")
    if head.startswith(GZIP_MAGIC):
        return "gz"
    if head.startswith(b"\xef\xbb\xbf" + VCF_MAGIC) or head.startswith(VCF_MAGIC):
        return "vcf"
    if head.lstrip(b"\xef\xbb\xbf").startswith(CNS_MAGIC):
        return "cns"  # a CNVkit segment table (copy number; issue 19)
    shown = head[:8].decode("latin-1")
    shown = "".join(ch if ch.isprintable() else "." for ch in shown)
    kind = "a PDF document" if head.startswith(b"%PDF") else f"content starting {shown!r}"
    raise ValidationError(
        "not a VCF: expected '##fileformat=VCF' text or a bgzipped VCF/BCF, found %(kind)s",
        kind=kind, code="not_vcf")


def decompressed_kind(path: str, cap: int, *, head_only: bool = False) -> str:
    """Stream-decompress a gzip/BGZF file (memory flat), refusing more than ``cap`` bytes of
    output (a decompression bomb); return ``vcf.gz`` or ``bcf`` from the decompressed magic.
    ``head_only`` stops once the magic is known (the full pass runs off the request thread)."""
    out_total = 0
    head = b""
    with open(path, "rb") as fh:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            data = chunk
            while data:
                try:
                    out = d.decompress(data, CHUNK)
                except zlib.error as exc:
                    raise ValidationError(
                        "the compressed file is damaged (%(reason)s)",
                        reason=str(exc), code="bad_gzip") from exc
                out_total += len(out)
                if len(head) < 16:
                    head += out[: 16 - len(head)]
                if head_only and len(head) >= 16:
                    break
                if out_total > cap:
                    raise ValidationError(
                        "the file decompresses to more than %(mib)s MiB; refused (decompression "
                        "limit)",
                        mib=cap // (1 << 20), code="too_large_decompressed")
                if d.unconsumed_tail:
                    data = d.unconsumed_tail
                elif d.eof:
                    data = d.unused_data  # next gzip member (BGZF is many members)
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    if not data:
                        break
                else:
                    data = b""
            if head_only and len(head) >= 16:
                break
    if head.startswith(VCF_MAGIC) or head.startswith(b"\xef\xbb\xbf" + VCF_MAGIC):
        return "vcf.gz"
    if head.startswith(BCF_MAGIC):
        return "bcf"
    if not head:
        raise ValidationError("the compressed file is empty or truncated", code="empty_file")
    raise ValidationError("not a VCF: the compressed content is neither VCF text nor BCF",
                          code="not_vcf")


def store_file(session: Session, actor: User, upload: Upload, settings: Settings, *,
               sniffer: Callable[[bytes], str] = sniff) -> GenotypingFile:
    """Put the upload in the store under its SHA-256 with a size cap; the same content again
    returns the existing row. A request's upload arrives already streamed into the store's
    directory and hashed (:class:`upload_store.Incoming`); any other stream is copied there.
    ``sniffer`` names the kind from the first bytes (or refuses them): VCF/BCF by default; an
    outside report's PDF or an MLPA table use their own."""
    os.makedirs(settings.upload_dir, exist_ok=True)
    upload_store.sweep(session, settings.upload_dir)
    incoming = upload.stream
    if not (isinstance(incoming, upload_store.Incoming)
            and incoming.directory == settings.upload_dir):
        incoming = upload_store.Incoming.copy_of(upload.stream, settings.upload_dir,
                                                 settings.max_bytes)
    try:
        if incoming.size > settings.max_bytes:
            raise upload_store.too_large(settings.max_bytes)
        kind = sniffer(incoming.head)
        sha = incoming.digest.hexdigest()
        if kind == "gz":
            kind = decompressed_kind(incoming.path, settings.max_decompressed, head_only=True)
        existing = session.execute(
            select(GenotypingFile).where(GenotypingFile.sha256 == sha)
        ).scalar_one_or_none()
        stored = f"{sha}.{kind}"
        upload_store.place(session, incoming.path, os.path.join(settings.upload_dir, stored))
        if existing is not None:
            return existing
        row = GenotypingFile(sha256=sha, stored_name=stored, kind=kind, size=incoming.size,
                             original_name=_safe_name(upload.filename),
                             uploaded_by_id=actor.id)
        insert_once(session, row)
        audit.record(session, actor, "genotyping.file_upload", "genotyping_file", sha,
                     {"size": incoming.size, "kind": kind, "name": row.original_name})
        return row
    finally:
        incoming.close()  # deletes the temporary file unless it was placed


def insert_once(session: Session, row: Any) -> None:
    """Insert under a savepoint: the same upload committed a moment ago by another request
    (unique SHA-256 / input key) is a clear 409, not a broken transaction."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("the same upload arrived at the same moment from another request; "
                       "reload to see its result", code="duplicate_upload") from exc


# ---------------------------------------------------------------------------------------------
# Analyses
# ---------------------------------------------------------------------------------------------
def linked_specimen(session: Session, actor: User, participant: Participant, barcode: str,
                     allowed: frozenset[str], what: str) -> Specimen:
    s = access.get_specimen(session, actor, barcode)
    if s.participant_id != participant.id:
        raise ValidationError(
            "%(specimen)s belongs to another participant, not %(participant)s",
            specimen=s.barcode, participant=participant.code, code="wrong_participant")
    if s.specimen_type not in allowed:
        raise ValidationError(
            "%(specimen)s is %(specimen_type)s; %(what)s must be one of: %(allowed)s",
            specimen=s.barcode,
            specimen_type=s.specimen_type,
            what=what,
            allowed=", ".join(sorted(allowed)),
            code="wrong_specimen_type")
    if s.status == "expected":
        raise ValidationError(
            "%(specimen)s has not been collected",
            specimen=s.barcode, code="not_collected")
    return s


def _clean(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def create_analysis(session: Session, actor: User, req: AnalysisRequest, settings: Settings
                    ) -> tuple[GenotypingAnalysis, bool]:
    """Store the files and create the analysis with a queued job; (analysis, created)."""
    access.require_role(actor, "pathologist")
    participant = access.get_participant(session, actor, req.participant_code)
    roles = [u.role for u in req.uploads] + [r for r, _sha in req.stored]
    check_file_roles(roles)
    assay = _clean(req.assay, 8)
    if assay not in ASSAYS:
        raise ValidationError(
            "assay must be one of: %(assays)s",
            assays=", ".join(ASSAYS), code="bad_assay")
    build = _clean(req.build, 8)
    if build not in BUILDS:
        raise ValidationError("build must be GRCh38 or GRCh37", code="bad_build")
    caller = _clean(req.caller, 64)
    caller_version = _clean(req.caller_version, 64)
    if not caller or not caller_version:
        raise ValidationError("give the variant caller and its version", code="caller_required")
    needs_normal = "paired" in roles or "normal" in roles
    needs_tumor = "paired" in roles or "tumor" in roles
    normal = tumor = None
    if needs_normal:
        if not req.normal_specimen:
            raise ValidationError("link the blood (germline) specimen that was sequenced",
                                  code="specimen_required")
        normal = linked_specimen(session, actor, participant, req.normal_specimen,
                                  NORMAL_TYPES, "the germline specimen")
    if needs_tumor:
        if not req.tumor_specimen:
            raise ValidationError("link the tumour specimen that was sequenced",
                                  code="specimen_required")
        tumor = linked_specimen(session, actor, participant, req.tumor_specimen,
                                 TUMOR_TYPES, "the tumour specimen")
    normal_sample = _clean(req.normal_sample, 200) or None
    tumor_sample = _clean(req.tumor_sample, 200) or None
    if normal_sample and normal_sample == tumor_sample:
        raise ValidationError("the blood and tumour sample names are the same",
                              code="sample_mapping")

    files = [(u.role, store_file(session, actor, u, settings)) for u in req.uploads]
    files += [(r.role, r.file) for r in received_files(session, actor, req.stored, settings)]
    key_doc = {
        "participant": participant.code,
        "files": sorted((role, f.sha256) for role, f in files),
        "normal": normal.barcode if normal else None,
        "tumor": tumor.barcode if tumor else None,
        "normal_sample": normal_sample, "tumor_sample": tumor_sample, "build": build,
    }
    key, existing = analysis_by_key(session, key_doc)
    if existing is not None:
        return existing, False
    analysis = GenotypingAnalysis(
        input_key=key, participant_id=participant.id,
        normal_specimen_id=normal.id if normal else None,
        tumor_specimen_id=tumor.id if tumor else None,
        normal_sample=normal_sample, tumor_sample=tumor_sample, caller=caller,
        caller_version=caller_version, assay=assay, build=build, warnings=[],
        created_by_id=actor.id,
    )
    insert_once(session, analysis)
    for role, f in files:
        session.add(GenotypingInput(analysis_id=analysis.id, file_id=f.id, role=role))
    session.add(ClassificationJob(analysis_id=analysis.id, state="queued", progress=0,
                                  step="queued"))
    session.flush()
    audit.record(session, actor, "genotyping.analysis_create", "genotyping_analysis",
                 analysis.id, {
                     "participant": participant.code,
                     "files": {role: f.sha256 for role, f in files},
                     "normal_specimen": key_doc["normal"], "tumor_specimen": key_doc["tumor"],
                     "normal_sample": normal_sample, "tumor_sample": tumor_sample,
                     "caller": f"{caller} {caller_version}", "assay": assay, "build": build,
                 })
    session.refresh(analysis)
    return analysis, True


def check_file_roles(roles: list[str]) -> None:
    if not roles:
        raise ValidationError("no VCF file given", code="no_file")
    if any(r not in ("paired", "normal", "tumor") for r in roles) or len(set(roles)) != len(roles):
        raise ValidationError("give one paired VCF, or a blood VCF and/or a tumour VCF",
                              code="bad_roles")
    if "paired" in roles and len(roles) > 1:
        raise ValidationError("a paired VCF is uploaded alone", code="bad_roles")


# ---------------------------------------------------------------------------------------------
# Two-step upload: receive the files, propose from their headers, confirm
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReceivedFile:
    """One stored input and what its header says (caller, build, samples, roles)."""

    role: str  # paired | normal | tumor
    file: GenotypingFile
    header: HeaderSummary


#: The sample each file role can give: a paired file both, a blood file the normal one.
ROLE_FILES = {"normal": ("paired", "normal"), "tumor": ("paired", "tumor")}
ROLE_WORDS = {"normal": N_("blood (normal)"), "tumor": N_("tumour")}


def header_of(f: GenotypingFile, settings: Settings) -> HeaderSummary:
    """The engine's own reading of a stored file's header; its refusal in one line."""
    path = os.path.join(settings.upload_dir, f.stored_name)
    try:
        return variant_calling.read_header(path)
    except Men1Error as exc:
        raise ValidationError("the VCF was refused: %(reason)s",
                              reason=_rename(_one_line(exc), {path: f.original_name}),
                              code="invalid_vcf") from exc


def receive(session: Session, actor: User, participant_code: str, uploads: list[Upload],
            settings: Settings) -> list[ReceivedFile]:
    """The first step of the page's upload: store the files (as one upload does) and read
    their headers, so the pathologist confirms caller, build and sample roles before any
    analysis exists."""
    access.require_role(actor, "pathologist")
    access.get_participant(session, actor, participant_code)
    check_file_roles([u.role for u in uploads])
    out = []
    for u in uploads:
        f = store_file(session, actor, u, settings)
        out.append(ReceivedFile(u.role, f, header_of(f, settings)))
    return out


def received_files(session: Session, actor: User, stored: list[tuple[str, str]],
                   settings: Settings) -> list[ReceivedFile]:
    """The files of an earlier first step, by their SHA-256 (the view checked its token)."""
    access.require_role(actor, "pathologist")
    out = []
    for role, sha in stored:
        f = session.execute(select(GenotypingFile).where(GenotypingFile.sha256 == sha)
                            ).scalar_one_or_none()
        if f is None or not os.path.exists(os.path.join(settings.upload_dir, f.stored_name)):
            raise ValidationError("the received file is no longer stored; upload it again",
                                  code="upload_expired")
        out.append(ReceivedFile(role, f, header_of(f, settings)))
    return out


@dataclass
class Proposal:
    """What the headers say, for the pathologist to confirm: per role (normal, tumor), the
    samples to choose from, the one proposed, and the header line that fixes it (if any)."""

    caller: str
    caller_version: str
    build: str
    build_problems: list[str]
    choices: dict[str, list[str]]
    proposed: dict[str, str]
    declared: dict[str, str]  # role -> the header line that declares its sample


def propose(received: list[ReceivedFile]) -> Proposal:
    """The engine's own role assignment (header declarations, the caller's conventions,
    NORMAL/TUMOR columns; the one sample of a single-sample file), never column order."""
    callers_seen = [r.header.caller for r in received]
    builds = sorted({r.header.build for r in received if r.header.build})
    choices: dict[str, list[str]] = {}
    proposed: dict[str, str] = {}
    declared: dict[str, str] = {}
    for role, kinds in ROLE_FILES.items():
        for r in received:
            if r.role not in kinds or not r.header.samples:
                continue
            choices.setdefault(role, []).extend(
                x for x in r.header.samples if x not in choices.get(role, []))
            if r.role == role and len(r.header.samples) == 1:
                proposed[role] = r.header.samples[0]
            by_header = [x for x, rr in r.header.roles.items() if rr == role]
            if len(by_header) == 1:
                proposed.setdefault(role, by_header[0])
            for x, (rr, line) in r.header.declared.items():
                if rr == role:
                    proposed[role], declared[role] = x, line
    return Proposal(
        caller=callers_seen[0] if len(set(callers_seen)) == 1 else " + ".join(callers_seen),
        caller_version=next((r.header.caller_version for r in received
                             if r.header.caller_version), None) or "",
        build=builds[0] if len(builds) == 1 else "",
        build_problems=[p for r in received if (p := r.header.build_problem)],
        choices=choices, proposed=proposed, declared=declared,
    )


def check_mapping(received: list[ReceivedFile], linked: dict[str, bool],
                  names: dict[str, str | None]) -> None:
    """Refuse, beside its field (``normal_sample``/``tumor_sample``), a sample the files do
    not have, one sample for both roles, a role left open where a specimen is linked, or a
    mapping that contradicts what the header declares (``##normal_sample``/``##tumor_sample``,
    ``##SAMPLE``): the header's word is the sequencing pipeline's, never overruled."""
    proposal = propose(received)
    errors: list[FieldError] = []
    for role, name in names.items():
        fname = f"{role}_sample"
        choices = proposal.choices.get(role, [])
        if not name:
            if linked.get(role) and len(choices) > 1:
                errors.append(FieldError(
                    "%(field)s: choose the %(role)s sample: the header does not say which it is",
                    field=fname, role=term(ROLE_WORDS[role]), code="sample_required"))
            continue
        if choices and name not in choices:
            errors.append(FieldError(
                "%(field)s: %(sample)s is not a sample of the file (its samples: %(samples)s)",
                field=fname, sample=name, samples=", ".join(choices), code="sample_unknown"))
            continue
        line = proposal.declared.get(role)
        other = "tumor" if role == "normal" else "normal"
        if line is not None and proposal.proposed.get(role) != name:
            errors.append(FieldError(
                "%(field)s: the header declares %(line)s: %(sample)s cannot be the %(role)s sample",
                field=fname, line=line, sample=name, role=term(ROLE_WORDS[role]),
                code="contradicts_header"))
        elif proposal.declared.get(other) and proposal.proposed.get(other) == name:
            errors.append(FieldError(
                "%(field)s: the header declares %(line)s: %(sample)s cannot be the %(role)s sample",
                field=fname, line=proposal.declared[other], sample=name,
                role=term(ROLE_WORDS[role]), code="contradicts_header"))
    if names.get("normal") and names.get("normal") == names.get("tumor") and not errors:
        errors.append(FieldError("%(field)s: the blood and tumour sample names are the same",
                                 field="tumor_sample", code="sample_mapping"))
    if errors:
        raise FieldError.collect(errors)


#: Where the sample of a role came from in a one-step upload (the API's ``samples`` answer).
SAMPLE_SOURCES = ("request", "header", "detected", "specimen")


@dataclass(frozen=True)
class OneStepPlan:
    """What a one-step upload (the API) takes from the files' headers where its body is
    silent: the sample of each role with where it came from, the caller and the build."""

    samples: dict[str, tuple[str | None, str | None]]  # role -> (sample, SAMPLE_SOURCES item)
    caller: str
    caller_version: str
    build: str
    proposal: Proposal

    def as_dict(self) -> dict[str, Any]:
        return {
            "samples": {role: {"sample": name, "source": source,
                               "declared_by": self.proposal.declared.get(role)}
                        for role, (name, source) in self.samples.items()},
            "caller_found": self.proposal.caller, "caller_version_found":
                self.proposal.caller_version or None,
            "build_found": self.proposal.build or None,
        }


def plan_one_step(received: list[ReceivedFile], barcodes: dict[str, str | None],
                  given: dict[str, str | None], caller: str, caller_version: str,
                  build: str) -> OneStepPlan:
    """The same proposal the page's confirmation step shows, taken without a person in the
    loop (the API's one-step upload): a role the body names keeps its name; a role it leaves
    open takes the sample the header declares or the engine detects (caller conventions,
    NORMAL/TUMOR columns, the one sample of a single-sample file), else the linked specimen's
    barcode when the file has a sample of that name. The result passes :func:`check_mapping`,
    so a body that contradicts ``##normal_sample``/``##tumor_sample`` is refused (422, beside
    its field) before anything is classified, and a role the header leaves ambiguous must be
    named. The body's caller and build win; where it gives none the header's are used."""
    proposal = propose(received)
    samples: dict[str, tuple[str | None, str | None]] = {}
    for role in ROLE_FILES:
        if not any(r.role in ROLE_FILES[role] for r in received):
            continue
        name = _clean(given.get(role), 200) or None
        source: str | None = "request" if name else None
        if name is None and role in proposal.proposed:
            name = proposal.proposed[role]
            source = "header" if role in proposal.declared else "detected"
        elif name is None and barcodes.get(role) in proposal.choices.get(role, []):
            name, source = barcodes[role], "specimen"
        samples[role] = (name, source)
    check_mapping(received, {role: bool(barcodes.get(role)) for role in samples},
                  {role: name for role, (name, _source) in samples.items()})
    found_caller = proposal.caller if any(
        r.header.samples and r.header.caller != "generic" for r in received) else ""
    caller = _clean(caller, 64)
    return OneStepPlan(
        samples=samples, caller=caller or found_caller,
        # The header's version belongs to the header's caller only.
        caller_version=_clean(caller_version, 64) or (
            proposal.caller_version if not caller or caller == found_caller else ""),
        build=_clean(build, 8) or proposal.build, proposal=proposal)


def analysis_by_key(session: Session, key_doc: dict[str, Any]
                    ) -> tuple[str, GenotypingAnalysis | None]:
    """(the input key of what identifies an analysis, the analysis already made of it): the
    same inputs again find it instead of classifying twice."""
    key = hashlib.sha256(json.dumps(key_doc, sort_keys=True).encode()).hexdigest()
    return key, session.execute(
        select(GenotypingAnalysis).where(GenotypingAnalysis.input_key == key)
    ).scalar_one_or_none()


def total_size(analysis: GenotypingAnalysis) -> int:
    return sum(i.file.size for i in analysis.inputs)


def classify_input(session: Session, job_id: int, upload_dir: str) -> ClassifyInput:
    job = session.get(ClassificationJob, job_id)
    if job is None:
        raise NotFound("no job %(job_id)s", job_id=job_id)
    a = job.analysis
    expected: dict[str, str] = {}
    # The VCF's sample names must be the linked specimens (their barcodes) unless a mapping
    # says which VCF sample each specimen is: never a guess.
    if a.normal_specimen is not None:
        expected["normal"] = a.normal_sample or a.normal_specimen.barcode
    if a.tumor_specimen is not None:
        expected["tumor"] = a.tumor_sample or a.tumor_specimen.barcode
    return ClassifyInput(
        analysis_id=a.id,
        files=[(os.path.join(upload_dir, i.file.stored_name), i.role) for i in a.inputs],
        normal_sample=expected.get("normal"), tumor_sample=expected.get("tumor"),
        build=a.build, expected=expected,
        names={os.path.join(upload_dir, i.file.stored_name): i.file.original_name
               for i in a.inputs},
    )


def run_engine(ci: ClassifyInput, max_decompressed: int, *,
               known_variants: str | None = None) -> dict[str, Any]:
    """Run the MEN1 engine; its deliberate errors become ValidationError with its one line."""
    for path, _role in ci.files:
        if path.endswith((".gz", ".bcf")):
            decompressed_kind(path, max_decompressed)
    inputs = [InputFile(path, None if role == "paired" else role) for path, role in ci.files]
    # A CNVkit segment table names no sample: its specimen link is the pathologist's word.
    unnamed = {role for path, role in ci.files if path.endswith(".cns")}
    try:
        result = variant_calling.classify(
            inputs, normal_sample=None if "normal" in unnamed else ci.normal_sample,
            tumor_sample=None if "tumor" in unnamed else ci.tumor_sample,
            build=ci.build, clinvar=known_variants,
        ).as_dict()
    except Men1Error as exc:
        field_name = getattr(exc, "field", None)
        if isinstance(exc, variant_calling.SampleRoleError) and field_name in (
            ci.expected.values()
        ):
            raise ValidationError(
                "sample %(field_name)r (the linked specimen) is not a sample in the VCF; give the "
                "VCF sample name for each specimen (mapping)",
                field_name=field_name, code="sample_mismatch") from exc
        # The engine's line names file, line and VCF field (English, like the VCF itself);
        # the sentence around it follows the reader's language.
        raise ValidationError("the VCF was refused: %(reason)s",
                              reason=_rename(_one_line(exc), ci.names),
                              code="invalid_vcf") from exc
    for role in ("normal", "tumor"):
        if role in unnamed:
            continue
        want = ci.expected.get(role)
        got = result.get(f"{role}_sample")
        if want is not None and got != want:
            raise ValidationError(
                "the engine used %(got)r as the %(role)s sample, not the linked %(want)r",
                got=got, role=role, want=want, code="sample_mismatch")
        if want is None and got is not None:
            raise ValidationError(
                "the VCF has a %(role)s sample (%(got)s) but no %(role)s specimen is linked",
                role=role, got=got, code="sample_mismatch")
    result["display_names"] = {os.path.basename(k): v for k, v in ci.names.items()}
    return result


def _rename(text: str, names: dict[str, str]) -> str:
    """Server-side paths and stored names are implementation details: show the uploaded name."""
    for path, name in names.items():
        text = text.replace(path, name).replace(os.path.basename(path), name)
    return text


def _one_line(exc: BaseException) -> str:
    text = str(exc).replace("\r", " ").replace("\n", " ").strip()
    # The server-side path is an implementation detail; show the stored file name only.
    for token in text.split():
        if os.sep in token and ("uploads" in token or token.startswith("/")):
            text = text.replace(token, os.path.basename(token))
    return text[:500]


def store_result(session: Session, job_id: int, result: dict[str, Any]) -> None:
    job = session.get(ClassificationJob, job_id)
    assert job is not None
    a = job.analysis
    a.engine_version = str(result.get("engine_version"))
    a.known_variants_version = str(result.get("known_variants_version"))[:120]
    a.men1_status = str(result.get("men1_status"))
    a.qualifies = bool(result.get("qualifies"))
    names = result.pop("display_names", {})
    a.warnings = [_rename(_one_line(Exception(w)), names) for w in result.get("warnings", [])]
    clean = dict(result)
    clean["inputs"] = [{**i, "path": names.get(os.path.basename(str(i.get("path"))), "")}
                       for i in result.get("inputs", [])]
    a.result = clean
    for v in result.get("variants", []):
        n = v.get("normal") or {}
        t = v.get("tumor") or {}
        session.add(GenotypingVariant(
            analysis_id=a.id, chrom=v["chrom"], position=v["pos"], ref=v["ref"][:500],
            alt=v["alt"][:500], hgvs_c=v["hgvs_c"][:300], hgvs_p=(v.get("hgvs_p") or None),
            consequence=v["consequence"][:64], engine_origin=v["origin"],
            engine_classification=v["classification"], origin=v["origin"],
            classification=v["classification"],
            engine_oncogenicity=(v.get("oncogenicity") or {}).get("tier"),
            oncogenicity=(v.get("oncogenicity") or {}).get("tier"),
            quality_pass=bool(v["quality_pass"]), in_tumor=bool(v.get("in_tumor")),
            second_hit_only=bool(v.get("second_hit_only")),
            normal_depth=n.get("depth"), normal_alt=n.get("alt_reads"), normal_vaf=n.get("vaf"),
            tumor_depth=t.get("depth"), tumor_alt=t.get("alt_reads"), tumor_vaf=t.get("vaf"),
            evidence=[_rename(_one_line(Exception(e)), names) for e in v.get("evidence", [])],
        ))
    job.state = "done"
    job.progress = 100
    job.step = "done"
    job.finished_at = utcnow()
    session.flush()
    audit.record(session, None, "genotyping.classified", "genotyping_analysis", a.id, {
        "engine_version": a.engine_version, "known_variants_version": a.known_variants_version,
        "men1_status": a.men1_status, "variants": len(result.get("variants", [])),
    })


def store_failure(session: Session, job_id: int, message: str) -> None:
    job = session.get(ClassificationJob, job_id)
    assert job is not None
    job.state = "failed"
    job.error = message[:2000]
    job.step = "failed"
    job.finished_at = utcnow()
    session.flush()
    audit.record(session, None, "genotyping.classification_failed", "genotyping_analysis",
                 job.analysis_id, {"error": job.error})


def run_inline(session: Session, analysis: GenotypingAnalysis, settings: Settings) -> None:
    """Classify within the caller's transaction (small files); errors propagate as 422."""
    job = analysis.job
    assert job is not None
    job.state = "running"
    job.started_at = utcnow()
    ci = classify_input(session, job.id, settings.upload_dir)
    result = run_engine(ci, settings.max_decompressed, known_variants=settings.known_variants)
    store_result(session, job.id, result)
    session.refresh(analysis)


MAX_ID = 2**31 - 1  # an id beyond the column's range names nothing (and SQLite would overflow)


def _valid_id(n: int) -> bool:
    return 0 < n <= MAX_ID


def get_analysis(session: Session, actor: User, analysis_id: int) -> GenotypingAnalysis:
    a = session.get(GenotypingAnalysis, analysis_id) if _valid_id(analysis_id) else None
    if a is None or not access.can_see_site(actor, a.participant.site_id):
        raise NotFound(
            "no genotyping analysis %(analysis_id)s visible to you",
            analysis_id=analysis_id)
    return a


def analyses_of(session: Session, participant: Participant) -> list[GenotypingAnalysis]:
    return list(session.execute(
        select(GenotypingAnalysis).where(GenotypingAnalysis.participant_id == participant.id)
        .order_by(GenotypingAnalysis.id.desc())
    ).scalars())


# ---------------------------------------------------------------------------------------------
# Review: overrides, effective status
# ---------------------------------------------------------------------------------------------
def verdict(v: GenotypingVariant) -> Verdict:
    """The values the qualifying rule reads, as reviewed (after any override)."""
    return Verdict(v.origin, v.classification, v.oncogenicity, v.quality_pass, v.in_tumor,
                   v.second_hit_only)


def qualifying(v: GenotypingVariant) -> bool:
    """The engine's own qualifying rule (variant_calling.qualify) on the reviewed values."""
    return qualifies(verdict(v))


def effective_status(a: GenotypingAnalysis) -> str:
    """The participant's MEN1 status from the reviewed variants, by the engine's own rule."""
    return men1_status((verdict(v) for v in a.variants),
                       covered=a.men1_status != "not_covered")


def override(session: Session, actor: User, variant_id: int, field_name: str, value: str,
             reason: str) -> VariantOverride:
    access.require_role(actor, "pathologist")
    v = session.get(GenotypingVariant, variant_id) if _valid_id(variant_id) else None
    if v is None or not access.can_see_site(actor, v.analysis.participant.site_id):
        raise NotFound("no variant %(variant_id)s visible to you", variant_id=variant_id)
    allowed = OVERRIDABLE.get(field_name)
    if allowed is None:
        raise ValidationError(
            "only the classification, the oncogenicity or the origin can be overridden",
            code="bad_field")
    if field_name == "oncogenicity" and v.origin not in TUMOUR_ORIGINS:
        raise ValidationError(
            "oncogenicity applies to somatic or tumour-only variants; this one is %(origin)s",
            origin=v.origin, code="bad_field")
    if value not in allowed:
        raise ValidationError(
            "%(field_name)s must be one of: %(allowed)s",
            field_name=field_name, allowed=", ".join(allowed), code="bad_value")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("an override needs a reason", code="reason_required")
    old = getattr(v, field_name) or ""
    if old == value:
        raise Conflict(
            "the %(field_name)s is already %(value)s",
            field_name=field_name, value=value)
    setattr(v, field_name, value)
    row = VariantOverride(variant_id=v.id, field=field_name, old_value=old, new_value=value,
                          reason=reason[:1000], actor_id=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "genotyping.override", "genotyping_variant", v.id,
                 {field_name: [old, value], "hgvs_c": v.hgvs_c,
                  "analysis": v.analysis_id}, reason[:1000])
    return row


# ---------------------------------------------------------------------------------------------
# Reports: signature, versions, amendments
# ---------------------------------------------------------------------------------------------
OVERRIDABLE: dict[str, dict[str, str]] = {
    "classification": CLASSIFICATIONS, "oncogenicity": ONCOGENICITIES, "origin": ORIGINS,
}
"""Each field a pathologist may override, with the values it takes."""


def _specimen_doc(role: str, s: Specimen | None, sample: str | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "role": role, "barcode": s.barcode, "type": s.specimen_type,
        "vcf_sample": sample or s.barcode,
        "lineage": [p.barcode for p in specimens.lineage(s)],
        "lineage_types": [p.specimen_type for p in specimens.lineage(s)],
    }


def report_content(a: GenotypingAnalysis) -> dict[str, Any]:
    variants = [
        {
            "hgvs_c": v.hgvs_c, "hgvs_p": v.hgvs_p, "consequence": v.consequence,
            "position": f"{v.chrom}:{v.position} {v.ref}>{v.alt}",
            "origin": v.origin, "engine_origin": v.engine_origin,
            "classification": v.classification,
            "engine_classification": v.engine_classification,
            "points": engine.get("points"),
            "oncogenicity": v.oncogenicity, "engine_oncogenicity": v.engine_oncogenicity,
            "oncogenicity_points": (engine.get("oncogenicity") or {}).get("points"),
            "quality_pass": v.quality_pass, "in_tumor": v.in_tumor,
            "qualifying": qualifying(v),
            "normal_vaf": v.normal_vaf, "normal_depth": v.normal_depth,
            "tumor_vaf": v.tumor_vaf, "tumor_depth": v.tumor_depth,
            "evidence": list(v.evidence),
            "overrides": [{"field": o.field, "old": o.old_value, "new": o.new_value,
                           "reason": o.reason, "by": o.actor.username}
                          for o in v.overrides],
        }
        for v in a.variants
        for engine in [engine_variant(a, v)]
    ]
    status = effective_status(a)
    # Only other sources say where they came from: a VCF analysis's signed content stays as it
    # always was, so that its amendments compare like with like.
    source: dict[str, Any] = ({} if a.source == "vcf"
                              else {"source": a.source, "details": a.details})
    locus_loh = (a.result or {}).get("loh") or {}
    if locus_loh.get("status") in ("loh", "no_loh"):
        # The locus LOH test (issue 19), only where it ran: older signed content unchanged.
        source["loh"] = {k: locus_loh.get(k) for k in ("status", "reason", "p_value", "test")}
    return {
        **source,
        "participant": a.participant.code,
        "analysis": a.id,
        "assay": {"caller": a.caller, "caller_version": a.caller_version, "assay": a.assay,
                  "build": a.build},
        "files": [{"role": i.role, "sha256": i.file.sha256, "name": i.file.original_name,
                   "kind": i.file.kind} for i in a.inputs],
        "specimens": [d for d in (
            _specimen_doc("normal", a.normal_specimen, a.normal_sample),
            _specimen_doc("tumor", a.tumor_specimen, a.tumor_sample)) if d],
        "engine_version": a.engine_version,
        "known_variants_version": a.known_variants_version,
        "transcript": (a.result or {}).get("transcript"),
        "men1_status": status,
        "engine_men1_status": a.men1_status,
        "qualifies": any(v["qualifying"] for v in variants),
        "variants": variants,
        "warnings": list(a.warnings),
    }


def engine_variant(a: GenotypingAnalysis, v: GenotypingVariant) -> dict[str, Any]:
    """The engine's full result for one stored variant (points, evidence per scale)."""
    for e in (a.result or {}).get("variants", []):
        if (e.get("pos"), e.get("ref"), e.get("alt")) == (v.position, v.ref, v.alt):
            return dict(e)
    return {}


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def latest_version(a: GenotypingAnalysis) -> ReportVersion | None:
    if a.report is None or not a.report.versions:
        return None
    return a.report.versions[-1]


def sign(session: Session, actor: User, analysis_id: int, password: str, *,
         amend_reason: str | None = None, address: str = "-",
         policy: throttle.Policy = users.SIGNATURE_POLICY) -> ReportVersion:
    """An electronic signature: the password again (counted, throttled and audited per user
    and client ``address``), the meaning recorded with name and time. Without
    ``amend_reason`` it creates version 1; with it, version n+1 marked amended."""
    access.require_role(actor, "pathologist")
    a = get_analysis(session, actor, analysis_id)
    if a.job is None or a.job.state != "done":
        raise Conflict("the classification has not finished; nothing to sign yet")
    users.verify_signature(session, actor, password or "", address=address, policy=policy)
    last = latest_version(a)
    content = report_content(a)
    if amend_reason is None:
        if last is not None:
            raise Conflict(
                "the report is signed (version %(version)s) and cannot be edited; amend it instead",
                version=last.version, code="already_signed")
    else:
        amend_reason = amend_reason.strip()
        if last is None:
            raise Conflict("the report has not been signed yet; sign it first",
                           code="not_signed")
        if not amend_reason:
            raise ValidationError("an amendment needs a reason", code="reason_required")
        if _digest(last.content) == _digest(content):
            raise ValidationError(
                "nothing changed since version %(version)s; override a classification or origin "
                "first",
                version=last.version, code="unchanged")
    report = a.report
    if report is None:
        report = GenotypingReport(analysis_id=a.id, participant_id=a.participant_id)
        session.add(report)
        session.flush()
    version = (last.version + 1) if last else 1
    row = ReportVersion(
        report_id=report.id, version=version, amended=amend_reason is not None,
        amendment_reason=amend_reason[:1000] if amend_reason else None,
        men1_status=content["men1_status"], men1_qualifies=content["qualifies"],
        content=content, content_sha256=_digest(content), meaning=SIGNATURE_MEANING,
        signed_by_id=actor.id, signer_name=actor.display_name, signed_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "genotyping.report_amend" if amend_reason else
                 "genotyping.report_sign", "genotyping_report", report.id, {
                     "version": version, "men1_status": row.men1_status,
                     "qualifies": row.men1_qualifies, "content_sha256": row.content_sha256,
                     "meaning": SIGNATURE_MEANING, "signer": actor.display_name,
                 }, amend_reason)
    session.refresh(report)
    from . import enrollment, rereview

    rereview.resolve(session, a.id, row)
    enrollment.reevaluate(
        session, actor, a.participant,
        f"report {report.id} version {version} {'amended' if amend_reason else 'signed'}",
    )
    return row


# ---------------------------------------------------------------------------------------------
# What the review page, the report and the history say in words
# ---------------------------------------------------------------------------------------------
#: The status sentence for each status and the strongest tier that gives it: the words follow
#: the tier exactly (a likely pathogenic variant is never called "pathogenic").
STATUS_WORDS: dict[tuple[str, str], str] = {
    ("germline", "pathogenic"): N_("Germline MEN1 pathogenic variant"),
    ("germline", "likely_pathogenic"): N_("Germline MEN1 likely pathogenic variant"),
    ("somatic", "oncogenic"): N_("Somatic MEN1 oncogenic variant in the tumour"),
    ("somatic", "pathogenic"): N_("Somatic MEN1 pathogenic variant in the tumour"),
    ("somatic", "likely_oncogenic"): N_("Somatic MEN1 likely oncogenic variant in the tumour"),
    ("somatic", "likely_pathogenic"):
        N_("Somatic MEN1 likely pathogenic variant in the tumour"),
    ("undetermined", "pathogenic"): N_("MEN1 pathogenic variant of undetermined origin"),
    ("undetermined", "oncogenic"): N_("MEN1 oncogenic variant of undetermined origin"),
    ("undetermined", "likely_pathogenic"):
        N_("MEN1 likely pathogenic variant of undetermined origin"),
    ("undetermined", "likely_oncogenic"):
        N_("MEN1 likely oncogenic variant of undetermined origin"),
}
OTHER_STATUS_WORDS: dict[str, str] = {
    "vus_only": N_("Only variants of uncertain significance"),
    "none_detected": N_("No MEN1 variant detected"),
    "not_covered": N_("MEN1 not covered by the sequencing data: no result"),
}
#: Strongest first, across both scales.
TIER_ORDER = ("pathogenic", "oncogenic", "likely_pathogenic", "likely_oncogenic")


def _strongest(variants: list[dict[str, Any]]) -> str | None:
    tiers = {t for v in variants for t in (v.get("classification"), v.get("oncogenicity"))}
    return next((t for t in TIER_ORDER if t in tiers), None)


#: The engine's evidence code on a tumour's single-copy loss of the whole gene
#: (variant_calling.copy_number): the usual second hit, which never qualifies alone.
SECOND_HIT_ONLY = "SECOND_HIT_ONLY"


def tumour_losses(content: Mapping[str, Any]) -> list[str]:
    """The HGVS names of the tumour's single-copy losses of the whole MEN1 gene in a report's
    content, as reviewed: read from the engine's SECOND_HIT_ONLY evidence (signed content has
    no other mark of it), and only while the review leaves the event a tumour event that does
    not qualify (a loss a pathologist re-reads as germline is a first hit, not a second)."""
    return [str(v.get("hgvs_c")) for v in content.get("variants") or []
            if v.get("in_tumor") and not v.get("qualifying")
            and v.get("origin") not in GERMLINE_ORIGINS
            and any(str(e).startswith(SECOND_HIT_ONLY) for e in v.get("evidence") or [])]


def germline_first_hits(content: Mapping[str, Any]) -> list[str]:
    """The qualifying germline variants of a report's content (a carrier's first hit)."""
    return [str(v.get("hgvs_c")) for v in content.get("variants") or []
            if v.get("qualifying") and v.get("origin") in GERMLINE_ORIGINS]


def status_words(content: Mapping[str, Any]) -> list[str]:
    """The MEN1 status of a report's content as sentences (gettext ids, English): one per
    origin that qualifies, each naming the strongest tier of its variants."""
    status = content.get("men1_status") or ""
    variants = list(content.get("variants") or [])
    qualifying = [v for v in variants if v.get("qualifying")]
    out: list[str] = []
    if status in ("germline", "germline_and_somatic"):
        tier = _strongest([v for v in qualifying if v.get("origin") in GERMLINE_ORIGINS])
        out.append(STATUS_WORDS.get(("germline", tier or ""), ""))
    if status in ("somatic", "germline_and_somatic"):
        tier = _strongest([v for v in qualifying if v.get("origin") == "somatic"])
        out.append(STATUS_WORDS.get(("somatic", tier or ""), ""))
    if status == "undetermined_origin":
        harmful = qualifying or [v for v in variants if v.get("quality_pass")]
        out.append(STATUS_WORDS.get(("undetermined", _strongest(harmful) or ""), ""))
    if status in OTHER_STATUS_WORDS:
        out.append(OTHER_STATUS_WORDS[status])
    return [w for w in out if w] or [status]


def genomic_coordinates(build: str, position: str, hgvs_g: str | None = None
                        ) -> tuple[str, str] | None:
    """(``chr11:g.…`` on the build, the RefSeq ``NC_000011.…:g.…`` name) of a variant, from
    the engine's g. name or else from its stored ``chr11:POS REF>ALT``; None for what has no
    plain allele (a symbolic copy-number call without the engine's name)."""
    if not hgvs_g:
        try:
            chrom_pos, change = position.split(" ", 1)
            pos = int(chrom_pos.rsplit(":", 1)[1])
            ref, alt = change.split(">", 1)
        except ValueError:
            return None
        if not (ref.isalpha() and alt.isalpha()) or build not in BUILDS:
            return None
        # Imported here: the locus model loads Biopython and the reference, which a request
        # that shows no variant need not pay for.
        from variant_calling.locus import genomic_name

        try:
            hgvs_g = genomic_name(build, pos, ref, alt)
        except Men1Error:
            return None
    if ":g." not in hgvs_g:
        return None
    return f"chr11:g.{hgvs_g.split(':g.', 1)[1]}", hgvs_g


def variant_coordinates(a: GenotypingAnalysis, v: GenotypingVariant) -> tuple[str, str] | None:
    return genomic_coordinates(a.build, f"{v.chrom}:{v.position} {v.ref}>{v.alt}",
                               engine_variant(a, v).get("hgvs_g"))


#: What each event of an analysis's history is, for people.
HISTORY_ACTIONS: dict[str, str] = {
    "genotyping.analysis_create": N_("Analysis created"),
    "genotyping.outside_create": N_("Outside result recorded"),
    "genotyping.mlpa_create": N_("MLPA result imported"),
    "genotyping.classified": N_("Classified by the engine"),
    "genotyping.classification_failed": N_("Classification failed"),
    "genotyping.classification_retry": N_("Classification queued again"),
    "genotyping.classification_requeued": N_("Classification queued again"),
    "genotyping.override": N_("Override"),
    "genotyping.confirm": N_("Variant confirmed"),
    "genotyping.report_sign": N_("Report signed"),
    "genotyping.report_amend": N_("Report amended"),
    "genotyping.rereview_suggested": N_("Re-review suggested"),
}
OVERRIDE_FIELDS = {"classification": N_("Classification"), "oncogenicity": N_("Oncogenicity"),
                   "origin": N_("Origin")}


@dataclass(frozen=True)
class HistoryEntry:
    event: Any  # the AuditEvent
    what: str  # a gettext id
    detail: str  # a Msg (translated where it is shown)
    reason: str


def _term_of(field_name: str, code: str | None) -> Any:
    values = OVERRIDABLE.get(field_name, {})
    return term(values[code]) if code in values else (code or "—")


def analysis_history(session: Session, a: GenotypingAnalysis) -> list[HistoryEntry]:
    """Every event of the analysis, its variants and its report, oldest first: creation,
    classification, each override with its reason, each signature and amendment."""
    from sqlalchemy import and_, or_

    from ..i18n import Msg
    from ..models import AuditEvent

    where = [and_(AuditEvent.entity_type == "genotyping_analysis",
                  AuditEvent.entity_id == str(a.id))]
    variant_ids = [str(v.id) for v in a.variants]
    if variant_ids:
        where.append(and_(AuditEvent.entity_type == "genotyping_variant",
                          AuditEvent.entity_id.in_(variant_ids)))
    if a.report is not None:
        where.append(and_(AuditEvent.entity_type == "genotyping_report",
                          AuditEvent.entity_id == str(a.report.id)))
    rows = session.execute(select(AuditEvent).where(or_(*where)).order_by(AuditEvent.id)
                           ).scalars()
    out = []
    for e in rows:
        c = e.changes or {}
        detail: str = ""
        if e.action == "genotyping.override":
            field_name = next((k for k in OVERRIDE_FIELDS if k in c), "")
            old, new = (c.get(field_name) or [None, None])[:2]
            detail = Msg("%(variant)s: %(field)s %(old)s → %(new)s",
                         variant=c.get("hgvs_c") or "", field=term(OVERRIDE_FIELDS[field_name])
                         if field_name else "", old=_term_of(field_name, old),
                         new=_term_of(field_name, new))
        elif e.action in ("genotyping.report_sign", "genotyping.report_amend"):
            detail = Msg("version %(version)s; %(meaning)s: %(signer)s",
                         version=c.get("version"), meaning=term(c.get("meaning") or ""),
                         signer=c.get("signer") or e.actor)
        elif e.action == "genotyping.classified":
            detail = Msg("engine %(engine)s, known variants %(known)s",
                         engine=c.get("engine_version") or "",
                         known=c.get("known_variants_version") or "")
        elif e.action == "genotyping.classification_failed":
            detail = str(c.get("error") or "")
        out.append(HistoryEntry(e, HISTORY_ACTIONS.get(e.action, e.action), detail,
                                e.reason or ""))
    return out


def get_version(session: Session, actor: User, report_id: int, version: int) -> ReportVersion:
    if not (_valid_id(report_id) and _valid_id(version)):
        raise NotFound(
            "no report %(report_id)s version %(version)s visible to you",
            report_id=report_id, version=version)
    row = session.execute(
        select(ReportVersion).where(ReportVersion.report_id == report_id,
                                    ReportVersion.version == version)
    ).scalar_one_or_none()
    if row is None or not access.can_see_site(actor, row.report.analysis.participant.site_id):
        raise NotFound(
            "no report %(report_id)s version %(version)s visible to you",
            report_id=report_id, version=version)
    return row


def signed_versions(session: Session, participant: Participant) -> list[ReportVersion]:
    """The current (latest) signed version of each of the participant's reports, newest
    first: every analysis that has been signed out speaks for itself at the gate."""
    rows = session.execute(
        select(ReportVersion).join(GenotypingReport)
        .where(GenotypingReport.participant_id == participant.id)
        .order_by(ReportVersion.signed_at.desc(), ReportVersion.id.desc())
    ).scalars()
    current: dict[int, ReportVersion] = {}
    for v in rows:
        current.setdefault(v.report_id, v)
    return list(current.values())


def latest_signed(session: Session, participant: Participant) -> ReportVersion | None:
    return session.execute(
        select(ReportVersion).join(GenotypingReport)
        .where(GenotypingReport.participant_id == participant.id)
        .order_by(ReportVersion.signed_at.desc(), ReportVersion.id.desc()).limit(1)
    ).scalar_one_or_none()
