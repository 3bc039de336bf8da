"""The issuance notice (下达通知) of a batch: an official document in Chinese, as a page and as a PDF."""

from __future__ import annotations

from decimal import Decimal

from . import selectors

# The notice is an official Chinese-language document whatever the interface language.
INDICATOR_ZH = {
    "mining_rock": "岩矿型稀土开采",
    "mining_ion": "离子型稀土开采",
    "smelting_separation": "冶炼分离",
}
TYPES = list(INDICATOR_ZH)


def notice_context(user, batch) -> dict:
    """Table by recipient (rows) and indicator type (columns) with row and column totals."""
    lines = list(selectors.batch_lines(user=user, batch=batch))
    types = [t for t in TYPES if any(ln.indicator_type == t for ln in lines)]
    rows: dict[tuple, dict] = {}
    for ln in lines:
        key = ("g", ln.group_id) if ln.group_id else ("e", ln.enterprise_id)
        row = rows.setdefault(key, {"recipient": ln.recipient, "is_group": bool(ln.group_id),
                                    "amounts": {t: None for t in types}, "total": Decimal(0)})
        row["amounts"][ln.indicator_type] = ln.tonnes
        row["total"] += ln.tonnes
    ordered = sorted(rows.values(), key=lambda r: (not r["is_group"], r["recipient"].name))
    for r in ordered:
        r["cells"] = [r["amounts"][t] for t in types]
    col_totals = [sum((ln.tonnes for ln in lines if ln.indicator_type == t), Decimal(0)) for t in types]
    return {
        "batch": batch,
        "type_labels": [INDICATOR_ZH[t] for t in types],
        "rows": ordered,
        "col_totals": col_totals,
        "grand_total": sum(col_totals, Decimal(0)),
        "mining_total": sum((ln.tonnes for ln in lines if ln.indicator_type != "smelting_separation"), Decimal(0)),
        # the notice names only the indicator types it contains
        "kinds": kinds_text(types),
        "show_mining_total": "smelting_separation" in types and len(types) > 2,
    }


def kinds_text(types: list[str]) -> str:
    """"稀土开采、冶炼分离" / "稀土开采" / "稀土冶炼分离" for the indicator types of a batch."""
    mining = any(t != "smelting_separation" for t in types)
    smelting = "smelting_separation" in types
    if mining and smelting:
        return "稀土开采、冶炼分离"
    return "稀土开采" if mining else "稀土冶炼分离"
