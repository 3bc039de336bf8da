"""Parsing of query parameters shared by the pages."""

from __future__ import annotations

from .quantities import YEAR_MAX, YEAR_MIN


def int_or_none(value):
    """``?page=3`` → 3; anything that is not an integer → None (the page then ignores the filter)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def year_param(value, default: int) -> int:
    """``?year=2025`` → 2025; missing, not an integer or outside YEAR_MIN–YEAR_MAX → ``default``."""
    if value is None or value == "":
        return default
    year = int_or_none(value)
    return year if year is not None and YEAR_MIN <= year <= YEAR_MAX else default
