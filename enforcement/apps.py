from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


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
        from . import receivers  # noqa: PLC0415 - apps.py loads before the app registry is ready (receivers import models)

        receivers.connect()

    def dashboard_context(self, request, kind):
        from .selectors import dashboard_summary  # noqa: PLC0415 - apps.py loads before the app registry is ready

        return {"enforcement": dashboard_summary(user=request.user, request=request)}
