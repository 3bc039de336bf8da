"""Reporting periods (calendar months) and their deadlines, in Beijing time. Pure: no ORM, no I/O.

The one home of the Beijing time zone, next/previous period, month bounds, the due instant of a period's report
and how that deadline is written for people. Every app above ``reporting`` (and ``reporting`` itself) uses these.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

BEIJING = ZoneInfo("Asia/Shanghai")


def next_period(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_period(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def period_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last day of the month."""
    ny, nm = next_period(year, month)
    return dt.date(year, month, 1), dt.date(ny, nm, 1) - dt.timedelta(days=1)


def period_due_at(year: int, month: int) -> dt.datetime:
    """End (24:00) of the REPORT_DUE_DAY-th of the month after (year, month), Beijing time, as an aware datetime.

    A submission at or before this instant is on time; any later one is late."""
    ny, nm = next_period(year, month)
    return dt.datetime(ny, nm, settings.REPORT_DUE_DAY, tzinfo=BEIJING) + dt.timedelta(days=1)


def due_label(due_at: dt.datetime) -> str:
    """A deadline as people say it: "2025-04-10 24:00" (Beijing time) rather than "2025-04-11 00:00"."""
    local = due_at.astimezone(BEIJING)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{(local - dt.timedelta(days=1)):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"


def period_has_ended(year: int, month: int, now: dt.datetime) -> bool:
    """True once the month is over in Beijing time (a report can only be filed for a past month)."""
    ny, nm = next_period(year, month)
    return now >= dt.datetime(ny, nm, 1, tzinfo=BEIJING)


def due_period(now: dt.datetime) -> tuple[int, int]:
    """The period whose report is due next at ``now``: last month (Beijing time)."""
    local = now.astimezone(BEIJING)
    return previous_period(local.year, local.month)
