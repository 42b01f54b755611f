"""A full disk during an upload: the user gets a clean, retryable error (not a 500 with a
stack trace), and nothing partial remains: no row, no audit event, no file.

The disk is filled by making the upload's writes raise ENOSPC once a few bytes are written
(mounting a tiny tmpfs needs privileges the test run does not have)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from biobank.models import AuditEvent, GenotypingAnalysis, GenotypingFile
from biobank.services import upload_store
from tests.biobank.genotyping.conftest import (
    demo_specimens,
    germline_stop,
    mutect2_vcf,
    receive_at_central,
    upload,
)


class _FullDisk(upload_store.Incoming):
    """The upload store's incoming file on a disk with room for 100 bytes."""

    room = 100

    def write(self, data: Any) -> int:
        if self.size + len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def test_full_disk_during_upload_is_a_clean_error_and_leaves_nothing(
        app: Any, client_as: Any, db: Any, monkeypatch: Any) -> None:
    demo = demo_specimens(app)
    receive_at_central(app, [demo.blood, demo.tumour])
    monkeypatch.setattr(upload_store, "Incoming", _FullDisk)
    count = lambda m: db.execute(select(func.count()).select_from(m)).scalar_one()  # noqa: E731
    before = {m: count(m) for m in (AuditEvent, GenotypingFile, GenotypingAnalysis)}
    resp = upload(client_as("pathologist"), mutect2_vcf([germline_stop()]), demo)
    body = resp.get_data(as_text=True)
    assert resp.status_code in {503, 507}, (resp.status_code, body[:300])
    assert "Traceback" not in body
    assert "space" in body.lower() or "disk" in body.lower()
    db.rollback()
    assert {m: count(m) for m in before} == before
    uploads = Path(app.instance_path) / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []
