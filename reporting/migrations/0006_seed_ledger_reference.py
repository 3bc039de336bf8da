"""Seed the dated reference tables of the ledger: element profiles of feedstocks and separated products, and the
export-control list (MOFCOM/GACC Announcement No. 18 of 2025), from reporting/fixtures/*.csv."""

from django.db import migrations


def seed(apps, schema_editor):
    from reporting.catalogue import ledger_reference_load

    ledger_reference_load(apps.get_model("reporting", "Product"), apps.get_model("reporting", "ElementProfile"),
                          apps.get_model("reporting", "ExportControlItem"))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0005_ledger")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
