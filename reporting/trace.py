"""Chain of custody (来源可查、去向可追): trace a shipment upstream to the mines and imports it came from, or downstream
to the last holders, carrying REO tonnes by mass balance.

**The attribution rule.** An enterprise's sources in a month are, in tonnes REO and whatever the product:
the receipts it confirmed with a date in the month, its own mined production of the month (a mine), and its
opening stock of the month (from its filed report). Every shipment it sent in that month is attributed to these
sources in proportion to their tonnes. So, upstream, a shipment of *q* t from E in month M draws
*q × source / total sources of E in M* from each source; downstream, a receipt of *q* t by E in month M passes
*q / total sources of E in M* of each of E's shipments of that month on, and what E did not ship stays with E (a last
holder). Imports, mined production and opening stock end an upstream trace; a buyer outside the portal (abroad, or
a domestic party not in the portal) ends a downstream one.

**Scope.** The ministry traces everything. An authority sees the whole trace but only expands — and only names —
enterprises in its area; others appear as "outside your area". An enterprise expands only itself: its own
upstream (its suppliers) and downstream (its customers), one step.

Each step costs a fixed number of queries (receipts, production and stock of all the step's enterprise-months at
once), so a 5-step trace is ~15 queries whatever the fan-out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from organizations.models import MINISTRY_ROLES, Enterprise, IndicatorType
from organizations.selectors import enterprise_q, membership_of

from .models import InventoryLine, MonthlyReport, ProductionLine, Receipt, ReportStatus, Shipment
from .periods import period_bounds

Q3 = Decimal("0.001")
MAX_DEPTH = 10
# A trace stays readable and fast: contributions under 0.5 % of the traced quantity (or 1 kg) and beyond the 200
# largest edges of a step are summed into a "smaller sources/destinations" node and not traced further.
MIN_SHARE = Decimal("0.005")
MAX_EDGES_PER_STEP = 200
MINING_TYPES = (IndicatorType.MINING_ROCK, IndicatorType.MINING_ION)


@dataclass
class Trace:
    direction: str
    depth: int
    root: Shipment
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {"shipment": self.root.number, "direction": self.direction, "depth": self.depth,
                "rule": attribution_rule(), "nodes": list(self.nodes.values()),
                "edges": [{**e, "tonnes": str(e["tonnes"].quantize(Q3))} for e in self.edges],
                "rows": [{**r, "tonnes": str(r["tonnes"].quantize(Q3)),
                          "shipment_tonnes": str(r["shipment_tonnes"]),
                          "share": str(r["share"].quantize(Decimal("0.0001")))} for r in self.rows]}


def attribution_rule() -> str:
    return str(_("An enterprise's shipments of a month are attributed to its sources of that month — receipts "
                 "confirmed in the month, its own mined production and its opening stock — in proportion to their "
                 "tonnes REO, whatever the product."))


def _month(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


class _Sources:
    """Sources per (enterprise, year, month), fetched for many keys at once and memoised."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, int, int], dict[str, Any]] = {}

    def load(self, keys: set[tuple[int, int, int]]) -> None:
        keys = {k for k in keys if k not in self.cache}
        if not keys:
            return
        for k in keys:
            self.cache[k] = {"receipts": [], "mined": Decimal(0), "opening": Decimal(0)}
        ents = {k[0] for k in keys}
        periods = {(k[1], k[2]) for k in keys}
        dates = [period_bounds(y, m) for y, m in periods]
        first, last = min(d[0] for d in dates), max(d[1] for d in dates)
        for r in (Receipt.objects.filter(buyer_id__in=ents, received_date__range=(first, last))
                  .select_related("shipment__seller", "shipment__product").order_by("pk")):
            key = (r.buyer_id, *_month(r.received_date))
            if key in self.cache and key in keys:
                self.cache[key]["receipts"].append(r)
        period_q = Q(pk__in=[])
        for y, m in periods:
            period_q |= Q(year=y, month=m)
        reports = MonthlyReport.objects.filter(period_q, enterprise_id__in=ents, is_current=True).exclude(
            status=ReportStatus.DRAFT)
        for row in (ProductionLine.objects.filter(report__in=reports, indicator_type__in=MINING_TYPES)
                    .values("report__enterprise_id", "report__year", "report__month").annotate(t=Sum("tonnes"))):
            key = (row["report__enterprise_id"], row["report__year"], row["report__month"])
            if key in keys:
                self.cache[key]["mined"] = row["t"]
        for row in (InventoryLine.objects.filter(report__in=reports)
                    .values("report__enterprise_id", "report__year", "report__month").annotate(t=Sum("opening"))):
            key = (row["report__enterprise_id"], row["report__year"], row["report__month"])
            if key in keys:
                self.cache[key]["opening"] = row["t"]

    def total(self, key: tuple[int, int, int]) -> Decimal:
        c = self.cache[key]
        return sum((r.tonnes for r in c["receipts"]), Decimal(0)) + c["mined"] + c["opening"]


def _expander(user: Any) -> tuple[Callable[[int | None], bool], Callable[[int | None], bool], int]:
    """(may expand this enterprise, may name it, maximum depth) for the user."""
    m = membership_of(user)
    if m is None:
        return (lambda _e: False), (lambda _e: False), 0
    if m.role in MINISTRY_ROLES:
        return (lambda e: e is not None), (lambda _e: True), MAX_DEPTH
    if m.enterprise_id:
        own = m.enterprise_id
        return (lambda e: e == own), (lambda _e: True), 1
    in_scope = set(Enterprise.objects.filter(enterprise_q(user)).values_list("pk", flat=True))
    return (lambda e: e in in_scope), (lambda e: e in in_scope), MAX_DEPTH


def shipment_trace(*, user: Any, shipment: Shipment, direction: str = "up", depth: int = 5) -> Trace:
    """The trace graph of a shipment (the caller has checked the user may see the shipment)."""
    may_expand, may_name, max_depth = _expander(user)
    depth = max(0, min(int(depth), max_depth))
    trace = Trace(direction=direction, depth=depth, root=shipment)
    sources = _Sources()
    names: dict[int, str] = {}

    def ent_node(ent_id: int | None, label: str, country: str = "CN") -> str:
        if ent_id is None:
            nid = f"x:{label}:{country}"
            trace.nodes.setdefault(nid, {"id": nid, "label": f"{label} ({country})", "kind": "external",
                                         "enterprise": None})
            return nid
        if not may_name(ent_id):
            nid = f"e:{ent_id}"
            trace.nodes.setdefault(nid, {"id": nid, "label": str(_("Enterprise outside your area")),
                                         "kind": "hidden", "enterprise": None})
            return nid
        nid = f"e:{ent_id}"
        trace.nodes.setdefault(nid, {"id": nid, "label": names.get(ent_id) or label, "kind": "enterprise",
                                     "enterprise": ent_id})
        return nid

    def leaf(nid: str, label: str, kind: str) -> str:
        trace.nodes.setdefault(nid, {"id": nid, "label": label, "kind": kind, "enterprise": None})
        return nid

    def add(step: int, s: Shipment | None, src: str, dst: str, tonnes: Decimal, share: Decimal,
            kind: str = "shipment") -> None:
        trace.edges.append({"source": src, "target": dst, "tonnes": tonnes, "shipment": s.number if s else "",
                            "kind": kind})
        trace.rows.append({"step": step, "shipment": s.number if s else "", "shipment_id": s.pk if s else None,
                           "from": trace.nodes[src]["label"], "to": trace.nodes[dst]["label"],
                           "product": s.product_id if s else "", "date": s.dispatch_date.isoformat() if s else "",
                           "shipment_tonnes": s.tonnes if s else Decimal(0), "tonnes": tonnes, "share": share,
                           "kind": kind})

    root = shipment
    names.update({e.pk: e.name for e in (root.seller, root.buyer) if e is not None})
    seller_node = ent_node(root.seller_id, root.seller_name, root.seller_country)
    buyer_node = ent_node(root.buyer_id, root.buyer_name, root.buyer_country)
    add(0, root, seller_node, buyer_node, root.tonnes, Decimal(1))
    if direction == "down":
        _down(trace, root, depth, sources, may_expand, ent_node, leaf, add, names)
    else:
        _up(trace, root, depth, sources, may_expand, ent_node, leaf, add, names)
    return trace


def _keep(candidates: list[tuple[Decimal, Any]], floor: Decimal) -> tuple[list[tuple[Decimal, Any]], Decimal]:
    """The edges worth tracing: at least ``floor`` tonnes, the ``MAX_EDGES_PER_STEP`` largest; and the rest's sum."""
    big = sorted((c for c in candidates if c[0] >= floor), key=lambda c: c[0], reverse=True)
    kept = big[:MAX_EDGES_PER_STEP]
    rest = sum((c[0] for c in candidates), Decimal(0)) - sum((c[0] for c in kept), Decimal(0))
    return kept, rest


def _up(trace, root, depth, sources, may_expand, ent_node, leaf, add, names) -> None:
    floor = max(Q3, root.tonnes * MIN_SHARE)
    frontier: dict[tuple[int, int, int], Decimal] = {}
    if root.seller_id is not None:
        frontier[(root.seller_id, *_month(root.dispatch_date))] = root.tonnes
    for step in range(1, depth + 1):
        expand = {k: q for k, q in frontier.items() if may_expand(k[0])}
        if not expand:
            break
        sources.load(set(expand))
        nxt: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
        candidates: list[tuple[Decimal, Any]] = []
        small: dict[str, Decimal] = defaultdict(Decimal)
        for key, q in sorted(expand.items()):
            here = f"e:{key[0]}"
            total = sources.total(key)
            c = sources.cache[key]
            if total <= 0:
                add(step, None, leaf(f"u:{key[0]}", str(_("No recorded source")), "unattributed"), here, q,
                    Decimal(1), "unattributed")
                continue
            for r in c["receipts"]:
                share = r.tonnes / total
                candidates.append((q * share, (here, r.shipment, share)))
            if c["mined"] > 0:
                share = c["mined"] / total
                add(step, None, leaf(f"m:{key[0]}", _("Mined by %(name)s") % {"name": names.get(key[0], "")},
                                     "mine"), here, q * share, share, "mined")
            if c["opening"] > 0:
                share = c["opening"] / total
                add(step, None, leaf(f"o:{key[0]}:{key[1]}-{key[2]}", _("Opening stock %(y)s-%(m)02d")
                                     % {"y": key[1], "m": key[2]}, "stock"), here, q * share, share, "stock")
        kept, _rest = _keep(candidates, floor)
        kept_ids = {id(x[1]) for x in kept}
        for t, (here, up, share) in candidates:
            if id((here, up, share)) in kept_ids:
                continue
            small[here] += t
        for t, (here, up, share) in kept:
            if up.seller is not None:
                names[up.seller_id] = up.seller.name
            src = leaf(f"i:{up.seller_country}", _("Import from %(country)s") % {"country": up.seller_country},
                       "import") if up.origin == "import" else ent_node(up.seller_id, up.seller_name, up.seller_country)
            add(step, up, src, here, t, share)
            if up.seller_id is not None:
                nxt[(up.seller_id, *_month(up.dispatch_date))] += t
        for here, t in small.items():
            if t > 0:
                add(step, None, leaf(f"s:{here}", str(_("Smaller sources (not traced further)")), "small"), here, t,
                    t / root.tonnes if root.tonnes else Decimal(0), "small")
        frontier = nxt


def _down(trace, root, depth, sources, may_expand, ent_node, leaf, add, names) -> None:
    received = getattr(root, "receipt", None)
    first_q = received.tonnes if received is not None else root.tonnes
    first_day = received.received_date if received is not None else root.dispatch_date
    floor = max(Q3, first_q * MIN_SHARE)
    frontier: dict[tuple[int, int, int], Decimal] = {}
    if root.buyer_id is not None:
        frontier[(root.buyer_id, *_month(first_day))] = first_q
    for step in range(1, depth + 1):
        expand = {k: q for k, q in frontier.items() if may_expand(k[0])}
        if not expand:
            break
        sources.load(set(expand))
        ents = {k[0] for k in expand}
        dates = [period_bounds(k[1], k[2]) for k in expand]
        outs: dict[tuple[int, int, int], list[Shipment]] = defaultdict(list)
        for s in (Shipment.objects.filter(seller_id__in=ents, dispatch_date__range=(min(d[0] for d in dates),
                                                                                     max(d[1] for d in dates)))
                  .select_related("buyer", "receipt").order_by("pk")):
            key = (s.seller_id, *_month(s.dispatch_date))
            if key in expand:
                outs[key].append(s)
        nxt: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
        candidates: list[tuple[Decimal, Any]] = []
        for key, q in sorted(expand.items()):
            e = key[0]
            here = f"e:{e}"
            total = sources.total(key)
            frac = min(Decimal(1), q / total) if total > 0 else Decimal(1)
            passed = Decimal(0)
            for s in outs.get(key, []):
                t = s.tonnes * frac
                passed += t
                candidates.append((t, (here, s, frac)))
            if q - passed > Q3:
                add(step, None, here, leaf(f"h:{e}", _("Still held by %(name)s") % {"name": names.get(e, "")},
                                           "holder"), q - passed, (q - passed) / q if q else Decimal(0), "held")
        kept, _rest = _keep(candidates, floor)
        kept_ids = {id(x[1]) for x in kept}
        small: dict[str, Decimal] = defaultdict(Decimal)
        for t, item in candidates:
            if id(item) not in kept_ids:
                small[item[0]] += t
        for t, (here, s, frac) in kept:
            if s.buyer is not None:
                names[s.buyer_id] = s.buyer.name
            add(step, s, here, ent_node(s.buyer_id, s.buyer_name, s.buyer_country), t, frac)
            if s.buyer_id is not None:
                rec = getattr(s, "receipt", None)
                nxt[(s.buyer_id, *_month(rec.received_date if rec else s.dispatch_date))] += t
        for here, t in small.items():
            if t > 0:
                add(step, None, here, leaf(f"sd:{here}", str(_("Smaller destinations (not traced further)")),
                                           "small"), t, Decimal(0), "small")
        frontier = nxt
