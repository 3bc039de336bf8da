"""The audit page reads in the reader's language: every action code the portal writes has a label, snapshot keys and
values are named and written for people (numbers with separators, codes translated)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

from organizations.audit_display import action_label, snapshot_items

ROOT = Path(settings.BASE_DIR)
# action="x.y", action="x.y" if … else "z.w", action=f"report.{action}" (the access actions)
ACTION = re.compile(r'action=(?:f?"([a-z_]+\.[a-z_{}]+)")(?: if [^"]+ else "([a-z_]+\.[a-z_]+)")?')
LATIN = re.compile(r"[A-Za-z]{3,}")


def _action_codes() -> set[str]:
    codes: set[str] = set()
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).parts
        if rel[0] in (".venv", "tests", "examples", "node_modules", "staticfiles") or "migrations" in rel:
            continue
        for m in ACTION.finditer(path.read_text(encoding="utf-8")):
            codes.update(c for c in m.groups() if c)
    expanded = set()
    for code in codes:
        if "{action}" in code:
            expanded.update(code.replace("{action}", a) for a in ("read", "export", "attachment_download"))
        else:
            expanded.add(code)
    return expanded


def test_every_action_code_written_by_the_portal_has_a_chinese_label():
    codes = _action_codes()
    assert {"annual.accept", "shipment.confirm", "hearing.waive", "publication.publish", "report.read"} <= codes
    with translation.override("zh-hans"):
        unlabelled = sorted(c for c in codes if action_label(c) == c or LATIN.search(action_label(c)))
    assert not unlabelled, f"action codes without a Chinese label: {unlabelled}"


def test_snapshot_keys_and_values_are_written_for_people():
    with translation.override("zh-hans"):
        confirm = dict(snapshot_items("reporting.Shipment", {
            "status": "received", "tonnes": "1200.000", "received_t": "1200.000", "received_date": "2026-10-12",
            "reason": ""}))
        annual = dict(snapshot_items("reporting.AnnualReport", {
            "status": "submitted", "attested_by": "华美 统计员", "attested_at": "2026-01-20T10:00:00+08:00"}))
        hearing = dict(snapshot_items("enforcement.Penalty", {"waived": True, "at": "2026-03-01T09:00:00+08:00",
                                                              "fine_cny": "800000.00"}))
        read = dict(snapshot_items("reporting.MonthlyReport", {"via": "page", "version": 2}))
    assert confirm["收货数量（吨）"] == "1,200.000" and confirm["收货日期"] == "2026-10-12"
    assert annual["声明人"] == "华美 统计员"
    assert hearing["时间"] == "2026-03-01 09:00" and hearing["放弃权利"] == "是"
    assert [v for k, v in hearing.items() if k.startswith("罚款")] == ["800,000"]
    assert read["查阅方式"] == "网页"
    for items in (confirm, annual, hearing, read):
        assert not [k for k in items if LATIN.search(k.replace("REO", ""))], items
