from django.apps import AppConfig
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AllocationsConfig(AppConfig):
    name = "allocations"
    verbose_name = _("Allocations")
    dashboard_sections = [
        ("ministry", "allocations/_dash_ministry.html"),
        ("group", "allocations/_dash_group.html"),
        # the enterprise's indicators are on the portal's enterprise dashboard (chart + table)
    ]

    enterprise_sections = ["allocations/_enterprise_quotas.html"]

    def enterprise_context(self, request, enterprise):
        """The enterprise page of the register shows its indicators of this year."""
        from . import selectors  # noqa: PLC0415 - apps.py loads before the app registry is ready

        year = timezone.localdate().year
        return {"ent_quota_year": year,
                "ent_quotas": selectors.quota_list(user=request.user, year=year, enterprise_ids=[enterprise.pk])}

    def dashboard_context(self, request, kind):
        from . import selectors  # noqa: PLC0415 - apps.py loads before the app registry is ready; models import on first use
        from .models import BatchStatus, IssuanceBatch, NationalPlan, PlanStatus  # noqa: PLC0415 - as above

        year = timezone.localdate().year
        if kind == "ministry":
            return {
                "alloc_year": year,
                "alloc_balance": selectors.national_balance(year=year),
                "alloc_pending_batches": IssuanceBatch.objects.filter(status=BatchStatus.SUBMITTED).count(),
                "alloc_draft_plans": NationalPlan.objects.filter(status=PlanStatus.DRAFT).count(),
                "alloc_overdue": selectors.group_lines(user=request.user).filter(overdue=True).count(),
            }
        if kind == "group":
            return {"alloc_group_pending": [ln for ln in selectors.group_lines(user=request.user) if not ln.filed]}
        return None
