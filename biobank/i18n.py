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
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final

log = logging.getLogger("biobank.i18n")

TRANSLATIONS_DIR: Final = Path(__file__).parent / "translations"

#: The ``-k`` keywords for ``pybabel extract`` beyond Babel's defaults (also listed in babel.cfg).
EXTRACT_KEYWORDS: Final = (
    "N_", "lazy_gettext", "BiobankError", "ValidationError", "NotFound", "PermissionDenied",
    "Unauthenticated", "Conflict", "InvalidTransition", "TooManyRequests", "ServiceUnavailable",
)


def N_(message: str) -> str:  # the conventional gettext marker name
    """Mark ``message`` for extraction; translated later where it is shown (``_(label)``)."""
    return message


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

#: Generic text for each stable error ``code`` (shown on pages above the detail, and in the
#: API as ``error.title``), so a refusal reads in the user's language even when the detail is a
#: formatted English sentence from a service.
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
    "bad_format": N_("Not a valid label"),
}


def error_title(code: str) -> str:
    """The untranslated generic text for an error code (translate with ``_()`` when shown)."""
    return ERROR_TITLES.get(code, ERROR_TITLES["bad_request"])
