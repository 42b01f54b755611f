"""Decoding helpers: every symbol the library makes is read back by zxing-cpp, and SVG/ZPL are
rasterised by small independent renderers here (not by the library's own raster code)."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw, ImageOps

from labels.layout import Stock

PDFTOPPM = shutil.which("pdftoppm")

SPECIMEN_TYPES = (
    # biobank.vocabulary.SPECIMEN_TYPES; copied because the labels tests must not import biobank
    "whole_blood_edta",
    "serum",
    "plasma",
    "buffy_coat",
    "germline_dna",
    "ffpe_block",
    "ffpe_slides",
    "ffpe_curls",
    "fresh_frozen_tissue",
    "tumour_dna",
)


def decode(img: Image.Image, border: int = 20) -> list[str]:
    """Texts of all symbols zxing-cpp finds in ``img`` (given an extra white border)."""
    img = ImageOps.expand(img.convert("L"), border=border, fill=255)
    return [r.text for r in zxingcpp.read_barcodes(img)]


def rasterise_svg(svg: str, scale: int = 3) -> Image.Image:
    """Paint the ``<rect>`` elements of an SVG (user units × ``scale`` pixels); text ignored."""
    root = ET.fromstring(svg)
    _, _, vw, vh = (float(v) for v in root.attrib["viewBox"].split())
    img = Image.new("L", (round(vw * scale), round(vh * scale)), 255)
    draw = ImageDraw.Draw(img)
    for el in root.iter("{http://www.w3.org/2000/svg}rect"):
        x, y, w, h = (float(el.attrib[k]) for k in ("x", "y", "width", "height"))
        fill = el.attrib.get("fill") or "#000"
        colour = 255 if fill.lower() in ("#fff", "#ffffff", "white") else 0
        draw.rectangle(
            (x * scale, y * scale, (x + w) * scale - 1, (y + h) * scale - 1), fill=colour
        )
    return img


def pdf_pages(pdf: bytes, tmp: Path, dpi: int = 300) -> list[Image.Image]:
    assert PDFTOPPM is not None
    tmp.mkdir(parents=True, exist_ok=True)
    src = tmp / "in.pdf"
    src.write_bytes(pdf)
    subprocess.run([PDFTOPPM, "-r", str(dpi), "-png", str(src), str(tmp / "page")], check=True)
    return [Image.open(p) for p in sorted(tmp.glob("page*.png"))]


_FIELD = re.compile(r"\^FO(\d+),(\d+)((?:\^(?!FD)[A-Z0-9@]{2}[^\^]*)*)\^FH\^FD(.*?)\^FS")


def fh_unescape(data: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] == "_":
            out.append(int(data[i + 1 : i + 3], 16))
            i += 3
        else:
            out += data[i].encode("ascii")
            i += 1
    return bytes(out)


def zpl_fields(fmt: str) -> list[tuple[int, int, str, str]]:
    """(x, y, commands, decoded field data) of each ^FO…^FH^FD…^FS field in one format."""
    return [
        (int(x), int(y), cmds, fh_unescape(data).decode("utf-8"))
        for x, y, cmds, data in _FIELD.findall(fmt)
    ]


def _zxing_rows(data: str, fmt: zxingcpp.BarcodeFormat) -> list[str]:
    img = zxingcpp.create_barcode(data, fmt).to_image(scale=1, add_quiet_zones=False)
    h, w = img.shape[0], img.shape[1]
    raw = bytes(memoryview(img))  # type: ignore[arg-type]
    rows = ["".join("1" if raw[r * w + c] < 128 else "0" for c in range(w)) for r in range(h)]
    # zxing-cpp draws a linear symbol as several identical rows
    return rows[:1] if fmt == zxingcpp.BarcodeFormat.Code128 else rows


def render_zpl_barcodes(fmt: str) -> Image.Image:
    """A raster of the ^BC/^BX fields of one ZPL format, as the subset emitted by labels.zpl.

    The symbol is re-encoded by zxing-cpp's encoder (not the library's) from the *field data as
    the printer would read it* (after ^FH and ^BX ~dNNN unescaping) at the ^BY/^BX module size
    and ^FO position. This proves the data, escaping and geometry we send; it cannot prove a
    Zebra firmware's own encoding.
    """
    width = int(re.search(r"\^PW(\d+)", fmt).group(1))  # type: ignore[union-attr]
    height = int(re.search(r"\^LL(\d+)", fmt).group(1))  # type: ignore[union-attr]
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    for x, y, cmds, data in zpl_fields(fmt):
        if m := re.search(r"\^BY(\d+)\^BCN,(\d+),N,N,N,A", cmds):
            d, bar_h = int(m.group(1)), int(m.group(2))
            row = _zxing_rows(data, zxingcpp.BarcodeFormat.Code128)[0]
            for i, mod in enumerate(row):
                if mod == "1":
                    draw.rectangle((x + i * d, y, x + (i + 1) * d - 1, y + bar_h - 1), fill=0)
        elif m := re.search(r"\^BXN,(\d+),200,0,0,6,~", cmds):
            d = int(m.group(1))
            text = re.sub(r"~d(\d{3})", lambda g: chr(int(g.group(1))), data)
            for r, row in enumerate(_zxing_rows(text, zxingcpp.BarcodeFormat.DataMatrix)):
                for c, mod in enumerate(row):
                    if mod == "1":
                        draw.rectangle(
                            (x + c * d, y + r * d, x + (c + 1) * d - 1, y + (r + 1) * d - 1),
                            fill=0,
                        )
    return img


def bar_runs(img: Image.Image, y: int) -> list[int]:
    """Lengths of alternating dark/light runs along row ``y``, from the first dark pixel."""
    px = img.convert("L").load()
    assert px is not None
    runs: list[int] = []
    dark = None
    for x in range(img.width):
        v = px[x, y] < 128  # type: ignore[operator]
        if dark is None:
            if v:
                dark, runs = True, [1]
            continue
        if v == dark:
            runs[-1] += 1
        else:
            dark = v
            runs.append(1)
    if dark is False:
        runs.pop()
    return runs


def decode_sheet(page: Image.Image, stock: Stock, count: int, dpi: int = 300) -> list[list[str]]:
    """What each of the first ``count`` label positions of a sheet decodes to, one crop each
    (zxing-cpp stops looking after a few hundred symbols on one image)."""
    found = []
    for k in range(count):
        x, y = stock.position_mm(k)
        w, h = stock.label_mm
        left, top, right, bottom = (round(v * dpi / 25.4) for v in (x, y, x + w, y + h))
        found.append(decode(page.crop((left, top, right, bottom))))
    return found
