"""The one input boundary: what a value typed into a form or sent in a JSON body may be.

Every field a page or the API reads is declared once with one of these specs (``web/boundary.py``
keeps the registry of forms and request bodies; the OpenAPI document is generated from the same
specs). A refused value raises :class:`~biobank.errors.FieldError` naming the field, which the
web layer answers with 422 (JSON under ``/api/v1``, the page otherwise) and a page can show
beside its field.

The rules, for every field:

- text: no NUL or other C0/C1 control character except TAB, LF and CR, no unpaired surrogate,
  no bidirectional embedding/override/isolate character (U+202A–U+202E, U+2066–U+2069: they
  make a code read differently from what is stored); at most the column's length. Letters of
  any script, right-to-left ones included, are text like any other.
- numbers: finite (no NaN, sNaN or Infinity), within the field's plausible range, with no more
  decimal places than the column keeps (``1E-999999`` is not silently stored as 0).
- date-times: within 1900–2100, checked before the offset is applied, so timezone arithmetic
  cannot overflow (``0001-01-01T00:00+14:00`` is a refusal, not an OverflowError).

No Flask here: services may use the same specs (the enrolment gate's lab limits do).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from .errors import FieldError

__all__ = [
    "EARLIEST", "LATEST", "MAX_TEXT", "Choice", "DateTime", "Flag", "Integer", "Number", "Spec",
    "Text", "TextList", "check_instant", "check_text", "parse_decimal",
]

#: Any one text value in a request, unless its field declares more (a rack CSV).
MAX_TEXT: Final = 10_000
#: The window a recorded date-time must fall in (UTC), for every date field of the app.
EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)

# C0 controls but TAB (09), LF (0A), CR (0D); DEL and the C1 controls; bidi embeddings,
# overrides and isolates; lone surrogates (a JSON "\ud800" decodes to one).
_FORBIDDEN: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NUMBER: Final = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def check_text(name: str, value: str, max_length: int = MAX_TEXT) -> str:
    """``value`` unchanged, or :class:`FieldError` naming ``name`` and what is wrong."""
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        raise FieldError(
            "%(field)s: the character U+%(char)s is not allowed (a control or "
            "text-direction character)",
            field=name, char=f"{ord(bad.group()):04X}", code="bad_character")
    if len(value) > max_length:
        raise FieldError("%(field)s: at most %(max)s characters", field=name, max=max_length,
                         code="too_long")
    return value


def parse_decimal(name: str, raw: object, *, low: Decimal, high: Decimal,
                  places: int) -> Decimal:
    """A finite decimal in ``[low, high]`` with at most ``places`` decimal places. Accepts a
    JSON number or a typed one (a comma as the decimal mark, a Unicode minus)."""
    if isinstance(raw, bool):
        raise FieldError("%(field)s: must be a number", field=name, code="not_a_number")
    if isinstance(raw, (int, float, Decimal)):
        text = str(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace(",", ".").replace("\u2212", "-")
    else:
        raise FieldError("%(field)s: must be a number", field=name, code="not_a_number")
    # A plain decimal numeral only: "NaN", "sNaN", "Infinity" and "0x10" are not numbers
    # anyone measured; a numeral of 40 digits is no plausible measurement either.
    if not _NUMBER.fullmatch(text):
        raise FieldError("%(field)s: %(value)s is not a number", field=name,
                         value=text[:40], code="not_a_number")
    if len(text) > 40:
        raise FieldError("%(field)s: must be between %(low)s and %(high)s", field=name,
                         low=_plain(low), high=_plain(high), code="out_of_range")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numerals
        raise FieldError("%(field)s: %(value)s is not a number", field=name,
                         value=text[:40], code="not_a_number") from None
    if not value.is_finite() or not low <= value <= high:
        raise FieldError("%(field)s: must be between %(low)s and %(high)s", field=name,
                         low=_plain(low), high=_plain(high), code="out_of_range")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places and value != value.quantize(
            Decimal(1).scaleb(-places)):
        raise FieldError("%(field)s: at most %(places)s decimal places", field=name,
                         places=places, code="too_precise")
    return value


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f")


def check_instant(name: str, value: datetime) -> datetime:
    """An aware date-time inside :data:`EARLIEST`–:data:`LATEST`, as UTC. The wall-clock year is
    checked before the offset is applied: converting year 1 or 9999 with an offset overflows."""
    if value.tzinfo is None:
        raise FieldError("%(field)s: give a time zone (e.g. +08:00 or Z)", field=name,
                         code="no_timezone")
    if not EARLIEST.year <= value.year <= LATEST.year:
        raise FieldError("%(field)s: the date must be between 1900 and 2100", field=name,
                         code="out_of_range")
    utc = value.astimezone(UTC)
    if not EARLIEST <= utc <= LATEST:
        raise FieldError("%(field)s: the date must be between 1900 and 2100", field=name,
                         code="out_of_range")
    return utc


# --- field specs -------------------------------------------------------------------------------
class Spec:
    """One field: how its raw value (form text or JSON) becomes the value a view passes on."""

    required: bool = False
    #: The largest text the field takes (the global character check uses it for its length cap).
    max_length: int = MAX_TEXT

    def from_form(self, name: str, raw: str) -> Any:
        return self.clean(name, raw)

    def from_json(self, name: str, raw: object) -> Any:
        return self.clean(name, raw)

    def clean(self, name: str, raw: object) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def missing(self, name: str) -> Any:
        if self.required:
            raise FieldError("%(field)s is required", field=name, code="required")
        return None


def _text(name: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise FieldError("%(field)s: must be text", field=name, code="not_text")
    return raw


@dataclass(frozen=True)
class Text(Spec):
    """Free text, kept as sent (services strip it where they store it stripped)."""

    max_length: int = 200
    required: bool = False
    min_length: int = 0
    description: str = ""

    def clean(self, name: str, raw: object) -> str:
        value = check_text(name, _text(name, raw), self.max_length)
        if self.required and not value.strip():
            raise FieldError("%(field)s is required", field=name, code="required")
        if len(value.strip()) < self.min_length:
            raise FieldError("%(field)s: at least %(min)s characters", field=name,
                             min=self.min_length, code="too_short")
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.required or self.min_length:
            out["minLength"] = max(1, self.min_length)
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class Choice(Spec):
    """One of a fixed set of codes."""

    values: tuple[str, ...] = ()
    required: bool = False
    max_length: int = 64

    def clean(self, name: str, raw: object) -> str:
        value = check_text(name, _text(name, raw), self.max_length)
        if value not in self.values:
            raise FieldError("%(field)s: choose one of %(choices)s", field=name,
                             choices=", ".join(self.values), code="bad_choice")
        return value

    def from_form(self, name: str, raw: str) -> str | None:
        if raw == "" and not self.required:
            return None  # an unselected <select> with an empty first option
        return self.clean(name, raw)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.values)}


@dataclass(frozen=True)
class Number(Spec):
    """A decimal quantity within a plausible range, at most ``places`` decimals."""

    low: Decimal = Decimal(0)
    high: Decimal = Decimal(1_000_000)
    places: int = 3
    required: bool = False
    max_length: int = 40

    def clean(self, name: str, raw: object) -> Decimal:
        return parse_decimal(name, raw, low=self.low, high=self.high, places=self.places)

    def from_form(self, name: str, raw: str) -> Decimal | None:
        if not raw.strip():
            return self.missing(name)
        return self.clean(name, raw)

    def schema(self) -> dict[str, Any]:
        return {"type": "number", "minimum": float(self.low), "maximum": float(self.high)}


@dataclass(frozen=True)
class Integer(Spec):
    low: int = 0
    high: int = 2**31 - 1
    required: bool = False
    max_length: int = 20

    def clean(self, name: str, raw: object) -> int:
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise FieldError("%(field)s: must be a whole number", field=name,
                             code="not_a_number")
        text = str(raw).strip()
        if len(text) > 20 or not re.fullmatch(r"[+-]?\d+", text):
            raise FieldError("%(field)s: must be a whole number", field=name,
                             code="not_a_number")
        value = int(text)
        if not self.low <= value <= self.high:
            raise FieldError("%(field)s: must be between %(low)s and %(high)s", field=name,
                             low=self.low, high=self.high, code="out_of_range")
        return value

    def from_form(self, name: str, raw: str) -> int | None:
        if not raw.strip():
            return self.missing(name)
        return self.clean(name, raw)

    def schema(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class DateTime(Spec):
    """A date and time. JSON: ISO 8601 with its offset. A form: ISO with an offset, or a local
    date/time as people type it, read in the site's zone by the view (so it stays text here:
    the view parses it with :func:`biobank.localtime.parse_datetime`, which applies the same
    window)."""

    required: bool = False
    max_length: int = 64

    def clean(self, name: str, raw: object) -> str:
        return check_text(name, _text(name, raw), self.max_length)

    def from_json(self, name: str, raw: object) -> datetime:
        text = check_text(name, _text(name, raw), self.max_length).strip()
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise FieldError("%(field)s: %(value)s is not an ISO 8601 date and time", field=name,
                             value=text[:40], code="bad_datetime") from None
        return check_instant(name, value)

    def from_form(self, name: str, raw: str) -> str | None:
        if not raw.strip():
            return self.missing(name)
        return self.clean(name, raw)

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}


@dataclass(frozen=True)
class Flag(Spec):
    """Yes or no: a JSON boolean, or a checkbox/"yes"/"no" on a form."""

    required: bool = False
    max_length: int = 8

    def clean(self, name: str, raw: object) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in {"yes", "on", "true", "1", "no", "false",
                                                    "0"}:
            return raw.lower() in {"yes", "on", "true", "1"}
        raise FieldError("%(field)s: answer yes or no", field=name, code="not_a_flag")

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class TextList(Spec):
    """A list of short texts (codes to print): a repeated form field or a JSON array."""

    item: Text = field(default_factory=lambda: Text(max_length=64))
    max_items: int = 1000
    required: bool = False

    def clean(self, name: str, raw: object) -> list[str]:
        if not isinstance(raw, list):
            raise FieldError("%(field)s: must be a list", field=name, code="not_a_list")
        if len(raw) > self.max_items:
            raise FieldError("%(field)s: at most %(max)s items", field=name, max=self.max_items,
                             code="too_many")
        if self.required and not raw:
            raise FieldError("%(field)s is required", field=name, code="required")
        return [self.item.clean(f"{name}[{i}]", v) for i, v in enumerate(raw)]

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema(),
                               "maxItems": self.max_items}
        if self.required:
            out["minItems"] = 1
        return out


def read(specs: Mapping[str, Spec], data: Mapping[str, Any], *, json: bool,
         required: Sequence[str] = ()) -> dict[str, Any]:
    """The fields of ``data`` cleaned by their specs. An absent field (or a JSON null) is left
    out, or refused when required; a JSON field nobody declared is refused (a misspelt or
    forbidden name must not be ignored silently). Refusals are collected: the first is raised
    with all of them in ``errors``."""
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    if json:
        errors += [FieldError("%(field)s: this request does not take that field",
                              field=str(name), code="forbidden_field")
                   for name in data if name not in specs]
    for name, spec in specs.items():
        try:
            raw = data.get(name)
            if raw is None or (not json and isinstance(raw, str) and raw == ""
                               and not isinstance(spec, Text)):
                if name in required:
                    raise FieldError("%(field)s is required", field=name, code="required")
                spec.missing(name)
                continue
            out[name] = spec.from_json(name, raw) if json else spec.from_form(name, raw)
        except FieldError as exc:
            errors.extend(exc.errors)
    if errors:
        raise FieldError.collect(errors)
    return out


def schema(specs: Mapping[str, Spec], required: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON schema (OpenAPI 3.0) of a body with these fields."""
    out: dict[str, Any] = {"type": "object", "additionalProperties": False,
                           "properties": {n: s.schema() for n, s in specs.items()}}
    needed = [n for n, s in specs.items() if s.required or n in required]
    if needed:
        out["required"] = needed
    return out
