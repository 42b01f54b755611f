"""One exception tree for the library, modelled on biocommons/hgvs ``exceptions.py``.

Callers catch :class:`Men1Error` to handle everything the library raises on purpose;
anything else escaping is a bug.
"""

from __future__ import annotations


class Men1Error(Exception):
    """Base class of every error the library raises deliberately."""


class UsageError(Men1Error):
    """The caller asked for something contradictory or incomplete (CLI exit code 2)."""


class InputError(Men1Error):
    """A file cannot be read as the VCF it claims to be (CLI exit code 3).

    ``file``, ``line`` (1-based, when known) and ``field`` (a header key, a FORMAT/INFO id or a
    sample name, when known) locate the problem so the one-line message can point at it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field}")
        if where:
            return f"{', '.join(where)}: {self.message}"
        return self.message


class BuildError(InputError):
    """The genome build cannot be determined, or the header contradicts ``--build``."""


class SampleRoleError(InputError):
    """Normal/tumour roles are ambiguous, duplicated or name an absent sample."""


class OutOfReferenceError(Men1Error):
    """A coordinate or build lies outside the shipped MEN1 reference windows."""

__all__ = [
    "BuildError",
    "InputError",
    "Men1Error",
    "OutOfReferenceError",
    "SampleRoleError",
    "UsageError",
]
