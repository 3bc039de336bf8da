"""Data for enforcement tests, built through the real services of allocations and reporting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

BJ = ZoneInfo("Asia/Shanghai")


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BJ)


def U(username):
    return get_user_model().objects.get(username=username)


def second_reviewer(county, username="jiuyuan_reviewer2"):
    """Another reviewer of the same county (the four-eyes approver)."""
    from organizations.services import user_with_membership_upsert

    return user_with_membership_upsert(username=username, password=None, role="authority_reviewer", authority=county)


def issue(year: int, lines: list[tuple], *, issued_at=None):
    """Issue one batch for ``year`` with lines (enterprise, indicator_type, tonnes), plans created as needed."""
    from allocations import services as a
    from allocations.models import NationalPlan, PlanStatus

    official, official2, approver = U("miit_official"), U("miit_official2"), U("miit_approver")
    for itype in {t for _e, t, _x in lines}:
        if not NationalPlan.objects.filter(year=year, indicator_type=itype, status=PlanStatus.APPROVED).exists():
            plan = a.plan_create(actor=official, year=year, indicator_type=itype, total_t=Decimal("1000000"))
            a.plan_approve(actor=approver, plan=plan)
    batch = a.batch_create(actor=official, year=year, title=f"{year} batch",
                           lines=[{"enterprise": e, "indicator_type": t, "tonnes": Decimal(str(x))}
                                  for e, t, x in lines])
    batch = a.batch_submit(actor=official2, batch=batch)
    return a.batch_approve(actor=approver, batch=batch, issued_at=issued_at)


def filer_of(ent):
    from organizations.services import user_with_membership_upsert

    user = get_user_model().objects.filter(membership__enterprise=ent, membership__role="enterprise_filer").first()
    return user or user_with_membership_upsert(username=f"filer_{ent.pk}", password=None, role="enterprise_filer",
                                               enterprise=ent)


def reviewer_of(ent):
    from organizations.services import user_with_membership_upsert

    user = get_user_model().objects.filter(membership__authority=ent.county,
                                           membership__role="authority_reviewer").order_by("pk").first()
    return user or user_with_membership_upsert(username=f"rev_{ent.county.code}", password=None,
                                               role="authority_reviewer", authority=ent.county)


def payload(*, production=(), inputs=(), shipments=(), inventory=(), comment="", nil=False):
    """production: (indicator_type, product, tonnes); inputs: (source, country, product, tonnes);
    shipments: (direction, credit_code, name, country, product, tonnes, date); inventory: (product, opening, closing)."""
    return {
        "nil": nil,
        "comment": comment,
        "production": [{"indicator_type": t, "product": p, "tonnes": str(x)} for t, p, x in production],
        "inputs": [{"source": s, "country": c, "product": p, "tonnes": str(x)} for s, c, p, x in inputs],
        "shipments": [{"direction": d, "counterparty_credit_code": code, "counterparty_name": name,
                       "counterparty_country": country, "product": p, "tonnes": str(x), "date": str(date),
                       "document_no": f"DOC-{i}"}
                      for i, (d, code, name, country, p, x, date) in enumerate(shipments)],
        "inventory": [{"product": p, "opening": str(o), "closing": str(c)} for p, o, c in inventory],
    }


def smelter_month(produced, *, year=2025, month=3, prnd_opening=0, product="PRND_OXIDE",
                  feed="BAST_CONC"):
    """A balanced smelter month: imports its feedstock, consumes it, and keeps the oxide in stock."""
    produced = Decimal(str(produced))
    opening = Decimal(str(prnd_opening))
    return payload(
        production=[("smelting_separation", product, produced)],
        inputs=[("imported_ore", "MM", feed, produced)],
        shipments=[("in", "", "Myanmar Mining Ltd", "MM", feed, produced, dt.date(year, month, 2))],
        inventory=[(feed, 0, 0), (product, opening, opening + produced)],
    )


def file_report(ent, year, month, data, *, submit=True, accept=True, submitted_at=None, accepted_at=None):
    from reporting import services as r

    filer = filer_of(ent)
    report = r.report_create(actor=filer, enterprise=ent, year=year, month=month, data=data, now=submitted_at)
    if submit:
        report = r.report_submit(attest=True, actor=filer, report=report, confirm_warnings=True,
                                 warnings_explanation="test data", now=submitted_at)
    if accept:
        report = r.report_accept(actor=reviewer_of(ent), report=report, now=accepted_at)
    return report
