"""Demo monthly reports for 2026 (January–October), filed and reviewed through the services by demo users.

Material flows between the demo enterprises match on both sides (same date, product, tonnes and document
number): the group mines ship concentrate to the group's smelters; smelters consume it, produce oxides and ship
them to outside buyers. Balances close every month and each opening stock equals the previous closing stock.
Statuses: January–September accepted (except one returned report), October partly awaiting review, one late.
Idempotent: a month already filed by an enterprise is left alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model

from organizations.models import Authority, Role
from organizations.services import user_with_membership_upsert
from organizations.validators import make_credit_code

from . import annual, services
from .models import AnnualReport, MonthlyReport, PeriodCertification, ReportStatus
from .periods import BEIJING

YEAR = 2026
MONTHS = range(1, 11)
Q3 = Decimal("0.001")

# Enterprise → what it produces each month (indicator type, product, base tonnes REO).
PRODUCTION = {
    "bymine": [("mining_rock", "BAST_CONC", 5600)],
    "mnmine": [("mining_rock", "BAST_CONC", 1500)],
    "lnmine": [("mining_ion", "ION_MYEU_OXIDE", 300)],
    "hnmine": [("mining_ion", "ION_LY_OXIDE", 150)],
    "pymine": [("mining_ion", "ION_HY_OXIDE", 120)],
    "huamei": [("smelting_separation", "PRND_OXIDE", 500), ("smelting_separation", "LACE_OXIDE", 1600)],
    "hefa": [("smelting_separation", "CE_OXIDE", 900), ("smelting_separation", "LA_OXIDE", 850)],
    "tianhe": [("smelting_separation", "ND_OXIDE", 300), ("smelting_separation", "PR_OXIDE", 100),
               ("smelting_separation", "LACE_CARB", 600)],
    "dnsep": [("smelting_separation", "Y_OXIDE", 150), ("smelting_separation", "DY_OXIDE", 20),
              ("smelting_separation", "TB_OXIDE", 5)],
    "lssep": [("smelting_separation", "LACE_OXIDE", 900), ("smelting_separation", "PRND_OXIDE", 350)],
    "gxsep": [("smelting_separation", "LA_OXIDE", 60), ("smelting_separation", "Y_OXIDE", 70)],
    "ynsep": [("smelting_separation", "Y_OXIDE", 60), ("smelting_separation", "DY_OXIDE", 5)],
    "jinlong": [("smelting_separation", "PRND_OXIDE", 120), ("smelting_separation", "DY_OXIDE", 10)],
    "fuyuan": [("smelting_separation", "Y_OXIDE", 80), ("smelting_separation", "DY_OXIDE", 8)],
}
# Shipments between demo enterprises: (from, to, product, base tonnes per month).
LINKS = [
    ("bymine", "huamei", "BAST_CONC", 2400), ("bymine", "hefa", "BAST_CONC", 2000), ("bymine", "tianhe", "BAST_CONC", 1100),
    ("mnmine", "lssep", "BAST_CONC", 1450), ("lnmine", "dnsep", "ION_MYEU_OXIDE", 290),
    ("hnmine", "gxsep", "ION_LY_OXIDE", 145), ("pymine", "fuyuan", "ION_HY_OXIDE", 115),
]
# Feedstock from outside the portal: (enterprise, source, country, product, base tonnes, supplier).
OUTSIDE_IN = [
    ("dnsep", "imported_ore", "MM", "ION_MYEU_OXIDE", 200, {"name": "克钦矿产贸易公司", "country": "MM"}),
    ("ynsep", "imported_ore", "MM", "ION_MYEU_OXIDE", 100, {"name": "密支那资源有限公司", "country": "MM"}),
    ("jinlong", "secondary", "", "MIXED_CARB", 160, {"code_body": "91350800MA2Y3K7P1", "name": "龙岩稀土回收利用有限公司"}),
]
# Buyers of oxides outside the portal (domestic magnet makers, and one export).
BUYERS = [
    {"code_body": "91330200MA2AH5QW8", "name": "宁波韵升磁材有限公司"},
    {"code_body": "91110108MA01R7XK3", "name": "北京中科三环高技术股份有限公司"},
    {"name": "信越化学工业株式会社", "country": "JP"},
]
RETURNED = ("hefa", 9)
AWAITING = [("huamei", 10), ("lnmine", 10)]
LATE = ("dnsep", 10)
DRAFT_ONLY = [("hefa", 10)]
CERTIFY_COUNTIES = ["150206", "150207", "150203"]
CERTIFY_UP_TO = {"county": 8, "city": 6, "province": 6}


def _factor(key: str, month: int) -> Decimal:
    return Decimal(1) + Decimal("0.03") * Decimal(((month * 7 + len(key)) % 5) - 2)


def _t(x) -> Decimal:
    return Decimal(x).quantize(Q3)


def _split(total: Decimal, ceiling: Decimal = Decimal(1500)) -> list[Decimal]:
    n = max(1, math.ceil(total / ceiling))
    part = _t(total / n)
    return [part] * (n - 1) + [total - part * (n - 1)]


def _party(spec: dict) -> dict:
    if "code_body" in spec:
        return {"counterparty_credit_code": make_credit_code(spec["code_body"]), "counterparty_name": spec["name"],
                "counterparty_country": "CN"}
    return {"counterparty_credit_code": "", "counterparty_name": spec["name"], "counterparty_country": spec["country"]}


def build_payloads(enterprises: dict) -> dict[tuple[str, int], dict]:
    """(enterprise key, month) → API-shaped payload; inventories simulated so every balance closes."""
    stock: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    payloads = {}
    keys = list(PRODUCTION)
    for key in keys:  # an opening stock in January large enough for the year
        for _itype, product, base in PRODUCTION[key]:
            stock[key][product] = _t(base * 2)
    for month in MONTHS:
        lines = {k: {"production": [], "inputs": [], "shipments": []} for k in keys}
        moves = {k: defaultdict(lambda: defaultdict(Decimal)) for k in keys}  # product → kind → t
        doc = 0
        for a, b, product, base in LINKS:
            total = _t(base * _factor(a + b, month))
            for i, part in enumerate(_split(total)):
                doc += 1
                date = dt.date(YEAR, month, min(3 + i * 9, 28)).isoformat()
                docno = f"FP{YEAR}{month:02d}{doc:04d}"
                lines[a]["shipments"].append({"direction": "out", **_party_ent(enterprises[b]), "product": product,
                                              "tonnes": str(part), "date": date, "document_no": docno})
                lines[b]["shipments"].append({"direction": "in", **_party_ent(enterprises[a]), "product": product,
                                              "tonnes": str(part), "date": date, "document_no": docno})
                moves[a][product]["shipped"] += part
                moves[b][product]["received"] += part
        for key, source, country, product, base, supplier in OUTSIDE_IN:
            total = _t(base * _factor(key, month))
            doc += 1
            lines[key]["shipments"].append({"direction": "in", **_party(supplier), "product": product,
                                            "tonnes": str(total), "date": dt.date(YEAR, month, 6).isoformat(),
                                            "document_no": f"BG{YEAR}{month:02d}{doc:04d}"})
            moves[key][product]["received"] += total
            lines[key]["inputs"].append(("_source", source, country, product))
        for key in keys:
            # Smelters consume 98 % of what they received this month, by source.
            inputs = []
            for product, m in list(moves[key].items()):
                if m["received"] and PRODUCTION[key][0][0] == "smelting_separation":
                    consumed = _t(m["received"] * Decimal("0.98"))
                    outside = [x for x in lines[key]["inputs"] if isinstance(x, tuple) and x[3] == product]
                    source, country = (outside[0][1], outside[0][2]) if outside else ("domestic_mined", "")
                    inputs.append({"source": source, "country": country, "product": product, "tonnes": str(consumed)})
                    m["consumed"] += consumed
            lines[key]["inputs"] = inputs
            for itype, product, base in PRODUCTION[key]:
                produced = _t(base * _factor(key, month))
                lines[key]["production"].append({"indicator_type": itype, "product": product, "tonnes": str(produced)})
                moves[key][product]["produced"] += produced
                if itype == "smelting_separation":  # oxides go to outside buyers, 95 % of the month's output
                    buyer = BUYERS[(month + len(key) + len(product)) % len(BUYERS)]
                    doc += 1
                    for i, part in enumerate(_split(_t(produced * Decimal("0.95")))):
                        lines[key]["shipments"].append({
                            "direction": "out", **_party(buyer), "product": product, "tonnes": str(part),
                            "date": dt.date(YEAR, month, 15 + i).isoformat(),
                            "document_no": f"XS{YEAR}{month:02d}{doc:04d}-{i + 1}"})
                        moves[key][product]["shipped"] += part
            inventory = []
            for product in sorted(set(stock[key]) | set(moves[key])):
                m = moves[key][product]
                opening = stock[key][product]
                closing = opening + m["produced"] + m["received"] - m["shipped"] - m["consumed"]
                stock[key][product] = closing
                if opening or closing:
                    inventory.append({"product": product, "opening": str(opening), "closing": str(closing)})
            payloads[(key, month)] = {"nil": False, "comment": "", **{k: v for k, v in lines[key].items()},
                                      "inventory": inventory}
    return payloads


def _party_ent(ent) -> dict:
    return {"counterparty_credit_code": ent.credit_code, "counterparty_name": ent.name, "counterparty_country": "CN"}


def _at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    if month > 12:
        year, month = year + 1, month - 12
    return dt.datetime(year, month, day, hour, tzinfo=BEIJING)


def seed(context: dict) -> dict:
    enterprises = context["enterprises"]
    password = context.get("password")
    new_users = []
    filers, reviewers = {}, {}
    for key, ent in enterprises.items():
        if key not in PRODUCTION:
            continue
        username = f"{key}_filer"
        filers[key] = user_with_membership_upsert(username=username, password=password, role=Role.ENTERPRISE_FILER,
                                                  enterprise=ent, full_name=f"{ent.name} 统计员")
        code = ent.county.code
        if code not in reviewers:
            known = {"150207": "jiuyuan_reviewer", "360783": "longnan_reviewer"}
            uname = known.get(code, f"reviewer_{code}")
            reviewers[code] = user_with_membership_upsert(username=uname, password=password,
                                                          role=Role.AUTHORITY_REVIEWER, authority=ent.county,
                                                          full_name=f"{ent.county.name} 工信局 审核")
            if uname not in known.values():
                new_users.append((uname, Role.AUTHORITY_REVIEWER.label))
        if username not in {u for u, _r in context.get("users", [])}:
            new_users.append((username, Role.ENTERPRISE_FILER.label))

    payloads = build_payloads(enterprises)
    done = set(MonthlyReport.objects.filter(year=YEAR, enterprise__in=[enterprises[k] for k in PRODUCTION])
               .values_list("enterprise_id", "month"))
    for month in MONTHS:
        for key in PRODUCTION:
            ent = enterprises[key]
            if (ent.pk, month) in done:
                continue
            filer, reviewer = filers[key], reviewers[ent.county.code]
            created = _at(YEAR, month + 1, 2 + len(key) % 5)
            report = services.report_create(actor=filer, enterprise=ent, year=YEAR, month=month,
                                            data=payloads[(key, month)], now=created)
            if month == 9 and key == "jinlong":
                services.attachment_add(actor=filer, report=report, filename="报关单.pdf",
                                        content=b"%PDF-1.4\n% demo customs declaration\n%%EOF\n", kind="customs",
                                        flow_line=report.flow_lines.filter(direction="in").first())
            if (key, month) in DRAFT_ONLY:
                continue
            submitted = _at(YEAR, month + 1, 12, 9) if (key, month) == LATE else _at(YEAR, month + 1, 7 + len(key) % 3)
            report = services.report_submit(attest=True, actor=filer, report=report, now=submitted, confirm_warnings=True,
                                            warnings_explanation="季节性波动（演示数据）。")
            if (key, month) in AWAITING:
                continue
            reviewed = submitted + dt.timedelta(days=2)
            if (key, month) == RETURNED:
                services.report_return(actor=reviewer, report=report, now=reviewed,
                                       comment="请补充精矿购进的过磅单。")
                continue
            services.report_accept(actor=reviewer, report=report, now=reviewed, comment="")

    # Certification of the Baotou months: counties, then the city and the province.

    viewers = {a: context_user(a) for a in ("baotou_viewer", "nmg_viewer")}
    for month in MONTHS:
        at = _at(YEAR, month + 1, 20)
        for code in CERTIFY_COUNTIES:
            county = Authority.objects.get(code=code)
            if month <= CERTIFY_UP_TO["county"] and not PeriodCertification.objects.filter(
                    authority=county, year=YEAR, month=month).exists():
                services.period_certify(actor=reviewers[code], authority=county, year=YEAR, month=month, now=at)
        for username, level in (("baotou_viewer", "city"), ("nmg_viewer", "province")):
            user = viewers[username]
            auth = user.membership.authority
            if month <= CERTIFY_UP_TO[level] and not PeriodCertification.objects.filter(
                    authority=auth, year=YEAR, month=month).exists():
                services.period_certify(actor=user, authority=auth, year=YEAR, month=month, now=at)
    # Annual reports of the previous year (its months were reported before the portal): Huamei's accepted,
    # Hefa's awaiting the county's review.
    for key, accept in (("huamei", True), ("hefa", False)):
        ent = enterprises.get(key)
        if ent is None or key not in filers or AnnualReport.objects.filter(enterprise=ent, year=YEAR - 1).exists():
            continue
        at = _at(YEAR, 1, 20)
        rep = annual.annual_create(actor=filers[key], enterprise=ent, year=YEAR - 1, now=at, data={
            "responsible_person": "张明" if key == "huamei" else "李华",
            "explanation": "上年各月数据在门户上线前以纸质方式报送（演示数据）。"})
        rep = annual.annual_submit(actor=filers[key], report=rep, attest=True, now=at)
        if accept:
            annual.annual_accept(actor=reviewers[ent.county.code], report=rep, now=at + dt.timedelta(days=3))
    return {"users": list(context.get("users", [])) + new_users,
            "reports": MonthlyReport.objects.filter(year=YEAR).exclude(status=ReportStatus.DRAFT).count()}


def context_user(username: str):
    return get_user_model().objects.select_related("membership__authority").get(username=username)
