"""Which sample of each input is the normal and which the tumour.

Roles come from the user (``--normal``/``--tumor`` files, ``--normal-sample``/``--tumor-sample``)
or from the header (``##normal_sample=``/``##tumor_sample=``, a caller's fixed names), never from
column position alone: callers disagree on column order (docs/men1-facts.md fact 6).
"""

from __future__ import annotations

from .errors import SampleRoleError, UsageError
from .reader import VcfData

__all__ = ["Source", "assign_roles"]


class Source:
    __slots__ = ("data", "normal", "tumor")

    def __init__(self, data: VcfData) -> None:
        self.data = data
        self.normal: str | None = None
        self.tumor: str | None = None



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

