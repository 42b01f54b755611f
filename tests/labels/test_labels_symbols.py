"""Symbols decode back to the exact text, in every raster/vector form, at whole dots/module."""

from __future__ import annotations

import io
import string

import pytest
from barcode.charsets import code128 as tables
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from labels import EncodeError, format_id, is_issuable, make_symbol, render_png, render_svg
from labels.ids import KINDS
from labels.symbols import code128_codewords, module_dots
from tests.labels.helpers import bar_runs, decode, rasterise_svg

PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
TRICKY = [
    "SP00000042N",
    "9912345",
    "99",
    "9",
    "990",
    "99A",
    "ab^~_ x",
    "A\\B",
    "12345a6789012",
    "99999999999",
    " leading space",
    "~",
    "__",
    "00",
    "0",
]


def _decode_pattern(pattern: str) -> str:
    """An independent Code128 reader of a module string (python-barcode's table, reversed)."""
    by_bars = {bars: value for value, bars in enumerate(tables.CODES)}
    words = [by_bars[pattern[i : i + 11]] for i in range(0, len(pattern) - 13, 11)]
    assert pattern.endswith(tables.STOP + "11")
    *body, check = words
    assert check == (body[0] + sum(i * w for i, w in enumerate(body[1:], 1))) % 103
    a = {v: k for k, v in tables.A.items()}
    b = {v: k for k, v in tables.B.items()}
    sets = {103: "A", 104: "B", 105: "C"}
    current = sets[body[0]]
    out = []
    for w in body[1:]:
        if current == "C" and w < 100:
            out.append(f"{w:02d}")
        elif (current, w) in {("A", 99), ("B", 99)}:
            current = "C"
        elif w == 100 and current != "B":
            current = "B"
        elif w == 101 and current != "A":
            current = "A"
        else:
            out.append((a if current == "A" else b)[w])
    return "".join(out)


@pytest.mark.parametrize("text", TRICKY)
def test_code128_pattern_reads_back_independently(text: str) -> None:
    assert _decode_pattern(make_symbol(text, "code128").rows[0]) == text


@pytest.mark.parametrize("text", TRICKY)
@pytest.mark.parametrize("symbology", ["code128", "datamatrix"])
def test_png_decodes_to_exact_text(text: str, symbology: str) -> None:
    img = Image.open(io.BytesIO(render_png(text, symbology, 300)))
    assert decode(img) == [text]
    assert img.info["dpi"] == pytest.approx((300, 300), abs=0.01)


@pytest.mark.parametrize("text", TRICKY)
@pytest.mark.parametrize("symbology", ["code128", "datamatrix"])
def test_svg_decodes_to_exact_text(text: str, symbology: str) -> None:
    assert decode(rasterise_svg(render_svg(text, symbology, 300))) == [text]


def test_99_data_uses_start_c_and_never_python_barcodes_set_choice() -> None:
    # python-barcode 0.16.1 turns a leading "99" pair into a second START C codeword.
    assert code128_codewords("9912345")[:2] == [105, 99]
    assert code128_codewords("99") == [105, 99]


@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_png_modules_are_whole_dots(dpi: int) -> None:
    text = "SP00000042N"
    symbol = make_symbol(text, "code128")
    img = Image.open(io.BytesIO(render_png(text, "code128", dpi, human_readable=False)))
    d = module_dots(dpi, 0.25)
    runs = bar_runs(img, img.height // 2)
    assert all(r % d == 0 for r in runs)
    assert sum(runs) == symbol.width * d
    assert min(runs) == d


def test_module_dots_fits_or_refuses() -> None:
    assert module_dots(300, 0.25) == 3
    assert module_dots(203, 0.25) == 2
    assert module_dots(300, 0.25, fit_modules=154, fit_dots=366) == 2
    with pytest.raises(EncodeError) as exc:
        module_dots(300, 0.25, fit_modules=154, fit_dots=100)
    assert exc.value.code == "does_not_fit"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("x" * 81, "too_long"),
        ("é", "bad_character"),
        ("a\tb", "bad_character"),
        ("中文", "bad_character"),
        ("a\x00", "bad_character"),
    ],
)
@pytest.mark.parametrize("symbology", ["code128", "datamatrix"])
def test_unencodable_text_is_refused_with_reason(text: str, code: str, symbology: str) -> None:
    with pytest.raises(EncodeError) as exc:
        make_symbol(text, symbology)
    assert exc.value.code == code
    assert exc.value.message


def test_unknown_symbology() -> None:
    with pytest.raises(EncodeError):
        make_symbol("x", "qr")


valid_ids = (
    st.tuples(st.sampled_from(sorted(KINDS)), st.integers(0, 10**8 - 1))
    .filter(lambda t: is_issuable(*t))
    .map(lambda t: format_id(*t))
)


@settings(max_examples=60, deadline=None)
@given(text=valid_ids, symbology=st.sampled_from(["code128", "datamatrix"]))
def test_property_random_ids_decode(text: str, symbology: str) -> None:
    assert decode(Image.open(io.BytesIO(render_png(text, symbology, 203)))) == [text]


@settings(max_examples=80, deadline=None)
@given(rest=st.text(alphabet=PRINTABLE, max_size=20))
def test_property_text_starting_with_99_decodes(rest: str) -> None:
    text = "99" + rest
    assert _decode_pattern(make_symbol(text, "code128").rows[0]) == text
    assert decode(Image.open(io.BytesIO(render_png(text, "code128", 300)))) == [text]


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=string.digits + "AB", min_size=1, max_size=24))
def test_property_codewords_are_never_longer_than_naive_set_b(text: str) -> None:
    # The search may only shorten: set B alone encodes any of these in len(text) codewords.
    assert len(code128_codewords(text)) <= 1 + len(text)
    assert decode(rasterise_svg(render_svg(text, "code128", 300))) == [text]
