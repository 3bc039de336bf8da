"""The register of designated enterprises (issue 12): four-eyes decisions, status derived from dated decisions,
permits, bad input (400, nothing written), public register, admin read-only, API."""

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone, translation

from organizations.models import (
    AuditEntry,
    CapacityRecord,
    DesignationDecision,
    Enterprise,
    Notification,
    Permit,
)
from organizations.register_selectors import designation_status
from organizations.register_services import (
    designation_approve,
    designation_draft,
    permit_expiry_reminders,
    permit_record,
)
from organizations.validators import make_credit_code
from quota_portal.errors import InvalidTransition

pytestmark = pytest.mark.django_db

NEW = {"name": "新建稀土冶炼有限公司", "credit_code": make_credit_code("91150207MA0NEW001"), "county_code": "150207",
       "group_code": ""}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _counts():
    return tuple(m.objects.count() for m in (Enterprise, DesignationDecision, Permit, CapacityRecord, AuditEntry))


def _draft_payload(**over):
    body = {"new_enterprise": dict(NEW), "activity": "smelting_separation", "kind": "designate",
            "document_no": "工信部原函〔2026〕7号", "effective_from": "2026-01-01", "basis": "《稀土管理条例》第八条"}
    body.update(over)
    return body


def test_four_eyes_designation_of_a_new_enterprise(demo_orgs, api, user):
    official, approver = api("miit_official"), api("miit_approver")
    r = official.post("/api/v1/designations/", _draft_payload(), format="json")
    assert r.status_code == 201, r.json()
    dec = r.json()
    assert dec["status"] == "draft" and dec["drafted_by"] == "miit_official"
    ent = Enterprise.objects.get(credit_code=NEW["credit_code"])
    assert designation_status(enterprise=ent, activity="smelting_separation", on=dt.date(2026, 6, 1)).status == "none"
    # the official cannot approve at all; an approver cannot approve what they drafted
    assert official.post(f"/api/v1/designations/{dec['id']}/approve/").status_code == 403
    own = designation_draft(actor=user("miit_approver"), enterprise=ent, activity="mining_ion", kind="designate",
                            document_no="X-1", effective_from=dt.date(2026, 1, 1), basis="b")
    r = approver.post(f"/api/v1/designations/{own.pk}/approve/")
    assert r.status_code == 403 and "Four eyes" in r.json()["detail"]
    # a county, an enterprise cannot draft
    assert api("jiuyuan_reviewer").post("/api/v1/designations/", _draft_payload(
        new_enterprise={**NEW, "credit_code": make_credit_code("91150207MA0NEW002")}), format="json").status_code == 403
    r = approver.post(f"/api/v1/designations/{dec['id']}/approve/")
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["decided_by"] == "miit_approver"
    assert designation_status(enterprise=ent, activity="smelting_separation",
                              on=dt.date(2026, 6, 1)).status == "designated"
    # approved decisions are immutable and nothing is deleted
    d = DesignationDecision.objects.get(pk=dec["id"])
    d.basis = "changed"
    with pytest.raises(ValidationError):
        d.save()
    with pytest.raises(ValidationError):
        d.delete()
    assert approver.post(f"/api/v1/designations/{dec['id']}/approve/").status_code == 409
    assert AuditEntry.objects.filter(action="designation.approve", object_id=str(dec["id"])).exists()
    # the enterprise API shows the derived status, permits and capacity
    body = api("miit_official").get(f"/api/v1/enterprises/{ent.pk}/").json()
    assert [(x["activity"], x["status"]) for x in body["designations"]] == [("smelting_separation", "designated")]
    assert body["permits"] == [] and body["capacities"] == []


def test_status_on_a_date_is_derived_from_the_decisions(demo_orgs, user):
    official, approver = user("miit_official"), user("miit_approver")
    ent = demo_orgs["enterprises"]["hefa"]  # designated 2024-01-01 in the demo

    def decide(kind, start, end=None):
        dec = designation_draft(actor=official, enterprise=ent, activity="smelting_separation", kind=kind,
                                document_no=f"{kind}-{start}", effective_from=start, effective_to=end, basis="依据")
        return designation_approve(actor=approver, decision=dec)

    decide("suspend", dt.date(2025, 3, 1), dt.date(2025, 6, 30))
    decide("suspend", dt.date(2025, 9, 1))
    decide("reinstate", dt.date(2025, 10, 15))
    decide("revoke", dt.date(2026, 1, 1))

    def status(day):
        return designation_status(enterprise=ent, activity="smelting_separation", on=day).status

    assert status(dt.date(2023, 12, 31)) == "none"
    assert status(dt.date(2024, 1, 1)) == "designated"
    assert status(dt.date(2025, 2, 28)) == "designated"
    assert status(dt.date(2025, 3, 1)) == "suspended"
    assert status(dt.date(2025, 6, 30)) == "suspended"
    assert status(dt.date(2025, 7, 1)) == "designated"  # the suspension ran out
    assert status(dt.date(2025, 9, 1)) == "suspended"
    assert status(dt.date(2025, 10, 15)) == "designated"
    assert status(dt.date(2026, 1, 1)) == "revoked"
    # a reinstatement of a revoked enterprise does not follow from its status
    dec = designation_draft(actor=official, enterprise=ent, activity="smelting_separation", kind="reinstate",
                            document_no="R2", effective_from=dt.date(2026, 2, 1), basis="依据")
    with pytest.raises(InvalidTransition):
        designation_approve(actor=approver, decision=dec)
    # nothing was edited: five approved decisions, one draft, all kept
    assert ent.designation_decisions.count() == 6


@pytest.mark.parametrize("payload, field", [
    (_draft_payload(new_enterprise={**NEW, "credit_code": "91150207MA0NEW0019"}), "credit_code"),  # wrong check char
    (_draft_payload(new_enterprise={**NEW, "county_code": "159999"}), "county"),  # unknown county
    (_draft_payload(new_enterprise={**NEW, "group_code": "X"}), "group"),
    (_draft_payload(kind="suspend", effective_from="2026-05-01", effective_to="2026-04-30"), "effective_to"),
    (_draft_payload(document_no=" "), "document_no"),
    (_draft_payload(activity="gold"), "activity"),
    (_draft_payload(effective_from="2026-13-01"), "effective_from"),
])
def test_bad_decision_input_is_a_400_naming_the_field_and_writes_nothing(demo_orgs, api, payload, field):
    before = _counts()
    r = api("miit_official").post("/api/v1/designations/", payload, format="json")
    assert r.status_code == 400, r.json()
    body = r.json()
    assert field in (body.get("errors") or body), body
    assert _counts() == before


def test_duplicate_enterprise_is_refused(demo_orgs, api):
    huamei = demo_orgs["enterprises"]["huamei"]
    before = _counts()
    r = api("miit_official").post("/api/v1/designations/", _draft_payload(
        new_enterprise={**NEW, "credit_code": huamei.credit_code}), format="json")
    assert r.status_code == 400 and "already registered" in r.json()["errors"]["credit_code"][0]
    assert _counts() == before


def test_permits_recorded_scoped_and_validated(demo_orgs, api):
    hefa = demo_orgs["enterprises"]["hefa"]
    official = api("miit_official")
    r = official.post("/api/v1/permits/", {"enterprise": hefa.pk, "kind": "radiation", "number": "FS-1",
                                           "issuer": "内蒙古生态环境厅", "valid_from": "2026-01-01",
                                           "valid_to": "2030-12-31"}, format="json")
    assert r.status_code == 201, r.json()
    before = _counts()
    bad = official.post("/api/v1/permits/", {"enterprise": hefa.pk, "kind": "radiation", "number": "FS-2",
                                             "issuer": "x", "valid_from": "2026-01-01", "valid_to": "2025-12-31"},
                        format="json")
    assert bad.status_code == 400 and "valid_to" in bad.json()["errors"]
    dup = official.post("/api/v1/permits/", {"enterprise": hefa.pk, "kind": "radiation", "number": "FS-1",
                                             "issuer": "x", "valid_from": "2026-01-01", "valid_to": "2027-12-31"},
                        format="json")
    assert dup.status_code == 400 and "number" in dup.json()["errors"]
    assert _counts() == before
    # out of scope: another county's reviewer sees no such permit (404) and cannot record one for it
    assert api("longnan_reviewer").get(f"/api/v1/permits/{r.json()['id']}/").status_code == 404
    assert api("jiuyuan_reviewer").get(f"/api/v1/permits/{r.json()['id']}/").status_code == 200
    assert api("longnan_reviewer").post("/api/v1/permits/", {"enterprise": hefa.pk, "kind": "safety", "number": "A",
                                                             "issuer": "x", "valid_from": "2026-01-01",
                                                             "valid_to": "2027-01-01"},
                                        format="json").status_code == 400
    assert api("hefa_filer").post("/api/v1/permits/", {"enterprise": hefa.pk, "kind": "safety", "number": "A",
                                                       "issuer": "x", "valid_from": "2026-01-01",
                                                       "valid_to": "2027-01-01"}, format="json").status_code == 403


def test_permit_expiry_reminders_once_per_permit_and_threshold(demo_orgs, user):
    hefa = demo_orgs["enterprises"]["hefa"]
    today = timezone.localdate()
    p = permit_record(actor=user("miit_official"), enterprise=hefa, kind="radiation", number="FS-EXP",
                      issuer="生态环境厅", valid_from=today - dt.timedelta(days=300),
                      valid_to=today + dt.timedelta(days=45))
    first = permit_expiry_reminders(on=today)
    assert first > 0
    assert permit_expiry_reminders(on=today) == 0  # the job runs again the same day: nothing new
    assert permit_expiry_reminders(on=today + dt.timedelta(days=5)) == 0  # same threshold (60 days)
    assert permit_expiry_reminders(on=today + dt.timedelta(days=16)) == first  # 29 days left: the 30-day threshold
    keys = set(Notification.objects.filter(kind="organizations.permit_expiry").values_list("dedup_key", flat=True))
    assert keys == {f"permit-expiry:{p.pk}:60", f"permit-expiry:{p.pk}:30"}
    # the enterprise and its county are both told
    users = set(Notification.objects.filter(dedup_key=f"permit-expiry:{p.pk}:60").values_list("user__username",
                                                                                              flat=True))
    assert {"hefa_filer", "jiuyuan_reviewer"} <= users


def test_public_register_shows_a_suspension_the_day_it_takes_effect(demo_orgs, user, client):
    ent = demo_orgs["enterprises"]["hefa"]
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    dec = designation_draft(actor=user("miit_official"), enterprise=ent, activity="smelting_separation",
                            kind="suspend", document_no="工信部原函〔2026〕88号", effective_from=today,
                            effective_to=tomorrow, basis="安全检查")
    html = client.get("/public/enterprises/").content.decode()
    assert "内蒙古包钢和发稀土有限公司" in html and "Suspended since" not in html  # a draft is not published
    designation_approve(actor=user("miit_approver"), decision=dec)
    html = client.get("/public/enterprises/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = next(line for line in html.split("<tr") if "内蒙古包钢和发稀土有限公司" in line)
    assert f"Suspended since {today:%Y-%m-%d}" in row and f"(until {tomorrow:%Y-%m-%d})" in row
    assert "工信部原函〔2024〕1号" in row and "2024-01-01" in row  # designation number and date
    huamei_row = next(line for line in html.split("<tr") if "包头华美稀土高科有限公司" in line)
    assert "Suspended" not in huamei_row


def test_admin_is_read_only_for_every_regulated_model():
    """Walk the admin registry: no add, change or delete on any model of the portal's apps (only the framework's
    own admins — users, beat schedules, task results — stay editable by support staff)."""
    ours = {"organizations", "allocations", "reporting", "enforcement", "portal"}  # third-party admins aside
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    checked = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if model._meta.app_label not in ours:
            continue
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_delete_permission(request), label
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), (label, inline)
            assert not inline.has_delete_permission(request, None), (label, inline)
        checked.append(label)
    for must in ("organizations.enterprise", "organizations.enterprisegroup", "organizations.permit",
                 "organizations.designationdecision", "organizations.capacityrecord", "organizations.membership",
                 "enforcement.penaltyrule", "reporting.plausibilityrule", "allocations.nationalplan",
                 "allocations.issuancebatch", "reporting.monthlyreport", "enforcement.case"):
        assert must in checked, must


def test_register_pages_list_filter_and_show_the_enterprise(demo_orgs, page):
    huamei = demo_orgs["enterprises"]["huamei"]
    c = page("miit_official")
    html = c.get("/enterprises/?activity=mining_rock&status=designated").content.decode()
    assert "白云鄂博稀土矿业有限公司" in html and "包头华美稀土高科有限公司" not in html
    html = c.get("/enterprises/?province=360000").content.decode()
    assert "中稀(龙南)稀土矿业有限公司" in html and "包头华美" not in html
    assert "包头华美" not in c.get("/enterprises/?expiring=1").content.decode()  # demo permits run to 2029
    r = c.get(f"/enterprises/{huamei.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    for text in ("工信部原函〔2024〕1号", "PW1502072024", "15,000.000", "项目核准文件"):
        assert text in html, text
    # authorities read their area only; an enterprise reads itself
    assert page("jiuyuan_reviewer").get(f"/enterprises/{huamei.pk}/").status_code == 200
    assert page("longnan_reviewer").get(f"/enterprises/{huamei.pk}/").status_code == 404
    assert page("hefa_filer").get(f"/enterprises/{huamei.pk}/").status_code == 404
    # only the ministry drafts decisions, records capacity; a county reviewer may record a permit in its area
    assert page("jiuyuan_reviewer").get("/register/decisions/new/").status_code == 404
    assert page("jiuyuan_reviewer").get(f"/enterprises/{huamei.pk}/capacity/new/").status_code == 404
    assert page("jiuyuan_reviewer").get(f"/enterprises/{huamei.pk}/permits/new/").status_code == 200


def test_designation_form_errors_stay_on_the_page_and_write_nothing(demo_orgs, page):
    before = _counts()
    r = page("miit_official").post("/register/decisions/new/", {
        "name": "坏数据公司", "credit_code": "123", "county": "999999", "activity": "smelting_separation",
        "kind": "designate", "document_no": "X", "effective_from": "2026-01-01", "basis": "b"})
    assert r.status_code == 400
    assert r.context["form"].errors["credit_code"] and r.context["form"].errors["county"]
    assert _counts() == before


def test_a_permit_carries_its_scanned_copy(demo_orgs, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    hefa = demo_orgs["enterprises"]["hefa"]
    scan = SimpleUploadedFile("排污许可证.pdf", b"%PDF-1.4 scanned", content_type="application/pdf")
    r = api("jiuyuan_reviewer").post("/api/v1/permits/", {
        "enterprise": hefa.pk, "kind": "discharge", "number": "PW-SCAN-1", "issuer": "包头市生态环境局",
        "valid_from": "2026-01-01", "valid_to": "2030-12-31", "scan": scan}, format="multipart")
    assert r.status_code == 201, r.json()
    permit = Permit.objects.get(number="PW-SCAN-1")
    assert permit.scan.read() == b"%PDF-1.4 scanned" and r.json()["scan_url"].endswith(".pdf")
    assert AuditEntry.objects.filter(action="permit.record", object_id=str(permit.pk)).get().after["scan"]
