"""The hostile-input suite (issue 15): every field of every page form and API body, fed what a
hostile or broken client sends, on SQLite and PostgreSQL.

The fields are enumerated, not listed: page forms from the form registry
(``biobank.web.boundary.FORMS``), API bodies from the OpenAPI document — a new field is fuzzed
as soon as it is declared. Each request starts from a request the authorization matrix knows to
be accepted (its URL, body and a role that may make it, ``authz_table.py``), or one declared
here (``EXTRA_BASELINES``, with the files it uploads and the step run before it), with one field
replaced. The answer must be:

- never a 5xx;
- for what no field may hold (NUL and the other C0/C1 controls but TAB/LF/CR, bidi
  embeddings/overrides/isolates, a lone surrogate, a value over the field's length; NaN,
  infinities, 1E±999999 and huge numerals in a numeric field; dates outside 1900–2100 with
  extreme offsets; a JSON value of the wrong type): a 422 naming the field;
- otherwise either a refusal (4xx) or an acceptance whose audit events hold the text exactly
  as sent (valid text such as "NaN" in a note, right-to-left letters, newlines);
- a refusal writes nothing: every table's row count is unchanged;
- the audit hash chain verifies after every accepted request.

Counts per area are printed by ``python bench/hostile_report.py`` (docs/RELIABILITY.md).
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select, text

from biobank import create_app, get_db
from biobank.inputs import MAX_TEXT
from biobank.models import AuditEvent, Specimen, User
from biobank.models.base import Base
from biobank.services import audit, storage
from biobank.web import boundary
from biobank.web.api import openapi_document
from tests.biobank.genotyping.conftest import NORMAL_COL, TUMOR_COL
from tests.conftest import DEMO_PASSWORD, csrf_token

from .authz_table import ACTING_USER, ROLES, TABLE, Row
from .conftest import World, signed_in, token_of
from .test_authz_matrix import _fill

# --- what is sent ---------------------------------------------------------------------------
#: Refused in every text field (and every field is text on a form).
CONTROL = {
    "nul": "ok\x00", "escape": "\x1b[2J", "del": "x\x7f", "c1-nel": "x\x85y",
    "rlo": "\u202eevil.exe", "isolate": "\u2066x\u2069",
}
#: Refused in a numeric field.
NUMERIC = {"nan": "NaN", "snan": "sNaN", "inf": "Infinity", "-inf": "-Infinity",
           "1e+999999": "1E+999999", "1e-999999": "1e-999999", "huge": "9" * 400}
#: Refused in a date-time field.
DATES = {"year1+14": "0001-01-01T00:00+14:00", "year9999-14": "9999-12-31T23:59-14:00"}
#: Valid text: accepted and stored exactly, or refused by a domain rule; never a 5xx.
VALID_TEXT = {"text-nan": "NaN", "rtl": "مرحبا بالعالم שלום", "newlines": "line one\nline two",
              "formula": "=1+1", "cjk": "顺丰速运 🧪"}
#: JSON only: a value of the wrong type (refused unless the field takes that type).
JSON_VALUES: dict[str, Any] = {
    "int": 12, "float": 1.5, "true": True, "list": ["x"], "object": {"x": 1},
    "nan-number": math.nan, "inf-number": math.inf, "huge-int": 10 ** 400,
    "lone-surrogate": "\ud800",
}


@dataclass(frozen=True)
class Case:
    endpoint: str
    field: str
    kind: str  # text | number | integer | datetime | choice | list | flag
    max_length: int
    api: bool


def _app() -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


def _page_cases() -> list[Case]:
    from biobank import inputs

    _app()
    kinds = {inputs.Number: "number", inputs.Integer: "integer", inputs.DateTime: "datetime",
             inputs.Choice: "choice", inputs.TextList: "list"}
    out = []
    for endpoint, fields in sorted(boundary.FORMS.items()):
        if fields.kind == "json":
            continue
        for name, spec in fields.specs.items():
            limit = spec.item.max_length if isinstance(spec, inputs.TextList) else \
                spec.max_length
            out.append(Case(endpoint, name, kinds.get(type(spec), "text"), limit,
                            endpoint.startswith("api.")))
    return out


def _api_cases() -> list[Case]:
    """From the OpenAPI document: every property of every JSON request body."""
    _app()
    out = []
    for ops in openapi_document()["paths"].values():
        for op in ops.values():
            schema = op.get("requestBody", {}).get("content", {}).get("application/json",
                                                                       {}).get("schema")
            if not schema:
                continue
            for name, prop in schema["properties"].items():
                kind = ("datetime" if prop.get("format") == "date-time" else
                        "choice" if "enum" in prop else
                        {"string": "text", "number": "number", "integer": "integer",
                         "array": "list", "boolean": "flag"}[prop["type"]])
                limit = prop.get("maxLength") or prop.get("items", {}).get("maxLength") or \
                    MAX_TEXT
                out.append(Case(f"api.{op['operationId']}", name, kind, limit, True))
    return out


CASES = _page_cases() + _api_cases()


def values_for(case: Case) -> list[tuple[str, Any, bool]]:
    """(label, value, must the boundary refuse it naming the field?)"""
    out: list[tuple[str, Any, bool]] = [(k, v, True) for k, v in CONTROL.items()]
    json_body = case.api and not _is_multipart(case.endpoint)
    out.append(("overlong", "x" * (case.max_length + 1), True))
    numeric = case.kind in ("number", "integer")
    out += [(k, v, numeric) for k, v in NUMERIC.items()]
    out += [(k, v, case.kind == "datetime") for k, v in DATES.items()]
    out += [(k, v, False) for k, v in VALID_TEXT.items()]
    if json_body:
        for k, v in JSON_VALUES.items():
            takes = {"int": numeric, "float": case.kind == "number",
                     "list": case.kind == "list", "true": case.kind == "flag"}.get(k, False)
            out.append((k, v, not takes))
    if case.kind == "list":  # one bad item among good ones
        out = [(k, [v] if isinstance(v, str) else v, refuse) for k, v, refuse in out]
    return out


# --- the request each case starts from -------------------------------------------------------
#: An accepted request where the authorization matrix has none (its rows there test roles with
#: an empty body): (method, url, user, body); placeholders are the S01 world's.
EXTRA_BASELINES: dict[str, tuple[str, str, str | None, dict[str, Any]]] = {
    "auth.login": ("POST", "/login", None, {"username": "s01.tech", "password": DEMO_PASSWORD}),
    "shipments.create": ("POST", "/shipments/", "s01.tech",
                         {"conditions": "dry_ice", "courier": "SF Express"}),
    "api.create_shipment": ("POST", "/api/v1/shipments", "s01.tech",
                            {"conditions": "dry_ice", "courier": "SF Express"}),
    "storage.create_box": ("POST", "/storage/boxes", "s01.tech",
                           {"box_type": "cryobox_9x9", "name": "Hostile box"}),
    "api.post_box": ("POST", "/api/v1/storage/boxes", "s01.tech",
                     {"box_type": "cryobox_9x9", "name": "Hostile box"}),
    "storage.create_location": ("POST", "/storage/locations", "s01.tech",
                                {"kind": "freezer_minus80", "name": "Hostile freezer"}),
    "storage.use": ("POST", "/storage/use", "s01.tech",
                    {"mode": "check_out", "code": "{specimen_stored}"}),
    "storage.rack_import": ("POST", "/storage/rack-import", "s01.tech",
                            {"csv": "Rack,Position,Tube\n"}),
    "api.post_rack_scan": ("POST", "/api/v1/storage/rack-scans", "s01.tech",
                           {"csv": "Rack,Position,Tube\n"}),
    "api.post_label_print": ("POST", "/api/v1/labels/print", "s01.tech",
                             {"codes": ["{specimen_collected}"], "format": "zpl",
                              "reason": "hostile-input suite"}),
    # The matrix sends these two forms empty (a 422 for the missing field): from there every
    # value of every other field was refused too, and valid text was never stored.
    "labels.print_form": ("POST", "/labels/print", "s01.tech",
                          {"code": ["{specimen_collected}"], "fmt": "pdf",
                           "reason": "hostile-input suite"}),
    "labels.aliquot": ("POST", "/labels/specimens/{specimen_collected}/aliquot", "s01.tech",
                       {"specimen_type": "serum", "container": "cryovial_2ml",
                        "quantity": "0.5", "unit": "mL", "take": "0.1"}),
}
# The multipart and stateful starting requests (issue 15's audit): each carries its files, or is
# preceded by what it needs, so its fields are shown accepted and stored as sent too.
_UPLOAD_FIELDS = {"normal_specimen": "{specimen_blood}", "tumor_specimen": "{specimen_tumour}",
                  "normal_sample": NORMAL_COL, "tumor_sample": TUMOR_COL, "caller": "Mutect2",
                  "caller_version": "4.2.4.1", "assay": "panel", "build": "GRCh38"}
_RACK_CSV = "Rack,Position,Tube\n{box},E5,{specimen_stored}\n"
EXTRA_BASELINES.update({
    "genotyping.upload": ("POST", "/genotyping/participants/{participant}/upload",
                          "pathologist", dict(_UPLOAD_FIELDS)),
    "api.upload_genotyping": ("POST", "/api/v1/participants/{participant}/genotyping",
                              "pathologist", dict(_UPLOAD_FIELDS)),
    "genotyping.receive": ("POST", "/genotyping/participants/{participant}/receive",
                           "pathologist", {"normal_specimen": "{specimen_blood}",
                                           "tumor_specimen": "{specimen_tumour}"}),
    # "received" (the first step's token) is added by the step run before each request.
    "genotyping.confirm": ("POST", "/genotyping/participants/{participant}/confirm",
                           "pathologist", dict(_UPLOAD_FIELDS)),
    "sources.outside": ("POST", "/genotyping/participants/{participant}/outside", "pathologist",
                        {"hgvs": "NM_000244.3:c.1537C>G", "build": "GRCh38",
                         "lab": "Hostile-input suite laboratory", "report_date": "2026-01-03",
                         "accession": "HS-1"}),
    "sources.mlpa_page": ("POST", "/genotyping/participants/{participant}/mlpa", "pathologist",
                          {"normal_specimen": "{specimen_blood}", "build": "GRCh38"}),
    # The tube is checked out by the step run before each request; it goes back to another
    # position of its box.
    "api.post_check_in": ("POST", "/api/v1/storage/specimens/{specimen_stored}/check-in",
                          "s01.tech", {"box": "{box}", "position": "E5"}),
    # The fingerprint of this file's comparison is added by the step run before each request.
    "storage.rack_apply": ("POST", "/storage/rack-import/apply", "s01.tech", {"csv": _RACK_CSV}),
})


def _paired_vcf() -> bytes:
    """A Mutect2 tumour/normal VCF (the header of tests/data/vcf's real GATK file) with a MEN1
    record the world's uploads do not hold, so it is a new analysis, not the existing one."""
    from tests.biobank.genotyping.conftest import mutect2_vcf
    from tests.variant_calling.conftest import VUS, Counts, mutect2

    return mutect2_vcf([mutect2(*VUS, Counts(40, 0), Counts(28, 12))])


def _mlpa_table() -> bytes:
    from tests.variant_calling.test_mlpa import table

    return table({3: 0.5}).encode()  # the world's import is exon 5


#: The files a multipart starting request carries: endpoint → {field: (content, file name)}.
FILES: dict[str, dict[str, tuple[bytes, str]]] = {
    "genotyping.upload": {"paired": (_paired_vcf(), "pair.vcf")},
    "api.upload_genotyping": {"paired": (_paired_vcf(), "pair.vcf")},
    "genotyping.receive": {"paired": (_paired_vcf(), "pair.vcf")},
    "sources.outside": {"report": (b"%PDF-1.4 hostile-input suite report\n", "report.pdf")},
    "sources.mlpa_page": {"table": (_mlpa_table(), "p017.csv")},
}


def _check_out_stored(app: Flask, world: World, page: _PageClient | None, body: dict[str, Any]
                      ) -> dict[str, Any]:
    """The stored tube, checked out (by its site's technician), so it can be checked in."""
    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        sp = s.execute(select(Specimen).where(
            Specimen.barcode == world.values["own"]["specimen_stored"])).scalar_one()
        storage.check_out(s, tech, sp, "hostile-input suite")
    return {}


def _rack_fingerprint(app: Flask, world: World, page: _PageClient | None,
                      body: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint of the comparison the technician was shown (it changes nothing)."""
    with get_db(app).session(write=False) as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        return {"fingerprint": storage.rack_diff(s, tech, body["csv"]).fingerprint}


def _received(app: Flask, world: World, page: _PageClient | None, body: dict[str, Any]
              ) -> dict[str, Any]:
    """The page's first step, as the pathologist takes it: the files are received and the
    confirmation's token comes back in the redirect."""
    assert page is not None
    code = world.values["own"]["participant"]
    resp = page.client.post(
        f"/genotyping/participants/{code}/receive", content_type="multipart/form-data",
        data={"paired": (io.BytesIO(_paired_vcf()), "pair.vcf"), "csrf_token": page.token,
              "normal_specimen": body["normal_specimen"],
              "tumor_specimen": body["tumor_specimen"]})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return {"received": parse_qs(urlsplit(resp.headers["Location"]).query)["received"][0]}


#: What a starting request needs that the world does not hold, made afresh before each request
#: (after the world is put back): returns the fields it adds to the body.
SETUP = {"api.post_check_in": _check_out_stored, "storage.rack_apply": _rack_fingerprint,
         "genotyping.confirm": _received}
#: Endpoints whose starting request is still refused, and why. Their fields are still fuzzed
#: (never a 5xx, what no field may hold is a 422 naming it, nothing written).
REFUSED_BASELINES: dict[str, str] = {}


@functools.cache
def _rules() -> dict[str, tuple[str, set[str]]]:
    return {r.endpoint: (r.rule, set(r.methods or ())) for r in _app().url_map.iter_rules()}


def baseline(endpoint: str) -> tuple[Row, str | None]:
    """A row of the authorization matrix for this endpoint and the role that gets furthest
    (accepted; else refused by a rule after the form was read)."""
    if endpoint in EXTRA_BASELINES:
        method, url, user, body = EXTRA_BASELINES[endpoint]
        return Row(method, url, "own", " ".join(["200"] * len(ROLES)), body), user
    rule, methods = _rules()[endpoint]
    rows = [r for r in TABLE if (r.rule or r.url) == rule and r.method in methods
            and r.method != "GET" and r.kind in ("own", "none")]
    assert rows, f"no request of the authorization matrix reaches {endpoint}"
    ranked = sorted(((0 if s < 400 else 1 if s in (409, 422) else 2, -len(r.body), i), r, role)
                    for i, r in enumerate(rows) for role in ROLES if role != "anonymous"
                    for s in [r.status_for(role)])
    _rank, row, role = ranked[0]
    return row, ACTING_USER[role]


# --- checking -----------------------------------------------------------------------------------
def _count_sql() -> str:
    return "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t.name}")'
                                 for t in Base.metadata.sorted_tables)


def counts(app: Flask) -> dict[str, int]:
    with get_db(app).session(write=False) as s:
        row = s.execute(text(_count_sql())).one()
    return dict(zip([t.name for t in Base.metadata.sorted_tables], row, strict=True))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return []


def _new_audit_texts(app: Flask, after: int) -> list[str]:
    """Every text the audit events written since ``after`` hold (changes and reasons)."""
    with get_db(app).session(write=False) as s:
        rows = s.execute(select(AuditEvent).where(AuditEvent.id > after)).scalars().all()
        return [t for r in rows for t in [*_strings(r.changes), r.reason or ""]]


def _chain_ok(app: Flask) -> None:
    with get_db(app).session(write=False) as s:
        _n, problems = audit.verify(s)
    assert problems == [], problems


#: A refusal that writes by design: a failed sign-in counts towards the back-off.
REFUSAL_WRITES = {"auth.login": {"auth_throttles"},
                  # ... and a wrong signature password is audited (issue 15, defect 5).
                  "genotyping.sign": {"auth_throttles", "audit_events"},
                  "genotyping.amend": {"auth_throttles", "audit_events"}}


# --- the figures for docs/RELIABILITY.md (bench/hostile_report.py collects them) --------------
STATS: dict[tuple[str, str], dict[str, int]] = {}


def area(endpoint: str) -> str:
    """Where an endpoint belongs, for the report: the API's area by its path."""
    if not endpoint.startswith("api."):
        return {"main": "scan station & language", "auth": "sign-in", "audit": "audit",
                "account": "account", "participants": "specimens"}.get(
            endpoint.split(".")[0], endpoint.split(".")[0])
    first = _rules()[endpoint][0].removeprefix("/api/v1/").split("/")[0]
    return "api " + {"me": "account", "participants": "genotyping upload"}.get(first, first)


def _row(engine: str, case: Case) -> dict[str, int]:
    return STATS.setdefault((engine, area(case.endpoint)), {
        "fields": 0, "cases": 0, "5xx": 0, "partial_writes": 0, "refused": 0, "accepted": 0})


def _tally(engine: str, case: Case, status: int, partial: bool) -> None:
    row = _row(engine, case)
    row["cases"] += 1
    row["5xx"] += status >= 500
    row["partial_writes"] += partial
    row["refused"] += 400 <= status < 500
    row["accepted"] += status < 400


@pytest.fixture(scope="module", autouse=True)
def _report() -> Any:
    yield
    target = os.environ.get("HOSTILE_REPORT_DIR")
    if target and STATS:
        name = f"hostile-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}.json"
        Path(target, name).write_text(json.dumps(
            [{"engine": e, "area": a, **v} for (e, a), v in sorted(STATS.items())]))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.endpoint}.{c.field}")
def test_hostile_values(case: Case, authz_world: World, request: pytest.FixtureRequest) -> None:
    app, url_db = request.getfixturevalue("authz_writer")
    row, user = baseline(case.endpoint)
    _row(authz_world.engine, case)["fields"] += 1
    url = _fill(row.url, authz_world, row, user)
    body = {k: [_fill(x, authz_world, row, user) for x in v] if isinstance(v, list)
            else _fill(v, authz_world, row, user) for k, v in row.body.items()}
    failures = []
    page = None if case.api else _PageClient(app, authz_world, user)
    for n, (label, value, must_refuse) in enumerate(values_for(case)):
        if authz_world.dirty:
            authz_world.restore(app, url_db)
            authz_world.dirty = False
        sent = {**_prepared(case.endpoint, app, authz_world, page, body), case.field: value}
        before = counts(app)
        last_audit = before["audit_events"] and _max_audit(app)
        resp = _send(app, authz_world, row, user, url, sent, case, n, page)
        after = counts(app)
        written = after != before
        authz_world.dirty = True if written or resp.status_code < 400 else authz_world.dirty
        status = resp.status_code
        refusal_wrote = status >= 400 and bool(
            {t for t in after if after[t] != before[t]} - REFUSAL_WRITES.get(case.endpoint, set()))
        _tally(authz_world.engine, case, status, refusal_wrote)
        where = f"{case.endpoint}.{case.field}={label}: {status}"
        if status >= 500:
            failures.append(f"{where} (5xx) {resp.get_data(as_text=True)[:200]}")
            continue
        if must_refuse and (status != 422 or case.field not in _named(resp)):
            failures.append(f"{where}: not a 422 naming the field "
                            f"({_named(resp)!r}) {resp.get_data(as_text=True)[:160]}")
        if refusal_wrote:
            changed = {t for t in after if after[t] != before[t]}
            failures.append(f"{where}: refused but wrote {sorted(changed)}")
        elif written:
            _chain_ok(app)
            if label in VALID_TEXT:
                # Where the text was stored, it was stored as sent (services strip the ends).
                texts = _new_audit_texts(app, last_audit)
                stored = [t for t in texts if value.strip() in t]
                mangled = [t for t in texts if value.strip()[:4] in t and not stored]
                if mangled:
                    failures.append(f"{where}: stored altered: {mangled[0][:160]!r}")
    assert not failures, "\n".join(failures)


def _prepared(endpoint: str, app: Flask, world: World, page: _PageClient | None,
              body: dict[str, Any]) -> dict[str, Any]:
    """The starting request's body once what it needs is made (``SETUP``)."""
    step = SETUP.get(endpoint)
    if step is None:
        return body
    world.dirty = True  # the step may write: the next request starts from the world again
    return {**body, **step(app, world, page, body)}


def _max_audit(app: Flask) -> int:
    with get_db(app).session(write=False) as s:
        from sqlalchemy import func

        return int(s.execute(select(func.max(AuditEvent.id))).scalar_one() or 0)


def _named(resp: Any) -> set[str]:
    """The fields a refusal names: the JSON error's ``fields``, or the page's data-field
    markers (a request with several bad fields names each)."""
    if resp.is_json:
        error = (resp.get_json(silent=True) or {}).get("error", {})
        return {str(f).split("[")[0] for f in error.get("fields") or {}}
    page = resp.get_data(as_text=True)
    return {chunk.split('"', 1)[0].split("[")[0] for chunk in page.split('data-field="')[1:]}


class _PageClient:
    """One signed-in browser for all the requests of a case (its session and CSRF token)."""

    def __init__(self, app: Flask, world: World, user: str | None) -> None:
        self.client = signed_in(app, world, user)
        self.token = csrf_token(self.client, "/login" if user is None else "/")


def _send(app: Flask, world: World, row: Row, user: str | None, url: str, body: dict[str, Any],
          case: Case, n: int, page: _PageClient | None) -> Any:
    # A distinct client address per request: the sign-in rate limit is not what is tested.
    environ = {"REMOTE_ADDR": f"10.{n // 250}.{n % 250}.7"}
    # A file stream is read once: each request gets its own.
    files = {k: (io.BytesIO(content), name)
             for k, (content, name) in FILES.get(case.endpoint, {}).items()}
    if case.api:
        c = app.test_client()
        if row.method in ("POST", "PATCH", "PUT") and _is_multipart(case.endpoint):
            return c.open(url, method=row.method, headers=token_of(world, user),
                          data={**body, **files}, content_type="multipart/form-data",
                          environ_base=environ)
        payload = json.dumps(body, allow_nan=True, ensure_ascii=True)
        return c.open(url, method=row.method, headers=token_of(world, user), data=payload,
                      content_type="application/json", environ_base=environ)
    assert page is not None
    c, token = page.client, page.token
    form = dict(body)
    content_type = ("multipart/form-data" if _is_multipart(case.endpoint)
                    else "application/x-www-form-urlencoded")
    return c.open(url, method=row.method, data={**form, **files, "csrf_token": token},
                  content_type=content_type, environ_base=environ,
                  headers={"Accept": "text/html"})


def _is_multipart(endpoint: str) -> bool:
    fields = boundary.FORMS.get(endpoint)
    return fields is not None and fields.kind == "multipart"


# --- coverage of the enumeration itself -------------------------------------------------------
def test_the_enumeration_covers_every_declared_field() -> None:
    declared = {(e, n) for e, f in boundary.FORMS.items() for n in f.specs}
    assert {(c.endpoint, c.field) for c in CASES} == declared
    assert len(CASES) > 150
    for case in CASES:  # every case has a request to start from
        baseline(case.endpoint)


@pytest.mark.parametrize("endpoint", sorted({c.endpoint for c in CASES}))
def test_each_starting_request_is_accepted(endpoint: str, authz_world: World,
                                           request: pytest.FixtureRequest) -> None:
    """The request each field's values are put into is itself accepted (2xx/3xx): otherwise a
    missing field refuses every value and valid text is never shown to be stored as sent. The
    few that cannot be are listed, with why, in REFUSED_BASELINES."""
    app, url_db = request.getfixturevalue("authz_writer")
    if authz_world.dirty:
        authz_world.restore(app, url_db)
    authz_world.dirty = True
    case = next(c for c in CASES if c.endpoint == endpoint)
    row, user = baseline(endpoint)
    url = _fill(row.url, authz_world, row, user)
    body = {k: [_fill(x, authz_world, row, user) for x in v] if isinstance(v, list)
            else _fill(v, authz_world, row, user) for k, v in row.body.items()}
    page = None if case.api else _PageClient(app, authz_world, user)
    body = _prepared(endpoint, app, authz_world, page, body)
    before = counts(app)
    resp = _send(app, authz_world, row, user, url, body, case, 0, page)
    status = resp.status_code
    if endpoint in FILES or endpoint in SETUP:
        # A new upload, a check-in, an applied rack file: each is recorded, so its fields'
        # text is shown stored as sent (not an earlier upload found again).
        assert counts(app)["audit_events"] > before["audit_events"], (
            f"{endpoint}: its starting request wrote nothing ({status})")
    assert status < 500
    if endpoint in REFUSED_BASELINES:
        assert status >= 400, f"{endpoint} is accepted now: remove it from REFUSED_BASELINES"
    else:
        assert status < 400, (f"{endpoint}: its starting request is refused ({status}) "
                              f"{resp.get_data(as_text=True)[:300]}")
