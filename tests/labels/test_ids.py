"""The ID scheme: every single-character error and adjacent transposition is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labels import ids

numbers = st.integers(min_value=0, max_value=10**ids.DIGITS - 1)
prefixes = st.sampled_from(sorted(ids.KINDS))


def issued(prefix: str, number: int) -> str:
    while not ids.is_issuable(prefix, number):
        number = (number + 1) % 10**ids.DIGITS
    return ids.format_id(prefix, number)


@given(prefixes, numbers)
def test_round_trip(prefix: str, number: int) -> None:
    code = issued(prefix, number)
    parsed = ids.parse(code)
    assert parsed.text == code and parsed.prefix == prefix
    assert code.isalnum() and code.isupper() and len(code) == ids.LENGTH


@given(prefixes, numbers, st.data())
def test_every_single_substitution_is_caught(prefix: str, number: int, data: st.DataObject) -> None:
    code = issued(prefix, number)
    i = data.draw(st.integers(0, len(code) - 1))
    c = data.draw(st.sampled_from([ch for ch in ids.ALPHABET if ch != code[i]]))
    assert not ids.is_valid(code[:i] + c + code[i + 1 :])


def test_all_substitutions_and_transpositions_exhaustively_for_a_sample() -> None:
    undetected = 0
    for n in range(0, 10**8, 10**8 // 400):
        code = issued("SP", n)
        for i in range(len(code)):
            for c in ids.ALPHABET:
                if c != code[i] and ids.is_valid(code[:i] + c + code[i + 1 :]):
                    undetected += 1
            if i + 1 < len(code) and code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                if ids.is_valid(swapped):
                    undetected += 1
    assert undetected == 0


def test_scanner_suffixes_and_case_are_tolerated() -> None:
    code = issued("SP", 42)
    assert ids.parse(code.lower() + "\r\n").text == code
    assert ids.parse(code + "\t").text == code


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("SP0000004", "bad_format"),
        ("SP00000042\u0410", "non_ascii"),  # Cyrillic A looks like Latin A
        ("SP0000\x0042X", "non_ascii"),
        ("X" * 500, "too_long"),
        ("ZZ00000042A", "unknown_kind"),
    ],
)
def test_bad_scans_say_why(raw: str, reason: str) -> None:
    with pytest.raises(ids.IdError) as err:
        ids.parse(raw)
    assert err.value.code == reason


def test_wrong_check_character() -> None:
    code = issued("SP", 1234)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ids.IdError) as err:
        ids.parse(wrong)
    assert err.value.code == "bad_check"


def test_reserved_numbers_are_never_formatted() -> None:
    reserved = next(n for n in range(1000) if not ids.is_issuable("SP", n))
    with pytest.raises(ids.IdError):
        ids.format_id("SP", reserved)
