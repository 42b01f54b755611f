"""Signing and amending keep the form (issue 16): a wrong signature password is shown beside
the password field, the confirmed meaning kept and the password never sent back, while the
failure is still counted and audited; an amendment without a reason is shown beside the
reason; an upload refused without script is the participant's page with the refusal above
the form, not a bare error page."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import AuditEvent, ReportVersion
from tests.conftest import DEMO_PASSWORD, post_form

from .conftest import Demo, germline_stop, mutect2_vcf, upload


def _form(page: str, form_id: str) -> str:
    return page.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]


def _count(app: Flask, what: Any, *where: Any) -> int:
    with get_db(app).transaction() as s:
        return int(s.execute(select(func.count()).select_from(what).where(*where)).scalar_one())


def test_wrong_password_and_empty_amendment_are_shown_beside_their_fields(
        app: Flask, client_as: Any, demo: Demo) -> None:
    path = client_as("pathologist")
    resp = upload(path, mutect2_vcf([germline_stop()]), demo)
    assert resp.status_code == 303
    analysis_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    sign = f"/genotyping/analyses/{analysis_id}/sign"

    bad = post_form(path, sign, {"password": "not-my-password", "confirm": "yes"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 401 and "<h1>Error" not in page
    form = _form(page, "sign-form")
    assert 'data-field="password"' in form and 'id="password-error"' in form
    password = re.search(r'<input type="password"[^>]*>', form)
    assert password is not None
    assert 'aria-invalid="true"' in password.group(0) and "value=" not in password.group(0)
    assert "not-my-password" not in page
    assert re.search(r'name="confirm" value="yes" required checked', form)
    # The failure is a record all the same (issue 15: counted and audited).
    assert _count(app, AuditEvent, AuditEvent.action == "user.signature_refused") == 1
    assert _count(app, ReportVersion) == 0

    ok = post_form(path, sign, {"password": DEMO_PASSWORD, "confirm": "yes"})
    assert ok.status_code == 303

    amend = f"/genotyping/analyses/{analysis_id}/amend"
    empty = post_form(path, amend, {"password": DEMO_PASSWORD, "confirm": "yes",
                                    "reason": "  "})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 422
    form = _form(page, "amend-form")
    assert 'data-field="reason"' in form and "amendment needs a reason" in form
    assert re.search(r'name="confirm" value="yes" required checked', form)
    assert _count(app, ReportVersion) == 1


def test_an_upload_refused_without_script_is_the_participants_page(
        app: Flask, client_as: Any, demo: Demo) -> None:
    path = client_as("pathologist")
    resp = upload(path, b"not a VCF at all\n", demo)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<h1>Error" not in page
    assert 'id="form-refusal"' in page
    # The participant's page with its upload form (the two-step form posts to /receive).
    assert f"/genotyping/participants/{demo.participant}/receive" in page
