"""The lean write path: ``"submit": true`` files and submits in one request; ``Prefer: return=minimal``."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from organizations.models import AuditEntry
from reporting.models import IdempotencyRecord, MonthlyReport, ReportStatus

from .conftest import huamei_payload, row_counts

pytestmark = pytest.mark.django_db

MINIMAL = {"id", "status", "version", "due_at", "late", "warnings"}


def test_file_and_submit_in_one_request_with_minimal_answer(demo_orgs, api):
    c = api("huamei_filer")
    r = c.post("/api/v1/reports/", {"year": 2025, "month": 3, "submit": True, "attest": True, **huamei_payload(demo_orgs)},
               format="json", HTTP_PREFER="return=minimal")
    assert r.status_code == 201, r.json()
    assert r["Preference-Applied"] == "return=minimal"
    body = r.json()
    assert set(body) == MINIMAL
    assert body["status"] == "submitted" and body["version"] == 1 and body["late"] is True  # 2025-03 is long past
    report = MonthlyReport.objects.get(pk=body["id"])
    assert report.status == ReportStatus.SUBMITTED and report.submitted_at and report.flow_lines.count() == 2
    actions = list(AuditEntry.objects.filter(object_id=str(report.pk), action__startswith="report.")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["report.create", "report.submit"]
    # the full representation is still what a client gets without the preference
    full = c.get(f"/api/v1/reports/{report.pk}/").json()
    assert full["status"] == "submitted" and len(full["shipments"]) == 2


def test_submit_flag_without_preference_echoes_the_report(demo_orgs, api):
    r = api("huamei_filer").post("/api/v1/reports/", {"year": 2025, "month": 3, "submit": True, "attest": True,
                                                      **huamei_payload(demo_orgs)}, format="json")
    assert r.status_code == 201 and "Preference-Applied" not in r
    assert r.json()["status"] == "submitted" and len(r.json()["shipments"]) == 2


def test_refused_submission_writes_nothing_not_even_the_draft(demo_orgs, api):
    c = api("huamei_filer")
    payload = huamei_payload(demo_orgs)
    payload["inventory"][0]["closing"] = "99.000"  # does not balance, no explanation in the comment
    before, audits = row_counts(), AuditEntry.objects.count()
    r = c.post("/api/v1/reports/", {"year": 2025, "month": 3, "submit": True, "attest": True, **payload}, format="json",
               HTTP_PREFER="return=minimal", HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == 400 and r.json()["errors"]
    assert row_counts() == before and AuditEntry.objects.count() == audits
    assert not IdempotencyRecord.objects.filter(key="k1").exists()
    # without "submit" the same content is a valid draft (submission is what checks the balance)
    r = c.post("/api/v1/reports/", {"year": 2025, "month": 3, **payload}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "draft"


def test_field_errors_are_the_same_as_for_filing(demo_orgs, api):
    payload = huamei_payload(demo_orgs)
    payload["production"][0]["tonnes"] = "-1"
    c = api("huamei_filer")
    plain = c.post("/api/v1/reports/", {"year": 2025, "month": 3, **payload}, format="json")
    lean = c.post("/api/v1/reports/", {"year": 2025, "month": 3, "submit": True, "attest": True, **payload}, format="json",
                  HTTP_PREFER="return=minimal")
    assert plain.status_code == lean.status_code == 400
    assert plain.json()["errors"] == lean.json()["errors"]


def test_idempotent_file_and_submit(demo_orgs, api):
    c = api("huamei_filer")
    data = {"year": 2025, "month": 3, "submit": True, "attest": True, **huamei_payload(demo_orgs)}
    r1 = c.post("/api/v1/reports/", data, format="json", HTTP_PREFER="return=minimal", HTTP_IDEMPOTENCY_KEY="fs-1")
    r2 = c.post("/api/v1/reports/", data, format="json", HTTP_PREFER="return=minimal", HTTP_IDEMPOTENCY_KEY="fs-1")
    assert r1.status_code == r2.status_code == 201 and r1.json() == r2.json()
    assert r2["Preference-Applied"] == "return=minimal"
    assert MonthlyReport.objects.filter(year=2025, month=3).count() == 1
    # the same key for a plain filing is another request: refused
    plain = {k: v for k, v in data.items() if k != "submit"}
    assert c.post("/api/v1/reports/", plain, format="json", HTTP_IDEMPOTENCY_KEY="fs-1").status_code == 409


def test_minimal_answer_on_submit_and_fewer_queries(demo_orgs, api):
    c = api("huamei_filer")
    ids = []
    counts = []
    for month, prefer in ((3, {}), (4, {"HTTP_PREFER": "return=minimal"})):
        payload = huamei_payload(demo_orgs, 2025, month, opening_bast="0.000")
        with CaptureQueriesContext(connection) as q:
            r = c.post("/api/v1/reports/", {"year": 2025, "month": month, **payload}, format="json", **prefer)
            s = c.post(f"/api/v1/reports/{r.json()['id']}/submit/", {"attest": True}, format="json", **prefer)
        assert s.status_code == 200, s.json()
        ids.append(s.json()["id"])
        counts.append(len(q))
    assert set(s.json()) == MINIMAL and s["Preference-Applied"] == "return=minimal" and s.json()["status"] == "submitted"
    assert counts[1] < counts[0]  # no re-read of the lines to echo them


def test_openapi_documents_submit_and_prefer():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    create = schema["paths"]["/api/v1/reports/"]["post"]
    assert "submit" in schema["components"]["schemas"]["ReportInputRequest"]["properties"]
    assert any(p["name"] == "Prefer" and "return=minimal" in p["schema"]["enum"] for p in create["parameters"])
    answer = create["responses"]["201"]
    assert "Preference-Applied" in answer["headers"]
    minimal = answer["content"]["application/json"]["schema"]["anyOf"][1]
    assert set(minimal["required"]) == MINIMAL
    submit = schema["paths"]["/api/v1/reports/{id}/submit/"]["post"]
    assert "Preference-Applied" in submit["responses"]["200"]["headers"]
