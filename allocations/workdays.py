"""Working days on the Chinese official calendar (public holidays and adjusted working weekends, 调休).

Uses the maintained ``chinesecalendar`` library. It only knows the years the State Council has published; for a
later year it raises NotImplementedError, and we fall back to counting Monday–Friday and say so (``estimated``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar


@dataclass(frozen=True)
class DueDate:
    date: dt.date
    estimated: bool  # True when a year without official calendar data was counted Monday–Friday


def is_working_day(day: dt.date) -> tuple[bool, bool]:
    """(is a working day, estimated) — estimated when the calendar has no data for the year."""
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        return day.weekday() < 5, True


def add_working_days(start: dt.date, days: int) -> DueDate:
    """The date of the ``days``-th working day after ``start`` (the issue day itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current, counted, estimated = start, 0, False
    while counted < days:
        current += dt.timedelta(days=1)
        working, guessed = is_working_day(current)
        estimated = estimated or guessed
        if working:
            counted += 1
    return DueDate(current, estimated)
