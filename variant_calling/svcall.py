"""Deletions, duplications and copy-number segments from VCF records with symbolic alleles.

Each caller writes copy-number events its own way (:mod:`variant_calling.callers.structural`):

* **GATK gCNV** (PostprocessGermlineCNVCalls segments): ``ALT=<DEL>,<DUP>`` on every record,
  ``GT`` the index of the allele the sample carries (0 reference, 1 <DEL>, 2 <DUP>; declared as
  an Integer, which htslib cannot read as a genotype, so it is read from the record's text) and
  ``CN`` the copy-number call. A segment at CN 2 is a reference segment: it shows MEN1 was
  assessed. POS is the first base of the segment (an interval start, ``REF=N``).
* **CNVkit** ``export vcf``: one ``<DEL>`` or ``<DUP>`` per record with ``GT`` (``1/1`` for a
  homozygous loss) and ``CN`` on gains.
* **Manta**: ``<DEL>`` and ``<DUP:TANDEM>`` (a duplication proved to be in tandem by its read
  pairs), ``PR``/``SR`` reference and alternate read-pair and split-read counts per sample,
  ``GT`` in germline runs.
* **Delly**: ``<DEL>``/``<DUP>`` with ``GT``, ``DV``/``RV`` variant read pairs and junction reads
  and ``RDCN`` (a read-depth copy-number estimate). A Delly duplication is a tandem one (its
  pairs' orientation, ``CT=5to3``).
* Any other caller: ``GT`` and, when present, ``CN``; a sample with ``CN`` but neither a
  genotype nor read counts (Canvas) carries the event when its CN is not 2.
* ``<CNV>`` (``SVTYPE=CNV`` names no direction): each carrier's ``CN`` decides, below 2 a
  loss, above 2 a gain, 2 neither (copy-neutral); a carrier without ``CN`` is warned of
  and not classified (gain or loss is never guessed).

Coordinates: a symbolic allele's POS is the base before the event (VCF 4.2 section 5.4), so the
deleted or duplicated bases are POS+1 to END; gCNV's POS is the segment's own first base.
CIPOS/CIEND are kept as the breakpoints' confidence intervals.
"""

from __future__ import annotations

from typing import Any

from .errors import InputError
from .records import CopyNumberCall, CopyNumberEvidence

__all__ = ["copy_number_alts", "is_copy_number_allele", "read_record"]

#: Read support a sample needs to carry an event where its caller gives counts but no
#: genotype (Manta's somatic pairs); at most ABSENT_MAX reads is evidence of absence.
MIN_SUPPORT = 3
ABSENT_MAX = 1


def is_copy_number_allele(alt: str) -> bool:
    a = alt.upper()
    return a.startswith(("<DEL", "<DUP", "<CNV")) and not a.startswith("<DEL:ME")


def copy_number_alts(alts: tuple[str, ...]) -> list[str]:
    return [a for a in alts if is_copy_number_allele(a)]


def _svtype(alt: str) -> str | None:
    a = alt.upper()
    if a.startswith("<DEL"):
        return "DEL"
    if a.startswith("<DUP"):
        return "DUP"
    return None  # <CNV>: the copy number decides


def _pair(value: Any) -> tuple[int, int] | None:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(x, int) for x in value):
        return int(value[0]), int(value[1])
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, tuple):
        value = value[0] if value else None
    return int(value) if isinstance(value, int) else None


def _info(info: Any, key: str) -> Any:
    # Not info.get(key): pysam raises on .get() of a key the header does not declare.
    return info[key] if key in info else None  # noqa: SIM401


def _numbers(data: Any, fmt: Any, keys: tuple[str, ...]) -> list[str]:
    """``KEY value`` for each integer FORMAT field of ``keys`` the sample has."""
    out = []
    for key in keys:
        v = _int(data.get(key)) if key in fmt else None
        if v is not None:
            out.append(f"{key} {v}")
    return out


def _raw_sample_fields(rec: Any, raw: str | None, sample_index: int) -> dict[str, str]:
    # The record's own text: pysam rewrites a field the header types wrongly (gCNV's GT).
    cols = (raw if raw is not None else str(rec)).rstrip("\n").split("\t")
    if len(cols) <= 9 + sample_index:
        return {}
    return dict(zip(cols[8].split(":"), cols[9 + sample_index].split(":"), strict=False))


def _where(rec: Any, line: int | None) -> str:
    return "" if line is not None else f"record {rec.contig}:{rec.pos}: "


def read_record(rec: Any, caller: str, samples: list[str], file: str,
                line: int | None, warnings: list[str], raw: str | None = None
                ) -> list[CopyNumberCall]:
    """The copy-number events of one record (one per copy-number ALT), each with what every
    sample says of it. Raises :class:`InputError` for an END before POS, or a copy number that
    contradicts the allele (a <DEL> at CN 3)."""
    where = _where(rec, line)
    end: int | None = None
    text_info = str(rec).split("\t", 8)[7] if "\t" in str(rec) else ""
    for part in text_info.split(";"):
        key, _, value = part.partition("=")
        if key in ("END", "SVLEN") and value:
            try:
                number = int(value.split(",")[0])
            except ValueError:
                raise InputError(f"{where}{key} {value!r} is not an integer", file=file,
                                 line=line, field=key) from None
            if key == "END":
                end = number
            elif end is None:
                end = rec.pos + abs(number)
    if end is None:
        warnings.append(f"{file}: {','.join(copy_number_alts(tuple(rec.alts or ())))} at "
                        f"{rec.contig}:{rec.pos} has no END or SVLEN: its extent is unknown; "
                        "not classified")
        return []
    if end < rec.pos:
        raise InputError(f"{where}END {end} is before POS {rec.pos}", file=file, line=line,
                         field="END")
    gcnv = caller == "GATK gCNV"
    start = rec.pos if gcnv else rec.pos + 1
    if end < start:  # a one-base event written with END == POS
        start = end
    info = rec.info
    declared = str(_info(info, "SVTYPE") or "").upper() or None
    cipos = _pair(_info(info, "CIPOS"))
    ciend = _pair(_info(info, "CIEND"))
    filters = tuple(rec.filter.keys()) or ("PASS",)
    ct = str(_info(info, "CT") or "")
    out: list[CopyNumberCall] = []
    alts = tuple(rec.alts or ())
    for index, alt in enumerate(alts, start=1):
        if not is_copy_number_allele(alt):
            continue
        # SVTYPE=CNV (Canvas and others) names no direction: the copy number decides.
        svtype = _svtype(alt) or (declared if declared in ("DEL", "DUP") else None)
        evidence: dict[str, CopyNumberEvidence] = {}
        kinds: set[str] = set()
        for si, s in enumerate(samples):
            ev, kind = _sample(rec, raw, s, si, index, alt, svtype, gcnv, where, file, line)
            evidence[s] = ev
            if kind:
                kinds.add(kind)
        if svtype is None:
            # <CNV>: each carrier's copy number says gain or loss; one call per direction.
            unknown = [s for s, e in evidence.items() if e.carries and e.copy_number is None]
            if unknown:
                # Never guessed: a gain read as a loss (or back) would change the class.
                warnings.append(f"{file}: {alt} at {rec.contig}:{rec.pos} gives sample(s) "
                                f"{', '.join(unknown)} no copy number (CN): gain or loss is "
                                "unknown; not classified")
            for kind in sorted(kinds) or ["DEL"]:
                out.append(_call(rec, file, line, start, end, kind, alt, caller, filters,
                                 {s: e._replace(carries=bool(e.carries)
                                                and _direction(e.copy_number) == kind)
                                  for s, e in evidence.items()}, cipos, ciend, ct))
            continue
        if declared and declared in ("DEL", "DUP") and _svtype(alt) and declared != svtype:
            raise InputError(f"{where}SVTYPE={declared} contradicts the allele {alt}",
                             file=file, line=line, field="SVTYPE")
        out.append(_call(rec, file, line, start, end, svtype, alt, caller, filters, evidence,
                         cipos, ciend, ct))
    return out


def _call(rec: Any, file: str, line: int | None, start: int, end: int, svtype: str, alt: str,
          caller: str, filters: tuple[str, ...], evidence: dict[str, CopyNumberEvidence],
          cipos: tuple[int, int] | None, ciend: tuple[int, int] | None,
          ct: str) -> CopyNumberCall:
    tandem: bool | None = None
    if svtype == "DUP":
        tandem = "TANDEM" in alt.upper() or (caller == "Delly" and ct == "5to3")
    return CopyNumberCall(file, line, rec.contig, start, end, svtype, alt, caller, filters,
                          evidence, cipos, ciend, tandem, str(rec.id or ""))


def _sample(rec: Any, raw_text: str | None, s: str, si: int, index: int, alt: str,
            svtype: str | None, gcnv: bool, where: str, file: str, line: int | None
            ) -> tuple[CopyNumberEvidence, str | None]:
    """(what sample ``s`` says of ALT number ``index``, the direction it carries or None)."""
    fmt = rec.format
    data = rec.samples[s]
    cn = _int(data.get("CN")) if "CN" in fmt else None
    support: list[str] = []
    genotype: str | None = None
    carries: bool | None = None
    # A copy number's reference is the contig's ploidy: only an autosome's is known here (2).
    autosome = rec.contig.removeprefix("chr") not in ("X", "Y", "M", "MT")
    if gcnv:
        raw = _raw_sample_fields(rec, raw_text, si).get("GT", ".")
        genotype = raw
        if cn is not None:
            support += [f"CN {cn}", *_numbers(data, fmt, ("NP", "QS", "QA"))]
        # gCNV's GT is relative to the contig's ploidy (CN 1 is reference on a male X).
        if raw.isdigit() and cn is not None and autosome:
            chosen = int(raw)
            expect = 0 if cn == 2 else (1 if cn < 2 else 2)
            if chosen != expect:
                raise InputError(f"{where}sample {s}: CN {cn} contradicts GT {raw} "
                                 f"({'reference' if chosen == 0 else rec.alts[chosen - 1]})",
                                 file=file, line=line, field="CN")
        if raw.isdigit():
            carries = int(raw) == index
        elif cn is not None and autosome:
            carries = (cn < 2) if svtype == "DEL" else (cn > 2)
    else:
        if "GT" in fmt:
            alleles = data.get("GT")
            if isinstance(alleles, tuple) and alleles and all(a is not None for a in alleles):
                genotype = "/".join(str(a) for a in alleles)
                carries = index in alleles
            elif isinstance(alleles, tuple):
                genotype = "/".join("." if a is None else str(a) for a in alleles)
        pr = _pair(data.get("PR")) if "PR" in fmt else None
        sr = _pair(data.get("SR")) if "SR" in fmt else None
        if pr is not None:
            support.append(f"PR {pr[0]},{pr[1]}")
        if sr is not None:
            support.append(f"SR {sr[0]},{sr[1]}")
        support += _numbers(data, fmt, ("DV", "RV", "RDCN"))
        if cn is not None:
            support.append(f"CN {cn}")
        if carries is None and (pr is not None or sr is not None):
            alt_reads = (pr[1] if pr else 0) + (sr[1] if sr else 0)
            if alt_reads >= MIN_SUPPORT:
                carries = True
            elif alt_reads <= ABSENT_MAX:
                carries = False
        if carries is None and cn is not None and autosome:
            # No genotype and no read counts (Canvas writes CN only): the copy number is the
            # call, 2 being the reference on an autosome.
            carries = cn != 2
        if cn is not None and svtype is not None and carries and (
                (svtype == "DEL" and cn >= 2) or (svtype == "DUP" and cn <= 2)):
            raise InputError(f"{where}sample {s}: CN {cn} contradicts the allele {alt}",
                             file=file, line=line, field="CN")
    kind = None
    if carries:
        kind = svtype or _direction(cn)
    return CopyNumberEvidence(carries, cn, genotype, ", ".join(support)), kind


def _direction(cn: int | None) -> str | None:
    """The direction a <CNV> carrier's copy number gives: below 2 a loss, above a gain; 2
    (copy-neutral, e.g. Canvas's LOH) and no copy number are neither."""
    if cn is None or cn == 2:
        return None
    return "DEL" if cn < 2 else "DUP"
