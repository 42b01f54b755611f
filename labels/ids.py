"""Identifier scheme shared by printing and scanning.

Every object that carries a label (specimen, box, shipment, storage container) has an ID of
the form ``PP`` + 8 digits + one check character, e.g. ``SP00000042K``:

* ``PP`` is a two-letter kind prefix (see :data:`KINDS`);
* the check character is ISO/IEC 7064 MOD 37-2 (pure system, radix 2) computed over the prefix
  and the digits. Because 37 is prime and 2 generates its multiplicative group, it detects every
  single-character substitution and every transposition of two adjacent characters (the hybrid
  MOD 37,36 misses some transpositions, which is why it is not used). MOD 37-2's 37th check
  value is ``*``; sequence numbers whose check would be ``*`` are never issued
  (:func:`is_issuable`), so every ID stays alphanumeric. Restricting the set of issued codewords
  does not weaken detection: every corrupted ID is still a non-codeword.

IDs are upper-case ASCII; :func:`parse` accepts what a keyboard-wedge scanner types (trailing
CR/LF/TAB, lower case) and rejects anything else with a specific :class:`IdError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ALPHABET",
    "KINDS",
    "IdError",
    "LabelId",
    "check_character",
    "format_id",
    "is_issuable",
    "is_valid",
    "parse",
]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_CHECK_ALPHABET = ALPHABET + "*"
_MOD = 37

#: prefix -> kind of object; the prefix is part of the checked payload.
KINDS: dict[str, str] = {
    "SP": "specimen",
    "BX": "box",
    "SH": "shipment",
    "LC": "location",  # freezers, racks, shelves, cabinets
}

DIGITS = 8
LENGTH = 2 + DIGITS + 1
_SHAPE = re.compile(rf"^([A-Z]{{2}})([0-9]{{{DIGITS}}})([0-9A-Z])$")


class IdError(ValueError):
    """A string is not a valid label ID; ``code`` says why in a stable, machine-readable word."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_character(payload: str) -> str:
    """ISO/IEC 7064 MOD 37-2 check character (0-9, A-Z or ``*``) for an upper-case payload."""
    p = 0
    for ch in payload:
        value = ALPHABET.find(ch)
        if value < 0:
            raise IdError("bad_character", f"{ch!r} is not allowed in an ID")
        p = ((p + value) * 2) % _MOD
    return _CHECK_ALPHABET[(_MOD + 1 - p) % _MOD]


@dataclass(frozen=True)
class LabelId:
    """A parsed, valid ID."""

    prefix: str
    number: int

    @property
    def kind(self) -> str:
        return KINDS[self.prefix]

    @property
    def text(self) -> str:
        return format_id(self.prefix, self.number)

    def __str__(self) -> str:
        return self.text


def _payload(prefix: str, number: int) -> str:
    if prefix not in KINDS:
        raise IdError("unknown_kind", f"unknown ID prefix {prefix!r}")
    if not 0 <= number < 10**DIGITS:
        raise IdError("out_of_range", f"ID number {number} does not fit in {DIGITS} digits")
    return f"{prefix}{number:0{DIGITS}d}"


def is_issuable(prefix: str, number: int) -> bool:
    """False for the ~1 in 37 numbers whose check character would be ``*`` (never issued)."""
    return check_character(_payload(prefix, number)) != "*"


def format_id(prefix: str, number: int) -> str:
    """The full ID (with check character) for ``prefix`` and a sequence ``number``."""
    payload = _payload(prefix, number)
    check = check_character(payload)
    if check == "*":
        raise IdError("not_issuable", f"{payload} is a reserved number (check would be '*')")
    return payload + check


def parse(raw: str) -> LabelId:
    """Parse a scanned or typed ID; raise :class:`IdError` saying exactly what is wrong."""
    text = raw.rstrip("\r\n\t").strip(" ")
    if not text:
        raise IdError("empty", "nothing was scanned")
    if len(text) > 64:
        raise IdError("too_long", f"scan is {len(text)} characters long; an ID has {LENGTH}")
    if not text.isascii() or not text.isprintable():
        raise IdError(
            "non_ascii",
            "scan holds non-ASCII or control characters (a look-alike or a garbled read)",
        )
    text = text.upper()
    m = _SHAPE.match(text)
    if not m:
        raise IdError(
            "bad_format",
            f"{text!r} is not an ID: expected two letters, {DIGITS} digits and a check character",
        )
    prefix, digits, check = m.groups()
    if prefix not in KINDS:
        raise IdError("unknown_kind", f"{text!r} has unknown prefix {prefix!r}")
    expected = check_character(prefix + digits)
    if check != expected:
        raise IdError("bad_check", f"{text!r} has a wrong check character (misread or mistyped)")
    return LabelId(prefix, int(digits))


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except IdError:
        return False
    return True
