"""Support staff read the organisations and the register here. Every change goes through the services (audited,
four eyes where the law asks for it): nothing regulated can be added, changed or deleted in the admin
(tests/organizations/test_admin_read_only.py walks the whole registry)."""

from django.contrib import admin

from .models import (
    AuditEntry,
    AuditSeal,
    Authority,
    CapacityRecord,
    DesignationDecision,
    Enterprise,
    EnterpriseGroup,
    Invitation,
    Licence,
    Membership,
    Permit,
    RegisterImport,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audited objects are changed through the services, never in the admin: support staff read them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Authority)
class AuthorityAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(EnterpriseGroup)
class EnterpriseGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "short_name", "credit_code"]
    search_fields = ["name", "credit_code"]


class LicenceInline(ReadOnlyInline):
    model = Licence


class DecisionInline(ReadOnlyInline):
    model = DesignationDecision
    fk_name = "enterprise"
    fields = ["activity", "kind", "document_no", "effective_from", "effective_to", "status"]


class PermitInline(ReadOnlyInline):
    model = Permit
    fields = ["kind", "number", "issuer", "valid_from", "valid_to"]


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ["name", "credit_code", "county", "group", "stop_rectify_ordered"]
    list_filter = ["group", "stop_rectify_ordered"]
    search_fields = ["name", "credit_code"]
    inlines = [DecisionInline, PermitInline, LicenceInline]


@admin.register(Licence)
class LicenceAdmin(ReadOnlyAdmin):
    list_display = ["number", "enterprise", "activity", "valid_from", "valid_to", "status"]
    search_fields = ["number", "enterprise__name"]


@admin.register(DesignationDecision)
class DesignationDecisionAdmin(ReadOnlyAdmin):
    list_display = ["document_no", "enterprise", "activity", "kind", "effective_from", "effective_to", "status"]
    list_filter = ["kind", "activity", "status"]
    search_fields = ["document_no", "enterprise__name"]


@admin.register(Permit)
class PermitAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "enterprise", "issuer", "valid_from", "valid_to"]
    list_filter = ["kind"]
    search_fields = ["number", "enterprise__name"]


@admin.register(CapacityRecord)
class CapacityRecordAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "activity", "tonnes", "effective_from", "source"]
    list_filter = ["activity"]


@admin.register(RegisterImport)
class RegisterImportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "filename", "status", "drafted_by", "drafted_at", "decided_by"]
    exclude = ["rows"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "role", "authority", "enterprise", "group", "created_at", "expires_at", "accepted_at"]
    exclude = ["token_hash"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "role", "authority", "enterprise", "group", "manages_staff"]
    list_filter = ["role"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: audit entries cannot be added, changed or deleted through any interface."""

    list_display = ["at", "actor_username", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "action", "object_id"]


@admin.register(AuditSeal)
class AuditSealAdmin(ReadOnlyAdmin):
    """Read-only: seals are made by the daily job or ``manage.py seal_audit`` only."""

    list_display = ["number", "at", "entries", "key_id", "mac"]
