"""Carry the old licences into the register without loss: each licence becomes an approved designation
decision (document number = licence number, in force from its start), a permit of the activity's main type
holding its number and validity, and — if it was suspended or revoked — an approved suspension or revocation
dated the day of this migration. Smelting capacities become capacity records. The licence rows are kept."""

import datetime as dt

from django.db import migrations

ROCK_PROVINCES = {"15", "37", "51"}  # Inner Mongolia, Shandong, Sichuan: bastnaesite / rock-type deposits


def forwards(apps, schema_editor):
    Licence = apps.get_model("organizations", "Licence")
    Enterprise = apps.get_model("organizations", "Enterprise")
    Decision = apps.get_model("organizations", "DesignationDecision")
    Permit = apps.get_model("organizations", "Permit")
    Capacity = apps.get_model("organizations", "CapacityRecord")
    today = dt.date.today()
    for lic in Licence.objects.select_related("enterprise__county").order_by("pk"):
        if lic.activity == "mining":
            activity = "mining_rock" if lic.enterprise.county.code[:2] in ROCK_PROVINCES else "mining_ion"
            permit_kind = "mining"
        else:
            activity, permit_kind = "smelting_separation", "discharge"
        basis = f"Migrated from licence {lic.number}"
        Decision.objects.create(enterprise_id=lic.enterprise_id, activity=activity, kind="designate",
                                document_no=lic.number, effective_from=lic.valid_from, basis=basis,
                                status="approved", decided_at=None)
        if lic.status in ("suspended", "revoked"):
            when = max(today, lic.valid_from)
            Decision.objects.create(enterprise_id=lic.enterprise_id, activity=activity,
                                    kind="suspend" if lic.status == "suspended" else "revoke",
                                    document_no=lic.number, effective_from=when, basis=basis, status="approved")
        if not Permit.objects.filter(kind=permit_kind, number=lic.number).exists():
            Permit.objects.create(enterprise_id=lic.enterprise_id, kind=permit_kind, number=lic.number,
                                  issuer="—", valid_from=lic.valid_from, valid_to=lic.valid_to)
    for ent in Enterprise.objects.filter(smelting_capacity_t__isnull=False).order_by("pk"):
        Capacity.objects.create(enterprise_id=ent.pk, activity="smelting_separation", tonnes=ent.smelting_capacity_t,
                                effective_from=dt.date(2000, 1, 1), source="Migrated from the enterprise record")


class Migration(migrations.Migration):
    dependencies = [("organizations", "0006_register")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
