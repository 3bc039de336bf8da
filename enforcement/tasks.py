"""Celery tasks: thin wrappers around enforcement.services. Each is idempotent and safe to retry or to run
twice at once (flags have a natural unique key, deductions are claimed with SKIP LOCKED and unique in the
database). Scheduled by django-celery-beat (rows created by migration 0003; editable in the admin)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from reporting.annual import annual_reminders_send
from reporting.corrections import review_reminders_send

from . import services
from .flag_totals import flag_totals_compact


def _now(now: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(now) if now else None


def _year(year: int | None) -> int:
    return int(year) if year else timezone.localdate().year


@shared_task(name="enforcement.tasks.send_deadline_reminders", bind=True, acks_late=True)
def send_deadline_reminders(self, now: str | None = None) -> int:
    return services.reminder_send_deadlines(now=_now(now), task_id=self.request.id or "")


@shared_task(name="enforcement.tasks.remind_returned_reports", bind=True, acks_late=True)
def remind_returned_reports(self, now: str | None = None) -> int:
    return services.reminder_send_returned(now=_now(now), task_id=self.request.id or "")


@shared_task(name="enforcement.tasks.flag_late_reports", bind=True, acks_late=True)
def flag_late_reports(self, now: str | None = None) -> int:
    return services.flag_scan_late_reports(now=_now(now), task_id=self.request.id or "")


@shared_task(name="enforcement.tasks.scan_quota_usage", bind=True, acks_late=True)
def scan_quota_usage(self, year: int | None = None, enterprise_ids: list[int] | None = None) -> int:
    return services.flag_scan_quota_usage(year=_year(year), enterprise_ids=enterprise_ids,
                                          task_id=self.request.id or "")


@shared_task(name="enforcement.tasks.reconcile_flows", bind=True, acks_late=True)
def reconcile_flows(self, year: int | None = None, month: int | None = None) -> int:
    if year is None:
        # nightly: the whole year of last month (so January reconciles December too)
        today = timezone.localdate()
        year = today.year - 1 if today.month == 1 else today.year
    return services.flag_scan_flows(year=int(year), month=month, task_id=self.request.id or "")


@shared_task(name="enforcement.tasks.apply_deductions", bind=True, acks_late=True)
def apply_deductions(self, year: int | None = None) -> int:
    return services.deduction_apply_waiting(year=year, task_id=self.request.id or "")


@shared_task(name="enforcement.tasks.reverse_deductions", bind=True, acks_late=True)
def reverse_deductions(self) -> int:
    """Reverse the applied deductions of penalties annulled on review (exactly once)."""
    return services.deduction_reverse_annulled(task_id=self.request.id or "")


@shared_task(name="enforcement.tasks.send_procedure_reminders", bind=True, acks_late=True)
def send_procedure_reminders(self) -> int:
    """Daily: overdue fines, overdue county reviews (working days), annual reports due, missing or late."""
    return (services.payment_reminders_send() + review_reminders_send() + annual_reminders_send()
            + services.flag_scan_annual_reports())


@shared_task(name="enforcement.tasks.flag_totals_compact", ignore_result=True)
def fold_flag_totals() -> int:
    """Fold the delta rows of the trigger-kept flag counts (enforcement.flag_totals)."""
    return flag_totals_compact()
