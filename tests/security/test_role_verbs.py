"""Every state-changing verb, tried by roles that may not use it, on objects those roles CAN see: 403
(never a change). Complements the scope matrix, which covers objects the role cannot see."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from allocations.models import IssuanceBatch, NationalPlan
from enforcement.models import Case
from organizations.models import AuditEntry
from reporting.models import MonthlyReport
from tests.dbsnapshot import seeded

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seeded("seed_demo", lambda: call_command("seed_demo", stdout=open("/dev/null", "w")))  # built once, replayed (tests/dbsnapshot.py)


def as_(username):
    c = APIClient()
    c.force_authenticate(get_user_model().objects.get(username=username))
    return c


def first_id(client, resource, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    rows = client.get(f"/api/v1/{resource}/?{query}").json()["results"]
    assert rows, f"no {resource} visible with {params}"
    return rows[0]["id"]


def test_verbs_refused_to_roles_that_may_not_use_them(demo):
    submitted = MonthlyReport.objects.filter(status="submitted", enterprise__name__startswith="包头华美").first()
    assert submitted is not None
    batch = IssuanceBatch.objects.filter(status="submitted").first() or IssuanceBatch.objects.first()
    plan = NationalPlan.objects.first()
    case = Case.objects.filter(enterprise__name__startswith="包头华美").first()
    before = AuditEntry.objects.count()
    attempts = [
        # (who, method, url, body)
        ("huamei_filer", "post", "/api/v1/plans/", {"year": 2027, "indicator_type": "mining_rock", "total_t": "1"}),
        ("huamei_filer", "post", f"/api/v1/reports/{submitted.pk}/accept/", {}),
        ("huamei_filer", "post", f"/api/v1/reports/{submitted.pk}/return/", {"comment": "x"}),
        ("huamei_manager", "post", f"/api/v1/reports/{submitted.pk}/accept/", {}),
        ("baotou_viewer", "post", f"/api/v1/reports/{submitted.pk}/accept/", {}),
        ("nmg_viewer", "post", f"/api/v1/reports/{submitted.pk}/return/", {"comment": "x"}),
        ("jiuyuan_reviewer", "post", "/api/v1/plans/", {"year": 2027, "indicator_type": "mining_rock", "total_t": "1"}),
        ("jiuyuan_reviewer", "post", "/api/v1/batches/", {"year": 2027, "title": "x", "lines": []}),
        ("miit_official", "post", f"/api/v1/reports/{submitted.pk}/accept/", {}),
        ("miit_official", "post", f"/api/v1/plans/{plan.pk}/approve/", {}),
        ("miit_official", "post", f"/api/v1/batches/{batch.pk}/approve/", {}),
        ("baotou_viewer", "post", f"/api/v1/cases/{case.pk}/close/", {"comment": "x"}),
        ("huamei_filer", "post", f"/api/v1/cases/{case.pk}/close/", {"comment": "x"}),
        ("huamei_filer", "post", f"/api/v1/cases/{case.pk}/approve-penalty/", {}),
        ("miit_approver", "post", "/api/v1/reports/", {"enterprise": submitted.enterprise_id, "year": 2026,
                                                      "month": 1, "nil": True}),
    ]
    for who, method, url, body in attempts:
        r = getattr(as_(who), method)(url, body, format="json")
        assert r.status_code == 403, f"{who} {method.upper()} {url} → {r.status_code} {r.content[:200]}"
    assert AuditEntry.objects.count() == before  # nothing changed
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
