"""Who may file and who may review an enterprise's reports (monthly and annual): one check each."""

from __future__ import annotations

from django.utils.translation import gettext as _

from organizations.models import Enterprise
from organizations.permissions import require
from organizations.selectors import membership_of
from quota_portal.errors import NotPermitted


def require_filer(actor, enterprise: Enterprise) -> None:
    require(actor, "reporting.file")
    m = membership_of(actor)
    if m is None or m.enterprise_id != enterprise.pk:
        raise NotPermitted(_("Only the enterprise's own staff can file its reports."))


def require_reviewer(actor, report) -> None:
    """``report``: a monthly or annual report (anything with ``enterprise``)."""
    require(actor, "reporting.review")
    m = membership_of(actor)
    if m is None or m.authority_id != report.enterprise.county_id:
        raise NotPermitted(_("Only a reviewer of the enterprise's county can review its reports."))
