"""Local time at the sites: parse what people type, show stored UTC times in the site's zone.

Everything is stored as timezone-aware UTC. People type dates the way they write them at the
bench — ``2026-11-24``, ``2026/11/24``, ``24/11/2026``, ``2026年11月24日`` — optionally followed
by ``HH:MM`` (or ``HH:MM:SS``); :func:`parse_local` reads that as a wall-clock time in the
site's zone and returns the aware UTC instant. Slash dates with the year last are day-first
(``03/04/2026`` is 3 April), as written in China and Europe; a month above 12 is refused, never
silently swapped. Full-width digits and punctuation from a Chinese input method are accepted.

No Flask here: the web layer passes the locale in, services and PDFs can use it as well.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import FieldError, ValidationError
from .inputs import check_instant

__all__ = [
    "DEFAULT_TIMEZONE", "format_local", "parse_datetime", "parse_local", "parse_local_date", "zone",
    "zone_label",
]

DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
_ACCEPTED: Final = (
    "2026-11-24, 2026/11/24, 24/11/2026 or 2026年11月24日, optionally followed by HH:MM"
)

_TIME = r"(?:[ T]*(?P<H>\d{1,2})(?::|时|点)(?P<M>\d{2})(?:(?::|分)(?P<S>\d{2})秒?|分)?)?"
_PATTERNS: Final = (
    # 2026-11-24, 2026/11/24, 2026.11.24
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME),
    # 2026年11月24日 (the 日 may be left off), spaces allowed between the parts
    re.compile(r"(?P<y>\d{4}) *年 *(?P<m>\d{1,2}) *月 *(?P<d>\d{1,2}) *(?:日|号)?" + _TIME),
    # 24/11/2026, 24.11.2026, 24-11-2026 (day first)
    re.compile(r"(?P<d>\d{1,2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})" + _TIME),
    # 20261124 (what some scanners and spreadsheets produce)
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})" + _TIME),
)


def zone(tz: str | None = None) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name (the demo sites' default when empty)."""
    try:
        return ZoneInfo(tz or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError("unknown time zone %(tz)r", tz=tz) from exc


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, slashes, colons and spaces into ASCII.
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _match(text: str, field: str = "date") -> tuple[date, time | None]:
    # Refusals name the field they are about, so a form shows them beside it.
    cleaned = _normalise(text)
    if not cleaned:
        raise FieldError("Enter a date, e.g. 2026-11-24 or 2026-11-24 14:30.", field=field)
    for pattern in _PATTERNS:
        m = pattern.fullmatch(cleaned)
        if m is None:
            continue
        try:
            day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError as exc:
            raise FieldError("not a real date: %(value)r", value=text.strip(),
                             field=field) from exc
        if m["H"] is None:
            return day, None
        try:
            return day, time(int(m["H"]), int(m["M"]), int(m["S"] or 0))
        except ValueError as exc:
            raise FieldError("not a real time of day: %(value)r", value=text.strip(),
                             field=field) from exc
    raise FieldError(
        "unrecognised date %(value)r: use %(accepted)s",
        value=text.strip(), accepted=_ACCEPTED, field=field)


def parse_local(text: str, tz: str | None = None, *, default_time: time = time(0, 0),
                field: str = "date") -> datetime:
    """Read a local date (and optional time) typed at a site; return the aware UTC instant.

    A date without a time means ``default_time`` (midnight) that day, in the site's zone. A
    date outside 1900–2100 is refused (:func:`~biobank.inputs.check_instant`, naming ``field``).
    """
    day, clock = _match(text, field)
    local = datetime.combine(day, clock or default_time, tzinfo=zone(tz))
    return check_instant(field, local)


def parse_datetime(text: str, tz: str | None = None, *, field: str = "date") -> datetime:
    """ISO 8601 with an offset (``2026-11-24T14:30+08:00``, ``...Z``) as written, else a local
    date/time typed at the site (:func:`parse_local`). Returns the aware UTC instant, within
    1900–2100 (checked before the offset is applied, so nothing overflows)."""
    cleaned = _normalise(text)
    try:
        value = datetime.fromisoformat(cleaned.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        value = None
    if value is not None and value.tzinfo is not None:
        return check_instant(field, value)
    return parse_local(text, tz, field=field)


def parse_local_date(text: str) -> date:
    """Just the calendar date of what was typed (a time, if any, is ignored)."""
    return _match(text)[0]


def zone_label(tz: str | None = None, at: datetime | None = None) -> str:
    """The zone as printed on documents: ``Asia/Shanghai (UTC+08:00)``."""
    z = zone(tz)
    offset = (at or datetime.now(UTC)).astimezone(z).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"{z.key} (UTC{sign}{hh:02d}:{mm:02d})"


def format_local(value: datetime | None, tz: str | None = None, locale: str = "en", *,
                 seconds: bool = False, with_zone: bool = True) -> str:
    """A stored UTC time shown in the site's zone, in the reader's convention, naming the zone.

    ``en``: ``2026-11-24 22:05 CST``; ``zh``: ``2026年11月24日 22:05 CST``. A naive value is
    taken as UTC (the storage convention), never as local time.
    """
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone(tz))
    clock = "%H:%M:%S" if seconds else "%H:%M"
    if locale.startswith("zh"):
        text = f"{local.year}年{local.month:02d}月{local.day:02d}日 {local.strftime(clock)}"
    else:
        text = local.strftime("%Y-%m-%d " + clock)
    return f"{text} {local.tzname()}" if with_zone else text
