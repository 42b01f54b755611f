"""Forms that keep their input (issue 16): every page form of the form registry
(``biobank.web.boundary.FORMS``), sent with one bad value in one field and every other field
typed, comes back as its page — the refusal's 4xx, never a bare error page — with the message
beside the refused field (inside the same ``<form>``, ``data-field``), every other value as it
was typed (a password never), and nothing written. On SQLite and PostgreSQL.

The forms are enumerated, not listed: a new page form is walked as soon as it is declared, and
one without a page to show it on fails ``test_every_page_form_has_its_page``. Each request
starts from the accepted request the hostile-input suite starts from (its URL and acting user).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from biobank import inputs
from biobank.web import boundary
from tests.conftest import csrf_token

from .conftest import World, signed_in
from .test_authz_matrix import _fill
from .test_hostile_inputs import _app, baseline, counts

# --- reading the page's forms ------------------------------------------------------------------
#: Controls a person types into or chooses (hidden inputs and buttons carry the page's values).
_TYPED = {"text", "search", "number", "datetime-local", "date", "email", "tel", "url", "",
          "password", "checkbox"}


@dataclass
class Control:
    name: str
    kind: str  # input type, "select" or "textarea"
    value: str = ""
    chosen: list[str] = field(default_factory=list)  # selected options / checked boxes
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    controls: dict[str, Control] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # data-field -> text beside it


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.outside: dict[str, str] = {}  # data-field markers outside any form
        self._form: Form | None = None
        self._select: Control | None = None
        self._option: str | None = None
        self._textarea: Control | None = None
        self._error: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""))
            self.forms.append(self._form)
        if "data-field" in a and tag in ("span", "p", "li"):
            self._error = (a["data-field"], [])
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "").lower()
            if kind not in _TYPED:
                return
            c = self._form.controls.setdefault(name, Control(name, kind))
            if kind == "checkbox":
                c.options.append(a.get("value", "on"))
                if "checked" in a:
                    c.chosen.append(a.get("value", "on"))
            else:
                c.value = a.get("value", "")
        elif tag == "select" and name:
            self._select = self._form.controls.setdefault(name, Control(name, "select"))
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            value = a.get("value", "")
            self._select.options.append(value)
            if "selected" in a:
                self._select.chosen.append(value)
        elif tag == "textarea" and name:
            self._textarea = self._form.controls.setdefault(name, Control(name, "textarea"))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        if self._error is not None:
            self._error[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea":
            self._textarea = None
        if tag in ("span", "p", "li") and self._error is not None:
            name, text = self._error
            target = self._form.errors if self._form is not None else self.outside
            target.setdefault(name, " ".join("".join(text).split()))
            self._error = None


def parse(page: str) -> _Forms:
    p = _Forms()
    p.feed(page)
    return p


# --- what is sent --------------------------------------------------------------------------------
def _page_forms() -> list[str]:
    _app()
    return sorted(e for e, f in boundary.FORMS.items()
                  if f.kind != "json" and not e.startswith("api.") and f.specs)


PAGE_FORMS = _page_forms()


def bad_value(spec: inputs.Spec) -> Any:
    """A value the boundary refuses, naming the field, for any spec."""
    if isinstance(spec, inputs.TextList):
        return ["x" * (spec.item.max_length + 1)]
    if isinstance(spec, inputs.Choice):
        return "not-one-of-them"
    if isinstance(spec, (inputs.Number, inputs.Integer)):
        return "about three"
    if isinstance(spec, inputs.Flag):
        return "perhaps"
    return "x" * (spec.max_length + 1)


def typed_value(name: str, spec: inputs.Spec) -> Any:
    """What a person might have typed: valid as text, kept whatever the rules say of it."""
    if isinstance(spec, inputs.TextList):
        return None  # the codes to print are the page's, not typed
    if isinstance(spec, inputs.Choice):
        return spec.values[-1]
    if isinstance(spec, inputs.Number):
        return "1.5"
    if isinstance(spec, inputs.Integer):
        return "3"
    if isinstance(spec, inputs.Flag):
        return "yes"
    if isinstance(spec, inputs.DateTime):
        return "2026-11-25T09:30"
    return f"typed {name} 受试者"[: max(1, spec.max_length)]


#: What the page itself puts in a form that the matrix's request leaves out: the page a print
#: form goes back to, the operation whose form has the reason field.
PAGE_BODY: dict[str, dict[str, Any]] = {
    "labels.print_form": {"next": "/labels/specimens/{specimen_collected}",
                          "code": ["{specimen_collected}"]},
    "shipments.action": {"op": "cancel"},
}
#: The VCF upload form is sent by script, which shows a refusal in place with the form as it
#: was (app.js); without script its page names the refused field in the summary above it.
SUMMARY_ONLY = {"genotyping.upload", "genotyping.receive"}
#: Fields a page fills itself (hidden inputs, buttons): never typed, never checked as kept.
PAGE_FILLED = {"next", "csrf_token", "op", "specimen", "fingerprint", "mode", "confirm",
               "received"}


def _received_token(client: Any, participant_url: str) -> str:
    """The upload confirmation's first step, done as the page does it: its signed token."""
    from tests.biobank.genotyping.conftest import germline_stop, mutect2_vcf

    code = participant_url.split("/participants/")[1].split("/")[0]
    resp = client.post(f"/genotyping/participants/{code}/receive", data={
        "csrf_token": csrf_token(client, "/"),
        "paired": (io.BytesIO(mutect2_vcf([germline_stop()])), "run.vcf")},
        content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return parse_qs(urlsplit(resp.headers["Location"]).query)["received"][0]


def test_every_page_form_has_its_page() -> None:
    """No page form with a field is left to the bare error page: each declares where it is
    shown again (a form of one button, with nothing typed, may answer with the error page)."""
    missing = [e for e in PAGE_FORMS if boundary.FORMS[e].page is None]
    assert missing == []


@pytest.mark.parametrize("endpoint", PAGE_FORMS)
def test_a_refused_form_comes_back_with_the_error_beside_its_field_and_the_input_kept(
        endpoint: str, authz_world: World, request: pytest.FixtureRequest) -> None:
    app, url_db = request.getfixturevalue("authz_writer")
    declared = boundary.FORMS[endpoint]
    row, user = baseline(endpoint)
    url = _fill(row.url, authz_world, row, user)
    base = {k: [_fill(x, authz_world, row, user) for x in v] if isinstance(v, list)
            else _fill(v, authz_world, row, user)
            for k, v in {**row.body, **PAGE_BODY.get(endpoint, {})}.items()}
    client = signed_in(app, authz_world, user)
    token = csrf_token(client, "/login" if user is None else "/")
    content_type = ("multipart/form-data" if declared.kind == "multipart"
                    else "application/x-www-form-urlencoded")
    if endpoint == "genotyping.confirm":
        base["received"] = _received_token(client, url)
    failures = []
    for bad_field, spec in declared.specs.items():
        if authz_world.dirty:
            authz_world.restore(app, url_db)
            authz_world.dirty = False
        typed = {n: typed_value(n, s) for n, s in declared.specs.items()
                 if n not in PAGE_FILLED and n not in base}
        body = {**base, **{k: v for k, v in typed.items() if v is not None},
                bad_field: bad_value(spec)}
        before = counts(app)
        resp = client.open(url, method=row.method, data={**body, "csrf_token": token},
                           content_type=content_type, headers={"Accept": "text/html"})
        after = counts(app)
        where = f"{endpoint} with a bad {bad_field}: {resp.status_code}"
        if after != before:
            authz_world.dirty = True
            failures.append(f"{where}: wrote {sorted(t for t in after if after[t] != before[t])}")
        page = resp.get_data(as_text=True)
        if resp.status_code != 422 or resp.mimetype != "text/html":
            failures.append(f"{where}: not a 422 page {page[:200]!r}")
            continue
        if "<form" not in page or "<h1>Error" in page:
            # Only a tampered request has a bad value in what the page fills itself (the page
            # to go back to): the error page naming the field is its answer.
            if bad_field not in PAGE_FILLED or f'data-field="{bad_field}"' not in page:
                failures.append(f"{where}: a bare error page, not the form")
            continue
        forms = parse(page)
        named = set(forms.outside) | {n for f in forms.forms for n in f.errors}
        if not declared.summary or endpoint in SUMMARY_ONLY:
            # A scan screen answers in its result area under the input (the scan is not kept:
            # the next one is typed over it); its own refusal page marks the field.
            if bad_field not in named:
                failures.append(f"{where}: the refusal does not name the field")
            continue
        path = urlsplit(url).path
        mine = [f for f in forms.forms if urlsplit(f.action).path in ("", path)
                and (bad_field in f.controls or bad_field in f.errors or f.errors)]
        shown = [f for f in mine if bad_field in f.errors]
        if bad_field in {c for f in mine for c in f.controls} or shown:
            if not shown:
                failures.append(f"{where}: no message beside the field "
                                f"({[f.errors for f in mine]})")
                continue
        elif bad_field not in forms.outside:
            failures.append(f"{where}: the refusal is not named on the page")
            continue
        form = shown[0] if shown else (mine[0] if mine else None)
        if form is None:
            continue
        for name, value in typed.items():
            control = form.controls.get(name)
            if control is None or value is None or name == bad_field:
                continue
            if control.kind == "password":
                if control.value:
                    failures.append(f"{where}: the password was sent back")
            elif control.kind in ("select", "checkbox"):
                if value in control.options and control.chosen != [value]:
                    failures.append(f"{where}: {name} not kept ({control.chosen} != {value})")
            elif control.value != value:
                failures.append(f"{where}: {name} not kept ({control.value!r} != {value!r})")
    assert not failures, "\n".join(failures)
