"""Fill the allocations monthly roll-up (allocations.MonthlyUsage, new in allocations 0002) from the reports
accepted so far; from now on reporting.services.usage_recompute keeps it up to date on every acceptance."""

from django.db import migrations

FILL = """
INSERT INTO allocations_monthlyusage (enterprise_id, year, month, indicator_type, used_t)
SELECT r.enterprise_id, r.year, r.month, p.indicator_type, SUM(p.tonnes)
FROM reporting_productionline p JOIN reporting_monthlyreport r ON r.id = p.report_id
WHERE r.status = 'accepted'
GROUP BY r.enterprise_id, r.year, r.month, p.indicator_type
ON CONFLICT DO NOTHING
"""


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL)
    else:  # SQLite (embedded mode): the same without ON CONFLICT (the table is new and empty)
        schema_editor.execute(FILL.replace("ON CONFLICT DO NOTHING", ""))


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_immutable_trigger"),
        ("allocations", "0002_monthlyusage"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
