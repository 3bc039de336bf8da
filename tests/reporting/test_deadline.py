"""The deadline: end (24:00) of the 10th of the following month, Beijing time."""

import datetime as dt

import pytest

from organizations.services import user_with_membership_upsert
from quota_portal.errors import DomainValidationError
from reporting import services
from reporting.selectors import due_label, period_due_at
from tests.builders import bj

from .conftest import mine_payload

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def test_due_at_is_end_of_the_tenth_in_beijing():
    due = period_due_at(2025, 3)
    assert due == bj(2025, 4, 11, 0, 0)
    assert due.astimezone(UTC) == dt.datetime(2025, 4, 10, 16, 0, tzinfo=UTC)
    assert period_due_at(2025, 12) == bj(2026, 1, 11)


BOUNDARY = [
    # (month of 2025, submission instant, late?) — the report of month m is due at 24:00 on the 10th of m+1
    (1, bj(2025, 2, 10, 23, 59), False),  # 23:59 on the 10th, Beijing: on time
    (2, bj(2025, 3, 10, 23, 59, 59), False),
    (3, bj(2025, 4, 11, 0, 0), False),  # exactly 24:00 on the 10th
    (4, bj(2025, 5, 11, 0, 1), True),  # 00:01 on the 11th: late
    # 10 June 16:30 UTC (UTC date: the 10th) is 11 June 00:30 in Beijing → late
    (5, dt.datetime(2025, 6, 10, 16, 30, tzinfo=UTC), True),
    # 10 July 15:59 UTC is 23:59 on the 10th in Beijing → on time
    (6, dt.datetime(2025, 7, 10, 15, 59, tzinfo=UTC), False),
    # 9 August 17:00 UTC (UTC date: the 9th) is already 10 August 01:00 in Beijing → on time
    (7, dt.datetime(2025, 8, 9, 17, 0, tzinfo=UTC), False),
]


def test_submission_late_flag_at_the_boundary(demo_orgs):
    ent = demo_orgs["enterprises"]["bymine"]
    filer = user_with_membership_upsert(username="bymine_filer", password=None, role="enterprise_filer", enterprise=ent)
    for month, submitted, late in BOUNDARY:
        report = services.report_create(actor=filer, enterprise=ent, year=2025, month=month,
                                        data=mine_payload(demo_orgs, 2025, month), now=bj(2025, month + 1, 2))
        report = services.report_submit(attest=True, actor=filer, report=report, now=submitted)
        report.refresh_from_db()
        assert report.due_at == period_due_at(2025, month) == bj(2025, month + 1, 11)
        assert report.submitted_at == submitted
        assert report.late is late, (month, submitted)


def test_resubmission_after_return_keeps_the_first_filing_time(demo_orgs, users, filed):
    report = filed("huamei", 2025, 3, now=bj(2025, 4, 9, 12))
    assert report.late is False
    services.report_return(actor=users["jiuyuan_reviewer"], report=report, comment="fix")
    v2 = services.report_amend(actor=users["huamei_filer"], report=report, now=bj(2025, 4, 20))
    v2 = services.report_submit(attest=True, actor=users["huamei_filer"], report=v2, now=bj(2025, 4, 20))
    assert v2.late is False and v2.submitted_at == bj(2025, 4, 20)


def test_no_report_for_a_month_that_has_not_ended(demo_orgs, users):
    with pytest.raises(DomainValidationError) as exc:
        services.report_create(actor=users["huamei_filer"], enterprise=demo_orgs["enterprises"]["huamei"],
                               year=2025, month=4, data={}, now=bj(2025, 4, 30, 23, 59))
    assert "month" in exc.value.errors
    # One minute later, in Beijing, April has ended.
    services.report_create(actor=users["huamei_filer"], enterprise=demo_orgs["enterprises"]["huamei"],
                           year=2025, month=4, data={}, now=bj(2025, 5, 1, 0, 0))


def test_deadline_is_shown_as_24_00_on_the_tenth(demo_orgs, filed, page_en):
    assert due_label(period_due_at(2025, 3)) == "2025-04-10 24:00"
    report = filed("huamei", 2025, 3)
    assert "2025-04-10 24:00" in page_en("huamei_filer").get(f"/reports/{report.pk}/").content.decode()
