"""Translations: compile the gettext catalogues, and the message ids that have no literal call site.

Catalogues live in ``biobank/translations/<lang>/LC_MESSAGES/messages.po``; the compiled ``.mo``
files are git-ignored. ``make`` compiles them with
``pybabel compile -d biobank/translations``; ``create_app`` calls :func:`compile_catalogues` too,
so a fresh clone works without the make target (a ``.mo`` is rebuilt when missing or older than
its ``.po``).

Extraction (``babel.cfg``) takes ``_``, ``gettext``, ``ngettext``, ``lazy_gettext`` and the
marker :func:`N_` (a no-op that only tells ``pybabel extract`` that a literal is a message id),
plus the first literal argument of the domain errors (``ValidationError("...")`` etc.), so
that a service's fixed error message is translated when a page or the API shows it.
Labels shown through ``_(variable)`` come from the tables in :data:`DISPLAY_TABLES`, added to
the template by ``python -m biobank.i18n add-display-messages`` (the commands are in babel.cfg).

Errors: every error answer carries a stable English ``code`` (for scripts) and a ``message``
in the request's language. A domain error takes a gettext *format* and named params
(``NotFound("no site with code %(site)r", site=code)``): the format is the catalogue entry
(extracted by its error class), ``str(exc)`` is the English text (logs, CLI), and
:func:`render` translates the format and then fills in the params. A :class:`Msg` is that
pair (English text that remembers its format and params); the enrolment gate's criterion
details are Msgs too. Pages head an error with the translated generic text for its code
(:data:`ERROR_TITLES`).
"""

from __future__ import annotations

import functools
import gettext as gettext_module
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

log = logging.getLogger("biobank.i18n")

TRANSLATIONS_DIR: Final = Path(__file__).parent / "translations"

#: The ``-k`` keywords for ``pybabel extract`` beyond Babel's defaults (also listed in babel.cfg).
EXTRACT_KEYWORDS: Final = (
    "N_", "lazy_gettext", "BiobankError", "ValidationError", "NotFound", "PermissionDenied",
    "Unauthenticated", "Conflict", "InvalidTransition", "TooManyRequests", "ServiceUnavailable",
    # Enrolment criteria labels: the 2nd argument of Criterion(...) and of its add(...) helper.
    "Criterion:2", "add:2",
    # A message with params built outside an error (the gate's criterion details).
    "Msg", "ScanError", "PrinterUnavailable",
)


def N_(message: str) -> str:  # the conventional gettext marker name
    """Mark ``message`` for extraction; translated later where it is shown (``_(label)``)."""
    return message


class Msg(str):
    """English text that remembers the gettext format and params it was made from.

    ``Msg("%(barcode)s is %(status)s", barcode=b, status=term(st, label))`` is the ``str``
    ``"SP… is stored"`` wherever text is expected (logs, JSON stored in the database, tests
    matching English), and :func:`render` shows it in another language. A param that is
    itself a Msg (a vocabulary word from :func:`term`, or a nested error's message) is
    rendered too; any other param is data and is shown as it is.
    """

    fmt: str
    params: dict[str, object]

    def __new__(cls, fmt: str, /, **params: object) -> Msg:
        text = fmt
        if params:
            try:
                text = fmt % params
            except (KeyError, ValueError, TypeError):
                # A format that does not match its params is a bug, but the user must still
                # get the refusal (never a 500): show the format and the data.
                log.error("message format %r does not match params %s", fmt, sorted(params))
                text = f"{fmt} {params!r}"
        obj = super().__new__(cls, text)
        obj.fmt = fmt
        obj.params = params
        return obj

    def __reduce__(self) -> tuple[object, ...]:
        # copy/deepcopy (dataclasses.asdict) and pickle keep the format and params.
        return (_rebuild_msg, (str(self), self.fmt, self.params))


def _rebuild_msg(text: str, fmt: str, params: dict[str, object]) -> Msg:
    obj = str.__new__(Msg, text)
    obj.fmt = fmt
    obj.params = params
    return obj


def term(text: str, msgid: str | None = None) -> Msg:
    """A vocabulary word used as a param: ``text`` in English, ``_(msgid)`` when rendered.

    ``term("in_transit", STATUSES["in_transit"])`` reads ``in_transit`` in the English
    message (as before) and ``运输中`` in Chinese. Without a msgid the text is its own id.
    """
    return _rebuild_msg(text, msgid or text, {})


class _Joined(Msg):
    parts: tuple[Msg, ...]
    sep: str

    def __reduce__(self) -> tuple[object, ...]:
        return (joined, (self.parts, self.sep))


#: How a list is joined when rendered (Chinese uses the enumeration comma "、" and "；").
LIST_SEPARATOR: Final = N_(", ")
CLAUSE_SEPARATOR: Final = N_("; ")
OR_SEPARATOR: Final = N_(" or ")


def joined(words: Iterable[Msg], sep: str = LIST_SEPARATOR) -> Msg:
    """Messages as one param or text: ``"Received, Stored"`` in English, each one rendered
    and joined by the language's separator (``sep``, a catalogue entry) when rendered."""
    parts = tuple(words)
    obj = str.__new__(_Joined, sep.join(parts))
    obj.fmt, obj.params, obj.parts, obj.sep = sep.join(p.fmt for p in parts), {}, parts, sep
    return obj


def render(text: str, gettext: Callable[[str], str]) -> str:
    """``text`` in the language of ``gettext`` (Flask-Babel's, or :func:`translator`'s).

    A :class:`Msg` is translated by its format and its Msg params are rendered too; a plain
    string is looked up as it is (fixed messages); "" stays "" (``gettext("")`` would answer
    the catalogue's header). A translation whose placeholders do not fit the params falls
    back to the English text rather than failing the response.
    """
    if not text:
        return text
    if not isinstance(text, Msg):
        return gettext(text)
    if isinstance(text, _Joined):
        return gettext(text.sep).join(render(p, gettext) for p in text.parts)
    translated = gettext(text.fmt)
    if not text.params:
        # A term's English is its own text ("received"), not its label's ("Received").
        return str(text) if translated == text.fmt else translated
    params = {k: render(v, gettext) if isinstance(v, Msg) else v
              for k, v in text.params.items()}
    try:
        return translated % params
    except (KeyError, ValueError, TypeError):
        log.error("translation of %r does not match its params", text.fmt)
        return str(text)


def compile_catalogues(directory: Path = TRANSLATIONS_DIR, *, force: bool = False) -> list[Path]:
    """Compile every ``messages.po`` under ``directory`` whose ``.mo`` is missing or stale.

    Returns the ``.mo`` files written. A catalogue that cannot be written (read-only install)
    is logged and skipped: the app then shows English for that language.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written: list[Path] = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if (not force and mo_path.exists()
                and mo_path.stat().st_mtime >= po_path.stat().st_mtime):
            continue
        try:
            with po_path.open("rb") as f:
                catalog = read_po(f, locale=po_path.parent.parent.name)
            tmp = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                write_mo(f, catalog, use_fuzzy=False)
            os.replace(tmp, mo_path)  # atomic: a concurrent reader never sees half a file
            written.append(mo_path)
        except OSError as exc:
            log.warning("cannot compile %s: %s", po_path, exc)
    return written


# Message ids for coded words that are stored, not written as literals in a template:
# user roles, specimen event kinds and site kinds. Templates show them as ``_(code)``.
ROLE_LABELS: Final = (
    N_("technician"), N_("pathologist"), N_("coordinator"), N_("monitor"), N_("admin"),
)
EVENT_KIND_LABELS: Final = (
    N_("collect"), N_("ship"), N_("receive"), N_("store"), N_("check_out"), N_("check_in"),
    N_("consume"), N_("dispose"), N_("lose"), N_("label_printed"), N_("corrected"),
    N_("derived"), N_("derivative_taken"), N_("rack_scan_missing"),
)

#: Generic text for each stable error ``code``: the heading pages show above the detail (the
#: error's own message, translated with its params), so the kind of refusal reads at a glance.
ERROR_TITLES: Final[dict[str, str]] = {
    "bad_request": N_("The request could not be processed."),
    "invalid": N_("Invalid input."),
    "not_found": N_("Not found."),
    "forbidden": N_("You are not allowed to do this."),
    "unauthenticated": N_("Please sign in."),
    "conflict": N_("This conflicts with the current state."),
    "invalid_transition": N_("This step is not allowed in the specimen's current status."),
    "rate_limited": N_("Too many requests; wait a moment."),
    "busy": N_("The system is busy; try again shortly."),
    "csrf": N_("The page expired; reload it."),
    "constraint": N_("This conflicts with a change just made."),
    "internal": N_("Internal error."),
    "bad_check": N_("Bad check character — rescan"),
    "unknown_code": N_("Unknown code"),
    "other_site": N_("Another site's tube — set it aside"),
    "bad_format": N_("Not a valid label"),
}


JOB_STATE_LABELS: Final = (N_("queued"), N_("running"), N_("done"), N_("failed"))

#: Tables of coded values whose labels pages show through ``_(variable)``: their texts are not
#: literals in a ``_()`` call, so extraction cannot see them. ``display_messages()`` collects
#: them; the catalogue update adds them and the catalogue test requires a translation for each.
#: (module, attribute): a dict's values (a str, the first item of a tuple, or an object's
#: ``label``/``description``), a tuple's items, or a str; (module, function, arg): the same
#: taken from what the function returns for ``arg``.
DISPLAY_TABLES: Final = (
    ("biobank.vocabulary", "SPECIMEN_TYPES"),
    ("biobank.vocabulary", "CONTAINERS"),
    ("biobank.vocabulary", "STATUSES"),
    ("biobank.models.user", "ROLES"),
    ("biobank.models.participant", "SCREENING_STATUSES"),
    ("biobank.services.shipments", "CONDITIONS"),
    ("biobank.services.shipments", "DAMAGE"),
    ("biobank.services.shipments", "PACKAGE_CONDITIONS"),
    ("biobank.services.shipments", "STATUS_LABELS"),
    ("biobank.services.shipments", "CONDITION_CARDS"),
    ("biobank.services.shipments", "RESOLUTION_LABELS"),
    ("biobank.services.storage", "LOCATION_KINDS"),
    ("biobank.services.storage", "BOX_TYPES"),
    ("biobank.services.storage", "FILL_ORDERS"),
    ("biobank.services.genotyping", "ASSAYS"),
    ("biobank.services.genotyping", "CLASSIFICATIONS"),
    ("biobank.services.genotyping", "ORIGINS"),
    ("biobank.services.genotyping", "ONCOGENICITIES"),
    ("biobank.services.rereview", "FIELDS"),
    ("biobank.services.genotyping", "SIGNATURE_MEANING"),
    ("biobank.services.enrollment", "COUNT_LABS"),
    ("biobank.services.enrollment", "ULN_LABS"),
    ("biobank.services.enrollment", "EXCLUSIONS"),
    ("labels.layout", "STOCKS"),
    # The assessment criteria with no values recorded: every formatted criterion label.
    ("biobank.services.enrollment", "_assessment_criteria", None),
)

# A criterion label held in a variable in services/enrollment.py (shown as _(c.label)).
MEN1_CRITERION = N_("MEN1 mutation (germline P/LP, or oncogenic or P/LP in the tumour)")


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)[:1]]
    if isinstance(value, (tuple, list, frozenset, set)):
        return [t for v in value for t in _texts(v)]
    for attr in ("label", "description"):
        text = getattr(value, attr, None)
        if isinstance(text, str):
            return [text]
    return []


def display_messages() -> dict[str, str]:
    """Every label in :data:`DISPLAY_TABLES` → ``module:attribute`` it comes from.

    Raises ``LookupError`` naming a table that no longer exists (renamed by its area), so the
    catalogue test says what to update here.
    """
    import importlib

    found: dict[str, str] = {}
    for module_name, attr, *call in DISPLAY_TABLES:
        try:
            table = getattr(importlib.import_module(module_name), attr)
            if call:
                table = table(*call)
        except (ImportError, AttributeError, TypeError) as exc:
            raise LookupError(f"display table {module_name}:{attr} is gone: {exc}") from exc
        for text in _texts(table):
            found.setdefault(text, f"{module_name}:{attr}")
    return found


def error_title(code: str) -> str:
    """The untranslated generic text for an error code (translate with ``_()`` when shown)."""
    return ERROR_TITLES.get(code, ERROR_TITLES["bad_request"])


def translator(locale: str | None) -> Callable[[str], str]:
    """gettext for ``locale`` without Flask: for PDFs and files built in services or the CLI.

    ``_ = i18n.translator("zh")`` then ``_("Shipment manifest")`` (the literal is extracted like
    any ``_()`` call). Unknown locales and ``en`` return the message unchanged.
    """
    return _translations(locale or "en").gettext


@functools.lru_cache(maxsize=8)
def _translations(locale: str) -> gettext_module.NullTranslations:
    from babel.support import Translations

    if not (TRANSLATIONS_DIR / locale).is_dir():
        return gettext_module.NullTranslations()
    compile_catalogues()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def add_display_messages(pot_path: Path) -> int:
    """Add :func:`display_messages` to an extracted ``.pot`` (before ``pybabel update``)."""
    from babel.messages.pofile import read_po, write_po

    with pot_path.open("rb") as f:
        catalog = read_po(f)
    added = 0
    for text, source in display_messages().items():
        if text not in catalog:
            catalog.add(text, auto_comments=[f"display table {source}"])
            added += 1
    with pot_path.open("wb") as f:
        write_po(f, catalog, no_location=True, sort_output=True, width=100)
    return added


if __name__ == "__main__":  # python -m biobank.i18n add-display-messages <pot> | compile
    import sys

    if sys.argv[1:2] == ["add-display-messages"] and len(sys.argv) == 3:
        print(f"{add_display_messages(Path(sys.argv[2]))} display messages added")
    elif sys.argv[1:] == ["compile"]:
        print("\n".join(str(p) for p in compile_catalogues(force=True)))
    else:
        sys.exit("usage: python -m biobank.i18n add-display-messages <messages.pot> | compile")
