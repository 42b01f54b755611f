"""The print service on its own: concurrent first prints, and what goes on a specimen label."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.errors import ValidationError
from biobank.models import Specimen, User
from biobank.services import labels as service
from tests.biobank.helpers import specimen_code

from .conftest import print_events


def test_two_first_prints_at_once_record_one_print_and_refuse_the_other(
    app: Flask, db: Any
) -> None:
    code = specimen_code(db, status="expected", site="S01")
    database = get_db(app)
    first = database.session()
    tech = first.execute(select(User).where(User.username == "s01.tech")).scalar_one()
    service.print_labels(first, tech, [code])  # holds its lock until commit
    outcome: list[object] = []

    def second() -> None:
        try:
            with database.transaction() as s:
                user = s.execute(select(User).where(User.username == "s01.coord")).scalar_one()
                outcome.append(service.print_labels(s, user, [code]))
        except ValidationError as exc:
            outcome.append(exc.code)

    t = threading.Thread(target=second)
    t.start()
    t.join(0.5)
    assert t.is_alive(), "the second print did not wait for the first"
    first.commit()
    first.close()
    t.join(10)
    assert outcome == ["reason_required"]
    assert [(e.action, e.actor) for e in print_events(db, code)] == [("label.print", "s01.tech")]


def test_specimen_label_carries_trial_codes_and_the_local_collection_date(db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    s = db.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
    s.collected_at = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 01:30 next day CST
    spec = service.spec_for_specimen(s)
    db.rollback()
    assert (spec.kind, spec.id, spec.participant_code, spec.visit, spec.specimen_type) == (
        "specimen", code, s.participant.code, "SCR", "whole_blood_edta")
    assert spec.collection_date is not None and spec.collection_date.isoformat() == "2026-03-02"


@pytest.mark.parametrize("codes", [[], ["SP1"], ["XX000000010"], ["SP00000001K"] * 501])
def test_bad_code_lists_are_refused_before_anything_is_printed(
    app: Flask, codes: list[str]
) -> None:
    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        with pytest.raises(ValidationError):
            service.print_labels(s, tech, codes)
