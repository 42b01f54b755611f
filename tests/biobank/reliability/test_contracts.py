"""Contracts at the edges, checked by independent validators (issue 15): the OpenAPI document
is valid OpenAPI 3.0 (openapi-spec-validator) and a client generated from it
(openapi-python-client) works against the live server; every FHIR Specimen export is a valid
R4 resource by the SMART on FHIR R4 models (fhirclient) and carries standard codings."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import create_app, get_db
from biobank.models import Specimen, User
from biobank.services import reports, users
from biobank.web.api import openapi_document
from tests.conftest import LiveServer


def _document() -> dict[str, Any]:
    create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    return openapi_document()


def test_the_openapi_document_is_valid_openapi_3() -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    doc = _document()
    assert doc["openapi"].startswith("3.0")
    validate(doc)
    # The validator does catch a 3.1-style nullable in a 3.0 document (what was there).
    broken = json.loads(json.dumps(doc))
    schema = broken["paths"]["/api/v1/me"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    schema["properties"]["locale"] = {"type": ["string", "null"]}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def _token(app: Flask, username: str) -> str:
    with get_db(app).transaction() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        plaintext, _t = users.create_token(s, user, user, "generated client")
    return plaintext


def test_a_client_generated_from_the_document_talks_to_the_live_server(
        live_server: LiveServer, tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(_document()))
    generator = Path(sys.executable).with_name("openapi-python-client")
    out = tmp_path / "biobank_api_client"
    run = subprocess.run([str(generator), "generate", "--path", str(spec), "--output-path",
                          str(out), "--meta", "none"], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0 and (out / "client.py").exists(), run.stdout + run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        client_mod = importlib.import_module("biobank_api_client.client")
        api = importlib.import_module("biobank_api_client.api.default")
        models = importlib.import_module("biobank_api_client.models")
        app = live_server.app
        client = client_mod.AuthenticatedClient(base_url=live_server.url,
                                                token=_token(app, "cb.tech"))
        me = importlib.import_module("biobank_api_client.api.default.get_me").sync(
            client=client)
        assert me.username == "cb.tech" and me.role == "technician"
        people = importlib.import_module(
            "biobank_api_client.api.default.list_participants").sync(client=client)
        assert {p.code for p in people} >= {"S01-0001", "S02-0001"}
        with get_db(app).session(write=False) as s:
            code = s.execute(select(Specimen.barcode).where(Specimen.status == "collected")
                             .order_by(Specimen.id)).scalars().first()
        scan = importlib.import_module("biobank_api_client.api.default.post_scan")
        found = scan.sync(client=client, body=models.PostScanBody(code=str(code)))
        assert found.outcome.value == "found" and found.specimen.barcode == code
        # A refusal comes back as the documented error, naming the field.
        create = importlib.import_module("biobank_api_client.api.default.create_shipment")
        refused = create.sync_detailed(client=client, body=models.CreateShipmentBody.from_dict(
            {"conditions": "dry_ice", "courier": "SF\x00"}))
        assert refused.status_code == 422
        assert refused.parsed.error.field == "courier"
        assert api is not None
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("biobank_api_client")]:
            del sys.modules[name]


def test_every_fhir_specimen_export_is_a_valid_r4_resource(app: Flask, api_token: Any) -> None:
    from fhirclient.models.specimen import Specimen as FhirSpecimen

    from tests.biobank.storage.conftest import make_freezer, received, store

    freezer = make_freezer(app)
    (kept,) = received(app, 1)
    store(app, freezer.box, kept, "A1")
    headers = {"Authorization": f"Bearer {api_token('cb.tech')}"}
    c = app.test_client()
    with get_db(app).session(write=False) as s:
        codes = s.execute(select(Specimen.barcode).order_by(Specimen.id)).scalars().all()
    assert len(codes) > 20  # every specimen of the demo trial, in every status
    systems: set[str] = set()
    for code in codes:
        resp = c.get(f"/api/v1/storage/specimens/{code}/fhir", headers=headers)
        assert resp.status_code == 200, code
        doc = resp.get_json()
        FhirSpecimen(doc, strict=True)  # raises FHIRValidationError on anything not R4
        for coding in doc["type"]["coding"] + doc["container"][0]["type"]["coding"]:
            systems.add(coding["system"])
            assert coding["system"].startswith(("http://", "https://")), coding
        quantity = doc.get("collection", {}).get("quantity")
        if quantity is not None:
            assert quantity["system"] == reports.UCUM and quantity["code"]
    assert {reports.SNOMED, reports.V2_0487} <= systems
    page = c.get(f"/api/v1/storage/specimens/{kept}/fhir", headers=headers).get_json()
    by_system = {x["system"]: x["code"] for x in page["type"]["coding"]}
    assert page["container"][0]["description"].endswith("/ A1")
    assert by_system[reports.SNOMED] in {v[0] for v in reports.SNOMED_TYPE.values()}


def test_fhir_models_refuse_what_is_not_r4() -> None:
    from fhirclient.models.fhirabstractbase import FHIRValidationError
    from fhirclient.models.specimen import Specimen as FhirSpecimen

    with pytest.raises(FHIRValidationError):
        FhirSpecimen({"resourceType": "Specimen", "status": "available",
                      "type": {"coding": "not a list"}}, strict=True)
