"""Fixtures of the label tests: a fake network label printer on 127.0.0.1 and helpers that
decode what the app printed (PDF via pdftoppm + zxing-cpp, PNG directly, ZPL field data)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from biobank import get_db
from biobank.models import AuditEvent, Site
from labels import STOCKS
from tests.conftest import missing_dependency
from tests.labels.helpers import (
    PDFTOPPM,
    decode,
    decode_sheet,
    pdf_pages,
    render_zpl_barcodes,
    zpl_fields,
)


class FakePrinter:
    """Accepts raw-port connections like a Zebra printer and keeps every job's bytes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.jobs: list[bytes] = []
        self._done = threading.Event()
        self._done_job = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._done.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = bytearray()
                while chunk := conn.recv(65536):
                    data += chunk
                self.jobs.append(bytes(data))
                self._done_job.set()

    def wait_job(self, timeout: float = 5.0) -> bytes:
        assert self._done_job.wait(timeout), "the fake printer received nothing"
        return self.jobs[-1]

    def close(self) -> None:
        self._done.set()
        self.sock.close()
        self.thread.join(timeout=2)


@pytest.fixture
def fake_printer() -> Iterator[FakePrinter]:
    printer = FakePrinter()
    yield printer
    printer.close()


def free_port() -> int:
    """A local port with nothing listening on it (a printer that is switched off)."""
    with socket.create_server(("127.0.0.1", 0)) as s:
        return int(s.getsockname()[1])


def set_printer(app: Flask, site_code: str, host: str | None, port: int | None) -> None:
    with get_db(app).transaction() as s:
        site = s.execute(select(Site).where(Site.code == site_code)).scalar_one()
        site.printer_host, site.printer_port = host, port


def print_events(db: Any, code: str) -> list[AuditEvent]:
    db.rollback()
    return list(db.execute(
        select(AuditEvent).where(AuditEvent.entity_id == code,
                                 AuditEvent.action.in_(("label.print", "label.reprint")))
        .order_by(AuditEvent.id)
    ).scalars())


def decode_pdf(pdf: bytes, tmp: Path, stock: str = "cryovial-a4", count: int | None = None
               ) -> list[str]:
    """Every symbol in a label PDF, label position by label position (sheets) or page by page
    (rolls), in print order."""
    if PDFTOPPM is None:
        missing_dependency("pdftoppm (poppler-utils) not installed")
    assert pdf.startswith(b"%PDF")
    st = STOCKS[stock]
    pages = pdf_pages(pdf, tmp)
    found: list[str] = []
    if st.page_mm is None:
        for page in pages:
            found += decode(page)
        return found
    remaining = count if count is not None else st.per_page * len(pages)
    for page in pages:
        n = min(remaining, st.per_page)
        for texts in decode_sheet(page, st, n):
            found += texts
        remaining -= n
    return found


def decode_png(png: bytes) -> list[str]:
    import io

    return decode(Image.open(io.BytesIO(png)))


def zpl_symbol_data(zpl: str) -> list[str]:
    """The ^FD data of each barcode field (^BC Code128 / ^BX DataMatrix), in order; and each
    format's barcodes, re-encoded from that data and decoded, must say the same."""
    out: list[str] = []
    for fmt in re.findall(r"\^XA.*?\^XZ", zpl, flags=re.S):
        data = [d for _x, _y, cmds, d in zpl_fields(fmt) if "^BC" in cmds or "^BX" in cmds]
        assert decode(render_zpl_barcodes(fmt)) == data
        out += data
    return out
