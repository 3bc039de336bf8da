"""Two real concurrent confirmations of one shipment (threads, separate PostgreSQL connections) record one receipt."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from reporting import ledger
from reporting.models import Receipt
from tests.builders import filer_of

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime(2025, 5, 20, 10, 0, tzinfo=dt.UTC)


def _in_thread(fn, results, key):
    def run():
        try:
            results[key] = fn()
        except Exception as exc:  # noqa: BLE001 — the outcome is what the test inspects
            results[key] = exc
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    return t


def test_concurrent_confirmations_record_exactly_one_receipt(demo_orgs):
    ents = demo_orgs["enterprises"]
    s = ledger.shipment_declare(actor=filer_of(ents["huamei"]), seller=ents["huamei"], data={
        "buyer_credit_code": ents["hefa"].credit_code, "product": "PRND_OXIDE", "net_weight_t": "6",
        "reo_pct": "100", "dispatch_date": "2025-03-20", "document_no": "WB-1"}, now=NOW)
    buyer = filer_of(ents["hefa"])
    results: dict = {}
    a_confirmed, a_may_commit = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            out = ledger.shipment_confirm(actor=buyer, shipment_id=s.pk, received_tonnes="6",
                                          received_date="2025-03-22", now=NOW)
            a_confirmed.set()
            a_may_commit.wait(10)  # hold the shipment lock while the second confirmation starts
        return out

    def second():
        return ledger.shipment_confirm(actor=buyer, shipment_id=s.pk, received_tonnes="5.5",
                                       received_date="2025-03-23", now=NOW)

    ta = _in_thread(first, results, "a")
    assert a_confirmed.wait(10)
    tb = _in_thread(second, results, "b")
    tb.join(0.5)
    assert tb.is_alive(), "the second confirmation must wait for the first one's lock"
    a_may_commit.set()
    ta.join(10)
    tb.join(10)
    assert isinstance(results["a"], Receipt) and isinstance(results["b"], Receipt), results
    assert results["a"].pk == results["b"].pk
    assert Receipt.objects.filter(shipment_id=s.pk).count() == 1
    assert Receipt.objects.get(shipment_id=s.pk).tonnes == 6
