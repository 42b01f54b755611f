"""Barcode symbols as module patterns, and their PNG/SVG renderings.

Code128 bars come from python-barcode's tables, but the choice of code sets is ours: its own
choice (0.16.1) corrupts data that starts with "99" (WhyNotHugo/python-barcode#251) while
printing the right text beneath. :func:`code128_codewords` picks code sets by a shortest-path
search, and python-barcode only turns those codewords into bars (checksum, stop pattern).
DataMatrix matrices come from zxing-cpp's encoder. Every output is decoded back in the tests.

Rasters use a whole number of dots per module at the target dpi: a module that is 2.6 dots
wide prints as alternating 2- and 3-dot bars, which scanners read as a different symbol or
not at all.
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any, Final, Literal, NamedTuple, cast
from xml.sax.saxutils import escape

import zxingcpp
from barcode.charsets import code128 as _tables
from barcode.codex import Code128 as _PyBarcodeCode128
from barcode.writer import SVGWriter
from PIL import Image, ImageDraw

from labels._fonts import needs_cjk, pil_font
from labels.errors import EncodeError

__all__ = [
    "MAX_TEXT",
    "SYMBOLOGIES",
    "Symbol",
    "Symbology",
    "check_encodable",
    "clear_caches",
    "code128_codewords",
    "dark_runs",
    "make_symbol",
    "module_dots",
    "render_image",
    "render_png",
    "render_svg",
]

Symbology = Literal["code128", "datamatrix"]
SYMBOLOGIES: Final[tuple[Symbology, ...]] = ("code128", "datamatrix")

#: Longest text we put in a symbol; longer data does not belong on a tube.
MAX_TEXT: Final = 80

#: Quiet zone in modules on each side (Code128: 10X by ISO/IEC 15417; DataMatrix: 1X minimum,
#: 2X here because label edges are cut imprecisely).
QUIET: Final[dict[Symbology, int]] = {"code128": 10, "datamatrix": 2}
#: Nominal module size; rendering rounds it to whole dots at the target dpi.
TARGET_MODULE_MM: Final[dict[Symbology, float]] = {"code128": 0.25, "datamatrix": 0.40}


class Symbol(NamedTuple):
    """One encoded symbol: ``rows`` of '1' (dark) / '0' (light) modules, no quiet zone.

    Code128 has a single row, stretched to any bar height when drawn.
    """

    symbology: Symbology
    text: str
    rows: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.rows[0])

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def quiet(self) -> int:
        return QUIET[self.symbology]


_PRINTABLE: Final = re.compile(r"[ -~]+")


def check_encodable(text: str, symbology: str) -> None:
    """Raise :class:`EncodeError` unless ``text`` can go into a ``symbology`` symbol.

    Only printable ASCII is accepted, for both symbologies: a keyboard-wedge scanner types
    what it reads through the host's keyboard layout, and control or non-ASCII characters come
    out differently from one scanner setup to the next, so they would not scan back as typed.
    """
    if symbology not in SYMBOLOGIES:
        raise EncodeError(
            "bad_symbology", f"unknown symbology {symbology!r}; use {' or '.join(SYMBOLOGIES)}"
        )
    if not text:
        raise EncodeError("empty", "nothing to encode: the text is empty")
    if len(text) > MAX_TEXT:
        raise EncodeError(
            "too_long", f"text is {len(text)} characters long; at most {MAX_TEXT} fit a label"
        )
    if _PRINTABLE.fullmatch(text):
        return
    for i, ch in enumerate(text):
        if not " " <= ch <= "~":
            raise EncodeError(
                "bad_character",
                f"character {ch!r} at position {i + 1} cannot be encoded: "
                "only printable ASCII scans back reliably",
            )


# Code sets as indexes into the search below.
_A, _B, _C = 0, 1, 2
_SWITCH: Final = {_A: "TO_A", _B: "TO_B", _C: "TO_C"}
_START: Final = {
    _A: _tables.START_CODES["A"],
    _B: _tables.START_CODES["B"],
    _C: _tables.START_CODES["C"],
}
_INF: Final = 1 << 30


def _char_class(ch: str) -> str:
    if ch.isdigit():
        return "d"
    return "c" if ch in _tables.A else "b"


@functools.lru_cache(maxsize=1024)
def _code128_plan(shape: str) -> tuple[tuple[int, int], ...]:
    """(position, code set) for each codeword of data with this shape of character classes.

    The best choice of code sets depends only on which characters are digits, which exist in
    both sets A and B, and which only in B, so all IDs of one scheme share one plan.
    """
    n = len(shape)
    # cost[i*3 + s]: fewest codewords for shape[i:] when already in code set s; how[] records
    # the set to encode position i in (a switch first when it differs from s).
    cost = [0] * (3 * n + 3)
    how = [0] * (3 * n + 3)
    for i in range(n - 1, -1, -1):
        ch = shape[i]
        nxt = 3 * (i + 1)
        own_a = 1 + cost[nxt + _A] if ch != "b" else _INF
        own_b = 1 + cost[nxt + _B]
        own_c = 1 + cost[nxt + 3 + _C] if ch == "d" and shape[i + 1 : i + 2] == "d" else _INF
        own = (own_a, own_b, own_c)
        best_set = min(_C, _B, _A, key=own.__getitem__)  # ties favour C, then B
        switched = own[best_set] + 1
        base = 3 * i
        for s in (_A, _B, _C):
            if own[s] <= switched:
                cost[base + s], how[base + s] = own[s], s
            else:
                cost[base + s], how[base + s] = switched, best_set
    s = min(_C, _B, _A, key=lambda s: cost[s] if how[s] == s else _INF)
    plan = [(-1, s)]
    i = 0
    while i < n:
        s = how[3 * i + s]
        plan.append((i, s))
        i += 2 if s == _C else 1
    return tuple(plan)


def clear_caches() -> None:
    """Forget memoised Code128 code-set plans (for benchmarks measuring a cold start)."""
    _code128_plan.cache_clear()


def code128_codewords(text: str) -> list[int]:
    """Start code and data codewords (no checksum) for ``text``, fewest codewords first.

    A dynamic programme over (position, code set): each step either encodes one character in
    A or B, a digit pair in C, or switches set. This never relies on python-barcode's
    set-choice code, which is where the "99" defect lives.
    """
    check_encodable(text, "code128")
    plan = _code128_plan("".join([_char_class(c) for c in text]))
    table_a, table_b, table_c = _tables.A, _tables.B, _tables.C
    s = plan[0][1]
    words = [_START[s]]
    for i, target in plan[1:]:
        if target != s:
            table = table_c if s == _C else (table_a if s == _A else table_b)
            words.append(table[_SWITCH[target]])
            s = target
        if s == _C:
            words.append(int(text[i : i + 2]))
        else:
            words.append((table_a if s == _A else table_b)[text[i]])
    return words


_UNUSED_WRITER: Final = SVGWriter()


class _Code128(_PyBarcodeCode128):
    """python-barcode's Code128 fed with codewords chosen by :func:`code128_codewords`."""

    def __init__(self, code: str, words: list[int]) -> None:
        # A shared writer: python-barcode would build a new SVGWriter per symbol, which we
        # never use (the renderers here draw from the module pattern).
        super().__init__(code, _UNUSED_WRITER)
        self._words = words

    def _build(self) -> list[int]:
        return list(self._words)


def _code128(text: str) -> Symbol:
    pattern: str = _Code128(text, code128_codewords(text)).build()[0]
    # python-barcode ends the stop pattern with its 2-module bar; trailing light modules are
    # quiet zone, which the renderers add themselves.
    return Symbol("code128", text, (pattern.rstrip("0"),))


_DARK: Final = bytes(ord("1") if v < 128 else ord("0") for v in range(256))


def _datamatrix(text: str) -> Symbol:
    try:
        bc = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.DataMatrix)
    except Exception as exc:  # zxing-cpp raises bare ValueError/RuntimeError with its reason
        raise EncodeError("encoder_failed", f"DataMatrix encoder refused the text: {exc}") from None
    img = bc.to_image(scale=1, add_quiet_zones=False)
    h, w = img.shape
    # zxing-cpp's Image exports the buffer protocol, which its type stubs do not declare.
    data = bytes(memoryview(cast(Any, img)))
    flat = data.translate(_DARK).decode("ascii")
    rows = tuple(flat[r * w : (r + 1) * w] for r in range(h))
    return Symbol("datamatrix", text, rows)


def make_symbol(text: str, symbology: str = "code128") -> Symbol:
    """Encode ``text``; raise :class:`EncodeError` with the reason when it cannot be."""
    check_encodable(text, symbology)
    return _code128(text) if symbology == "code128" else _datamatrix(text)


def dark_runs(row: str) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    runs: list[tuple[int, int]] = []
    start = -1
    for i, m in enumerate(row):
        if m == "1":
            if start < 0:
                start = i
        elif start >= 0:
            runs.append((start, i - start))
            start = -1
    if start >= 0:
        runs.append((start, len(row) - start))
    return runs


def module_dots(dpi: int, target_mm: float, *, fit_modules: int = 0, fit_dots: int = 0) -> int:
    """Whole dots per module nearest ``target_mm`` at ``dpi``, shrunk until it fits.

    With ``fit_modules``/``fit_dots``, the result is the largest size not above the target at
    which ``fit_modules`` modules span at most ``fit_dots`` dots; :class:`EncodeError` when
    even one dot per module is too wide.
    """
    if dpi <= 0:
        raise EncodeError("bad_dpi", f"dpi must be positive, not {dpi}")
    dots = max(1, round(target_mm * dpi / 25.4))
    if fit_modules:
        dots = min(dots, fit_dots // fit_modules)
        if dots < 1:
            raise EncodeError(
                "does_not_fit",
                f"the symbol needs {fit_modules} modules but only {fit_dots} dots are free "
                f"at {dpi} dpi",
            )
    return dots


def _paint_modules(symbol: Symbol, dots: int, bar_height: int) -> Image.Image:
    """The symbol alone at ``dots`` per module (Code128 stretched to ``bar_height`` dots)."""
    light, dark = b"\xff" * dots, b"\x00" * dots
    w = symbol.width
    if symbol.symbology == "code128":
        row = b"".join(dark if m == "1" else light for m in symbol.rows[0])
        return Image.frombytes("L", (w * dots, 1), row).resize(
            (w * dots, bar_height), Image.Resampling.NEAREST
        )
    small = Image.frombytes(
        "L", (w, symbol.height), bytes(0 if m == "1" else 255 for r in symbol.rows for m in r)
    )
    return small.resize((w * dots, symbol.height * dots), Image.Resampling.NEAREST)


def render_image(
    symbol: Symbol,
    dpi: int = 300,
    *,
    bar_height_mm: float = 10.0,
    human_readable: bool = True,
    module_mm: float | None = None,
) -> Image.Image:
    """The symbol with its quiet zone (and the text beneath) as an 8-bit greyscale image."""
    dots = module_dots(dpi, module_mm or TARGET_MODULE_MM[symbol.symbology])
    q = symbol.quiet * dots
    if symbol.symbology == "code128":
        bar_h = max(dots * 10, round(bar_height_mm * dpi / 25.4))
    else:
        bar_h = symbol.height * dots
    sym = _paint_modules(symbol, dots, bar_h)
    text_h = 0
    font = None
    if human_readable:
        size = max(10, round(2.2 * dpi / 25.4))
        font = pil_font(size, cjk=needs_cjk(symbol.text))
        text_h = round(size * 1.3)
    width = max(sym.width + 2 * q, 0)
    if font is not None:
        width = max(width, round(font.getlength(symbol.text)) + 2 * dots * 2)
    img = Image.new("L", (width, sym.height + 2 * q + text_h), 255)
    img.paste(sym, ((width - sym.width) // 2, q))
    if font is not None:
        draw = ImageDraw.Draw(img)
        draw.text(
            (width / 2, q + sym.height + text_h * 0.15), symbol.text, fill=0, font=font, anchor="mt"
        )
    return img


def render_png(
    text: str,
    symbology: str = "code128",
    dpi: int = 300,
    *,
    bar_height_mm: float = 10.0,
    human_readable: bool = True,
) -> bytes:
    """PNG bytes of ``text`` as a symbol at ``dpi`` (recorded in the file's pHYs chunk)."""
    img = render_image(
        make_symbol(text, symbology),
        dpi,
        bar_height_mm=bar_height_mm,
        human_readable=human_readable,
    )
    buf = io.BytesIO()
    # Level 1: barcode rasters are long runs of one value, so stronger levels gain little
    # and cost most of the render time.
    img.save(buf, "PNG", dpi=(dpi, dpi), compress_level=1)
    return buf.getvalue()


def render_svg(
    text: str,
    symbology: str = "code128",
    dpi: int = 300,
    *,
    bar_height_mm: float = 10.0,
    human_readable: bool = True,
) -> str:
    """SVG of ``text`` as a symbol; one user unit is one module, sized for ``dpi``.

    Dark runs are merged into single ``<rect>`` elements with whole-module coordinates, so a
    printer driver rasterising at ``dpi`` lands every edge on a dot boundary.
    """
    symbol = make_symbol(text, symbology)
    dots = module_dots(dpi, TARGET_MODULE_MM[symbol.symbology])
    module_mm = dots * 25.4 / dpi
    q = symbol.quiet
    if symbol.symbology == "code128":
        bar_h = max(10, round(bar_height_mm / module_mm))
        rects = [(q + x, q, w, bar_h) for x, w in dark_runs(symbol.rows[0])]
        sym_h = bar_h
    else:
        rects = [
            (q + x, q + y, w, 1) for y, row in enumerate(symbol.rows) for x, w in dark_runs(row)
        ]
        sym_h = symbol.height
    text_size = max(4.0, 2.2 / module_mm)
    text_h = round(text_size * 1.3) if human_readable else 0
    width = symbol.width + 2 * q
    height = sym_h + 2 * q + text_h
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{width * module_mm:.4f}mm" height="{height * module_mm:.4f}mm" '
        f'viewBox="0 0 {width} {height}" shape-rendering="crispEdges">\n'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>\n<g fill="#000">\n'
    ]
    parts += [f'<rect x="{x}" y="{y}" width="{w}" height="{h}"/>\n' for x, y, w, h in rects]
    parts.append("</g>\n")
    if human_readable:
        parts.append(
            f'<text x="{width / 2:g}" y="{q + sym_h + text_size * 1.1:.2f}" '
            f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" '
            f'font-size="{text_size:.2f}" text-anchor="middle">{escape(text)}</text>\n'
        )
    parts.append("</svg>\n")
    return "".join(parts)
