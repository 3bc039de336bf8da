"""System checks of the organisations app (``check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def audit_seal_key_check(app_configs, **kwargs) -> list[Warning]:
    key = str(getattr(settings, "AUDIT_SEAL_KEY", "") or "")
    if key == getattr(settings, "DEV_AUDIT_SEAL_KEY", None) or len(key) < 32:
        return [Warning(
            "AUDIT_SEAL_KEY is the development key or shorter than 32 characters: whoever can write the database "
            "could forge the audit seals.",
            hint="Set AUDIT_SEAL_KEY in the environment to a long random secret kept outside the database.",
            id="organizations.W001",
        )]
    return []
