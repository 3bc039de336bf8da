"""The demo reports: built through the services, idempotent, balanced, with flows that match on both sides."""

import pytest
from django.db.models import Count

from reporting import demo, services
from reporting.models import FlowLine, MonthlyReport, PeriodCertification, ReportStatus

pytestmark = pytest.mark.django_db


def test_demo_reports_are_consistent_and_idempotent(demo_orgs):
    context = dict(demo_orgs)
    demo.seed(context)
    counts = dict(MonthlyReport.objects.values_list("status").annotate(n=Count("pk")))
    assert counts[ReportStatus.ACCEPTED] >= 130
    assert counts[ReportStatus.SUBMITTED] == 2 and counts[ReportStatus.RETURNED] == 1
    assert MonthlyReport.objects.filter(late=True).count() == 1
    assert MonthlyReport.objects.filter(year=2026, month__gt=10).count() == 0
    # Every submitted report passes the submission checks (balances close, opening = last closing).
    for report in MonthlyReport.objects.exclude(status=ReportStatus.DRAFT).order_by("id")[:40]:
        check = services.report_check(report)
        assert check["errors"] == {} and check["balance"] == [], report
    # Shipments between demo enterprises appear on both sides with the same document and tonnes.
    outs = FlowLine.objects.filter(direction="out", counterparty_enterprise__isnull=False, report__year=2026,
                                   report__month=5)
    for line in outs:
        assert FlowLine.objects.filter(report__enterprise=line.counterparty_enterprise, report__year=2026,
                                       report__month=5, direction="in", document_no=line.document_no,
                                       tonnes=line.tonnes, product=line.product).exists()
    assert PeriodCertification.objects.filter(authority__code="150000", certified=True).count() == 6
    before = (MonthlyReport.objects.count(), FlowLine.objects.count(), PeriodCertification.objects.count())
    demo.seed(context)
    assert (MonthlyReport.objects.count(), FlowLine.objects.count(), PeriodCertification.objects.count()) == before
