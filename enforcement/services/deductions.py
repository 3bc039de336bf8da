"""Exactly-once application of approved penalties' next-year deductions."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from allocations.selectors import quota_get
from allocations.services import record_deduction

from ..models import DeductionStatus, PenaltyDeduction
from .cases import _event
from .jobs import Progress, _run_job

# --- deductions exactly once ----------------------------------------------------------------------------


def deduction_apply_waiting(*, year: int | None = None, task_id: str = "") -> int:
    """Turn approved penalties' waiting deductions into allocations deductions, once.

    Each deduction is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and applied in the same transaction
    that marks it applied; ``record_deduction`` is itself idempotent on (penalty, year, type) in the database.
    So a second or concurrent run, or a retry after a worker crash, leaves exactly one deduction. A deduction
    whose year has no effective quota for the enterprise yet keeps waiting (the year's first batch triggers
    this job again)."""
    def body(progress: Progress) -> int:
        qs = PenaltyDeduction.objects.filter(status=DeductionStatus.WAITING)
        if year is not None:
            qs = qs.filter(year=year)
        ids = list(qs.order_by("pk").values_list("pk", flat=True))
        progress.set_total(len(ids))
        applied = 0
        for pk in ids:
            with transaction.atomic():
                d = (PenaltyDeduction.objects.select_for_update(skip_locked=True, of=("self",))
                     .select_related("penalty", "enterprise").filter(pk=pk, status=DeductionStatus.WAITING).first())
                if d is None:
                    progress.step(1)
                    continue
                quota = quota_get(enterprise=d.enterprise, year=d.year, indicator_type=d.indicator_type)
                if quota.allocated + quota.adjustments <= 0:
                    progress.step(1)
                    continue  # no indicator issued for that year yet: keep waiting
                record_deduction(actor=cast(User, d.penalty.approved_by),  # an approved penalty has its approver
                                 enterprise=d.enterprise, year=d.year,
                                 indicator_type=d.indicator_type, tonnes=d.tonnes, penalty_id=d.penalty_id,
                                 reason=_("Penalty #%(id)s: %(v)s") % {"id": d.penalty_id,
                                                                        "v": d.penalty.get_violation_type_display()})
                d.status, d.applied_at = DeductionStatus.APPLIED, timezone.now()
                d.save(update_fields=["status", "applied_at"])
                _event(d.penalty.case, None, "deduction_applied", "", year=d.year, indicator_type=d.indicator_type,
                       tonnes=str(d.tonnes))
                applied += 1
                progress.step(1, 1)
        return applied

    return _run_job("apply_deductions", {"year": year}, task_id, body)
