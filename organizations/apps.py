from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import checks  # noqa: F401 — registers the deploy checks (AUDIT_SEAL_KEY)


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organisations")
