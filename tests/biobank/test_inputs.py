"""The input boundary's rules (biobank/inputs.py): text, numbers, date-times, and how a
refusal names its field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from biobank import inputs, localtime
from biobank.errors import FieldError
from biobank.inputs import Choice, DateTime, Integer, Number, Text, TextList


@pytest.mark.parametrize("bad", ["\x00", "a\x00b", "\x07", "\x1b[31m", "\x7f", "\x85",
                                 "\u202e", "abc\u2066def", "\ud800", "x\x0b"])
def test_control_and_direction_characters_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(FieldError) as info:
        inputs.check_text("courier", bad)
    assert info.value.field == "courier" and info.value.status == 422
    assert info.value.code == "bad_character"
    assert "courier" in str(info.value)


@pytest.mark.parametrize("good", ["tab\there", "two\nlines", "crlf\r\n", "NaN", "Infinity",
                                  "مرحبا بالعالم", "שלום", "顺丰速运", "=1+1", "  spaced  ",
                                  "\u200f" + "mark"])
def test_ordinary_text_is_kept_exactly(good: str) -> None:
    assert inputs.check_text("notes", good) == good
    assert Text(500).clean("notes", good) == good


def test_length_is_bounded_per_field() -> None:
    assert Text(5).clean("x", "12345") == "12345"
    with pytest.raises(FieldError, match="at most 5 characters"):
        Text(5).clean("x", "123456")
    with pytest.raises(FieldError):
        inputs.check_text("anything", "a" * (inputs.MAX_TEXT + 1))


QUANTITY = Number(low=Decimal(0), high=Decimal(100_000), places=3)


@pytest.mark.parametrize(("raw", "code"), [
    ("NaN", "not_a_number"), ("sNaN", "not_a_number"), ("-nan", "not_a_number"),
    ("Infinity", "not_a_number"), ("-Inf", "not_a_number"), ("0x10", "not_a_number"),
    ("1E+999999", "out_of_range"), ("-1", "out_of_range"), ("100000.001", "out_of_range"),
    ("9" * 60, "out_of_range"), ("1e-999999", "too_precise"), ("0.0001", "too_precise"),
    (float("nan"), "not_a_number"), (float("inf"), "not_a_number"), (True, "not_a_number"),
    ("", "not_a_number"), (None, "not_a_number"), ([1], "not_a_number"),
])
def test_numbers_are_finite_plausible_and_as_precise_as_stored(raw: object, code: str) -> None:
    with pytest.raises(FieldError) as info:
        QUANTITY.clean("quantity", raw)
    assert info.value.code == code and info.value.field == "quantity"


@pytest.mark.parametrize(("raw", "value"), [
    ("12.5", Decimal("12.5")), ("12,5", Decimal("12.5")), (" 7 ", Decimal(7)),
    (3, Decimal(3)), (2.25, Decimal("2.25")), ("1.500", Decimal("1.5")), ("1E+2", Decimal(100)),
])
def test_plain_numbers_are_read(raw: object, value: Decimal) -> None:
    assert QUANTITY.clean("quantity", raw) == value


def test_a_unicode_minus_is_a_minus() -> None:
    assert Number(low=Decimal(-273), high=Decimal(100), places=2).clean(
        "t", "\u221278.5") == Decimal("-78.5")


@pytest.mark.parametrize("raw", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00",
                                 "1899-12-31T23:59Z", "2101-01-01T00:00Z",
                                 "1900-01-01T00:00+01:00"])
def test_extreme_dates_are_refused_without_overflow(raw: str) -> None:
    with pytest.raises(FieldError) as info:
        DateTime().from_json("planned_ship_at", raw)
    assert info.value.field == "planned_ship_at" and info.value.code == "out_of_range"
    with pytest.raises(FieldError):
        localtime.parse_datetime(raw, "Asia/Shanghai", field="collected_at")


def test_a_local_date_far_out_is_refused_too() -> None:
    for raw in ("0001-01-01", "01/01/0001 00:00", "9999-12-31 23:59"):
        with pytest.raises(FieldError, match="between 1900 and 2100"):
            localtime.parse_local(raw, "Pacific/Kiritimati")


def test_dates_inside_the_window_become_utc() -> None:
    assert DateTime().from_json("t", "2026-11-24T14:30+08:00") == datetime(
        2026, 11, 24, 6, 30, tzinfo=UTC)
    with pytest.raises(FieldError, match="time zone"):
        DateTime().from_json("t", "2026-11-24T14:30")


def test_json_types_are_checked() -> None:
    with pytest.raises(FieldError, match="must be text"):
        Text(10).from_json("name", 5)
    with pytest.raises(FieldError, match="whole number"):
        Integer(high=10).from_json("n", 1.5)
    with pytest.raises(FieldError, match="must be a list"):
        TextList().from_json("codes", "SP1")
    with pytest.raises(FieldError) as info:
        TextList().from_json("codes", ["ok", "\x00"])
    assert info.value.field == "codes[1]"


def test_every_refused_field_is_reported_together() -> None:
    specs = {"a": Text(3), "b": QUANTITY, "c": Choice(("x", "y"))}
    with pytest.raises(FieldError) as info:
        inputs.read(specs, {"a": "long", "b": "NaN", "c": "z"}, json=False)
    assert set(info.value.by_field) == {"a", "b", "c"}
    assert info.value.field == "a"


def test_a_json_body_with_an_undeclared_field_is_refused_by_name() -> None:
    with pytest.raises(FieldError) as info:
        inputs.read({"a": Text(3)}, {"a": "ok", "role": "admin"}, json=True)
    assert info.value.field == "role" and info.value.code == "forbidden_field"
    assert inputs.read({"a": Text(3)}, {"a": "ok"}, json=True) == {"a": "ok"}
