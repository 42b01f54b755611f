"""The registry of every form and request body the app reads, and the request-wide text check.

Each page form is declared once with :func:`form` (its endpoint and a spec per field, from
``biobank/inputs.py``) and read in its view with ``FORM.read()``; each API body is declared on
its route (``web/api/route(..., body=Body(...))``) and read with ``json_body()``, and the
OpenAPI document's request schemas are generated from the same specs. A refused value raises
:class:`~biobank.errors.FieldError` naming the field (422, mapped in ``web/errors.py``); a page
can catch it and show ``exc.by_field`` beside the fields with the input kept.

Before any view, :func:`check_request` refuses control and text-direction characters, lone
surrogates and overlong values in *every* string of the request — query, path, form fields and
file names, JSON at any depth — naming the field, so a field nobody declared yet is covered as
well (PostgreSQL rejects a NUL byte in text; SQLite would store it).

The hostile-input suite (tests/biobank/reliability/test_hostile_inputs.py) walks
:data:`FORMS` and the OpenAPI document: a new field is fuzzed as soon as it is declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request

from .. import inputs
from ..errors import ValidationError
from ..inputs import Spec

#: Names the framework adds to every form (not data).
FRAMEWORK_FIELDS = frozenset({"csrf_token"})
#: The longest field name a request may use.
MAX_NAME = 200


@dataclass
class Fields:
    """The fields one endpoint reads: a page form (``form``), a JSON body (``json``), or a
    multipart form with files (``multipart``; the files' names are checked, their content is
    the reader's business)."""

    endpoint: str
    specs: dict[str, Spec]
    kind: str = "form"
    files: tuple[str, ...] = ()
    required: tuple[str, ...] = field(default=())

    def read(self) -> dict[str, Any]:
        """The declared fields of this request, cleaned (absent optional fields: None)."""
        if self.kind == "json":
            data = request.get_json(silent=True)
            if not isinstance(data, dict):
                raise ValidationError("expected a JSON object body", code="bad_json")
            return inputs.read(self.specs, data, json=True, required=self.required)
        values: dict[str, Any] = {}
        for name, spec in self.specs.items():
            if isinstance(spec, inputs.TextList):
                if name in request.form:
                    values[name] = request.form.getlist(name)
            elif name in request.form:
                values[name] = request.form[name]
        return inputs.read(self.specs, values, json=False, required=self.required)

    def schema(self) -> dict[str, Any]:
        return inputs.schema(self.specs, self.required)


#: endpoint → the fields it reads. Pages and API alike.
FORMS: dict[str, Fields] = {}


def register(fields: Fields) -> Fields:
    if fields.endpoint in FORMS and FORMS[fields.endpoint] is not fields:
        raise RuntimeError(f"two declarations of the fields of {fields.endpoint}")
    FORMS[fields.endpoint] = fields
    return fields


def form(endpoint: str, /, **specs: Spec) -> Fields:
    """Declare a page form's fields."""
    return register(Fields(endpoint, dict(specs)))


def upload_form(endpoint: str, files: tuple[str, ...], /, **specs: Spec) -> Fields:
    """Declare a multipart form: its file fields and its other fields."""
    return register(Fields(endpoint, dict(specs), "multipart", files))


def body(**specs: Spec) -> dict[str, Spec]:
    """An API body's fields, for ``route(..., body=body(...))``."""
    return dict(specs)


# --- the request-wide check ---------------------------------------------------------------------
def _walk_json(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield f"{path}.<key>" if path else "<key>", str(k)
            yield from _walk_json(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk_json(v, f"{path}[{i}]")


def _limit(name: str) -> int:
    declared = FORMS.get(request.endpoint or "")
    spec = declared.specs.get(name.split("[", 1)[0].split(".", 1)[0]) if declared else None
    if isinstance(spec, inputs.TextList):
        return spec.item.max_length
    return max(spec.max_length, inputs.MAX_TEXT) if spec is not None else inputs.MAX_TEXT


def request_strings() -> Iterator[tuple[str, str]]:
    """(field name, text) for every string the request carries."""
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value
    for name, value in request.args.items(multi=True):
        yield "<name>", name
        yield name, value
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            yield "<name>", name
            yield name, value
        for name, upload in request.files.items(multi=True):
            yield "<name>", name
            yield name, upload.filename or ""
    elif request.is_json:
        data = request.get_json(silent=True)
        if isinstance(data, (dict, list)):
            yield from _walk_json(data, "")


def check_request() -> None:
    """Refuse a control or text-direction character, a lone surrogate or an overlong value in
    any string of the request (422 naming the field). Runs before every view."""
    for name, value in request_strings():
        if name == "<name>":
            inputs.check_text("field name", value, MAX_NAME)
        elif name not in FRAMEWORK_FIELDS:
            inputs.check_text(name, value, _limit(name))


def init_app(app: Flask) -> None:
    app.before_request(check_request)
