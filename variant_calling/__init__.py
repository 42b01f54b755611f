"""MEN1 genotyping engine: read VCFs, name variants, decide origin and pathogenicity.

Public API::

    from variant_calling import classify, InputFile
    result = classify([InputFile("pair.vcf.gz")])   # the ``men1 classify`` JSON object
"""

from __future__ import annotations

__version__ = "0.1.0"

from .engine import InputFile, classify
from .errors import (
    BuildError,
    InputError,
    Men1Error,
    OutOfReferenceError,
    SampleRoleError,
    UsageError,
)
from .normalize import normalize
from .origin import Origin, decide
from .reader import Call, HeaderSummary, SampleEvidence, VcfData, read_header, read_vcf
from .reference import sequence
from .rules import DEFAULT_RULES, Rules

__all__ = [
    "DEFAULT_RULES",
    "BuildError",
    "Call",
    "HeaderSummary",
    "InputError",
    "InputFile",
    "Men1Error",
    "Origin",
    "OutOfReferenceError",
    "Rules",
    "SampleEvidence",
    "SampleRoleError",
    "UsageError",
    "VcfData",
    "__version__",
    "classify",
    "decide",
    "normalize",
    "read_header",
    "read_vcf",
    "sequence",
]
