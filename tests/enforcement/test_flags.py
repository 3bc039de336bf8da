"""Each flag kind is raised by its evidence and not by a clean case; jobs are idempotent; resolved flags stay
resolved; the due-date boundary is Beijing midnight."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from enforcement import services
from enforcement.models import Flag, FlagKind, FlagStatus, JobRun
from enforcement.receivers import on_report_submitted
from enforcement.services.scans import late_scan_periods
from organizations.models import Notification, OutboxMessage
from organizations.validators import make_credit_code
from quota_portal.celery import app
from reporting.models import FlowLine, MonthlyReport
from tests.builders import U, bj, file_report, issue, payload, smelter_month

# also in the SQLite pass of `make test`: the scans' SQL must give the same flags on make run's database
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
SMELT = "smelting_separation"


def flags(kind, ent=None, **kw):
    qs = Flag.objects.filter(kind=kind, **kw)
    if ent is not None:
        qs = qs.filter(enterprise=ent)
    return qs


# --- missing / late and the Beijing boundary ---------------------------------------------------------


def test_missing_flag_from_beijing_midnight_not_utc(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    utc = dt.UTC
    # 2025-04-10 23:59:59 Beijing = 15:59:59 UTC: still on time, no flag for March
    services.flag_scan_late_reports(now=dt.datetime(2025, 4, 10, 15, 59, 59, tzinfo=utc))
    assert not flags(FlagKind.MISSING, huamei, year=2025, month=3).exists()
    # 2025-04-11 00:00 Beijing = 2025-04-10 16:00 UTC (a UTC deadline would wait 8 more hours)
    services.flag_scan_late_reports(now=dt.datetime(2025, 4, 10, 16, 0, tzinfo=utc))
    assert flags(FlagKind.MISSING, huamei, year=2025, month=3).count() == 1


def test_submitted_report_is_not_missing_and_not_late(demo_orgs):
    ents = demo_orgs["enterprises"]
    file_report(ents["huamei"], 2025, 3, smelter_month(5), accept=False, submitted_at=bj(2025, 4, 10, 23, 30))
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    assert not flags(FlagKind.MISSING, ents["huamei"], year=2025, month=3).exists()
    assert not flags(FlagKind.LATE, ents["huamei"]).exists()
    assert flags(FlagKind.MISSING, ents["hefa"], year=2025, month=3).exists()


def test_late_submission_raises_late_and_settles_missing(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    missing = flags(FlagKind.MISSING, huamei, year=2025, month=3).get()
    file_report(huamei, 2025, 3, smelter_month(5), accept=False, submitted_at=bj(2025, 4, 12, 9, 0))
    services.flag_scan_late_reports(now=bj(2025, 4, 13, 0, 15))
    assert flags(FlagKind.LATE, huamei, year=2025, month=3).count() == 1
    missing.refresh_from_db()
    assert missing.status == FlagStatus.RESOLVED


def test_job_twice_creates_no_duplicates_and_records_progress(demo_orgs):
    n1 = services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    total = Flag.objects.count()
    n2 = services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    assert n1 == total > 0 and n2 == 0 and Flag.objects.count() == total
    runs = JobRun.objects.filter(job="flag_late_reports").order_by("pk")
    assert [r.status for r in runs] == ["done", "done"] and runs[0].created == total and runs[1].created == 0
    assert runs[0].percent == 100


def test_resolved_flag_is_not_reopened_by_same_evidence(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    flag = flags(FlagKind.MISSING, huamei, year=2025, month=3).get()
    services.flag_resolve(actor=U("jiuyuan_reviewer"), flag=flag, comment="Plant shut for maintenance, agreed.")
    services.flag_scan_late_reports(now=bj(2025, 4, 12, 0, 15))
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED and flag.resolved_by.username == "jiuyuan_reviewer"
    assert flags(FlagKind.MISSING, huamei, year=2025, month=3).count() == 1


def test_new_flag_notifies_enterprise_and_county_once(demo_orgs):
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    services.flag_scan_late_reports(now=bj(2025, 4, 11, 0, 15))
    flag = flags(FlagKind.MISSING, demo_orgs["enterprises"]["huamei"], year=2025, month=3).get()
    users = set(Notification.objects.filter(dedup_key=f"flag:{flag.pk}").values_list("user__username", flat=True))
    assert {"huamei_filer", "huamei_manager", "jiuyuan_reviewer"} <= users
    assert Notification.objects.filter(dedup_key=f"flag:{flag.pk}", user__username="huamei_filer").count() == 1


# --- usage ----------------------------------------------------------------------------------------------


@pytest.fixture
def huamei_quota(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    issue(2025, [(huamei, SMELT, 100)])
    return huamei


@pytest.mark.parametrize("produced,kind", [("95", FlagKind.USAGE_WARNING), ("120", FlagKind.OVERRUN)])
def test_usage_flags(huamei_quota, produced, kind):
    file_report(huamei_quota, 2025, 3, smelter_month(produced))
    assert services.flag_scan_quota_usage(year=2025) == 1
    f = flags(kind, huamei_quota, year=2025, month=0, indicator_type=SMELT).get()
    assert Decimal(f.details["used_t"]) == Decimal(produced)
    assert Flag.objects.count() == 1


def test_usage_below_warning_raises_nothing(huamei_quota):
    file_report(huamei_quota, 2025, 3, smelter_month("50"))
    assert services.flag_scan_quota_usage(year=2025) == 0
    assert not Flag.objects.exists()


def test_smelting_counts_output_from_every_feedstock(huamei_quota):
    # 60 t from imported ore + 50 t from monazite: 110 t > 100 t
    data = payload(
        production=[(SMELT, "PRND_OXIDE", 60), (SMELT, "LA_OXIDE", 50)],
        inputs=[("imported_ore", "MM", "ION_MYEU_OXIDE", 60), ("independent_mineral", "", "MONAZ_CONC", 50)],
        inventory=[("ION_MYEU_OXIDE", 60, 0), ("MONAZ_CONC", 50, 0), ("PRND_OXIDE", 0, 60), ("LA_OXIDE", 0, 50)],
    )
    file_report(huamei_quota, 2025, 3, data)
    services.flag_scan_quota_usage(year=2025)
    assert flags(FlagKind.OVERRUN, huamei_quota).exists()


def test_production_without_indicator(demo_orgs):
    hefa = demo_orgs["enterprises"]["hefa"]
    file_report(hefa, 2025, 3, smelter_month(10))
    services.flag_scan_quota_usage(year=2025)
    assert flags(FlagKind.PRODUCTION_WITHOUT_INDICATOR, hefa, indicator_type=SMELT).count() == 1
    assert not flags(FlagKind.OVERRUN).exists()


def test_production_within_indicator_is_not_without_indicator(huamei_quota):
    file_report(huamei_quota, 2025, 3, smelter_month(10))
    services.flag_scan_quota_usage(year=2025)
    assert not flags(FlagKind.PRODUCTION_WITHOUT_INDICATOR).exists()


# --- balances and flows -----------------------------------------------------------------------------------


def test_balance_flag_for_an_accepted_report_that_does_not_close(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    data = smelter_month(10)
    data["inventory"][1]["closing"] = "7.000"  # 3 t unaccounted for
    data["comment"] = "3 t sent for assay, paperwork pending"
    file_report(huamei, 2025, 3, data)
    services.flag_scan_flows(year=2025, month=3)
    f = flags(FlagKind.BALANCE, huamei, year=2025, month=3).get()
    assert f.subject == "PRND_OXIDE" and Decimal(f.details["difference"]) == Decimal("-3.000")


def test_balanced_report_raises_no_balance_flag(demo_orgs):
    file_report(demo_orgs["enterprises"]["huamei"], 2025, 3, smelter_month(10))
    services.flag_scan_flows(year=2025, month=3)
    assert not flags(FlagKind.BALANCE).exists()


def _trade(demo_orgs, shipped, received):
    """Huamei files a shipment out (it enters the ledger at submission); Hefa's receipt names its portal number."""
    ents = demo_orgs["enterprises"]
    huamei, hefa = ents["huamei"], ents["hefa"]
    d = dt.date(2025, 3, 20)
    file_report(huamei, 2025, 3, payload(
        shipments=[("out", hefa.credit_code, "", "CN", "PRND_OXIDE", shipped, d)],
        inventory=[("PRND_OXIDE", shipped, 0)]))
    number = FlowLine.objects.get(report__enterprise=huamei, direction="out").shipment.number
    data = payload(shipments=[("in", huamei.credit_code, "", "CN", "PRND_OXIDE", received, d)],
                   inventory=[("PRND_OXIDE", 0, received)])
    data["shipments"][0]["shipment_no"] = number
    file_report(hefa, 2025, 3, data)
    services.flag_scan_flows(year=2025, month=3)
    return huamei, hefa, number


def test_quantity_mismatch_flags_both_parties_on_the_shipment(demo_orgs):
    huamei, hefa, number = _trade(demo_orgs, "6.000", "5.000")
    assert flags(FlagKind.QUANTITY_MISMATCH, huamei).get().subject == f"shipment:{number}"
    assert flags(FlagKind.QUANTITY_MISMATCH, hefa).get().subject == f"shipment:{number}"
    assert not flags(FlagKind.UNDECLARED_RECEIPT).exists()


def test_flows_within_tolerance_match(demo_orgs):
    _trade(demo_orgs, "6.000", "5.980")  # 0.33 % < 0.5 %
    assert not flags(FlagKind.QUANTITY_MISMATCH).exists()


def test_receipt_of_ore_from_a_non_designated_party(demo_orgs):
    huamei = demo_orgs["enterprises"]["huamei"]
    stranger = make_credit_code("91150200MA0000001")
    file_report(huamei, 2025, 3, payload(
        shipments=[("in", stranger, "Unknown trading co.", "CN", "BAST_CONC", 8, dt.date(2025, 3, 3))],
        inventory=[("BAST_CONC", 0, 8)]))
    services.flag_scan_flows(year=2025, month=3)
    f = flags(FlagKind.UNLICENSED_COUNTERPARTY, huamei).get()
    assert f.details["direction"] == "in" and f.details["counterparty"] == stranger


def test_ore_from_a_designated_mine_and_imports_are_fine(demo_orgs):
    ents = demo_orgs["enterprises"]
    file_report(ents["huamei"], 2025, 3, payload(
        shipments=[("in", ents["bymine"].credit_code, "", "CN", "BAST_CONC", 8, dt.date(2025, 3, 3)),
                   ("in", "", "Myanmar Mining Ltd", "MM", "ION_MYEU_OXIDE", 4, dt.date(2025, 3, 4))],
        inventory=[("BAST_CONC", 0, 8), ("ION_MYEU_OXIDE", 0, 4)]))
    services.flag_scan_flows(year=2025, month=3)
    assert not flags(FlagKind.UNLICENSED_COUNTERPARTY).exists()


def test_shipping_ore_to_a_non_smelter(demo_orgs):
    ents = demo_orgs["enterprises"]
    # the Bayan Obo mine ships concentrate to the Longnan mine, which holds no smelting-separation licence
    file_report(ents["bymine"], 2025, 3, payload(
        shipments=[("out", ents["lnmine"].credit_code, "", "CN", "BAST_CONC", 5, dt.date(2025, 3, 9))],
        inventory=[("BAST_CONC", 5, 0)]))
    services.flag_scan_flows(year=2025, month=3)
    assert flags(FlagKind.UNLICENSED_COUNTERPARTY, ents["bymine"]).get().details["direction"] == "out"


def test_reconcile_twice_no_duplicates(demo_orgs):
    _trade(demo_orgs, "6.000", "5.000")
    n = Flag.objects.count()
    assert services.flag_scan_flows(year=2025, month=3) == 0
    assert Flag.objects.count() == n == 2


def test_flag_descriptions_read_as_sentences(huamei_quota):
    file_report(huamei_quota, 2025, 3, smelter_month("120"))
    services.flag_scan_quota_usage(year=2025)
    flag = flags(FlagKind.OVERRUN, huamei_quota).get()

    with translation.override("en"):
        assert flag.description == ("120.000 t produced against an effective indicator of 100.000 t: "
                                    "20.000 t above it.")


def test_acceptance_enqueues_the_usage_scan_through_the_outbox(huamei_quota, django_capture_on_commit_callbacks):
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # this test runs the task in-process; tests/integration uses a real worker
    try:
        with django_capture_on_commit_callbacks(execute=True):
            file_report(huamei_quota, 2025, 3, smelter_month("120"))
    finally:
        app.conf.task_always_eager = eager
    tasks = set(OutboxMessage.objects.values_list("task_name", flat=True))
    assert {"enforcement.tasks.scan_quota_usage", "enforcement.tasks.reconcile_flows"} <= tasks
    assert flags(FlagKind.OVERRUN, huamei_quota).exists()


def test_a_late_submission_queues_the_late_scan_only_for_a_month_the_scan_looks_at(demo_orgs):
    """The scan that raises ``late`` looks back a few months: a late submission of one of them queues it (one
    pending run for a burst), an older month's — which no scan will ever flag — or an on-time one queues nothing."""
    huamei = demo_orgs["enterprises"]["huamei"]
    y, m = late_scan_periods(timezone.now())[0]
    queued = OutboxMessage.objects.filter(task_name="enforcement.tasks.flag_late_reports")
    for year, month, late in ((y - 1, m, True), (y, m, False)):
        on_report_submitted(MonthlyReport, report=MonthlyReport(enterprise=huamei, year=year, month=month, late=late))
    assert not queued.exists()
    for _i in range(2):
        on_report_submitted(MonthlyReport, report=MonthlyReport(enterprise=huamei, year=y, month=m, late=True))
    assert queued.count() == 1
