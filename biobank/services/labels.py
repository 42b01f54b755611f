"""Labels: the rules and state changes of this area (stub until the area lands)."""

from __future__ import annotations
