"""Seed the product catalogue from reporting/fixtures/products.csv and the default plausibility rules."""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "products.csv"


def seed(apps, schema_editor):
    Product = apps.get_model("reporting", "Product")
    with FIXTURE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            Product.objects.update_or_create(
                code=row["code"],
                defaults={
                    "name_zh": row["name_zh"],
                    "name_en": row["name_en"],
                    "stage": row["stage"],
                    "indicator_type": row["indicator_type"] or "",
                    "reo_factor": Decimal(row["reo_factor"]),
                },
            )
    Rule = apps.get_model("reporting", "PlausibilityRule")
    if not Rule.objects.exists():
        Rule.objects.create(kind="production_vs_trailing", factor=Decimal("3"), months=6,
                            valid_from=dt.date(2024, 1, 1))
        Rule.objects.create(kind="shipment_ceiling", ceiling_t=Decimal("2000"), valid_from=dt.date(2024, 1, 1))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
