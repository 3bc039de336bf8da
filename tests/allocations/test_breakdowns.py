"""Group breakdowns: official working-day deadlines, exact sums, eligible subsidiaries only, filed and visible."""

import datetime as dt
from decimal import Decimal

import pytest

from allocations import services
from allocations.models import AllocationLine, GroupBreakdown
from allocations.selectors import quota_get
from allocations.workdays import add_working_days
from organizations.models import Notification
from tests.builders import BJ

pytestmark = pytest.mark.django_db
TZ = BJ
D = Decimal


def test_working_days_across_spring_festival_and_national_day():
    # Issued Tuesday 6 Feb 2024, before the Spring Festival (10–17 Feb off, Sunday 4 and 18 Feb worked):
    # 7, 8, 9, 18 (adjusted Sunday), 19, 20, 21, 22, 23, 26 February. Mon–Fri counting would give 20 Feb.
    due = add_working_days(dt.date(2024, 2, 6), 10)
    assert (due.date, due.estimated) == (dt.date(2024, 2, 26), False)
    # Issued Friday 27 Sep 2024, before National Day (1–7 Oct off, Sunday 29 Sep and Saturday 12 Oct worked):
    # 29, 30 Sep, 8, 9, 10, 11, 12 (adjusted Saturday), 14, 15, 16 Oct.
    assert add_working_days(dt.date(2024, 9, 27), 10).date == dt.date(2024, 10, 16)
    assert add_working_days(dt.date(2024, 9, 27), 3).date == dt.date(2024, 10, 8)


def test_year_without_official_calendar_falls_back_to_weekdays_and_says_so():
    due = add_working_days(dt.date(2027, 1, 29), 10)  # the library has no 2027 data yet
    assert due.estimated is True
    assert due.date == dt.date(2027, 2, 12)
    # Crossing into the unknown year from a known one is also flagged.
    assert add_working_days(dt.date(2026, 12, 28), 10).estimated is True


@pytest.fixture
def north_line(plan, issue, demo_orgs):
    plan(2024, "smelting_separation", "254000")
    batch = issue(2024, [{"group": demo_orgs["groups"]["north"], "indicator_type": "smelting_separation",
                          "tonnes": D("88010")}], document_no="工信部联原〔2024〕25号",
                  issued_at=dt.datetime(2024, 2, 6, 10, tzinfo=TZ))
    assert batch.breakdown_due == dt.date(2024, 2, 26) and not batch.breakdown_due_estimated
    return batch.lines.get()


def _shares(demo_orgs, **tonnes):
    return [{"enterprise": demo_orgs["enterprises"][k], "tonnes": D(v)} for k, v in tonnes.items()]


def test_breakdown_must_sum_exactly(north_line, user, demo_orgs):
    mgr = user("north_manager")
    with pytest.raises(services.DomainValidationError, match="must match exactly") as exc:
        services.breakdown_file(actor=mgr, line=north_line,
                                shares=_shares(demo_orgs, huamei="40000", hefa="28010", tianhe="19999.999"))
    assert "0.001" in exc.value.errors["shares"][0]
    with pytest.raises(services.DomainValidationError):
        services.breakdown_file(actor=mgr, line=north_line,
                                shares=_shares(demo_orgs, huamei="40000", hefa="28010", tianhe="20000.001"))
    assert not GroupBreakdown.objects.exists()


def test_breakdown_only_to_eligible_subsidiaries(north_line, user, demo_orgs):
    mgr = user("north_manager")
    # dnsep belongs to China Rare Earth Group, not to the north group.
    with pytest.raises(services.DomainValidationError) as exc:
        services.breakdown_file(actor=mgr, line=north_line, shares=_shares(demo_orgs, huamei="88000", dnsep="10"))
    assert "shares[1].enterprise" in exc.value.errors
    # bymine is a subsidiary, but a mine is not designated for smelting and has no discharge permit.
    with pytest.raises(services.NotEligible, match="designation in force") as exc:
        services.breakdown_file(actor=mgr, line=north_line, shares=_shares(demo_orgs, huamei="88000", bymine="10"))
    assert list(exc.value.errors) == ["shares[1].enterprise"]
    # Another group's manager cannot file it.
    with pytest.raises(services.NotPermitted):
        services.breakdown_file(actor=user("crg_manager"), line=north_line, shares=_shares(demo_orgs, huamei="88010"))
    assert not GroupBreakdown.objects.exists()


def test_filed_breakdown_counts_and_is_visible_to_ministry_and_province(north_line, user, demo_orgs, api, page):
    bd = services.breakdown_file(actor=user("north_manager"), line=north_line,
                                 shares=_shares(demo_orgs, huamei="40000", hefa="28010", tianhe="20000"))
    assert bd.late is True  # filed today, long after 26 Feb 2024
    with pytest.raises(services.Conflict):
        services.breakdown_file(actor=user("north_manager"), line=north_line, shares=_shares(demo_orgs, huamei="1"))
    row = quota_get(enterprise=demo_orgs["enterprises"]["hefa"], year=2024, indicator_type="smelting_separation")
    assert (row.issued, row.breakdown_received, row.effective) == (D(0), D("28010"), D("28010"))
    assert Notification.objects.filter(user=user("hefa_filer"), kind="allocations.breakdown_filed").exists()
    assert Notification.objects.filter(user=user("nmg_viewer"), kind="allocations.breakdown_filed").exists()

    url = f"/allocations/breakdowns/{bd.pk}/"
    for who in ("miit_official", "nmg_viewer", "north_manager"):
        r = page(who).get(url)
        assert r.status_code == 200 and "28,010.000" in r.content.decode(), who
    # Another province, and the other group, do not see it; the county sees only its own enterprises' shares.
    assert page("longnan_reviewer").get(url).status_code == 404
    assert page("crg_manager").get(url).status_code == 404
    body = page("jiuyuan_reviewer").get(url).content.decode()  # 九原区 holds huamei and hefa, not tianhe
    assert "28,010.000" in body and "20,000.000" not in body
    assert page("hefa_filer").get(url).status_code == 200


def test_overdue_breakdown_shown(north_line, page):
    r = page("north_manager").get("/allocations/breakdowns/")
    assert r.status_code == 200 and "Overdue" in r.content.decode()
    r = page("miit_official").get("/allocations/balance/?year=2024")
    assert "Overdue group breakdowns" in r.content.decode() and "2024-02-26" in r.content.decode()


def test_breakdown_form_page(north_line, page, demo_orgs):
    c = page("north_manager")
    url = f"/allocations/breakdowns/line/{north_line.pk}/"
    r = c.get(url)
    body = r.content.decode()
    assert r.status_code == 200 and 'id="share-sum"' in body and "88010.000" in body
    ent = demo_orgs["enterprises"]
    r = c.post(url, {f"share_{ent['huamei'].pk}": "40000", f"share_{ent['hefa'].pk}": "28000"})
    assert r.status_code == 400 and "must match exactly" in r.content.decode()
    r = c.post(url, {f"share_{ent['huamei'].pk}": "40000", f"share_{ent['hefa'].pk}": "48010", "note": "ok"})
    assert r.status_code == 302
    assert GroupBreakdown.objects.get().shares.count() == 2
    assert page("crg_manager").get(url).status_code == 404


def test_issue_deadline_estimated_when_calendar_unknown(plan, issue, demo_orgs, page):
    plan(2027, "mining_ion", "19150")
    batch = issue(2027, [{"group": demo_orgs["groups"]["crg"], "indicator_type": "mining_ion", "tonnes": D("100")}],
                  issued_at=dt.datetime(2027, 1, 29, 10, tzinfo=TZ))
    assert batch.breakdown_due == dt.date(2027, 2, 12) and batch.breakdown_due_estimated
    line = AllocationLine.objects.get(batch=batch)
    body = page("crg_manager").get(f"/allocations/breakdowns/line/{line.pk}/").content.decode()
    assert "not published yet" in body


def test_breakdown_formset_shows_each_share_error_at_its_row(north_line, page, demo_orgs):
    """Issue 11: the page is a formset (one form per subsidiary, fields still named share_<id>); a bad number and
    a service error (4 decimals) each come back on the row they belong to, nothing is filed."""
    c = page("north_manager")
    url = f"/allocations/breakdowns/line/{north_line.pk}/"
    ent = demo_orgs["enterprises"]
    r = c.post(url, {f"share_{ent['huamei'].pk}": "abc", f"share_{ent['hefa'].pk}": "48010"})
    body = r.content.decode()
    assert r.status_code == 400 and "Enter a number of tonnes." in body and 'value="abc"' in body
    r = c.post(url, {f"share_{ent['huamei'].pk}": "40000.0001", f"share_{ent['hefa'].pk}": "48010"})
    assert r.status_code == 400 and "At most 3 decimals" in r.content.decode()
    assert not GroupBreakdown.objects.exists()
