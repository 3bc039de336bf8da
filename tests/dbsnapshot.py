"""Seed once, replay many times: the demo data (organizations.demo.seed, seed_demo) are built through the real
services the first time a test asks for them; the rows that run added are kept (as JSON, per table) and put back
by plain INSERTs for every later test that asks for the same data on the same starting database. The services
still build every row a test sees; the replay only spares re-running them (≈ 2.5 s for ``seed``, ≈ 15 s for
``seed_demo`` on an idle 2-core machine) before each of the ≈ 200 tests that start from the demo.

Only where it is certainly the same: PostgreSQL, a superuser connection (triggers are off while rows that were
valid when written are put back), inside a transaction that will be rolled back (not a transactional test),
the clock not frozen, the same language and password hasher, and a database whose row count per table equals
the one the snapshot was taken on. Anywhere else — SQLite, transactional tests, a frozen ``timezone.now``,
another starting state, a seed that changed or deleted existing rows — the seed runs for real, as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone, translation

_REAL_NOW = timezone.now
_SNAPSHOTS: dict[tuple, dict] = {}
_STATE: dict[str, Any] = {"tables": None, "superuser": None}


def _tables() -> list[tuple[str, str, type[models.Model]]]:
    if _STATE["tables"] is None:
        seen, out = set(), []
        for m in apps.get_models(include_auto_created=True):
            if not m._meta.managed or m._meta.proxy or m._meta.db_table in seen:
                continue
            seen.add(m._meta.db_table)
            out.append((m._meta.db_table, m._meta.pk.column, m))
        existing = set(connection.introspection.table_names())
        _STATE["tables"] = [t for t in out if t[0] in existing and t[1]]
    return _STATE["tables"]


def _usable() -> bool:
    if connection.vendor != "postgresql" or not connection.in_atomic_block or timezone.now is not _REAL_NOW:
        return False
    return _superuser()


def _superuser() -> bool:
    if _STATE["superuser"] is None:
        with connection.cursor() as cur:
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cur.fetchone()
        _STATE["superuser"] = bool(row and row[0])
    return _STATE["superuser"]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _counts() -> tuple[int, ...]:
    tables = _tables()
    with connection.cursor() as cur:
        cur.execute("SELECT ARRAY[" + ", ".join(f"(SELECT count(*) FROM {_q(t)})" for t, _pk, _m in tables) + "]")
        return tuple(cur.fetchone()[0])


def _rows() -> dict[str, dict[str, str]]:
    out = {}
    with connection.cursor() as cur:
        for table, pk, _m in _tables():
            cur.execute(f"SELECT {_q(pk)}::text, row_to_json(snapshot_row)::text FROM {_q(table)} snapshot_row")
            out[table] = dict(cur.fetchall())
    return out


def _freeze(value):
    """The seed's return value with every model instance replaced by (model, pk): fetched anew on replay."""
    if isinstance(value, models.Model):
        return ("__model__", type(value), value.pk)
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_freeze(v) for v in value)
    return value


def _thaw(value):
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "__model__":
        return value[1]._base_manager.get(pk=value[2])
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_thaw(v) for v in value)
    return value


def _replay(snap: dict) -> None:
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no trigger: the rows were valid when written
        try:
            for table, rows in snap["rows"].items():
                cur.execute(f"INSERT INTO {_q(table)} SELECT * FROM json_populate_recordset(NULL::{_q(table)}, %s)",
                            ["[" + ",".join(rows) + "]"])
        finally:
            cur.execute("SET session_replication_role = origin")
        for sql in connection.ops.sequence_reset_sql(no_style(), snap["models"]):
            cur.execute(sql)


def seeded(name: str, build: Callable[[], Any]) -> Any:
    """``build()`` (a seed through the services), or — same data, same starting point — its rows replayed."""
    if not _usable():
        return build()
    key = (name, translation.get_language(), tuple(settings.PASSWORD_HASHERS), connection.settings_dict["NAME"],
           bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)), bool(getattr(settings, "OTP_REQUIRED", False)))
    counts = _counts()
    snap = _SNAPSHOTS.get(key)
    if snap is not None and snap["counts"] == counts:
        if os.environ.get("DBSNAPSHOT_DEBUG"):
            print(f"[dbsnapshot] replay {name}")
        _replay(snap)
        return _thaw(snap["result"])
    if snap is not None:
        if os.environ.get("DBSNAPSHOT_DEBUG"):
            print(f"[dbsnapshot] other start {name}")
        return build()

    before = _rows()
    result = build()
    after = _rows()
    added: dict[str, list[str]] = {}
    reusable = True
    for table, rows in after.items():
        old = before.get(table, {})
        if any(pk not in rows or rows[pk] != row for pk, row in old.items()):
            reusable = False  # the seed changed or deleted a row that was there: replaying inserts would not do
            break
        new = [row for pk, row in rows.items() if pk not in old]
        if new:
            added[table] = new
    if reusable and transaction.get_connection().in_atomic_block:
        tables = {t: m for t, _pk, m in _tables()}
        _SNAPSHOTS[key] = {"counts": counts, "rows": added, "result": _freeze(result),
                           "models": [tables[t] for t in added]}
    if os.environ.get("DBSNAPSHOT_DEBUG"):
        print(f"[dbsnapshot] captured {name} reusable={reusable} {sum(map(len, added.values()))} rows")
    return result


# --- the reference data (what the migrations put in), put back after each transactional test ------------------

def reference_capture() -> dict[str, list[str]] | None:
    """Every row of every table as migrated (JSON per row), or None where the fast path does not apply."""
    if connection.vendor != "postgresql" or not _superuser():
        return None
    return {table: list(rows.values()) for table, rows in _rows().items() if rows}


def reference_restore(reference: dict[str, list[str]]) -> None:
    """Empty every table and put the reference rows back, in one transaction: the same end state as
    ``flush`` + ``deserialize_db_from_string``, without a TRUNCATE (new files) per table and a save() per row."""
    tables = _tables()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")  # no FK order, no trigger: rows were valid
        cur.execute("".join(f"DELETE FROM {_q(t)};" for t, _pk, _m in tables))
        for table, rows in reference.items():
            cur.execute(f"INSERT INTO {_q(table)} SELECT * FROM json_populate_recordset(NULL::{_q(table)}, %s)",
                        ["[" + ",".join(rows) + "]"])
        cur.execute("".join(connection.ops.sequence_reset_sql(no_style(), [m for _t, _pk, m in tables])))
