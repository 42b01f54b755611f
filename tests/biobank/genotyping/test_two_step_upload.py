"""The page's two-step upload: the files are received and their headers read with the engine's
own detection (caller, build, samples, roles); the pathologist confirms, changing the mapping
only where the header declares no roles; a mapping that contradicts ``##normal_sample`` /
``##tumor_sample`` is refused beside its field, and nothing is created until confirmed."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from biobank import get_db
from biobank.models import GenotypingAnalysis, GenotypingFile
from tests.conftest import post_form

from .conftest import NORMAL_COL, TUMOR_COL, Demo, germline_stop, mutect2_vcf


def undeclared(vcf: bytes) -> bytes:
    """The same file without the header lines that declare the roles."""
    return b"".join(ln for ln in io.BytesIO(vcf).readlines()
                    if not ln.startswith((b"##normal_sample=", b"##tumor_sample=")))


def receive(client: FlaskClient, demo: Demo, content: bytes) -> Any:
    return post_form(client, f"/genotyping/participants/{demo.participant}/receive", {
        "paired": (io.BytesIO(content), "pair.vcf"),
        "normal_specimen": demo.blood, "tumor_specimen": demo.tumour,
    }, content_type="multipart/form-data")


def token_of(resp: Any) -> str:
    m = re.search(r"received=([^&\"]+)", resp.headers["Location"])
    assert m, resp.headers.get("Location")
    return m.group(1)


def analyses(app: Flask) -> int:
    with get_db(app).transaction() as s:
        return int(s.execute(select(func.count()).select_from(GenotypingAnalysis)).scalar_one())


def confirm(client: FlaskClient, demo: Demo, token: str, **fields: str) -> Any:
    data = {"received": token, "normal_specimen": demo.blood, "tumor_specimen": demo.tumour,
            "caller": "Mutect2", "caller_version": "4.2.4.1", "assay": "panel",
            "build": "GRCh38", **fields}
    return post_form(client, f"/genotyping/participants/{demo.participant}/confirm", data)


def test_the_header_proposes_caller_build_and_roles(app: Flask, client_as: Any,
                                                    demo: Demo) -> None:
    client = client_as("pathologist")
    resp = receive(client, demo, mutect2_vcf([germline_stop()]))
    assert resp.status_code == 303
    with get_db(app).transaction() as s:  # the file is stored, no analysis yet
        assert s.execute(select(func.count()).select_from(GenotypingFile)).scalar_one() == 1
    assert analyses(app) == 0
    page = client.get(resp.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-caller="Mutect2"' in html and 'data-build="GRCh38"' in html
    assert f'data-sample="{NORMAL_COL}" data-role="normal"' in html
    assert f'data-sample="{TUMOR_COL}" data-role="tumor"' in html
    # Declared by the header: shown fixed, not offered as a choice.
    assert 'data-locked="normal_sample"' in html and 'data-locked="tumor_sample"' in html
    assert f'value="{NORMAL_COL}"' in html and 'value="4.2.4.1"' in html

    done = confirm(client, demo, token_of(resp), normal_sample=NORMAL_COL,
                   tumor_sample=TUMOR_COL)
    assert done.status_code == 303 and "/genotyping/analyses/" in done.headers["Location"]
    with get_db(app).transaction() as s:
        a = s.execute(select(GenotypingAnalysis)).scalar_one()
        assert (a.normal_sample, a.tumor_sample, a.men1_status) == (
            NORMAL_COL, TUMOR_COL, "germline")


def test_a_mapping_against_the_header_is_refused_beside_the_field(
        app: Flask, client_as: Any, demo: Demo) -> None:
    client = client_as("pathologist")
    token = token_of(receive(client, demo, mutect2_vcf([germline_stop()])))
    resp = confirm(client, demo, token, normal_sample=TUMOR_COL, tumor_sample=NORMAL_COL)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'data-field="normal_sample"[^>]*>normal_sample: the header declares '
                     rf"##normal_sample={NORMAL_COL}: {TUMOR_COL} cannot be the blood \(normal\)",
                     html), html
    assert 'data-field="tumor_sample"' in html
    assert 'id="caller" value="Mutect2"' in html  # what was typed is kept
    assert analyses(app) == 0


def test_without_declared_roles_the_pathologist_chooses(app: Flask, client_as: Any,
                                                        demo: Demo) -> None:
    client = client_as("pathologist")
    resp = receive(client, demo, undeclared(mutect2_vcf([germline_stop()])))
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "data-locked" not in html
    assert '<select name="normal_sample"' in html and f'<option value="{TUMOR_COL}"' in html
    token = token_of(resp)
    missing = confirm(client, demo, token)
    assert missing.status_code == 422
    assert 'data-field="normal_sample"' in missing.get_data(as_text=True)
    unknown = confirm(client, demo, token, normal_sample="NOPE", tumor_sample=TUMOR_COL)
    assert unknown.status_code == 422 and "NOPE is not a sample of the file" in \
        unknown.get_data(as_text=True)
    same = confirm(client, demo, token, normal_sample=TUMOR_COL, tumor_sample=TUMOR_COL)
    assert same.status_code == 422 and "the blood and tumour sample names are the same" in \
        same.get_data(as_text=True)
    assert analyses(app) == 0
    ok = confirm(client, demo, token, normal_sample=NORMAL_COL, tumor_sample=TUMOR_COL)
    assert ok.status_code == 303
    assert analyses(app) == 1


def test_a_token_is_bound_to_its_participant_and_user(app: Flask, client_as: Any,
                                                      demo: Demo) -> None:
    token = token_of(receive(client_as("pathologist"), demo, mutect2_vcf([germline_stop()])))
    forged = confirm(client_as("pathologist"), demo, token[:-3] + "AAA",
                     normal_sample=NORMAL_COL, tumor_sample=TUMOR_COL)
    assert forged.status_code == 422 and "upload the files again" in \
        forged.get_data(as_text=True)
    coord = client_as("s01.coord").get(
        f"/genotyping/participants/{demo.participant}/confirm?received={token}")
    assert coord.status_code == 403
    assert analyses(app) == 0
