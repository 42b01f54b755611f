"""Genotyping pages (stub until the area lands)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("genotyping", __name__, url_prefix="/genotyping")
