"""The one exception tree of the labels library.

Every error a caller can act on derives from :class:`LabelError`; each carries a stable
``code`` word for programs and a one-line ``message`` for people. :class:`labels.ids.IdError`
stays a plain ``ValueError`` because the ID scheme predates this tree and is shared with
scanning code that must not depend on label rendering.
"""

from __future__ import annotations

__all__ = ["EncodeError", "LabelError", "LayoutError", "PrinterError", "SpecError"]


class LabelError(Exception):
    """Base of every error raised by :mod:`labels` (except :class:`labels.ids.IdError`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SpecError(LabelError, ValueError):
    """A label's fields are invalid, unknown, or look like personal data."""


class EncodeError(LabelError, ValueError):
    """The data cannot be encoded in the requested symbology or output."""


class LayoutError(LabelError, ValueError):
    """The content cannot be laid out on the requested label stock."""


class PrinterError(LabelError, OSError):
    """A printer could not be reached, or did not accept the whole job in time."""
