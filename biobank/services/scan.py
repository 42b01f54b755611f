"""What a keyboard-wedge scanner typed: clean it, check it, find the object, act on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from labels import ids

from ..errors import NotFound, ValidationError
from ..models import Specimen, User
from . import access, shipments, specimens, storage

MAX_SCAN_LENGTH = 64


class ScanError(ValidationError):
    """A scan that is not a valid ID; ``code`` is the labels.ids reason (bad_check, ...)."""


def clean(raw: str, prefixes: tuple[str, ...] = (), suffixes: tuple[str, ...] = ()) -> str:
    """Strip what scanners add (CR/LF/TAB, configured prefix/suffix) and validate the ID."""
    if len(raw) > MAX_SCAN_LENGTH * 2:
        raise ScanError(
            "scan is %(length)s characters long; refusing it",
            length=len(raw), code="too_long")
    text = raw.rstrip("\r\n\t")
    for p in prefixes:
        if p and text.startswith(p):
            text = text[len(p):]
            break
    for s in suffixes:
        if s and text.endswith(s):
            text = text[: -len(s)]
            break
    try:
        return ids.parse(text).text
    except ids.IdError as exc:
        raise ScanError(exc.message, code=exc.code) from exc


@dataclass
class ScanResult:
    code: str
    kind: str
    outcome: str  # "found" | "collected"
    message: str
    specimen: Specimen | None = None
    # A box, location or shipment (their areas' own model objects) when that was scanned.
    target: object | None = None
    warnings: list[str] = field(default_factory=list)


def resolve(
    session: Session,
    user: User,
    raw: str,
    *,
    prefixes: tuple[str, ...] = (),
    suffixes: tuple[str, ...] = (),
    register: bool = True,
) -> ScanResult:
    """Find what was scanned. A pre-printed label of an expected specimen, scanned by a
    technician of its site, registers the collection (time and technician)."""
    code = clean(raw, prefixes, suffixes)
    kind = ids.KINDS[code[:2]]
    if kind == "shipment":
        return ScanResult(code, kind, "found", code,
                          target=shipments.resolve_scan(session, user, code))
    if kind in {"box", "location"}:
        return ScanResult(code, kind, "found", code,
                          target=storage.resolve_scan(session, user, code))
    try:
        specimen = access.get_specimen(session, user, code)
    except NotFound as exc:
        raise NotFound(
            "unknown code %(scanned)s: no specimen with this label is on record",
            scanned=code, code="unknown_code") from exc
    if (
        register
        and specimen.status == "expected"
        and user.role in {"technician", "admin"}
        and specimen.participant.site_id == user.site_id
    ):
        specimens.lock(session, specimen)
        # A double read or a second technician may have registered it a moment ago.
        if specimen.status == "expected":
            specimens.register_collection(session, user, specimen)
            return ScanResult(code, kind, "collected",
                              f"{code} registered as collected", specimen)
    return ScanResult(code, kind, "found", f"{code}", specimen)
