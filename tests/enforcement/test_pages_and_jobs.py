"""Pages, inbox, reminders, beat schedules and the demo data."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_celery_beat.models import PeriodicTask

from enforcement import services
from enforcement.demo import seed
from enforcement.models import Case, Flag, FlagKind, JobRun, Penalty, PenaltyStatus, Statement
from organizations.models import Notification
from reporting.services import report_return
from tests.builders import U, bj, file_report, smelter_month

pytestmark = pytest.mark.django_db


def test_flag_list_page_filters_and_scope(demo_orgs, page):
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    html = page("jiuyuan_reviewer").get("/enforcement/flags/?kind=missing&year=2025&month=3").content.decode()
    assert demo_orgs["enterprises"]["huamei"].name in html
    assert demo_orgs["enterprises"]["lnmine"].name not in html  # another county
    nat = page("miit_official").get("/enforcement/flags/?region=360000&month=3&year=2025").content.decode()
    assert demo_orgs["enterprises"]["lnmine"].name in nat and demo_orgs["enterprises"]["huamei"].name not in nat


def test_resolve_flag_inline_with_htmx(demo_orgs, page):
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    flag = Flag.objects.get(kind=FlagKind.MISSING, enterprise=demo_orgs["enterprises"]["hefa"], month=3)
    c = page("jiuyuan_reviewer")
    r = c.post(f"/enforcement/flags/{flag.pk}/resolve/", {"comment": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "form-error" in r.content.decode()
    r = c.post(f"/enforcement/flags/{flag.pk}/resolve/", {"comment": "Nil month, confirmed by phone"},
               HTTP_HX_REQUEST="true")
    assert "Nil month, confirmed by phone" in r.content.decode()
    flag.refresh_from_db()
    assert flag.status == "resolved"
    other = Flag.objects.get(kind=FlagKind.MISSING, enterprise=demo_orgs["enterprises"]["lnmine"], month=3)
    assert c.post(f"/enforcement/flags/{other.pk}/resolve/", {"comment": "x"}).status_code == 404


def test_api_flags_filter_and_resolve(demo_orgs, api):
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    r = api("jiuyuan_reviewer").get("/api/v1/flags/?kind=missing&month=3&year=2025")
    assert r.status_code == 200 and r.json()["count"] == 2  # Huamei and Hefa
    fid = r.json()["results"][0]["id"]
    assert api("huamei_filer").post(f"/api/v1/flags/{fid}/resolve/", {"comment": "x"}).status_code in (403, 404)
    r = api("jiuyuan_reviewer").post(f"/api/v1/flags/{fid}/resolve/", {"comment": "ok"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "resolved"


def test_case_pages_open_and_act(demo_orgs, page):
    hefa = demo_orgs["enterprises"]["hefa"]
    c = page("jiuyuan_reviewer")
    r = c.post("/enforcement/cases/new/", {"enterprise": hefa.pk, "origin": "inspection_refused", "title": "",
                                           "description": "Gate closed to inspectors"})
    assert r.status_code == 302
    case = Case.objects.get(enterprise=hefa)
    r = c.post(f"/enforcement/cases/{case.pk}/penalize/", {
        "violation_type": "flow_records", "violation_date": "2025-05-01", "fine_cny": "900000",
        "deduct_smelting_separation": "25"})
    assert r.status_code == 302
    html = c.get(f"/enforcement/cases/{case.pk}/").content.decode()
    assert "⚠" in html  # fine outside the range of the rule in force
    penalty = Penalty.objects.get(case=case)
    assert penalty.status == PenaltyStatus.NOTIFIED
    # deciding before the statement: no form, and a direct POST is refused with the reason
    r = c.post(f"/enforcement/cases/{case.pk}/decide/", {"consideration": "x"})
    assert r.status_code == 400
    r = page("hefa_filer").post(f"/enforcement/cases/{case.pk}/statement/", {"text": "We were not informed."})
    assert r.status_code == 302
    # the notice offered a hearing (a deduction): refused while the request period runs, then waived
    assert c.post(f"/enforcement/cases/{case.pk}/decide/", {"consideration": "Notice was served."}).status_code == 400
    assert page("hefa_filer").post(f"/enforcement/cases/{case.pk}/procedure/hearing/", {"waive": "1"}).status_code == 302
    assert c.post(f"/enforcement/cases/{case.pk}/decide/", {"consideration": "Notice was served."}).status_code == 302
    assert page("miit_approver").post(f"/enforcement/cases/{case.pk}/approve/").status_code == 302
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.APPROVED
    assert page("jiuyuan_reviewer").get("/enforcement/cases/").status_code == 200
    assert page("longnan_reviewer").get(f"/enforcement/cases/{case.pk}/").status_code == 404


def test_inbox_page_api_and_unread_count(demo_orgs, page, api):
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    c = page("huamei_filer")
    html = c.get("/").content.decode()
    n = Notification.objects.filter(user__username="huamei_filer", read_at__isnull=True).count()
    assert n >= 1 and f">{n}</span>" in html
    assert "New flag" in c.get("/inbox/").content.decode() or "新" in c.get("/inbox/").content.decode()
    r = api("huamei_filer").get("/api/v1/notifications/?unread=1")
    assert r.json()["count"] == n
    nid = r.json()["results"][0]["id"]
    assert api("huamei_filer").post(f"/api/v1/notifications/{nid}/read/").json()["marked"] == 1
    assert api("hefa_filer").post(f"/api/v1/notifications/{nid}/read/").status_code == 404
    c.post("/inbox/read/")
    assert not Notification.objects.filter(user__username="huamei_filer", read_at__isnull=True).exists()


def test_deadline_reminders_once_per_enterprise_and_period(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    assert services.reminder_send_deadlines(now=bj(2025, 4, 4, 9, 0)) == 0  # before REMINDER_FROM_DAY
    file_report(demo_orgs["enterprises"]["hefa"], 2025, 3, smelter_month(5), accept=False,
                submitted_at=bj(2025, 4, 3, 10, 0))
    sent = services.reminder_send_deadlines(now=bj(2025, 4, 5, 9, 0))
    assert sent == 2  # Huamei and the Longnan mine (the demo enterprises with users); not Hefa, which filed
    assert services.reminder_send_deadlines(now=bj(2025, 4, 6, 9, 0)) == 0
    keys = Notification.objects.filter(kind="deadline_reminder", user__username="huamei_filer")
    assert [k.dedup_key for k in keys] == [f"reminder:2025-03:e{huamei.pk}"]
    assert not Notification.objects.filter(kind="deadline_reminder", user__username="hefa_filer").exists()
    assert services.reminder_send_deadlines(now=bj(2025, 4, 11, 9, 0)) == 0  # past due: the flag takes over


def test_returned_report_reminder_after_three_days(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    report = file_report(huamei, 2025, 3, smelter_month(5), accept=False, submitted_at=bj(2025, 4, 8, 10, 0))
    report_return(actor=U("jiuyuan_reviewer"), report=report, comment="Fix the stock", now=bj(2025, 4, 9, 10, 0))
    assert services.reminder_send_returned(now=bj(2025, 4, 11, 10, 0)) == 0
    assert services.reminder_send_returned(now=bj(2025, 4, 12, 10, 1)) == 1
    assert services.reminder_send_returned(now=bj(2025, 4, 13, 10, 1)) == 0
    assert Notification.objects.filter(kind="returned_reminder", user__username="huamei_filer").count() == 1


def test_beat_schedules_in_beijing_time(db):
    tasks = {t.task: t for t in PeriodicTask.objects.filter(task__startswith="enforcement.").select_related("crontab")}
    assert {"enforcement.tasks.send_deadline_reminders", "enforcement.tasks.flag_late_reports",
            "enforcement.tasks.scan_quota_usage", "enforcement.tasks.reconcile_flows",
            "enforcement.tasks.apply_deductions"} <= set(tasks)
    late = tasks["enforcement.tasks.flag_late_reports"].crontab
    assert (late.hour, late.minute, str(late.timezone)) == ("0", "15", "Asia/Shanghai")
    rem = tasks["enforcement.tasks.send_deadline_reminders"].crontab
    assert (rem.hour, rem.minute) == ("9", "0")


def test_job_page_shows_progress(demo_orgs, page):
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    run = JobRun.objects.get()
    html = page("miit_official").get("/enforcement/jobs/").content.decode()
    assert 'role="progressbar"' in html and "flag_late_reports" in html
    part = page("miit_official").get(f"/enforcement/jobs/{run.pk}/progress/").content.decode()
    assert 'aria-valuenow="100"' in part
    assert page("huamei_filer").get("/enforcement/jobs/").status_code == 404


def test_demo_seed_is_idempotent(demo_orgs):
    """enforcement.demo on top of the demo organisations (the full seed_demo chain is covered elsewhere)."""
    seed(demo_orgs)
    counts = (Flag.objects.count(), Case.objects.count(), Penalty.objects.count())
    seed(demo_orgs)
    assert (Flag.objects.count(), Case.objects.count(), Penalty.objects.count()) == counts
    assert counts[0] > 0 and counts[1] == 2
    assert Penalty.objects.get().status == PenaltyStatus.APPROVED
    assert Case.objects.filter(status="correction_ordered").count() == 1


def test_statement_with_attachment_and_size_limit(demo_orgs, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_MAX_BYTES = 1000
    hefa = demo_orgs["enterprises"]["hefa"]
    case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=hefa, origin="inspection")
    services.penalty_propose(actor=U("jiuyuan_reviewer"), case=case, violation_type="flow_records",
                             violation_date=dt.date(2025, 5, 1), fine_cny="60000")
    c = page("hefa_filer")
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"x" * 2000, content_type="application/pdf")
    r = c.post(f"/enforcement/cases/{case.pk}/statement/", {"text": "See attached", "files": big})
    assert r.status_code == 400 and not Statement.objects.filter(penalty__case=case).exists()
    small = SimpleUploadedFile("evidence.pdf", b"%PDF-1.4 small", content_type="application/pdf")
    r = c.post(f"/enforcement/cases/{case.pk}/statement/", {"text": "See attached", "files": small})
    assert r.status_code == 302
    st = Statement.objects.get(penalty__case=case)
    assert [a.name for a in st.attachments.all()] == ["evidence.pdf"]
    assert "evidence.pdf" in page("jiuyuan_reviewer").get(f"/enforcement/cases/{case.pk}/").content.decode()
    url = f"/enforcement/cases/{case.pk}/attachments/{st.attachments.get().pk}/"
    assert b"".join(page("jiuyuan_reviewer").get(url).streaming_content) == b"%PDF-1.4 small"
    assert page("longnan_reviewer").get(url).status_code == 404


@pytest.mark.parametrize("username", ["miit_official", "jiuyuan_reviewer", "baotou_viewer", "huamei_filer",
                                      "north_manager"])
def test_pages_render_for_every_role(demo_orgs, page, username):
    seed(demo_orgs)
    c = page(username)
    for url in ("/", "/enforcement/flags/", "/enforcement/cases/", "/enforcement/rules/", "/inbox/"):
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
    case = Case.objects.filter(penalties__isnull=False).get()
    r = c.get(f"/enforcement/cases/{case.pk}/")
    assert r.status_code == (200 if username in ("miit_official", "jiuyuan_reviewer", "baotou_viewer",
                                                 "north_manager") else 404)


def test_penalty_form_warns_outside_the_range_as_you_type(demo_orgs, page):
    case = services.case_open(actor=U("jiuyuan_reviewer"), enterprise=demo_orgs["enterprises"]["hefa"],
                              origin="inspection")
    c = page("jiuyuan_reviewer")
    url = f"/enforcement/cases/{case.pk}/penalty-check/?violation_type=flow_records&violation_date=2025-05-01"
    assert "⚠" not in c.get(url + "&fine_cny=100000").content.decode()
    html = c.get(url + "&fine_cny=250000").content.decode()
    assert "⚠" in html and "200,000" in html
    assert page("longnan_reviewer").get(url + "&fine_cny=1").status_code == 404
