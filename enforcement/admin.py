from django.contrib import admin

from organizations.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Case, CaseEvent, Flag, JobRun, Penalty, PenaltyDeduction, PenaltyRule, Statement


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ["kind", "enterprise", "year", "month", "indicator_type", "subject", "status", "raised_at"]
    list_filter = ["kind", "status", "year"]
    search_fields = ["enterprise__name", "subject"]


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "kind", "text", "data"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "enterprise", "origin", "status", "opened_at"]
    list_filter = ["status", "origin"]
    inlines = [CaseEventInline]


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    list_display = ["pk", "enterprise", "violation_type", "fine_cny", "status", "notice_issued_at"]
    list_filter = ["status", "violation_type"]


@admin.register(PenaltyDeduction)
class PenaltyDeductionAdmin(ReadOnlyAdmin):
    list_display = ["penalty", "enterprise", "year", "indicator_type", "tonnes", "status", "applied_at"]
    list_filter = ["status", "year"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["penalty", "submitted_by", "submitted_at", "waived"]


@admin.register(PenaltyRule)
class PenaltyRuleAdmin(ReadOnlyAdmin):
    """Versioned configuration: a new version (valid_from) comes with a migration, never an edit here."""

    list_display = ["violation_type", "valid_from", "valid_to", "fine_min_cny", "fine_max_cny", "deduction_basis"]
    list_filter = ["violation_type"]


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "status", "total", "done", "created", "started_at", "finished_at"]
    list_filter = ["job", "status"]
