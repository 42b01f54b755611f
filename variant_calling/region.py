"""The MEN1-window lines of an indexed VCF (tabix/CSI) or of a BCF, as text with the header.

A ``.tbi`` is read in pure Python (:mod:`variant_calling.tabix`); a CSI index, a non-VCF preset
or a damaged index goes to htslib (pysam), which also words the error.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .header import CHR11_NAMES
from .hts import capture_stderr, htslib_reason, htslib_warnings
from .scan import decode

__all__ = ["bcf_header", "bcf_region", "index_of", "tabix_lines"]

Lines = list[tuple[int | None, str]]


def index_of(path: Path) -> Path | None:
    for suffix in (".tbi", ".csi"):
        p = Path(str(path) + suffix)
        if p.exists():
            return p
    return None


def tabix_lines(path: Path, index: Path, start: int, end: int, warnings: list[str]) -> Lines:
    name = str(path)
    if index.suffix == ".tbi":
        from . import tabix

        try:
            found = tabix.fetch(name, str(index), CHR11_NAMES, start - 1, end)
        except (tabix.Unsupported, OSError):
            pass  # htslib below reads it, or says what is wrong with it
        else:
            if int(index.stat().st_mtime) < int(path.stat().st_mtime):
                # htslib's own warning, so that both paths say the same.
                warnings.append(
                    f"{name}: [W::hts_idx_load3] The index file is older than the data file: "
                    f"{index}"
                )
            out: Lines = []
            for _, raw in found:
                try:
                    out.append((None, decode(raw, name, None)))
                except InputError as exc:
                    # An indexed read has no line numbers: name the record instead.
                    record = raw.split(b"\t", 2)[:2]
                    where = b":".join(record).decode("ascii", "replace")
                    raise InputError(f"record {where}: {exc.message}", file=name) from None
            return out
    return _pysam_tabix_lines(path, index, start, end, warnings)


def _pysam_tabix_lines(
    path: Path, index: Path, start: int, end: int, warnings: list[str]
) -> Lines:
    import pysam

    name = str(path)
    out: Lines = []
    with capture_stderr() as err:
        try:
            # Named explicitly: by default htslib looks for a .tbi only.
            tbx = pysam.TabixFile(name, index=str(index))
            for contig in CHR11_NAMES:
                if contig in tbx.contigs:
                    for raw in tbx.fetch(contig, start - 1, end):
                        out.append((None, raw.rstrip("\r")))
            tbx.close()
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise InputError(
                f"cannot read through its index: {htslib_reason(err) or exc}", file=name
            ) from None
    warnings.extend(htslib_warnings(name, err))
    return out


def bcf_header(p: Path) -> list[str]:
    import pysam

    with capture_stderr() as err:
        try:
            vf = pysam.VariantFile(str(p))
            text = str(vf.header)
            vf.close()
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable BCF: {htslib_reason(err) or exc}", file=str(p)) from None
    return text.rstrip("\n").split("\n")


def bcf_region(path: Path, start: int, end: int, warnings: list[str]) -> Lines:
    import pysam

    name = str(path)
    lines: Lines = []
    with capture_stderr() as err:
        try:
            vf = pysam.VariantFile(name)
            contigs = [c for c in CHR11_NAMES if c in vf.header.contigs]
            if index_of(path) is not None:
                for c in contigs:
                    lines.extend((None, str(r).rstrip("\n")) for r in vf.fetch(c, start - 1, end))
            else:
                wanted = set(contigs)
                for r in vf:
                    if r.contig in wanted and r.pos <= end and (r.stop >= start):
                        lines.append((None, str(r).rstrip("\n")))
            vf.close()
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable BCF: {htslib_reason(err) or exc}", file=name) from None
    warnings.extend(htslib_warnings(name, err))
    return lines
