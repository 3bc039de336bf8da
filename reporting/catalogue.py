"""The product catalogue shipped in reporting/fixtures/products.csv (also loaded by migration 0002)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from .models import Product

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "products.csv"


def products_load() -> int:
    """(Re)load the catalogue from the fixture; returns the number of products. Idempotent."""
    n = 0
    with FIXTURE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            Product.objects.update_or_create(code=row["code"], defaults={
                "name_zh": row["name_zh"], "name_en": row["name_en"], "stage": row["stage"],
                "indicator_type": row["indicator_type"] or "", "reo_factor": Decimal(row["reo_factor"])})
            n += 1
    return n


def product_map() -> dict:
    """code → Product. If the table was emptied (e.g. a test database flushed), the catalogue is reloaded."""
    products = {p.code: p for p in Product.objects.all()}
    if not products:
        products_load()
        products = {p.code: p for p in Product.objects.all()}
    return products


PROFILES = Path(__file__).resolve().parent / "fixtures" / "element_profiles.csv"
EXPORT_CONTROL = Path(__file__).resolve().parent / "fixtures" / "export_control.csv"


def ledger_reference_load(product_model=None, profile_model=None, control_model=None) -> int:
    """(Re)load the element profiles and the export-control list from their fixtures (idempotent). The models can
    be passed in (a data migration passes its historical models); rows of unknown products are skipped."""
    if product_model is None:
        from .models import ElementProfile, ExportControlItem, Product  # noqa: PLC0415 — lazy like products_load (migrations import this module)

        product_model, profile_model, control_model = Product, ElementProfile, ExportControlItem
    known = set(product_model.objects.values_list("code", flat=True))
    n = 0
    with PROFILES.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["product"] in known:
                profile_model.objects.update_or_create(
                    product_id=row["product"], element=row["element"], valid_from=row["valid_from"],
                    defaults={"share": Decimal(row["share"]), "source": row["source"]})
                n += 1
    with EXPORT_CONTROL.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["product"] in known:
                control_model.objects.update_or_create(
                    product_id=row["product"], valid_from=row["valid_from"],
                    defaults={"announcement": row["announcement"], "source": row["source"],
                              "valid_to": row["valid_to"] or None})
                n += 1
    return n
