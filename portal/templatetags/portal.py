"""Template filters other apps' templates can use: ``{% load portal %}`` then ``{{ q.used_t|tonnes }}``."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.translation import gettext

from quota_portal.formatting import DASH, as_decimal, decimal_text, money_text, tonnes_text

register = template.Library()

_decimal = as_decimal


@register.filter
def tonnes(value, places: int = 3) -> str:
    """Tonnes REO with 3 decimals and thousands separators in the active language: 12,345.678."""
    return tonnes_text(value, places)


@register.filter
def yuan(value) -> str:
    """A sum of money in yuan: 50,000."""
    return money_text(value)


@register.filter
def pct(value, places: int = 1) -> str:
    """A ratio (0.905) as a percentage (90.5 %); None → —."""
    d = _decimal(value)
    if d is None:
        return DASH
    return decimal_text(d * 100, int(places)) + "%"


@register.filter
def pct_width(value) -> str:
    """A ratio as a CSS width for progress bars, clamped to 0–100 %."""
    d = _decimal(value)
    if d is None:
        return "0%"
    return f"{max(Decimal(0), min(Decimal(100), d * 100)):.1f}%"


@register.filter
def percent_int(value) -> int:
    """A ratio as a whole percentage clamped to 0–100 (for aria-valuenow)."""
    d = _decimal(value)
    if d is None:
        return 0
    return int(max(Decimal(0), min(Decimal(100), d * 100)))


@register.filter
def usage_level(value) -> str:
    """CSS modifier for a usage ratio: '' below the warning ratio, 'warn' from it, 'bad' above 100 %."""
    d = _decimal(value)
    if d is None:
        return ""
    if d > 1:
        return "bad"
    if d >= settings.USAGE_WARNING_RATIO:
        return "warn"
    return ""


@register.filter
def timeleft(value) -> str:
    """A timedelta as "3 days 4 h 5 min left" in the active language (the page's countdown keeps it live)."""
    if value is None:
        return DASH
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return gettext("Deadline passed")
    minutes = seconds // 60
    return (gettext("{d} days {h} h {m} min left")
            .replace("{d}", str(minutes // 1440)).replace("{h}", str((minutes % 1440) // 60))
            .replace("{m}", str(minutes % 60)))


@register.filter
def person(user) -> str:
    """A person as people know them: the full name, the username only when no name was recorded."""
    if user is None or user == "":
        return DASH
    if isinstance(user, str):
        return user
    return user.get_full_name() or getattr(user, "first_name", "") or user.get_username()
