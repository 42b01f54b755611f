"""``python -m labels``: render one text, or a CSV of label fields, to PNG/SVG/PDF/ZPL.

Exit status: 0 done; 2 usage error (argparse's own convention); 3 the data cannot be encoded
or laid out (one line on stderr saying why); 1 the output could not be written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from labels.errors import LabelError
from labels.ids import IdError
from labels.layout import STOCKS
from labels.pdf import render_pdf, render_symbol_pdf
from labels.preview import render_label_png, render_label_svg
from labels.spec import read_csv
from labels.symbols import SYMBOLOGIES, Symbology, render_png, render_svg
from labels.zpl import ZPL_DPIS, render_symbol_zpl, render_zpl

EXIT_OK, EXIT_IO, EXIT_USAGE, EXIT_DATA = 0, 1, 2, 3
FORMATS = ("png", "svg", "pdf", "zpl")


class _Usage(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m labels", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("render", help="one text as a symbol")
    r.add_argument("--text", required=True, help="the data to encode (printable ASCII)")
    r.add_argument("--symbology", choices=SYMBOLOGIES, default="code128")
    r.add_argument("--format", choices=FORMATS, required=True)
    r.add_argument("-o", "--output", required=True, help="file to write ('-' for stdout)")
    r.add_argument("--dpi", type=int, help="printer resolution (default 300; ZPL 203)")
    r.add_argument("--no-text", action="store_true", help="leave out the human-readable line")

    b = sub.add_parser("batch", help="labels from a CSV of label fields")
    b.add_argument("--csv", required=True, help="CSV with a header of label fields ('-' stdin)")
    b.add_argument("--format", choices=FORMATS, required=True)
    b.add_argument("-o", "--output", required=True, help="file (pdf/zpl) or directory (png/svg)")
    b.add_argument("--stock", choices=sorted(STOCKS), help="label stock (default per format)")
    b.add_argument("--symbology", choices=SYMBOLOGIES, help="override the stock's symbology")
    b.add_argument("--dpi", type=int, help="printer resolution (default 300; ZPL 203)")
    b.add_argument("--skip", type=int, default=0, help="PDF: empty positions on the first sheet")

    sub.add_parser("stocks", help="list the label stocks")
    return p


def _default_dpi(fmt: str, dpi: int | None) -> int:
    if dpi is None:
        return 203 if fmt == "zpl" else 300
    if fmt == "zpl" and dpi not in ZPL_DPIS:
        raise _Usage(f"--dpi for ZPL must be 203 or 300, not {dpi}")
    if not 72 <= dpi <= 2400:
        raise _Usage(f"--dpi must be between 72 and 2400, not {dpi}")
    return dpi


def _write(target: str, data: bytes | str) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if target == "-":
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
    else:
        Path(target).write_bytes(raw)


def _render(args: argparse.Namespace) -> None:
    fmt: str = args.format
    dpi = _default_dpi(fmt, args.dpi)
    sym: Symbology = args.symbology
    hr = not args.no_text
    out: bytes | str
    if fmt == "png":
        out = render_png(args.text, sym, dpi, human_readable=hr)
    elif fmt == "svg":
        out = render_svg(args.text, sym, dpi, human_readable=hr)
    elif fmt == "pdf":
        out = render_symbol_pdf(args.text, sym, dpi, human_readable=hr)
    else:
        out = render_symbol_zpl(args.text, sym, dpi, human_readable=hr)
    _write(args.output, out)


def _batch(args: argparse.Namespace) -> None:
    fmt: str = args.format
    dpi = _default_dpi(fmt, args.dpi)
    try:
        if args.csv == "-":
            specs = read_csv(sys.stdin)
        else:
            with open(args.csv, encoding="utf-8-sig", newline="") as fh:
                specs = read_csv(fh)
    except FileNotFoundError:
        raise _Usage(f"no such CSV file: {args.csv}") from None
    except UnicodeDecodeError:
        raise LabelError("bad_csv", f"{args.csv} is not UTF-8 text") from None
    if not specs:
        raise LabelError("empty", f"{args.csv} has no label rows")
    stock = args.stock or ("roll-25x10" if fmt == "zpl" else "cryovial-a4")
    if fmt == "pdf":
        _write(
            args.output, render_pdf(specs, stock, dpi=dpi, symbology=args.symbology, skip=args.skip)
        )
    elif fmt == "zpl":
        _write(args.output, render_zpl(specs, stock, dpi, symbology=args.symbology))
    else:
        folder = Path(args.output)
        folder.mkdir(parents=True, exist_ok=True)
        for spec in specs:
            if fmt == "png":
                data: bytes | str = render_label_png(spec, stock, dpi, symbology=args.symbology)
            else:
                data = render_label_svg(spec, stock, dpi, symbology=args.symbology)
            (folder / f"{spec.id}.{fmt}").write_bytes(
                data.encode("utf-8") if isinstance(data, str) else data
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 with usage on its own errors
    try:
        if args.command == "stocks":
            for st in STOCKS.values():
                print(f"{st.name:16} {st.description}")
        elif args.command == "render":
            _render(args)
        else:
            _batch(args)
    except _Usage as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (LabelError, IdError) as exc:
        print(f"{parser.prog}: cannot encode: {exc}", file=sys.stderr)
        return EXIT_DATA
    except OSError as exc:
        print(f"{parser.prog}: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_IO
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
