"""The reports API: shape, lifecycle verbs, immutability, scoping, signals, Idempotency-Key."""

import importlib
import threading
import time

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.signals import pre_save
from rest_framework.test import APIClient

from allocations.selectors import quota_get
from organizations.models import OutboxMessage
from quota_portal.transactions import durable_boundary
from reporting import services, signals
from reporting.models import IdempotencyRecord, MonthlyReport, Product, ProductionLine, ReportStatus

from .conftest import huamei_payload, row_counts

pytestmark = pytest.mark.django_db


def test_report_shape_and_lifecycle_through_the_api(demo_orgs, api):
    filer, reviewer = api("huamei_filer"), api("jiuyuan_reviewer")
    r = filer.post("/api/v1/reports/", {"year": 2025, "month": 3, **huamei_payload(demo_orgs)}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["enterprise"] == demo_orgs["enterprises"]["huamei"].pk  # defaults to the filer's enterprise
    assert body["production"] == [{"indicator_type": "smelting_separation", "product": "PRND_OXIDE", "tonnes": "10.000"}]
    assert body["inventory"][0] == {"product": "BAST_CONC", "opening": "0.000", "closing": "8.000"}
    assert body["shipments"][0]["counterparty_enterprise"] == demo_orgs["enterprises"]["bymine"].pk
    assert {"id", "version", "status", "due_at", "submitted_at", "late", "warnings"} <= set(body)
    rid = body["id"]
    assert reviewer.post(f"/api/v1/reports/{rid}/accept/", {}).status_code == 409  # still a draft
    r = filer.post(f"/api/v1/reports/{rid}/submit/", {"attest": True}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["submitted_at"]
    assert filer.post(f"/api/v1/reports/{rid}/accept/", {}).status_code == 403  # filers do not review
    assert api("longnan_reviewer").post(f"/api/v1/reports/{rid}/accept/", {}).status_code == 404  # out of scope
    r = reviewer.post(f"/api/v1/reports/{rid}/return/", {"comment": ""}, format="json")
    assert r.status_code == 400 and "comment" in r.json()["errors"]
    r = reviewer.post(f"/api/v1/reports/{rid}/return/", {"comment": "Attach weighing slips"}, format="json")
    assert r.json()["status"] == "returned" and r.json()["review_comment"] == "Attach weighing slips"
    r = filer.post(f"/api/v1/reports/{rid}/amend/")
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["previous_version"] == rid
    v2 = r.json()["id"]
    assert filer.post(f"/api/v1/reports/{v2}/submit/", {"attest": True}, format="json").status_code == 200
    assert reviewer.post(f"/api/v1/reports/{v2}/accept/", {"comment": "ok"}, format="json").json()["status"] == "accepted"
    listing = filer.get("/api/v1/reports/?year=2025&month=3").json()
    assert listing["count"] == 2
    assert filer.get("/api/v1/reports/?current=true").json()["count"] == 1
    diff = filer.get(f"/api/v1/reports/{v2}/diff/").json()
    assert diff["previous_version"] == rid and diff["changes"] == []
    assert api("hefa_filer").get(f"/api/v1/reports/{rid}/").status_code == 404


def test_submitted_versions_cannot_be_changed_through_the_api(demo_orgs, api, filed):
    report = filed("huamei", 2025, 3)
    before = row_counts()
    c = api("huamei_filer")
    changed = huamei_payload(demo_orgs, produced="99.000")
    for method in (c.patch, c.put):
        r = method(f"/api/v1/reports/{report.pk}/", changed, format="json")
        assert r.status_code == 409
    assert c.post(f"/api/v1/reports/{report.pk}/submit/", {"attest": True}, format="json").status_code == 409
    assert c.post(f"/api/v1/reports/{report.pk}/amend/").status_code == 409  # amend only once reviewed
    assert c.delete(f"/api/v1/reports/{report.pk}/").status_code == 405
    assert row_counts() == before
    assert ProductionLine.objects.get(report=report).tonnes == 10


def test_submitted_versions_are_read_only_in_the_admin(demo_orgs, filed, client):
    report = filed("huamei", 2025, 3)
    admin = get_user_model().objects.create_superuser("support", "s@example.com", "pw-Support-123")
    client.force_login(admin)
    url = f"/admin/reporting/monthlyreport/{report.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="comment"' not in page.content  # shown read-only
    r = client.post(url, {"comment": "changed by support", "status": "draft"})
    assert r.status_code == 403
    report.refresh_from_db()
    assert report.comment == "" and report.status == ReportStatus.SUBMITTED


def test_signals_are_sent_inside_the_transaction_and_outbox_rows_exist_before_commit(
        demo_orgs, users, filed, django_capture_on_commit_callbacks):
    """Issue 11: the events are sent inside the service's transaction and enforcement's receivers write their
    outbox rows in it — before any commit (no on-commit callback has run) — so a crash between the change and
    the follow-up work cannot lose the per-report scan; a rolled-back acceptance leaves no outbox row."""
    seen = []

    def on_submit(sender, report, **kw):
        seen.append(("submitted", report.pk, transaction.get_connection().in_atomic_block))

    def on_accept(sender, report, **kw):
        seen.append(("accepted", report.pk, transaction.get_connection().in_atomic_block))

    signals.report_submitted.connect(on_submit)
    signals.report_accepted.connect(on_accept)
    scans = OutboxMessage.objects.filter(task_name__in=["enforcement.tasks.scan_quota_usage",
                                                        "enforcement.tasks.reconcile_flows"])
    try:
        report = filed("huamei", 2025, 3, submit=False)
        with django_capture_on_commit_callbacks(execute=False):
            services.report_submit(attest=True, actor=users["huamei_filer"], report=report)
        assert seen == [("submitted", report.pk, True)]
        # A failure after the acceptance rolls back the report's acceptance and its outbox rows together.
        with pytest.raises(RuntimeError), durable_boundary():
            services.report_accept(actor=users["jiuyuan_reviewer"], report=report)
            assert scans.count() == 2
            raise RuntimeError("crash before commit")
        assert not scans.exists()
        report.refresh_from_db()
        assert report.status == "submitted"
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.report_accept(actor=users["jiuyuan_reviewer"], report=report)
            # the rows are there while the transaction is still open, none published yet
            assert set(scans.filter(dispatched_at__isnull=True).values_list("task_name", flat=True)) == {
                "enforcement.tasks.scan_quota_usage", "enforcement.tasks.reconcile_flows"}
        assert callbacks  # publishing waits for the commit
        assert seen[-1] == ("accepted", report.pk, True)
    finally:
        signals.report_submitted.disconnect(on_submit)
        signals.report_accepted.disconnect(on_accept)


def test_idempotency_key_on_create_and_submit(demo_orgs, api):
    c = api("huamei_filer")
    payload = {"year": 2025, "month": 3, **huamei_payload(demo_orgs)}
    r1 = c.post("/api/v1/reports/", payload, format="json", HTTP_IDEMPOTENCY_KEY="create-2025-03")
    r2 = c.post("/api/v1/reports/", payload, format="json", HTTP_IDEMPOTENCY_KEY="create-2025-03")
    assert r1.status_code == r2.status_code == 201
    assert r1.json() == r2.json()
    assert MonthlyReport.objects.filter(year=2025, month=3).count() == 1
    rid = r1.json()["id"]
    s1 = c.post(f"/api/v1/reports/{rid}/submit/", {"attest": True}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")
    s2 = c.post(f"/api/v1/reports/{rid}/submit/", {"attest": True}, format="json", HTTP_IDEMPOTENCY_KEY="submit-1")
    assert s1.status_code == s2.status_code == 200 and s1.json() == s2.json()
    assert c.post(f"/api/v1/reports/{rid}/submit/", {"attest": True}, format="json").status_code == 409  # without the key
    # The same key for another request is refused.
    r = c.post(f"/api/v1/reports/{rid}/submit/", {"attest": True}, format="json", HTTP_IDEMPOTENCY_KEY="create-2025-03")
    assert r.status_code == 409
    # A failed request stores nothing and can be retried with the same key.
    bad = {"year": 2025, "month": 2, **huamei_payload(demo_orgs, 2025, 2)}
    bad["production"][0]["tonnes"] = "-1"
    assert c.post("/api/v1/reports/", bad, format="json", HTTP_IDEMPOTENCY_KEY="feb").status_code == 400
    assert not IdempotencyRecord.objects.filter(key="feb").exists()
    bad["production"][0]["tonnes"] = "10"
    assert c.post("/api/v1/reports/", bad, format="json", HTTP_IDEMPOTENCY_KEY="feb").status_code == 201


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_with_one_key_file_once(demo_orgs):
    if not Product.objects.exists():  # an earlier transactional test flushed the seeded catalogue
        importlib.import_module("reporting.migrations.0002_seed_products_rules").seed(apps, None)

    user = get_user_model().objects.get(username="huamei_filer")
    payload = {"year": 2025, "month": 3, **huamei_payload(demo_orgs)}
    results = []
    barrier = threading.Barrier(4)

    def worker(key):
        client = APIClient()
        client.force_authenticate(user)
        try:
            barrier.wait()
            r = client.post("/api/v1/reports/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
            results.append((r.status_code, r.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=("same-key",)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert {code for code, _ in results} == {201}
    assert len({rid for _, rid in results}) == 1
    assert MonthlyReport.objects.filter(year=2025, month=3).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_acceptances_both_count_toward_usage(demo_orgs):
    """Two reviewers' transactions accept two months of one enterprise at the same time: usage holds both."""
    if not Product.objects.exists():
        importlib.import_module("reporting.migrations.0002_seed_products_rules").seed(apps, None)
    User = get_user_model()
    filer, reviewer = User.objects.get(username="huamei_filer"), User.objects.get(username="jiuyuan_reviewer")
    ent = demo_orgs["enterprises"]["huamei"]
    reports = []
    for month, produced in ((2, "10.000"), (3, "15.000")):
        r = services.report_create(actor=filer, enterprise=ent, year=2025, month=month,
                                   data=huamei_payload(demo_orgs, 2025, month, produced=produced))
        reports.append(services.report_submit(attest=True, actor=filer, report=r))
    barrier = threading.Barrier(2)
    errors = []

    def widen_the_window(sender, instance, **kwargs):  # both transactions reach the recompute together
        if instance.status == ReportStatus.ACCEPTED:
            time.sleep(0.4)

    pre_save.connect(widen_the_window, sender=MonthlyReport)

    def accept(report):
        try:
            barrier.wait()
            services.report_accept(actor=User.objects.get(pk=reviewer.pk), report=report)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(r,)) for r in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pre_save.disconnect(widen_the_window, sender=MonthlyReport)
    assert errors == []
    assert quota_get(enterprise=ent, year=2025, indicator_type="smelting_separation").used == 25
