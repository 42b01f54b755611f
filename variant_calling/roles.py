"""Which sample of each input is the normal and which the tumour.

Roles come from the user (``--normal``/``--tumor`` files, ``--normal-sample``/``--tumor-sample``)
or from the header (``##normal_sample=``/``##tumor_sample=``, a caller's fixed names), never from
column position alone: callers disagree on column order (Strelka and VarScan write NORMAL first,
MuSE and VarDict the tumour first, Mutect2 any order).
"""

from __future__ import annotations

from .errors import SampleRoleError, UsageError
from .records import VcfData

__all__ = ["Source", "assign_roles"]


class Source:
    __slots__ = ("data", "normal", "tumor")

    def __init__(self, data: VcfData) -> None:
        self.data = data
        self.normal: str | None = None
        self.tumor: str | None = None


def _check_declared(sources: list[Source], named: dict[str, str | None]) -> None:
    """A sample the user names for a role must not contradict a role the header declares."""
    for src in sources:
        d = src.data
        for role, name in named.items():
            if name is None or name not in d.samples:
                continue
            flag = f"--{role}-sample"
            said = d.declared_roles.get(name)
            # field = the header key (not the sample name: the sample is in the file).
            if said is not None and said[0] != role:
                raise SampleRoleError(
                    f"{flag} {name} contradicts the header, which declares {said[1]}",
                    file=d.path,
                    field=_key(said[1]),
                )
            other = next(
                (line for s, (r, line) in d.declared_roles.items() if r == role and s != name),
                None,
            )
            if other is not None:
                raise SampleRoleError(
                    f"{flag} {name} contradicts the header, which declares {other}",
                    file=d.path,
                    field=_key(other),
                )


def _key(header_line: str) -> str:
    """``##normal_sample=X`` -> ``normal_sample``; ``##SAMPLE=<...>`` -> ``SAMPLE``."""
    return header_line[2:].split("=", 1)[0]


def assign_roles(
    sources: list[Source],
    roles: list[str | None],
    normal_sample: str | None,
    tumor_sample: str | None,
    warnings: list[str],
) -> None:
    for wanted, flag in ((normal_sample, "--normal-sample"), (tumor_sample, "--tumor-sample")):
        if wanted is not None and not any(wanted in s.data.samples for s in sources):
            found = "; ".join(f"{s.data.path}: {', '.join(s.data.samples) or '(none)'}"
                              for s in sources)
            raise SampleRoleError(f"{flag} {wanted!r} is not a sample in the input ({found})",
                                  field=wanted)
    if normal_sample is not None and normal_sample == tumor_sample:
        raise UsageError("--normal-sample and --tumor-sample name the same sample")
    _check_declared(sources, {"normal": normal_sample, "tumor": tumor_sample})
    for src, role in zip(sources, roles, strict=True):
        d = src.data
        if not d.samples:
            raise SampleRoleError("the file has no samples (no genotype columns)", file=d.path)
        if role is not None:
            named = normal_sample if role == "normal" else tumor_sample
            if named is not None and named in d.samples:
                chosen = named
            elif len(d.samples) == 1:
                chosen = d.samples[0]
            else:
                by_header = [s for s, r in d.header_roles.items() if r == role]
                if len(by_header) != 1:
                    raise SampleRoleError(
                        f"given as --{role} but it has {len(d.samples)} samples "
                        f"({', '.join(d.samples)}): name one with --{role}-sample",
                        file=d.path,
                    )
                chosen = by_header[0]
            setattr(src, role, chosen)
            continue
        assigned = dict(d.header_roles)
        for name, r in ((normal_sample, "normal"), (tumor_sample, "tumor")):
            if name is not None and name in d.samples:
                assigned = {s: rr for s, rr in assigned.items() if rr != r and s != name}
                assigned[name] = r
        by_role: dict[str, list[str]] = {}
        for s, r in assigned.items():
            by_role.setdefault(r, []).append(s)
        for r, names in by_role.items():
            if len(names) > 1:
                raise SampleRoleError(
                    f"more than one {r} sample ({', '.join(names)}): name one with "
                    f"--{r}-sample",
                    file=d.path,
                )
        src.normal = by_role.get("normal", [None])[0]
        src.tumor = by_role.get("tumor", [None])[0]
        if src.normal is None and src.tumor is None:
            raise SampleRoleError(
                f"cannot tell which sample is normal or tumour (samples: "
                f"{', '.join(d.samples)}): give the file with --normal/--tumor, or name the "
                "samples with --normal-sample/--tumor-sample",
                file=d.path,
            )
        ignored = [s for s in d.samples if s not in (src.normal, src.tumor)]
        if ignored:
            warnings.append(f"{d.path}: samples without a role ignored: {', '.join(ignored)}")

