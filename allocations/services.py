"""Writes of the allocations app: keyword-only functions, one transaction each, permission-checked and audited."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from organizations.audit import audit_record
from organizations.models import Enterprise, IndicatorType
from quota_portal.errors import DomainValidationError

from .models import Deduction, QuotaUsage

log = logging.getLogger(__name__)

Q3 = Decimal("0.001")


def _check_type(indicator_type: str, field: str = "indicator_type") -> None:
    if indicator_type not in IndicatorType.values:
        raise DomainValidationError(errors={field: [_("Unknown indicator type “%(t)s”.") % {"t": indicator_type}]})


def _tonnes(value, field: str, *, positive: bool = True, allow_negative: bool = False) -> Decimal:
    try:
        d = Decimal(str(value))
    except Exception:
        raise DomainValidationError(errors={field: [_("Enter a number of tonnes.")]})
    if not d.is_finite() or d != d.quantize(Q3) or abs(d) >= Decimal("1e11"):
        raise DomainValidationError(errors={field: [_("Enter tonnes with at most 3 decimal places.")]})
    if allow_negative:
        if d == 0:
            raise DomainValidationError(errors={field: [_("An adjustment cannot be zero.")]})
    elif positive and d <= 0:
        raise DomainValidationError(errors={field: [_("Tonnes must be greater than zero.")]})
    elif d < 0:
        raise DomainValidationError(errors={field: [_("Tonnes cannot be negative.")]})
    return d.quantize(Q3)


# --- Usage and deductions (called by the reporting and enforcement apps) ------------------------------


@transaction.atomic
def quota_usage_set(*, enterprise_id: int, year: int, indicator_type: str, used: Decimal) -> None:
    """Upsert the year-to-date accepted production of an enterprise (called by reporting after an acceptance,
    inside its own transaction; no permission check)."""
    _check_type(indicator_type)
    used = Decimal(used).quantize(Q3)
    updated = QuotaUsage.objects.filter(enterprise_id=enterprise_id, year=year, indicator_type=indicator_type).update(
        used_t=used
    )
    if updated:
        return
    try:
        with transaction.atomic():
            QuotaUsage.objects.create(enterprise_id=enterprise_id, year=year, indicator_type=indicator_type, used_t=used)
    except IntegrityError:
        # A concurrent acceptance created the row first: it now exists, set it.
        QuotaUsage.objects.filter(enterprise_id=enterprise_id, year=year, indicator_type=indicator_type).update(
            used_t=used
        )


@transaction.atomic
def record_deduction(*, actor, enterprise: Enterprise, year: int, indicator_type: str, tonnes: Decimal,
                     penalty_id: int, reason: str = "") -> Deduction:
    """Deduct tonnes from an enterprise's indicator for a year because of a penalty decision.

    Idempotent: a unique constraint on (penalty_id, year, indicator_type); a repeated or concurrent call returns the
    existing deduction and never records a second one. The caller (enforcement) checks its own permission.
    """
    _check_type(indicator_type)
    tonnes = _tonnes(tonnes, "tonnes")
    existing = Deduction.objects.filter(penalty_id=penalty_id, year=year, indicator_type=indicator_type).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            deduction = Deduction.objects.create(
                enterprise=enterprise, year=year, indicator_type=indicator_type, tonnes=tonnes, penalty_id=penalty_id,
                reason=reason, created_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        # Another transaction recorded it in the meantime (the insert waited for it to commit).
        return Deduction.objects.get(penalty_id=penalty_id, year=year, indicator_type=indicator_type)
    audit_record(actor=actor, action="deduction.record", obj=deduction, org=enterprise,
                 after={"enterprise": enterprise.pk, "year": year, "indicator_type": indicator_type,
                        "tonnes": tonnes, "penalty_id": penalty_id, "reason": reason})
    return deduction
