"""Every domain error's message is a gettext format with named params, and every format has a
Chinese translation whose placeholders are the same.

The code base is read, not imported: each call of a :class:`~biobank.errors.BiobankError`
class (or of :class:`~biobank.i18n.Msg`) in ``biobank/`` must pass a literal format whose
``%(name)s`` placeholders are exactly its keyword params (``code`` is the machine word), and
that literal must be in the zh catalogue with a non-empty translation using the same
placeholders. An f-string message (English only) fails the test, naming the line.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from biobank import errors, i18n
from biobank.errors import NotFound, ValidationError
from biobank.i18n import Msg, joined, render, term

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "biobank" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)([sdr])")

# Raises whose message is not a literal on purpose: (file, what the first argument is).
PASSED_ON = {
    # An error from the labels / variant-calling libraries or another domain error, passed on
    # with its own code: its text is already a message (a Msg keeps its format and params).
    ("biobank/services/labels.py", "exc.message"),
    ("biobank/services/scan.py", "exc.message"),
    ("biobank/errors.py", "message"),  # BiobankError itself
    # A SPREC element's meaning: one of the N_ formats in sprec.py, with the params it names.
    ("biobank/services/sprec.py", "self.meaning"),
}


def _error_classes() -> set[str]:
    names = {"Msg"}
    for path in (ROOT / "biobank").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                         for b in node.bases}
                if node.name in vars(errors) or bases & {
                        n for n, v in vars(errors).items()
                        if isinstance(v, type) and issubclass(v, errors.BiobankError)}:
                    names.add(node.name)
    return names | {n for n, v in vars(errors).items()
                    if isinstance(v, type) and issubclass(v, errors.BiobankError)}


def _calls() -> list[tuple[str, int, str, ast.Call]]:
    """(file, line, enclosing function, call) for every error/Msg construction."""
    classes = _error_classes()
    found = []
    for path in sorted((ROOT / "biobank").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
                if name in classes:
                    found.append((rel, node.lineno, getattr(fn, "name", ""), node))
    # A call inside a function is seen from the module too: keep the innermost function.
    best: dict[tuple[str, int, int], tuple[str, int, str, ast.Call]] = {}
    for rel, line, fn_name, node in found:
        key = (rel, line, node.col_offset)
        if key not in best or fn_name:
            best[key] = (rel, line, fn_name, node)
    return list(best.values())


def _name_of(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else str(getattr(f, "attr", ""))


def _catalogue() -> dict[str, str]:
    with PO.open("rb") as f:
        cat = read_po(f, locale="zh")
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str)}


def _placeholders(text: str) -> set[tuple[str, str]]:
    return set(PLACEHOLDER.findall(text))


def test_the_scan_finds_the_error_raises() -> None:
    calls = _calls()
    assert len(calls) > 300, len(calls)  # the scan would silently pass if it found nothing
    assert any(fn == "_storable" for _f, _l, fn, _c in calls)


def test_every_error_message_is_a_literal_format_with_matching_params() -> None:
    problems = []
    for rel, line, _fn_name, node in _calls():
        first = node.args[0]
        where = f"{rel}:{line}"
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            params = {k.arg for k in node.keywords if k.arg and k.arg != "code"}
            if _name_of(node) == "FieldError" and "%(field)" not in first.value:
                # The field a refusal names is its machine word too: the form shows the
                # message beside that field, so the text need not repeat its name.
                params.discard("field")
            if any(k.arg is None for k in node.keywords):
                params = {n for n, _c in _placeholders(first.value)}  # **mapping: checked at run
            used = {n for n, _c in _placeholders(first.value)}
            if used != params:
                problems.append(f"{where}: placeholders {sorted(used)} != params {sorted(params)}")
            continue
        if isinstance(first, ast.Call) and getattr(first.func, "id", "") == "_":
            continue  # translated where it is raised (web layer)
        source = ast.unparse(first)
        if (rel, source) in PASSED_ON:
            continue
        problems.append(f"{where}: message is not a literal format: {source[:80]}")
    assert not problems, "\n".join(problems)


def test_every_error_format_has_a_chinese_translation_with_the_same_placeholders() -> None:
    catalogue = _catalogue()
    problems = []
    formats = {node.args[0].value: f"{rel}:{line}" for rel, line, _fn, node in _calls()
               if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}
    assert len(formats) > 250
    for fmt, where in sorted(formats.items()):
        zh = catalogue.get(fmt)
        if not zh:
            problems.append(f"{where}: no Chinese translation for {fmt!r}")
        elif _placeholders(zh) != _placeholders(fmt):
            problems.append(f"{where}: placeholders differ in {zh!r}")
        elif zh.replace("%%", "").count("%") != len(PLACEHOLDER.findall(zh)):
            problems.append(f"{where}: a stray % in {zh!r}")
    assert not problems, "\n".join(problems)


# --- the message object itself ---------------------------------------------------------------
def _zh(text: str) -> str:
    return render(text, i18n.translator("zh"))


def test_an_error_is_english_text_with_its_format_and_params() -> None:
    exc = NotFound("no site with code %(site_code)r", site_code="X9", code="bad_site")
    assert str(exc) == exc.message == "no site with code 'X9'"
    assert exc.code == "bad_site" and exc.status == 404 and exc.params == {"site_code": "X9"}
    assert _zh(exc.message) == "没有代码为 'X9' 的中心"
    # A fixed message (no params) may hold a literal % and is not formatted.
    assert str(ValidationError("100% of nothing")) == "100% of nothing"


def test_terms_and_lists_read_english_in_english_and_translate_in_chinese() -> None:
    status = term("checked out", "Checked out")
    msg = Msg("%(specimen)s is %(status)s; it can be %(verb)s only when: %(allowed)s",
              specimen="SP00000001X", status=status, verb=term("consumed"),
              allowed=joined([term("Received"), term("Stored")]))
    assert msg == "SP00000001X is checked out; it can be consumed only when: Received, Stored"
    assert render(msg, lambda s: s) == str(msg)  # English gettext: unchanged
    zh = _zh(msg)
    assert zh == "标本 SP00000001X 状态为“已出库”；只有在以下状态时才能用完：已接收、已入库", zh


def test_a_message_survives_copies_and_json_as_its_english_text() -> None:
    msg = Msg("age %(age)s years (18-75)", age=54)
    copied = copy.deepcopy({"detail": msg})["detail"]
    assert isinstance(copied, Msg) and copied.fmt == msg.fmt and copied.params == {"age": 54}
    assert json.loads(json.dumps({"detail": msg})) == {"detail": "age 54 years (18-75)"}
    both = copy.deepcopy(joined([Msg("absent"), msg], i18n.CLAUSE_SEPARATOR))
    assert both == "absent; age 54 years (18-75)" and _zh(both) == "不存在；年龄 54 岁（18-75）"


@pytest.mark.parametrize("bad", ["%(other)s 不对", "%(age)d%"])
def test_a_broken_translation_falls_back_to_english_instead_of_failing(bad: str) -> None:
    msg = Msg("age %(age)s years (18-75)", age="x")
    assert render(msg, lambda s: bad) == "age x years (18-75)"


def test_a_format_that_does_not_fit_its_params_still_gives_a_message() -> None:
    exc = ValidationError("line %(line)s: %(missing)s", line=3)
    assert "line %(line)s" in str(exc) and "3" in str(exc)
