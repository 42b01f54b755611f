"""The molecular pathologist's worklist: the analyses waiting for them, oldest first.

Three queues, each an answer to "what do I do next?":

- awaiting review: classified, never signed, nothing reviewed yet (no override);
- awaiting sign-out: reviewed but not signed (overrides recorded before the first signature),
  or changed by an override after the last signed version (an amendment is due);
- re-review suggested: the current engine classifies a signed (or unsigned) analysis
  differently from the review (``flask reclassify``), not yet answered by a signature.

Each queue is one query over the few analyses waiting, never a scan of report contents.

Each queue is paged on the server (:data:`PAGE_SIZE` rows, oldest first): a central lab that
falls behind by a few hundred analyses still gets a page at once, and the counts beside each
heading are the queue's whole size, not the page's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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

__all__ = ["PAGE_SIZE", "QUEUES", "Item", "Worklist", "counts", "worklist"]

QUEUES = ("review", "signout", "rereview")
#: Rows per queue per page: a screen's worth, oldest first.
PAGE_SIZE = 25


@dataclass(frozen=True)
class Item:
    analysis: GenotypingAnalysis
    #: Since when it has been waiting (classified, last override, suggestion made).
    since: datetime | None
    detail: str = ""


@dataclass(frozen=True)
class Worklist:
    #: The rows of each queue's current page.
    review: list[Item]
    signout: list[Item]
    rereview: list[Item]
    #: Each queue's whole size, its page shown (1-based) and its number of pages.
    totals: dict[str, int]
    pages: dict[str, int]
    last_pages: dict[str, int]

    def counts(self) -> dict[str, int]:
        return dict(self.totals)


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


def worklist(session: Session, user: User, pages: Mapping[str, int] | None = None, *,
             size: int = PAGE_SIZE) -> Worklist:
    """The page ``pages[queue]`` (1-based; default the first) of each queue. A page past the
    end shows the last one: a queue shrinks as the work is done, and the pathologist who
    signed the last row of page 3 should see page 2, not an empty table."""
    q = _queues(user)
    totals = _counts(session, q)
    shown: dict[str, int] = {}
    last: dict[str, int] = {}
    rows: dict[str, list[Any]] = {}
    for name in QUEUES:
        last[name] = max(1, -(-totals[name] // size))
        shown[name] = min(max(1, (pages or {}).get(name, 1)), last[name])
        rows[name] = list(session.execute(
            q[name].limit(size).offset((shown[name] - 1) * size)))
    return Worklist(
        review=[Item(a, finished) for a, finished, _ in rows["review"]],
        signout=[Item(a, overridden) for a, _, overridden in rows["signout"]],
        rereview=[Item(a, since) for a, since in rows["rereview"]],
        totals=totals, pages=shown, last_pages=last)


def _counts(session: Session, queues: dict[str, Select]) -> dict[str, int]:
    return {name: int(session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())).scalar_one())
        for name, query in queues.items()}


def counts(session: Session, user: User) -> dict[str, int]:
    """How many analyses wait in each queue (the home page's figures)."""
    return _counts(session, _queues(user))
