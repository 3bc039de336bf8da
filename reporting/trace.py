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

Each step costs two queries whatever the fan-out (the receipts of all the step's enterprise-months; their mined
production and opening stock), read as tuples, not model instances, so a 5-step trace is ~13 queries. What reaches
the same enterprise-month by several paths is added up and split once (attribution is linear).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Q, Sum, Value
from django.utils.translation import gettext as _

from organizations.models import MINISTRY_ROLES, Enterprise, IndicatorType
from organizations.selectors import enterprise_q, membership_of

from .models import InventoryLine, ProductionLine, Receipt, ReportStatus, Shipment
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


class _Ship(NamedTuple):
    """The columns of a shipment a trace reads (a tuple from ``values_list``, not a model instance). The parties'
    names are those recorded on the shipment (no join to the enterprises)."""

    pk: int
    number: str
    product_id: str
    dispatch_date: dt.date
    tonnes: Decimal
    origin: str
    seller_id: int | None
    seller_name: str
    seller_country: str
    buyer_id: int | None
    buyer_name: str
    buyer_country: str
    received_date: dt.date | None


_SHIP_FIELDS = ("pk", "number", "product_id", "dispatch_date", "tonnes", "origin", "seller_id", "seller_name",
                "seller_country", "buyer_id", "buyer_name", "buyer_country")


def _by_period(keys: set[tuple[int, int, int]], ent_field: str, date_field: str | None = None,
               prefix: str = "") -> Q:
    """One condition per month of the keys: (enterprise in that month's enterprises, date or report in that month)."""
    per: dict[tuple[int, int], set[int]] = defaultdict(set)
    for e, y, m in keys:
        per[(y, m)].add(e)
    cond = Q(pk__in=[])
    for (y, m), ents in sorted(per.items()):
        if date_field:
            cond |= Q(**{f"{ent_field}__in": sorted(ents), f"{date_field}__range": period_bounds(y, m)})
        else:
            cond |= Q(**{f"{ent_field}__in": sorted(ents), f"{prefix}year": y, f"{prefix}month": m})
    return cond


class _Sources:
    """Sources per (enterprise, year, month), fetched for many keys at once (three queries, rows as tuples) and
    memoised: the receipts (tonnes received, the shipment), the mined production and the opening stock."""

    def __init__(self) -> None:
        self.cache: dict[tuple[int, int, int], dict[str, Any]] = {}

    def load(self, keys: set[tuple[int, int, int]]) -> None:
        keys = {k for k in keys if k not in self.cache}
        if not keys:
            return
        for k in keys:
            self.cache[k] = {"receipts": [], "mined": Decimal(0), "opening": Decimal(0), "total": None}
        fields = [f"shipment__{f}" if f != "pk" else "shipment_id" for f in _SHIP_FIELDS]
        for row in (Receipt.objects.filter(_by_period(keys, "buyer_id", "received_date"))
                    .order_by("pk").values_list("buyer_id", "received_date", "tonnes", *fields)):
            buyer, received, tonnes, *ship = row
            key = (buyer, received.year, received.month)
            if key in keys:
                self.cache[key]["receipts"].append((tonnes, _Ship._make([*ship, received])))
        # the mined production and the opening stock of the keys' current filed reports, in one query
        period = _by_period(keys, "report__enterprise_id", prefix="report__")
        current = Q(report__is_current=True) & ~Q(report__status=ReportStatus.DRAFT)
        head = ("report__enterprise_id", "report__year", "report__month")
        mined = (ProductionLine.objects.filter(period, current, indicator_type__in=MINING_TYPES).order_by()
                 .values(*head).annotate(slot=Value("mined"), t=Sum("tonnes")).values_list(*head, "slot", "t"))
        opening = (InventoryLine.objects.filter(period, current).order_by()
                   .values(*head).annotate(slot=Value("opening"), t=Sum("opening")).values_list(*head, "slot", "t"))
        for e, y, m, slot, t in mined.union(opening, all=True):
            if (e, y, m) in keys and t:
                self.cache[(e, y, m)][slot] = Decimal(t)

    def total(self, key: tuple[int, int, int]) -> Decimal:
        c = self.cache[key]
        if c["total"] is None:
            c["total"] = sum((t for t, _s in c["receipts"]), Decimal(0)) + c["mined"] + c["opening"]
        return c["total"]


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
    parties = [e for e in (root.seller_id, root.buyer_id) if e is not None]
    names.update(Enterprise.objects.filter(pk__in=parties).values_list("pk", "name") if parties else [])
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


def _split(candidates: list[tuple[Decimal, Any]], floor: Decimal) -> tuple[list[tuple[Decimal, Any]],
                                                                            dict[str, Decimal]]:
    """The kept edges (see ``_keep``) and, per node, the sum of the others (``item[0]`` is the node)."""
    kept, _rest = _keep(candidates, floor)
    kept_ids = {id(c) for c in kept}
    small: dict[str, Decimal] = defaultdict(Decimal)
    for c in candidates:
        if id(c) not in kept_ids:
            small[c[1][0]] += c[0]
    return kept, small


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
        for key, q in sorted(expand.items()):
            here = f"e:{key[0]}"
            total = sources.total(key)
            c = sources.cache[key]
            if total <= 0:
                add(step, None, leaf(f"u:{key[0]}", str(_("No recorded source")), "unattributed"), here, q,
                    Decimal(1), "unattributed")
                continue
            ratio = q / total
            for tonnes, up in c["receipts"]:
                candidates.append((tonnes * ratio, (here, up, tonnes / total)))
            if c["mined"] > 0:
                share = c["mined"] / total
                add(step, None, leaf(f"m:{key[0]}", _("Mined by %(name)s") % {"name": names.get(key[0], "")},
                                     "mine"), here, q * share, share, "mined")
            if c["opening"] > 0:
                share = c["opening"] / total
                add(step, None, leaf(f"o:{key[0]}:{key[1]}-{key[2]}", _("Opening stock %(y)s-%(m)02d")
                                     % {"y": key[1], "m": key[2]}, "stock"), here, q * share, share, "stock")
        kept, small = _split(candidates, floor)
        for t, (here, up, share) in kept:
            if up.seller_id is not None:
                names[up.seller_id] = up.seller_name
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
        outs: dict[tuple[int, int, int], list[_Ship]] = defaultdict(list)
        for row in (Shipment.objects.filter(_by_period(set(expand), "seller_id", "dispatch_date")).order_by("pk")
                    .values_list("receipt__received_date", *_SHIP_FIELDS)):
            rec_date, *ship = row
            s = _Ship._make([*ship, rec_date])
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
        kept, small = _split(candidates, floor)
        for t, (here, s, frac) in kept:
            if s.buyer_id is not None:
                names[s.buyer_id] = s.buyer_name
            add(step, s, here, ent_node(s.buyer_id, s.buyer_name, s.buyer_country), t, frac)
            if s.buyer_id is not None:
                nxt[(s.buyer_id, *_month(s.received_date or s.dispatch_date))] += t
        for here, t in small.items():
            if t > 0:
                add(step, None, here, leaf(f"sd:{here}", str(_("Smaller destinations (not traced further)")),
                                           "small"), t, Decimal(0), "small")
        frontier = nxt
