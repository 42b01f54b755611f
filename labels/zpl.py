"""ZPL II for Zebra thermal printers (203 and 300 dpi), and sending it over raw TCP.

Each label is one ``^XA … ^XZ`` format laid out by :func:`labels.layout.layout_label` at the
printer's dpi. All field data goes through ``^FH`` hex escapes so ``^``, ``~`` and ``_`` in data
can never be read as commands, and ``^CI28`` makes the printer read text as UTF-8. Code128 is
sent as ``^BC…,A`` (automatic mode) so the printer packs digit runs in subset C; in the default
mode a numeric ID would be encoded in subset B and may not fit a 33 mm label.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping, Sequence
from typing import Final

from labels._fonts import needs_cjk
from labels.errors import EncodeError, PrinterError
from labels.layout import Layout, Stock, get_stock, layout_label, layout_symbol
from labels.spec import LabelSpec
from labels.symbols import Symbology

__all__ = [
    "ZPL_DPIS",
    "fh_escape",
    "layout_to_zpl",
    "render_symbol_zpl",
    "render_zpl",
    "send_zpl",
]

ZPL_DPIS: Final = (203, 300)
DEFAULT_PORT: Final = 9100

# Bytes that must not appear raw in ^FD data: the command prefixes, the ^FH hex indicator, and
# anything outside printable ASCII (sent as its UTF-8 bytes, which ^CI28 reassembles).
_ESCAPE: Final = {b: f"_{b:02X}" for b in range(256) if not 0x20 <= b <= 0x7E or chr(b) in "^~_"}
_TABLE: Final = [_ESCAPE.get(b, chr(b)) for b in range(256)]


def fh_escape(text: str) -> str:
    """``text`` as ``^FH`` field data: ``^ ~ _`` and non-ASCII as ``_XX`` UTF-8 hex bytes."""
    return "".join([_TABLE[b] for b in text.encode("utf-8")])


def _check_dpi(dpi: int) -> None:
    if dpi not in ZPL_DPIS:
        raise EncodeError("bad_dpi", f"ZPL is made for 203 or 300 dpi printers, not {dpi}")


def layout_to_zpl(lay: Layout, cjk_font: str | None = None, graphics: str = "") -> str:
    """One ``^XA … ^XZ`` label format for a laid-out label.

    Text that needs CJK glyphs is printed with ``cjk_font`` (a font stored on the printer, e.g.
    ``E:SIMSUN.TTF``) through ``^A@``; Zebra's resident font 0 has no CJK glyphs, so without
    one such text raises :class:`EncodeError` rather than printing blank boxes. ``graphics``
    (``^GB``/``^GD`` fields) goes after every data field, before ``^XZ``.
    """
    sx, sy = lay.symbol_xy
    out = [f"^XA^CI28^PW{lay.width}^LL{lay.height}^LH0,0"]
    data = lay.symbol.text
    if lay.symbol.symbology == "code128":
        out.append(
            f"^FO{sx},{sy}^BY{lay.module}^BCN,{lay.bar_height},N,N,N,A^FH^FD{fh_escape(data)}^FS"
        )
    else:
        # In ^BX field data "~" starts an escape sequence; ~dNNN is a literal character.
        out.append(
            f"^FO{sx},{sy}^BXN,{lay.module},200,0,0,6,~^FH^FD"
            f"{fh_escape(data.replace('~', '~d126'))}^FS"
        )
    for line in lay.lines:
        top = line.y - round(line.size * 0.95)
        align = "C" if line.align == "center" else "L"
        if needs_cjk(line.text):
            if not cjk_font:
                raise EncodeError(
                    "no_cjk_font",
                    f"{line.text!r} needs a CJK font on the printer; pass cjk_font "
                    "(e.g. 'E:SIMSUN.TTF') or use Latin display names",
                )
            font = f"^A@N,{line.size},{line.size},{cjk_font}"
        else:
            font = f"^A0N,{line.size},{round(line.size * line.stretch)}"
        out.append(
            f"^FO{line.x},{top}{font}^FB{line.width},1,0,{align},0^FH^FD{fh_escape(line.text)}^FS"
        )
    out.append(graphics)
    out.append("^XZ\n")
    return "".join(out)


def render_zpl(
    specs: Sequence[LabelSpec],
    stock: str | Stock = "roll-25x10",
    dpi: int = 203,
    *,
    symbology: Symbology | None = None,
    type_names: Mapping[str, str] | None = None,
    cjk_font: str | None = None,
) -> str:
    """ZPL for ``specs`` on a ``stock``-sized label at ``dpi`` (203 or 300), one format each.

    ``cjk_font`` names a printer-resident font for CJK text (see :func:`layout_to_zpl`).
    """
    _check_dpi(dpi)
    st = get_stock(stock)
    return "".join(
        layout_to_zpl(
            layout_label(s, st, dpi, symbology=symbology, type_names=type_names), cjk_font
        )
        for s in specs
    )


def render_symbol_zpl(
    text: str,
    symbology: Symbology = "code128",
    dpi: int = 203,
    *,
    bar_height_mm: float = 10.0,
    human_readable: bool = True,
) -> str:
    """ZPL for ``text`` alone as a symbol on a label just big enough for it."""
    _check_dpi(dpi)
    return layout_to_zpl(
        layout_symbol(
            text, symbology, dpi, bar_height_mm=bar_height_mm, human_readable=human_readable
        )
    )


def send_zpl(host: str, port: int, zpl: str | bytes, timeout: float = 5.0) -> None:
    """Send ZPL to a printer's raw port (usually 9100); :class:`PrinterError` on any failure.

    ``timeout`` bounds the connect and each send, so a printer that is off or asleep costs the
    caller at most that long per step instead of hanging a technician's screen.
    """
    if not host or not 0 < port < 65536:
        raise PrinterError("bad_address", f"not a printer address: {host!r} port {port}")
    payload = zpl.encode("utf-8") if isinstance(zpl, str) else zpl
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
    except TimeoutError:
        raise PrinterError(
            "timeout",
            f"printer {host}:{port} did not answer within {timeout:g} s "
            f"(waited {time.monotonic() - started:.1f} s)",
        ) from None
    except ConnectionRefusedError:
        raise PrinterError(
            "refused", f"printer {host}:{port} refused the connection (off, or wrong port?)"
        ) from None
    except OSError as exc:
        raise PrinterError(
            "unreachable", f"cannot send to printer {host}:{port}: {exc.strerror or exc}"
        ) from None
