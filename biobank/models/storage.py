"""Storage models (owned by the storage area; see its issue)."""

from __future__ import annotations
