"""What may go on a label: trial-coded fields only.

A :class:`LabelSpec` has no field for a name, a date of birth or a record number, so none can
be printed. Because the same fields also arrive as free text (CSV columns, form inputs), the
values are checked too: a participant code that reads like a name or carries a long digit run
(the shape of a hospital record number), or a visit that holds a date, is refused with a
:class:`~labels.errors.SpecError` rather than printed on a tube that leaves the site.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, TextIO

from labels.errors import SpecError
from labels.ids import IdError, parse

__all__ = [
    "FIELDS",
    "LABEL_KINDS",
    "LabelSpec",
    "read_csv",
    "spec_from_row",
]

#: label kind -> the ID prefix its ID must carry (aliquots and slides are specimens).
LABEL_KINDS: Final[dict[str, str]] = {
    "specimen": "SP",
    "aliquot": "SP",
    "slide": "SP",
    "box": "BX",
    "shipment": "SH",
    "location": "LC",
}
_SPECIMEN_KINDS: Final = frozenset({"specimen", "aliquot", "slide"})
_KIND_OF_PREFIX: Final = {"SP": "specimen", "BX": "box", "SH": "shipment", "LC": "location"}

FIELDS: Final[tuple[str, ...]] = (
    "kind",
    "id",
    "participant_code",
    "visit",
    "specimen_type",
    "collection_date",
)

# Column names people put in spreadsheets that would carry personal data; they get a pointed
# message instead of the generic "unknown column" so the sender knows why it was refused.
_PERSONAL_COLUMNS: Final = re.compile(
    r"name|surname|patient|dob|birth|mrn|record|hospital_?(no|num)|nhs|ssn|national|passport"
    r"|id_?card|phone|mobile|address|email|姓名|名字|出生|生日|病案|病历|住院号|身份证|电话|地址",
    re.IGNORECASE,
)

_PARTICIPANT = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,23}$")
_VISIT = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,15}$")
_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Six or more digits in a row is the shape of a record number or a packed date (19560302);
# trial codes keep their digit groups short (site 01, participant 0042).
_LONG_DIGITS = re.compile(r"[0-9]{6,}")
_DATE_LIKE = re.compile(
    r"(?<![0-9])((19|20)[0-9]{2}[-/.][0-9]{1,2}[-/.][0-9]{1,2}"
    r"|[0-9]{1,2}[-/.][0-9]{1,2}[-/.](19|20)[0-9]{2})(?![0-9])"
)
_PERSONAL_WORDS = re.compile(r"MRN|DOB|NAME|BIRTH|PATIENT", re.IGNORECASE)

# A "collection date" from before any trial this biobank serves is far more likely a date of
# birth typed into the wrong column than a real collection.
EARLIEST_COLLECTION: Final = date(2000, 1, 1)


def _check_code(field: str, value: str, pattern: re.Pattern[str], shape: str) -> str:
    if _PERSONAL_WORDS.search(value):
        raise SpecError("personal_data", f"{field} {value!r} looks like personal data")
    if _DATE_LIKE.search(value):
        raise SpecError("personal_data", f"{field} {value!r} holds a date (a date of birth?)")
    if _LONG_DIGITS.search(value):
        raise SpecError(
            "personal_data", f"{field} {value!r} has a long digit run (a record number?)"
        )
    if not pattern.match(value):
        raise SpecError("bad_field", f"{field} {value!r} is not a trial code ({shape})")
    return value


@dataclass(frozen=True, slots=True)
class LabelSpec:
    """The fields of one label. Construct it directly or with :func:`spec_from_row`.

    ``id`` is the label's own ID (for a box, the box's ID), printed as symbol and as text.
    ``specimen_type`` is a vocabulary code (``serum``); the caller may pass display names
    when rendering. Participant fields belong to specimen kinds only.
    """

    kind: str
    id: str
    participant_code: str | None = None
    visit: str | None = None
    specimen_type: str | None = None
    collection_date: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in LABEL_KINDS:
            raise SpecError(
                "bad_kind", f"kind {self.kind!r} is not one of {', '.join(LABEL_KINDS)}"
            )
        try:
            parsed = parse(self.id)
        except IdError as exc:
            raise SpecError(f"id_{exc.code}", exc.message) from None
        if parsed.prefix != LABEL_KINDS[self.kind]:
            raise SpecError(
                "kind_mismatch",
                f"{parsed.text} is a {parsed.kind} ID, not one for a {self.kind} label",
            )
        object.__setattr__(self, "id", parsed.text)
        has_participant_fields = any(
            v is not None
            for v in (self.participant_code, self.visit, self.specimen_type, self.collection_date)
        )
        if has_participant_fields and self.kind not in _SPECIMEN_KINDS:
            raise SpecError(
                "not_applicable",
                f"a {self.kind} label carries only its own ID, not participant or specimen fields",
            )
        if self.participant_code is not None:
            code = self.participant_code.strip().upper()
            if not any(c.isdigit() for c in code) and code:
                raise SpecError(
                    "personal_data",
                    f"participant_code {self.participant_code!r} has no digits (a name?)",
                )
            object.__setattr__(
                self,
                "participant_code",
                _check_code("participant_code", code, _PARTICIPANT, "A-Z 0-9 . _ / -, ≤ 24"),
            )
        if self.visit is not None:
            object.__setattr__(
                self,
                "visit",
                _check_code("visit", self.visit.strip().upper(), _VISIT, "A-Z 0-9 . _ / -, ≤ 16"),
            )
        if self.specimen_type is not None and not _TYPE.match(self.specimen_type):
            raise SpecError(
                "bad_field",
                f"specimen_type {self.specimen_type!r} is not a vocabulary code (e.g. 'serum')",
            )
        if self.collection_date is not None:
            d = self.collection_date
            if isinstance(d, datetime):
                object.__setattr__(self, "collection_date", d.date())
                d = d.date()
            if not isinstance(d, date):
                raise SpecError("bad_field", f"collection_date {d!r} is not a date")
            if d < EARLIEST_COLLECTION:
                raise SpecError(
                    "personal_data",
                    f"collection_date {d.isoformat()} is before {EARLIEST_COLLECTION.year} "
                    "(a date of birth?)",
                )


def _unknown_column_error(column: str) -> SpecError:
    if _PERSONAL_COLUMNS.search(column):
        return SpecError(
            "personal_data",
            f"column {column!r} is not allowed: labels carry trial codes only, never names, "
            "dates of birth or record numbers",
        )
    return SpecError("unknown_field", f"unknown column {column!r}; allowed: {', '.join(FIELDS)}")


def spec_from_row(row: Mapping[str, str | None]) -> LabelSpec:
    """A :class:`LabelSpec` from text fields (a CSV row, a form). Empty values mean absent.

    ``kind`` may be omitted: it then follows from the ID prefix (``SP`` → specimen).
    """
    for column in row:
        if column not in FIELDS:
            raise _unknown_column_error(str(column))
    values = {k: (v.strip() if isinstance(v, str) else v) or None for k, v in row.items()}
    raw_id = values.get("id")
    if raw_id is None:
        raise SpecError("missing_field", "the id field is empty")
    kind = values.get("kind")
    if kind is None:
        kind = _KIND_OF_PREFIX.get(raw_id[:2].upper(), "specimen")
    collected: date | None = None
    raw_date = values.get("collection_date")
    if raw_date is not None:
        try:
            collected = date.fromisoformat(raw_date)
        except ValueError:
            raise SpecError(
                "bad_field", f"collection_date {raw_date!r} is not a date like 2025-03-14"
            ) from None
    return LabelSpec(
        kind=kind.lower(),
        id=raw_id,
        participant_code=values.get("participant_code"),
        visit=values.get("visit"),
        specimen_type=values.get("specimen_type"),
        collection_date=collected,
    )


def read_csv(source: TextIO | str | Iterable[str]) -> list[LabelSpec]:
    """Label specs from CSV with a header row; errors name the line they come from.

    Every column is checked before any row, so a sheet with a ``name`` column is refused
    whole, not after printing half of it.
    """
    if isinstance(source, str):
        source = io.StringIO(source)
    try:
        return _read_rows(csv.DictReader(source))
    except csv.Error as exc:
        raise SpecError("bad_csv", f"not a readable CSV: {exc}") from None


def _read_rows(reader: csv.DictReader[str]) -> list[LabelSpec]:
    header = [h.strip().lstrip("\ufeff") for h in (reader.fieldnames or [])]
    if not header:
        raise SpecError("empty", "the CSV has no header row")
    for column in header:
        if column not in FIELDS:
            raise _unknown_column_error(column)
    if len(set(header)) != len(header):
        raise SpecError("duplicate_field", "the CSV header names a column twice")
    if "id" not in header:
        raise SpecError("missing_field", "the CSV has no id column")
    reader.fieldnames = header
    specs: list[LabelSpec] = []
    for row in reader:
        if None in row:
            raise SpecError(
                "bad_row", f"line {reader.line_num}: more values than columns in the header"
            )
        if not any((v or "").strip() for v in row.values()):
            continue
        try:
            specs.append(spec_from_row(row))
        except SpecError as exc:
            raise SpecError(exc.code, f"line {reader.line_num}: {exc.message}") from None
    return specs
