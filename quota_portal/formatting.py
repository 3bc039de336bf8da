"""How the portal writes numbers, money and times for people, in the active language — one way everywhere.

Used by the template filters (``{% load portal %}``) and by the texts the apps compose (flag evidence, messages),
which is why it lives in the project package below every app."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime

DASH = "—"


def as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def tonnes_text(value, places: int = 3) -> str:
    """Tonnes REO with 3 decimals and thousands separators in the active language: 12,345.678 (never float noise:
    the value goes through Decimal(str(value)) and is rounded to the places)."""
    d = as_decimal(value)
    if d is None:
        return DASH
    return formats.number_format(d, int(places), use_l10n=True, force_grouping=True)


def money_text(value) -> str:
    """A sum of money in yuan with thousands separators and no decimals unless it has fen: 50,000 / 1,234.50."""
    d = as_decimal(value)
    if d is None:
        return DASH
    places = 0 if d == d.to_integral_value() else 2
    return formats.number_format(d, places, use_l10n=True, force_grouping=True)


def datetime_text(value) -> str:
    """A moment (datetime or ISO 8601 string) as Beijing local time "2026-11-10 23:59"; anything else unchanged."""
    moment = value
    if isinstance(value, str):
        moment = parse_datetime(value)
        if moment is None:
            return value
    if isinstance(moment, dt.datetime):
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(moment, dt.date):
        return moment.isoformat()
    return str(value)
