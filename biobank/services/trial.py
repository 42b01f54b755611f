"""The study, its visit schedule (from the protocol) and its participants."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound, ValidationError
from ..i18n import term
from ..models import (
    SCREENING_STATUSES,
    ExpectedSpecimen,
    Participant,
    Site,
    Trial,
    User,
    VisitDefinition,
)
from . import access, audit

NCT = "NCT06540937"
TITLE = "Phase II Clinical Study of Leflunomide in the Treatment of MEN-1 Neuroendocrine Tumor"
CYCLE_DAYS = 28

# The protocol (seed/000_b1bd8bb771afc7b0.txt): screening with germline blood and archival
# tumour tissue; treatment in 28-day cycles with an evaluation every two cycles (blood
# biomarkers at each); end of treatment; imaging every 6 weeks after early termination.
SCHEDULE: tuple[dict[str, object], ...] = (
    {
        "code": "SCR", "name": "Screening", "day": None, "repeat": None,
        "description": "MEN1 testing: germline blood and residual tumour tissue",
        "expected": [
            ("whole_blood_edta", [], "edta_tube_4ml", 4, "mL",
             "germline DNA (MEN1 germline testing)", True),
            ("ffpe_block", ["ffpe_slides", "ffpe_curls"], "ffpe_cassette", 1, "block",
             "archival tumour tissue (somatic MEN1 testing)", True),
        ],
    },
    {
        "code": "C1D1", "name": "Cycle 1 day 1", "day": 1, "repeat": None,
        "description": "First dose of leflunomide 20 mg daily; baseline biomarkers",
        "expected": [
            ("whole_blood_edta", [], "edta_tube_10ml", 10, "mL", "baseline blood biomarkers",
             False),
        ],
    },
    {
        "code": "EVAL", "name": "Evaluation (every 2 cycles)", "day": 57,
        "repeat": 2 * CYCLE_DAYS,
        "description": "Evaluation every two 28-day cycles: imaging, labs, blood biomarkers",
        "expected": [
            ("whole_blood_edta", [], "edta_tube_10ml", 10, "mL", "blood biomarkers", False),
        ],
    },
    {
        "code": "EOT", "name": "End of treatment", "day": None, "repeat": None,
        "description": "End of treatment visit", "expected": [],
    },
    {
        "code": "FU", "name": "Imaging follow-up (every 6 weeks)", "day": None, "repeat": 42,
        "description": "After termination before progression: imaging every 6 weeks",
        "expected": [],
    },
)


def ensure_trial(session: Session) -> Trial:
    """Create the study and its schedule if absent (idempotent)."""
    trial = session.execute(select(Trial).where(Trial.registry_id == NCT)).scalar_one_or_none()
    if trial is not None:
        return trial
    trial = Trial(registry_id=NCT, title=TITLE, cycle_days=CYCLE_DAYS)
    session.add(trial)
    session.flush()
    for seq, v in enumerate(SCHEDULE, start=1):
        visit = VisitDefinition(
            trial_id=trial.id, code=v["code"], name=v["name"], sequence=seq, day=v["day"],
            repeat_every_days=v["repeat"], description=v["description"],
        )
        session.add(visit)
        session.flush()
        expected: list[tuple[Any, ...]] = v["expected"]  # type: ignore[assignment]
        for stype, alts, container, qty, unit, purpose, required in expected:
            session.add(ExpectedSpecimen(
                visit_id=visit.id, specimen_type=stype, alternatives=alts, container=container,
                quantity=qty, unit=unit, purpose=purpose, required_for_enrolment=required,
            ))
    session.flush()
    audit.record(session, None, "trial.create", "trial", NCT, {"visits": len(SCHEDULE)})
    return trial


def get_visit(session: Session, code: str) -> VisitDefinition:
    v = session.execute(
        select(VisitDefinition).join(Trial).where(
            Trial.registry_id == NCT, VisitDefinition.code == code
        )
    ).scalar_one_or_none()
    if v is None:
        raise NotFound("no visit %(visit)r in the schedule", visit=code)
    return v


def create_participant(
    session: Session,
    actor: User | None,
    site: Site,
    *,
    consent_main: bool,
    consent_sample_storage: bool,
    consent_future_research: bool,
    consent_date: date | None,
) -> Participant:
    """Register a participant under a new pseudonymous code ``<site>-<4-digit sequence>``."""
    if actor is not None:
        access.require_role(actor, "coordinator", "admin")
        if not access.can_see_site(actor, site.id):
            raise NotFound("no site %(site)r visible to you", site=site.code)
    if site.kind != "collection":
        raise ValidationError("participants are registered at a collection site")
    trial = ensure_trial(session)
    seq = (session.execute(
        select(func.max(Participant.sequence)).where(Participant.site_id == site.id)
    ).scalar() or 0) + 1
    p = Participant(
        code=f"{site.code}-{seq:04d}", trial_id=trial.id, site_id=site.id, sequence=seq,
        screening_status="screening", consent_main=consent_main,
        consent_sample_storage=consent_sample_storage,
        consent_future_research=consent_future_research, consent_date=consent_date,
    )
    session.add(p)
    session.flush()
    audit.record(session, actor, "participant.create", "participant", p.code, {
        "site": site.code, "consent_main": consent_main,
        "consent_sample_storage": consent_sample_storage,
        "consent_future_research": consent_future_research, "consent_date": consent_date,
    })
    return p


def set_screening_status(
    session: Session, actor: User | None, participant: Participant, status: str,
    *, reason: str | None = None,
) -> None:
    if actor is not None:
        access.require_role(actor, "coordinator", "admin")
        if not access.can_see_site(actor, participant.site_id):
            raise NotFound(
                "no participant %(participant)r visible to you",
                participant=participant.code)
    if status not in SCREENING_STATUSES:
        raise ValidationError("unknown screening status %(status)r", status=status)
    old = participant.screening_status
    if old == status:
        return
    changes: dict[str, Any] = {"screening_status": [old, status]}
    if status == "enrolled":
        # Enrolment rests on the gate: its decision is recorded now (if it changed) and the
        # audit row names the one in force, so "enrolled" can always be traced to "eligible".
        from . import enrollment

        enrollment.reevaluate(session, actor, participant, "enrolment requested")
        decision = enrollment.history(session, participant)[0]
        if decision.decision != "eligible":
            raise Conflict(
                "%(participant)s cannot be enrolled: the enrolment gate says %(decision)s",
                participant=participant.code,
                decision=term(decision.decision, enrollment.DECISIONS[decision.decision]),
                code="gate_not_eligible")
        changes["gate_decision"] = decision.id
    participant.screening_status = status
    audit.record(session, actor, "participant.status", "participant", participant.code,
                 changes, reason)
    session.flush()
