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
