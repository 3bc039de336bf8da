"""Resolve the portal shipment numbers a monthly report's flow rows carry (``shipments[i].shipment_no``).

Kept apart from reporting/ledger.py so that reporting/validation.py can use it without an import cycle."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from organizations.models import Enterprise

from .models import FlowDirection, Shipment


def shipment_numbers_resolve(*, enterprise: Enterprise, rows: list[Any], errors: Any) -> dict[int, Shipment]:
    """For report rows carrying ``shipment_no``: the shipment (by index). An in row must name a shipment addressed
    to the enterprise, an out row one it declared; anything else is an error on ``shipments[i].shipment_no``."""
    wanted = {}
    for i, row in enumerate(rows):
        if isinstance(row, dict) and str(row.get("shipment_no") or "").strip():
            wanted[i] = str(row["shipment_no"]).strip().upper()
    if not wanted:
        return {}
    found = {s.number: s for s in Shipment.objects.filter(number__in=set(wanted.values()))
             .filter(Q(seller=enterprise) | Q(buyer=enterprise))}
    out: dict[int, Shipment] = {}
    for i, number in wanted.items():
        s = found.get(number)
        direction = str(rows[i].get("direction") or "").strip()
        mine = s is not None and (s.buyer_id == enterprise.pk if direction == FlowDirection.IN
                                  else s.seller_id == enterprise.pk)
        if not mine:
            errors.add(f"shipments[{i}].shipment_no",
                       _("Unknown shipment number “%(number)s”: no shipment with this number is %(what)s your "
                         "enterprise.") % {"number": number,
                                           "what": _("addressed to") if direction == FlowDirection.IN
                                           else _("declared by")})
            continue
        code = str(rows[i].get("product") or "").strip().upper()
        if code and code != s.product_id:
            errors.add(f"shipments[{i}].product", _("Shipment %(number)s is of %(product)s.")
                       % {"number": number, "product": s.product_id})
        assert s is not None  # "mine" above implies it
        out[i] = s
    return out
