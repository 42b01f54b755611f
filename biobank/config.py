"""Configuration, layered: these defaults → ``instance/config.py`` → ``BIOBANK_*`` environment."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any


class Defaults:
    SECRET_KEY = "dev-only-change-me"  # noqa: S105 - replaced by instance config / env in deployment
    DATABASE_URL = ""  # empty: SQLite file in the instance folder
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # Cookies: HttpOnly and SameSite always; Secure unless explicitly served over plain HTTP
    # for local development (make run sets BIOBANK_SESSION_COOKIE_SECURE=0).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    SESSION_COOKIE_NAME = "biobank_session"
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)
    # Sessions are held server-side (services/sessions.py): signed out after this much
    # inactivity, and after SESSION_ABSOLUTE_LIFETIME whatever the activity (a long shift).
    IDLE_TIMEOUT_SECONDS = 30 * 60
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    # Back-off per (account name, client address) after failed passwords (docs/RELIABILITY.md):
    # MAX_FAILED_LOGINS free, then LOGIN_BACKOFF_SECONDS doubling to LOCKOUT_MINUTES.
    MAX_FAILED_LOGINS = 5
    LOGIN_BACKOFF_SECONDS = 60
    LOCKOUT_MINUTES = 15
    LOGIN_RATE_LIMIT = 20  # sign-in attempts per minute per client address, any names
    # E-signatures: the same back-off after SIGNATURE_MAX_FAILURES wrong passwords.
    SIGNATURE_MAX_FAILURES = 3
    # PostgreSQL serialization failures / deadlocks on receipt, storage and signing: reruns.
    CONFLICT_RETRIES = 3
    # Flask's default is unlimited; uploads larger than this get 413 before the body is read.
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    # A form field's text (not a file) may be this large: room for a pasted 2 MiB rack file,
    # so that the field's own limit answers (422 naming it) rather than Werkzeug's 500 kB 413.
    MAX_FORM_MEMORY_SIZE = 3 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # a bench station stays open all shift; session expiry bounds it
    # What a keyboard-wedge scanner may be programmed to add around a code.
    SCANNER_PREFIXES: tuple[str, ...] = ()
    SCANNER_SUFFIXES: tuple[str, ...] = ()
    FREEZE_THAW_WARNING_LIMIT = 3
    # A current ClinVar VCF (bgzipped, indexed) for the MEN1 engine's known-variant table;
    # empty: the small 2021 sample shipped with the engine. After changing it, run
    # `flask --app biobank reclassify` to see which signed reports it would change.
    MEN1_KNOWN_VARIANTS = ""
    DEMO_PASSWORD = "demo-Passw0rd!"  # noqa: S105 - printed by make run; demo data only
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("en", "zh")
    # Background work (biobank/queue.py, biobank/worker.py; docs/DEPLOY.md). The queue lives
    # beside the database unless QUEUE_URL names one: instance/queue.db next to SQLite, a schema
    # of the same PostgreSQL database otherwise.
    QUEUE_URL = ""
    QUEUE_POLL_SECONDS = 0.5  # an idle worker looks at the queue at least this often
    JOBS_LEASE_SECONDS = 60  # a worker silent this long is dead: its job is queued again
    JOBS_MAX_ATTEMPTS = 3  # attempts of a job before it fails with its reason
    JOBS_RESEND_SECONDS = 300  # a job queued this long without a start gets its message again
    # A worker lowers its own CPU priority by this much (os.nice): on a host it shares with an
    # app server, a scan at the bench never waits behind a classification. 0 leaves it as is.
    WORKER_NICE = 10
    # Uploaded VCFs, content-addressed; every app server and worker must see the same directory
    # (a shared filesystem in a multi-machine deployment). Empty: instance/uploads.
    UPLOAD_DIR = ""
    # Move the objects alive after start-up (modules, mappers, the app) out of the cyclic
    # collector's reach: a full collection then takes under a millisecond instead of 60-80 ms,
    # which was the p99 of the box map and of browsing (docs/RELIABILITY.md). Off in tests,
    # which build hundreds of apps in one process.
    GC_FREEZE_AT_START = True


_BOOL = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _coerce(raw: str, current: Any) -> Any:
    if isinstance(current, bool):
        if raw.lower() not in _BOOL:
            raise ValueError(f"expected a boolean, got {raw!r}")
        return _BOOL[raw.lower()]
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, timedelta):
        return timedelta(seconds=int(raw))
    if isinstance(current, tuple):
        return tuple(json.loads(raw)) if raw.startswith("[") else tuple(
            p for p in raw.split(",") if p
        )
    return raw


def from_environment(config: dict[str, Any], environ: dict[str, str] | None = None) -> None:
    """Apply ``BIOBANK_<KEY>`` variables over ``config``, typed like the value they replace."""
    env = os.environ if environ is None else environ
    for name, raw in env.items():
        if not name.startswith("BIOBANK_"):
            continue
        key = name[len("BIOBANK_") :]
        config[key] = _coerce(raw, config.get(key, ""))
