"""Reads and exports of another organisation's report are recorded in the audit trail (who, what, when).

A county reviewer, a ministry official or a group manager opening or exporting an enterprise's report
leaves an audit entry in that enterprise's chain (``report.read``, ``report.export``,
``report.attachment_download``), visible on the audit page to the authorities above the enterprise. An
enterprise reading its own reports leaves none.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from organizations.audit import audit_record
from organizations.selectors import membership_of
from quota_portal.transactions import service

from .models import Attachment, MonthlyReport

ACCESS_ACTIONS = frozenset({"read", "export", "attachment_download"})


@service
def report_access_record(*, actor: User, report: MonthlyReport, action: str, via: str,
                         attachment: Attachment | None = None) -> bool:
    """Record ``actor``'s read/export of ``report`` if the report is another organisation's; True if recorded."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(action)
    m = membership_of(actor)
    if m is None or (m.enterprise_id is not None and m.enterprise_id == report.enterprise_id):
        return False
    after = {"enterprise": report.enterprise_id, "year": report.year, "month": report.month,
             "version": report.version, "via": via}
    if attachment is not None:
        after.update(attachment=attachment.pk, filename=attachment.filename)
    audit_record(actor=actor, action=f"report.{action}", obj=report, org=report.enterprise, after=after)
    return True
