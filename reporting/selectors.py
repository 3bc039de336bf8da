"""Reads on monthly reports: scoped querysets, deadlines, roll-ups. Set-based (no per-row queries)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

BEIJING = ZoneInfo("Asia/Shanghai")


def next_period(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_period(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def period_due_at(year: int, month: int) -> dt.datetime:
    """End (24:00) of the REPORT_DUE_DAY-th of the month after (year, month), Beijing time, as an aware datetime.

    A submission at or before this instant is on time; any later one is late."""
    ny, nm = next_period(year, month)
    return dt.datetime(ny, nm, settings.REPORT_DUE_DAY, tzinfo=BEIJING) + dt.timedelta(days=1)
