"""The task queue (huey) that carries classification jobs from the app servers to the workers.

Why huey (issue 18; docs/DEPLOY.md has the comparison): it is the one candidate with a storage
for each of our two deployments, so the same code runs in both —

- the embedded default (``make run``, SQLite): ``SqliteHuey`` in a file next to the database
  (``instance/queue.db``), no extra service, and it survives a restart;
- the multi-user deployment (PostgreSQL): huey's SQL storage (peewee) in a schema of its own
  (``biobank_queue``) of the same PostgreSQL database, dequeued with ``FOR UPDATE SKIP
  LOCKED``: no second service (Redis) to run, secure and back up.

The queue's messages only say "job N may be ready"; the job table decides who runs it
(``biobank.services.jobs``), so a message lost with a killed worker, or sent twice, is harmless.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from flask import Flask
    from huey import Huey

log = logging.getLogger("biobank.queue")

QUEUE_NAME = "biobank"
PG_SCHEMA = "biobank_queue"
# Names the advisory lock that serialises creating the queue's tables on PostgreSQL.
_PG_SCHEMA_LOCK = 0x4D454E32


def queue_url(config: dict[str, Any], instance_path: str) -> str:
    """``QUEUE_URL`` if set; else next to the database: a SQLite file beside the SQLite
    database, or the PostgreSQL database itself."""
    if config.get("QUEUE_URL"):
        return str(config["QUEUE_URL"])
    db_url = str(config["DATABASE_URL"])
    if db_url.startswith("sqlite"):
        return "sqlite:///" + os.path.join(instance_path, "queue.db")
    return db_url


def _pg_database(url: str) -> Any:
    from peewee import PostgresqlDatabase

    u = make_url(url)
    kwargs: dict[str, Any] = {k: v for k, v in u.query.items() if isinstance(v, str)}
    for key, value in (("host", u.host), ("port", u.port), ("user", u.username),
                       ("password", u.password)):
        if value is not None:
            kwargs[key] = value
    kwargs["options"] = f"-c search_path={PG_SCHEMA}"
    return PostgresqlDatabase(u.database, prefer_psycopg3=True, **kwargs)


def make_huey(url: str) -> Huey:
    """The huey instance for ``url`` (``sqlite:///<file>`` or a PostgreSQL URL). No results
    are kept: the outcome of a job is in the job table."""
    if url.startswith("sqlite"):
        from huey import SqliteHuey

        path = make_url(url).database or ""
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=path, results=False, utc=True)
    if url.startswith("postgresql"):
        from huey.contrib.sql_huey import SqlHuey

        huey = SqlHuey(QUEUE_NAME, database=_pg_database(url), results=False, utc=True,
                       create_tables=False)
        _create_pg_tables(huey)
        return huey
    raise ValueError(f"QUEUE_URL must be sqlite:///<file> or postgresql://…, not {url[:20]!r}")


def _create_pg_tables(huey: Huey) -> None:
    """Create the queue's schema and huey's own tables once (idempotent; under a lock so that
    app servers and workers starting together do not race on the DDL)."""
    database = huey.storage.database
    with database.connection_context(), database.atomic():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_SCHEMA_LOCK,))
        database.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
        huey.storage.initialize_schema()


class Queue:
    """One app's queue: the huey instance (made on first use, when the instance path is final)
    and the ``classify`` task registered on it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Huey | None = None
        self._lock = threading.Lock()
        self._task: Any = None

    @property
    def huey(self) -> Huey:
        with self._lock:
            if self._huey is None:
                huey = make_huey(queue_url(self.app.config, self.app.instance_path))
                from .worker import run_job

                app = self.app

                @huey.task(name="classify", retries=0)
                def classify(job_id: int) -> None:
                    run_job(app, job_id)

                self._task = classify
                self._huey = huey
            return self._huey

    def send(self, job_ids: list[int]) -> None:
        """Enqueue one message per job (after the commit that queued them)."""
        huey = self.huey
        database = getattr(huey.storage, "database", None)  # PostgreSQL (peewee)
        # An app server's request thread does not keep a queue connection open after it.
        opened_here = database is not None and database.is_closed()
        try:
            for job_id in job_ids:
                self._task(job_id)
        finally:
            if opened_here and database is not None:
                database.close()

    def pending(self) -> int:
        return int(self.huey.pending_count())


def queue_for(app: Flask) -> Queue:
    q: Queue | None = app.extensions.get("biobank.queue")
    if q is None:
        q = app.extensions["biobank.queue"] = Queue(app)
    return q


def init_app(app: Flask) -> None:
    """Every session of this app sends the jobs its transaction queued once it commits."""
    from . import get_db
    from .services import jobs

    get_db(app).session_info[jobs.SENDER] = lambda ids: queue_for(app).send(ids)
