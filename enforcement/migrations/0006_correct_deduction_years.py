"""Data correction: waiting deductions used to default to the year after the *violation* (a 2024 violation decided
in 2026 deducted from 2025, a year already past). They move to the year after the decision took effect (its
approval, Beijing time). Every change is written to the audit chain (action ``deduction.year_corrected``,
before → after) and printed."""

from django.db import migrations


def forwards(apps, schema_editor):
    # The live function, given the historical models: it only reads and writes fields that exist at this point.
    from enforcement.services.procedure import correct_legacy_deduction_years  # noqa: PLC0415 (migration)

    changes = correct_legacy_deduction_years(apps.get_model("enforcement", "Penalty"),
                                             apps.get_model("enforcement", "PenaltyDeduction"))
    for c in changes:
        print(f"  deduction #{c['deduction']} (penalty #{c['penalty']}): {c['from']} → {c['to']}")


class Migration(migrations.Migration):
    dependencies = [
        ("enforcement", "0005_penalty_procedure"),
        ("organizations", "0006_publication"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
