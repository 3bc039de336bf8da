"""Support staff read allocations here; every change goes through the services (audited, four eyes)."""

from django.contrib import admin

from organizations.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    Adjustment,
    AllocationLine,
    BreakdownShare,
    Deduction,
    GroupBreakdown,
    IssuanceBatch,
    NationalPlan,
    QuotaUsage,
)


@admin.register(NationalPlan)
class NationalPlanAdmin(ReadOnlyAdmin):
    list_display = ["year", "indicator_type", "revision", "total_t", "reserve_t", "status", "drafted_by", "approved_by"]
    list_filter = ["year", "indicator_type", "status"]


class LineInline(ReadOnlyInline):
    model = AllocationLine
    raw_id_fields = ["enterprise", "group"]


@admin.register(IssuanceBatch)
class IssuanceBatchAdmin(ReadOnlyAdmin):
    list_display = ["year", "sequence", "title", "document_no", "status", "issued_at", "breakdown_due"]
    list_filter = ["year", "status"]
    search_fields = ["title", "document_no"]
    inlines = [LineInline]


class ShareInline(ReadOnlyInline):
    model = BreakdownShare
    raw_id_fields = ["enterprise"]


@admin.register(GroupBreakdown)
class GroupBreakdownAdmin(ReadOnlyAdmin):
    list_display = ["line", "filed_by", "filed_at", "late"]
    list_filter = ["late"]
    inlines = [ShareInline]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "year", "indicator_type", "tonnes", "status", "created_by", "approved_by"]
    list_filter = ["year", "indicator_type", "status"]
    search_fields = ["enterprise__name", "reason"]


@admin.register(Deduction)
class DeductionAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "year", "indicator_type", "tonnes", "penalty_id", "created_at"]
    list_filter = ["year", "indicator_type"]
    search_fields = ["enterprise__name"]


@admin.register(QuotaUsage)
class QuotaUsageAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "year", "indicator_type", "used_t", "updated_at"]
    list_filter = ["year", "indicator_type"]
    search_fields = ["enterprise__name"]
