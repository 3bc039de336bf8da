"""Ledger pages and API: declare, confirm from the filing page, trace page and API (scoped), dashboard figures."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from reporting import ledger, services
from reporting.models import Receipt, Shipment
from tests.builders import filer_of, payload

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 5, 20, 10, 0, tzinfo=dt.UTC)


def login(username):
    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    c.cookies["django_language"] = "en"
    return c


def api(username):
    c = APIClient()
    c.force_authenticate(get_user_model().objects.get(username=username))
    c.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return c


@pytest.fixture
def ents(demo_orgs):
    return demo_orgs["enterprises"]


def test_seller_declares_on_the_page_and_the_buyer_confirms_from_its_filing_page(ents):
    seller = login("huamei_filer")
    r = seller.post("/ledger/declare/", {"buyer_credit_code": ents["hefa"].credit_code, "product": "PRND_OXIDE",
                                         "lots": "L-7", "net_weight_t": "6", "reo_pct": "100",
                                         "dispatch_date": "2025-03-20", "document_no": "WB-7"})
    assert r.status_code == 302, r.content.decode()[:1500]
    s = Shipment.objects.get()
    report = services.report_create(actor=filer_of(ents["hefa"]), enterprise=ents["hefa"], year=2025, month=3,
                                    data=payload(inventory=[("PRND_OXIDE", 0, 6)]), now=NOW)
    buyer = login("hefa_filer")
    page = buyer.get(f"/reports/{report.pk}/edit/")
    assert "Incoming shipments awaiting your confirmation" in page.content.decode() and s.number in page.content.decode()
    r = buyer.post(f"/ledger/{s.pk}/", {"verb": "confirm", "received_tonnes": "6.000", "received_date": "2025-03-22",
                                        "next": f"/reports/{report.pk}/edit/"})
    assert r.status_code == 302 and r["Location"] == f"/reports/{report.pk}/edit/"
    assert Receipt.objects.get().tonnes == 6
    r = buyer.post(f"/ledger/fill/{report.pk}/")
    assert r.status_code == 302
    assert report.flow_lines.get().shipment == s


def test_bad_declaration_on_the_page_shows_field_errors_and_writes_nothing(ents):
    r = login("huamei_filer").post("/ledger/declare/", {"buyer_credit_code": ents["hefa"].credit_code,
                                                         "product": "PRND_OXIDE", "net_weight_t": "-1",
                                                         "reo_pct": "120", "dispatch_date": "2025-03-20",
                                                         "document_no": "WB-7"})
    assert r.status_code == 400
    body = r.content.decode()
    assert "A quantity cannot be negative." in body and "The REO content cannot exceed 100 %." in body
    assert not Shipment.objects.exists()


def test_pages_render_for_the_parties_and_the_county(ents):
    s = ledger.shipment_declare(actor=filer_of(ents["huamei"]), seller=ents["huamei"], data={
        "buyer_credit_code": ents["hefa"].credit_code, "product": "PRND_OXIDE", "net_weight_t": "6", "reo_pct": "100",
        "dispatch_date": "2025-03-20", "document_no": "WB-1", "lots": "LOT-9"}, now=NOW)
    for user in ("huamei_filer", "hefa_filer", "jiuyuan_reviewer", "miit_official"):
        c = login(user)
        for url in ("/ledger/", f"/ledger/{s.pk}/", f"/ledger/{s.pk}/trace/?direction=up",
                    f"/ledger/{s.pk}/trace/?direction=down", "/ledger/?q=LOT-9"):
            r = c.get(url)
            assert r.status_code == 200, (user, url)
            assert s.number in r.content.decode()
    trace = login("jiuyuan_reviewer").get(f"/ledger/{s.pk}/trace/").content.decode()
    assert 'id="trace-table"' in trace and "echarts-5.6.0.min.js" in trace and "<script>" not in trace
    # out of scope: another county's reviewer and an unrelated enterprise
    assert login("longnan_reviewer").get(f"/ledger/{s.pk}/trace/").status_code == 404
    assert login("lnmine_filer").get(f"/ledger/{s.pk}/").status_code == 404


def test_api_declare_confirm_and_trace(ents):
    seller, buyer = api("huamei_filer"), api("hefa_filer")
    r = seller.post("/api/v1/shipments/", {"buyer_credit_code": ents["hefa"].credit_code, "product": "PRND_OXIDE",
                                           "net_weight_t": "6", "reo_pct": "100", "dispatch_date": "2025-03-20",
                                           "document_no": "WB-1"}, format="json")
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert r.json()["tonnes"] == "6.000" and r.json()["number"].startswith("SH")
    bad = seller.post("/api/v1/shipments/", {"product": "PRND_OXIDE", "reo_pct": "101"}, format="json")
    assert bad.status_code == 400 and "reo_pct" in bad.json()["errors"]
    assert api("tianhe_filer" if False else "lnmine_filer").post(f"/api/v1/shipments/{pk}/confirm/", {
        "received_tonnes": "6", "received_date": "2025-03-22"}, format="json").status_code == 404
    for _ in range(2):
        r = buyer.post(f"/api/v1/shipments/{pk}/confirm/", {"received_tonnes": "6", "received_date": "2025-03-22"},
                       format="json")
        assert r.status_code == 200 and r.json()["status"] == "received"
    assert Receipt.objects.count() == 1
    r = api("miit_official").get(f"/api/v1/shipments/{pk}/trace/?direction=up&depth=5")
    assert r.status_code == 200 and r.json()["rows"][0]["shipment"] == r.json()["shipment"]
    assert api("miit_official").get(f"/api/v1/shipments/{pk}/trace/?direction=sideways").status_code == 400
    assert api("longnan_reviewer").get(f"/api/v1/shipments/{pk}/trace/").status_code == 404
    r = api("hefa_filer").get(f"/api/v1/shipments/{pk}/trace/?direction=up&depth=5")
    assert r.json()["depth"] == 1


def test_ministry_dashboard_shows_the_ledger(ents):
    ledger.shipment_declare(actor=filer_of(ents["huamei"]), seller=ents["huamei"], data={
        "buyer_name": "Magnet GmbH", "buyer_country": "DE", "product": "DY_OXIDE", "net_weight_t": "2",
        "reo_pct": "100", "dispatch_date": "2025-05-06", "document_no": "INV", "customs_no": "C-1",
        "export_licence_no": "EL-1"}, now=NOW)
    body = login("miit_official").get("/?year=2025").content.decode()
    assert "Shipment ledger" in body and "Exports by product" in body and "DY_OXIDE *" in body
