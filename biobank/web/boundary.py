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

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, request
from markupsafe import Markup, escape

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
    #: The page that shows this form: a GET endpoint taking the same URL arguments, or a
    #: callable ``(refusal, **url_arguments)`` answering with it (``shown_on``).
    page: str | Callable[..., Any] | None = None
    #: A service refusal's code → the field it is about (the boundary's own refusals name
    #: their field; a service's may name it as its ``field`` param instead).
    codes: dict[str, str] = field(default_factory=dict)
    #: Whether the page needs the refusal summary at its top (base.html); a scan screen shows
    #: a refusal in its own result area instead.
    summary: bool = True

    def shown_on(self, page: str | Callable[..., Any], *, summary: bool = True,
                 codes: Mapping[str, str] | None = None, **more_codes: str) -> Fields:
        """Where a refusal of this form is answered: the form's page again, the refusal beside
        its field and what was typed kept (``web/errors.py``); ``codes`` maps a service
        refusal's code to its field (a 401 or 403 so mapped is the form's, e.g. a wrong
        signature password)."""
        self.page = page
        self.summary = summary
        self.codes.update(codes or {}, **more_codes)
        return self

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


# --- a refused form, shown again ---------------------------------------------------------------
@dataclass
class Refused:
    """The form a request was refused on: its endpoint, what was typed, and the messages
    (already translated) by field; ``""`` holds what is about the form as a whole."""

    endpoint: str
    values: Mapping[str, Any]
    errors: dict[str, str]
    summary: bool = True
    #: The refused request's URL arguments (a form per variant posts to its own URL).
    args: Mapping[str, Any] = field(default_factory=dict)


class FormState:
    """What a template needs to show one form: the values to put back and the refusals to show
    beside the fields, when the request being answered is a refusal of *this* form; the page's
    own defaults otherwise. ``form_state("shipments.action", op="cancel")`` tells apart forms
    posting to the same endpoint by a field's value, ``form_state("genotyping.override",
    variant_id=v.id)`` by a URL argument."""

    def __init__(self, refused: Refused | None) -> None:
        self.refused = refused is not None
        self.errors: dict[str, str] = refused.errors if refused else {}
        self._values: Mapping[str, Any] = refused.values if refused else {}

    def value(self, name: str, default: object = "") -> str:
        if self.refused and name in self._values:
            return str(self._values[name])
        return "" if default is None else str(default)

    def values(self, name: str) -> list[str]:
        """Every value sent as ``name`` (checkboxes)."""
        getlist = getattr(self._values, "getlist", None)
        return [str(v) for v in getlist(name)] if getlist else []

    def selected(self, name: str, option: object, default: bool = False) -> Markup:
        """`` selected`` on the option that was chosen (else on the page's default)."""
        chosen = (self._values.get(name) == str(option)) if self.refused and name in \
            self._values else default
        return Markup(" selected") if chosen else Markup("")

    def checked(self, name: str, value: object, default: bool = False) -> Markup:
        chosen = str(value) in self.values(name) if self.refused else default
        return Markup(" checked") if chosen else Markup("")

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    def invalid(self, name: str) -> Markup:
        """The input's attributes when it is refused: assistive technology reads the message
        with the field."""
        if not self.errors.get(name):
            return Markup("")
        return Markup(' aria-invalid="true" aria-describedby="%s-error"') % escape(name)


def form_state(endpoint: str, **match: str) -> FormState:
    refused: Refused | None = g.get("refused_form")
    if refused is None or refused.endpoint != endpoint or any(
            str(refused.args.get(k, refused.values.get(k, ""))) != str(v)
            for k, v in match.items()):
        return FormState(None)
    return FormState(refused)


def field_messages(exc: Any, declared: Fields, translate: Callable[[Any], str]
                   ) -> dict[str, str]:
    """The refusal's messages by the field of this form they are about: a boundary refusal
    names its fields; a service's is placed by its code or its ``field`` param; the rest
    (and a field the form does not show) is the form's as a whole (``""``)."""
    from ..errors import FieldError

    known = set(declared.specs) | set(declared.files)
    out: dict[str, str] = {}
    if isinstance(exc, FieldError):
        pairs = [(name, msg) for name, msg in exc.by_field.items()]
    else:
        name = declared.codes.get(exc.code) or str(exc.params.get("field") or "")
        pairs = [(name, exc.message)]
    for name, msg in pairs:
        base = name.split("[", 1)[0]
        out.setdefault(base if base in known else "", translate(msg))
    return out


def page_of(endpoint: str | None) -> Fields | None:
    declared = FORMS.get(endpoint or "")
    return declared if declared is not None and declared.page is not None else None


def render_page(declared: Fields, exc: Any) -> Any:
    """The form's page answering this refusal (what its view would return)."""
    args = dict(request.view_args or {})
    page = declared.page
    if callable(page):
        return page(exc, **args)
    assert page is not None
    view = current_app.view_functions[page]
    rule = next(current_app.url_map.iter_rules(page))
    return view(**{k: v for k, v in args.items() if k in rule.arguments})


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
    app.jinja_env.globals["form_state"] = form_state
