"""Genotyping models (owned by the genotyping area; see its issue)."""

from __future__ import annotations
