"""Genotyping JSON API routes (stub until the area lands)."""

from __future__ import annotations
