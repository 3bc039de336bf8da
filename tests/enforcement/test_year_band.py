"""The nightly reconciliation of one year reads that year's report lines only (issue 15, "more than one year").

The balance and feedstock-yield statements bound their line reads by the band of the period's accepted report ids
(``enforcement.services.scans.accepted_report_ids``), which BRIN indexes (reporting migration 0009) turn into reading
that band of each line table. The band is a superset: reports of other years whose ids fall inside it are still
excluded by the report's year, and no report of the year is lost however the ids interleave.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enforcement import services as enf
from enforcement.models import Flag, FlagKind
from enforcement.services.scans import accepted_report_ids
from reporting import services
from tests.builders import filer_of, payload, reviewer_of

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 5, 20, 10, 0, tzinfo=dt.UTC)
LINE_TABLES = ("reporting_productionline", "reporting_inputline", "reporting_flowline", "reporting_inventoryline")


def laundering_month(ent, year, month, *, closing_off=0):
    """A smelter month separating 5 t of Dy oxide from 100 t of bastnaesite (holds ~0.1 t Dy): yield_implausible.
    ``closing_off`` declares that much more closing stock than the month produced (a balance flag)."""
    data = payload(production=[("smelting_separation", "DY_OXIDE", "5")],
                   inputs=[("imported_ore", "MM", "BAST_CONC", "100")],
                   shipments=[("in", "", "Overseas Ore Co", "MM", "BAST_CONC", "100", dt.date(year, month, 2))],
                   inventory=[("BAST_CONC", 0, 0), ("DY_OXIDE", 0, 5 + closing_off)],
                   comment="stock recount" if closing_off else "")
    r = services.report_create(actor=filer_of(ent), enterprise=ent, year=year, month=month, data=data, now=NOW)
    r = services.report_submit(attest=True, actor=filer_of(ent), report=r, confirm_warnings=True,
                               warnings_explanation="x", now=NOW)
    return services.report_accept(actor=reviewer_of(ent), report=r)


def found(kind):
    return sorted((f.enterprise_id, f.year, f.month) for f in Flag.objects.filter(kind=kind))


def test_a_year_is_reconciled_whole_when_its_report_ids_interleave_with_another_years(demo_orgs):
    huamei, dnsep = demo_orgs["enterprises"]["huamei"], demo_orgs["enterprises"]["dnsep"]
    first = laundering_month(huamei, 2025, 3, closing_off=2)  # ids: 2025, then 2024, then 2025 again
    middle = laundering_month(dnsep, 2024, 3, closing_off=2)
    last = laundering_month(dnsep, 2025, 2, closing_off=2)
    assert first.pk < middle.pk < last.pk
    assert accepted_report_ids(2025, None) == (first.pk, last.pk)
    assert accepted_report_ids(2025, 2) == (last.pk, last.pk)

    enf.flag_scan_flows(year=2025, today=dt.date(2025, 5, 20))
    expected_2025 = sorted([(huamei.pk, 2025, 3), (dnsep.pk, 2025, 2)])
    assert found(FlagKind.YIELD_IMPLAUSIBLE) == expected_2025  # the 2024 report inside the band is not reconciled
    assert found(FlagKind.BALANCE) == expected_2025

    enf.flag_scan_flows(year=2024, today=dt.date(2025, 5, 20))
    assert (dnsep.pk, 2024, 3) in found(FlagKind.YIELD_IMPLAUSIBLE)
    assert (dnsep.pk, 2024, 3) in found(FlagKind.BALANCE)


def test_a_year_without_accepted_reports_reconciles_nothing(demo_orgs):
    laundering_month(demo_orgs["enterprises"]["huamei"], 2025, 3)
    assert accepted_report_ids(2023, None) is None
    assert enf.flag_scan_flows(year=2023, today=dt.date(2025, 5, 20)) == 0
    assert not Flag.objects.filter(year=2023).exists()


def test_every_line_read_of_the_reconciliation_is_bounded_by_the_years_report_band(demo_orgs):
    laundering_month(demo_orgs["enterprises"]["huamei"], 2025, 3, closing_off=2)
    with CaptureQueriesContext(connection) as q:
        enf.flag_scan_flows(year=2025, today=dt.date(2025, 5, 20))
    reads = [x["sql"] for x in q.captured_queries
             if x["sql"].lstrip().upper().startswith(("SELECT", "WITH")) and any(t in x["sql"] for t in LINE_TABLES)]
    assert len(reads) >= 3  # the balance, the yield flags and the products of the flagged months
    for sql in reads:
        for table in LINE_TABLES:
            # each line table the statement reads is read under a report_id BETWEEN bound
            assert sql.count(f"{table}") <= sql.count("report_id BETWEEN"), sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="BRIN indexes are PostgreSQL only")
def test_line_tables_and_shipments_have_their_year_band_indexes():
    with connection.cursor() as cur:
        cur.execute("SELECT tablename, indexdef FROM pg_indexes WHERE indexdef LIKE '%%USING brin%%'")
        brin = {table: definition for table, definition in cur.fetchall()}
    for table in LINE_TABLES:
        assert "(report_id)" in brin[table]
    assert "(dispatch_date)" in brin["reporting_shipment"]
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'reporting_shipment_receipt_origin_idx'")
        assert "WHERE ((origin)::text = 'receipt'::text)" in cur.fetchone()[0]
