"""Line-level reconciliation on the shipment ledger (reporting.models.Shipment / Receipt) and the feedstock-yield
check. Replaces the matching of monthly totals per product.

- ``unconfirmed_shipment``: a shipment to a portal buyer still declared or in transit ``SHIPMENT_TRANSIT_DAYS``
  after its dispatch date (both parties, on that shipment).
- ``quantity_mismatch``: a receipt differing from its declared shipment by more than ``FLOW_MATCH_TOLERANCE``
  (relative to the larger of the two) — both parties, on that shipment only.
- ``undeclared_receipt``: a receipt recorded by the buyer from a seller designated on the dispatch date that
  declared no shipment for it (both parties).
- ``unlicensed_counterparty``: a controlled product (a mineral product or any product under an indicator type)
  received from a domestic party not designated to produce it (mining for mineral products, smelting separation
  for the others), or a mineral product shipped to a domestic party not designated for smelting separation.
- ``yield_implausible``: a smelter whose separated output of an element in a month exceeds what the feedstock it
  consumed can yield, by the element profiles in force, beyond ``YIELD_TOLERANCE``.

A shipment's flags belong to the month of its dispatch (the receipt's month for an undeclared receipt), so a
shipment sent on 31 March and received on 2 April raises nothing. Flags keep their natural unique key
(subject ``shipment:<number>``), so running a scan again never duplicates one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from organizations.models import Enterprise, Licence, LicenceStatus
from reporting import models as rm

from ..models import FlagKind
from .jobs import Progress, _run_job
from .scans import _balance_rows, _store_flags, accepted_report_ids

Q3 = Decimal("0.001")


def _range(year: int, month: int | None) -> tuple[dt.date, dt.date]:
    if month:
        first = dt.date(year, month, 1)
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _tables() -> dict[str, str]:
    return {"s": rm.Shipment._meta.db_table, "r": rm.Receipt._meta.db_table, "p": rm.Product._meta.db_table,
            "e": Enterprise._meta.db_table, "l": Licence._meta.db_table, "rep": rm.MonthlyReport._meta.db_table,
            "pl": rm.ProductionLine._meta.db_table, "il": rm.InputLine._meta.db_table,
            "ep": rm.ElementProfile._meta.db_table}


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _names(ids: set[int]) -> dict[int, str]:
    return dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def _both(kind: str, number: str, seller: int | None, buyer: int | None, day: dt.date, details: dict) -> list[dict]:
    rows = []
    for side, ent in (("seller", seller), ("buyer", buyer)):
        if ent is not None:
            rows.append({"kind": kind, "enterprise_id": ent, "year": day.year, "month": day.month,
                         "subject": f"shipment:{number}", "details": {**details, "side": side}})
    return rows


def unconfirmed_rows(year: int, month: int | None, *, today: dt.date | None = None) -> list[dict]:
    t = _tables()
    first, last = _range(year, month)
    days = int(settings.SHIPMENT_TRANSIT_DAYS)
    cutoff = (today or timezone.localdate()) - dt.timedelta(days=days)
    rows = _fetch(f"""
        SELECT s.number, s.seller_id, s.buyer_id, s.product_id, s.tonnes, s.dispatch_date, s.seller_name, s.buyer_name
        FROM {t['s']} s
        WHERE s.status IN ('declared', 'in_transit') AND s.buyer_id IS NOT NULL
          AND s.dispatch_date BETWEEN %s AND %s AND s.dispatch_date < %s
    """, [first, last, cutoff])
    out = []
    for number, seller, buyer, product, tonnes, day, seller_name, buyer_name in rows:
        day = _as_date(day)
        out += _both(FlagKind.UNCONFIRMED_SHIPMENT, number, seller, buyer, day, {
            "number": number, "product": product, "tonnes": str(Decimal(tonnes).quantize(Q3)),
            "dispatch_date": day.isoformat(), "days": days, "seller": seller_name, "buyer": buyer_name,
            "seller_id": seller, "buyer_id": buyer})
    return out


def quantity_mismatch_rows(year: int, month: int | None) -> list[dict]:
    t = _tables()
    first, last = _range(year, month)
    rows = _fetch(f"""
        SELECT s.number, s.seller_id, s.buyer_id, s.product_id, s.tonnes, r.tonnes, s.dispatch_date, r.disputed,
               s.seller_name, s.buyer_name
        FROM {t['s']} s JOIN {t['r']} r ON r.shipment_id = s.id
        WHERE s.origin = 'declared' AND s.seller_id IS NOT NULL AND s.dispatch_date BETWEEN %s AND %s
          AND ABS(r.tonnes - s.tonnes) > %s * (CASE WHEN r.tonnes > s.tonnes THEN r.tonnes ELSE s.tonnes END)
    """, [first, last, Decimal(settings.FLOW_MATCH_TOLERANCE)])
    out = []
    for number, seller, buyer, product, shipped, received, day, disputed, seller_name, buyer_name in rows:
        day = _as_date(day)
        out += _both(FlagKind.QUANTITY_MISMATCH, number, seller, buyer, day, {
            "number": number, "product": product, "shipped_t": str(Decimal(shipped).quantize(Q3)),
            "received_t": str(Decimal(received).quantize(Q3)), "disputed": bool(disputed),
            "seller": seller_name, "buyer": buyer_name, "seller_id": seller, "buyer_id": buyer})
    return out


def undeclared_receipt_rows(year: int, month: int | None) -> list[dict]:
    t = _tables()
    first, last = _range(year, month)
    rows = _fetch(f"""
        SELECT s.number, s.seller_id, s.buyer_id, s.product_id, r.tonnes, r.received_date, s.seller_name, s.buyer_name
        FROM {t['s']} s JOIN {t['r']} r ON r.shipment_id = s.id
        WHERE s.origin = 'receipt' AND s.seller_id IS NOT NULL AND r.received_date BETWEEN %s AND %s
          AND EXISTS (SELECT 1 FROM {t['l']} l WHERE l.enterprise_id = s.seller_id AND l.status = %s
                      AND l.valid_from <= s.dispatch_date AND l.valid_to >= s.dispatch_date)
    """, [first, last, LicenceStatus.DESIGNATED])
    out = []
    for number, seller, buyer, product, tonnes, day, seller_name, buyer_name in rows:
        day = _as_date(day)
        out += _both(FlagKind.UNDECLARED_RECEIPT, number, seller, buyer, day, {
            "number": number, "product": product, "tonnes": str(Decimal(tonnes).quantize(Q3)),
            "seller": seller_name, "buyer": buyer_name, "seller_id": seller, "buyer_id": buyer})
    return out


def unlicensed_rows(year: int, month: int | None) -> list[dict]:
    t = _tables()
    first, last = _range(year, month)
    designated = f"""EXISTS (SELECT 1 FROM {t['l']} l WHERE l.enterprise_id = pe.id AND l.status = %s
                      AND l.valid_from <= s.dispatch_date AND l.valid_to >= s.dispatch_date AND l.activity = {{act}})"""
    received = _fetch(f"""
        SELECT s.buyer_id, s.dispatch_date, 'in', s.product_id,
               COALESCE(NULLIF(s.seller_credit_code, ''), pe.credit_code, s.seller_name), s.tonnes
        FROM {t['s']} s JOIN {t['p']} p ON p.code = s.product_id
        LEFT JOIN {t['e']} pe ON pe.id = COALESCE(s.seller_id, (SELECT e2.id FROM {t['e']} e2
                                 WHERE e2.credit_code = s.seller_credit_code AND s.seller_credit_code <> ''))
        WHERE s.buyer_id IS NOT NULL AND s.seller_country = 'CN' AND s.status IN ('received', 'disputed')
          AND (p.stage = 'mineral' OR p.indicator_type <> '') AND s.dispatch_date BETWEEN %s AND %s
          AND NOT {designated.format(act="CASE WHEN p.stage = 'mineral' THEN 'mining' ELSE 'smelting_separation' END")}
    """, [first, last, LicenceStatus.DESIGNATED])
    shipped = _fetch(f"""
        SELECT s.seller_id, s.dispatch_date, 'out', s.product_id,
               COALESCE(NULLIF(s.buyer_credit_code, ''), pe.credit_code, s.buyer_name), s.tonnes
        FROM {t['s']} s JOIN {t['p']} p ON p.code = s.product_id
        LEFT JOIN {t['e']} pe ON pe.id = COALESCE(s.buyer_id, (SELECT e2.id FROM {t['e']} e2
                                 WHERE e2.credit_code = s.buyer_credit_code AND s.buyer_credit_code <> ''))
        WHERE s.seller_id IS NOT NULL AND s.buyer_country = 'CN' AND p.stage = 'mineral'
          AND s.dispatch_date BETWEEN %s AND %s
          AND NOT {designated.format(act="'smelting_separation'")}
    """, [first, last, LicenceStatus.DESIGNATED])
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for ent, day, direction, product, party, tonnes in received + shipped:
        day = _as_date(day)
        totals[(ent, day.year, day.month, direction, product, party or "")] += Decimal(tonnes)
    return [
        {"kind": FlagKind.UNLICENSED_COUNTERPARTY, "enterprise_id": ent, "year": y, "month": m,
         "subject": f"{direction}:{party}:{product}"[:120],
         "details": {"direction": direction, "counterparty": party, "product": product,
                     "tonnes": str(tonnes.quantize(Q3))}}
        for (ent, y, m, direction, product, party), tonnes in sorted(totals.items(), key=str)
    ]


def yield_rows(year: int, month: int | None) -> list[dict]:
    """Element needed (separated output × the product's element content) vs element available (feedstock consumed ×
    the feedstock's typical share, by the element profiles in force at the end of the period), per smelter and month
    of accepted reports. A flag where needed exceeds available × (1 + ``YIELD_TOLERANCE``) by more than 1 kg; the
    flag's details show the computation (and the products produced and consumed). A first statement reads the
    profiles in force, a second finds the flags, a third reads the products of the flagged months only."""
    t = _tables()
    _first, last = _range(year, month)
    ids = accepted_report_ids(year, month)
    if ids is None:
        return []
    month_sql = " AND r.month = %s" if month else ""
    period = [year] + ([month] if month else [])
    tol = Decimal(settings.YIELD_TOLERANCE)
    # The profiles in force (a few dozen rows) are inlined as VALUES, so the planner knows their size. The lines are
    # reached through the period's reports within their id band (see accepted_report_ids) and summed per product
    # first (a few rows per smelter and month); only those sums meet the profiles, so the period's lines are read
    # once instead of every year's lines once per element (bench/years_explain.py). The feedstock side reads only
    # the reports with separated production (a miner's inputs cannot make anything implausible).
    profiles = _fetch(f"""
        SELECT ep.product_id, ep.element, ep.share
        FROM {t['ep']} ep JOIN (SELECT product_id, MAX(valid_from) AS vf FROM {t['ep']} WHERE valid_from <= %s
                                GROUP BY product_id) f ON f.product_id = ep.product_id AND ep.valid_from = f.vf
        ORDER BY 1, 2""", [last])
    if not profiles:
        return []
    rows = _fetch(f"""
        WITH cur (product_id, element, share) AS (VALUES {", ".join(["(%s, %s, %s)"] * len(profiles))}),
        produced AS (
            SELECT r.enterprise_id AS e, r.month AS m, pl.product_id AS p, SUM(pl.tonnes) AS t
            FROM {t['rep']} r JOIN {t['pl']} pl ON pl.report_id = r.id
            WHERE r.status = 'accepted' AND r.year = %s{month_sql} AND pl.indicator_type = 'smelting_separation'
              AND pl.report_id BETWEEN %s AND %s
            GROUP BY r.enterprise_id, r.month, pl.product_id
        ), consumed AS (
            SELECT r.enterprise_id AS e, r.month AS m, il.product_id AS p, SUM(il.tonnes) AS t
            FROM {t['rep']} r JOIN {t['il']} il ON il.report_id = r.id
            WHERE r.status = 'accepted' AND r.year = %s{month_sql} AND il.report_id BETWEEN %s AND %s
              AND r.id IN (SELECT sp.report_id FROM {t['pl']} sp WHERE sp.indicator_type = 'smelting_separation'
                           AND sp.report_id BETWEEN %s AND %s)
            GROUP BY r.enterprise_id, r.month, il.product_id
        ), need AS (
            SELECT x.e, x.m, cur.element AS el, SUM(x.t * cur.share) AS n
            FROM produced x JOIN cur ON cur.product_id = x.p GROUP BY x.e, x.m, cur.element
        ), have AS (
            SELECT x.e, x.m, cur.element AS el, SUM(x.t * cur.share) AS h
            FROM consumed x JOIN cur ON cur.product_id = x.p GROUP BY x.e, x.m, cur.element
        )
        SELECT need.e, need.m, need.el, need.n, COALESCE(have.h, 0)
        FROM need LEFT JOIN have ON have.e = need.e AND have.m = need.m AND have.el = need.el
        WHERE need.n - COALESCE(have.h, 0) * %s > CAST(%s AS NUMERIC)
        ORDER BY need.e, need.m, need.el
    """, [*(v for row in profiles for v in row), *period, *ids, *period, *ids, *ids, 1 + tol, Q3])
    if not rows:
        return []
    flagged = {(e, m) for e, m, _el, _n, _h in rows}
    ents = sorted({e for e, _m in flagged})
    marks = ", ".join(["%s"] * len(ents))
    products: dict[tuple, dict[str, dict[str, str]]] = defaultdict(lambda: {"produced": {}, "consumed": {}})
    for kind, table, extra in (("produced", t["pl"], " AND x.indicator_type = 'smelting_separation'"),
                               ("consumed", t["il"], "")):
        for e, m, product, tonnes in _fetch(f"""
                SELECT r.enterprise_id, r.month, x.product_id, SUM(x.tonnes)
                FROM {t['rep']} r JOIN {table} x ON x.report_id = r.id
                WHERE r.status = 'accepted' AND r.year = %s{month_sql} AND r.enterprise_id IN ({marks}){extra}
                  AND x.report_id BETWEEN %s AND %s
                GROUP BY r.enterprise_id, r.month, x.product_id""", [*period, *ents, *ids]):
            if (e, m) in flagged:
                products[(e, m)][kind][product] = str(Decimal(tonnes).quantize(Q3))
    return [{"kind": FlagKind.YIELD_IMPLAUSIBLE, "enterprise_id": e, "year": year, "month": m,
             "indicator_type": "smelting_separation", "subject": f"element:{el}",
             "details": {"element": el, "needed_t": str(Decimal(n).quantize(Q3)),
                         "available_t": str(Decimal(h).quantize(Q3)), "tolerance": str(tol),
                         **products[(e, m)], "profiles_on": last.isoformat()}}
            for e, m, el, n, h in rows]


LEDGER_FINDERS = (unconfirmed_rows, quantity_mismatch_rows, undeclared_receipt_rows, unlicensed_rows, yield_rows)


def flag_scan_ledger(*, year: int, month: int | None = None, today: dt.date | None = None) -> int:
    """The ledger part of the reconciliation, without a job record (tests and the bench call it directly)."""
    created = 0
    for finder in LEDGER_FINDERS:
        rows = finder(year, month, today=today) if finder is unconfirmed_rows else finder(year, month)
        created += _store_flags(rows)
    return created


def flag_scan_flows(*, year: int, month: int | None = None, task_id: str = "", today: dt.date | None = None) -> int:
    """Reconcile a period (or a whole year): stock balances of accepted reports (``balance``) and the ledger line by
    line (see the module docstring)."""

    def body(progress: Progress) -> int:
        progress.set_total(1 + len(LEDGER_FINDERS))
        created = 0
        for finder in (_balance_rows, *LEDGER_FINDERS):
            rows = finder(year, month, today=today) if finder is unconfirmed_rows else finder(year, month)
            n = _store_flags(rows)
            created += n
            progress.step(1, n)
        return created

    return _run_job("reconcile_flows", {"year": year, "month": month}, task_id, body)
