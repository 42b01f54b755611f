"""Genotyping: uploaded VCFs, classification jobs and their results, signed report versions,
coordinator-recorded eligibility criteria and the history of enrolment-gate decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .participant import Participant
from .specimen import Specimen
from .user import User

JOB_STATES = ("queued", "running", "done", "failed")
ASSAYS = ("panel", "exome", "genome")
#: Where an analysis's variants come from: sequencing VCFs, an outside laboratory's report
#: entered as HGVS, or an MLPA probe-ratio table.
SOURCES = ("vcf", "outside", "mlpa")
INPUT_ROLES = ("paired", "normal", "tumor")


class GenotypingFile(Base):
    """One uploaded file, stored under its SHA-256 (never under the name the client sent)."""

    __tablename__ = "genotyping_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    stored_name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(8))  # vcf | vcf.gz | bcf
    size: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GenotypingAnalysis(Base):
    """One classification request: the files, the specimens they came from, assay metadata and
    (once the job is done) the engine's result."""

    __tablename__ = "genotyping_analyses"
    __table_args__ = (
        CheckConstraint("assay IN ('panel', 'exome', 'genome', 'mlpa', 'outside')", name="assay"),
        CheckConstraint("source IN ('vcf', 'outside', 'mlpa')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 over the input files, roles, sample mapping and specimens: the same upload again
    # finds this row instead of classifying twice.
    input_key: Mapped[str] = mapped_column(String(64), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    normal_specimen_id: Mapped[int | None] = mapped_column(ForeignKey("specimens.id"))
    tumor_specimen_id: Mapped[int | None] = mapped_column(ForeignKey("specimens.id"))
    normal_sample: Mapped[str | None] = mapped_column(String(200))
    tumor_sample: Mapped[str | None] = mapped_column(String(200))
    caller: Mapped[str] = mapped_column(String(64))
    caller_version: Mapped[str] = mapped_column(String(64))
    assay: Mapped[str] = mapped_column(String(8))
    build: Mapped[str] = mapped_column(String(8))
    engine_version: Mapped[str | None] = mapped_column(String(32))
    known_variants_version: Mapped[str | None] = mapped_column(String(120))
    men1_status: Mapped[str | None] = mapped_column(String(32))
    qualifies: Mapped[bool | None] = mapped_column()
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: vcf | outside | mlpa (SOURCES).
    source: Mapped[str] = mapped_column(String(16), default="vcf", server_default="vcf")
    #: What the source records beyond files: an outside report's laboratory, date, accession
    #: and the name as entered; an MLPA run's kit, lot and probe table.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    participant: Mapped[Participant] = relationship(lazy="joined")
    normal_specimen: Mapped[Specimen | None] = relationship(foreign_keys=[normal_specimen_id])
    tumor_specimen: Mapped[Specimen | None] = relationship(foreign_keys=[tumor_specimen_id])
    created_by: Mapped[User] = relationship()
    inputs: Mapped[list[GenotypingInput]] = relationship(
        back_populates="analysis", order_by="GenotypingInput.id"
    )
    job: Mapped[ClassificationJob | None] = relationship(back_populates="analysis")
    variants: Mapped[list[GenotypingVariant]] = relationship(
        back_populates="analysis", order_by="GenotypingVariant.position"
    )
    report: Mapped[GenotypingReport | None] = relationship(back_populates="analysis")


class GenotypingInput(Base):
    __tablename__ = "genotyping_inputs"
    __table_args__ = (
        UniqueConstraint("analysis_id", "role"),
        CheckConstraint("role IN ('paired', 'normal', 'tumor')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("genotyping_analyses.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("genotyping_files.id"))
    role: Mapped[str] = mapped_column(String(8))

    analysis: Mapped[GenotypingAnalysis] = relationship(back_populates="inputs")
    file: Mapped[GenotypingFile] = relationship(lazy="joined")


class ClassificationJob(Base):
    """A classification run off the request thread, by a worker process. This row, not the task
    queue, is the truth: a worker claims it (``attempt`` + 1, a lease owned by that worker and
    extended by its heartbeat); a lease that expires is a dead worker, and the job is queued
    again until ``max_attempts`` is reached (``biobank.services.jobs``)."""

    __tablename__ = "classification_jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        CheckConstraint("attempt >= 0 AND attempt <= max_attempts", name="attempt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("genotyping_analyses.id"), unique=True)
    state: Mapped[str] = mapped_column(String(8), default="queued", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(120), default="")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # "<host>:<pid>:<nonce>" of the worker running the current attempt, and until when its
    # lease holds without a heartbeat.
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the job was (last) queued, and when a queue message was last sent for it.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    analysis: Mapped[GenotypingAnalysis] = relationship(back_populates="job")


class GenotypingVariant(Base):
    """One classified variant. ``engine_*`` is what the engine said; ``origin``,
    ``classification`` and ``oncogenicity`` are the current values after any pathologist
    override. ``oncogenicity`` (the somatic scale) is None for variants of germline origin."""

    __tablename__ = "genotyping_variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("genotyping_analyses.id"), index=True)
    chrom: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(500))
    alt: Mapped[str] = mapped_column(String(500))
    hgvs_c: Mapped[str] = mapped_column(String(300))
    hgvs_p: Mapped[str | None] = mapped_column(String(300))
    consequence: Mapped[str] = mapped_column(String(64))
    engine_origin: Mapped[str] = mapped_column(String(24))
    engine_classification: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(24))
    classification: Mapped[str] = mapped_column(String(32))
    engine_oncogenicity: Mapped[str | None] = mapped_column(String(32))
    oncogenicity: Mapped[str | None] = mapped_column(String(32))
    quality_pass: Mapped[bool] = mapped_column()
    #: The engine's judgement that the tumour shows the variant (its read thresholds).
    in_tumor: Mapped[bool] = mapped_column(default=False)
    #: A tumour's single-copy loss of the whole gene: reported, qualifying only through a
    #: first hit (variant_calling.qualify).
    second_hit_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    normal_depth: Mapped[int | None] = mapped_column(Integer)
    normal_alt: Mapped[int | None] = mapped_column(Integer)
    normal_vaf: Mapped[float | None] = mapped_column(Float)
    tumor_depth: Mapped[int | None] = mapped_column(Integer)
    tumor_alt: Mapped[int | None] = mapped_column(Integer)
    tumor_vaf: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)

    analysis: Mapped[GenotypingAnalysis] = relationship(back_populates="variants")
    overrides: Mapped[list[VariantOverride]] = relationship(
        back_populates="variant", order_by="VariantOverride.id"
    )


class VariantOverride(Base):
    __tablename__ = "variant_overrides"
    __table_args__ = (
        CheckConstraint(
            "field IN ('origin', 'classification', 'oncogenicity', 'confirmation')", name="field"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("genotyping_variants.id"), index=True)
    field: Mapped[str] = mapped_column(String(16))
    # Empty when the field had no value (oncogenicity of a variant overridden to somatic).
    old_value: Mapped[str] = mapped_column(String(32))
    new_value: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(1000))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    variant: Mapped[GenotypingVariant] = relationship(back_populates="overrides")
    actor: Mapped[User] = relationship(lazy="joined")


class GenotypingReport(Base):
    __tablename__ = "genotyping_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("genotyping_analyses.id"), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    analysis: Mapped[GenotypingAnalysis] = relationship(back_populates="report")
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="report", order_by="ReportVersion.version"
    )


class ReportVersion(Base):
    """A signed, immutable version of a report: the content as signed and the signature."""

    __tablename__ = "genotyping_report_versions"
    __table_args__ = (
        UniqueConstraint("report_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("genotyping_reports.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    amended: Mapped[bool] = mapped_column(default=False)
    amendment_reason: Mapped[str | None] = mapped_column(String(1000))
    men1_status: Mapped[str] = mapped_column(String(32))
    men1_qualifies: Mapped[bool] = mapped_column()
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    meaning: Mapped[str] = mapped_column(String(200))
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[GenotypingReport] = relationship(back_populates="versions", lazy="joined")
    signed_by: Mapped[User] = relationship()


class ReReview(Base):
    """A suggestion to re-review an analysis: the current engine, rules or known-variant table
    classify some of its variants differently from when it was reviewed. A signed version
    stays as signed; the pathologist amends (or signs) through the usual path, and that
    signature answers the suggestion."""

    __tablename__ = "genotyping_rereviews"
    __table_args__ = (UniqueConstraint("analysis_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("genotyping_analyses.id"), index=True)
    #: The signed version compared (None: the analysis was not signed yet).
    report_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("genotyping_report_versions.id"))
    #: SHA-256 of the differences: the same finding is recorded once per analysis.
    digest: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(32))
    known_variants_version: Mapped[str] = mapped_column(String(120))
    #: [{"hgvs_c", "field", "reviewed", "engine_then", "now"}]; field "men1_status" for the
    #: participant's status.
    differences: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The signature that answered it.
    resolved_by_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("genotyping_report_versions.id"))

    analysis: Mapped[GenotypingAnalysis] = relationship()
    report_version: Mapped[ReportVersion | None] = relationship(
        foreign_keys=[report_version_id])


class EligibilityAssessment(Base):
    """The coordinator's record of the protocol criteria with their source values; the latest
    one for a participant is the one the gate reads (earlier ones stay as history)."""

    __tablename__ = "eligibility_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recorded_by: Mapped[User] = relationship(lazy="joined")


class GateDecision(Base):
    """A change of the enrolment-gate decision, with the criteria at that moment."""

    __tablename__ = "enrollment_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('eligible', 'not_eligible', 'pending')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    previous: Mapped[str | None] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")
