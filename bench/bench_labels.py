"""Labels per second for 1,000 labels, beside reportlab's own Code128 on the same labels.

Run: ``python bench/bench_labels.py`` (``make bench``). Every figure is the best of several
runs in this process, and ratios are taken within the same run, so a slower machine moves both
sides together. ``--check`` exits 1 when a goal is missed (it is a benchmark, not a test).

Goals (issue 8): a 1,000-label PDF sheet, whole process, within 1.5x of reportlab drawing the
same Code128 labels alone; PNG and SVG >= 500 labels/s; ZPL >= 20,000 labels/s.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportlab.graphics.barcode.code128 import Code128  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

if TYPE_CHECKING:
    from labels import LabelSpec

N = 1000
# The cryovial-a4 sheet, spelled out so the baseline process imports reportlab alone (main()
# checks it against labels.STOCKS).
PAGE_MM, COLUMNS, PER_PAGE = (210.0, 297.0), 5, 100
ORIGIN_MM, PITCH_MM = (10.0, 13.5), (38.0, 13.5)
TYPES = ("whole_blood_edta", "serum", "plasma", "buffy_coat", "germline_dna", "tumour_dna")


def make_specs(n: int = N) -> list[LabelSpec]:
    from labels import LabelSpec, format_id, is_issuable

    ids = (format_id("SP", k) for k in range(1, 3 * n) if is_issuable("SP", k))
    return [
        LabelSpec(
            "specimen",
            i,
            f"MEN1-{j % 7:02d}-{j:04d}",
            "C1D1",
            TYPES[j % len(TYPES)],
            date(2025, 3, 14),
        )
        for j, i in zip(range(n), ids, strict=False)
    ]


def reportlab_pdf(ids: list[str]) -> bytes:
    """The baseline: reportlab's Code128 widget drawn at the same sheet positions, no text."""
    buf = io.BytesIO()
    page_h = PAGE_MM[1] * mm
    c = Canvas(buf, pagesize=(PAGE_MM[0] * mm, page_h), pageCompression=1, invariant=1)
    for k, text in enumerate(ids):
        if k and k % PER_PAGE == 0:
            c.showPage()
        row, col = divmod(k % PER_PAGE, COLUMNS)
        x, y = ORIGIN_MM[0] + col * PITCH_MM[0], ORIGIN_MM[1] + row * PITCH_MM[1]
        bc = Code128(text, barWidth=0.169 * mm, barHeight=5.5 * mm, quiet=False)
        bc.drawOn(c, x * mm + 4 * mm, page_h - (y + 6.5) * mm)
    c.showPage()
    c.save()
    return buf.getvalue()


def best(fn: Callable[[], object], runs: int = 5) -> float:
    """Fastest of ``runs``, each from cold: the library's memoised layout plans are dropped."""
    from labels.layout import clear_caches

    times = []
    for _ in range(runs):
        clear_caches()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def process_time(args: list[str], runs: int = 3) -> float:
    return best(lambda: subprocess.run(args, check=True, capture_output=True), runs)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    p.add_argument("--reportlab-only", metavar="CSV", help=argparse.SUPPRESS)
    p.add_argument("-o", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.reportlab_only:
        # The baseline as a whole process: read the same CSV, draw with reportlab, write.
        with open(a.reportlab_only, newline="") as fh:
            ids = [row["id"] for row in csv.DictReader(fh)]
        Path(a.o).write_bytes(reportlab_pdf(ids))
        return 0

    from labels import STOCKS, render_label_png, render_pdf, render_png, render_svg, render_zpl

    stock = STOCKS["cryovial-a4"]
    assert (stock.page_mm, stock.columns, stock.per_page) == (PAGE_MM, COLUMNS, PER_PAGE)
    assert (stock.origin_mm, stock.pitch_mm) == (ORIGIN_MM, PITCH_MM)
    specs = make_specs()
    ids = [s.id for s in specs]
    rows: list[tuple[str, float, str]] = []
    goals: list[tuple[str, bool]] = []

    base = best(lambda: reportlab_pdf(ids))
    ours = best(lambda: render_pdf(specs, stock))
    rows.append(("reportlab Code128 alone, PDF (baseline)", N / base, ""))
    rows.append(("labels PDF sheet (cryovial-a4, with text)", N / ours, f"{ours / base:.2f}x"))

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "labels.csv"
        with src.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "participant_code", "visit", "specimen_type", "collection_date"])
            for s in specs:
                day = s.collection_date.isoformat() if s.collection_date else ""
                w.writerow([s.id, s.participant_code, s.visit, s.specimen_type, day])
        exe = sys.executable
        base_proc = process_time(
            [exe, __file__, "--reportlab-only", str(src), "-o", str(Path(tmp) / "rl.pdf")]
        )
        ours_proc = process_time(
            [
                exe,
                "-m",
                "labels",
                "batch",
                "--csv",
                str(src),
                "--format",
                "pdf",
                "-o",
                str(Path(tmp) / "l.pdf"),
            ]
        )
    ratio = ours_proc / base_proc
    rows.append(("reportlab alone, whole process", N / base_proc, f"{base_proc:.2f} s"))
    rows.append(
        (
            "python -m labels batch → PDF, whole process",
            N / ours_proc,
            f"{ours_proc:.2f} s, {ratio:.2f}x",
        )
    )
    goals.append(("PDF whole process ≤ 1.5x reportlab", ratio <= 1.5))
    goals.append(("PDF in-process ≤ 1.5x reportlab", ours / base <= 1.5))

    png = best(lambda: [render_png(i, "code128", 300) for i in ids], 3)
    png_dm = best(lambda: [render_png(i, "datamatrix", 300) for i in ids], 3)
    preview = best(lambda: [render_label_png(s, stock, 300) for s in specs], 3)
    svg = best(lambda: [render_svg(i, "code128", 300) for i in ids], 3)
    zpl203 = best(lambda: render_zpl(specs, "roll-25x10", 203))
    zpl300 = best(lambda: render_zpl(specs, stock, 300))
    rows += [
        ("PNG Code128 300 dpi", N / png, f"{base / png:.2f}x baseline speed"),
        ("PNG DataMatrix 300 dpi", N / png_dm, ""),
        ("PNG label preview (cryovial, 300 dpi)", N / preview, ""),
        ("SVG Code128", N / svg, f"{base / svg:.2f}x baseline speed"),
        ("ZPL roll 25x10 DataMatrix 203 dpi", N / zpl203, f"{base / zpl203:.1f}x baseline speed"),
        ("ZPL cryovial Code128 300 dpi", N / zpl300, f"{base / zpl300:.1f}x baseline speed"),
    ]
    goals += [
        ("PNG ≥ 500 labels/s", N / max(png, png_dm) >= 500),
        ("SVG ≥ 500 labels/s", N / svg >= 500),
        ("ZPL ≥ 20,000 labels/s", N / max(zpl203, zpl300) >= 20_000),
    ]
    print(f"{N} labels; best of several runs")
    for name, rate, note in rows:
        print(f"  {name:48} {rate:10,.0f} labels/s  {note}")
    for name, ok in goals:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    return 1 if a.check and not all(ok for _, ok in goals) else 0


if __name__ == "__main__":
    sys.exit(main())
