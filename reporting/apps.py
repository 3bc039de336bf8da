from django.apps import AppConfig
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Monthly reporting")
    dashboard_sections = [
        # the enterprise's report due (deadline, countdown, recent reports) is on the portal's enterprise dashboard
        ("authority", "reporting/_dash_authority.html"),
        ("ministry", "reporting/_dash_ministry.html"),
    ]

    enterprise_sections = ["reporting/_enterprise_reports.html"]

    def enterprise_context(self, request, enterprise):
        """The enterprise page of the register shows its latest monthly reports."""
        from .selectors import report_list  # noqa: PLC0415 - apps.py loads before the app registry is ready

        return {"ent_reports": list(report_list(user=request.user, enterprise=enterprise.pk)[:12])}

    def dashboard_context(self, request, kind):
        from organizations.selectors import membership_of  # noqa: PLC0415 - apps.py loads before the app registry is ready; models import on first use

        from .selectors import enterprise_report_status, report_list  # noqa: PLC0415 - as above

        if kind == "enterprise":
            m = membership_of(request.user)
            if m and m.enterprise_id:
                return {"report_due": enterprise_report_status(enterprise=m.enterprise, now=timezone.now())}
        if kind == "authority":
            year = timezone.localtime().year
            counts = report_list(user=request.user).order_by().aggregate(
                submitted=Count("pk", filter=Q(status="submitted")),
                returned=Count("pk", filter=Q(status="returned")),
                late=Count("pk", filter=Q(late=True, year=year) & ~Q(status="draft")),
            )
            return {"review_counts": counts}
        return {}
