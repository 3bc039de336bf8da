"""The ministry dashboard's ledger panel reads the ``ShipmentTotal`` roll-up that triggers on the shipments keep
(PostgreSQL): after declarations, exports, imports, confirmations, disputes, a direct update and a delete, the
figures equal the sums over the shipments — before and after the deltas are folded, and after a rebuild — and the
dashboard shows them in one query instead of three over the year's shipments."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from reporting import ledger
from reporting.ledger_totals import ledger_totals_compact, ledger_totals_rebuild
from reporting.models import Shipment, ShipmentStatus, ShipmentTotal
from tests.builders import filer_of

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the roll-up is kept on PostgreSQL")]
NOW = dt.datetime(2025, 5, 20, 10, 0, tzinfo=dt.UTC)


def _declare(seller, buyer=None, tonnes="10", *, product="PRND_OXIDE", day="2025-03-20", **extra):
    data = {"buyer_credit_code": buyer.credit_code if buyer is not None else "", "product": product,
            "net_weight_t": tonnes, "reo_pct": "100", "dispatch_date": day, "document_no": "WB-1", "lots": "L",
            **extra}
    return ledger.shipment_declare(actor=filer_of(seller), seller=seller, data=data, now=NOW)


def _both(user, year):
    return (ledger.ledger_figures(user=user, year=year, from_totals=True),
            ledger.ledger_figures(user=user, year=year, from_totals=False))


def test_the_roll_up_equals_the_shipments(demo_orgs):
    ents = demo_orgs["enterprises"]
    huamei, hefa = ents["huamei"], ents["hefa"]
    others = [e for k, e in ents.items() if k not in ("huamei", "hefa")]
    official = get_user_model().objects.get(username="miit_official")
    s1 = _declare(huamei, hefa, "10")
    s2 = _declare(huamei, hefa, "7.5", day="2025-04-02")
    _declare(hefa, huamei, "3", day="2024-12-30")  # another year
    _declare(huamei, None, "1", product="DY_OXIDE", day="2025-03-06", buyer_name="Magnet GmbH", buyer_country="DE",
             customs_no="CUS-1")
    ledger.import_record(actor=filer_of(huamei), importer=huamei, data={
        "seller_name": "Myanmar Mining Ltd", "origin_country": "MM", "customs_no": "IMP-1",
        "product": "ION_MYEU_OXIDE", "net_weight_t": "20", "reo_pct": "92", "received_date": "2025-03-04"}, now=NOW)
    ledger.shipment_confirm(actor=filer_of(hefa), shipment_id=s1.pk, received_tonnes="10",
                            received_date=dt.date(2025, 3, 22), now=NOW)
    ledger.shipment_confirm(actor=filer_of(hefa), shipment_id=s2.pk, received_tonnes="6", now=NOW,
                            received_date=dt.date(2025, 4, 3), dispute_reason="Short by 1.5 t")
    if others:
        _declare(others[0], huamei, "2.25", day="2025-06-01")
    figures, direct = _both(official, 2025)
    assert figures == direct
    assert figures["disputed"]["n"] == 1 and figures["received"]["n"] == 2 and figures["imports"][0]["n"] == 1
    assert [row["product_id"] for row in figures["exports"]] == ["DY_OXIDE"]
    assert _both(official, 2024)[0] == _both(official, 2024)[1] and _both(official, 2024)[0]["in_transit"]["n"] == 1

    # writes that bypass the services are counted too: a bulk update and a delete
    Shipment.objects.filter(pk=s1.pk).update(tonnes=Decimal("11.000"))
    Shipment.objects.filter(status=ShipmentStatus.IN_TRANSIT, dispatch_date__year=2025).update(
        dispatch_date=dt.date(2026, 1, 5))
    rows_before = ShipmentTotal.objects.count()
    for year in (2024, 2025, 2026):
        figures, direct = _both(official, year)
        assert figures == direct, year
    ledger_totals_compact()
    assert ShipmentTotal.objects.count() < rows_before
    for year in (2024, 2025, 2026):
        assert _both(official, year)[0] == _both(official, year)[1]
    ledger_totals_rebuild()
    assert _both(official, 2025)[0] == _both(official, 2025)[1]


def test_the_dashboard_reads_the_roll_up(demo_orgs, page, django_assert_max_num_queries):
    _declare(demo_orgs["enterprises"]["huamei"], demo_orgs["enterprises"]["hefa"], "4")
    c = page("miit_official")
    c.get("/?year=2025")
    with django_assert_max_num_queries(40) as q:
        r = c.get("/?year=2025")
    assert r.status_code == 200
    assert not any('FROM "reporting_shipment"' in x["sql"] for x in q.captured_queries), \
        "the ministry dashboard reads the shipment totals, not the shipments"
    assert any("reporting_shipmenttotal" in x["sql"] for x in q.captured_queries)
