"""Deadline and returned-report reminders."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.notifications import notify
from reporting import models as rm
from reporting.periods import BEIJING, period_due_at, previous_period

from .jobs import Progress, _expected_reporters, _run_job

# --- reminders ---------------------------------------------------------------------------------------------


def reminder_send_deadlines(*, now: dt.datetime | None = None, task_id: str = "") -> int:
    """From REMINDER_FROM_DAY until the due instant: remind every expected reporter without a submitted report
    for last month (inbox + e-mail), once per enterprise and period."""
    now = now or timezone.now()
    local = now.astimezone(BEIJING)
    y, m = previous_period(local.year, local.month)
    due = period_due_at(y, m)

    def body(progress: Progress) -> int:
        if local.day < settings.REMINDER_FROM_DAY or now >= due:
            return 0
        submitted = rm.MonthlyReport.objects.filter(year=y, month=m, submitted_at__isnull=False).values(
            "enterprise_id")
        ents = list(_expected_reporters(y, m).exclude(pk__in=submitted).order_by("pk"))
        progress.set_total(len(ents))
        sent = 0
        deadline = due.astimezone(BEIJING) - dt.timedelta(seconds=1)
        for ent in ents:
            subject = _("Reminder: the monthly report for %(period)s is due by %(deadline)s") % {
                "period": f"{y}-{m:02d}", "deadline": deadline.strftime("%Y-%m-%d %H:%M")}
            created = notify(kind="deadline_reminder", subject=subject,
                             body=_("No report for %(period)s has been submitted yet.") % {"period": f"{y}-{m:02d}"},
                             orgs=[ent], dedup_key=f"reminder:{y}-{m:02d}:e{ent.pk}")
            sent += 1 if created else 0
            progress.step(1, 1 if created else 0)
        return sent

    return _run_job("send_deadline_reminders", {"now": now.isoformat()}, task_id, body)


def reminder_send_returned(*, now: dt.datetime | None = None, days: int = 3, task_id: str = "") -> int:
    """A returned report still not resubmitted after ``days`` days: remind the enterprise (once per report)."""
    now = now or timezone.now()

    def body(progress: Progress) -> int:
        reports = list(
            rm.MonthlyReport.objects.filter(status=rm.ReportStatus.RETURNED, is_current=True,
                                            reviewed_at__lte=now - dt.timedelta(days=days))
            .select_related("enterprise").order_by("pk")
        )
        progress.set_total(len(reports))
        sent = 0
        for rep in reports:
            created = notify(
                kind="returned_reminder",
                subject=_("The returned report %(period)s has not been resubmitted") % {"period": rep.period},
                body=rep.review_comment, orgs=[rep.enterprise], dedup_key=f"returned:{rep.pk}")
            sent += 1 if created else 0
            progress.step(1, 1 if created else 0)
        return sent

    return _run_job("remind_returned_reports", {"now": now.isoformat()}, task_id, body)
