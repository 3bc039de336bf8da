"""``bulk_insert``: ``bulk_create`` of many rows in one cheap statement on PostgreSQL.

Django's ``bulk_create`` compiles one placeholder and one prepared value per field and row (≈ 30 % of a lean
report submission's CPU went to its insert compiler). On PostgreSQL the rows are sent instead as one array per
column, ``INSERT INTO t (…) SELECT * FROM unnest(%s::type[], …) RETURNING id`` — the column's own type, the same
values (defaults and ``auto_now`` already set on the instances, other fields prepared as ``get_db_prep_save``
would), the same ids set on the instances in their order. Elsewhere (SQLite, ``make run``) it is ``bulk_create``.
No signals either way, as ``bulk_create``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router

# fields whose attribute value PostgreSQL's driver takes as is (what get_db_prep_save would answer unchanged)
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.DecimalField, models.BooleanField,
          models.DateField, models.ForeignKey, models.AutoField, models.BigAutoField)
_TIMES = (models.DateField, models.DateTimeField, models.TimeField)


def _array_literal(values: list[Any]) -> str:
    """PostgreSQL's text form of an array (``{"a","b",NULL}``), cast by the statement to the column's type: one
    literal for the driver to quote and for the server to parse, instead of an ``ARRAY[…]`` of one literal each."""
    return "{" + ",".join("NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for v in values) + "}"


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model]) -> list[models.Model]:
    """Insert the (unsaved) instances; their ``pk`` is set (an instance may bring its own). Returns ``objs``."""
    objs = list(objs)
    if not objs:
        return objs
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._default_manager.using(using).bulk_create(objs)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    with_pk = all(o.pk is not None for o in objs)
    if not with_pk and any(o.pk is not None for o in objs):
        return model._default_manager.using(using).bulk_create(objs)  # mixed: Django's way
    fields = [f for f in meta.concrete_fields if (with_pk or f is not pk) and not getattr(f, "generated", False)]
    columns, casts, arrays = [], [], []
    for f in fields:
        if isinstance(f, _TIMES) and (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)):
            values: list[Any] = [f.pre_save(o, True) for o in objs]
            values = [f.get_db_prep_save(v, connection) for v in values]
        elif isinstance(f, _PLAIN) and not isinstance(f, models.DateTimeField):
            attname = f.attname
            values = [getattr(o, attname) for o in objs]
            if isinstance(f, (models.CharField, models.TextField)):
                values = [v if v is None or type(v) is str else f.get_db_prep_save(v, connection) for v in values]
        else:
            values = [f.get_db_prep_save(f.pre_save(o, True), connection) for o in objs]
        db_type = f.rel_db_type(connection) if f.is_relation else f.db_type(connection)
        if isinstance(f, (models.AutoField, models.BigAutoField)):
            db_type = "bigint" if isinstance(f, models.BigAutoField) else "integer"
        assert db_type is not None
        if isinstance(f, models.JSONField):
            values = [None if v is None else v.dumps(v.adapted) if hasattr(v, "dumps") else v for v in values]
            casts.append("%s::text[]::jsonb[]")
        else:
            casts.append(f"%s::{db_type}[]")
        columns.append(connection.ops.quote_name(str(f.column)))
        arrays.append(values)
    literals = [_array_literal(values) for values in arrays]
    sql = (f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) "
           f"SELECT * FROM unnest({', '.join(casts)})")
    with connection.cursor() as cur:
        if with_pk:
            cur.execute(sql, literals)
        else:
            cur.execute(f"{sql} RETURNING {connection.ops.quote_name(str(pk.column))}", literals)
            # ids come from the sequence in the order of the rows: the smallest to the first instance
            for o, new_id in zip(objs, sorted(row[0] for row in cur.fetchall()), strict=True):
                setattr(o, pk.attname, new_id)
    for o in objs:
        o._state.adding = False
        o._state.db = using
    return objs
