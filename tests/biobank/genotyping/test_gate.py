"""The gate's rules: values with units and ULNs computed at the protocol's boundaries, and
``pending`` naming exactly what is missing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.errors import ValidationError
from biobank.models import Participant
from biobank.services import enrollment

from .conftest import GOOD_CRITERIA, Demo, record

ASSESSED = ["age", "ecog", "recist_lesion", "net_diagnosis", "first_line_failed",
            *enrollment.COUNT_LABS, *enrollment.ULN_LABS, "creatinine", *enrollment.EXCLUSIONS]


def status(gate: dict[str, Any], name: str) -> str:
    return str(next(c["status"] for c in gate["criteria"] if c["name"] == name))


def test_pending_lists_exactly_what_is_missing(app: Flask, demo: Demo) -> None:
    with get_db(app).transaction() as s:
        p = s.execute(select(Participant).where(Participant.code == demo.participant)
                      ).scalar_one()
        gate = enrollment.evaluate(s, p).as_dict()
    assert gate["decision"] == "pending"
    assert gate["missing"] == ["men1", "baseline_whole_blood_edta", "baseline_ffpe_block",
                               *ASSESSED]
    blood = next(c for c in gate["criteria"] if c["name"] == "baseline_whole_blood_edta")
    assert f"{demo.blood} is collected at S01" in blood["detail"]
    gate = record(app, demo.participant, {"age": "40", "ecog": "0"})
    assert "age" not in gate["missing"] and "ecog" not in gate["missing"]
    assert "platelets" in gate["missing"]


@pytest.mark.parametrize(("change", "criterion", "expected"), [
    ({"haemoglobin": "99", "haemoglobin_unit": "g/L"}, "haemoglobin", "not_met"),  # 9.9 g/dL
    ({"haemoglobin": "10", "haemoglobin_unit": "g/dL"}, "haemoglobin", "met"),
    ({"leukocytes": "4.0"}, "leukocytes", "not_met"),  # strictly greater than 4.0
    ({"platelets": "100", "platelets_unit": "10^3/uL"}, "platelets", "met"),
    ({"bilirubin": "30", "bilirubin_uln": "20"}, "bilirubin", "not_met"),  # 1.5×: needs <
    ({"ast": "60", "ast_uln": "40"}, "ast", "met"),  # 1.5×: ≤ allowed
    ({"alp": "601", "alp_uln": "120"}, "alp", "not_met"),
    ({"creatinine": "200", "creatinine_uln": "100", "creatinine_clearance": "65"},
     "creatinine", "met"),
    ({"creatinine": "200", "creatinine_uln": "100", "creatinine_clearance": "59"},
     "creatinine", "not_met"),
    ({"age": "76"}, "age", "not_met"),
    ({"ecog": "2"}, "ecog", "not_met"),
    ({"excl_severe_liver": "yes"}, "excl_severe_liver", "not_met"),
])
def test_criteria_are_computed_at_the_boundaries(app: Flask, demo: Demo,
                                                 change: dict[str, str], criterion: str,
                                                 expected: str) -> None:
    gate = record(app, demo.participant, {**GOOD_CRITERIA, **change})
    assert status(gate, criterion) == expected
    if expected == "not_met":
        assert gate["decision"] == "not_eligible"


@pytest.mark.parametrize(("values", "message"), [
    ({"platelets": "lots"}, "is not a number"),
    ({"ast": "30"}, "upper limit of normal"),
    ({"ecog": "1.5"}, "whole number"),
    ({"haemoglobin": "12", "haemoglobin_unit": "mmol/L"}, "haemoglobin_unit"),
    ({"excl_diabetes": "maybe"}, "answer yes or no"),
    ({"weight": "70"}, "unknown criteria: weight"),
])
def test_bad_criteria_values_are_refused(app: Flask, demo: Demo, values: dict[str, str],
                                         message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        record(app, demo.participant, values)


def test_not_covered_report_keeps_men1_pending(app: Flask, client_as: Any, demo: Demo) -> None:
    """A signed report whose VCF says nothing about MEN1 (a header with no records) reads
    ``not_covered`` (issue 14): the gate waits for MEN1 evidence, it never turns the participant
    away on it, even with every other criterion met."""
    from tests.conftest import post_form

    from .conftest import mutect2_vcf, receive_at_central, upload

    path = client_as("pathologist")
    resp = upload(path, mutect2_vcf([]), demo)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    analysis_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    ok = post_form(path, f"/genotyping/analyses/{analysis_id}/sign",
                   {"password": "demo-Passw0rd!", "confirm": "yes"})
    assert ok.status_code == 303, ok.get_data(as_text=True)[:500]
    receive_at_central(app, [demo.blood, demo.tumour])
    gate = record(app, demo.participant, GOOD_CRITERIA)
    men1 = next(c for c in gate["criteria"] if c["name"] == "men1")
    assert men1["status"] == "pending" and "MEN1 not covered" in men1["detail"]
    assert gate["decision"] == "pending" and gate["missing"] == ["men1"]
