"""Shipment models (owned by the shipment area; see its issue)."""

from __future__ import annotations
