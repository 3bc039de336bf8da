"""Job runs of the scheduled enforcement work (progress a page can poll) and the period helpers the jobs share."""

from __future__ import annotations

from django.db import DatabaseError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.models import Enterprise, LicenceStatus
from reporting.periods import period_bounds

from ..models import JobRun, JobStatus

# --- job progress --------------------------------------------------------------------------------------


class Progress:
    """Records a job run (total/done/created) in its own autocommitted rows so a page can poll it."""

    def __init__(self, job: str, params: dict | None = None, task_id: str = "", total: int = 0):
        self.run = JobRun.objects.create(job=job, params=params or {}, task_id=task_id or "", total=total)
        self.created = 0

    def set_total(self, total: int) -> None:
        JobRun.objects.filter(pk=self.run.pk).update(total=total)

    def step(self, n: int = 1, created: int = 0) -> None:
        self.created += created
        JobRun.objects.filter(pk=self.run.pk).update(done=F("done") + n, created=F("created") + created)

    def finish(self, message: str = "") -> JobRun:
        JobRun.objects.filter(pk=self.run.pk).update(status=JobStatus.DONE, finished_at=timezone.now(),
                                                      message=message)
        self.run.refresh_from_db()
        return self.run

    def fail(self, message: str) -> None:
        JobRun.objects.filter(pk=self.run.pk).update(status=JobStatus.FAILED, finished_at=timezone.now(),
                                                      message=message[:2000])


def _run_job(job: str, params: dict, task_id: str, body) -> int:
    progress = Progress(job, params, task_id)
    try:
        created = body(progress)
    except Exception as exc:
        try:
            progress.fail(repr(exc))
        except DatabaseError:  # the caller's transaction is broken; the exception below says why
            pass
        raise
    progress.finish(_("%(n)s new flag(s) or item(s).") % {"n": created})
    return created

# --- periods and expected reporters ------------------------------------------------------------------


def _expected_reporters(year: int, month: int):
    """Enterprises that must report for the month: a designated licence valid during it."""
    first, last = period_bounds(year, month)
    return Enterprise.objects.filter(
        licences__status=LicenceStatus.DESIGNATED, licences__valid_from__lte=last, licences__valid_to__gte=first
    ).distinct()
