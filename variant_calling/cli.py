"""``men1 classify`` and ``men1 hgvs``: the command-line contract of the MEN1 genotyping engine.

Exit codes: 0 classification ran (whatever it found); 2 usage error; 3 invalid input, with one
line on stderr saying what and where. Never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .errors import InputError, Men1Error, UsageError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INPUT = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="men1", description="MEN1 genotyping: classify MEN1 variants in VCFs.")
    p.add_argument("--version", action="store_true", help="print the engine version and exit")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    c = sub.add_parser(
        "classify",
        help="classify MEN1 variants (origin, pathogenicity, trial eligibility)",
        description=(
            "Read VCF/BCF files (plain or bgzipped, indexed or not), name MEN1 variants on "
            "NM_001370259.2, decide germline/somatic/LOH and pathogenicity."
        ),
    )
    c.add_argument("vcf", nargs="*", help="VCF/BCF files whose sample roles are in their headers")
    c.add_argument("--normal", metavar="VCF", help="VCF of the normal (blood) sample")
    c.add_argument("--tumor", metavar="VCF", help="VCF of the tumour sample")
    c.add_argument("--normal-sample", metavar="NAME", help="name of the normal sample")
    c.add_argument("--tumor-sample", metavar="NAME", help="name of the tumour sample")
    c.add_argument("--build", choices=("GRCh37", "GRCh38"), help="genome build of the input")
    c.add_argument("--clinvar", metavar="VCF", help="ClinVar VCF replacing the shipped table")
    c.add_argument("--format", choices=("json", "text"), default="json", dest="fmt")
    c.add_argument(
        "--rules", metavar="JSON", help="JSON file overriding origin/quality thresholds"
    )
    h = sub.add_parser(
        "hgvs",
        help="place and classify an outside laboratory's germline result given in HGVS",
        description=(
            "Check an HGVS name (c. on NM_001370259.2, NM_130799.2 or NM_000244.3, with or "
            "without version; g. on NC_000011.10 (GRCh38) or NC_000011.9 (GRCh37)) against the "
            "shipped reference, and print its genomic position, its name on the MANE "
            "transcript and its germline classification."
        ),
    )
    h.add_argument("name", help="the HGVS name, e.g. NM_000244.3:c.1393C>T")
    h.add_argument("--build", choices=("GRCh37", "GRCh38"), default="GRCh38",
                   help="build of the genomic position printed (default GRCh38)")
    h.add_argument("--clinvar", metavar="VCF", help="ClinVar VCF replacing the shipped table")
    h.add_argument("--format", choices=("json", "text"), default="text", dest="fmt")
    m = sub.add_parser(
        "mlpa",
        help="classify a SALSA MLPA P017 MEN1 probe-ratio table (blood DNA)",
        description=("Read a P017 probe-ratio table (CSV: kit,probe,exon,ratio), call exon "
                     "deletions and duplications and classify them like copy-number calls."),
    )
    m.add_argument("table", help="the probe-ratio table (CSV)")
    m.add_argument("--build", choices=("GRCh37", "GRCh38"), default="GRCh38")
    m.add_argument("--clinvar", metavar="VCF", help="ClinVar VCF replacing the shipped table")
    m.add_argument("--format", choices=("json", "text"), default="text", dest="fmt")
    return p


def _text(result: dict[str, Any]) -> str:
    out = [
        f"MEN1 status: {result['men1_status']}   qualifies: "
        f"{'YES' if result['qualifies'] else 'no'}",
        f"build {result['build']}, transcript {result['transcript']}, normal "
        f"{result['normal_sample'] or '-'}, tumour {result['tumor_sample'] or '-'}",
        f"known variants: {result['known_variants_version']}; engine {result['engine_version']}",
    ]
    cov = result.get("coverage")
    if cov is not None:
        state = "covered" if cov["covered"] else "NOT covered"
        out.append(f"coding exons at >= {cov['min_depth']}x: {state}")
        for sample, c in cov["samples"].items():
            if c["uncovered"]:
                out.append(f"  {sample}: uncovered {'; '.join(c['uncovered'])}")
    out.append("")
    if not result["variants"]:
        out.append("no MEN1 variants")
    for v in result["variants"]:

        def ev(e: dict[str, Any] | None) -> str:
            if e is None:
                return "-"
            return f"{e['alt_reads']}/{e['depth']} (VAF {e['vaf']})"

        out.append(
            f"{'*' if v['qualifying'] else ' '} {v['chrom']}:{v['pos']} {v['ref']}>{v['alt']}  "
            f"{v['hgvs_c']} {v['hgvs_p'] or ''}  {v['consequence']}"
        )
        onc = v["oncogenicity"]
        cnv = v.get("copy_number")
        if cnv is not None:
            exons = ", ".join(str(x) for x in cnv["exons"]) or "none"
            partial = ", ".join(str(x) for x in cnv["exons_partial"])
            out.append(f"    {v['hgvs_g']}  {cnv['size']:,} bp; exons {exons}"
                       + (f" (partly {partial})" if partial else "")
                       + "; copy number " + (", ".join(
                           f"{'tumour' if r == 'tumor' else r} {c if c is not None else '?'}"
                           for r, c in cnv["copy_number"].items()) or "-"))
            scales = (f"{v['classification']} (ClinGen CNV {cnv['section']}, score "
                      f"{cnv['score']:+.2f})")
        else:
            scales = f"{v['classification']} ({v['points']:+d} points)"
        if onc is not None:
            scales += f", {onc['tier']} ({onc['points']:+d} points, oncogenicity)"
        out.append(
            f"    {scales}, {v['origin']}; normal {ev(v['normal'])}, tumour "
            f"{ev(v['tumor'])}; filters {','.join(v['filters'])}"
        )
        for e in v["evidence"]:
            out.append(f"      - {e}")
        if onc is not None:
            out.append("      oncogenicity (ClinGen/CGC/VICC):")
            out.extend(f"      - {e}" for e in onc["evidence"])
    if result["warnings"]:
        out.append("")
        out.append("warnings:")
        out.extend(f"  ! {w}" for w in result["warnings"])
    return "\n".join(out) + "\n"


def _hgvs_text(result: dict[str, Any]) -> str:
    v = result["variants"][0]
    cnv = v.get("copy_number")
    if cnv is not None:  # a deletion or duplication: its extent and the ClinGen CNV score
        where = f"chr11:{cnv['start']}-{cnv['end']} {v['alt']}"
        exons = ", ".join(str(x) for x in cnv["exons"]) or "none"
        partial = ", ".join(str(x) for x in cnv["exons_partial"])
        scale = (f"ClinGen CNV {cnv['section']}, score {cnv['score']:+.2f}; exons {exons}"
                 + (f" (partly {partial})" if partial else ""))
    else:
        where = f"{v['chrom']}:{v['pos']} {v['ref']}>{v['alt']}"
        scale = f"{v['points']:+d} points"
    out = [
        f"{v['evidence'][0].split(': ', 1)[1]}",
        f"  genomic:   {result['build']} {where}  {v['hgvs_g']}",
        f"  MANE:      {v['hgvs_c']} {v['hgvs_p'] or ''}  {v['consequence']}",
        f"  classification: {v['classification']} ({scale}), germline",
        f"  qualifies: {'YES' if v['qualifying'] else 'no'} (MEN1 status {result['men1_status']})",
        f"  known variants: {result['known_variants_version']}; engine "
        f"{result['engine_version']}",
    ]
    out.extend(f"    - {e}" for e in v["evidence"][2:])
    out.extend(f"  ! {w}" for w in result["warnings"])
    return "\n".join(out) + "\n"


def _run_hgvs(args: argparse.Namespace) -> int:
    from .outside import classify_name

    data = classify_name(args.name, build=args.build, clinvar=args.clinvar).as_dict()
    sys.stdout.write(json.dumps(data, indent=2) + "\n" if args.fmt == "json"
                     else _hgvs_text(data))
    return EXIT_OK


def _run(argv: Sequence[str] | None) -> int:
    from . import __version__

    args = build_parser().parse_args(argv)
    if args.version:
        print(__version__)
        return EXIT_OK
    if args.command == "hgvs":
        return _run_hgvs(args)
    if args.command == "mlpa":
        from .mlpa import classify_file

        data = classify_file(args.table, build=args.build, clinvar=args.clinvar).as_dict()
        sys.stdout.write(json.dumps(data, indent=2) + "\n" if args.fmt == "json"
                         else _text(data))
        return EXIT_OK
    if args.command != "classify":
        raise UsageError("a command is required: men1 classify [VCF ...], men1 hgvs NAME or "
                         "men1 mlpa TABLE")
    from .engine import InputFile, classify
    from .rules import DEFAULT_RULES, Rules

    inputs = [InputFile(p) for p in args.vcf]
    if args.normal:
        inputs.append(InputFile(args.normal, "normal"))
    if args.tumor:
        inputs.append(InputFile(args.tumor, "tumor"))
    if not inputs:
        raise UsageError("give at least one VCF (positional, --normal or --tumor)")
    rules = DEFAULT_RULES
    if args.rules:
        try:
            with open(args.rules, encoding="utf-8") as fh:
                values = json.load(fh)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read rules ({exc})", file=args.rules) from None
        try:
            rules = Rules.from_mapping(values)
        except UsageError as exc:
            raise UsageError(f"--rules {args.rules}: {exc}") from None
    result = classify(
        inputs,
        normal_sample=args.normal_sample,
        tumor_sample=args.tumor_sample,
        build=args.build,
        clinvar=args.clinvar,
        rules=rules,
    )
    data = result.as_dict()
    if args.fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(_text(data))
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except UsageError as exc:
        print(f"men1: usage error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except Men1Error as exc:
        print(f"men1: invalid input: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError, UnicodeError, MemoryError) as exc:
        # Last resort: still one line, never a traceback.
        print(f"men1: invalid input: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as exc:  # the contract promises no traceback, ever
        print(
            f"men1: internal error (please report it with the input): "
            f"{type(exc).__name__}: {_one_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
