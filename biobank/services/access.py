"""Who may see and change what: site scoping and roles, enforced at the object level."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..errors import NotFound, PermissionDenied
from ..i18n import term
from ..models import Participant, Specimen, User
from . import audit

WRITE_ROLES = frozenset({"technician", "pathologist", "coordinator", "admin"})
#: The refusal of a scanned tube that belongs to another site (see get_scanned_specimen).
OTHER_SITE = "other_site"


def can_see_site(user: User, site_id: int) -> bool:
    return user.sees_all_sites or user.site_id == site_id


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise PermissionDenied(
            "your role (%(role)s) may not do this; it needs: %(roles)s",
            role=term(user.role), roles=", ".join(roles))


def require_write(user: User) -> None:
    if user.role not in WRITE_ROLES:
        raise PermissionDenied("your role (%(role)s) is read-only", role=term(user.role))


def participants_query(user: User) -> Select[Participant]:
    q = select(Participant).order_by(Participant.code)
    if not user.sees_all_sites:
        q = q.where(Participant.site_id == user.site_id)
    return q


def get_participant(session: Session, user: User, code: str) -> Participant:
    p = session.execute(
        select(Participant).where(Participant.code == code.strip().upper())
    ).scalar_one_or_none()
    # The same answer for "absent" and "another site's": existence must not leak across sites.
    if p is None or not can_see_site(user, p.site_id):
        raise NotFound("no participant %(participant)r visible to you", participant=code)
    return p


def specimen_visible(user: User, specimen: Specimen) -> bool:
    return (
        user.sees_all_sites
        or specimen.participant.site_id == user.site_id
        or specimen.site_id == user.site_id
    )


def get_specimen(session: Session, user: User, barcode: str) -> Specimen:
    s = session.execute(
        select(Specimen).where(Specimen.barcode == barcode.strip().upper())
    ).scalar_one_or_none()
    if s is None or not specimen_visible(user, s):
        raise NotFound("no specimen %(barcode)r visible to you", barcode=barcode)
    return s


def get_scanned_specimen(session: Session, user: User, code: str) -> Specimen:
    """The specimen whose label was just scanned (``code`` already checked).

    Unlike :func:`get_specimen`, another site's tube is named as such: the tube is in the
    technician's hand, so that its label was issued is no secret, and "unknown code" would
    send them looking for a registration error that is not there. The answer says no more
    than that (not whose it is, nor which site): the coordinator, who sees every site, takes
    it from there. The scan is audited at the scanning site, so the coordinator can trace
    where the tube turned up; views record the refusal (``record_refusal(OTHER_SITE)``).
    """
    sp = session.execute(
        select(Specimen).where(Specimen.barcode == code.strip().upper())
    ).scalar_one_or_none()
    if sp is None:
        raise NotFound("unknown code %(scanned)s: no specimen with this label is on record",
                       scanned=code, code="unknown_code")
    if not specimen_visible(user, sp):
        audit.record(session, user, "specimen.scanned_at_other_site", "specimen", sp.barcode,
                     {"scanned_at": user.site.code})
        raise PermissionDenied(
            "%(scanned)s is registered to another site. Set the tube aside and tell your "
            "trial coordinator; nothing else was recorded for it here.",
            scanned=sp.barcode, code=OTHER_SITE)
    return sp

