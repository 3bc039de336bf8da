"""Reading and exporting another organisation's report is logged (who, what, when) and shown on the audit
page; an enterprise reading its own report is not."""

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from organizations.audit import audit_check
from organizations.audit_display import action_label
from organizations.models import AuditEntry

pytestmark = pytest.mark.django_db


def _access(report):
    return AuditEntry.objects.filter(object_type="reporting.MonthlyReport", object_id=str(report.pk),
                                     action__in=["report.read", "report.export", "report.attachment_download"])


def test_reads_and_exports_by_authorities_are_logged_and_shown_on_the_audit_page(demo_orgs, filed, api, page_en):
    report = filed("huamei", 2025, 3)
    assert api("jiuyuan_reviewer").get(f"/api/v1/reports/{report.pk}/").status_code == 200
    assert api("miit_official").get(f"/api/v1/reports/{report.pk}/export/").status_code == 200
    assert page_en("jiuyuan_reviewer").get(f"/reports/{report.pk}/").status_code == 200
    assert page_en("baotou_viewer").get(f"/reports/{report.pk}/export.xlsx").status_code == 200
    rows = list(_access(report).order_by("id").values_list("actor_username", "action", "after", "organisation"))
    assert [(r[0], r[1], r[2]["via"]) for r in rows] == [
        ("jiuyuan_reviewer", "report.read", "api"), ("miit_official", "report.export", "api"),
        ("jiuyuan_reviewer", "report.read", "page"), ("baotou_viewer", "report.export", "page")]
    assert rows[0][2] | {} == {"enterprise": report.enterprise_id, "year": 2025, "month": 3,
                               "version": report.version, "via": "api"}
    assert all(e.at is not None for e in _access(report))
    # visible on the audit page to the authorities above the enterprise
    html = page_en("jiuyuan_reviewer").get("/audit/?q=report.export").content.decode()
    with translation.override("en"):
        label = action_label("report.export")
    assert label == "Monthly report: exported by another organisation"
    names = {u.username: (u.get_full_name() or u.username) for u in User.objects.filter(
        username__in=["miit_official", "baotou_viewer"])}
    assert label in html and names["miit_official"] in html and names["baotou_viewer"] in html
    assert audit_check().ok


def test_an_enterprise_reading_its_own_report_is_not_logged(demo_orgs, filed, api, page_en):
    report = filed("huamei", 2025, 3)
    assert api("huamei_filer").get(f"/api/v1/reports/{report.pk}/").status_code == 200
    assert page_en("huamei_filer").get(f"/reports/{report.pk}/").status_code == 200
    assert api("huamei_filer").get(f"/api/v1/reports/{report.pk}/export/").status_code == 200
    assert not _access(report).exists()
    # and a report out of scope is a 404 that logs nothing either
    assert api("longnan_reviewer").get(f"/api/v1/reports/{report.pk}/").status_code == 404
    assert not _access(report).exists()
