"""Per-caller layouts: how each variant caller is recognised, which samples its header says are
the normal and the tumour, where it keeps read counts, and what it says about a call.

Each caller is one :class:`Caller` row in :data:`CALLERS` (defined in the modules of this package,
one per family). Adding a caller is adding a row: a detection predicate over the header, and,
where it differs from the generic, its count layouts (:mod:`.evidence`), header roles and
verdicts. :func:`detect` takes the first row whose predicate holds; a file no row recognises is
read as ``generic``, whose layouts try every known encoding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ..header import Header, declared_roles
from .evidence import GENERIC, Layout

__all__ = ["CALLERS", "Caller", "detect", "header_roles", "verdicts"]

_VARSCAN_SS = {"0": "reference", "1": "germline", "2": "somatic", "3": "LOH", "5": "unknown"}


def default_verdicts(rec: Any, caller: str, samples: list[str]) -> list[str]:
    """The caller's own statements about a record: somatic flags, normal genotype, status."""
    out: list[str] = []
    info = rec.info
    if "SOMATIC" in info and info.get("SOMATIC"):
        out.append(f"{caller}:SOMATIC")
    for key in ("NT", "SGT", "STATUS"):
        if key in info:
            out.append(f"{caller}:{key}={info.get(key)}")
    if "SS" in info:
        ss = str(info.get("SS"))
        out.append(f"{caller}:SS={ss}({_VARSCAN_SS.get(ss, '?')})")
    if "SS" in rec.format:
        for s in samples:
            v = rec.samples[s].get("SS")
            if v is not None:
                out.append(f"{caller}:{s}:SS={v}")
    return out


def filters_too(rec: Any, caller: str, samples: list[str]) -> list[str]:
    """Mutect's verdicts are its FILTER values (``germline``, ``normal_artifact``, ...)."""
    return default_verdicts(rec, caller, samples) + [
        f"{caller}:{f}" for f in rec.filter if f != "PASS"
    ]


class Caller(NamedTuple):
    name: str
    #: True when the header is this caller's (checked in :data:`CALLERS` order).
    detect: Callable[[Header], bool]
    #: Count layouts tried first; the generic ones follow (real files are untidy).
    layouts: tuple[Layout, ...] = ()
    #: Sample -> role from the header, beyond what every caller shares (see header_roles).
    roles: Callable[[Header], dict[str, str]] | None = None
    verdicts: Callable[[Any, str, list[str]], list[str]] = default_verdicts

    @property
    def all_layouts(self) -> tuple[Layout, ...]:
        return self.layouts + tuple(x for x in GENERIC if x not in self.layouts)


GENERIC_CALLER = Caller("generic", lambda h: True)


def _rows() -> tuple[Caller, ...]:
    from . import germline, mutect, somatic, structural

    return (*mutect.CALLERS, *somatic.CALLERS, *germline.CALLERS, *structural.CALLERS)


CALLERS: tuple[Caller, ...] = _rows()


def detect(h: Header) -> Caller:
    return next((c for c in CALLERS if c.detect(h)), GENERIC_CALLER)


_ROLE_NAMES = {"normal": "normal", "tumor": "tumor", "tumour": "tumor"}


def header_roles(h: Header, caller: Caller) -> dict[str, str]:
    """Sample -> role from the header alone: roles the header declares (``##normal_sample``,
    ``##SAMPLE``), then the caller's own conventions, then columns named NORMAL / TUMOR.
    Column position alone never decides (callers disagree on column order)."""
    roles = {s: role for s, (role, _) in declared_roles(h).items()}
    if caller.roles is not None:
        for s, role in caller.roles(h).items():
            roles.setdefault(s, role)
    for s in h.samples:
        r = _ROLE_NAMES.get(s.lower())
        if r and s not in roles:
            roles[s] = r
    return roles


def verdicts(rec: Any, caller: Caller, samples: list[str]) -> tuple[str, ...]:
    return tuple(caller.verdicts(rec, caller.name, samples))
