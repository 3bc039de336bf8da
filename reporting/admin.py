"""Support-staff admin: read-only. Reports are filed, amended and reviewed through the portal (audited), rules are
versioned data changed by migrations or the services — never edited here."""

from django.contrib import admin

from organizations.admin import ReadOnlyAdmin, ReadOnlyInline

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
    Shipment,
)


class _LineInline(ReadOnlyInline):
    pass


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
class MonthlyReportAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "year", "month", "version", "status", "late", "submitted_at", "is_current"]
    list_filter = ["status", "late", "year", "month", "nil"]
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    raw_id_fields = ["enterprise", "previous_version", "submitted_by", "reviewed_by", "created_by"]
    inlines = [ProductionInline, InputInline, FlowInline, InventoryInline]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "kind", "content_type", "size", "report", "flow_line", "uploaded_at"]
    readonly_fields = [f.name for f in Attachment._meta.fields if f.name != "content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_zh", "name_en", "stage", "indicator_type", "reo_factor"]
    list_filter = ["stage", "indicator_type"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(PlausibilityRule)
class PlausibilityRuleAdmin(ReadOnlyAdmin):
    list_display = ["kind", "indicator_type", "factor", "months", "ceiling_t", "valid_from", "valid_to"]
    list_filter = ["kind"]


@admin.register(PeriodCertification)
class PeriodCertificationAdmin(ReadOnlyAdmin):
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
class ExportControlItemAdmin(ReadOnlyAdmin):
    """Dated reference data: a new announcement is a new row; a suspension is a ``valid_to``."""

    list_display = ["product", "announcement", "valid_from", "valid_to"]


@admin.register(ElementProfile)
class ElementProfileAdmin(ReadOnlyAdmin):
    list_display = ["product", "element", "share", "valid_from"]
    list_filter = ["product"]
