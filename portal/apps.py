from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """Role dashboards (charts + accessible tables), the year-end projection and the public pages.

    The top of the dependency chain: it reads the other apps' selectors and models, nobody imports it
    (except templates loading its ``portal`` template-tag library).
    """

    name = "portal"
    verbose_name = _("Portal")
    dashboard_sections = [
        ("ministry", "portal/_dash_ministry.html"),
        ("authority", "portal/_dash_authority.html"),
        ("group", "portal/_dash_group.html"),
        ("enterprise", "portal/_dash_enterprise.html"),
    ]

    def dashboard_context(self, request, kind: str) -> dict:
        from .dashboards import dashboard_context  # noqa: PLC0415 - apps.py loads before the app registry is ready; dashboards imports models

        return dashboard_context(request=request, kind=kind)
