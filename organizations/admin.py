from django.contrib import admin

from .models import AuditEntry, AuditSeal, Authority, Enterprise, EnterpriseGroup, Licence, Membership


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(EnterpriseGroup)
class EnterpriseGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "credit_code"]
    search_fields = ["name", "credit_code"]


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "county", "group", "stop_rectify_ordered"]
    list_filter = ["group", "stop_rectify_ordered"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["county"]
    inlines = [LicenceInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "authority", "enterprise", "group"]
    list_filter = ["role"]
    raw_id_fields = ["user", "authority", "enterprise", "group"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audited objects are changed through the services, never in the admin: support staff read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
