"""How the portal writes numbers, money and times for people, in the active language — one way everywhere.

Used by the template filters (``{% load portal %}``) and by the texts the apps compose (flag evidence, messages),
which is why it lives in the project package below every app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.signals import setting_changed
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language

DASH = "—"
_SEPARATORS: dict[str | None, tuple[str, str] | None] = {}
_ZERO = Decimal(0)
_CUTOFFS = {p: Decimal("0." + "1".rjust(p, "0")) for p in range(8)}  # as django.utils.numberformat.format


def _separators() -> tuple[str, str] | None:
    """(decimal separator, thousand separator) of the active language when it groups by threes (what the fast
    path below writes), else None (Django's general formatter is used). Read once per language."""
    lang = get_language()
    try:
        return _SEPARATORS[lang]
    except KeyError:
        grouping = formats.get_format("NUMBER_GROUPING", lang, use_l10n=True)
        seps = (str(formats.get_format("DECIMAL_SEPARATOR", lang, use_l10n=True)),
                str(formats.get_format("THOUSAND_SEPARATOR", lang, use_l10n=True))) if grouping == 3 else None
        _SEPARATORS[lang] = seps
        return seps


def _forget_separators(**_kwargs) -> None:
    _SEPARATORS.clear()


setting_changed.connect(_forget_separators, dispatch_uid="quota_portal.formatting.separators")


def decimal_text(d: Decimal, places: int) -> str:
    """``formats.number_format(d, places, use_l10n=True, force_grouping=True)`` — the same text (digits beyond the
    places cut, not rounded; a value too small to show written as zero) — without its per-call look-ups: the
    dashboards write hundreds of figures per page."""
    return _decimal_text(d, places, _separators())


def _decimal_text(d: Decimal, places: int, seps: tuple[str, str] | None) -> str:
    if seps is None or not d.is_finite() or places < 0:
        return formats.number_format(d, places, use_l10n=True, force_grouping=True)
    _sign, digits, exponent = d.as_tuple()
    if abs(int(exponent)) + len(digits) > 200:  # Django's scientific notation
        return formats.number_format(d, places, use_l10n=True, force_grouping=True)
    if abs(d) < (_CUTOFFS.get(places) or Decimal("0." + "1".rjust(places, "0"))):
        d = _ZERO
    text = f"{d:f}"
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    int_part, _dot, dec_part = text.partition(".")
    grouped = f"{int(int_part):,}"
    if seps[1] != ",":
        grouped = grouped.replace(",", seps[1])
    if not places:
        return sign + grouped
    dec_part = dec_part[:places]
    return sign + grouped + seps[0] + dec_part + "0" * (places - len(dec_part))


def tonnes_formatter(places: int = 3) -> Callable[[object], str]:
    """``tonnes_text`` for many values in the language active now (looked up once, not once per value): what a
    view uses to write a table's figures before the template shows them."""
    seps = _separators()

    def fmt(value) -> str:
        d = as_decimal(value)
        return DASH if d is None else _decimal_text(d, places, seps)

    return fmt


def percent_formatter(places: int = 1) -> Callable[[object], str]:
    """A ratio (0.905) as a percentage (90.5%; None → —), like the ``pct`` filter, for many values at once."""
    seps = _separators()

    def fmt(value) -> str:
        d = as_decimal(value)
        return DASH if d is None else _decimal_text(d * 100, places, seps) + "%"

    return fmt


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
    return decimal_text(d, int(places))


def money_text(value) -> str:
    """A sum of money in yuan with thousands separators and no decimals unless it has fen: 50,000 / 1,234.50."""
    d = as_decimal(value)
    if d is None:
        return DASH
    places = 0 if d == d.to_integral_value() else 2
    return decimal_text(d, places)


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
