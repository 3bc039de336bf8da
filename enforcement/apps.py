from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _on_report_accepted(sender, report, **kwargs):
    from .services import on_report_accepted

    on_report_accepted(report)


def _on_report_submitted(sender, report, **kwargs):
    # a late submission raises its `late` flag without waiting for the night
    if getattr(report, "late", False):
        from organizations.outbox import enqueue

        enqueue("enforcement.tasks.flag_late_reports", {}, dedup_key="flag_late_reports")


def _on_batch_issued(sender, batch, **kwargs):
    from .services import on_batch_issued

    on_batch_issued(batch)


class EnforcementConfig(AppConfig):
    name = "enforcement"
    verbose_name = _("Enforcement")
    dashboard_sections = [
        ("ministry", "enforcement/_dash.html"),
        ("authority", "enforcement/_dash.html"),
        ("enterprise", "enforcement/_dash.html"),
        ("group", "enforcement/_dash.html"),
    ]

    def ready(self) -> None:
        from allocations.signals import batch_issued
        from reporting.signals import report_accepted, report_submitted

        report_accepted.connect(_on_report_accepted, dispatch_uid="enforcement.report_accepted")
        report_submitted.connect(_on_report_submitted, dispatch_uid="enforcement.report_submitted")
        batch_issued.connect(_on_batch_issued, dispatch_uid="enforcement.batch_issued")

    def dashboard_context(self, request, kind):
        from .selectors import dashboard_summary

        return {"enforcement": dashboard_summary(user=request.user)}
