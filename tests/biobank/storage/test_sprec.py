"""SPREC v3 codes from what the bench records. Each expected code below was worked out by hand
from the tables in docs/sprec.md (not from the code under test):

- plasma aliquot (cryovial 2 mL) of an EDTA tube: centrifuged 1 h 30 min after collection,
  waiting at room temperature (A: RT < 2 h); 2000 g, 10 min, RT, with braking (B); no second
  centrifugation (N); frozen 30 min later, waiting at 2–10 °C (A: 2–10 °C < 1 h); stored in a
  cryotube 1–2 mL at −85 to −60 °C (D) → PL1-PED-A-B-N-A-D
- whole blood in its EDTA tube, never centrifuged: pre-centrifugation unknown (X), no
  centrifugation (N, N), post-centrifugation not applicable (N), original primary container at
  −85 to −60 °C (Y) → BLD-PED-X-N-N-N-Y
- FFPE block, surgical excision (SRG), warm ischaemia 25 min (D: 20–30 min), cold ischaemia
  40 min (E: 30–60 min), neutral buffered formalin (NBF), fixed 30 h (F: 24–48 h), paraffin
  block at room temperature (P) → TIS-SRG-D-E-NBF-F-P
- germline DNA extracted from a blood tube: a complex derivative, outside SPREC's seven-element
  code; the page shows the blood tube's code and says so, the API gives null.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.errors import ValidationError
from biobank.models import AuditEvent, Specimen, StorageBox
from biobank.services import specimens, sprec, storage
from tests.conftest import post_form

from .conftest import received, run, specimens_get


def _box(s: Any, name: str) -> StorageBox:
    return s.execute(select(StorageBox).where(StorageBox.name == name)).unique().scalar_one()


def _plasma(app: Flask) -> str:
    (blood,) = received(app, 1, types=("whole_blood_edta",))

    def go(s: Any, u: Any) -> str:
        parent = specimens_get(s, u, blood)
        parent.quantity = Decimal("4")
        parent.centrifuged_at = parent.collected_at + timedelta(hours=1, minutes=30)
        sprec.record(s, u, parent, {"pre_temperature": "rt", "centrifuge_g": 2000,
                                    "centrifuge_minutes": 10, "centrifuge_temperature": "rt",
                                    "centrifuge_braking": True, "second_centrifugation": False,
                                    "post_temperature": "cold"})
        child = specimens.create_derivative(s, u, parent, specimen_type="plasma",
                                            container="cryovial_2ml", quantity=Decimal("1"),
                                            unit="mL")
        child.frozen_at = parent.centrifuged_at + timedelta(minutes=30)
        storage.store(s, u, _box(s, "Plasma 1"), child)
        return child.barcode

    return run(app, go)  # type: ignore[no-any-return]


def test_plasma_aliquot_code_from_the_bench_record(app: Flask) -> None:
    code = _plasma(app)
    assert run(app, lambda s, u: sprec.code(specimens_get(s, u, code))) == "PL1-PED-A-B-N-A-D"
    # The API and the FHIR export carry the same code.
    assert run(app, lambda s, u: specimens.sprec(specimens_get(s, u, code))) == \
        "PL1-PED-A-B-N-A-D"


def test_whole_blood_never_centrifuged(app: Flask) -> None:
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    assert run(app, lambda s, u: sprec.code(specimens_get(s, u, blood))) == "BLD-PED-X-N-N-N-X"
    run(app, lambda s, u: storage.store(s, u, _box(s, "Whole blood 1"),
                                        specimens_get(s, u, blood)))
    assert run(app, lambda s, u: sprec.code(specimens_get(s, u, blood))) == "BLD-PED-X-N-N-N-Y"


def _block(app: Flask, values: dict[str, Any]) -> str:
    (block,) = received(app, 1, types=("ffpe_block",))
    run(app, lambda s, u: sprec.record(s, u, specimens_get(s, u, block), values))
    return block


def test_ffpe_block_code_from_the_pathology_record(app: Flask) -> None:
    block = _block(app, {"collection_type": "SRG", "warm_ischaemia_minutes": 25,
                         "cold_ischaemia_minutes": 40, "fixative": "NBF",
                         "fixation_hours": Decimal("30")})
    assert run(app, lambda s, u: sprec.code(specimens_get(s, u, block))) == "TIS-SRG-D-E-NBF-F-X"
    run(app, lambda s, u: storage.store(s, u, _box(s, "FFPE blocks 1"),
                                        specimens_get(s, u, block)))
    els = run(app, lambda s, u: [(e.code, str(e.message)) for e in
                                 sprec.elements(specimens_get(s, u, block))])
    assert "-".join(c for c, _m in els) == "TIS-SRG-D-E-NBF-F-P"
    assert els[3][1] == "40 min"
    assert els[6][1] == "FFPE cassette at room temperature (15–25 °C)"


def test_off_table_values_are_other_and_biopsy_has_no_warm_ischaemia(app: Flask) -> None:
    block = _block(app, {"collection_type": "BPS", "fixative": "NBF",
                         "fixation_hours": Decimal("80")})
    assert run(app, lambda s, u: sprec.code(specimens_get(s, u, block))) == "TIS-BPS-N-X-NBF-Z-X"
    code = _plasma(app)
    run(app, lambda s, u: sprec.record(s, u, specimens_get(s, u, code).parent,
                                       {"centrifuge_minutes": 20}))
    assert run(app, lambda s, u: sprec.code(specimens_get(s, u, code))) == "PL1-PED-A-Z-N-A-D"


def test_record_is_checked_and_audited(app: Flask) -> None:
    (blood,) = received(app, 1, types=("whole_blood_edta",))
    with pytest.raises(ValidationError) as err:
        run(app, lambda s, u: sprec.record(s, u, specimens_get(s, u, blood),
                                           {"fixative": "NBF"}))
    assert err.value.code == "bad_field"
    with pytest.raises(ValidationError) as err:
        run(app, lambda s, u: sprec.record(s, u, specimens_get(s, u, blood),
                                           {"centrifuge_g": 0}))
    assert err.value.code == "out_of_range"
    run(app, lambda s, u: sprec.record(s, u, specimens_get(s, u, blood),
                                       {"centrifuge_g": 1800}))
    run(app, lambda s, u: sprec.record(s, u, specimens_get(s, u, blood),
                                       {"centrifuge_g": None}))
    with get_db(app).transaction() as s:
        rows = list(s.execute(select(AuditEvent).where(
            AuditEvent.action == "specimen.preanalytics",
            AuditEvent.entity_id == blood).order_by(AuditEvent.id)).scalars())
        assert [r.changes for r in rows] == [{"centrifuge_g": [None, 1800]},
                                             {"centrifuge_g": [1800, None]}]
        sp = s.execute(select(Specimen).where(Specimen.barcode == blood)).scalar_one()
        assert sp.preanalytics == {}


def test_specimen_page_explains_each_element_and_keeps_a_refused_form(
        app: Flask, client_as: Any) -> None:
    (block,) = received(app, 1, types=("ffpe_block",))
    c = client_as("cb.tech")
    html = c.get(f"/specimens/{block}").get_data(as_text=True)
    assert 'data-sprec="TIS-XXX-X-X-XXX-X-X"' in html
    assert 'id="pa-collection_type"' in html and 'id="pa-centrifuge_g"' not in html
    url = f"/specimens/{block}/preanalytics"
    r = post_form(c, url, {"collection_type": "SRG", "warm_ischaemia_minutes": "soon",
                           "fixative": "NBF", "fixation_hours": "30"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-field="warm_ischaemia_minutes"' in html
    assert 'value="soon"' in html and '<option value="NBF" selected>' in html
    r = post_form(c, url, {"collection_type": "SRG", "warm_ischaemia_minutes": "25",
                           "cold_ischaemia_minutes": "40", "fixative": "NBF",
                           "fixation_hours": "30"})
    assert r.status_code == 302
    html = c.get(f"/specimens/{block}").get_data(as_text=True)
    assert 'data-sprec="TIS-SRG-D-E-NBF-F-X"' in html
    assert "Surgical excision" in html and "25 min" in html
    zh = c.get(f"/specimens/{block}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "手术切除" in zh.get_data(as_text=True)


#: The published ischaemia bands (warm and cold alike), minutes: A < 2, B 2–10, C 10–20,
#: D 20–30, E 30–60, F > 60; each boundary belongs to the band it opens.
ISCHAEMIA_CASES = [(0, "A"), (1, "A"), (2, "B"), (9, "B"), (10, "C"), (19, "C"), (20, "D"),
                   (29, "D"), (30, "E"), (59, "E"), (60, "F"), (240, "F"), (10080, "F")]


def test_ischaemia_bands_warm_and_cold(app: Flask) -> None:
    (block,) = received(app, 1, types=("ffpe_block",))
    for minutes, expected in ISCHAEMIA_CASES:
        els = run(app, lambda s, u, m=minutes: [
            e.code for e in (sprec.record(s, u, specimens_get(s, u, block),
                                          {"warm_ischaemia_minutes": min(m, 1440),
                                           "cold_ischaemia_minutes": m})
                             and sprec.elements(specimens_get(s, u, block)))])
        warm_expected = expected if minutes <= 1440 else "F"
        assert (els[2], els[3]) == (warm_expected, expected), minutes


def _dna(app: Flask) -> tuple[str, str]:
    (blood,) = received(app, 1, types=("whole_blood_edta",))

    def go(s: Any, u: Any) -> str:
        parent = specimens_get(s, u, blood)
        parent.quantity = Decimal("4")
        dna = specimens.create_derivative(s, u, parent, specimen_type="germline_dna",
                                          container="cryovial_2ml", quantity=Decimal("0.2"),
                                          unit="mL")
        return dna.barcode

    return blood, run(app, go)


def test_dna_is_a_complex_derivative_shown_with_its_source_code(
        app: Flask, client_as: Any, api_token: Any) -> None:
    blood, dna = _dna(app)
    blood_code = run(app, lambda s, u: sprec.code(specimens_get(s, u, blood)))
    assert blood_code is not None and blood_code.startswith("BLD-PED-")
    # No code of its own in the API and the FHIR note; nothing to record on it.
    assert run(app, lambda s, u: specimens.sprec(specimens_get(s, u, dna))) is None
    assert run(app, lambda s, u: sprec.fields_for(specimens_get(s, u, dna))) == ()
    with pytest.raises(ValidationError) as err:
        run(app, lambda s, u: sprec.record(s, u, specimens_get(s, u, dna),
                                           {"centrifuge_g": 1800}))
    assert err.value.code == "bad_field"
    c = client_as("cb.tech")
    html = c.get(f"/specimens/{dna}").get_data(as_text=True)
    assert f'data-sprec="{blood_code}"' in html
    assert 'data-sprec-note="source"' in html and f'href="/specimens/{blood}"' in html
    assert 'id="preanalytics-form"' not in html
    api = app.test_client().get(f"/api/v1/specimens/{dna}", headers={
        "Authorization": f"Bearer {api_token('cb.tech')}"}).get_json()
    assert api["specimen"]["sprec"] is None
    # The blood tube's own page has no such note.
    assert "data-sprec-note" not in c.get(f"/specimens/{blood}").get_data(as_text=True)
