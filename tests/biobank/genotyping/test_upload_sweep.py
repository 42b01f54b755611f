"""Upload files that never got a row are swept: after a refused upload (rolled back once the
file was placed), after a killed worker (a marker whose process is gone), and stale
temporaries; while a file a committed row names, or a live transaction holds, is kept. The
gunicorn SIGKILL case is in tests/biobank/reliability/test_killed_worker.py."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import GenotypingFile
from biobank.services import upload_store
from biobank.web.genotyping import settings

from .conftest import NORMAL_COL, TUMOR_COL, Demo, germline_stop, mutect2_vcf, upload

#: A mapping the header's ##normal_sample/##tumor_sample contradict: refused once stored.
SWAPPED = {"normal_sample": TUMOR_COL, "tumor_sample": NORMAL_COL}


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: the pid names no process now
    return proc.pid


def live_pid() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "60"])


def upload_dir(app: Flask) -> Path:
    return Path(settings(app).upload_dir)


def stored_names(app: Flask) -> set[str]:
    with get_db(app).transaction() as s:
        return set(s.execute(select(GenotypingFile.stored_name)).scalars())


def files_on_disk(app: Flask) -> set[str]:
    d = upload_dir(app)
    return set(os.listdir(d)) if d.exists() else set()


def test_a_refused_upload_leaves_no_file_once_the_next_upload_runs(
        app: Flask, api_token: Any, demo: Demo) -> None:
    client = app.test_client()
    token = api_token("pathologist")
    # The file is placed, then the mapping is refused against the header's declaration.
    refused = upload(client, mutect2_vcf([germline_stop()]), demo, api_token=token,
                     **SWAPPED)
    assert refused.status_code == 422
    assert stored_names(app) == set()
    accepted = upload(client, mutect2_vcf([germline_stop()], tumor=demo.tumour,
                                          normal=demo.blood), demo, api_token=token,
                      mapping=False)
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    # Exactly the files rows name remain: the refused bytes and every marker are gone.
    assert files_on_disk(app) == stored_names(app)
    assert len(stored_names(app)) == 1


def test_the_same_bytes_refused_then_accepted_keep_their_file(
        app: Flask, api_token: Any, demo: Demo) -> None:
    client = app.test_client()
    token = api_token("pathologist")
    content = mutect2_vcf([germline_stop()])
    assert upload(client, content, demo, api_token=token, **SWAPPED).status_code == 422
    ok = upload(client, content, demo, api_token=token)
    assert ok.status_code == 201
    (name,) = stored_names(app)
    assert files_on_disk(app) == {name}
    analysis = client.get(f"/api/v1/genotyping/analyses/{ok.get_json()['id']}",
                          headers={"Authorization": f"Bearer {token}"})
    assert analysis.status_code == 200


def _place(app: Flask, name: str, *, commit: bool) -> Path:
    d = upload_dir(app)
    d.mkdir(parents=True, exist_ok=True)
    tmp = d / f"{upload_store.incoming_prefix()}x"
    tmp.write_bytes(b"##fileformat=VCFv4.2\n")
    db = get_db(app)
    session = db.session()
    try:
        upload_store.place(session, str(tmp), str(d / name))
        assert any(n.startswith(upload_store.PENDING) for n in os.listdir(d))
        session.commit() if commit else session.rollback()
    finally:
        session.close()
    return d / name


def _sweep(app: Flask) -> list[str]:
    with get_db(app).transaction() as s:
        return upload_store.sweep(s, str(upload_dir(app)))


def test_commit_releases_the_marker_and_rollback_abandons_it(app: Flask) -> None:
    kept = _place(app, "a" * 64 + ".vcf", commit=True)
    assert files_on_disk(app) == {kept.name}
    dropped = _place(app, "b" * 64 + ".vcf", commit=False)
    assert any(n.startswith(upload_store.ABANDONED) for n in files_on_disk(app))
    removed = _sweep(app)
    # No row names either file: the committed one has no row in this unit test, but only
    # the abandoned one is in doubt, so only it is swept.
    assert dropped.name in removed and kept.name not in removed
    assert files_on_disk(app) == {kept.name}


def test_a_file_a_committed_row_names_is_kept_whatever_its_markers(
        app: Flask, api_token: Any, demo: Demo) -> None:
    ok = upload(app.test_client(), mutect2_vcf([germline_stop()]), demo,
                api_token=api_token("pathologist"))
    assert ok.status_code == 201
    (name,) = stored_names(app)
    d = upload_dir(app)
    (d / f"{upload_store.ABANDONED}0123abcd-{name}").touch()
    (d / f"{upload_store.PENDING}{dead_pid()}-0123abce-{name}").touch()
    _sweep(app)
    assert files_on_disk(app) == {name}


def test_a_killed_writers_file_and_temporary_are_swept(app: Flask) -> None:
    d = upload_dir(app)
    d.mkdir(parents=True, exist_ok=True)
    pid = dead_pid()
    name = "c" * 64 + ".vcf.gz"
    (d / name).write_bytes(b"x")
    marker = f"{upload_store.PENDING}{pid}-0a0b0c0d-{name}"
    (d / marker).touch()
    incoming = f"{upload_store.INCOMING}{pid}-k2j3h4"
    (d / incoming).write_bytes(b"partial")
    assert sorted(_sweep(app)) == sorted([name, marker, incoming])
    assert files_on_disk(app) == set()


def test_a_live_transactions_file_is_kept(app: Flask) -> None:
    d = upload_dir(app)
    d.mkdir(parents=True, exist_ok=True)
    proc = live_pid()
    try:
        name = "d" * 64 + ".bcf"
        (d / name).write_bytes(b"x")
        marker = d / f"{upload_store.PENDING}{proc.pid}-0a0b0c0e-{name}"
        marker.touch()
        incoming = d / f"{upload_store.INCOMING}{proc.pid}-zz"
        incoming.write_bytes(b"being written")
        assert _sweep(app) == []
        assert files_on_disk(app) == {name, marker.name, incoming.name}
        # The same marker an hour old is stale even though the pid is alive (recycled pids).
        old = marker.stat().st_mtime - upload_store.STALE_AFTER_SECONDS - 1
        os.utime(marker, (old, old))
        _sweep(app)
        assert files_on_disk(app) == {incoming.name}
    finally:
        proc.kill()
        proc.wait()


def test_the_first_request_of_a_new_process_sweeps(app: Flask) -> None:
    d = upload_dir(app)
    d.mkdir(parents=True, exist_ok=True)
    name = "e" * 64 + ".vcf"
    (d / name).write_bytes(b"x")
    (d / f"{upload_store.PENDING}{dead_pid()}-0a0b0c0f-{name}").touch()
    app.extensions.pop("biobank.uploads_swept", None)  # as in a freshly started worker
    assert app.test_client().get("/login").status_code == 200
    assert files_on_disk(app) == set()


def test_another_machines_writers_are_live_until_stale(app: Flask) -> None:
    """The upload directory is shared by several machines: a pid from another host says
    nothing here (it may be a dead pid on this one), so only age retires its files."""
    d = upload_dir(app)
    d.mkdir(parents=True, exist_ok=True)
    pid = dead_pid()
    name = "f" * 64 + ".vcf"
    (d / name).write_bytes(b"x")
    marker = d / f"{upload_store.PENDING}{pid}@0000beef-0a0b0c10-{name}"
    marker.touch()
    incoming = d / f"{upload_store.INCOMING}{pid}@0000beef-yy"
    incoming.write_bytes(b"being written elsewhere")
    assert _sweep(app) == []
    # This machine's own dead writer, in the same format, is swept at once.
    mine = d / f"{upload_store.INCOMING}{upload_store._owner(pid)}-xx"
    mine.write_bytes(b"partial")
    assert _sweep(app) == [mine.name]
    old = marker.stat().st_mtime - upload_store.STALE_AFTER_SECONDS - 1
    for p in (marker, incoming):
        os.utime(p, (old, old))
    assert sorted(_sweep(app)) == sorted([name, marker.name, incoming.name])


def test_an_upload_is_streamed_into_the_store_not_through_tmp(
        app: Flask, api_token: Any, demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request's file part goes straight to the store's directory (hashed on the way):
    nothing is spooled to the system's temporary directory."""
    import tempfile as tempfile_module

    spooled: list[str] = []
    real = tempfile_module.SpooledTemporaryFile

    def watch(*args: Any, **kw: Any) -> Any:
        spooled.append("spooled")
        return real(*args, **kw)

    monkeypatch.setattr("werkzeug.formparser.SpooledTemporaryFile", watch)
    content = mutect2_vcf([germline_stop()])
    resp = upload(app.test_client(), content, demo, api_token=api_token("pathologist"))
    assert resp.status_code == 201
    assert spooled == []
    (name,) = stored_names(app)
    assert files_on_disk(app) == {name}
    assert name.startswith(hashlib.sha256(content).hexdigest())
