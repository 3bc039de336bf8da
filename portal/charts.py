"""Chart descriptions rendered twice from the same numbers: a Chart.js canvas and an accessible table.

A view builds ``chart(...)``; the template includes ``portal/_chart.html`` with it; static/js/site.js draws
every ``canvas[data-chart]`` from the JSON the include writes with ``json_script`` (no inline script).
"""

from __future__ import annotations

from decimal import Decimal

from quota_portal.formatting import DASH, tonnes_formatter


def _count_text(v):
    return DASH if v is None else v


PALETTE = ["#1f5fa8", "#a3262a", "#2e7d32", "#b26a00", "#6a4c93", "#00838f", "#8d6e63", "#546e7a"]


def _num(v):
    if v is None:
        return None
    if isinstance(v, Decimal):
        return float(v)
    return v


def chart(
    *,
    id: str,
    title,
    kind: str,
    labels: list,
    series: list[dict],
    unit: str = "t",
    stacked: bool = False,
    horizontal: bool = False,
    label_heading="",
) -> dict:
    """``series``: [{"label": ..., "values": [...], "stack": optional, "color": optional}] aligned with labels.

    ``unit`` is "t" (tonnes REO, shown with 3 decimals) or "n" (counts).
    """
    labels = [str(x) for x in labels]
    datasets = []
    for i, s in enumerate(series):
        color = s.get("color") or PALETTE[i % len(PALETTE)]
        ds = {
            "label": str(s["label"]),
            "data": [_num(v) for v in s["values"]],
            "backgroundColor": color,
            "borderColor": color,
        }
        if s.get("stack"):
            ds["stack"] = s["stack"]
        if kind == "line":
            ds["fill"] = False
            ds["tension"] = 0.2
        datasets.append(ds)
    # the accessible table's cells written once here (one language look-up), not per cell by a template filter
    fmt = tonnes_formatter() if unit == "t" else _count_text
    rows = []
    for i, label in enumerate(labels):
        values = [s["values"][i] for s in series]
        rows.append({"label": label, "values": values, "cells": [fmt(v) for v in values]})
    return {
        "id": id,
        "data_id": f"{id}-data",
        "title": title,
        "unit": unit,
        "label_heading": label_heading,
        "series": series,
        "rows": rows,
        "empty": not rows or all(v in (None, 0) for r in rows for v in r["values"]),
        "config": {
            "type": kind,
            "data": {"labels": labels, "datasets": datasets},
            "stacked": stacked,
            "horizontal": horizontal,
            "unit": unit,
        },
    }
