"""The scheduled scans that raise flags.

Scans are set-based: one SQL statement computes the evidence for every enterprise, one
``INSERT … ON CONFLICT DO NOTHING RETURNING id`` stores the flags that are new. Running a scan twice, or twice
at once, never duplicates a flag, and a flag somebody resolved stays resolved when the same evidence is found
again (the insert simply does nothing). Only flags that were really inserted notify anyone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from allocations.selectors import QuotaRow, _dec, _quota_sums_sql
from organizations.models import Enterprise
from organizations.notifications import notify_many
from reporting import models as rm
from reporting.periods import BEIJING, period_due_at, previous_period

from ..models import Flag, FlagKind, FlagStatus
from .jobs import Progress, _expected_reporters, _run_job

Q3 = Decimal("0.001")


FLAG_KEY = ("kind", "enterprise_id", "year", "month", "indicator_type", "subject")


# --- flag insertion -------------------------------------------------------------------------------------


def _insert_flags(rows: Sequence[dict]) -> list[int]:
    """Insert flags by their natural key; return the ids of those that did not exist yet."""
    if not rows:
        return []
    # A nightly scan finds mostly the flags it found the night before: read their natural keys once and send
    # only the new rows (ON CONFLICT below still makes a concurrent run harmless). At national scale this turns
    # ~90,000 conflicting inserts into one indexed read — bench/scan.py.
    existing = set(Flag.objects.filter(kind__in={r["kind"] for r in rows}, year__in={r["year"] for r in rows})
                   .values_list(*FLAG_KEY))
    rows = [r for r in rows if (r["kind"], r["enterprise_id"], r["year"], r.get("month", 0), r.get("indicator_type", ""),
                                str(r.get("subject", ""))[:120]) not in existing]
    if not rows:
        return []
    table = Flag._meta.db_table
    is_pg = connection.vendor == "postgresql"
    now = timezone.now()
    new_ids: list[int] = []
    cols = [*FLAG_KEY, "status", "details", "raised_at", "resolution"]
    placeholder = "(%s, %s, %s, %s, %s, %s, %s, " + ("%s::jsonb" if is_pg else "%s") + ", %s, %s)"
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        params: list = []
        for r in chunk:
            params += [r["kind"], r["enterprise_id"], r["year"], r.get("month", 0), r.get("indicator_type", ""),
                       str(r.get("subject", ""))[:120], FlagStatus.OPEN,
                       json.dumps(r.get("details", {}), default=str, ensure_ascii=False), now, ""]
        sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([placeholder] * len(chunk))} "
               f"ON CONFLICT ({', '.join(FLAG_KEY)}) DO NOTHING RETURNING id")
        with connection.cursor() as cur:
            cur.execute(sql, params)
            new_ids += [row[0] for row in cur.fetchall()]
    return new_ids


def _notify_new_flags(ids: Iterable[int]) -> None:
    """Tell the enterprise and its county about each new flag: one batch of queries for all of them (a night
    with thousands of new flags must not cost thousands of round trips)."""
    ids = list(ids)
    if not ids:
        return
    base = reverse("enforcement:flag-list")
    messages = []
    for flag in Flag.objects.filter(pk__in=ids).select_related("enterprise__county").order_by("pk"):
        subject = _("New flag: %(kind)s — %(enterprise)s, %(period)s") % {
            "kind": flag.get_kind_display(), "enterprise": flag.enterprise.name, "period": flag.period_label}
        messages.append({"kind": "flag_raised", "subject": subject, "body": _flag_summary(flag),
                         "url": base + f"?enterprise={flag.enterprise_id}",
                         "orgs": [flag.enterprise, flag.enterprise.county], "dedup_key": f"flag:{flag.pk}"})
    notify_many(messages)


def _flag_summary(flag: Flag) -> str:
    return flag.description[:1000]


def _store_flags(rows: Sequence[dict]) -> int:
    with transaction.atomic():
        ids = _insert_flags(rows)
        _notify_new_flags(ids)
    return len(ids)

# --- scan: late and missing reports --------------------------------------------------------------------


LATE_LOOKBACK_MONTHS = 3


def late_scan_periods(now: dt.datetime, lookback_months: int = LATE_LOOKBACK_MONTHS) -> list[tuple[int, int]]:
    """The (year, month) periods the late-report scan run at ``now`` looks at: the last few months whose due instant
    has passed."""
    local = now.astimezone(BEIJING)
    periods = []
    y, m = previous_period(local.year, local.month)
    for _i in range(lookback_months):
        if now >= period_due_at(y, m):
            periods.append((y, m))
        y, m = previous_period(y, m)
    return periods


def flag_scan_late_reports(*, now: dt.datetime | None = None, lookback_months: int = LATE_LOOKBACK_MONTHS,
                           task_id: str = "") -> int:
    """``missing`` for every expected reporter without a submitted report once the due instant (the 11th 00:00
    Beijing time) has passed; ``late`` for a first submission after it. Looks back a few months so a missed
    night is caught up. Open ``missing`` flags whose report has since been submitted are resolved by the system."""
    now = now or timezone.now()
    periods = late_scan_periods(now, lookback_months)

    def body(progress: Progress) -> int:
        progress.set_total(len(periods))
        created = 0
        for y, m in periods:
            due = period_due_at(y, m)
            first_submitted = dict(
                rm.MonthlyReport.objects.filter(year=y, month=m, submitted_at__isnull=False)
                .values("enterprise_id").annotate(first=Min("submitted_at")).values_list("enterprise_id", "first")
            )
            rows = []
            for ent_id in _expected_reporters(y, m).values_list("pk", flat=True):
                if ent_id not in first_submitted:
                    rows.append({"kind": FlagKind.MISSING, "enterprise_id": ent_id, "year": y, "month": m,
                                 "details": {"due_at": due.astimezone(BEIJING).isoformat()}})
            for ent_id, first in first_submitted.items():
                if first > due:
                    rows.append({"kind": FlagKind.LATE, "enterprise_id": ent_id, "year": y, "month": m,
                                 "details": {"due_at": due.astimezone(BEIJING).isoformat(),
                                             "submitted_at": first.astimezone(BEIJING).isoformat()}})
            n = _store_flags(rows)
            # A missing report that has arrived since: the system resolves the open flag (it is not deleted).
            Flag.objects.filter(kind=FlagKind.MISSING, status=FlagStatus.OPEN, year=y, month=m,
                                enterprise_id__in=list(first_submitted)).update(
                status=FlagStatus.RESOLVED, resolved_at=now,
                resolution=_("The report has been submitted."))
            created += n
            progress.step(1, n)
        return created

    return _run_job("flag_late_reports", {"now": now.isoformat()}, task_id, body)


# --- scan: quota usage ------------------------------------------------------------------------------


def _quota_rows(year: int, enterprise_ids: Iterable[int] | None):
    """(enterprise id, type, used, effective) for the rows that can raise a flag — production above the warning
    ratio of the effective quota, or production without one: the allocations sums, filtered in SQL (a national
    scan reads only the few rows it may flag, never one object per enterprise)."""
    qs = Enterprise.objects.all()
    if enterprise_ids is not None:
        qs = qs.filter(pk__in=list(enterprise_ids))
    built = _quota_sums_sql(year=year, enterprise_qs=qs, indicator_type=None)
    if built is None:
        return []
    sums_sql, params = built
    effective = "(COALESCE(issued, 0) + COALESCE(received, 0) + COALESCE(adj, 0) - COALESCE(ded, 0))"
    sql = (f"WITH q(enterprise_id, indicator_type, issued, received, adj, ded, used) AS ({sums_sql}) "
           f"SELECT * FROM q WHERE COALESCE(used, 0) > 0 "
           f"AND ({effective} <= 0 OR COALESCE(used, 0) >= {effective} * %s)")
    out = []
    with connection.cursor() as cur:
        cur.execute(sql, [*params, Decimal(settings.USAGE_WARNING_RATIO)])
        for ent_id, itype, issued, received, adj, ded, used in cur.fetchall():
            row = QuotaRow(enterprise=None, year=year,  # type: ignore[arg-type]  # only the sums are used
                           indicator_type=itype, issued=_dec(issued),
                           breakdown_received=_dec(received), adjustments=_dec(adj), deductions=_dec(ded),
                           used=_dec(used))
            out.append((ent_id, itype, row.used, row.effective))
    return out


def flag_scan_quota_usage(*, year: int, enterprise_ids: Iterable[int] | None = None, task_id: str = "") -> int:
    """Year-to-date accepted production (QuotaUsage, all feedstock counted) against the effective quota:
    ``usage_warning`` at USAGE_WARNING_RATIO, ``overrun`` above 100 %, ``production_without_indicator`` when
    there is production but no effective quota of that type."""
    ids = list(enterprise_ids) if enterprise_ids is not None else None

    def body(progress: Progress) -> int:
        rows = _quota_rows(year, ids)
        progress.set_total(len(rows))
        ratio = Decimal(settings.USAGE_WARNING_RATIO)
        flags = []
        for ent_id, itype, used, effective in rows:
            details = {"used_t": str(used), "effective_t": str(effective)}
            key = {"enterprise_id": ent_id, "year": year, "month": 0, "indicator_type": itype}
            if effective <= 0:
                flags.append({**key, "kind": FlagKind.PRODUCTION_WITHOUT_INDICATOR, "details": details})
            elif used > effective:
                details["over_t"] = str(used - effective)
                details["percent"] = str((used * 100 / effective).quantize(Decimal("0.1")))
                flags.append({**key, "kind": FlagKind.OVERRUN, "details": details})
            elif used >= effective * ratio:
                details["percent"] = str((used * 100 / effective).quantize(Decimal("0.1")))
                flags.append({**key, "kind": FlagKind.USAGE_WARNING, "details": details})
        created = _store_flags(flags)
        progress.step(len(rows), created)
        return created

    return _run_job("scan_quota_usage", {"year": year, "enterprise_ids": ids}, task_id, body)


# --- scan: balances and flows -----------------------------------------------------------------------------


def accepted_report_ids(year: int, month: int | None) -> tuple[int, int] | None:
    """The smallest and largest id of the period's accepted reports (None if there is none).

    Every line of those reports has its ``report_id`` in that range, so a line table read under
    ``report_id BETWEEN lo AND hi`` loses none of the period's lines. Lines are written when their report is, so a
    period's lines lie in a narrow band of the table and the block-range (BRIN) indexes on ``report_id``
    (reporting migration 0009) let PostgreSQL read that band only, instead of every year's lines: the year-bound
    reconciliation then costs about the same with one year or many in the database (bench/README.md, "Several years")."""
    qs = rm.MonthlyReport.objects.filter(year=year, status=rm.ReportStatus.ACCEPTED)
    if month:
        qs = qs.filter(month=month)
    # ``id + 0``: not MIN(id)/MAX(id), which PostgreSQL answers by walking the primary key from either end past
    # every other year's reports; this reads the period's reports by the (year, month, status) index instead.
    bounds = qs.aggregate(lo=Min(F("pk") + 0), hi=Max(F("pk") + 0))
    return None if bounds["lo"] is None else (bounds["lo"], bounds["hi"])


def _balance_rows(year: int, month: int | None) -> list[dict]:
    """Accepted reports whose stock does not balance per product (opening + produced + received − shipped − consumed
    ≠ closing beyond ``BALANCE_TOLERANCE_T``). Two statements: the first finds the unbalanced (enterprise, month,
    product) groups from one signed quantity per line — narrow rows, so the year's lines aggregate in memory —; the
    second, only when there are some, reads the six sums the flag shows, for the enterprises concerned."""
    r, p, i, f, inv = (rm.MonthlyReport._meta.db_table, rm.ProductionLine._meta.db_table,
                       rm.InputLine._meta.db_table, rm.FlowLine._meta.db_table, rm.InventoryLine._meta.db_table)
    ids = accepted_report_ids(year, month)
    if ids is None:
        return []
    month_sql = " AND r.month = %s" if month else ""
    band = "WHERE report_id BETWEEN %s AND %s"  # the period's lines only (see accepted_report_ids)
    tol = Decimal(settings.BALANCE_TOLERANCE_T)
    params = [year] + ([month] if month else [])
    find = f"""
        SELECT DISTINCT r.enterprise_id
        FROM {r} r JOIN (
            SELECT report_id, product_id, opening - closing AS d FROM {inv} {band}
            UNION ALL SELECT report_id, product_id, tonnes FROM {p} {band}
            UNION ALL SELECT report_id, product_id, CASE WHEN direction = 'in' THEN tonnes ELSE -tonnes END FROM {f}
                {band}
            UNION ALL SELECT report_id, product_id, -tonnes FROM {i} {band}
        ) k ON k.report_id = r.id
        WHERE r.status = 'accepted' AND r.year = %s{month_sql}
        GROUP BY r.enterprise_id, r.year, r.month, k.product_id
        HAVING ABS(SUM(k.d)) > CAST(%s AS NUMERIC)
    """
    with connection.cursor() as cur:
        cur.execute(find, [*ids, *ids, *ids, *ids, *params, tol])
        ents = sorted(e for (e,) in cur.fetchall())
    if not ents:
        return []
    marks = ", ".join(["%s"] * len(ents))
    sql = f"""
        SELECT r.enterprise_id, r.year, r.month, k.product_id,
               SUM(k.opening), SUM(k.produced), SUM(k.received), SUM(k.shipped), SUM(k.consumed), SUM(k.closing)
        FROM {r} r JOIN (
            SELECT report_id, product_id, opening, 0 AS produced, 0 AS received, 0 AS shipped, 0 AS consumed,
                   closing FROM {inv} {band}
            UNION ALL SELECT report_id, product_id, 0, tonnes, 0, 0, 0, 0 FROM {p} {band}
            UNION ALL SELECT report_id, product_id, 0, 0, CASE WHEN direction = 'in' THEN tonnes ELSE 0 END,
                   CASE WHEN direction = 'out' THEN tonnes ELSE 0 END, 0, 0 FROM {f} {band}
            UNION ALL SELECT report_id, product_id, 0, 0, 0, 0, tonnes, 0 FROM {i} {band}
        ) k ON k.report_id = r.id
        WHERE r.status = 'accepted' AND r.year = %s{month_sql} AND r.enterprise_id IN ({marks})
        GROUP BY r.enterprise_id, r.year, r.month, k.product_id
        HAVING ABS(SUM(k.opening) + SUM(k.produced) + SUM(k.received) - SUM(k.shipped) - SUM(k.consumed)
                   - SUM(k.closing)) > CAST(%s AS NUMERIC)
    """
    with connection.cursor() as cur:
        cur.execute(sql, [*ids, *ids, *ids, *ids, *params, *ents, tol])
        out = []
        for ent, y, m, product, opening, produced, received, shipped, consumed, closing in cur.fetchall():
            expected = Decimal(opening) + Decimal(produced) + Decimal(received) - Decimal(shipped) - Decimal(consumed)
            out.append({"kind": FlagKind.BALANCE, "enterprise_id": ent, "year": y, "month": m, "subject": product,
                        "details": {"product": product, "opening": str(opening), "produced": str(produced),
                                    "received": str(received), "shipped": str(shipped),
                                    "consumed": str(consumed), "closing": str(closing),
                                    "difference": str((Decimal(closing) - expected).quantize(Q3))}})
        return out


# Shipments vs receipts and trading partners: enforcement/services/ledger.py (line-level, on the ledger).
