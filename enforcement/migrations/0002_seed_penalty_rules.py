"""Seed the penalty ranges of the Rare Earth Management Regulations (in force 2024-10-01) as the first
version of the dated penalty configuration. Later versions are added as new rows (valid_from), never edits."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

REGS = "《稀土管理条例》(国务院令第785号)"
RULES = [
    # violation_type, legal basis, fine min, max, income multiple min, max, deduction basis, factor, note
    ("flow_records", REGS + " — failing to record or enter product flow information",
     "50000", "200000", None, None, "none", "1",
     "Order to correct; fine CNY 50,000–200,000; refusing to correct: suspension and higher fines."),
    ("illegal_production", REGS + " — illegal mining or smelting separation, production without or above indicator",
     "500000", "2000000", "5", "10", "excess", "1",
     "Fine 5–10× illegal income; CNY 500,000–2,000,000 where there is none. Default deduction: the tonnes "
     "produced above the indicator."),
    ("illegal_trading", REGS + " — buying, selling or processing illegal rare-earth products",
     "500000", "2000000", "5", "10", "none", "1",
     "Fine 5–10× illegal income; CNY 500,000–2,000,000 where there is none."),
    ("inspection_refused", REGS + " — refusing or obstructing supervision and inspection",
     None, None, None, None, "none", "1",
     "Order to correct; the range is not published — the decision states the fine."),
]


def seed(apps, schema_editor):
    PenaltyRule = apps.get_model("enforcement", "PenaltyRule")
    for vt, basis, fmin, fmax, mmin, mmax, dbasis, factor, note in RULES:
        PenaltyRule.objects.update_or_create(
            violation_type=vt, valid_from=dt.date(2024, 10, 1),
            defaults={
                "legal_basis": basis,
                "fine_min_cny": Decimal(fmin) if fmin else None,
                "fine_max_cny": Decimal(fmax) if fmax else None,
                "income_multiple_min": Decimal(mmin) if mmin else None,
                "income_multiple_max": Decimal(mmax) if mmax else None,
                "deduction_basis": dbasis,
                "deduction_factor": Decimal(factor),
                "note": note,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("enforcement", "PenaltyRule").objects.filter(valid_from=dt.date(2024, 10, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
