"""CNVkit segment files (``.cns`` from ``cnvkit.py segment``, ``.call.cns`` from ``call``).

A tab-separated table with a header line: ``chromosome start end gene log2 [cn] depth probes
weight ...``, ``start`` 0-based and ``end`` exclusive as in BED (CNVkit's own convention), so a
segment covers bases start+1 to end. ``.call.cns`` gives the integer copy number ``cn``; a plain
``.cns`` gives only ``log2``, read with the thresholds of CNVkit's ``call -m threshold``
(defaults: copy number 0 below log2 -1.1, 1 below -0.25, 2 below 0.2, 3 below 0.7, else 4),
which assume a diploid sample at full purity: a tumour's segments should be called with its
purity first (``cnvkit.py call --purity``) and given as ``.call.cns``.

A segment file names no genome build (give ``--build``) and one sample (named after the file;
give its role with ``--normal``/``--tumor``). Segments at copy number 2 over MEN1 show it was
assessed. Only the segments reaching the MEN1 window are kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import reference
from .errors import InputError, UsageError
from .header import CHR11_NAMES
from .records import CopyNumberCall, CopyNumberEvidence, VcfData

__all__ = ["LOG2_THRESHOLDS", "is_cns", "read_cns"]

REQUIRED = ("chromosome", "start", "end", "log2")
#: CNVkit ``call -m threshold`` defaults: (upper log2 bound, copy number).
LOG2_THRESHOLDS = ((-1.1, 0), (-0.25, 1), (0.2, 2), (0.7, 3))
MAX_LINE = 1 << 20


def is_cns(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"chromosome\tstart\tend")


def _copies(log2: float) -> int:
    return next((cn for bound, cn in LOG2_THRESHOLDS if log2 < bound), 4)


def read_cns(path: str | os.PathLike[str], *, build: str | None) -> VcfData:
    name = str(path)
    if build is None:
        raise UsageError(f"{name}: a CNVkit segment file names no genome build: pass --build "
                         "GRCh37 or --build GRCh38")
    w = reference.window(build)
    sample = Path(name).name
    for suffix in (".call.cns", ".cns"):
        sample = sample.removesuffix(suffix)
    data = VcfData(path=name, build=build, caller="CNVkit", samples=[sample], header_roles={},
                   contig_style=None)
    with open(name, encoding="utf-8", errors="strict") as fh:
        try:
            header = fh.readline().lstrip("\ufeff").rstrip("\r\n").split("\t")
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", file=name, line=1) from None
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise InputError(f"not a CNVkit segment table: no column {', '.join(missing)}",
                             file=name, line=1)
        col = {c: header.index(c) for c in header}
        elsewhere = away = 0  # segments on other chromosomes / on chr11 away from MEN1
        for n, raw in enumerate(fh, start=2):
            if len(raw) > MAX_LINE:
                raise InputError("line too long", file=name, line=n)
            fields = raw.rstrip("\r\n").split("\t")
            if not raw.strip():
                continue
            if len(fields) != len(header):
                raise InputError(f"{len(fields)} columns, the header has {len(header)}",
                                 file=name, line=n)
            if fields[col["chromosome"]] not in CHR11_NAMES:
                elsewhere += 1
                continue
            values: dict[str, float] = {}
            for key in ("start", "end", "log2", "cn"):
                if key not in col:
                    continue
                try:
                    values[key] = float(fields[col[key]])
                except ValueError:
                    raise InputError(f"{key} {fields[col[key]][:20]!r} is not a number",
                                     file=name, line=n, field=key) from None
            start, end = int(values["start"]) + 1, int(values["end"])
            if end < start:
                raise InputError(f"end {end} is before start {start - 1}", file=name, line=n,
                                 field="end")
            if end < w.start or start > w.end:
                away += 1
                continue
            data.contig_style = fields[col["chromosome"]]
            data.window_records += 1
            cn = int(values["cn"]) if "cn" in values else _copies(values["log2"])
            how = "cn" if "cn" in values else "log2 thresholds"
            support = f"log2 {values['log2']:.3f}, CN {cn} ({how})" + (
                f", probes {fields[col['probes']]}" if "probes" in col else "")
            # A segment at copy number 2 is kept, not carried: it shows the sample's MEN1 bases
            # at the reference copy number (an event of the other sample is then somatic).
            ev = CopyNumberEvidence(cn != 2, cn, None, support)
            data.cnv_calls.append(CopyNumberCall(
                file=name, line=n, chrom=fields[col["chromosome"]], start=start, end=end,
                svtype="DEL" if cn <= 2 else "DUP", alt="segment", caller="CNVkit",
                filters=("PASS",), samples={sample: ev}, tandem=False if cn > 2 else None))
    # As for a copy-number VCF: what was left out is counted, so a table of another sample
    # or build cannot pass for a quiet one.
    if elsewhere:
        data.warnings.append(f"{name}: {elsewhere} segment(s) on other chromosomes ignored")
    if away:
        data.warnings.append(f"{name}: {away} chr11 segment(s) away from MEN1 ignored")
    if data.contig_style is None:
        data.warnings.append(f"{name}: no segment reaches MEN1 (chr11:{w.start}-{w.end})")
    return data
