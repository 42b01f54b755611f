"""MLPA results: SALSA MLPA P017 MEN1 (MRC Holland) probe ratios from blood DNA, turned into
exon deletions and duplications, classified and qualified like copy-number calls.

**The table** (CSV, one row per probe, a header row; the lab copies the columns from
Coffalyser.Net's report)::

    kit,probe,exon,ratio
    P017-D1,MEN1 probe 1,1,0.98
    P017-D1,MEN1 probe 2,2,0.51
    P017-D1,reference probe 07,ref,1.02

``kit`` is the kit and its lot as printed on the report (it must be a P017 kit, the same on
every row); ``probe`` the probe's name as in the report (unique); ``exon`` the MEN1 exon the
probe targets, 1-10 in the kit description's numbering (NM_130799.2: exon 1 is its first exon,
chr11:64810630-64810716 on GRCh38; exons 2-10 are MANE's), or ``ref`` for a reference probe;
``ratio`` the final (normalised) probe ratio. Every MEN1 exon needs at least one probe.

**Ratios** (:data:`THRESHOLDS`; MRC Holland's interpretation ranges for a diploid sample):
below 0.10 both copies lost; 0.40-0.65 one copy lost; 0.80-1.20 normal; 1.30-1.65 one copy
gained; 1.75-2.15 two copies gained (MRC Holland's "heterozygous triplication / homozygous
duplication"); anything else ambiguous (reported, never called). A run of adjacent exons called
alike is one event; its breakpoints lie between the last normal and the first changed probe,
so its names are uncertain ranges (``c.(445+1_446-1)_(654+1_655-1)del``). An event seen by a
single probe is reported but fails quality until a confirmation is recorded (the app's
"confirm" step); MLPA is validated on blood DNA, so every event is of germline origin.
"""

from __future__ import annotations

import csv
import io
import os
import re
from typing import NamedTuple

from . import __version__, locus
from .copy_number import classify_event, tier_of_score
from .errors import InputError, UsageError
from .known import load as load_known
from .qualify import Verdict, men1_status, qualifies
from .reference import BUILDS
from .results import Men1Result, VariantResult
from .rules import DEFAULT_RULES, Rules

__all__ = ["KIT", "THRESHOLDS", "Probe", "classify_table", "read_table"]

KIT = "P017"
#: (lowest ratio, highest ratio, copy number) of the called states; other ratios ambiguous.
THRESHOLDS = ((0.0, 0.10, 0), (0.40, 0.65, 1), (0.80, 1.20, 2), (1.30, 1.65, 3),
              (1.75, 2.15, 4))
#: A ratio above this is not a probe ratio at all (a typing error): refused.
MAX_RATIO = 5.0
COLUMNS = ("kit", "probe", "exon", "ratio")
MAX_ROWS = 500
#: A cell a spreadsheet would run as a formula (OWASP "CSV Injection"): the app keeps the
#: uploaded table byte for byte as the analysis's evidence and lets reviewers download it, so
#: such a table is refused on the way in rather than rewritten on the way out. Coffalyser's
#: columns (kit lot, probe name, exon, ratio) never start so; a plain number may ("-0.02").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?\d+([.,]\d+)?")


class Probe(NamedTuple):
    row: int  # 1-based line of the table
    probe: str
    exon: int | None  # None: a reference probe
    ratio: float

    @property
    def copies(self) -> int | None:
        return next((cn for lo, hi, cn in THRESHOLDS if lo <= self.ratio <= hi), None)


def _kit_exons(build: str) -> dict[int, tuple[int, int]]:
    """Exon number → genomic span in the kit's numbering: NM_130799.2's exons."""
    return {e.number: (e.start, e.end) for e in locus.transcript_exons(build, "NM_130799.2")}


def read_table(text: str, file: str = "MLPA table") -> tuple[str, list[Probe]]:
    """(kit as given, probes) of a P017 table; every refusal names its row."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError("the MLPA table is empty", file=file, line=1)
    for n, r in enumerate(rows, start=1):
        for i, c in enumerate(r):
            if c.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(c):
                column = rows[0][i].strip() if i < len(rows[0]) and n > 1 else f"column {i + 1}"
                raise InputError(f"cell {c[:20]!r} would run as a formula in a spreadsheet "
                                 "(it starts with =, +, -, @, a tab or a carriage return); "
                                 "an MLPA table has none", file=file, line=n,
                                 field=column or f"column {i + 1}")
    head = [c.strip().lower() for c in rows[0]]
    missing = [c for c in COLUMNS if c not in head]
    if missing:
        raise InputError(f"not an MLPA table: no column {', '.join(missing)} (expected "
                         f"{','.join(COLUMNS)})", file=file, line=1)
    if len(rows) > MAX_ROWS:
        raise InputError(f"more than {MAX_ROWS} rows: not a P017 table", file=file)
    col = {c: head.index(c) for c in COLUMNS}
    kits: set[str] = set()
    probes: list[Probe] = []
    seen: dict[str, int] = {}
    for n, r in enumerate(rows[1:], start=2):
        cells = {c: (r[i].strip() if i < len(r) else "") for c, i in col.items()}
        kit = cells["kit"]
        if not kit.upper().replace("SALSA", "").replace("MLPA", "").strip().startswith(KIT):
            raise InputError(f"kit {kit!r} is not SALSA MLPA {KIT} MEN1", file=file, line=n,
                             field="kit")
        kits.add(kit)
        if len(kits) > 1:
            raise InputError(f"the table mixes kits ({', '.join(sorted(kits))})", file=file,
                             line=n, field="kit")
        name = cells["probe"]
        if not name:
            raise InputError("the probe is not named", file=file, line=n, field="probe")
        if name in seen:
            raise InputError(f"probe {name!r} appears twice (rows {seen[name]} and {n})",
                             file=file, line=n, field="probe")
        seen[name] = n
        exon_text = cells["exon"].lower().removeprefix("exon").strip()
        if exon_text in ("ref", "reference", "control"):
            exon = None
        elif exon_text.isdigit() and 1 <= int(exon_text) <= 10:
            exon = int(exon_text)
        elif not exon_text:
            raise InputError(f"probe {name!r} names no exon (1-10, or ref for a reference "
                             "probe)", file=file, line=n, field="exon")
        else:
            raise InputError(f"exon {cells['exon']!r} is not a MEN1 exon (1-10, or ref)",
                             file=file, line=n, field="exon")
        try:
            ratio = float(cells["ratio"].replace(",", "."))
        except ValueError:
            raise InputError(f"ratio {cells['ratio'][:20]!r} is not a number", file=file,
                             line=n, field="ratio") from None
        if not 0.0 <= ratio <= MAX_RATIO:
            raise InputError(f"ratio {ratio} is out of range (0 to {MAX_RATIO})", file=file,
                             line=n, field="ratio")
        probes.append(Probe(n, name, exon, ratio))
    present = {p.exon for p in probes if p.exon is not None}
    absent = [e for e in range(1, 11) if e not in present]
    if absent:
        raise InputError(f"no probe for MEN1 exon(s) {', '.join(map(str, absent))}: a P017 "
                         "table has every exon", file=file)
    return kits.pop(), probes


class _Run(NamedTuple):
    copies: int
    exons: tuple[int, ...]
    probes: tuple[Probe, ...]


def _runs(probes: list[Probe]) -> tuple[list[_Run], list[str]]:
    """Adjacent exons with the same called copy number != 2, and notes on ambiguous exons."""
    notes: list[str] = []
    state: dict[int, int | None] = {}
    for exon in range(1, 11):
        mine = [p for p in probes if p.exon == exon]
        calls = {p.copies for p in mine}
        if None in calls or len(calls) > 1:
            ratios = ", ".join(f"{p.probe} {p.ratio:.2f}" for p in mine)
            notes.append(f"exon {exon}: ambiguous probe ratios ({ratios}); not called")
            state[exon] = None
        else:
            state[exon] = calls.pop()
    runs: list[_Run] = []
    for exon in range(1, 11):
        cn = state[exon]
        if cn is None or cn == 2:
            continue
        if runs and runs[-1].copies == cn and runs[-1].exons[-1] == exon - 1:
            last = runs[-1]
            runs[-1] = _Run(cn, (*last.exons, exon),
                            (*last.probes, *(p for p in probes if p.exon == exon)))
        else:
            runs.append(_Run(cn, (exon,), tuple(p for p in probes if p.exon == exon)))
    return runs, notes


def classify_table(text: str, *, build: str = "GRCh38", file: str = "MLPA table",
                   clinvar: str | None = None, rules: Rules = DEFAULT_RULES,
                   confirmed: frozenset[int] = frozenset()) -> Men1Result:
    """Classify a P017 table (blood DNA: germline). ``confirmed`` holds the first exons of
    single-probe events a confirmation has been recorded for."""
    if build not in BUILDS:
        raise UsageError(f"--build must be GRCh37 or GRCh38, not {build!r}")
    kit, probes = read_table(text, file)
    warnings: list[str] = []
    known = load_known(clinvar, build, warnings)
    runs, notes = _runs(probes)
    warnings.extend(notes)
    refs = [p for p in probes if p.exon is None and p.copies != 2]
    for p in refs:
        warnings.append(f"reference probe {p.probe} (row {p.row}) has ratio {p.ratio:.2f}: "
                        "check the run's normalisation")
    spans = _kit_exons(build)
    variants: list[VariantResult] = []
    for run in runs:
        svtype = "DEL" if run.copies < 2 else "DUP"
        first, last = run.exons[0], run.exons[-1]
        # Minus strand: exon `first` is the 5'-most (highest coordinates).
        start, end = spans[last][0], spans[first][1]
        scored = classify_event(build, svtype, start, end, False if svtype == "DUP" else None,
                                known)
        tier = tier_of_score(scored.score)
        single = len(run.probes) == 1
        passes = not single or first in confirmed
        verdict = Verdict("germline", tier, None, passes, False)
        names = _names(build, svtype, run.exons, spans)
        evidence = [
            f"MLPA {kit}: exon(s) {first}" + (f"-{last}" if last != first else "")
            + f" at copy number {run.copies} ("
            + ", ".join(f"{p.probe} {p.ratio:.2f} row {p.row}" for p in run.probes) + ")",
            "ORIGIN_GERMLINE: MLPA on blood DNA (the kit is validated on blood)",
            *(f"{code} ({points:+.2f}): {reason}" for code, points, reason in scored.scoring),
            f"ClinGen CNV score {scored.score:+.2f} -> {tier}",
        ]
        if single:
            evidence.append("SINGLE_PROBE: seen by one probe only; qualifies once confirmed "
                            "(another method or probe), " + (
                                "confirmation recorded" if passes else "not yet confirmed"))
            if not passes:
                warnings.append(f"{names['hgvs_c']}: seen by a single probe "
                                f"({run.probes[0].probe}); confirm it before it counts")
        evidence.append("QUALITY_PASS" if passes else "QUALITY_FAIL (single probe, unconfirmed)")
        variants.append(VariantResult(
            chrom="chr11", pos=start, ref="N", alt=f"<{svtype}>", hgvs_c=names["hgvs_c"],
            hgvs_p=scored.hgvs_p, consequence=scored.consequence, origin="germline",
            classification=tier, points=None, oncogenicity=None, qualifying=qualifies(verdict),
            quality_pass=passes, in_tumor=False, normal=None, tumor=None, filters=(),
            population=None, callers=(f"MLPA {kit}",), evidence=tuple(evidence),
            hgvs_g=names["hgvs_g"],
            copy_number={
                "svtype": svtype, "start": start, "end": end, "size": end - start + 1,
                "cipos": None, "ciend": None, "tandem": None,
                "copy_number": {"normal": run.copies},
                "exons": [e for e in run.exons], "exons_partial": [],
                "section": scored.section, "score": scored.score,
                "scoring": [{"code": c, "points": p, "reason": r} for c, p, r in scored.scoring],
                "scale": "ClinGen CNV points (Riggs et al. 2020)",
                "probes": [{"probe": p.probe, "exon": p.exon, "ratio": p.ratio, "row": p.row}
                           for p in run.probes],
                "single_probe": single,
            },
        ))
    # MLPA counts copies only: without a qualifying event it is no answer on MEN1 mutations.
    status = men1_status((v.verdict for v in variants), covered=False)
    if status == "not_covered":
        warnings.append("MLPA shows copy number only: sequence variants of MEN1 were not "
                        "assessed; without a qualifying event the result is pending, not "
                        "negative")
    return Men1Result(
        engine_version=__version__, build=build, transcript=locus.MANE, normal_sample=None,
        tumor_sample=None, men1_status=status,
        qualifies=any(v.qualifying for v in variants), warnings=tuple(warnings),
        known_variants_version=known.version, coverage=None, inputs=(), rules=rules,
        variants=tuple(variants))


def _names(build: str, svtype: str, exons: tuple[int, ...],
           spans: dict[int, tuple[int, int]]) -> dict[str, str]:
    """Exon-level names with the breakpoints between the changed and the flanking probes'
    exons: ``c.(445+1_446-1)_(654+1_655-1)del`` / ``g.(a_b)_(c_d)del``."""
    edit = "del" if svtype == "DEL" else "dup"
    first, last = exons[0], exons[-1]
    acc = locus.CHR11_ACCESSIONS[build]
    c = locus.c_position_any
    # 5' breakpoint: between exon first-1 (if any) and exon first.
    if first > 1:
        hi_a, hi_b = spans[first][1] + 1, spans[first - 1][0] - 1
        five = f"({c(build, hi_b)}_{c(build, hi_a)})"
        g_hi = f"({hi_a}_{hi_b})"
    else:
        five = f"(?_{locus.transcript_ends(build)[0]})"
        g_hi = f"({spans[1][1]}_?)"
    if last < 10:
        lo_a, lo_b = spans[last + 1][1] + 1, spans[last][0] - 1
        three = f"({c(build, lo_b)}_{c(build, lo_a)})"
        g_lo = f"({lo_a}_{lo_b})"
    else:
        three = f"({locus.transcript_ends(build)[1]}_?)"
        g_lo = f"(?_{spans[10][0]})"
    return {"hgvs_c": f"{locus.MANE}:c.{five}_{three}{edit}",
            "hgvs_g": f"{acc}:g.{g_lo}_{g_hi}{edit}"}


def classify_file(path: str, **kwargs: object) -> Men1Result:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read(1 << 20)
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=path) from None
    return classify_table(text, file=os.path.basename(path), **kwargs)  # type: ignore[arg-type]
