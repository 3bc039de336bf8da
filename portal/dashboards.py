"""Context for the role dashboards (organizations.views.home calls PortalConfig.dashboard_context)."""

from __future__ import annotations


def dashboard_context(*, request, kind: str) -> dict:
    return {}
