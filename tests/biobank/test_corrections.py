"""Correcting a specimen's recorded data, field by field, on SQLite and PostgreSQL: through the
service and through the page, whose value input fits the field chosen (a date-time picker in
the site's local time, a number with its unit and bounds, the allowed values by their words,
text). The server parses the value by the field's type and refuses a bad one beside the value
input with what was typed kept; the history reads old → new in words."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db, history, vocabulary
from biobank.errors import ValidationError
from biobank.models import AuditEvent, Specimen
from biobank.services import specimens
from biobank.services.audit import jsonable
from tests.biobank.helpers import row_counts, specimen_code, user
from tests.conftest import post_form

# field → (what the page's input sends, the value stored, the history line's new value, en)
GOOD: dict[str, tuple[str, object, str]] = {
    # datetime-local, read in S01's zone (Asia/Shanghai, UTC+8)
    "collected_at": ("2025-03-05T08:15", datetime(2025, 3, 5, 0, 15, tzinfo=UTC),
                     "2025-03-05 08:15 CST"),
    "centrifuged_at": ("2025-03-05T09:00", datetime(2025, 3, 5, 1, 0, tzinfo=UTC),
                       "2025-03-05 09:00 CST"),
    "frozen_at": ("2025-03-05T10:30", datetime(2025, 3, 5, 2, 30, tzinfo=UTC),
                  "2025-03-05 10:30 CST"),
    "quantity": ("2.5", Decimal("2.5"), "2.5"),
    "unit": ("µL", "µL", "µL"),
    "container": ("cryovial_2ml", "cryovial_2ml", "Cryovial 2 mL"),
    "notes": ("re-labelled after a smudge", "re-labelled after a smudge",
              "re-labelled after a smudge"),
}

# field → (a bad value as a page could send it, the refusal's code, what the message says)
BAD: list[tuple[str, str, str, str]] = [
    ("collected_at", "2099-01-01T10:00", "invalid", "future"),
    ("frozen_at", "tomorrow 9am", "invalid", "tomorrow 9am"),
    ("quantity", "lots", "not_a_number", "lots"),
    ("quantity", "100001", "out_of_range", "100000"),
    ("quantity", "1.0005", "too_precise", "3"),
    ("unit", "litre", "bad_choice", "curl(s)"),
    ("container", "bucket", "bad_choice", "Cryovial 2 mL"),
    ("notes", "x" * 501, "too_long", "500"),
]


def _get(s: Any, code: str) -> Specimen:
    return s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()


def _stored(app: Flask, code: str, field: str) -> Any:
    with get_db(app).transaction() as s:
        value = getattr(_get(s, code), field)
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _correction_rows(app: Flask, code: str) -> list[AuditEvent]:
    with get_db(app).transaction() as s:
        return list(s.execute(select(AuditEvent).where(
            AuditEvent.action == "specimen.correct", AuditEvent.entity_id == code)).scalars())


def test_every_correctable_field_has_a_good_and_a_bad_case() -> None:
    assert set(GOOD) == set(specimens.CORRECTABLE)
    assert {f for f, *_ in BAD} >= set(specimens.CORRECTABLE) - {"centrifuged_at"}


# --- the service ------------------------------------------------------------------------------
@pytest.mark.parametrize("field", list(GOOD))
def test_the_service_corrects_each_field_and_the_history_reads_in_words(
        app: Flask, db: Any, field: str) -> None:
    sent, stored, shown = GOOD[field]
    code = specimen_code(db, status="collected", site="S01")
    raw: object = stored if isinstance(stored, datetime) else sent
    with get_db(app).transaction() as s:
        sp = _get(s, code)
        old = getattr(sp, field)
        specimens.correct(s, user(s, "s01.tech"), sp, field, raw, "transcription error")
    assert _stored(app, code, field) == stored
    (row,) = _correction_rows(app, code)
    assert row.reason == "transcription error"
    line = history.change_lines(row.changes, str, "Asia/Shanghai")
    assert len(line) == 1 and line[0].endswith(f"→ {shown}"), line
    old_words = history.value_text(field, jsonable(old), str, "Asia/Shanghai")
    assert line[0] == f"{vocabulary.english('field', field)}: {old_words} → {shown}"


def test_the_history_names_units_and_containers_by_their_words() -> None:
    assert history.change_lines({"unit": ["block", "slide"]}, str) == [
        "Unit: block(s) → slide(s)"]
    assert history.change_lines({"container": ["edta_tube_4ml", "cryovial_2ml"]}, str) == [
        "Container: EDTA tube 4 mL → Cryovial 2 mL"]


@pytest.mark.parametrize(("field", "raw", "code", "said"), BAD)
def test_the_service_refuses_a_bad_value_of_each_type(app: Flask, db: Any, field: str,
                                                      raw: str, code: str, said: str) -> None:
    spec = specimens.CORRECTABLE[field]
    if field.endswith("_at") and "T" in raw:
        raw += "+08:00"  # the service takes ISO 8601 with its offset
    specimen = specimen_code(db, status="collected", site="S01")
    before = row_counts(app)
    with pytest.raises(ValidationError) as err, get_db(app).transaction() as s:
        specimens.correct(s, user(s, "s01.tech"), _get(s, specimen), field, raw, "why")
    assert err.value.code == code, (spec, err.value)
    assert said in str(err.value)
    assert row_counts(app) == before


@pytest.mark.parametrize("field", ["collected_at", "quantity", "unit", "container"])
def test_the_service_refuses_no_value_for_a_field_that_needs_one(app: Flask, db: Any,
                                                                  field: str) -> None:
    specimen = specimen_code(db, status="collected", site="S01")
    with pytest.raises(ValidationError) as err, get_db(app).transaction() as s:
        specimens.correct(s, user(s, "s01.tech"), _get(s, specimen), field, " ", "why")
    assert err.value.code == "required" and err.value.params["field"] == "value"


# --- the page ---------------------------------------------------------------------------------
def _form(page: str) -> str:
    """The correction form as rendered, without the inputs waiting in its <template>s."""
    form = page.split('id="correct-form"', 1)[1].split("</form>", 1)[0]
    return re.sub(r"<template.*?</template>", "", form, flags=re.S)


def test_the_value_input_fits_the_field_chosen(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    time = _form(c.get(f"/specimens/{code}").get_data(as_text=True))
    assert re.search(r'<input id="correct-value" name="value" type="datetime-local" '
                     r'value="\d{4}-\d\d-\d\dT\d\d:\d\d"', time), time  # the current time
    assert "Asia/Shanghai (UTC+08:00)" in time
    quantity = _form(c.get(f"/specimens/{code}?correct=quantity").get_data(as_text=True))
    number = re.search(r'<input id="correct-value"[^>]*>', quantity)
    assert number is not None
    for attr in ('type="number"', 'min="0"', 'max="100000"', 'step="0.001"', 'value="4.000"'):
        assert attr in number.group(), number.group()
    assert "Quantity (mL)" in quantity
    container = _form(c.get(f"/specimens/{code}?correct=container").get_data(as_text=True))
    assert '<select id="correct-value" name="value" required>' in container
    assert '<option value="edta_tube_4ml" selected>EDTA tube 4 mL</option>' in container
    choices = re.search(r'<select id="correct-value".*?</select>', container, re.S)
    assert choices is not None
    assert choices.group().count("<option") == len(vocabulary.CONTAINERS)
    notes = _form(c.get(f"/specimens/{code}?correct=notes").get_data(as_text=True))
    assert '<input id="correct-value" name="value" maxlength="500" value="">' in notes


def test_without_javascript_the_field_is_chosen_first(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    r = post_form(c, f"/specimens/{code}/correct",
                  {"field": "unit", "value": "", "reason": "", "choose": "1"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/specimens/{code}?correct=unit#correct-form")
    form = _form(c.get(r.headers["Location"]).get_data(as_text=True))
    assert '<option value="unit" selected>' in form
    assert '<option value="mL" selected>mL</option>' in form
    assert _correction_rows(c.application, code) == []


@pytest.mark.parametrize("field", list(GOOD))
def test_each_field_is_corrected_through_the_page(client_as: Any, db: Any, field: str) -> None:
    sent, stored, shown = GOOD[field]
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    r = post_form(c, f"/specimens/{code}/correct",
                  {"field": field, "value": sent, "reason": "transcription error"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert _stored(c.application, code, field) == stored
    page = html.unescape(c.get(f"/specimens/{code}").get_data(as_text=True))
    assert f"{vocabulary.english('field', field)}: " in page and f"→ {shown}" in page
    assert len(_correction_rows(c.application, code)) == 1


def test_a_correction_reads_in_chinese_words(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    post_form(c, "/language", {"lang": "zh", "next": "/scan"})
    form = _form(c.get(f"/specimens/{code}?correct=container").get_data(as_text=True))
    assert "新值：容器" in form and ">冻存管 2 mL</option>" in form
    r = post_form(c, f"/specimens/{code}/correct",
                  {"field": "container", "value": "cryovial_2ml", "reason": "贴错标签"})
    assert r.status_code == 302
    page = html.unescape(c.get(f"/specimens/{code}").get_data(as_text=True))
    assert "容器：EDTA 管 4 mL → 冻存管 2 mL" in page


@pytest.mark.parametrize(("field", "raw", "code", "said"), BAD)
def test_a_bad_value_is_refused_beside_it_and_kept(client_as: Any, db: Any, field: str,
                                                   raw: str, code: str, said: str) -> None:
    specimen = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    before = row_counts(c.application)
    r = post_form(c, f"/specimens/{specimen}/correct",
                  {"field": field, "value": raw, "reason": "transcription error"})
    assert r.status_code == 422
    assert row_counts(c.application) == before
    form = _form(html.unescape(r.get_data(as_text=True)))
    error = re.search(r'<span class="field-error" id="value-error"[^>]*data-field="value"[^>]*>'
                      r'([^<]*)</span>', form)
    assert error is not None and said in error.group(1), form
    # The field refused stays chosen, its input named invalid, the reason kept.
    assert f'<option value="{field}" selected>' in form
    control = re.search(r'<(input|select) id="correct-value"[^>]*>', form)
    assert control is not None and 'aria-invalid="true"' in control.group()
    assert 'value="transcription error"' in form
    if field != "unit" and field != "container":  # a select cannot hold a value it does not offer
        assert f'value="{raw}"' in control.group(), control.group()
    if raw == "lots":  # a number input cannot hold it either: shown as typed, in a text input
        assert 'type="number"' not in control.group()


def test_a_value_from_another_fields_input_is_judged_by_the_field_sent(client_as: Any,
                                                                        db: Any) -> None:
    """Without JavaScript the field can be changed while the time picker is still shown: the
    server parses the value as the field sent (a quantity), refuses it beside the value, and
    the page comes back with the quantity's input holding what was sent."""
    code = specimen_code(db, status="collected", site="S01")
    c = client_as("s01.tech")
    before = row_counts(c.application)
    r = post_form(c, f"/specimens/{code}/correct",
                  {"field": "quantity", "value": "2025-03-05T08:15", "reason": "typo"})
    assert r.status_code == 422 and row_counts(c.application) == before
    form = _form(html.unescape(r.get_data(as_text=True)))
    assert "Quantity (mL)" in form and 'data-field="value"' in form
    control = re.search(r'<input id="correct-value"[^>]*>', form)
    assert control is not None and 'value="2025-03-05T08:15"' in control.group()
