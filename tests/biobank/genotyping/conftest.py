"""Genotyping test helpers: synthetic MEN1 VCFs in a real Mutect2 tumour/normal layout (the
engine team's builders), demo participants made ready for the gate, upload helpers."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Site, Specimen, User
from biobank.services import audit, enrollment, specimens
from tests.conftest import post_form
from tests.variant_calling.conftest import R532X, VUS, Counts, header_of, mutect2

__all__ = ["R532X", "VUS", "Counts"]

PARTICIPANT = "S01-0003"  # demo stage "both": screening blood and FFPE block collected
TUMOR_COL, NORMAL_COL = "ARGO-evo", "ARGO-evo_normal"  # the real Mutect2 file's sample names

GOOD_CRITERIA: dict[str, str] = {
    "age": "54", "ecog": "1", "recist_lesions": "2", "net_diagnosis": "yes",
    "first_line_failed": "yes",
    "leukocytes": "5.6", "leukocytes_unit": "10^9/L", "neutrophils": "3.1",
    "neutrophils_unit": "10^9/L", "platelets": "210", "platelets_unit": "10^9/L",
    "haemoglobin": "128", "haemoglobin_unit": "g/L",
    "bilirubin": "15", "bilirubin_uln": "21", "bilirubin_unit": "umol/L",
    "ast": "30", "ast_uln": "40", "ast_unit": "U/L", "alt": "35", "alt_uln": "40",
    "alt_unit": "U/L", "ldh": "200", "ldh_uln": "250", "ldh_unit": "U/L",
    "alp": "300", "alp_uln": "120", "alp_unit": "U/L",
    "creatinine": "80", "creatinine_uln": "100", "creatinine_unit": "umol/L",
    **{k: "no" for k in enrollment.EXCLUSIONS},
}


def mutect2_vcf(records: list[str], *, tumor: str = TUMOR_COL, normal: str = NORMAL_COL,
                header_roles: bool = True, eol: str = "\n") -> bytes:
    """A Mutect2 tumour/normal VCF (header of a real GATK 4.2 file) with ``records``."""
    extra = (f"##normal_sample={normal}", f"##tumor_sample={tumor}") if header_roles else ()
    head = header_of("mutect2_gatk4_filtered_tumor_normal_argo.vcf", extra)
    head[-1] = head[-1].replace(f"{TUMOR_COL}\t{NORMAL_COL}", f"{tumor}\t{normal}")
    lines = head + sorted(records, key=lambda r: int(r.split("\t")[1]))
    return (eol.join(lines) + eol).encode()


def germline_stop() -> str:
    """R532X: a known pathogenic stop_gained, heterozygous in blood, LOH in the tumour."""
    return mutect2(*R532X, Counts(20, 20), Counts(5, 45))


@dataclass
class Demo:
    participant: str
    blood: str
    tumour: str


def demo_specimens(app: Flask, code: str = PARTICIPANT) -> Demo:
    s = get_db(app).session(write=False)
    try:
        p = s.execute(select(Participant).where(Participant.code == code)).scalar_one()
        rows = s.execute(select(Specimen).where(Specimen.participant_id == p.id)).scalars()
        by_type = {r.specimen_type: r.barcode for r in rows}
    finally:
        s.close()
    return Demo(code, by_type["whole_blood_edta"], by_type["ffpe_block"])


def receive_at_central(app: Flask, barcodes: list[str]) -> None:
    """Ship and receive the specimens at the central biobank (as the CB technician)."""
    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        cb = s.execute(select(Site).where(Site.code == "CB")).scalar_one()
        for code in barcodes:
            sp = s.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
            specimens.transition(s, tech, sp, "ship")
            specimens.transition(s, tech, sp, "receive")
            audit.record(s, tech, "specimen.custody", "specimen", sp.barcode,
                         {"site": [sp.site.code, "CB"]})
            sp.site_id = cb.id


def record(app: Flask, code: str, values: dict[str, str]) -> dict[str, Any]:
    """The coordinator records the eligibility values; the gate's decision as JSON."""
    with get_db(app).transaction() as s:
        coord = s.execute(select(User).where(User.username == "s01.coord")).scalar_one()
        p = s.execute(select(Participant).where(Participant.code == code)).scalar_one()
        enrollment.record_assessment(s, coord, p, values, "lab report 2026-11-20")
        return enrollment.evaluate(s, p).as_dict()


def sign_and_gate(app: Flask, client: FlaskClient, analysis_id: int,
                  demo: Demo) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pathologist (``client``) signs the analysis, both specimens reach the central
    biobank and the other criteria are met: the gate and its MEN1 row."""
    assert post_form(client, f"/genotyping/analyses/{analysis_id}/sign",
                     {"password": "demo-Passw0rd!", "confirm": "yes"}).status_code == 303
    receive_at_central(app, [demo.blood, demo.tumour])
    gate = record(app, demo.participant, GOOD_CRITERIA)
    return gate, next(c for c in gate["criteria"] if c["name"] == "men1")


def upload(client: FlaskClient, content: bytes, demo: Demo, *, api_token: str | None = None,
           name: str = "pair.vcf", role: str = "paired", mapping: bool = True,
           **fields: Any) -> Any:
    data: dict[str, Any] = {
        role: (io.BytesIO(content), name),
        "normal_specimen": demo.blood, "tumor_specimen": demo.tumour,
        "caller": "Mutect2", "caller_version": "4.2.4.1", "assay": "panel", "build": "GRCh38",
    }
    if mapping:
        data.update(normal_sample=NORMAL_COL, tumor_sample=TUMOR_COL)
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    if api_token:
        return client.post(f"/api/v1/participants/{demo.participant}/genotyping", data=data,
                           headers={"Authorization": f"Bearer {api_token}"},
                           content_type="multipart/form-data")
    return post_form(client, f"/genotyping/participants/{demo.participant}/upload", data,
                     content_type="multipart/form-data")


@pytest.fixture
def demo(app: Flask) -> Demo:
    return demo_specimens(app)


def upload_on_page(page: Any, code: str, blood: str, tumour: str, vcf: bytes, *,
                   mapping: dict[str, str] | None = None,
                   on_confirm: Callable[[Any], None] | None = None) -> str:
    """In the browser: upload a Mutect2 pair for ``code`` as the pathologist, confirm what its
    header says (the roles it declares are proposed; ``mapping`` chooses them where it declares
    none) and wait for the classification to finish; returns the analysis page's URL.
    ``on_confirm(page)`` runs on the confirmation page before it is sent."""
    page.goto(f"/genotyping/participants/{code}")
    page.set_input_files("#paired", files=[{
        "name": f"{code}_mutect2.vcf", "mimeType": "text/plain", "buffer": vcf}])
    page.select_option("#normal_specimen", blood)
    page.select_option("#tumor_specimen", tumour)
    page.click("#upload-submit")
    page.wait_for_url(lambda url: "/confirm?" in url)
    for field, sample in (mapping or {}).items():
        page.select_option(f"#{field}", sample)
    if not page.locator("#caller").input_value():
        page.fill("#caller", "Mutect2")
    if not page.locator("#caller_version").input_value():
        page.fill("#caller_version", "4.2.4.1")
    page.select_option("#assay", "panel")
    if on_confirm is not None:
        on_confirm(page)
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(lambda url: "/genotyping/analyses/" in url)
    # The job may finish in the background; the polling fragment reloads the page when done.
    page.wait_for_selector("#job[data-state='done']", timeout=20_000)
    return str(page.url)

@pytest.fixture
def worker(app: Flask) -> Any:
    """A classification worker (huey's consumer threads and the reaper) in this process."""
    from biobank.worker import InProcessWorker

    w = InProcessWorker(app).start()
    yield w
    w.stop()
