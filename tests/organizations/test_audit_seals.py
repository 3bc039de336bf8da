"""Audit chains per organisation (no global serialisation point) and HMAC seals of the chain heads
(database + append-only file): a rebuilt chain, a truncated end, a forged or deleted seal are reported."""

from __future__ import annotations

import io
import json
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection, connections, transaction

from organizations.audit import audit_check, audit_record, audit_seal, seal_file_path, seal_mac
from organizations.models import AuditEntry, AuditSeal
from organizations.services import enterprise_set_stop_rectify

pytestmark = pytest.mark.django_db


def _busiest_chain() -> str:
    counts: dict[str, int] = {}
    for chain in AuditEntry.objects.values_list("chain", flat=True):
        counts[chain] = counts.get(chain, 0) + 1
    return max(counts, key=counts.get)


def _more_entries(demo_orgs, user, n=4):
    ent = demo_orgs["enterprises"]["hefa"]
    for i in range(n):
        enterprise_set_stop_rectify(actor=user("jiuyuan_reviewer"), enterprise=ent, ordered=i % 2 == 0, reason=f"r{i}")
    return AuditEntry.objects.filter(action="enterprise.stop_rectify").first().chain


def test_each_organisation_has_its_own_contiguous_chain(demo_orgs, user):
    chain = _more_entries(demo_orgs, user)
    ent = demo_orgs["enterprises"]["hefa"]
    assert chain == f"{ent.county.path}e{ent.pk}/"
    seqs = list(AuditEntry.objects.filter(chain=chain).order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [s for s, _, _ in seqs] == list(range(1, len(seqs) + 1))
    assert seqs[0][1] == "" and all(seqs[i][1] == seqs[i - 1][2] for i in range(1, len(seqs)))
    assert AuditEntry.objects.values("chain").distinct().count() > 3
    check = audit_check()
    assert check.ok and check.entries == AuditEntry.objects.count() and check.first_broken is None


def test_seal_goes_to_the_database_and_the_file_and_covers_only_moved_heads(demo_orgs, user):
    first = audit_seal()
    assert first.number == 1 and first.prev_mac == "" and len(first.heads) == AuditEntry.objects.values(
        "chain").distinct().count()
    chain = _more_entries(demo_orgs, user, n=2)
    second = audit_seal()
    assert second.number == 2 and second.prev_mac == first.mac and list(second.heads) == [chain]
    lines = [json.loads(line) for line in seal_file_path().read_text().splitlines()]
    assert [line["number"] for line in lines] == [1, 2]
    mac = lines[1].pop("mac")
    assert mac == second.mac == seal_mac(lines[1])
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "Audit chain intact" in out.getvalue()
    call_command("seal_audit", stdout=out)
    assert AuditSeal.objects.count() == 3


def _rebuild_from(entry_id: int) -> None:
    """What an insider with database access would do: change one entry with raw SQL, then recompute the hash
    of that entry and of every later one in its chain so that the chain links again."""
    victim = AuditEntry.objects.get(pk=entry_id)
    with connection.cursor() as cur:
        cur.execute("UPDATE organizations_auditentry SET after = %s WHERE id = %s",
                    [json.dumps({"stop_rectify_ordered": False, "reason": "nothing happened"}), entry_id])
    prev = victim.prev_hash
    for entry in AuditEntry.objects.filter(chain=victim.chain, seq__gte=victim.seq).order_by("seq"):
        entry.prev_hash = prev
        digest = entry.content_digest()
        with connection.cursor() as cur:
            cur.execute("UPDATE organizations_auditentry SET prev_hash = %s, hash = %s WHERE id = %s",
                        [prev, digest, entry.pk])
        prev = digest


def test_rebuilt_chain_is_detected_by_the_seal(demo_orgs, user):
    chain = _more_entries(demo_orgs, user)
    audit_seal()
    victim = AuditEntry.objects.filter(chain=chain).order_by("seq")[1]
    _rebuild_from(victim.pk)
    # the hash links alone are consistent again: only the seal can tell
    entries = list(AuditEntry.objects.filter(chain=chain).order_by("seq"))
    assert all(e.content_digest() == e.hash for e in entries)
    assert all(entries[i].prev_hash == entries[i - 1].hash for i in range(1, len(entries)))
    check = audit_check()
    assert not check.ok
    assert any("was rebuilt" in p for p in check.problems), check.problems
    with pytest.raises(CommandError, match="rebuilt"):
        call_command("verify_audit")


def test_truncated_end_is_detected_even_with_the_last_seal_deleted(demo_orgs, user):
    chain = _more_entries(demo_orgs, user)
    audit_seal()
    last_two = list(AuditEntry.objects.filter(chain=chain).order_by("-seq").values_list("id", flat=True)[:2])
    with connection.cursor() as cur:
        cur.execute("DELETE FROM organizations_auditentry WHERE id = ANY(%s)", [last_two])
    check = audit_check()
    assert any("was truncated" in p for p in check.problems), check.problems
    with pytest.raises(CommandError, match="truncated"):
        call_command("verify_audit")
    # the insider also deletes the seal from the database: the file outside it still has it
    with connection.cursor() as cur:
        cur.execute("DELETE FROM organizations_auditseal")
    check = audit_check()
    assert any("was truncated" in p for p in check.problems), check.problems
    assert any("not in the database" in p for p in check.problems), check.problems


def test_forged_seal_and_wrong_key_are_reported(demo_orgs, settings):
    seal = audit_seal()
    with connection.cursor() as cur:
        cur.execute("UPDATE organizations_auditseal SET entries = entries - 1 WHERE id = %s", [seal.pk])
    assert any("does not verify" in p for p in audit_check().problems)
    settings.AUDIT_SEAL_KEY = "another-key-that-is-long-enough-for-the-check-0000"
    problems = audit_check().problems
    assert any("another key" in p for p in problems) and any("MAC that does not verify" in p for p in problems)


def test_edited_entry_is_found_without_any_seal(demo_orgs):
    victim = AuditEntry.objects.order_by("id")[3]
    with connection.cursor() as cur:
        cur.execute("UPDATE organizations_auditentry SET action = 'tampered' WHERE id = %s", [victim.pk])
    check = audit_check()
    assert check.first_broken.pk == victim.pk and not check.ok


@pytest.mark.django_db(transaction=True)
def test_writers_for_different_organisations_do_not_wait_for_each_other(demo_orgs):
    """A transaction holding its chain's lock (an audited write not yet committed) blocks only writers to
    the same chain: a writer for another organisation gets through (with a lock timeout that would fail it
    if it had to wait), a writer to the same chain times out."""
    hefa, huamei = demo_orgs["enterprises"]["hefa"], demo_orgs["enterprises"]["huamei"]
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold():
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.hold", obj=hefa, org=hefa)
                holding.set()
                release.wait(30)
        except BaseException as exc:  # noqa: BLE001 — reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert holding.wait(30)
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '3s'")
            other = audit_record(actor=None, action="test.other", obj=huamei, org=huamei)
        assert other.chain != f"{hefa.county.path}e{hefa.pk}/"
        with pytest.raises(OperationalError, match="lock timeout"):
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL lock_timeout = '300ms'")
                audit_record(actor=None, action="test.same", obj=hefa, org=hefa)
    finally:
        release.set()
        t.join(30)
    assert not errors
    assert audit_check().ok
