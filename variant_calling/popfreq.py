"""Population allele frequency from what an input carries, as a
:class:`~variant_calling.population.PopulationFrequency`.

Three kinds of source, merged into one answer per call (:func:`merge`):

* **gnomAD-style fields** in INFO or in a VEP ``CSQ`` annotation: point frequencies
  (``gnomAD_AF``, ``gnomADe_AF``, ``gnomADg_AF``, ``AF_popmax``, ``AF_grpmax``, ``MAX_AF``, ...),
  filtering allele frequencies (``faf95``, ``faf95_popmax``, ``fafmax_faf95_max``,
  ``gnomAD_FAF95``, ...) and allele count/number pairs (``gnomAD_AC``/``gnomAD_AN``,
  ``AC_popmax``/``AN_popmax``, ...). Where no FAF is given, one is computed from the AC/AN pair
  (:func:`~variant_calling.population.filtering_af`, the Whiffin et al. 2017 / gnomAD method).
  A caller's own ``INFO/AF``/``AC``/``AN`` describe the callset, not a population, and are
  never read.
* **Mutect2 ``POPAF``** (−log10 of the frequency in its ``--germline-resource``) and GATK 4.0's
  **``POP_AF``** (the frequency itself). Mutect2 writes them for every allele whether or not it
  was given a resource: without one, the value is only its prior for an unseen allele. So they
  count only when the header's ``##GATKCommandLine=<ID=Mutect2,...>`` names a
  ``--germline-resource``; then the value Mutect2 assigns to alleles *absent* from the resource
  (``--af-of-alleles-not-in-resource``, default 1e-6 tumour–normal, 5e-8 tumour-only, 4e-3 in
  mitochondria mode: GATK ``M2ArgumentCollection``; 1e-5 too for GATK 4.0.x tumour–normal runs,
  see :data:`GATK40_TUMOUR_NORMAL`) means "absent" (``absent=True, af=0.0``). Without a
  resource the reader notes, once per file, that POPAF was ignored.

When several sources speak, the answer keeps the largest point frequency, the largest filtering
AF, and is ``absent`` only if every source says absent; ``source`` names every field used.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, NamedTuple

from .errors import InputError
from .header import Header, command_arg, gatk_command_lines, gatk_tool_version
from .population import PopulationFrequency, filtering_af

__all__ = ["MutectRule", "from_values", "is_frequency_field", "merge", "mutect_popaf",
           "mutect_rule", "popaf_ignored_note", "unreadable_note"]

_AF = re.compile(
    r"^(?:(?:dbnsfp_)?gnomad[a-z0-9_]*?_af(?:_(?:popmax|grpmax))?"
    r"|af_popmax|popmax_af|af_grpmax|max_af|gnomad_max_af)$"
)
_FAF = re.compile(r"faf95")
_COUNT = re.compile(
    r"^(?P<prefix>(?:dbnsfp_)?gnomad[a-z0-9_]*?_)?(?P<what>ac|an)(?P<suffix>_(?:popmax|grpmax))?$"
)


def _kind(name: str) -> str | None:
    """'af', 'faf', 'ac' or 'an' for a population field name (any case), else None."""
    n = name.rsplit("/", 1)[-1].lower()
    if _FAF.search(n):
        return "faf"
    if _AF.match(n):
        return "af"
    m = _COUNT.match(n)
    if m and (m.group("prefix") or m.group("suffix")):
        return m.group("what")
    return None


def is_frequency_field(name: str) -> bool:
    return _kind(name) is not None


def _partner(ac_name: str) -> str:
    """``INFO/gnomAD_AC`` -> ``INFO/gnomAD_AN``, ``INFO/AC_popmax`` -> ``INFO/AN_popmax``."""
    head, _, tail = ac_name.rpartition("/")
    m = _COUNT.match(tail.lower())
    assert m is not None
    s, e = m.span("what")
    an = "AN" if tail[s].isupper() else "an"
    return f"{head}/{tail[:s]}{an}{tail[e:]}" if head else f"{tail[:s]}{an}{tail[e:]}"


def from_values(
    values: dict[str, float], file: str, line: int | None
) -> PopulationFrequency | None:
    """One frequency from the population fields among ``values`` ("INFO/name" -> value)."""
    afs: dict[str, float] = {}
    fafs: dict[str, float] = {}
    pairs: list[tuple[str, str, int, int]] = []  # (AC field, AN field, AC, AN)
    for name, v in values.items():
        kind = _kind(name)
        if kind in ("af", "faf") and not 0.0 <= v <= 1.0:
            raise InputError(f"{name}={v} is not a frequency between 0 and 1", file=file,
                             line=line, field=name.rsplit("/", 1)[-1])
        if kind == "af":
            afs[name] = v
        elif kind == "faf":
            fafs[name] = v
        elif kind == "ac":
            an_name = _partner(name)
            an_value = values.get(an_name)
            if an_value is not None and an_value > 0 and 0 <= v <= an_value:
                pairs.append((name, an_name, int(v), int(an_value)))
    if not (afs or fafs or pairs):
        return None
    used: list[str] = []
    # The pair with the highest frequency: the one benign evidence must answer to.
    pair = max(pairs, key=lambda p: p[2] / p[3]) if pairs else None
    faf: float | None = None
    if fafs:
        key = max(fafs, key=lambda k: fafs[k])
        faf = fafs[key]
        used.append(key)
    elif pair is not None:
        faf = max(filtering_af(ac, an) for _, _, ac, an in pairs)
        used += [pair[0], pair[1]]
    if afs:
        key = max(afs, key=lambda k: afs[k])
        af = afs[key]
        used.append(key)
    elif pair is not None:
        af = pair[2] / pair[3]
        used += [x for x in pair[:2] if x not in used]
    else:
        af = faf or 0.0  # only a filtering AF was given: the best estimate there is
    absent = af == 0.0 and not faf and all(ac == 0 for _, _, ac, _ in pairs)
    return PopulationFrequency(
        af, ",".join(used), absent, faf,
        None if pair is None else pair[2], None if pair is None else pair[3],
    )


def info_values(rec: Any, h: Header, alt_index: int,
                unreadable: list[str] | None = None) -> dict[str, float]:
    """The numeric INFO population fields of this ALT ("INFO/name" -> value). A value that is
    text but not a number (an undeclared field arrives as text) is left out and described in
    ``unreadable``."""
    out: dict[str, float] = {}
    for key in rec.info:
        if not is_frequency_field(key):
            continue
        raw = _per_allele(rec, key, alt_index)
        f = _number(raw)
        if f is not None:
            out[f"INFO/{key}"] = f
        elif unreadable is not None:
            _note_unreadable(unreadable, h, key, raw)
    return out


def _note_unreadable(unreadable: list[str], h: Header, key: str, raw: Any) -> None:
    if isinstance(raw, str) and raw.strip() not in ("", "."):
        declared = "" if key in h.infos else f" (INFO {key} is not declared in the header)"
        unreadable.append(f"INFO/{key}={raw!r} is not a number{declared}")


def _per_allele(rec: Any, key: str, alt_index: int) -> Any:
    try:
        v = rec.info.get(key)
    except (ValueError, TypeError):
        return None
    if isinstance(v, str) and "," in v:  # an undeclared field arrives as text
        v = tuple(v.split(","))
    if isinstance(v, tuple):
        if len(v) == len(rec.alleles) - 1:
            return v[alt_index - 1]
        return v[0] if v else None
    return v


def _number(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


# --- Mutect2 ----------------------------------------------------------------------------------
class MutectRule(NamedTuple):
    """How to read one file's POPAF / POP_AF."""

    resource: str | None  # the --germline-resource; None = not named, the values mean nothing
    absent_af: float  # the frequency Mutect2 assigns to an allele absent from the resource
    #: Other values that mean "absent" for this run's GATK version (see GATK40_TUMOUR_NORMAL).
    also_absent: tuple[float, ...] = ()


DEFAULT_ABSENT_AF = {"tumour-normal": 1e-6, "tumour-only": 5e-8, "mitochondria": 4e-3}
#: GATK 4.0.x tumour-normal runs with the default (-1) wrote 1e-5 for alleles absent from the
#: resource: the real GATK 4.0.5.2 tumour-normal file in tests/data/vcf (bioinform/somaticseq)
#: carries POP_AF=1.000e-05 on every record, where 4.1+ writes 1e-6 (POPAF=6.00). Read as a
#: frequency, 1e-5 is three times MEN1's maximum credible AF: BS1 on a novel null variant.
GATK40_TUMOUR_NORMAL = 1e-5


def mutect_rule(h: Header) -> MutectRule:
    lines = gatk_command_lines(h, "Mutect2")
    resources = [command_arg(cl, "--germline-resource") for cl in lines]
    if not lines or any(r is None for r in resources):
        return MutectRule(None, DEFAULT_ABSENT_AF["tumour-normal"])
    cl = lines[0]
    given = command_arg(cl, "--af-of-alleles-not-in-resource", "-default-af")
    value = _number(given)
    if value is not None and value >= 0:
        absent = value
    elif (command_arg(cl, "--mitochondria-mode") or "false").lower() == "true":
        absent = DEFAULT_ABSENT_AF["mitochondria"]
    elif h.meta_values("normal_sample") or command_arg(cl, "--normal-sample", "-normal"):
        absent = DEFAULT_ABSENT_AF["tumour-normal"]
        if (gatk_tool_version(h, "Mutect2") or "").startswith("4.0."):
            # Which 4.0.x release moved 1e-5 to 1e-6 is not recorded: take either as absent.
            return MutectRule(os.path.basename(str(resources[0])), absent,
                              (GATK40_TUMOUR_NORMAL,))
    else:
        absent = DEFAULT_ABSENT_AF["tumour-only"]
    return MutectRule(os.path.basename(str(resources[0])), absent)


def mutect_popaf(rec: Any, h: Header, alt_index: int, rule: MutectRule,
                 file: str, line: int | None, unreadable: list[str] | None = None
                 ) -> tuple[PopulationFrequency | None, str | None]:
    """(the frequency, the field's name when it was present but is not evidence); a value
    that is not a number is described in ``unreadable``."""
    for key, log in (("POPAF", True), ("POP_AF", False)):
        if key not in rec.info:
            continue
        raw = _per_allele(rec, key, alt_index)
        v = _number(raw)
        if v is None:
            if unreadable is not None:
                _note_unreadable(unreadable, h, key, raw)
            continue
        if rule.resource is None:
            return None, key
        af = 10 ** (-v) if log else v
        if not 0.0 <= af <= 1.0:
            raise InputError(f"INFO/{key}={v} is not a population frequency", file=file,
                             line=line, field=key)
        defaults = (rule.absent_af, *rule.also_absent)
        if log:  # written with 2 decimals
            absent = any(abs(v + math.log10(d)) < 0.006 for d in defaults if d > 0)
        else:
            absent = any(math.isclose(af, d, rel_tol=0.01) for d in defaults)
        shown = f"{v:.2f}" if log else f"{v:.3g}"
        what = "absent from" if absent else "in"
        return PopulationFrequency(
            0.0 if absent else af, f"INFO/{key}={shown} ({what} {rule.resource})", absent
        ), None
    return None, None


def unreadable_note(file: str, where: str, unreadable: list[str]) -> str:
    """The warning for population values that could not be read: the field is then no
    evidence (PM2/OP4 not assessed from it), and the pathologist is told why."""
    return (f"{file}: {where}: {'; '.join(unreadable)}: population frequency not read from "
            f"{'it' if len(unreadable) == 1 else 'them'}")


def popaf_ignored_note(file: str, key: str) -> str:
    return (f"{file}: {key} ignored: no --germline-resource in ##GATKCommandLine (without one, "
            "Mutect2 writes the same prior for every allele; population frequency not assessed)")


def merge(found: list[PopulationFrequency]) -> PopulationFrequency | None:
    """One answer from several sources: the largest point and filtering frequencies, absent only
    when every source says absent, every source named."""
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    best = max(found, key=lambda f: f.af)
    fafs = [f for f in found if f.faf95 is not None]
    faf = max(fafs, key=lambda f: f.faf95 or 0.0) if fafs else None
    return PopulationFrequency(
        best.af,
        "; ".join(dict.fromkeys(f.source for f in found)),
        all(f.absent for f in found),
        None if faf is None else faf.faf95,
        (faf or best).ac,
        (faf or best).an,
    )
