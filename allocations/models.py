"""National plans, issuance batches with their lines, group breakdowns, adjustments, deductions and usage.

All quantities are tonnes of rare-earth oxide equivalent (REO), Decimal(14, 3). Integrity lives in the
database: check constraints on amounts and states, unique constraints on natural keys.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Enterprise, EnterpriseGroup, IndicatorType
from quota_portal.quantities import tonnes_field


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class NationalPlan(models.Model):
    """The national control indicator for one year and indicator type.

    A plan is drafted and approved by two different ministry users. An approved plan is never edited: a
    revision is a new plan row (``revision`` + 1, ``previous`` → the approved one) which, once approved,
    supersedes the previous one. At most one approved plan per (year, indicator type).
    """

    year = models.PositiveSmallIntegerField(_("year"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    previous = models.OneToOneField(
        "self", verbose_name=_("revises"), null=True, blank=True, on_delete=models.PROTECT, related_name="next_revision"
    )
    total_t = tonnes_field(_("national total (t REO)"))
    reserve_t = tonnes_field(_("reserve held back (t REO)"), default=0)
    basis = models.TextField(_("basis notes"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("drafted"), default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("national plan")
        verbose_name_plural = _("national plans")
        ordering = ["-year", "indicator_type", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["year", "indicator_type", "revision"], name="plan_unique_revision"),
            models.UniqueConstraint(fields=["year", "indicator_type"], condition=Q(status="approved"),
                                    name="plan_one_approved"),
            models.UniqueConstraint(fields=["year", "indicator_type"], condition=Q(status="draft"),
                                    name="plan_one_draft"),
            models.CheckConstraint(condition=Q(total_t__gte=0), name="plan_total_not_negative"),
            models.CheckConstraint(condition=Q(reserve_t__gte=0) & Q(reserve_t__lte=F("total_t")),
                                   name="plan_reserve_within_total"),
            models.CheckConstraint(condition=Q(status="draft") | Q(approved_by__isnull=False),
                                   name="plan_approved_has_approver"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_indicator_type_display()} r{self.revision}"

    @property
    def issuable_t(self):
        return self.total_t - self.reserve_t


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ISSUED = "issued", _("Approved (issued)")


class IssuanceBatch(models.Model):
    """One issuance of indicators (e.g. the year's first batch), drafted, submitted, then approved = issued."""

    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveSmallIntegerField(_("batch number"))
    title = models.CharField(_("title"), max_length=200)
    document_no = models.CharField(_("document number"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    # Deadline for group breakdowns (N working days after the issue date on the official calendar).
    breakdown_due = models.DateField(_("breakdown due"), null=True, blank=True)
    # True when the calendar library had no data for the year and Monday–Friday was counted instead.
    breakdown_due_estimated = models.BooleanField(_("due date estimated (Mon–Fri)"), default=False)

    class Meta:
        verbose_name = _("issuance batch")
        verbose_name_plural = _("issuance batches")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="batch_unique_sequence"),
            models.UniqueConstraint(fields=["document_no"], condition=~Q(document_no=""), name="batch_unique_docno"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="batch_sequence_positive"),
            models.CheckConstraint(
                condition=~Q(status="issued") | (Q(approved_by__isnull=False) & Q(issued_at__isnull=False)),
                name="batch_issued_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.sequence} {self.title}"


class AllocationLine(models.Model):
    """A line of a batch: tonnes of one indicator type to one recipient (an enterprise or a group)."""

    batch = models.ForeignKey(IssuanceBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="lines")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="allocation_lines")
    group = models.ForeignKey(EnterpriseGroup, verbose_name=_("group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="allocation_lines")
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    tonnes = tonnes_field(_("tonnes REO"))

    class Meta:
        verbose_name = _("allocation line")
        verbose_name_plural = _("allocation lines")
        ordering = ["batch_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(enterprise__isnull=False) & Q(group__isnull=True))
                | (Q(enterprise__isnull=True) & Q(group__isnull=False)),
                name="line_one_recipient",
            ),
            models.CheckConstraint(condition=Q(tonnes__gt=0), name="line_tonnes_positive"),
            models.UniqueConstraint(fields=["batch", "enterprise", "indicator_type"],
                                    condition=Q(enterprise__isnull=False), name="line_unique_enterprise"),
            models.UniqueConstraint(fields=["batch", "group", "indicator_type"],
                                    condition=Q(group__isnull=False), name="line_unique_group"),
        ]
        indexes = [models.Index(fields=["enterprise", "indicator_type"], name="line_enterprise_idx")]

    def __str__(self) -> str:
        return f"{self.recipient} {self.indicator_type} {self.tonnes}"

    @property
    def recipient(self):
        return self.enterprise if self.enterprise_id else self.group


class GroupBreakdown(models.Model):
    """The filed breakdown of a group's line among its subsidiaries (immutable once filed)."""

    line = models.OneToOneField(AllocationLine, verbose_name=_("group line"), on_delete=models.PROTECT,
                                related_name="breakdown")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    late = models.BooleanField(_("filed after the deadline"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("group breakdown")
        verbose_name_plural = _("group breakdowns")
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        return f"{self.line}"


class BreakdownShare(models.Model):
    breakdown = models.ForeignKey(GroupBreakdown, on_delete=models.PROTECT, related_name="shares")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("subsidiary"), on_delete=models.PROTECT,
                                   related_name="breakdown_shares")
    tonnes = tonnes_field(_("tonnes REO"))

    class Meta:
        verbose_name = _("breakdown share")
        verbose_name_plural = _("breakdown shares")
        ordering = ["breakdown_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["breakdown", "enterprise"], name="share_unique_enterprise"),
            models.CheckConstraint(condition=Q(tonnes__gt=0), name="share_tonnes_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.tonnes}"


class AdjustmentStatus(models.TextChoices):
    DRAFT = "draft", _("Proposed")
    APPROVED = "approved", _("Approved")


class Adjustment(models.Model):
    """A signed change of one enterprise's indicator with its reason; counts once approved (four eyes)."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="adjustments")
    year = models.PositiveSmallIntegerField(_("year"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    tonnes = tonnes_field(_("tonnes REO (signed)"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=12, choices=AdjustmentStatus.choices,
                              default=AdjustmentStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    # Set when the adjustment gives back a penalty's applied deduction because the penalty was annulled on review
    # (an id of the enforcement app, like Deduction.penalty_id): at most one reversal per penalty, year and type.
    reverses_penalty_id = models.PositiveBigIntegerField(_("reverses the deduction of penalty"), null=True,
                                                         blank=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reverses_penalty_id", "year", "indicator_type"],
                                    condition=Q(reverses_penalty_id__isnull=False),
                                    name="adjustment_one_reversal_per_penalty"),
            models.CheckConstraint(condition=~Q(tonnes=0), name="adjustment_not_zero"),
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_has_reason"),
        ]
        indexes = [models.Index(fields=["year", "enterprise", "indicator_type"], name="adjustment_key_idx")]

    def __str__(self) -> str:
        return f"{self.year} {self.indicator_type} {self.tonnes:+}"


class Deduction(models.Model):
    """A reduction (核减) of an enterprise's indicator ordered by a penalty decision; once per penalty and year."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="deductions")
    year = models.PositiveSmallIntegerField(_("year"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    tonnes = tonnes_field(_("tonnes REO"))
    # The enforcement app's penalty (a higher app: an id, not a foreign key, keeps the dependency one way).
    penalty_id = models.PositiveBigIntegerField(_("penalty"))
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("deduction")
        verbose_name_plural = _("deductions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["penalty_id", "year", "indicator_type"], name="deduction_once_per_penalty"),
            models.CheckConstraint(condition=Q(tonnes__gt=0), name="deduction_tonnes_positive"),
        ]
        indexes = [models.Index(fields=["year", "enterprise", "indicator_type"], name="deduction_key_idx")]

    def __str__(self) -> str:
        return f"{self.year} {self.indicator_type} −{self.tonnes} (penalty {self.penalty_id})"


class QuotaUsage(models.Model):
    """Year-to-date accepted production per enterprise and indicator type (maintained by the reporting app)."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="quota_usages")
    year = models.PositiveSmallIntegerField(_("year"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    used_t = tonnes_field(_("used (t REO)"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("quota usage")
        verbose_name_plural = _("quota usages")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "indicator_type"], name="usage_unique_key"),
            models.CheckConstraint(condition=Q(used_t__gte=0), name="usage_not_negative"),
        ]
        indexes = [models.Index(fields=["year", "indicator_type"], name="usage_year_idx")]

    def __str__(self) -> str:
        return f"{self.year} {self.indicator_type} {self.used_t}"


class MonthlyUsage(models.Model):
    """Accepted production per enterprise, year, month and indicator type: the monthly roll-up beside QuotaUsage,
    rewritten by the reporting app in the same transaction as each acceptance. Dashboards read their trends and
    projections here instead of aggregating millions of report lines on every page view."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="monthly_usages")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    used_t = tonnes_field(_("used (t REO)"), default=0)

    class Meta:
        verbose_name = _("monthly usage")
        verbose_name_plural = _("monthly usages")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "month", "indicator_type"],
                                    name="monthly_usage_unique_key"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="monthly_usage_month_range"),
            models.CheckConstraint(condition=Q(used_t__gte=0), name="monthly_usage_not_negative"),
        ]
        indexes = [models.Index(fields=["year", "indicator_type", "month", "used_t"], name="monthly_usage_year_idx")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.indicator_type} {self.used_t}"


class QuotaFigure(models.Model):
    """The effective quota's five sources and the year-to-date usage per enterprise, year and indicator type: a
    roll-up maintained in the transaction of every service that changes one of them (batch approval, group
    breakdown, adjustment approval, deduction, acceptance — ``allocations.figures``), so that quota lists, scans
    and dashboards read one narrow row per enterprise instead of summing five tables on every view.
    ``effective = issued + received + adjustments − deductions``; ``last_month``: the last month with accepted
    production (the at-risk projection's run rate). ``figures_rebuild`` recomputes it from the sources."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="quota_figures")
    year = models.PositiveSmallIntegerField(_("year"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    issued_t = tonnes_field(_("issued (t REO)"), default=0)
    received_t = tonnes_field(_("received from the group (t REO)"), default=0)
    adjustments_t = tonnes_field(_("adjustments (t REO)"), default=0)
    deductions_t = tonnes_field(_("deductions (t REO)"), default=0)
    used_t = tonnes_field(_("used (t REO)"), default=0)
    last_month = models.PositiveSmallIntegerField(_("last month with production"), null=True, blank=True)

    class Meta:
        verbose_name = _("quota figure")
        verbose_name_plural = _("quota figures")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "indicator_type"], name="quota_figure_unique_key"),
        ]
        indexes = [models.Index(fields=["year", "indicator_type"], name="quota_figure_year_idx")]

    def __str__(self) -> str:
        return f"{self.year} {self.indicator_type} {self.enterprise_id}"


class MonthlyUsageTotal(models.Model):
    """Accepted production summed over every enterprise per year, indicator type and month — the national trend
    line of the ministry dashboard — from ``MonthlyUsage`` (PostgreSQL): rows are deltas appended by
    statement-level triggers on ``allocations_monthlyusage`` (no row is updated in an acceptance's transaction, so
    acceptances never wait for one another) and folded by ``allocations.usage_totals.usage_totals_compact``; the
    figures are the sums. Not kept on SQLite (``make run``), where the dashboard sums ``MonthlyUsage``."""

    year = models.PositiveSmallIntegerField(_("year"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    month = models.PositiveSmallIntegerField(_("month"))
    used_t = models.DecimalField(_("used (t REO)"), max_digits=20, decimal_places=3)
    n = models.BigIntegerField(_("enterprise rows"))

    class Meta:
        verbose_name = _("national monthly usage")
        verbose_name_plural = _("national monthly usages")
        indexes = [models.Index(fields=["year"], name="monthly_usage_total_year_idx")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.indicator_type}: {self.used_t}"
