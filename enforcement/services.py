"""Writes of the enforcement app: the scheduled scans that raise flags, the case and penalty workflow, and the
exactly-once application of next-year deductions.

Scans are set-based: one SQL statement computes the evidence for every enterprise, one
``INSERT … ON CONFLICT DO NOTHING RETURNING id`` stores the flags that are new. Running a scan twice, or twice
at once, never duplicates a flag, and a flag somebody resolved stays resolved when the same evidence is found
again (the insert simply does nothing). Only flags that were really inserted notify anyone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import audit_record
from organizations.models import Authority, Enterprise, IndicatorType, Level, LicenceStatus
from organizations.notifications import notify, notify_many
from organizations.outbox import enqueue
from organizations.permissions import require
from organizations.selectors import enterprise_q
from quota_portal.errors import (
    Conflict,
    DeadlinePassed,
    DomainValidationError,
    InvalidTransition,
    NotFound,
    NotPermitted,
)

from .models import (
    Case,
    CaseEvent,
    CaseOrigin,
    CaseStatus,
    DeductionBasis,
    DeductionStatus,
    Flag,
    FlagKind,
    FlagStatus,
    JobRun,
    JobStatus,
    Penalty,
    PenaltyDeduction,
    PenaltyRule,
    PenaltyStatus,
    Statement,
    StatementAttachment,
)

BEIJING = ZoneInfo("Asia/Shanghai")
Q3 = Decimal("0.001")
ZERO = Decimal("0")
FLAG_KEY = ("kind", "enterprise_id", "year", "month", "indicator_type", "subject")


# --- job progress --------------------------------------------------------------------------------------


class Progress:
    """Records a job run (total/done/created) in its own autocommitted rows so a page can poll it."""

    def __init__(self, job: str, params: dict | None = None, task_id: str = "", total: int = 0):
        self.run = JobRun.objects.create(job=job, params=params or {}, task_id=task_id or "", total=total)
        self.created = 0

    def set_total(self, total: int) -> None:
        JobRun.objects.filter(pk=self.run.pk).update(total=total)

    def step(self, n: int = 1, created: int = 0) -> None:
        from django.db.models import F

        self.created += created
        JobRun.objects.filter(pk=self.run.pk).update(done=F("done") + n, created=F("created") + created)

    def finish(self, message: str = "") -> JobRun:
        JobRun.objects.filter(pk=self.run.pk).update(status=JobStatus.DONE, finished_at=timezone.now(),
                                                      message=message)
        self.run.refresh_from_db()
        return self.run

    def fail(self, message: str) -> None:
        JobRun.objects.filter(pk=self.run.pk).update(status=JobStatus.FAILED, finished_at=timezone.now(),
                                                      message=message[:2000])


def _run_job(job: str, params: dict, task_id: str, body) -> int:
    progress = Progress(job, params, task_id)
    try:
        created = body(progress)
    except Exception as exc:
        try:
            progress.fail(repr(exc))
        except DatabaseError:  # the caller's transaction is broken; the exception below says why
            pass
        raise
    progress.finish(_("%(n)s new flag(s) or item(s).") % {"n": created})
    return created


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


# --- periods and expected reporters ------------------------------------------------------------------


def _period_due_at(year: int, month: int) -> dt.datetime:
    from reporting.selectors import period_due_at

    return period_due_at(year, month)


def _prev_period(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def _expected_reporters(year: int, month: int):
    """Enterprises that must report for the month: a designated licence valid during it."""
    first, last = _month_bounds(year, month)
    return Enterprise.objects.filter(
        licences__status=LicenceStatus.DESIGNATED, licences__valid_from__lte=last, licences__valid_to__gte=first
    ).distinct()


def _reporting_models():
    from reporting import models as rm

    return rm


# --- scan: late and missing reports --------------------------------------------------------------------


def flag_scan_late_reports(*, now: dt.datetime | None = None, lookback_months: int = 3, task_id: str = "") -> int:
    """``missing`` for every expected reporter without a submitted report once the due instant (the 11th 00:00
    Beijing time) has passed; ``late`` for a first submission after it. Looks back a few months so a missed
    night is caught up. Open ``missing`` flags whose report has since been submitted are resolved by the system."""
    now = now or timezone.now()
    local = now.astimezone(BEIJING)
    periods = []
    y, m = _prev_period(local.year, local.month)
    for _i in range(lookback_months):
        if now >= _period_due_at(y, m):
            periods.append((y, m))
        y, m = _prev_period(y, m)

    def body(progress: Progress) -> int:
        from django.db.models import Min

        rm = _reporting_models()
        progress.set_total(len(periods))
        created = 0
        for y, m in periods:
            due = _period_due_at(y, m)
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
    from allocations.selectors import QuotaRow, _dec, _quota_sums_sql

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
            row = QuotaRow(enterprise=None, year=year, indicator_type=itype, issued=_dec(issued),
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


def _balance_rows(year: int, month: int | None) -> list[dict]:
    rm = _reporting_models()
    r, p, i, f, inv = (rm.MonthlyReport._meta.db_table, rm.ProductionLine._meta.db_table,
                       rm.InputLine._meta.db_table, rm.FlowLine._meta.db_table, rm.InventoryLine._meta.db_table)
    month_sql = " AND r.month = %s" if month else ""
    sql = f"""
        SELECT r.enterprise_id, r.year, r.month, k.product_id,
               SUM(k.opening), SUM(k.produced), SUM(k.received), SUM(k.shipped), SUM(k.consumed), SUM(k.closing)
        FROM {r} r JOIN (
            SELECT report_id, product_id, opening, 0 AS produced, 0 AS received, 0 AS shipped, 0 AS consumed,
                   closing FROM {inv}
            UNION ALL SELECT report_id, product_id, 0, tonnes, 0, 0, 0, 0 FROM {p}
            UNION ALL SELECT report_id, product_id, 0, 0, CASE WHEN direction = 'in' THEN tonnes ELSE 0 END,
                   CASE WHEN direction = 'out' THEN tonnes ELSE 0 END, 0, 0 FROM {f}
            UNION ALL SELECT report_id, product_id, 0, 0, 0, 0, tonnes, 0 FROM {i}
        ) k ON k.report_id = r.id
        WHERE r.status = 'accepted' AND r.year = %s{month_sql}
        GROUP BY r.enterprise_id, r.year, r.month, k.product_id
        HAVING ABS(SUM(k.opening) + SUM(k.produced) + SUM(k.received) - SUM(k.shipped) - SUM(k.consumed)
                   - SUM(k.closing)) > %s
    """
    params = [year] + ([month] if month else []) + [Decimal(settings.BALANCE_TOLERANCE_T)]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        out = []
        for ent, y, m, product, opening, produced, received, shipped, consumed, closing in cur.fetchall():
            expected = Decimal(opening) + Decimal(produced) + Decimal(received) - Decimal(shipped) - Decimal(consumed)
            out.append({"kind": FlagKind.BALANCE, "enterprise_id": ent, "year": y, "month": m, "subject": product,
                        "details": {"product": product, "opening": str(opening), "produced": str(produced),
                                    "received": str(received), "shipped": str(shipped),
                                    "consumed": str(consumed), "closing": str(closing),
                                    "difference": str((Decimal(closing) - expected).quantize(Q3))}})
        return out


def _flow_mismatch_rows(year: int, month: int | None) -> list[dict]:
    """Shipments out to a portal enterprise vs that enterprise's receipts in from the shipper, per period and
    product, both reports accepted; outside FLOW_MATCH_TOLERANCE both parties get a flag."""
    rm = _reporting_models()
    r, f, e = rm.MonthlyReport._meta.db_table, rm.FlowLine._meta.db_table, Enterprise._meta.db_table
    month_sql = " AND month = %s" if month else ""
    sql = f"""
        WITH acc AS (SELECT id, enterprise_id, year, month FROM {r}
                     WHERE status = 'accepted' AND year = %s{month_sql}),
        fl AS (
            SELECT a.enterprise_id AS ent, a.year, a.month, fl.direction, fl.product_id,
                   COALESCE(fl.counterparty_enterprise_id, ce.id) AS other, fl.tonnes
            FROM acc a JOIN {f} fl ON fl.report_id = a.id
            LEFT JOIN {e} ce ON fl.counterparty_enterprise_id IS NULL AND fl.counterparty_credit_code <> ''
                             AND ce.credit_code = fl.counterparty_credit_code
        ),
        pairs AS (
            SELECT ent AS seller, other AS buyer, year, month, product_id, tonnes AS shipped, 0 AS received
              FROM fl WHERE direction = 'out' AND other IS NOT NULL AND other <> ent
            UNION ALL
            SELECT other, ent, year, month, product_id, 0, tonnes
              FROM fl WHERE direction = 'in' AND other IS NOT NULL AND other <> ent
        )
        SELECT p.seller, p.buyer, p.year, p.month, p.product_id, SUM(p.shipped), SUM(p.received)
        FROM pairs p
        WHERE EXISTS (SELECT 1 FROM acc WHERE acc.enterprise_id = p.seller AND acc.year = p.year
                                           AND acc.month = p.month)
          AND EXISTS (SELECT 1 FROM acc WHERE acc.enterprise_id = p.buyer AND acc.year = p.year
                                           AND acc.month = p.month)
        GROUP BY p.seller, p.buyer, p.year, p.month, p.product_id
        HAVING ABS(SUM(p.shipped) - SUM(p.received)) >
               %s * (CASE WHEN SUM(p.shipped) > SUM(p.received) THEN SUM(p.shipped) ELSE SUM(p.received) END)
    """
    params = [year] + ([month] if month else []) + [Decimal(settings.FLOW_MATCH_TOLERANCE)]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        out = []
        for seller, buyer, y, m, product, shipped, received in cur.fetchall():
            details = {"seller": seller, "buyer": buyer, "product": product, "shipped_t": str(shipped),
                       "received_t": str(received)}
            out.append({"kind": FlagKind.FLOW_MISMATCH, "enterprise_id": seller, "year": y, "month": m,
                        "subject": f"out:{buyer}:{product}", "details": {**details, "side": "seller"}})
            out.append({"kind": FlagKind.FLOW_MISMATCH, "enterprise_id": buyer, "year": y, "month": m,
                        "subject": f"in:{seller}:{product}", "details": {**details, "side": "buyer"}})
        return out


def _unlicensed_rows(year: int, month: int | None) -> list[dict]:
    """Mineral products received from a domestic party that is not a designated mining enterprise on the flow
    date, or shipped to a domestic party that is not a designated smelting-separation enterprise."""
    from organizations.models import Licence

    rm = _reporting_models()
    r, f, e, lic, prod = (rm.MonthlyReport._meta.db_table, rm.FlowLine._meta.db_table, Enterprise._meta.db_table,
                          Licence._meta.db_table, rm.Product._meta.db_table)
    month_sql = " AND r.month = %s" if month else ""
    sql = f"""
        SELECT r.enterprise_id, r.year, r.month, fl.direction, fl.product_id,
               COALESCE(NULLIF(fl.counterparty_credit_code, ''), ce.credit_code, fl.counterparty_name) AS party,
               SUM(fl.tonnes)
        FROM {r} r JOIN {f} fl ON fl.report_id = r.id
        JOIN {prod} pr ON pr.code = fl.product_id AND pr.stage = 'mineral'
        LEFT JOIN {e} ce ON ce.id = COALESCE(fl.counterparty_enterprise_id,
                                            (SELECT e2.id FROM {e} e2 WHERE e2.credit_code = fl.counterparty_credit_code
                                             AND fl.counterparty_credit_code <> ''))
        WHERE r.status = 'accepted' AND r.year = %s{month_sql}
          AND COALESCE(fl.counterparty_country, '') IN ('', 'CN')
          AND NOT EXISTS (
              SELECT 1 FROM {lic} l
              WHERE l.enterprise_id = ce.id AND l.status = %s AND l.valid_from <= fl.date AND l.valid_to >= fl.date
                AND l.activity = CASE WHEN fl.direction = 'in' THEN 'mining' ELSE 'smelting_separation' END
          )
        GROUP BY r.enterprise_id, r.year, r.month, fl.direction, fl.product_id, party
    """
    params = [year] + ([month] if month else []) + [LicenceStatus.DESIGNATED]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return [
            {"kind": FlagKind.UNLICENSED_COUNTERPARTY, "enterprise_id": ent, "year": y, "month": m,
             "subject": f"{direction}:{party}:{product}"[:120],
             "details": {"direction": direction, "counterparty": party, "product": product, "tonnes": str(tonnes)}}
            for ent, y, m, direction, product, party, tonnes in cur.fetchall()
        ]


def flag_scan_flows(*, year: int, month: int | None = None, task_id: str = "") -> int:
    """Reconcile accepted reports of a period (or a whole year): stock balances (``balance``), shipments vs the
    counterparty's receipts (``flow_mismatch``), trading with non-designated parties (``unlicensed_counterparty``)."""

    def body(progress: Progress) -> int:
        progress.set_total(3)
        created = 0
        for finder in (_balance_rows, _flow_mismatch_rows, _unlicensed_rows):
            n = _store_flags(finder(year, month))
            created += n
            progress.step(1, n)
        return created

    return _run_job("reconcile_flows", {"year": year, "month": month}, task_id, body)


# --- reminders ---------------------------------------------------------------------------------------------


def reminder_send_deadlines(*, now: dt.datetime | None = None, task_id: str = "") -> int:
    """From REMINDER_FROM_DAY until the due instant: remind every expected reporter without a submitted report
    for last month (inbox + e-mail), once per enterprise and period."""
    now = now or timezone.now()
    local = now.astimezone(BEIJING)
    y, m = _prev_period(local.year, local.month)
    due = _period_due_at(y, m)

    def body(progress: Progress) -> int:
        if local.day < settings.REMINDER_FROM_DAY or now >= due:
            return 0
        rm = _reporting_models()
        submitted = rm.MonthlyReport.objects.filter(year=y, month=m, submitted_at__isnull=False).values(
            "enterprise_id")
        ents = list(_expected_reporters(y, m).exclude(pk__in=submitted).order_by("pk"))
        progress.set_total(len(ents))
        sent = 0
        deadline = due.astimezone(BEIJING) - dt.timedelta(seconds=1)
        for ent in ents:
            subject = _("Reminder: the monthly report for %(period)s is due by %(deadline)s") % {
                "period": f"{y}-{m:02d}", "deadline": deadline.strftime("%Y-%m-%d %H:%M")}
            created = notify(kind="deadline_reminder", subject=subject,
                             body=_("No report for %(period)s has been submitted yet.") % {"period": f"{y}-{m:02d}"},
                             orgs=[ent], dedup_key=f"reminder:{y}-{m:02d}:e{ent.pk}")
            sent += 1 if created else 0
            progress.step(1, 1 if created else 0)
        return sent

    return _run_job("send_deadline_reminders", {"now": now.isoformat()}, task_id, body)


def reminder_send_returned(*, now: dt.datetime | None = None, days: int = 3, task_id: str = "") -> int:
    """A returned report still not resubmitted after ``days`` days: remind the enterprise (once per report)."""
    now = now or timezone.now()

    def body(progress: Progress) -> int:
        rm = _reporting_models()
        reports = list(
            rm.MonthlyReport.objects.filter(status=rm.ReportStatus.RETURNED, is_current=True,
                                            reviewed_at__lte=now - dt.timedelta(days=days))
            .select_related("enterprise").order_by("pk")
        )
        progress.set_total(len(reports))
        sent = 0
        for rep in reports:
            created = notify(
                kind="returned_reminder",
                subject=_("The returned report %(period)s has not been resubmitted") % {"period": rep.period},
                body=rep.review_comment, orgs=[rep.enterprise], dedup_key=f"returned:{rep.pk}")
            sent += 1 if created else 0
            progress.step(1, 1 if created else 0)
        return sent

    return _run_job("remind_returned_reports", {"now": now.isoformat()}, task_id, body)


# --- flags ---------------------------------------------------------------------------------------------


def _in_scope(actor, enterprise_id: int) -> bool:
    return Enterprise.objects.filter(enterprise_q(actor), pk=enterprise_id).exists()


@transaction.atomic
def flag_resolve(*, actor, flag: Flag, comment: str) -> Flag:
    require(actor, "enforcement.resolve_flag")
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if not _in_scope(actor, flag.enterprise_id):
        raise NotFound()
    if not (comment or "").strip():
        raise DomainValidationError(errors={"comment": [_("Say how the flag was resolved.")]})
    if flag.status == FlagStatus.RESOLVED:
        raise InvalidTransition(_("The flag is already resolved."))
    flag.status, flag.resolved_by, flag.resolved_at, flag.resolution = (
        FlagStatus.RESOLVED, actor, timezone.now(), comment.strip())
    flag.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    audit_record(actor=actor, action="flag.resolve", obj=flag, org=flag.enterprise, before={"status": "open"},
                 after={"status": "resolved", "comment": flag.resolution})
    return flag


# --- cases ---------------------------------------------------------------------------------------------


def _event(case: Case, actor, kind: str, text: str = "", **data) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor if actor and actor.is_authenticated else None,
                                    kind=kind, text=text, data=data)


def _case_url(case: Case) -> str:
    return reverse("enforcement:case-detail", args=[case.pk])


def _lock_case(actor, case: Case, perm: str) -> Case:
    require(actor, perm)
    case = Case.objects.select_for_update().select_related("enterprise__county").get(pk=case.pk)
    if not _in_scope(actor, case.enterprise_id):
        raise NotFound()
    return case


@transaction.atomic
def case_open(*, actor, enterprise: Enterprise | None = None, flag_ids: Sequence[int] = (),
              origin: str = CaseOrigin.FLAGS, title: str = "", description: str = "") -> Case:
    """A county reviewer opens a case on an enterprise of its county, from flags or from an inspection."""
    require(actor, "enforcement.open_case")
    flag_ids = sorted({int(i) for i in flag_ids})
    flags = list(Flag.objects.select_for_update().filter(pk__in=flag_ids).order_by("pk"))
    if origin not in CaseOrigin.values:
        raise DomainValidationError(errors={"origin": [_("Unknown origin.")]})
    if origin == CaseOrigin.FLAGS and not flags:
        raise DomainValidationError(errors={"flag_ids": [_("Choose at least one flag.")]})
    if len(flags) != len(flag_ids):
        raise DomainValidationError(errors={"flag_ids": [_("Some flags do not exist.")]})
    if enterprise is None:
        if not flags:
            raise DomainValidationError(errors={"enterprise": [_("Choose the enterprise.")]})
        enterprise = flags[0].enterprise
    if any(f.enterprise_id != enterprise.pk for f in flags):
        raise DomainValidationError(errors={"flag_ids": [_("All flags of a case concern the same enterprise.")]})
    # Only the county where the enterprise is domiciled (the reviewer's own county) opens its cases.
    if not _in_scope(actor, enterprise.pk):
        raise NotPermitted(_("This enterprise is not in your county."))
    if not title.strip():
        title = (flags[0].get_kind_display() if flags else CaseOrigin(origin).label) + f" — {enterprise.name}"
    case = Case.objects.create(enterprise=enterprise, origin=origin, title=title.strip()[:200],
                               description=description, opened_by=actor)
    case.flags.set(flags)
    _event(case, actor, "opened", description, origin=origin, flags=flag_ids)
    audit_record(actor=actor, action="case.open", obj=case, org=enterprise,
                 after={"origin": origin, "flags": flag_ids, "title": case.title})
    notify(kind="case_opened", subject=_("A case has been opened: %(title)s") % {"title": case.title},
           body=description, url=_case_url(case), orgs=[enterprise], dedup_key=f"case:{case.pk}")
    return case


@transaction.atomic
def case_order_correction(*, actor, case: Case, order: str, deadline: dt.date) -> Case:
    case = _lock_case(actor, case, "enforcement.manage_case")
    if case.status not in (CaseStatus.OPEN, CaseStatus.CORRECTION_ORDERED):
        raise InvalidTransition(_("A correction can only be ordered on an open case."))
    errors = {}
    if not (order or "").strip():
        errors["order"] = [_("Say what must be corrected.")]
    if deadline is None or deadline < timezone.localdate():
        errors["deadline"] = [_("The deadline must be today or later.")]
    if errors:
        raise DomainValidationError(errors=errors)
    before = {"status": case.status}
    case.status, case.correction_order, case.correction_deadline = CaseStatus.CORRECTION_ORDERED, order.strip(), deadline
    case.save(update_fields=["status", "correction_order", "correction_deadline"])
    _event(case, actor, "correction_ordered", order, deadline=deadline.isoformat())
    audit_record(actor=actor, action="case.order_correction", obj=case, org=case.enterprise, before=before,
                 after={"status": case.status, "deadline": deadline})
    notify(kind="correction_ordered",
           subject=_("Order to correct by %(date)s: %(title)s") % {"date": deadline, "title": case.title},
           body=order, url=_case_url(case), orgs=[case.enterprise], dedup_key=f"case:{case.pk}:order:{deadline}")
    return case


@transaction.atomic
def case_record_correction(*, actor, case: Case, note: str) -> Case:
    case = _lock_case(actor, case, "enforcement.manage_case")
    if case.status != CaseStatus.CORRECTION_ORDERED:
        raise InvalidTransition(_("No correction has been ordered on this case."))
    if not (note or "").strip():
        raise DomainValidationError(errors={"note": [_("Describe the correction made.")]})
    case.status, case.correction_note = CaseStatus.CORRECTED, note.strip()
    case.save(update_fields=["status", "correction_note"])
    late = bool(case.correction_deadline and timezone.localdate() > case.correction_deadline)
    _event(case, actor, "correction_recorded", note, late=late)
    audit_record(actor=actor, action="case.record_correction", obj=case, org=case.enterprise,
                 before={"status": CaseStatus.CORRECTION_ORDERED}, after={"status": case.status, "late": late})
    return case


@transaction.atomic
def case_close(*, actor, case: Case, comment: str) -> Case:
    case = _lock_case(actor, case, "enforcement.manage_case")
    if case.status in (CaseStatus.CLOSED, CaseStatus.PENALTY_PROPOSED):
        raise InvalidTransition(_("This case cannot be closed now."))
    if not (comment or "").strip():
        raise DomainValidationError(errors={"comment": [_("Give the reason for closing.")]})
    before = {"status": case.status}
    case.status, case.closed_at = CaseStatus.CLOSED, timezone.now()
    case.save(update_fields=["status", "closed_at"])
    now = timezone.now()
    # Closing a case settles its open flags.
    case.flags.filter(status=FlagStatus.OPEN).update(status=FlagStatus.RESOLVED, resolved_by=actor, resolved_at=now,
                                                     resolution=_("Case #%(id)s closed: %(c)s") % {
                                                         "id": case.pk, "c": comment.strip()})
    _event(case, actor, "closed", comment)
    audit_record(actor=actor, action="case.close", obj=case, org=case.enterprise, before=before,
                 after={"status": case.status, "comment": comment})
    return case


# --- penalties -----------------------------------------------------------------------------------------


def penalty_rule_in_force(*, violation_type: str, on: dt.date) -> PenaltyRule | None:
    return (PenaltyRule.objects.filter(violation_type=violation_type, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).order_by("-valid_from").first())


def penalty_fine_warnings(*, rule: PenaltyRule | None, fine_cny: Decimal,
                          illegal_income_cny: Decimal | None = None) -> list[str]:
    """Warnings (not errors) when a fine lies outside the range of the rule in force."""
    if rule is None:
        return [_("No penalty rule is in force for this violation type on that date.")]
    warnings = []
    if illegal_income_cny and illegal_income_cny > 0 and rule.income_multiple_min is not None:
        lo = illegal_income_cny * rule.income_multiple_min
        hi = illegal_income_cny * (rule.income_multiple_max or rule.income_multiple_min)
        if not lo <= fine_cny <= hi:
            warnings.append(_("The fine is outside %(a)s–%(b)s × the illegal income (CNY %(lo)s–%(hi)s).") % {
                "a": rule.income_multiple_min, "b": rule.income_multiple_max, "lo": f"{lo:,.2f}", "hi": f"{hi:,.2f}"})
        return warnings
    if rule.fine_min_cny is not None and fine_cny < rule.fine_min_cny or (
            rule.fine_max_cny is not None and fine_cny > rule.fine_max_cny):
        warnings.append(_("The fine is outside the range CNY %(lo)s–%(hi)s of the rule in force.") % {
            "lo": f"{rule.fine_min_cny or 0:,.2f}", "hi": f"{rule.fine_max_cny or 0:,.2f}"})
    return warnings


def penalty_default_deductions(*, case: Case, rule: PenaltyRule | None, year: int) -> dict[str, Decimal]:
    """The rule's default next-year deduction for a case: tonnes above the indicator × factor (from the case's
    overrun flags), or fixed tonnes per indicator type of those flags."""
    if rule is None or rule.deduction_basis == DeductionBasis.NONE:
        return {}
    out: dict[str, Decimal] = {}
    for flag in case.flags.filter(kind__in=[FlagKind.OVERRUN, FlagKind.PRODUCTION_WITHOUT_INDICATOR]):
        if not flag.indicator_type:
            continue
        if rule.deduction_basis == DeductionBasis.EXCESS:
            over = Decimal(flag.details.get("over_t") or flag.details.get("used_t") or 0)
            t = (over * rule.deduction_factor).quantize(Q3)
        else:
            t = rule.deduction_fixed_t
        if t > 0:
            out[flag.indicator_type] = out.get(flag.indicator_type, ZERO) + t
    return out


def _dec(value, field: str, errors: dict, *, places: str = "0.001", optional: bool = False) -> Decimal | None:
    if value in (None, "") and optional:
        return None
    try:
        d = Decimal(str(value)).quantize(Decimal(places))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Enter a number.")]
        return None
    if d < 0:
        errors[field] = [_("Cannot be negative.")]
        return None
    return d


@transaction.atomic
def penalty_propose(*, actor, case: Case, violation_type: str, violation_date: dt.date, fine_cny,
                    legal_basis: str = "", facts: str = "", illegal_income_cny=None,
                    deductions: Sequence[dict] | None = None, deduction_year: int | None = None,
                    now: dt.datetime | None = None) -> Penalty:
    """Issue the notice of intended penalty: the enterprise may state its case and defend itself within
    STATEMENT_PERIOD_DAYS days. ``deductions`` = [{"indicator_type", "tonnes"}] for the next year (None: the
    default of the rule in force on the violation date). Fines outside the rule's range are warnings."""
    case = _lock_case(actor, case, "enforcement.propose_penalty")
    if case.status not in (CaseStatus.OPEN, CaseStatus.CORRECTION_ORDERED, CaseStatus.CORRECTED):
        raise InvalidTransition(_("A penalty can only be proposed on an open case."))
    errors: dict = {}
    from .models import ViolationType

    if violation_type not in ViolationType.values:
        errors["violation_type"] = [_("Choose a violation type.")]
    if violation_date is None or violation_date > timezone.localdate():
        errors["violation_date"] = [_("The violation date cannot be in the future.")]
    fine = _dec(fine_cny, "fine_cny", errors, places="0.01")
    income = _dec(illegal_income_cny, "illegal_income_cny", errors, places="0.01", optional=True)
    if errors:
        raise DomainValidationError(errors=errors)
    rule = penalty_rule_in_force(violation_type=violation_type, on=violation_date)
    year = deduction_year or violation_date.year + 1
    if deductions is None:
        planned = penalty_default_deductions(case=case, rule=rule, year=year)
    else:
        planned = {}
        for i, d in enumerate(deductions):
            itype = d.get("indicator_type")
            if itype not in IndicatorType.values:
                errors[f"deductions[{i}].indicator_type"] = [_("Choose an indicator type.")]
                continue
            t = _dec(d.get("tonnes"), f"deductions[{i}].tonnes", errors)
            if t is not None and t > 0:
                planned[itype] = planned.get(itype, ZERO) + t
        if errors:
            raise DomainValidationError(errors=errors)
    now = now or timezone.now()
    penalty = Penalty.objects.create(
        case=case, enterprise=case.enterprise, violation_type=violation_type, violation_date=violation_date,
        rule=rule, legal_basis=(legal_basis or "").strip() or (rule.legal_basis if rule else ""), facts=facts,
        fine_cny=fine, illegal_income_cny=income, deduction_year=year,
        fine_warnings=penalty_fine_warnings(rule=rule, fine_cny=fine, illegal_income_cny=income),
        proposed_by=actor, notice_issued_at=now,
        statement_due_at=now + dt.timedelta(days=settings.STATEMENT_PERIOD_DAYS),
    )
    if not penalty.legal_basis:
        raise DomainValidationError(errors={"legal_basis": [_("State the legal basis.")]})
    PenaltyDeduction.objects.bulk_create([
        PenaltyDeduction(penalty=penalty, enterprise=case.enterprise, year=year, indicator_type=t, tonnes=v)
        for t, v in sorted(planned.items())
    ])
    case.status = CaseStatus.PENALTY_PROPOSED
    case.save(update_fields=["status"])
    _event(case, actor, "penalty_notice", penalty.facts, penalty=penalty.pk, fine_cny=str(fine),
           deductions={k: str(v) for k, v in planned.items()},
           statement_due_at=penalty.statement_due_at.isoformat())
    audit_record(actor=actor, action="penalty.propose", obj=penalty, org=case.enterprise,
                 after={"violation_type": violation_type, "fine_cny": fine, "deduction_year": year,
                        "deductions": {k: str(v) for k, v in planned.items()}, "rule": rule.pk if rule else None})
    due_local = penalty.statement_due_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    notify(kind="penalty_notice",
           subject=_("Notice of intended penalty — you may state your case until %(due)s") % {"due": due_local},
           body=_("%(violation)s. Fine CNY %(fine)s. You have the right to state your case and defend yourself "
                  "within %(days)s days.") % {"violation": penalty.get_violation_type_display(),
                                               "fine": f"{fine:,.2f}", "days": settings.STATEMENT_PERIOD_DAYS},
           url=_case_url(case), orgs=[case.enterprise], dedup_key=f"penalty:{penalty.pk}:notice")
    return penalty


@transaction.atomic
def statement_submit(*, actor, penalty: Penalty, text: str = "", waived: bool = False,
                     files: Sequence = (), now: dt.datetime | None = None) -> Statement:
    """The enterprise states its case and defends itself (or waives the right) before the period ends."""
    require(actor, "enforcement.submit_statement")
    penalty = Penalty.objects.select_for_update().select_related("case").get(pk=penalty.pk)
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()
    from organizations.selectors import membership_of

    if membership_of(actor).enterprise_id != penalty.enterprise_id:
        raise NotPermitted(_("Only the enterprise itself states its case."))
    now = now or timezone.now()
    if penalty.status != PenaltyStatus.NOTIFIED:
        raise InvalidTransition(_("The penalty has already been decided."))
    if Statement.objects.filter(penalty=penalty).exists():
        raise Conflict(_("A statement has already been submitted."))
    if now > penalty.statement_due_at:
        raise DeadlinePassed(_("The period to state your case has ended."))
    if not waived and not (text or "").strip():
        raise DomainValidationError(errors={"text": [_("Write your statement, or waive the right to be heard.")]})
    for i, f in enumerate(files):
        if f.size > settings.ATTACHMENT_MAX_BYTES:
            raise DomainValidationError(errors={f"files[{i}]": [_("The file is larger than allowed.")]})
    st = Statement.objects.create(penalty=penalty, submitted_by=actor, submitted_at=now, text=(text or "").strip(),
                                  waived=waived)
    for f in files:
        StatementAttachment.objects.create(statement=st, file=f, name=getattr(f, "name", "file")[:200], size=f.size)
    _event(penalty.case, actor, "statement", st.text, waived=waived, attachments=len(files))
    audit_record(actor=actor, action="penalty.statement", obj=penalty, org=penalty.enterprise,
                 after={"waived": waived, "attachments": len(files)})
    notify(kind="statement_received",
           subject=_("Statement received on case: %(title)s") % {"title": penalty.case.title},
           url=_case_url(penalty.case), users=[penalty.proposed_by], dedup_key=f"penalty:{penalty.pk}:statement")
    return st


@transaction.atomic
def penalty_decide(*, actor, penalty: Penalty, consideration: str, now: dt.datetime | None = None) -> Penalty:
    """Decide the penalty: only after the statement period has ended or the enterprise has answered; the
    decision records how the statement was considered. It takes effect on approval by a second person."""
    require(actor, "enforcement.decide_penalty")
    penalty = Penalty.objects.select_for_update().select_related("case").get(pk=penalty.pk)
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()
    now = now or timezone.now()
    if penalty.status != PenaltyStatus.NOTIFIED:
        raise InvalidTransition(_("This penalty is not awaiting a decision."))
    statement = Statement.objects.filter(penalty=penalty).first()
    if statement is None and now <= penalty.statement_due_at:
        raise Conflict(_("The enterprise may state its case until %(due)s; decide after that or after its answer.")
                       % {"due": penalty.statement_due_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")},
                       code="statement_period_running")
    if not (consideration or "").strip():
        raise DomainValidationError(errors={"consideration": [
            _("Record how the statement was considered.") if statement and not statement.waived
            else _("Record the grounds of the decision.")]})
    penalty.status, penalty.decided_by, penalty.decided_at, penalty.consideration = (
        PenaltyStatus.DECIDED, actor, now, consideration.strip())
    penalty.save(update_fields=["status", "decided_by", "decided_at", "consideration"])
    _event(penalty.case, actor, "penalty_decided", penalty.consideration, penalty=penalty.pk)
    audit_record(actor=actor, action="penalty.decide", obj=penalty, org=penalty.enterprise,
                 before={"status": PenaltyStatus.NOTIFIED},
                 after={"status": penalty.status, "consideration": penalty.consideration})
    return penalty


@transaction.atomic
def penalty_approve(*, actor, penalty: Penalty) -> Penalty:
    """Four eyes: a second person (county reviewer or ministry approver, not the proposer or decider) approves;
    the penalty takes effect and its next-year deductions wait for ``apply_deductions``."""
    require(actor, "enforcement.approve_penalty")
    penalty = Penalty.objects.select_for_update().select_related("case", "enterprise").get(pk=penalty.pk)
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()
    if penalty.status != PenaltyStatus.DECIDED:
        raise InvalidTransition(_("Only a decided penalty can be approved."))
    if actor.pk in (penalty.proposed_by_id, penalty.decided_by_id):
        raise NotPermitted(_("A second person must approve the penalty (four eyes)."))
    now = timezone.now()
    penalty.status, penalty.approved_by, penalty.approved_at = PenaltyStatus.APPROVED, actor, now
    penalty.save(update_fields=["status", "approved_by", "approved_at"])
    PenaltyDeduction.objects.filter(penalty=penalty, status=DeductionStatus.PLANNED).update(
        status=DeductionStatus.WAITING)
    case = Case.objects.select_for_update().get(pk=penalty.case_id)
    case.status = CaseStatus.PENALIZED
    case.save(update_fields=["status"])
    penalty.case = case
    _event(case, actor, "penalty_approved", "", penalty=penalty.pk)
    audit_record(actor=actor, action="penalty.approve", obj=penalty, org=penalty.enterprise,
                 before={"status": PenaltyStatus.DECIDED}, after={"status": penalty.status})
    notify(kind="penalty_decided",
           subject=_("Administrative penalty decided: %(violation)s") % {
               "violation": penalty.get_violation_type_display()},
           body=_("Fine CNY %(fine)s; next-year indicator deductions: %(ded)s.") % {
               "fine": f"{penalty.fine_cny:,.2f}",
               "ded": ", ".join(f"{d.get_indicator_type_display()} {d.tonnes} t" for d in penalty.deductions.all())
               or "—"},
           url=_case_url(case), orgs=[penalty.enterprise, penalty.enterprise.county],
           dedup_key=f"penalty:{penalty.pk}:decided")
    if penalty.deductions.exists():
        enqueue("enforcement.tasks.apply_deductions", {"year": penalty.deduction_year},
                dedup_key=f"deductions:{penalty.deduction_year}")
    return penalty


@transaction.atomic
def penalty_reject(*, actor, penalty: Penalty, reason: str) -> Penalty:
    """The second person refuses the decision; the case returns to open and a new penalty may be proposed."""
    require(actor, "enforcement.approve_penalty")
    penalty = Penalty.objects.select_for_update().get(pk=penalty.pk)
    if not _in_scope(actor, penalty.enterprise_id):
        raise NotFound()
    if penalty.status != PenaltyStatus.DECIDED:
        raise InvalidTransition(_("Only a decided penalty can be rejected."))
    if actor.pk in (penalty.proposed_by_id, penalty.decided_by_id):
        raise NotPermitted(_("A second person must review the penalty (four eyes)."))
    if not (reason or "").strip():
        raise DomainValidationError(errors={"reason": [_("Give the reason.")]})
    penalty.status, penalty.rejection_reason = PenaltyStatus.REJECTED, reason.strip()
    penalty.save(update_fields=["status", "rejection_reason"])
    Case.objects.filter(pk=penalty.case_id).update(status=CaseStatus.OPEN)
    _event(penalty.case, actor, "penalty_rejected", reason, penalty=penalty.pk)
    audit_record(actor=actor, action="penalty.reject", obj=penalty, org=penalty.enterprise,
                 before={"status": PenaltyStatus.DECIDED}, after={"status": penalty.status, "reason": reason})
    return penalty


# --- deductions exactly once ----------------------------------------------------------------------------


def deduction_apply_waiting(*, year: int | None = None, task_id: str = "") -> int:
    """Turn approved penalties' waiting deductions into allocations deductions, once.

    Each deduction is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and applied in the same transaction
    that marks it applied; ``record_deduction`` is itself idempotent on (penalty, year, type) in the database.
    So a second or concurrent run, or a retry after a worker crash, leaves exactly one deduction. A deduction
    whose year has no effective quota for the enterprise yet keeps waiting (the year's first batch triggers
    this job again)."""
    from allocations.selectors import quota_get
    from allocations.services import record_deduction

    def body(progress: Progress) -> int:
        qs = PenaltyDeduction.objects.filter(status=DeductionStatus.WAITING)
        if year is not None:
            qs = qs.filter(year=year)
        ids = list(qs.order_by("pk").values_list("pk", flat=True))
        progress.set_total(len(ids))
        applied = 0
        for pk in ids:
            with transaction.atomic():
                d = (PenaltyDeduction.objects.select_for_update(skip_locked=True, of=("self",))
                     .select_related("penalty", "enterprise").filter(pk=pk, status=DeductionStatus.WAITING).first())
                if d is None:
                    progress.step(1)
                    continue
                quota = quota_get(enterprise=d.enterprise, year=d.year, indicator_type=d.indicator_type)
                if quota.allocated + quota.adjustments <= 0:
                    progress.step(1)
                    continue  # no indicator issued for that year yet: keep waiting
                record_deduction(actor=d.penalty.approved_by, enterprise=d.enterprise, year=d.year,
                                 indicator_type=d.indicator_type, tonnes=d.tonnes, penalty_id=d.penalty_id,
                                 reason=_("Penalty #%(id)s: %(v)s") % {"id": d.penalty_id,
                                                                        "v": d.penalty.get_violation_type_display()})
                d.status, d.applied_at = DeductionStatus.APPLIED, timezone.now()
                d.save(update_fields=["status", "applied_at"])
                _event(d.penalty.case, None, "deduction_applied", "", year=d.year, indicator_type=d.indicator_type,
                       tonnes=str(d.tonnes))
                applied += 1
                progress.step(1, 1)
        return applied

    return _run_job("apply_deductions", {"year": year}, task_id, body)


# --- triggers from lower apps ------------------------------------------------------------------------


def on_report_accepted(report) -> None:
    """Called (after commit) when a county accepts a report: scan that enterprise's usage and the period's flows."""
    with transaction.atomic():
        enqueue("enforcement.tasks.scan_quota_usage", {"year": report.year, "enterprise_ids": [report.enterprise_id]},
                dedup_key=f"scan:{report.year}:e{report.enterprise_id}")
        enqueue("enforcement.tasks.reconcile_flows", {"year": report.year, "month": report.month},
                dedup_key=f"reconcile:{report.year}-{report.month:02d}")


def on_batch_issued(batch) -> None:
    with transaction.atomic():
        enqueue("enforcement.tasks.apply_deductions", {"year": batch.year}, dedup_key=f"deductions:{batch.year}")


def authorities_above(enterprise: Enterprise) -> list[Authority]:
    codes = enterprise.county.path.strip("/").split("/")
    return list(Authority.objects.filter(code__in=codes).exclude(level=Level.MINISTRY))
