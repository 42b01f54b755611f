"""The molecular pathologist's worklist: the analyses waiting for them, oldest first.

Three queues, each an answer to "what do I do next?":

- awaiting review: classified, never signed, nothing reviewed yet (no override);
- awaiting sign-out: reviewed but not signed (overrides recorded before the first signature),
  or changed by an override after the last signed version (an amendment is due);
- re-review suggested: the current engine classifies a signed (or unsigned) analysis
  differently from the review (``flask reclassify``), not yet answered by a signature.

Each queue is one query over the few analyses waiting, never a scan of report contents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..models import (
    ClassificationJob,
    GenotypingAnalysis,
    GenotypingReport,
    GenotypingVariant,
    Participant,
    ReportVersion,
    ReReview,
    User,
    VariantOverride,
)

__all__ = ["QUEUES", "Item", "Worklist", "counts", "worklist"]

QUEUES = ("review", "signout", "rereview")


@dataclass(frozen=True)
class Item:
    analysis: GenotypingAnalysis
    #: Since when it has been waiting (classified, last override, suggestion made).
    since: datetime | None
    detail: str = ""


@dataclass(frozen=True)
class Worklist:
    review: list[Item]
    signout: list[Item]
    rereview: list[Item]

    def counts(self) -> dict[str, int]:
        return {q: len(getattr(self, q)) for q in QUEUES}


def _visible(q: Select, user: User) -> Select:
    if user.sees_all_sites:
        return q
    return q.join(Participant, Participant.id == GenotypingAnalysis.participant_id).where(
        Participant.site_id == user.site_id)


def _queues(user: User) -> dict[str, Select]:
    signed_at = (select(GenotypingReport.analysis_id.label("aid"),
                        func.max(ReportVersion.signed_at).label("at"))
                 .join(ReportVersion, ReportVersion.report_id == GenotypingReport.id)
                 .group_by(GenotypingReport.analysis_id).subquery())
    overridden_at = (select(GenotypingVariant.analysis_id.label("aid"),
                            func.max(VariantOverride.at).label("at"))
                     .join(VariantOverride, VariantOverride.variant_id == GenotypingVariant.id)
                     .group_by(GenotypingVariant.analysis_id).subquery())
    done = (select(GenotypingAnalysis, ClassificationJob.finished_at, overridden_at.c.at)
            .join(ClassificationJob, ClassificationJob.analysis_id == GenotypingAnalysis.id)
            .outerjoin(signed_at, signed_at.c.aid == GenotypingAnalysis.id)
            .outerjoin(overridden_at, overridden_at.c.aid == GenotypingAnalysis.id)
            .where(ClassificationJob.state == "done"))
    review = (done.where(signed_at.c.aid.is_(None), overridden_at.c.aid.is_(None))
              .order_by(ClassificationJob.finished_at, GenotypingAnalysis.id))
    signout = (done.where(overridden_at.c.aid.is_not(None),
                          signed_at.c.aid.is_(None) | (overridden_at.c.at > signed_at.c.at))
               .order_by(overridden_at.c.at, GenotypingAnalysis.id))
    rereview = (select(GenotypingAnalysis, func.min(ReReview.created_at).label("since"))
                .join(ReReview, ReReview.analysis_id == GenotypingAnalysis.id)
                .where(ReReview.resolved_by_version_id.is_(None))
                .group_by(GenotypingAnalysis.id)
                .order_by(func.min(ReReview.created_at), GenotypingAnalysis.id))
    return {"review": _visible(review, user), "signout": _visible(signout, user),
            "rereview": _visible(rereview, user)}


def worklist(session: Session, user: User) -> Worklist:
    q = _queues(user)
    review = [Item(a, finished) for a, finished, _ in session.execute(q["review"])]
    signout = [Item(a, overridden) for a, _, overridden in session.execute(q["signout"])]
    rereview = [Item(a, since) for a, since in session.execute(q["rereview"])]
    return Worklist(review, signout, rereview)


def counts(session: Session, user: User) -> dict[str, int]:
    """How many analyses wait in each queue (the home page's figures)."""
    return {name: int(session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())).scalar_one())
        for name, query in _queues(user).items()}
