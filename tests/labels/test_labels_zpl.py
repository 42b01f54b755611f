"""ZPL: golden output, ^FH escaping, a raster of the emitted ^BC/^BX subset that decodes, and
sending to a fake printer on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labels import (
    STOCKS,
    EncodeError,
    LabelSpec,
    LayoutError,
    PrinterError,
    format_id,
    render_symbol_zpl,
    render_zpl,
    send_zpl,
)
from labels.zpl import fh_escape
from tests.labels.helpers import SPECIMEN_TYPES, decode, render_zpl_barcodes, zpl_fields

SPEC = LabelSpec("specimen", "SP00000042N", "MEN1-01-0042", "C1D1", "serum", date(2025, 3, 14))
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))

GOLDEN_ROLL_203 = (
    "^XA^CI28^PW200^LL80^LH0,0"
    "^FO12,12^BXN,4,200,0,0,6,~^FH^FDSP00000042N^FS"
    "^FO76,8^A0N,17,17^FB116,1,0,L,0^FH^FDSP00000042N^FS"
    "^FO76,28^A0N,11,11^FB116,1,0,L,0^FH^FDMEN1-01-0042  C1D1^FS"
    "^FO76,41^A0N,12,12^FB116,1,0,L,0^FH^FDSERUM  2025-03-14^FS"
    "^XZ\n"
)
GOLDEN_CRYO_300 = (
    "^XA^CI28^PW390^LL154^LH0,0"
    "^FO61,12^BY2^BCN,65,N,N,N,A^FH^FDSP00000042N^FS"
    "^FO12,81^A0N,20,20^FB366,1,0,C,0^FH^FDSP00000042N^FS"
    "^FO12,105^A0N,15,15^FB366,1,0,C,0^FH^FDMEN1-01-0042  C1D1^FS"
    "^FO12,123^A@N,15,15,E:SIMSUN.TTF^FB366,1,0,C,0^FH^FD_E8_A1_80_E6_B8_85  2025-03-14^FS"
    "^XZ\n"
)


def test_golden_roll_203() -> None:
    assert render_zpl([SPEC], "roll-25x10", 203) == GOLDEN_ROLL_203


def test_golden_cryovial_300_with_utf8_type_name() -> None:
    names = {"serum": "血清"}
    zpl = render_zpl([SPEC], "cryovial-a4", 300, type_names=names, cjk_font="E:SIMSUN.TTF")
    assert zpl == GOLDEN_CRYO_300
    # ^FH escapes of UTF-8 bytes come back as the exact text under ^CI28
    assert [data for *_, data in zpl_fields(zpl)][-1] == "血清  2025-03-14"
    with pytest.raises(EncodeError) as exc:
        render_zpl([SPEC], "cryovial-a4", 300, type_names=names)
    assert exc.value.code == "no_cjk_font"


def test_golden_free_text_escapes_command_characters() -> None:
    assert render_symbol_zpl("99^~_ab", "code128", 203) == (
        "^XA^CI28^PW264^LL143^LH0,0^FO20,20^BY2^BCN,80,N,N,N,A^FH^FD99_5E_7E_5Fab^FS"
        "^FO0,101^A0N,18,18^FB264,1,0,C,0^FH^FD99_5E_7E_5Fab^FS^XZ\n"
    )
    assert "^FH^FD99_7Ed126x^FS" in render_symbol_zpl("99~x", "datamatrix", 300)


def test_fh_escape() -> None:
    assert fh_escape("a^b~c_d") == "a_5Eb_7Ec_5Fd"
    assert fh_escape("µ") == "_C2_B5"
    assert fh_escape("\n") == "_0A"
    assert fh_escape(PRINTABLE.replace("^", "").replace("~", "").replace("_", "")) == (
        PRINTABLE.replace("^", "").replace("~", "").replace("_", "")
    )


@given(text=st.text(max_size=30))
def test_property_field_data_never_holds_a_command_prefix(text: str) -> None:
    escaped = fh_escape(text)
    assert "^" not in escaped and "~" not in escaped and escaped.isascii()


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("stock", sorted(STOCKS))
@pytest.mark.parametrize("symbology", [None, "code128", "datamatrix"])
def test_every_type_renders_and_its_barcode_decodes(
    dpi: int, stock: str, symbology: str | None
) -> None:
    specs = [
        LabelSpec("specimen", format_id("SP", 77), "MEN1-01-0042", "C1D1", t, date(2025, 3, 14))
        for t in SPECIMEN_TYPES
    ]
    if symbology == "code128" and not stock.startswith("cryovial"):
        # An 11-character Code128 with quiet zones is 154 modules: on a 22 or 25 mm label the
        # modules would be too small to scan, or leave no room for text. That must be said.
        try:
            zpl = render_zpl(specs, stock, dpi, symbology="code128")
        except LayoutError as exc:
            assert exc.code in ("symbol_too_big", "text_too_long")
            return
    else:
        zpl = render_zpl(specs, stock, dpi, symbology=symbology)  # type: ignore[arg-type]
    formats = zpl.split("^XZ\n")[:-1]
    assert len(formats) == len(specs)
    for fmt, spec in zip(formats, specs, strict=True):
        assert fmt.startswith("^XA^CI28")
        assert decode(render_zpl_barcodes(fmt + "^XZ")) == [spec.id]
        texts = [data for _, _, cmds, data in zpl_fields(fmt) if "^A0N" in cmds]
        assert texts[0] == spec.id


@settings(max_examples=40, deadline=None)
@given(
    rest=st.text(alphabet=PRINTABLE, max_size=16),
    symbology=st.sampled_from(["code128", "datamatrix"]),
    dpi=st.sampled_from([203, 300]),
)
def test_property_free_text_zpl_decodes(rest: str, symbology: str, dpi: int) -> None:
    text = "99" + rest
    fmt = render_symbol_zpl(text, symbology, dpi)  # type: ignore[arg-type]
    assert decode(render_zpl_barcodes(fmt)) == [text]


def test_bad_dpi_and_too_wide_code128() -> None:
    with pytest.raises(EncodeError):
        render_zpl([SPEC], "roll-25x10", 600)
    with pytest.raises(LayoutError) as exc:
        render_zpl([SPEC], "roll-25x10", 300, symbology="code128")
    assert exc.value.code == "symbol_too_big"


class FakePrinter:
    """A raw-port printer on 127.0.0.1 that records what it receives."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(5)
            while chunk := conn.recv(65536):
                self.received += chunk


@pytest.fixture
def printer() -> Iterator[FakePrinter]:
    p = FakePrinter()
    yield p
    p.sock.close()


def test_send_zpl_delivers_every_byte(printer: FakePrinter) -> None:
    zpl = render_zpl(
        [SPEC] * 50, "cryovial-a4", 300, type_names={"serum": "血清"}, cjk_font="E:X.TTF"
    )
    send_zpl("127.0.0.1", printer.port, zpl, timeout=2)
    printer.thread.join(5)
    assert printer.received == zpl.encode("utf-8")


def test_printer_down_is_a_clear_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    with pytest.raises(PrinterError) as exc:
        send_zpl("127.0.0.1", port, "^XA^XZ", timeout=1)
    assert exc.value.code == "refused" and str(port) in exc.value.message


def test_printer_that_stops_reading_times_out_instead_of_hanging() -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        with pytest.raises(PrinterError) as exc:
            send_zpl("127.0.0.1", server.getsockname()[1], b"^XA" * 20_000_000, timeout=0.5)
        assert exc.value.code == "timeout" and "within 0.5 s" in exc.value.message
    finally:
        server.close()


@pytest.mark.parametrize(("host", "port"), [("", 9100), ("127.0.0.1", 0), ("127.0.0.1", 70000)])
def test_bad_printer_address(host: str, port: int) -> None:
    with pytest.raises(PrinterError) as exc:
        send_zpl(host, port, "^XA^XZ", timeout=0.5)
    assert exc.value.code == "bad_address"
