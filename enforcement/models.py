"""Flags, violation cases, penalties with the right to state one's case, next-year deductions, penalty rules
and job runs.

Flags carry a natural unique key (kind, enterprise, year, month, indicator type, subject) with non-null
defaults (month 0 = a yearly flag, "" = no indicator type / subject) so that every job can insert with
ON CONFLICT DO NOTHING: a job run twice, or twice at once, never duplicates a flag, and a resolved flag
stays resolved when the same evidence is found again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from organizations.models import Enterprise, IndicatorType
from quota_portal.formatting import datetime_text, tonnes_text
from quota_portal.quantities import tonnes_field


def _cny(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


class FlagKind(models.TextChoices):
    MISSING = "missing", _("Report missing")
    LATE = "late", _("Report late")
    USAGE_WARNING = "usage_warning", _("Usage warning")
    OVERRUN = "overrun", _("Quota overrun")
    BALANCE = "balance", _("Stock balance does not close")
    FLOW_MISMATCH = "flow_mismatch", _("Flow mismatch")
    UNLICENSED_COUNTERPARTY = "unlicensed_counterparty", _("Non-designated counterparty")
    PRODUCTION_WITHOUT_INDICATOR = "production_without_indicator", _("Production without indicator")
    UNCONFIRMED_SHIPMENT = "unconfirmed_shipment", _("Shipment not confirmed")
    QUANTITY_MISMATCH = "quantity_mismatch", _("Received quantity differs")
    UNDECLARED_RECEIPT = "undeclared_receipt", _("Receipt without a declared shipment")
    YIELD_IMPLAUSIBLE = "yield_implausible", _("Output the feedstock cannot yield")


# The keys of a flag's evidence (``details``) as people know them, for the evidence a sentence does not cover.
DETAIL_LABELS = {
    "element": pgettext_lazy("flag detail", "element"),
    "shipment": pgettext_lazy("flag detail", "shipment"),
    "number": pgettext_lazy("flag detail", "shipment number"),
    "product": pgettext_lazy("flag detail", "product"),
    "tonnes": pgettext_lazy("flag detail", "tonnes"),
    "seller": pgettext_lazy("flag detail", "seller"),
    "buyer": pgettext_lazy("flag detail", "buyer"),
    "side": pgettext_lazy("flag detail", "side"),
    "counterparty": pgettext_lazy("flag detail", "counterparty"),
    "direction": pgettext_lazy("flag detail", "direction"),
    "dispatch_date": pgettext_lazy("flag detail", "dispatch date"),
    "days": pgettext_lazy("flag detail", "days"),
    "due_at": pgettext_lazy("flag detail", "deadline"),
    "submitted_at": pgettext_lazy("flag detail", "submitted"),
    "used_t": pgettext_lazy("flag detail", "used (t)"),
    "effective_t": pgettext_lazy("flag detail", "effective indicator (t)"),
    "over_t": pgettext_lazy("flag detail", "above the indicator (t)"),
    "percent": pgettext_lazy("flag detail", "percent used"),
    "difference": pgettext_lazy("flag detail", "difference (t)"),
    "shipped_t": pgettext_lazy("flag detail", "shipped (t)"),
    "received_t": pgettext_lazy("flag detail", "received (t)"),
    "needed_t": pgettext_lazy("flag detail", "separated (t)"),
    "available_t": pgettext_lazy("flag detail", "feedstock can yield (t)"),
    "tolerance": pgettext_lazy("flag detail", "tolerance"),
    "profiles_on": pgettext_lazy("flag detail", "yield profiles of"),
}
SUBJECT_KINDS = {
    "element": pgettext_lazy("flag subject", "element %(value)s"),
    "shipment": pgettext_lazy("flag subject", "shipment %(value)s"),
    "in": pgettext_lazy("flag subject", "received from %(value)s"),
    "out": pgettext_lazy("flag subject", "shipped to %(value)s"),
}

DIRECTIONS = {"in": pgettext_lazy("flag detail", "received"), "out": pgettext_lazy("flag detail", "shipped")}


def _detail_text(key: str, value) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key.endswith("_t") or key in ("tonnes", "difference"):
        return tonnes_text(value)
    if key.endswith("_at"):
        return datetime_text(value)
    if key == "direction" and value in DIRECTIONS:
        return str(DIRECTIONS[value])
    return str(value)


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Flag(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=FlagKind.choices)
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="flags")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), default=0, help_text=_("0 for a yearly flag"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices,
                                      blank=True, default="")
    # What inside the period the flag is about (a product code, "out:<buyer>:<product>", ...); "" if nothing.
    subject = models.CharField(_("subject"), max_length=120, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    details = models.JSONField(_("details"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now, db_index=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution = models.TextField(_("resolution comment"), blank=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "enterprise", "year", "month", "indicator_type", "subject"],
                                    name="flag_natural_key"),
            models.CheckConstraint(condition=Q(month__gte=0) & Q(month__lte=12), name="flag_month_range"),
            models.CheckConstraint(condition=Q(status="open") | Q(resolved_at__isnull=False),
                                   name="flag_resolved_has_time"),
        ]
        indexes = [
            # with the id: the dashboards' open-flag counts per kind are index-only scans (bench/README.md)
            models.Index(fields=["status", "kind", "id"], name="flag_status_kind_id_idx"),
            models.Index(fields=["enterprise", "year", "month"], name="flag_period_idx"),
        ]

    def __str__(self) -> str:
        period = f"{self.year}-{self.month:02d}" if self.month else str(self.year)
        return f"{self.get_kind_display()} · {self.enterprise} · {period}"

    @property
    def period_label(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    @property
    def subject_label(self) -> str:
        """What the flag is about, for people: "element:La" → "元素 La", "out:<buyer>:<product>" → "发往 <buyer> ·
        <product>", "annual_report" → "年度报告"; a product code stays as it is."""
        s = self.subject or ""
        if s == "annual_report":
            return gettext("annual report")
        kind, sep, rest = s.partition(":")
        if not sep or kind not in SUBJECT_KINDS:
            return s
        if kind in ("in", "out"):
            party, _sep, product = rest.rpartition(":")
            text = str(SUBJECT_KINDS[kind] % {"value": party or rest})
            return f"{text} · {product}" if party else text
        return str(SUBJECT_KINDS[kind] % {"value": rest})

    @property
    def description(self) -> str:
        """The evidence in one translated sentence, numbers and times written for people (the raw figures stay in
        ``details``)."""
        n, when = tonnes_text, datetime_text
        d = {k: v for k, v in (self.details or {}).items()}
        try:
            if self.kind == FlagKind.MISSING:
                return gettext("No report submitted by the deadline (%(due)s).") % {"due": when(d["due_at"])}
            if self.kind == FlagKind.LATE:
                return gettext("Submitted %(submitted)s, after the deadline %(due)s.") % {
                    "submitted": when(d["submitted_at"]), "due": when(d["due_at"])}
            if self.kind == FlagKind.USAGE_WARNING:
                return gettext("%(used)s t of the effective %(effective)s t used (%(percent)s %%).") % {
                    "used": n(d["used_t"]), "effective": n(d["effective_t"]), "percent": d.get("percent", "")}
            if self.kind == FlagKind.OVERRUN:
                return gettext("%(used)s t produced against an effective indicator of %(effective)s t: %(over)s t above it.") % {
                    "used": n(d["used_t"]), "effective": n(d["effective_t"]), "over": n(d.get("over_t", ""))}
            if self.kind == FlagKind.PRODUCTION_WITHOUT_INDICATOR:
                return gettext("%(used)s t produced without an effective indicator of this type.") % {"used": n(d["used_t"])}
            if self.kind == FlagKind.BALANCE:
                return gettext("%(product)s does not balance: closing stock differs by %(diff)s t.") % {
                    "product": d["product"], "diff": n(d["difference"])}
            if self.kind == FlagKind.FLOW_MISMATCH:
                return gettext("%(product)s: %(shipped)s t shipped, %(received)s t received by the buyer.") % {
                    "product": d["product"], "shipped": n(d["shipped_t"]), "received": n(d["received_t"])}
            if self.kind == FlagKind.UNLICENSED_COUNTERPARTY:
                if d.get("direction") == "in":
                    return gettext("%(tonnes)s t of %(product)s received from %(party)s, not designated to produce "
                             "it.") % {"tonnes": n(d["tonnes"]), "product": d["product"],
                                                "party": d["counterparty"]}
                return gettext("%(tonnes)s t of %(product)s shipped to %(party)s, not a designated smelting-separation "
                         "enterprise.") % {"tonnes": n(d["tonnes"]), "product": d["product"], "party": d["counterparty"]}
            if self.kind == FlagKind.UNCONFIRMED_SHIPMENT:
                return gettext("Shipment %(number)s (%(tonnes)s t of %(product)s from %(seller)s to %(buyer)s), dispatched "
                         "%(date)s, has not been confirmed by the buyer after %(days)s days.") % {
                    "number": d["number"], "tonnes": n(d["tonnes"]), "product": d["product"], "seller": d["seller"],
                    "buyer": d["buyer"], "date": d["dispatch_date"], "days": d["days"]}
            if self.kind == FlagKind.QUANTITY_MISMATCH:
                return gettext("Shipment %(number)s of %(product)s: %(shipped)s t shipped by %(seller)s, %(received)s t "
                         "received by %(buyer)s.") % {
                    "number": d["number"], "product": d["product"], "shipped": n(d["shipped_t"]),
                    "received": n(d["received_t"]), "seller": d["seller"], "buyer": d["buyer"]}
            if self.kind == FlagKind.UNDECLARED_RECEIPT:
                return gettext("%(buyer)s recorded %(tonnes)s t of %(product)s received from %(seller)s (%(number)s), a "
                         "designated enterprise that declared no shipment for it.") % {
                    "number": d["number"], "tonnes": n(d["tonnes"]), "product": d["product"], "seller": d["seller"],
                    "buyer": d["buyer"]}
            if self.kind == FlagKind.YIELD_IMPLAUSIBLE:
                return gettext("%(element)s: %(needed)s t separated, but the feedstock consumed can yield only "
                         "%(available)s t (tolerance %(tolerance)s).") % {
                    "element": d["element"], "needed": n(d["needed_t"]), "available": n(d["available_t"]),
                    "tolerance": d["tolerance"]}
        except (KeyError, TypeError):
            pass
        return "；".join(gettext("%(field)s: %(message)s") % {"field": DETAIL_LABELS.get(k, k),
                                                             "message": _detail_text(k, v)}
                        for k, v in d.items() if not isinstance(v, list | dict))


class CaseOrigin(models.TextChoices):
    FLAGS = "flags", _("Flags")
    INSPECTION = "inspection", _("Inspection")
    INSPECTION_REFUSED = "inspection_refused", _("Inspection refused")
    INSPECTION_OBSTRUCTED = "inspection_obstructed", _("Inspection obstructed")
    REFUSED_CORRECTION = "refused_correction", _("Refused to correct after an order")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CORRECTION_ORDERED = "correction_ordered", _("Correction ordered")
    CORRECTED = "corrected", _("Correction recorded")
    PENALTY_PROPOSED = "penalty_proposed", _("Penalty proposed")
    PENALIZED = "penalized", _("Penalised")
    CLOSED = "closed", _("Closed")


class Case(models.Model):
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="cases")
    origin = models.CharField(_("origin"), max_length=24, choices=CaseOrigin.choices, default=CaseOrigin.FLAGS)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    flags = models.ManyToManyField(Flag, verbose_name=_("flags"), blank=True, related_name="cases")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    correction_order = models.TextField(_("correction ordered"), blank=True)
    correction_deadline = models.DateField(_("correct by"), null=True, blank=True)
    correction_note = models.TextField(_("correction made"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Refusing to correct after an order escalates to a further case (suspension, higher fines).
    escalated_from = models.ForeignKey("self", verbose_name=_("escalated from"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="escalations")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["status"], name="case_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


EVENT_LABELS = {
    "opened": _("Case opened"),
    "correction_ordered": _("Correction ordered"),
    "correction_recorded": _("Correction recorded"),
    "closed": _("Case closed"),
    "penalty_notice": _("Notice of intended penalty issued"),
    "statement": _("Statement and defence received"),
    "penalty_decided": _("Penalty decided"),
    "penalty_approved": _("Penalty approved — in effect"),
    "penalty_rejected": _("Penalty rejected by the second person"),
    "deduction_applied": _("Next-year deduction applied"),
    "hearing_requested": _("Hearing requested"),
    "hearing_waived": _("Hearing waived"),
    "hearing_scheduled": _("Hearing scheduled"),
    "hearing_held": _("Hearing held"),
    "payment_recorded": _("Fine paid"),
    "review_filed": _("Reconsideration or litigation filed"),
    "review_decided": _("Reconsideration or litigation decided"),
    "penalty_annulled": _("Penalty annulled on review"),
    "deduction_cancelled": _("Waiting deduction cancelled"),
    "deduction_reversed": _("Applied deduction reversed"),
    "escalated": _("Escalated to a further case"),
}


class CaseEvent(models.Model):
    """The case timeline: one row per step (opened, correction ordered, statement received, ...)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    kind = models.CharField(max_length=40)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))


class ViolationType(models.TextChoices):
    FLOW_RECORDS = "flow_records", _("Failing to record or enter flow information")
    ILLEGAL_PRODUCTION = "illegal_production", _("Production without or above indicator, illegal mining or smelting")
    ILLEGAL_TRADING = "illegal_trading", _("Buying or selling illegal rare-earth products")
    INSPECTION_REFUSED = "inspection_refused", _("Refusing or obstructing inspection")


class DeductionBasis(models.TextChoices):
    NONE = "none", _("No default deduction")
    EXCESS = "excess", _("Tonnes produced above the indicator × factor")
    FIXED = "fixed", _("Fixed tonnes")


class PenaltyRule(models.Model):
    """Versioned, dated penalty configuration: the rule in force on the violation date applies."""

    violation_type = models.CharField(_("violation type"), max_length=24, choices=ViolationType.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    legal_basis = models.TextField(_("legal basis"))
    fine_min_cny = _cny(_("minimum fine (CNY)"), null=True, blank=True)
    fine_max_cny = _cny(_("maximum fine (CNY)"), null=True, blank=True)
    income_multiple_min = models.DecimalField(_("minimum multiple of illegal income"), max_digits=5,
                                              decimal_places=2, null=True, blank=True)
    income_multiple_max = models.DecimalField(_("maximum multiple of illegal income"), max_digits=5,
                                              decimal_places=2, null=True, blank=True)
    deduction_basis = models.CharField(_("default deduction"), max_length=10, choices=DeductionBasis.choices,
                                       default=DeductionBasis.NONE)
    deduction_factor = models.DecimalField(_("deduction factor"), max_digits=6, decimal_places=3, default=1)
    deduction_fixed_t = tonnes_field(_("fixed deduction (t REO)"), default=0)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("penalty rule")
        verbose_name_plural = _("penalty rules")
        ordering = ["violation_type", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["violation_type", "valid_from"], name="penalty_rule_unique_version"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                                   name="penalty_rule_valid_range"),
            models.CheckConstraint(
                condition=Q(fine_min_cny__isnull=True) | Q(fine_max_cny__isnull=True)
                | Q(fine_max_cny__gte=F("fine_min_cny")),
                name="penalty_rule_fine_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_violation_type_display()} ({self.valid_from}–{self.valid_to or ''})"


class PenaltyStatus(models.TextChoices):
    NOTIFIED = "notified", _("Notice issued, awaiting statement")
    DECIDED = "decided", _("Decided, awaiting approval")
    APPROVED = "approved", _("Approved (in effect)")
    REJECTED = "rejected", _("Rejected")
    ANNULLED = "annulled", _("Annulled on review")


class Penalty(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="penalties")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="penalties")
    violation_type = models.CharField(_("violation type"), max_length=24, choices=ViolationType.choices)
    violation_date = models.DateField(_("violation date"))
    rule = models.ForeignKey(PenaltyRule, verbose_name=_("rule applied"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    legal_basis = models.TextField(_("legal basis"))
    facts = models.TextField(_("facts"), blank=True)
    fine_cny = _cny(_("fine (CNY)"), default=0)
    illegal_income_cny = _cny(_("illegal income (CNY)"), null=True, blank=True)
    # The "next year" whose indicator is reduced: by default the year after the decision takes effect (approval,
    # Beijing time); the decision may state a later year (``deduction_year_stated``), never a past one.
    deduction_year = models.PositiveSmallIntegerField(_("deduction year"))
    deduction_year_stated = models.PositiveSmallIntegerField(_("deduction year stated in the decision"), null=True,
                                                             blank=True)
    fine_warnings = models.JSONField(_("warnings"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PenaltyStatus.choices,
                              default=PenaltyStatus.NOTIFIED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notice_issued_at = models.DateTimeField(_("notice issued"), default=timezone.now)
    statement_due_at = models.DateTimeField(_("statement due"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    consideration = models.TextField(_("how the statement was considered"), blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    # Hearing right (听证): offered on the notice for large fines or penalties that reduce indicators.
    hearing_offered = models.BooleanField(_("hearing offered"), default=False)
    hearing_request_due = models.DateField(_("hearing to be requested by"), null=True, blank=True)
    # The decision document (行政处罚决定书) and payment of the fine.
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    payment_due = models.DateField(_("fine due by"), null=True, blank=True)
    paid_at = models.DateTimeField(_("fine paid"), null=True, blank=True)
    receipt_no = models.CharField(_("payment receipt number"), max_length=60, blank=True)
    annulled_at = models.DateTimeField(_("annulled"), null=True, blank=True)

    class Meta:
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")
        ordering = ["-notice_issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(fine_cny__gte=0), name="penalty_fine_not_negative"),
            models.UniqueConstraint(fields=["case"], condition=~Q(status="rejected"),
                                    name="penalty_one_live_per_case"),
            models.CheckConstraint(condition=~Q(status="approved") | Q(approved_by__isnull=False),
                                   name="penalty_approved_has_approver"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=F("decided_by")) & ~Q(approved_by=F("proposed_by"))),
                name="penalty_four_eyes",
            ),
            models.UniqueConstraint(fields=["receipt_no"], condition=~Q(receipt_no=""),
                                    name="penalty_receipt_unique"),
            models.UniqueConstraint(fields=["document_no"], condition=~Q(document_no=""),
                                    name="penalty_document_no_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_violation_type_display()} · {self.enterprise}"

    @property
    def payment_overdue(self) -> bool:
        return bool(self.status == PenaltyStatus.APPROVED and self.fine_cny > 0 and self.paid_at is None
                    and self.payment_due and timezone.localdate() > self.payment_due)


class Hearing(models.Model):
    """The enterprise's request for a hearing (听证), and the hearing: date, participants, record."""

    penalty = models.OneToOneField(Penalty, on_delete=models.PROTECT, related_name="hearing")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    waived = models.BooleanField(_("waived"), default=False)
    scheduled_for = models.DateTimeField(_("hearing date"), null=True, blank=True)
    participants = models.TextField(_("participants"), blank=True)
    record = models.TextField(_("hearing record"), blank=True)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")

    def __str__(self) -> str:
        return f"hearing {self.penalty_id}"

    @property
    def pending(self) -> bool:
        return not self.waived and self.held_at is None


class ReviewKind(models.TextChoices):
    RECONSIDERATION = "reconsideration", _("Administrative reconsideration (复议)")
    LITIGATION = "litigation", _("Administrative litigation (诉讼)")


class ReviewOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld")
    ANNULLED = "annulled", _("Annulled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PenaltyReview(models.Model):
    """Reconsideration or litigation against a penalty decision, with its outcome."""

    penalty = models.ForeignKey(Penalty, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("kind"), max_length=20, choices=ReviewKind.choices)
    filed_on = models.DateField(_("filed on"))
    body = models.CharField(_("reviewing body or court"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ReviewOutcome.choices,
                               default=ReviewOutcome.PENDING)
    outcome_on = models.DateField(_("decided on"), null=True, blank=True)
    outcome_text = models.TextField(_("outcome"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("reconsideration or litigation")
        verbose_name_plural = _("reconsiderations and litigation")
        ordering = ["filed_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["penalty"], condition=Q(outcome="annulled"),
                                    name="review_one_annulment_per_penalty"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.penalty_id} {self.outcome}"



class DeductionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned (penalty not approved)")
    WAITING = "waiting", _("Waiting for next year's indicator")
    APPLIED = "applied", _("Applied")
    CANCELLED = "cancelled", _("Cancelled (penalty annulled)")
    REVERSAL_PENDING = "reversal_pending", _("To be reversed (penalty annulled)")
    REVERSED = "reversed", _("Reversed (penalty annulled)")


class PenaltyDeduction(models.Model):
    """Next-year deduction ordered by a penalty, per indicator type; applied once through allocations."""

    penalty = models.ForeignKey(Penalty, on_delete=models.PROTECT, related_name="deductions")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    tonnes = tonnes_field(_("tonnes REO"))
    status = models.CharField(_("status"), max_length=20, choices=DeductionStatus.choices,
                              default=DeductionStatus.PLANNED)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)

    class Meta:
        verbose_name = _("penalty deduction")
        verbose_name_plural = _("penalty deductions")
        ordering = ["penalty_id", "indicator_type"]
        constraints = [
            models.UniqueConstraint(fields=["penalty", "year", "indicator_type"], name="penalty_deduction_once"),
            models.CheckConstraint(condition=Q(tonnes__gt=0), name="penalty_deduction_positive"),
        ]
        indexes = [models.Index(fields=["status", "year"], name="penalty_deduction_status_idx")]

    def __str__(self) -> str:
        return f"{self.year} {self.indicator_type} {self.tonnes} t"


class Statement(models.Model):
    """The enterprise's statement and defence (陈述、申辩) on a notice of intended penalty."""

    penalty = models.OneToOneField(Penalty, on_delete=models.PROTECT, related_name="statement")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    text = models.TextField(_("statement and defence"), blank=True)
    waived = models.BooleanField(_("waives the right to be heard"), default=False)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")

    def __str__(self) -> str:
        return f"{self.penalty_id} {self.submitted_at:%Y-%m-%d}"


class StatementAttachment(models.Model):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to="enforcement/statements/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class JobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


JOB_LABELS = {
    "flag_late_reports": _("Flag late and missing reports"),
    "scan_quota_usage": _("Scan quota usage"),
    "reconcile_flows": _("Reconcile product flows"),
    "apply_deductions": _("Apply next-year deductions"),
    "send_deadline_reminders": _("Send deadline reminders"),
    "remind_returned_reports": _("Remind of returned reports"),
}


class FlagTotal(models.Model):
    """Flags counted per status and kind: the ministry dashboard's open-flag counts without counting the ≈ 100,000
    open flags of a national year on every view. Rows are deltas appended by statement-level triggers on
    ``enforcement_flag`` (PostgreSQL, ``enforcement.flag_totals``) and folded by a beat job; the counts are the
    sums. Not on SQLite (``make run``): there the dashboard counts the flags."""

    status = models.CharField(_("status"), max_length=10)
    kind = models.CharField(_("kind"), max_length=32)
    n = models.BigIntegerField(_("flags"))

    class Meta:
        verbose_name = _("flag total")
        verbose_name_plural = _("flag totals")

    def __str__(self) -> str:
        return f"{self.status} {self.kind}: {self.n}"


class JobRun(models.Model):
    """Progress of one run of a scheduled job, shown as a progress bar."""

    job = models.CharField(_("job"), max_length=60)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    task_id = models.CharField(max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.RUNNING)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        """The job's name for people (the task name stays in ``job``)."""
        return str(JOB_LABELS.get(self.job, self.job))

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0
