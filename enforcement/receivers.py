"""Receivers of the lower apps' events (``reporting.signals``, ``allocations.signals``).

The events are sent inside the transaction that made the change, so each receiver records its follow-up work as
outbox rows in that same transaction: the report's acceptance and the scan it triggers commit (or roll back)
together, and the outbox publishes the tasks to Celery only after the commit. Receivers only enqueue; the work
itself runs in ``enforcement.tasks``. They are connected in ``EnforcementConfig.ready()``.
"""

from __future__ import annotations

from django.utils import timezone

from allocations.models import IssuanceBatch
from allocations.signals import batch_issued
from organizations.outbox import enqueue
from reporting.models import MonthlyReport
from reporting.signals import report_accepted, report_submitted

from .services.scans import late_scan_periods


def on_report_accepted(sender, report: MonthlyReport, **kwargs) -> None:
    """A county accepted a report: scan that enterprise's usage and reconcile the period's flows."""
    enqueue("enforcement.tasks.scan_quota_usage", {"year": report.year, "enterprise_ids": [report.enterprise_id]},
            dedup_key=f"scan:{report.year}:e{report.enterprise_id}")
    enqueue("enforcement.tasks.reconcile_flows", {"year": report.year, "month": report.month},
            dedup_key=f"reconcile:{report.year}-{report.month:02d}")


def on_report_submitted(sender, report: MonthlyReport, **kwargs) -> None:
    """A late submission raises its ``late`` flag without waiting for the night — when the late-report scan looks
    at its month at all: it looks back a few months, so the late filing of an older month is flagged neither by a
    scan run now nor by any later night, and a scan (a second transaction and a broker round trip after this one
    commits) would change nothing for it. An on-time submission queues nothing."""
    if getattr(report, "late", False) and (report.year, report.month) in late_scan_periods(timezone.now()):
        enqueue("enforcement.tasks.flag_late_reports", {}, dedup_key="flag_late_reports")


def on_batch_issued(sender, batch: IssuanceBatch, **kwargs) -> None:
    """A batch was issued: waiting next-year deductions of that year may now apply."""
    enqueue("enforcement.tasks.apply_deductions", {"year": batch.year}, dedup_key=f"deductions:{batch.year}")


def connect() -> None:
    report_accepted.connect(on_report_accepted, dispatch_uid="enforcement.report_accepted")
    report_submitted.connect(on_report_submitted, dispatch_uid="enforcement.report_submitted")
    batch_issued.connect(on_batch_issued, dispatch_uid="enforcement.batch_issued")
