"""make backup / make restore: the round trip on a seeded database, into a new database, checked against
the manifest and the audit seals; attachments come back byte-identical."""

from __future__ import annotations

import hashlib
import io
import json

import psycopg2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from organizations.models import AuditEntry
from portal.backup import _connect, drop_database
from reporting.models import Attachment, MonthlyReport, ReportStatus
from reporting.services import attachment_add

pytestmark = pytest.mark.django_db(transaction=True)

BINARY = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\x00\xff\n%%EOF"


@pytest.fixture
def restored_names():
    names: list[str] = []
    yield names
    for name in names:
        drop_database(name)


def test_backup_and_restore_round_trip(tmp_path, restored_names):
    call_command("seed_demo", stdout=io.StringIO())
    draft = MonthlyReport.objects.filter(status=ReportStatus.DRAFT).select_related("created_by").first()
    assert draft is not None
    attachment_add(actor=draft.created_by, report=draft, filename="scan.bin", content=BINARY)
    originals = {a.pk: hashlib.sha256(bytes(a.content)).hexdigest() for a in Attachment.objects.all()}
    assert len(originals) >= 2 and hashlib.sha256(BINARY).hexdigest() in originals.values()

    out = io.StringIO()
    call_command("backup", "--out", str(tmp_path), stdout=out)
    dump = next(tmp_path.glob("*.dump"))
    manifest = json.loads(next(tmp_path.glob("*.manifest.json")).read_text())
    assert manifest["counts"]["organizations.AuditEntry"] == AuditEntry.objects.count()
    assert manifest["counts"]["reporting.Attachment"] == len(originals)
    assert manifest["audit"]["last_seal"]["number"] == 1 and manifest["audit"]["chains"] > 10

    name = f"{connection.settings_dict['NAME']}_rt"
    restored_names.append(name)
    call_command("restore", str(dump), "--database-name", name, stdout=out)
    assert "Audit chain intact" in out.getvalue()

    conn = _connect(name)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, content FROM reporting_attachment ORDER BY id")
            restored = {pk: hashlib.sha256(bytes(content)).hexdigest() for pk, content in cur.fetchall()}
    finally:
        conn.close()
    assert restored == originals

    # a restore never goes over an existing database
    with pytest.raises(CommandError, match="exists"):
        call_command("restore", str(dump), "--database-name", name, stdout=out)


def test_restore_reports_counts_that_differ_and_a_damaged_dump(demo_orgs, tmp_path, restored_names):
    call_command("backup", "--out", str(tmp_path), stdout=io.StringIO())
    dump = next(tmp_path.glob("*.dump"))
    manifest_file = next(tmp_path.glob("*.manifest.json"))
    # a manifest whose counts do not match what is in the dump
    manifest = json.loads(manifest_file.read_text())
    manifest["counts"]["organizations.Enterprise"] += 1
    manifest_file.write_text(json.dumps(manifest))
    name = f"{connection.settings_dict['NAME']}_rt2"
    restored_names.append(name)
    with pytest.raises(CommandError, match="organizations.Enterprise"):
        call_command("restore", str(dump), "--database-name", name, stdout=io.StringIO())
    # a dump that is not the one of the manifest
    dump.write_bytes(dump.read_bytes() + b"x")
    with pytest.raises(CommandError, match="sha256"):
        call_command("restore", str(dump), "--database-name", f"{name}_b", stdout=io.StringIO())
    with pytest.raises(psycopg2.OperationalError):
        _connect(f"{name}_b").close()  # nothing was created for it
