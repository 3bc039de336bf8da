"""Monthly reports and their lines, attachments, plausibility rules, period certification, idempotency keys.

A report is one *version* for (enterprise, year, month). Only a draft can change; once submitted a version is
frozen (services refuse, the admin is read-only, and on PostgreSQL a trigger refuses any write to the lines
of a non-draft report or to the content of a submitted one). An amendment is a new version whose
``previous_version`` points to the one it amends; ``is_current`` marks the head of the chain.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organizations.models import Authority, Enterprise, IndicatorType
from quota_portal.quantities import TONNES_FORM

from .periods import due_label

QTY = TONNES_FORM  # tonnes REO: 14 digits, 3 decimals (quota_portal.quantities)


class ProductStage(models.TextChoices):
    MINERAL = "mineral", _("Mineral product")
    COMPOUND = "compound", _("Compound")
    OXIDE = "oxide", _("Oxide")
    METAL = "metal", _("Metal")
    ALLOY = "alloy", _("Alloy")


class Product(models.Model):
    """The portal's product catalogue (seeded from reporting/fixtures/products.csv)."""

    code = models.CharField(_("code"), max_length=24, primary_key=True)
    name_zh = models.CharField(_("Chinese name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=120)
    stage = models.CharField(_("stage"), max_length=12, choices=ProductStage.choices)
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices, blank=True)
    reo_factor = models.DecimalField(_("REO factor"), max_digits=6, decimal_places=3)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")
    SUPERSEDED = "superseded", _("Superseded")


class InputSource(models.TextChoices):
    DOMESTIC_MINED = "domestic_mined", _("Domestic mined")
    IMPORTED_ORE = "imported_ore", _("Imported ore")
    INDEPENDENT_MINERAL = "independent_mineral", _("Independent mineral / monazite")
    SECONDARY = "secondary", _("Secondary (recycled)")


class FlowDirection(models.TextChoices):
    IN = "in", _("Received (in)")
    OUT = "out", _("Shipped (out)")


class MonthlyReport(models.Model):
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="monthly_reports")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous_version = models.OneToOneField("self", verbose_name=_("previous version"), null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="next_version")
    is_current = models.BooleanField(_("current version"), default=True)
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    nil = models.BooleanField(_("nil report"), default=False,
                              help_text=_("No production, no inputs and no flows this month."))
    comment = models.TextField(_("comment"), blank=True)
    # Plausibility warnings found at submission, and the filer's confirmation.
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    warnings_explanation = models.TextField(_("explanation of the warnings"), blank=True)
    balance_explained = models.BooleanField(_("balance difference explained in the comment"), default=False)
    changes_count = models.PositiveIntegerField(_("changes since the last acceptance"), default=0)
    due_at = models.DateTimeField(_("due at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    late = models.BooleanField(_("late"), default=False)
    # Attestation (如实记录): the filer confirms on submission that the figures are true and complete.
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    attested_name = models.CharField(_("attested by (name)"), max_length=150, blank=True)
    attested_at = models.DateTimeField(_("attested at"), null=True, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-year", "-month", "enterprise_id", "-version"]
        constraints = [
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="report_month_range"),
            models.CheckConstraint(condition=Q(year__gte=2000, year__lte=2100), name="report_year_range"),
            models.UniqueConstraint(fields=["enterprise", "year", "month", "version"], name="report_unique_version"),
            models.UniqueConstraint(fields=["enterprise", "year", "month"], condition=Q(is_current=True),
                                    name="report_one_current_per_period"),
            models.UniqueConstraint(fields=["enterprise", "year", "month"], condition=Q(status="accepted"),
                                    name="report_one_accepted_per_period"),
            models.CheckConstraint(condition=Q(status="draft") | Q(submitted_at__isnull=False),
                                   name="report_submitted_has_time"),
        ]
        indexes = [
            models.Index(fields=["year", "month", "status"], name="report_period_status_idx"),
            models.Index(fields=["enterprise", "year", "status"], name="report_ent_year_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}-{self.month:02d} v{self.version}"

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def due_label(self) -> str:
        return due_label(self.due_at)

    @property
    def is_editable(self) -> bool:
        return self.status == ReportStatus.DRAFT


class ReportLine(models.Model):
    """Base of the line tables: refuses to change once the report has left draft."""

    report_id: int  # each concrete line table declares its ``report`` foreign key

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{type(self).__name__} #{self.pk} of report {self.report_id}"

    def _check_draft(self):
        status = MonthlyReport.objects.filter(pk=self.report_id).values_list("status", flat=True).first()
        if status is not None and status != ReportStatus.DRAFT:
            raise ValidationError(_("A submitted report cannot be changed; amend it to open a new version."))

    def save(self, *args, **kwargs):
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)


class ProductionLine(ReportLine):
    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="production_lines")
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    tonnes = models.DecimalField(_("tonnes REO"), **QTY)

    class Meta(ReportLine.Meta):
        verbose_name = _("production line")
        verbose_name_plural = _("production lines")
        constraints = [models.CheckConstraint(condition=Q(tonnes__gte=0), name="production_tonnes_not_negative")]


class InputLine(ReportLine):
    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="input_lines")
    source = models.CharField(_("source"), max_length=24, choices=InputSource.choices)
    country = models.CharField(_("country of origin"), max_length=2, blank=True)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    tonnes = models.DecimalField(_("tonnes REO"), **QTY)

    class Meta(ReportLine.Meta):
        verbose_name = _("input line")
        verbose_name_plural = _("input lines")
        constraints = [models.CheckConstraint(condition=Q(tonnes__gte=0), name="input_tonnes_not_negative")]


class FlowLine(ReportLine):
    """A shipment out or a receipt in (流向记录)."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="flow_lines")
    direction = models.CharField(_("direction"), max_length=3, choices=FlowDirection.choices)
    counterparty_enterprise = models.ForeignKey(Enterprise, verbose_name=_("counterparty in the portal"), null=True,
                                                blank=True, on_delete=models.PROTECT, related_name="+")
    counterparty_credit_code = models.CharField(_("counterparty credit code"), max_length=18, blank=True)
    counterparty_name = models.CharField(_("counterparty name"), max_length=160, blank=True)
    counterparty_country = models.CharField(_("counterparty country"), max_length=2, blank=True, default="CN")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    tonnes = models.DecimalField(_("tonnes REO"), **QTY)
    date = models.DateField(_("date"))
    document_no = models.CharField(_("invoice or customs document no."), max_length=64, blank=True)
    # The ledger shipment this line reports (reporting.ledger); set while the report is a draft or at submission.
    shipment = models.ForeignKey("Shipment", verbose_name=_("shipment"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="flow_lines")

    class Meta(ReportLine.Meta):
        verbose_name = _("flow record")
        verbose_name_plural = _("flow records")
        constraints = [models.CheckConstraint(condition=Q(tonnes__gte=0), name="flow_tonnes_not_negative")]
        indexes = [models.Index(fields=["counterparty_enterprise", "date"], name="flow_counterparty_idx")]


class InventoryLine(ReportLine):
    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="inventory_lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    opening = models.DecimalField(_("opening stock"), **QTY)
    closing = models.DecimalField(_("closing stock"), **QTY)

    class Meta(ReportLine.Meta):
        verbose_name = _("inventory line")
        verbose_name_plural = _("inventory lines")
        constraints = [
            models.UniqueConstraint(fields=["report", "product"], name="inventory_one_line_per_product"),
            models.CheckConstraint(condition=Q(opening__gte=0, closing__gte=0), name="inventory_not_negative"),
        ]


class AttachmentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CUSTOMS = "customs", _("Customs declaration")
    WEIGHING = "weighing", _("Weighing slip")
    OTHER = "other", _("Other")


class Attachment(models.Model):
    """A supporting document on a report or on one of its flow lines; the bytes are kept in the database."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="attachments")
    flow_line = models.ForeignKey(FlowLine, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=12, choices=AttachmentKind.choices, default=AttachmentKind.OTHER)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class RuleKind(models.TextChoices):
    PRODUCTION_VS_TRAILING = "production_vs_trailing", _("Production above a multiple of the trailing average")
    SHIPMENT_CEILING = "shipment_ceiling", _("Single shipment above a ceiling")


class PlausibilityRule(models.Model):
    """A dated, configurable plausibility range. Outside it a figure is a warning, not an error."""

    kind = models.CharField(_("kind"), max_length=32, choices=RuleKind.choices)
    indicator_type = models.CharField(_("indicator type"), max_length=24, choices=IndicatorType.choices, blank=True,
                                      help_text=_("Empty: every indicator type."))
    factor = models.DecimalField(_("factor"), max_digits=8, decimal_places=3, null=True, blank=True,
                                 help_text=_("For trailing-average rules, e.g. 3 = three times the average."))
    months = models.PositiveSmallIntegerField(_("trailing months"), default=6)
    ceiling_t = models.DecimalField(_("ceiling (t REO)"), null=True, blank=True, **QTY)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("plausibility rule")
        verbose_name_plural = _("plausibility rules")
        ordering = ["kind", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                   name="plausibility_valid_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.valid_from}–{self.valid_to or '…'})"


class PeriodCertification(models.Model):
    """An authority's certification of a month (county → city → province)."""

    authority = models.ForeignKey(Authority, verbose_name=_("authority"), on_delete=models.PROTECT,
                                  related_name="certifications")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    certified = models.BooleanField(_("certified"), default=True)
    certified_at = models.DateTimeField(_("certified at"), default=timezone.now)
    certified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(_("re-opened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reopen_reason = models.TextField(_("reason for re-opening"), blank=True)

    class Meta:
        verbose_name = _("period certification")
        verbose_name_plural = _("period certifications")
        ordering = ["-year", "-month", "authority__code"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "year", "month"], name="certification_unique_period"),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.year}-{self.month:02d}"


class IdempotencyRecord(models.Model):
    """A request made with an ``Idempotency-Key``: the stored response is replayed on retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    scope = models.CharField(max_length=80)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    report = models.ForeignKey(MonthlyReport, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


# --- the shipment ledger (reporting/ledger.py writes it, reporting/trace.py reads it) -------------------------


class Element(models.TextChoices):
    LA = "La", "La"
    CE = "Ce", "Ce"
    PR = "Pr", "Pr"
    ND = "Nd", "Nd"
    SM = "Sm", "Sm"
    EU = "Eu", "Eu"
    GD = "Gd", "Gd"
    TB = "Tb", "Tb"
    DY = "Dy", "Dy"
    HO = "Ho", "Ho"
    ER = "Er", "Er"
    Y = "Y", "Y"
    LU = "Lu", "Lu"
    OTHER = "other", _("other")


class ExportControlItem(models.Model):
    """A product under export licensing from ``valid_from`` (to ``valid_to``), with the announcement that says so.
    Dated data, never code: a suspended announcement is a ``valid_to``."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    announcement = models.CharField(_("announcement"), max_length=160)
    source = models.CharField(_("source"), max_length=300)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("export-controlled item")
        verbose_name_plural = _("export-controlled items")
        ordering = ["product_id", "valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                   name="export_control_valid_range"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} ({self.valid_from}–{self.valid_to or '…'})"


class ElementProfile(models.Model):
    """The share of one rare-earth element in a product's REO: the typical distribution of a feedstock (bastnaesite,
    monazite, the ion-adsorption types) or the element a separated product is made of. Dated, with its source."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    element = models.CharField(_("element"), max_length=5, choices=Element.choices)
    share = models.DecimalField(_("share of REO"), max_digits=7, decimal_places=5)
    source = models.CharField(_("source"), max_length=300)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("element profile")
        verbose_name_plural = _("element profiles")
        ordering = ["product_id", "element", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["product", "element", "valid_from"], name="element_profile_unique"),
            models.CheckConstraint(condition=Q(share__gte=0, share__lte=1), name="element_profile_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.element} {self.share}"


class ShipmentStatus(models.TextChoices):
    DECLARED = "declared", _("Declared")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    DISPUTED = "disputed", _("Disputed")


class ShipmentOrigin(models.TextChoices):
    DECLARED = "declared", _("Declared by the seller")
    RECEIPT = "receipt", _("Recorded by the buyer")
    IMPORT = "import", _("Import")


class Shipment(models.Model):
    """One physical consignment (a lot or several) between two parties, at least one of them in the portal.

    The seller declares it (``origin=declared``); the buyer confirms it with a ``Receipt`` or disputes it. A receipt
    the buyer records without a seller's declaration (a foreign or non-portal seller, or a designated seller that
    did not declare) is a shipment of ``origin=receipt``; an import is ``origin=import``. REO tonnes are the net
    weight times the REO content (lines migrated from monthly reports carry only REO tonnes)."""

    number = models.CharField(_("portal number"), max_length=20, unique=True, null=True, blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=ShipmentOrigin.choices,
                              default=ShipmentOrigin.DECLARED)
    seller = models.ForeignKey(Enterprise, verbose_name=_("seller"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="shipments_out")
    seller_credit_code = models.CharField(_("seller credit code"), max_length=18, blank=True)
    seller_name = models.CharField(_("seller name"), max_length=160, blank=True)
    seller_country = models.CharField(_("seller country"), max_length=2, default="CN")
    buyer = models.ForeignKey(Enterprise, verbose_name=_("buyer"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="shipments_in")
    buyer_credit_code = models.CharField(_("buyer credit code"), max_length=18, blank=True)
    buyer_name = models.CharField(_("buyer name"), max_length=160, blank=True)
    buyer_country = models.CharField(_("buyer country"), max_length=2, default="CN")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    lots = models.CharField(_("lot / batch numbers"), max_length=200, blank=True)
    net_weight_t = models.DecimalField(_("net weight (t)"), null=True, blank=True, **QTY)
    reo_pct = models.DecimalField(_("REO content (%)"), max_digits=6, decimal_places=3, null=True, blank=True)
    tonnes = models.DecimalField(_("tonnes REO"), **QTY)
    dispatch_date = models.DateField(_("dispatch date"))
    document_no = models.CharField(_("invoice or waybill no."), max_length=64, blank=True)
    customs_no = models.CharField(_("customs declaration no."), max_length=32, blank=True)
    export_licence_no = models.CharField(_("export licence no."), max_length=64, blank=True)
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.DECLARED)
    migrated = models.BooleanField(_("migrated from a report line"), default=False)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-dispatch_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(tonnes__gte=0), name="shipment_tonnes_not_negative"),
            models.CheckConstraint(condition=Q(net_weight_t__isnull=True) | Q(net_weight_t__gte=0),
                                   name="shipment_weight_not_negative"),
            models.CheckConstraint(condition=Q(reo_pct__isnull=True) | Q(reo_pct__gte=0, reo_pct__lte=100),
                                   name="shipment_reo_pct_range"),
            models.CheckConstraint(condition=Q(seller__isnull=False) | Q(buyer__isnull=False),
                                   name="shipment_one_party_in_portal"),
        ]
        indexes = [
            models.Index(fields=["seller", "dispatch_date"], name="shipment_seller_date_idx"),
            models.Index(fields=["buyer", "dispatch_date"], name="shipment_buyer_date_idx"),
            models.Index(fields=["status", "dispatch_date"], name="shipment_status_date_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def seller_label(self) -> str:
        return self.seller.name if self.seller_id else f"{self.seller_name} ({self.seller_country})"

    @property
    def buyer_label(self) -> str:
        return self.buyer.name if self.buyer_id else f"{self.buyer_name} ({self.buyer_country})"

    @property
    def is_open(self) -> bool:
        return self.status in (ShipmentStatus.DECLARED, ShipmentStatus.IN_TRANSIT)


class Receipt(models.Model):
    """The buyer's confirmation of a shipment (one per shipment: the unique key makes a second one impossible)."""

    shipment = models.OneToOneField(Shipment, verbose_name=_("shipment"), on_delete=models.PROTECT,
                                    related_name="receipt")
    buyer = models.ForeignKey(Enterprise, verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="receipts")
    tonnes = models.DecimalField(_("tonnes REO received"), **QTY)
    received_date = models.DateField(_("received on"))
    disputed = models.BooleanField(_("disputed"), default=False)
    dispute_reason = models.TextField(_("reason of the dispute"), blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), default=timezone.now)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(tonnes__gte=0), name="receipt_tonnes_not_negative")]
        indexes = [models.Index(fields=["buyer", "received_date"], name="receipt_buyer_date_idx")]

    def __str__(self) -> str:
        return f"{self.shipment} → {self.tonnes} t"
# --- the annual cycle ---------------------------------------------------------------------------------


class AnnualReport(models.Model):
    """An enterprise's annual report (年度报告) for a year: the totals of its accepted months, confirmed, plus what
    only the year has. Versions like monthly reports: a submitted version is frozen, an amendment is a new one."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="annual_reports")
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous_version = models.OneToOneField("self", verbose_name=_("previous version"), null=True, blank=True,
                                            on_delete=models.PROTECT, related_name="next_version")
    is_current = models.BooleanField(_("current version"), default=True)
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    # The totals computed from the accepted monthly reports when the version was submitted (frozen with it).
    totals = models.JSONField(_("annual totals"), default=dict, blank=True)
    execution = models.JSONField(_("indicator execution"), default=dict, blank=True)
    capacity_t = models.DecimalField(_("annual capacity (t REO)"), null=True, blank=True, **QTY)
    explanation = models.TextField(_("explanation where the months and the year disagree"), blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    due_at = models.DateTimeField(_("due at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    late = models.BooleanField(_("late"), default=False)
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    attested_name = models.CharField(_("attested by (name)"), max_length=150, blank=True)
    attested_at = models.DateTimeField(_("attested at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-year", "enterprise_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "version"], name="annual_unique_version"),
            models.UniqueConstraint(fields=["enterprise", "year"], condition=Q(is_current=True),
                                    name="annual_one_current"),
            models.CheckConstraint(condition=Q(status="draft") | Q(submitted_at__isnull=False),
                                   name="annual_submitted_has_time"),
            models.CheckConstraint(condition=Q(status="draft") | Q(attested_at__isnull=False),
                                   name="annual_submitted_attested"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year} v{self.version}"


class YearCertification(models.Model):
    """Year-end close: a county certifies its year once its annual reports are accepted, then city, province;
    the ministry closes the year. A closed year changes only through a recorded re-opening."""

    authority = models.ForeignKey(Authority, verbose_name=_("authority"), on_delete=models.PROTECT,
                                  related_name="year_certifications")
    year = models.PositiveSmallIntegerField(_("year"))
    certified = models.BooleanField(_("certified"), default=True)
    certified_at = models.DateTimeField(_("certified at"), default=timezone.now)
    certified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(_("re-opened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reopen_reason = models.TextField(_("reason for re-opening"), blank=True)

    class Meta:
        verbose_name = _("year certification")
        verbose_name_plural = _("year certifications")
        ordering = ["-year", "authority__code"]
        constraints = [models.UniqueConstraint(fields=["authority", "year"], name="year_certification_unique")]

    def __str__(self) -> str:
        return f"{self.authority} {self.year}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    FULFILLED = "fulfilled", _("Fulfilled")


class CorrectionRequest(models.Model):
    """An enterprise's request to correct a report of a certified (locked) month; the county grants or refuses."""

    report = models.ForeignKey(MonthlyReport, verbose_name=_("report"), on_delete=models.PROTECT,
                               related_name="correction_requests")
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    used = models.BooleanField(_("used by an amendment"), default=False)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["report"], condition=Q(status="pending"),
                                    name="correction_one_pending_per_report"),
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(decision_reason=""),
                                   name="correction_refusal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.status}"


class SupplementaryRequest(models.Model):
    """A reviewer asks for a supplementary report (补充报告) on an accepted report."""

    report = models.ForeignKey(MonthlyReport, verbose_name=_("report"), on_delete=models.PROTECT,
                               related_name="supplementary_requests")
    text = models.TextField(_("what is asked"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplementary report request")
        verbose_name_plural = _("supplementary report requests")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.report} {self.status}"


class ShipmentTotal(models.Model):
    """Shipments summed per year, status, origin (the country only for imports) and exported product (only for a
    designated seller's shipment abroad): what the ministry dashboard's ledger panel shows, without reading the
    year's 1.4 million shipments on every view. Rows are deltas appended by statement-level triggers on
    ``reporting_shipment`` (PostgreSQL; no row is updated in the writers' transactions, so no writer waits for
    another) and folded together by ``reporting.ledger_totals.ledger_totals_compact``; the figures are the sums.
    Not on SQLite (``make run``): there the dashboard reads the shipments."""

    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=12)
    origin = models.CharField(_("origin"), max_length=10)
    origin_country = models.CharField(_("country of origin"), max_length=2, blank=True)
    export_product = models.CharField(_("exported product"), max_length=24, blank=True)
    n = models.BigIntegerField(_("shipments"))
    t = models.DecimalField(_("tonnes REO"), max_digits=20, decimal_places=3)

    class Meta:
        verbose_name = _("shipment total")
        verbose_name_plural = _("shipment totals")
        indexes = [models.Index(fields=["year"], name="shipment_total_year_idx")]

    def __str__(self) -> str:
        return f"{self.year} {self.status} {self.origin}: {self.n}"
