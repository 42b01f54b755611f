"""MEN1 genotyping engine: read VCFs, name variants, decide origin and pathogenicity."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import InputError, Men1Error, OutOfReferenceError, UsageError
from .reference import sequence

__all__ = [
    "InputError",
    "Men1Error",
    "OutOfReferenceError",
    "UsageError",
    "__version__",
    "sequence",
]
