"""Helpers for reporting tests: valid report payloads for the demo enterprises, built through the services."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from rest_framework.test import APIClient

from reporting import services
from reporting.catalogue import products_load
from reporting.models import (
    Attachment,
    FlowLine,
    InputLine,
    InventoryLine,
    MonthlyReport,
    PlausibilityRule,
    Product,
    ProductionLine,
)
from tests.builders import filer_of, reviewer_of


def huamei_payload(demo_orgs, year=2025, month=3, *, opening_bast="0.000", opening_prnd="0.000", produced="10.000"):
    """A balanced smelter month: receives concentrate from the Bayan Obo mine, ships oxide to Hefa."""
    ents = demo_orgs["enterprises"]
    prnd_close = f"{float(opening_prnd) + float(produced) - 6:.3f}"
    return {
        "nil": False,
        "comment": "",
        "production": [{"indicator_type": "smelting_separation", "product": "PRND_OXIDE", "tonnes": produced}],
        "inputs": [{"source": "domestic_mined", "country": "", "product": "BAST_CONC", "tonnes": "12.000"}],
        "shipments": [
            {"direction": "in", "counterparty_credit_code": ents["bymine"].credit_code, "counterparty_name": "",
             "counterparty_country": "CN", "product": "BAST_CONC", "tonnes": "20.000",
             "date": f"{year}-{month:02d}-05", "document_no": "FP-001"},
            {"direction": "out", "counterparty_credit_code": ents["hefa"].credit_code, "counterparty_name": "",
             "counterparty_country": "CN", "product": "PRND_OXIDE", "tonnes": "6.000",
             "date": f"{year}-{month:02d}-20", "document_no": "FP-002"},
        ],
        "inventory": [
            {"product": "BAST_CONC", "opening": opening_bast, "closing": f"{float(opening_bast) + 8:.3f}"},
            {"product": "PRND_OXIDE", "opening": opening_prnd, "closing": prnd_close},
        ],
    }


@pytest.fixture
def users(demo_orgs):
    U = get_user_model()
    return {u.username: u for u in U.objects.all()}


@pytest.fixture
def filed(demo_orgs, users):
    """file(enterprise_key, year, month, submit=True, accept=False, payload=None, now=None) → report."""
    def make(key="huamei", year=2025, month=3, *, submit=True, accept=False, payload=None, now=None):
        ent = demo_orgs["enterprises"][key]
        filer = filer_of(ent, username=f"{key}_filer")
        data = payload if payload is not None else huamei_payload(demo_orgs, year, month)
        report = services.report_create(actor=filer, enterprise=ent, year=year, month=month, data=data, now=now)
        if submit:
            report = services.report_submit(attest=True, actor=filer, report=report, now=now)
        if accept:
            report = services.report_accept(actor=reviewer_of(ent), report=report)
        return report

    return make


@pytest.fixture
def page_en(page):
    """Like ``page`` but the pages are rendered in English (the default language is Simplified Chinese)."""
    def make(username=None):
        c = page(username)
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return c

    return make


def mine_payload(demo_orgs, year=2025, month=3, tonnes="100.000", *, to="huamei", itype="mining_rock",
                 product="BAST_CONC"):
    """A balanced mine month without stock: everything produced is shipped to a group smelter."""
    ent = demo_orgs["enterprises"][to]
    return {
        "nil": False, "comment": "",
        "production": [{"indicator_type": itype, "product": product, "tonnes": tonnes}],
        "inputs": [],
        "shipments": [{"direction": "out", "counterparty_credit_code": ent.credit_code, "counterparty_name": "",
                       "counterparty_country": "CN", "product": product, "tonnes": tonnes,
                       "date": f"{year}-{month:02d}-12", "document_no": f"D{year}{month:02d}"}],
        "inventory": [],
    }


def row_counts():
    return tuple(m.objects.count() for m in (MonthlyReport, ProductionLine, InputLine, FlowLine, InventoryLine,
                                             Attachment))


@pytest.fixture(autouse=True)
def _catalogue(request):
    """The product catalogue and default plausibility rules come from a data migration; a transactional test
    elsewhere in the suite may have flushed them, so put them back when a database test needs them."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        return

    if not Product.objects.exists():
        products_load()
    if not PlausibilityRule.objects.exists():
        PlausibilityRule.objects.create(kind="production_vs_trailing", factor=Decimal("3"), months=6,
                                        valid_from=datetime.date(2024, 1, 1))
        PlausibilityRule.objects.create(kind="shipment_ceiling", ceiling_t=Decimal("2000"),
                                        valid_from=datetime.date(2024, 1, 1))


@pytest.fixture(autouse=True)
def _english():
    """Messages asserted in these tests are the English source strings (the default language is zh-hans)."""
    with translation.override("en"):
        yield


@pytest.fixture
def api(db):
    """Like the shared ``api`` fixture, with ``Accept-Language: en`` on every request."""
    def make(username=None):
        client = APIClient()
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        if username:
            client.force_authenticate(get_user_model().objects.get(username=username))
        return client

    return make
