"""Migration 0007 turns the flow lines of filed reports into ledger shipments without losing a tonne."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from reporting import services
from reporting.models import FlowLine, MonthlyReport, Receipt, Shipment
from tests.builders import filer_of, payload

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 5, 20, 10, 0, tzinfo=dt.UTC)
migration = importlib.import_module("reporting.migrations.0007_flow_lines_to_shipments")


def _filed_before_the_ledger(ent, data):
    """A report as it was filed before the ledger existed: submitted, its lines without shipments."""
    r = services.report_create(actor=filer_of(ent), enterprise=ent, year=2025, month=3, data=data, now=NOW)
    MonthlyReport.objects.filter(pk=r.pk).update(status="submitted", submitted_at=timezone.now())
    return r


def test_every_flow_line_becomes_a_shipment_and_every_tonne_is_kept(demo_orgs):
    ents = demo_orgs["enterprises"]
    huamei, hefa, bymine = ents["huamei"], ents["hefa"], ents["bymine"]
    d = dt.date(2025, 3, 20)
    _filed_before_the_ledger(huamei, payload(
        shipments=[("out", hefa.credit_code, "", "CN", "PRND_OXIDE", "6.000", d),
                   ("out", "", "Magnet GmbH", "DE", "PRND_OXIDE", "1.500", d),
                   ("in", bymine.credit_code, "", "CN", "BAST_CONC", "20.000", dt.date(2025, 3, 5)),
                   ("in", "", "Myanmar Mining Ltd", "MM", "ION_MYEU_OXIDE", "4.250", dt.date(2025, 3, 4))],
        inventory=[("PRND_OXIDE", "7.5", 0), ("BAST_CONC", 0, 20), ("ION_MYEU_OXIDE", 0, "4.25")]))
    _filed_before_the_ledger(hefa, payload(
        shipments=[("in", huamei.credit_code, "", "CN", "PRND_OXIDE", "5.900", d)],
        inventory=[("PRND_OXIDE", 0, "5.9")]))
    draft = services.report_create(actor=filer_of(bymine), enterprise=bymine, year=2025, month=3, now=NOW,
                                   data=payload(shipments=[("out", huamei.credit_code, "", "CN", "BAST_CONC", 20,
                                                            dt.date(2025, 3, 5))], inventory=[("BAST_CONC", 20, 0)]))
    assert not Shipment.objects.exists()

    with connection.schema_editor() as editor:
        migration.forwards(apps, editor)

    filed = FlowLine.objects.exclude(report=draft)
    assert not filed.filter(shipment__isnull=True).exists()          # every filed line has its shipment
    assert not FlowLine.objects.filter(report=draft, shipment__isnull=False).exists()  # drafts wait for submission
    out_sum = filed.filter(direction="out").aggregate(t=Sum("tonnes"))["t"]
    in_sum = filed.filter(direction="in").aggregate(t=Sum("tonnes"))["t"]
    declared = Shipment.objects.filter(origin="declared")
    assert declared.aggregate(t=Sum("tonnes"))["t"] == out_sum == Decimal("7.500")
    assert Receipt.objects.aggregate(t=Sum("tonnes"))["t"] == in_sum == Decimal("30.150")
    # the seller's line and the buyer's matching line are one shipment and its receipt
    paired = FlowLine.objects.get(report__enterprise=hefa).shipment
    assert paired.seller == huamei and paired.tonnes == Decimal("6.000") and paired.receipt.tonnes == Decimal("5.900")
    assert FlowLine.objects.get(report__enterprise=huamei, direction="out", counterparty_credit_code=hefa.credit_code
                                ).shipment == paired
    export = Shipment.objects.get(buyer_country="DE")
    assert export.status == "in_transit" and export.seller == huamei
    assert Shipment.objects.get(origin="import").origin_country == "MM"
    assert Shipment.objects.filter(origin="receipt", seller=bymine).get().receipt.tonnes == Decimal("20.000")
    assert all(s.number == f"SH{s.pk:08d}" for s in Shipment.objects.all())
    # the trigger is back: a filed line cannot change
    line = filed.first()
    with pytest.raises(Exception):  # noqa: B017,PT011 — the database refuses, whatever the driver's class
        FlowLine.objects.filter(pk=line.pk).update(tonnes=1)
