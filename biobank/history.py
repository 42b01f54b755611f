"""A record's history as people read it: field names and coded values by their labels, times in
the site's local time to the minute, nothing recorded as "—" and an empty text as "(empty)".

The audit trail and specimen events store codes and UTC ISO times (``site: ['S01', 'CB']``,
``collected_at: '2026-11-24T06:05:00.123456+00:00'``); the specimen page and the audit page
show ``Site: S01 → CB``. No Flask here: pages pass Flask-Babel's gettext, files pass
:func:`biobank.i18n.translator`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

from . import localtime, vocabulary
from .i18n import LIST_SEPARATOR, N_

__all__ = ["change_lines", "value_text"]

YES: Final = N_("yes")
NO: Final = N_("no")
EMPTY: Final = N_("(empty)")
CHANGED: Final = N_("%(field)s: %(old)s → %(new)s")
VALUE: Final = N_("%(field)s: %(value)s")
_ISO: Final = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def value_text(field: str, value: object, gettext: Callable[[str], str], tz: str | None = None,
               locale: str = "en") -> str:
    """One value of ``field``: a code by its label, a stored time in local time, none as "—".
    A text cleared to "" is "(empty)": a reader of the audit tells "never set" from "emptied"."""
    if value == "":
        return gettext(EMPTY)
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return gettext(YES if value else NO)
    if isinstance(value, (list, tuple)):
        return gettext(LIST_SEPARATOR).join(
            value_text(field, v, gettext, tz, locale) for v in value)
    domain = vocabulary.FIELD_VALUES.get(field)
    if domain is not None and isinstance(value, str):
        return vocabulary.display(domain, value, gettext)
    if isinstance(value, datetime):
        return localtime.format_local(value, tz, locale)
    if isinstance(value, str) and _ISO.match(value):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        return localtime.format_local(when, tz, locale)
    return str(value)


def change_lines(changes: Mapping[str, object], gettext: Callable[[str], str],
                 tz: str | None = None, locale: str = "en") -> list[str]:
    """``{"site": ["S01", "CB"], "freeze_thaw_count": [0, 1]}`` →
    ``["Site: S01 → CB", "Freeze–thaw cycles: 0 → 1"]`` in the language of ``gettext``.

    A pair is old → new. A correction's ``{"field": f, "old": a, "new": b}`` reads as
    ``<f's name>: a → b``, its values shown as that field's values.
    """
    lines: list[str] = []
    items = dict(changes)
    named = items.get("field")
    if isinstance(named, str) and "old" in items and "new" in items:
        old, new = items.pop("old"), items.pop("new")
        items.pop("field")
        lines.append(_line(named, [old, new], gettext, tz, locale))
    for key, value in items.items():
        lines.append(_line(key, value, gettext, tz, locale))
    return lines


def _line(key: str, value: object, gettext: Callable[[str], str], tz: str | None,
          locale: str) -> str:
    name = vocabulary.display("field", key, gettext)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        old, new = (value_text(key, v, gettext, tz, locale) for v in value)
        return gettext(CHANGED) % {"field": name, "old": old, "new": new}
    return gettext(VALUE) % {"field": name, "value": value_text(key, value, gettext, tz, locale)}
