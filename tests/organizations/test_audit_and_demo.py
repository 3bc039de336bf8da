import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from organizations.audit import audit_verify
from organizations.models import AuditEntry, Authority, Enterprise, EnterpriseGroup, Licence, Membership
from organizations.services import enterprise_set_stop_rectify

pytestmark = pytest.mark.django_db


def test_state_change_writes_audit_entry(demo_orgs, user):
    ent = demo_orgs["enterprises"]["hefa"]
    actor = user("jiuyuan_reviewer")
    enterprise_set_stop_rectify(actor=actor, enterprise=ent, ordered=True, reason="inspection refused")
    entry = AuditEntry.objects.filter(action="enterprise.stop_rectify").get()
    assert entry.actor_username == "jiuyuan_reviewer"
    assert entry.organisation == "九原区"
    assert entry.before == {"stop_rectify_ordered": False}
    assert entry.after["stop_rectify_ordered"] is True
    assert entry.object_id == str(ent.pk)


def test_audit_entries_cannot_be_edited_or_deleted(demo_orgs):
    entry = AuditEntry.objects.first()
    entry.action = "forged"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    assert AuditEntry.objects.filter(action="forged").count() == 0


def test_audit_api_is_read_only_and_scoped(demo_orgs, api, user):
    enterprise_set_stop_rectify(actor=user("miit_official"), enterprise=demo_orgs["enterprises"]["lnmine"], ordered=True)
    baotou = api("baotou_viewer").get("/api/v1/audit/?page_size=500").json()
    assert baotou["count"] > 0
    assert all(row["action"] != "enterprise.stop_rectify" for row in baotou["results"])
    ministry = api("miit_official").get("/api/v1/audit/?action=enterprise.stop_rectify").json()
    assert ministry["count"] == 1
    entry_id = ministry["results"][0]["id"]
    c = api("miit_official")
    assert c.delete(f"/api/v1/audit/{entry_id}/").status_code == 405
    assert c.patch(f"/api/v1/audit/{entry_id}/", {"action": "x"}, format="json").status_code == 405
    assert api("huamei_filer").get("/api/v1/audit/").json()["count"] == 0


def test_audit_chain_verifies_and_detects_raw_sql_tampering(demo_orgs):
    n, broken = audit_verify()
    assert broken is None and n == AuditEntry.objects.count()
    victim = AuditEntry.objects.order_by("id")[3]
    with connection.cursor() as cur:
        cur.execute("UPDATE organizations_auditentry SET action = 'tampered' WHERE id = %s", [victim.pk])
    n, broken = audit_verify()
    assert broken.pk == victim.pk
    with pytest.raises(Exception, match=f"#{victim.pk}"):
        call_command("verify_audit")


def counts():
    return tuple(m.objects.count() for m in (Authority, EnterpriseGroup, Enterprise, Licence, Membership, AuditEntry))


def test_seed_demo_twice_gives_the_same_data(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = counts()
    snapshot = sorted(Enterprise.objects.values_list("credit_code", "name", "county__code"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert counts() == first
    assert sorted(Enterprise.objects.values_list("credit_code", "name", "county__code")) == snapshot
    assert first[2] == 14 and first[0] == 30  # ministry + 8 provinces + 9 cities + 12 counties
