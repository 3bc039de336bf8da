"""Filing, submission, review, returns, amendments and immutability."""

import pytest
from django.db import IntegrityError, transaction

from allocations.selectors import quota_get
from quota_portal.errors import InvalidTransition
from reporting import services
from reporting.models import FlowLine, MonthlyReport, ProductionLine, ReportStatus

from .conftest import huamei_payload

pytestmark = pytest.mark.django_db


def test_create_submit_accept_counts_toward_quota_usage(demo_orgs, users, filed):
    report = filed("huamei", 2025, 3, accept=True)
    assert report.status == ReportStatus.ACCEPTED
    q = quota_get(enterprise=demo_orgs["enterprises"]["huamei"], year=2025, indicator_type="smelting_separation")
    assert q.used == 10


def test_returned_resubmitted_accepted_keeps_versions(demo_orgs, users, filed):
    report = filed("huamei", 2025, 3)
    reviewer, filer = users["jiuyuan_reviewer"], users["huamei_filer"]
    returned = services.report_return(actor=reviewer, report=report, comment="Check the PrNd figure")
    assert returned.status == ReportStatus.RETURNED and returned.review_comment == "Check the PrNd figure"
    v2 = services.report_amend(actor=filer, report=returned)
    assert v2.version == 2 and v2.previous_version_id == report.pk and v2.status == ReportStatus.DRAFT
    payload = huamei_payload(demo_orgs, 2025, 3, produced="11.000")
    services.report_update(actor=filer, report=v2, data=payload)
    services.report_submit(attest=True, actor=filer, report=v2)
    accepted = services.report_accept(actor=reviewer, report=v2)
    assert accepted.status == ReportStatus.ACCEPTED
    versions = MonthlyReport.objects.filter(enterprise=report.enterprise, year=2025, month=3).order_by("version")
    assert [(r.version, r.status) for r in versions] == [(1, "returned"), (2, "accepted")]
    assert ProductionLine.objects.get(report=report).tonnes == 10  # the returned version is kept as filed


def test_amendment_supersedes_on_acceptance_and_recomputes_usage(demo_orgs, users, filed):
    report = filed("huamei", 2025, 3, accept=True)
    filer, reviewer = users["huamei_filer"], users["jiuyuan_reviewer"]
    v2 = services.report_amend(actor=filer, report=report)
    services.report_update(actor=filer, report=v2, data=huamei_payload(demo_orgs, 2025, 3, produced="7.000"))
    services.report_submit(attest=True, actor=filer, report=v2)
    ent = demo_orgs["enterprises"]["huamei"]
    # While the amendment awaits review, the accepted version still counts.
    assert quota_get(enterprise=ent, year=2025, indicator_type="smelting_separation").used == 10
    services.report_accept(actor=reviewer, report=v2)
    assert quota_get(enterprise=ent, year=2025, indicator_type="smelting_separation").used == 7
    report.refresh_from_db()
    assert report.status == ReportStatus.SUPERSEDED
    v2.refresh_from_db()
    assert v2.changes_count == 2  # production tonnes and PRND closing stock changed


def test_submitted_version_cannot_change_through_services(demo_orgs, users, filed):
    report = filed("huamei", 2025, 3)
    with pytest.raises(InvalidTransition):
        services.report_update(actor=users["huamei_filer"], report=report, data={"comment": "x"})
    with pytest.raises(InvalidTransition):
        services.attachment_add(actor=users["huamei_filer"], report=report, filename="a.pdf", content=b"%PDF-1.4 x")


def test_submitted_version_cannot_change_in_the_database(demo_orgs, filed):
    """The trigger refuses writes that bypass the services (raw queryset updates, deletes)."""
    report = filed("huamei", 2025, 3)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductionLine.objects.filter(report=report).update(tonnes=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        FlowLine.objects.filter(report=report).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.filter(pk=report.pk).update(comment="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyReport.objects.filter(pk=report.pk).update(status="draft")
    assert ProductionLine.objects.get(report=report).tonnes == 10
