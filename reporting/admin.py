"""Support-staff admin. Submitted versions are read-only here as everywhere: only drafts may be edited."""

from django.contrib import admin

from organizations.admin import ReadOnlyAdmin

from .models import (
    Attachment,
    ElementProfile,
    ExportControlItem,
    FlowLine,
    InputLine,
    InventoryLine,
    MonthlyReport,
    PeriodCertification,
    PlausibilityRule,
    Product,
    ProductionLine,
    Receipt,
    ReportStatus,
    Shipment,
)


class _LineInline(admin.TabularInline):
    extra = 0

    def _draft(self, obj):
        return obj is None or obj.status == ReportStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj) and super().has_delete_permission(request, obj)


class ProductionInline(_LineInline):
    model = ProductionLine


class InputInline(_LineInline):
    model = InputLine


class FlowInline(_LineInline):
    model = FlowLine
    raw_id_fields = ["counterparty_enterprise"]


class InventoryInline(_LineInline):
    model = InventoryLine


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "year", "month", "version", "status", "late", "submitted_at", "is_current"]
    list_filter = ["status", "late", "year", "month", "nil"]
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    raw_id_fields = ["enterprise", "previous_version", "submitted_by", "reviewed_by", "created_by"]
    inlines = [ProductionInline, InputInline, FlowInline, InventoryInline]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != ReportStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False  # reports are filed through the portal, never created here


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "kind", "content_type", "size", "report", "flow_line", "uploaded_at"]
    readonly_fields = [f.name for f in Attachment._meta.fields if f.name != "content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "stage", "indicator_type", "reo_factor"]
    list_filter = ["stage", "indicator_type"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(PlausibilityRule)
class PlausibilityRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "indicator_type", "factor", "months", "ceiling_t", "valid_from", "valid_to"]
    list_filter = ["kind"]


@admin.register(PeriodCertification)
class PeriodCertificationAdmin(admin.ModelAdmin):
    list_display = ["authority", "year", "month", "certified", "certified_at", "reopened_at"]
    list_filter = ["certified", "year"]
    readonly_fields = [f.name for f in PeriodCertification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    """Shipments and receipts change only through reporting.ledger (audited)."""

    list_display = ["number", "origin", "seller", "buyer", "product", "tonnes", "dispatch_date", "status"]
    list_filter = ["status", "origin"]
    search_fields = ["number", "lots", "document_no", "customs_no"]
    raw_id_fields = ["seller", "buyer"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["shipment", "buyer", "tonnes", "received_date", "disputed"]
    raw_id_fields = ["shipment", "buyer"]


@admin.register(ExportControlItem)
class ExportControlItemAdmin(admin.ModelAdmin):
    """Dated reference data: a new announcement is a new row; a suspension is a ``valid_to``."""

    list_display = ["product", "announcement", "valid_from", "valid_to"]


@admin.register(ElementProfile)
class ElementProfileAdmin(admin.ModelAdmin):
    list_display = ["product", "element", "share", "valid_from"]
    list_filter = ["product"]
