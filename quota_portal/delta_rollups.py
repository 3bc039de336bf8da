"""Roll-ups kept by PostgreSQL statement-level triggers that append deltas.

A ``DeltaRollup`` sums a source table per key. Three triggers on the source (insert, update, delete) read the
statement's transition tables and append one row per key the statement changed, holding the change of each
measure (a filing that declares a dozen shipments adds one or two rows; a confirmation that moves a shipment from
"in transit" to "received" adds −1 and +1). No writer updates a shared row, so concurrent writers never wait for
each other. Readers sum a key's rows: the figures equal the source's at every commit, whether the deltas have been
folded or not. ``compact`` (the roll-up beat job) folds the deltas into one row per key; ``rebuild`` recomputes
everything from the source after a bulk load that bypassed the triggers (``session_replication_role = replica``).

On SQLite (``make run``) nothing is kept (``maintained()`` is false) and readers sum the source instead.
Used by ``allocations.usage_totals`` (national monthly usage) and ``reporting.ledger_totals`` (shipment ledger).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, migrations, transaction


def maintained() -> bool:
    """Whether trigger-kept roll-ups exist on this database (PostgreSQL)."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class DeltaRollup:
    table: str  # the roll-up table
    source: str  # the table it sums
    keys: tuple[tuple[str, str], ...]  # (roll-up column, SQL over a source row)
    measures: tuple[tuple[str, str], ...]  # (roll-up column, SQL over a source row): ("n", "1") counts rows

    def _cols(self) -> str:
        return ", ".join(c for c, _e in self.keys + self.measures)

    def _keys(self) -> str:
        return ", ".join(c for c, _e in self.keys)

    def _rows(self, rows: str, sign: str = "") -> str:
        exprs = [f"{e} AS {c}" for c, e in self.keys] + [f"{sign}({e}) AS {c}" for c, e in self.measures]
        return f"SELECT {', '.join(exprs)} FROM {rows}"

    def _sums(self) -> str:
        return ", ".join(f"SUM({c})" for c, _e in self.measures)

    def _nonzero(self) -> str:
        return " OR ".join(f"SUM({c}) <> 0" for c, _e in self.measures)

    def _folded(self, rows_sql: str, having: bool) -> str:
        return (f"INSERT INTO {self.table} ({self._cols()}) SELECT {self._keys()}, {self._sums()} FROM ({rows_sql}) d "
                f"GROUP BY {self._keys()}" + (f" HAVING {self._nonzero()}" if having else ""))

    def triggers_sql(self) -> tuple[str, str]:
        """(create, drop) statements of the trigger function and its three triggers."""
        t, s = self.table, self.source
        create = f"""
            CREATE FUNCTION {t}_delta() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'INSERT' THEN
                {self._folded(self._rows("new_rows"), having=False)};
              ELSIF TG_OP = 'DELETE' THEN
                {self._folded(self._rows("old_rows", "-"), having=False)};
              ELSE
                {self._folded(self._rows("old_rows", "-") + " UNION ALL " + self._rows("new_rows"), having=True)};
              END IF;
              RETURN NULL;
            END $$;
            CREATE TRIGGER {t}_ins AFTER INSERT ON {s} REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {t}_delta();
            CREATE TRIGGER {t}_upd AFTER UPDATE ON {s} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {t}_delta();
            CREATE TRIGGER {t}_del AFTER DELETE ON {s} REFERENCING OLD TABLE AS old_rows
                FOR EACH STATEMENT EXECUTE FUNCTION {t}_delta();
        """
        drop = f"""
            DROP TRIGGER IF EXISTS {t}_ins ON {s}; DROP TRIGGER IF EXISTS {t}_upd ON {s};
            DROP TRIGGER IF EXISTS {t}_del ON {s}; DROP FUNCTION IF EXISTS {t}_delta();
        """
        return create, drop

    def rebuild(self) -> int:
        """Recompute the roll-up from the source (after a bulk load that bypassed the triggers)."""
        if not maintained():
            return 0
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"LOCK TABLE {self.source} IN SHARE MODE")  # no source change between delete and insert
            cur.execute(f"DELETE FROM {self.table}")
            cur.execute(self._folded(self._rows(self.source), having=False))
            return cur.rowcount

    def compact(self) -> int:
        """Fold the delta rows into one per key (keys whose sums are all zero disappear); one statement, so a reader
        sees the rows before or after, never half. Deltas committed meanwhile are not in its snapshot and stay as
        they are. Returns the number of rows left."""
        if not maintained():
            return 0
        with connection.cursor() as cur:
            cur.execute(f"WITH gone AS (DELETE FROM {self.table} RETURNING {self._cols()}) "
                        + self._folded("SELECT * FROM gone", having=True))
            return cur.rowcount

    # --- migrations -----------------------------------------------------------------------------------------

    def migration_triggers(self) -> migrations.RunPython:
        """The operation that creates the triggers and fills the roll-up from the source (PostgreSQL; nothing on
        SQLite), reversibly."""

        def create(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(self.triggers_sql()[0])
                self.rebuild()

        def drop(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(self.triggers_sql()[1])

        return migrations.RunPython(create, drop)


def migration_fold_schedule(*, task: str, name: str, minutes: int = 5) -> migrations.RunPython:
    """The operation that schedules the beat job folding the deltas (django-celery-beat), reversibly."""

    def schedule(apps, schema_editor):
        every, _ = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
            every=minutes, period="minutes")
        apps.get_model("django_celery_beat", "PeriodicTask").objects.update_or_create(
            name=name, defaults={"task": task, "interval": every, "enabled": True})

    def unschedule(apps, schema_editor):
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=task).delete()

    return migrations.RunPython(schedule, unschedule)
