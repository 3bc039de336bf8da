"""Backup and restore of the PostgreSQL database (``make backup`` / ``make restore FILE=…``).

A backup is a ``pg_dump`` in custom format plus a manifest (JSON, next to it): the row count of every table,
the audit chain heads (digest, number of entries and chains, last seal) and a digest of every attachment's
bytes — all read in the very snapshot that pg_dump dumps (``pg_export_snapshot``), so they describe exactly
what is in the file. The chain heads are sealed first, so the dump carries a seal covering all of it.

A restore goes into a NEW database (never over a live one), then checks it against the manifest: the
dump's sha256, every table's row count, the attachments' bytes (sha256) and the chain heads, and runs
``verify_audit`` on the restored database (chain links and seals, against the seal file).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg2
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from organizations.audit import audit_seal, heads_digest, seal_file_path

MANIFEST_FORMAT = 1
_HEADS_SQL = ("SELECT DISTINCT ON (chain) chain, seq, hash FROM organizations_auditentry "
              "ORDER BY chain, seq DESC")
_LAST_SEAL_SQL = "SELECT number, mac FROM organizations_auditseal ORDER BY number DESC LIMIT 1"
_ATTACHMENTS_SQL = "SELECT id, encode(sha256(content), 'hex') FROM reporting_attachment ORDER BY id"


class BackupError(Exception):
    pass


def _db() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        raise BackupError("Backup and restore need PostgreSQL: set DATABASE_URL=postgres://…")
    return db


def _connect(dbname: str):
    db = _db()
    return psycopg2.connect(dbname=dbname, user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                            host=db.get("HOST") or None, port=db.get("PORT") or None)


def _libpq_env() -> dict[str, str]:
    db = _db()
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _database_url(dbname: str) -> str:
    db = _db()
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(str(db["PASSWORD"]), safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{dbname}"


def _tables() -> dict[str, str]:
    """{model label: table} of every concrete table the project's models own (m2m tables included)."""
    out = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            out[meta.label] = meta.db_table
    return dict(sorted(out.items()))


def _facts(cur, tables: dict[str, str]) -> dict[str, Any]:
    """Counts, audit heads and attachment digests as this cursor's snapshot sees them."""
    cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    existing = {row[0] for row in cur.fetchall()}
    counts = {}
    for label, table in tables.items():
        if table in existing:
            cur.execute(f'SELECT count(*) FROM "{table}"')
            counts[label] = cur.fetchone()[0]
    cur.execute(_HEADS_SQL)
    heads = {chain: [seq, digest] for chain, seq, digest in cur.fetchall()}
    cur.execute(_LAST_SEAL_SQL)
    last = cur.fetchone()
    cur.execute(_ATTACHMENTS_SQL)
    attachments = [f"{pk}:{digest}" for pk, digest in cur.fetchall()]
    return {
        "counts": counts,
        "audit": {"entries": counts.get("organizations.AuditEntry", 0), "chains": len(heads),
                  "heads_digest": heads_digest(heads),
                  "last_seal": {"number": last[0], "mac": last[1]} if last else None},
        "attachments": {"count": len(attachments),
                        "digest": hashlib.sha256("\n".join(attachments).encode()).hexdigest()},
    }


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_path_for(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(".dump") + ".manifest.json")


def backup_create(*, out_dir: Path, seal: bool = True) -> tuple[Path, Path]:
    """Seal the audit chain, then dump the database and write the manifest. Returns (dump, manifest)."""
    db = _db()
    if seal:
        audit_seal()
    connection.close()  # the dump must not wait on anything this process holds
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    dump = out_dir / f"{db['NAME']}-{stamp}.dump"
    conn = _connect(db["NAME"])
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            facts = _facts(cur, _tables())
            r = subprocess.run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--no-owner",
                                f"--file={dump}", db["NAME"]], env=_libpq_env(), capture_output=True, text=True)
            if r.returncode != 0:
                raise BackupError(f"pg_dump failed: {r.stderr.strip()}")
        conn.rollback()
    finally:
        conn.close()
    version = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout.strip()
    manifest = {"format": MANIFEST_FORMAT, "created_at": timezone.now().isoformat(), "database": db["NAME"],
                "dump": dump.name, "dump_sha256": _sha256_file(dump), "dump_bytes": dump.stat().st_size,
                "pg_dump": version, "seal_file": str(seal_file_path()), **facts}
    path = manifest_path_for(dump)
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return dump, path


@dataclass
class RestoreResult:
    database: str
    problems: list[str] = field(default_factory=list)
    verify_output: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def backup_restore(*, dump: Path, database: str | None = None, manifest: Path | None = None,
                   seal_file: Path | None = None) -> RestoreResult:
    """Restore ``dump`` into a new database and check it against the manifest and the audit seals."""
    _db()
    manifest = manifest or manifest_path_for(dump)
    if not manifest.exists():
        raise BackupError(f"No manifest next to the dump ({manifest}).")
    expected = json.loads(manifest.read_text(encoding="utf-8"))
    name = database or f"{expected['database']}_restore_{timezone.localtime():%Y%m%d%H%M%S}"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise BackupError(f"Not a database name: {name!r}")
    result = RestoreResult(database=name)
    if _sha256_file(dump) != expected["dump_sha256"]:
        result.problems.append("The dump's sha256 is not the one in the manifest: the file is damaged or not this dump.")
        return result
    admin = _connect("postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone():
                raise BackupError(f"Database {name} exists: restore goes into a new database only.")
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    r = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={name}",
                        str(dump)], env=_libpq_env(), capture_output=True, text=True)
    if r.returncode != 0:
        result.problems.append(f"pg_restore failed: {r.stderr.strip()}")
        return result
    conn = _connect(name)
    try:
        with conn.cursor() as cur:
            found = _facts(cur, {label: _tables().get(label, "") for label in expected["counts"]})
    finally:
        conn.close()
    for label, n in expected["counts"].items():
        if found["counts"].get(label) != n:
            result.problems.append(f"{label}: {found['counts'].get(label)} rows restored, manifest says {n}.")
    if found["attachments"] != expected["attachments"]:
        result.problems.append("The attachments' bytes (sha256) differ from the manifest.")
    if found["audit"] != expected["audit"]:
        result.problems.append("The audit chain heads differ from the manifest.")
    env = {**os.environ, "DATABASE_URL": _database_url(name), "AUDIT_SEAL_KEY": str(settings.AUDIT_SEAL_KEY)}
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_audit", "--seal-file", str(seal_file or seal_file_path())],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    result.verify_output = (verify.stdout + verify.stderr).strip()
    if verify.returncode != 0:
        result.problems.append(f"verify_audit on the restored database failed: {result.verify_output}")
    return result


def drop_database(name: str) -> None:
    admin = _connect("postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()
