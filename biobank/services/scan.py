"""What a keyboard-wedge scanner typed: clean it, check it, find the object, act on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from labels import ids

from ..errors import ValidationError
from ..i18n import N_
from ..models import Specimen, User
from . import access, shipments, specimens, storage

MAX_SCAN_LENGTH = 64


class ScanError(ValidationError):
    """A scan that is not a valid ID; ``code`` is the labels.ids reason (bad_check, ...)."""


class ConditionCard(ScanError):
    """A condition card (shipments.CONDITION_PREFIX) where an ID was expected. The receive
    screen takes it for the next tube; every other screen refuses it by name."""

    def __init__(self, text: str) -> None:
        super().__init__(N_(
            "%(scanned)s is a condition card: scan it on the receive screen, just before the "
            "tube it describes"), scanned=text[:32], code="condition_card")
        self.condition = shipments.condition_of(text)


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
    if shipments.condition_of(text) is not None:
        raise ConditionCard(text.strip().upper())
    try:
        return ids.parse(text).text
    except ids.IdError as exc:
        raise id_refusal(exc, text) from exc


def id_refusal(exc: ids.IdError, text: str) -> ScanError:
    """The app's own sentence for each reason the ID scheme refuses a scan, so that the most
    common refusal at the bench reads in the user's language (the library's text is
    English); the scanned text is data."""
    scanned = text.strip()[:32]
    if exc.code == "empty":
        return ScanError("nothing was scanned", code=exc.code)
    if exc.code == "too_long":
        return ScanError("the scan is %(length)s characters long; an ID has %(id_length)s",
                         length=len(text.strip()), id_length=ids.LENGTH, code=exc.code)
    if exc.code == "non_ascii":
        return ScanError("the scan holds non-ASCII or control characters (a look-alike or a "
                         "garbled read)", code=exc.code)
    if exc.code == "bad_format":
        return ScanError("%(scanned)r is not an ID: expected two letters, %(digits)s digits "
                         "and a check character", scanned=scanned, digits=ids.DIGITS,
                         code=exc.code)
    if exc.code == "unknown_kind":
        return ScanError("%(scanned)r has an unknown prefix", scanned=scanned, code=exc.code)
    if exc.code == "bad_check":
        return ScanError("%(scanned)r has a wrong check character (misread or mistyped)",
                         scanned=scanned, code=exc.code)
    return ScanError("%(scanned)r is not a valid ID: %(reason)s", scanned=scanned,
                     reason=exc.message, code=exc.code)


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
    specimen = access.get_scanned_specimen(session, user, code)
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
