"""Demo organisations: the real authority chain of the main rare-earth regions, the four groups, a handful
of enterprises each with licences, and one demo user per role. Idempotent (upserts by natural keys)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from .divisions import chain_of
from .models import Authority, DesignationKind, Enterprise, Level, PermitKind, Role
from .register_selectors import REQUIRED_PERMITS
from .register_services import capacity_record, designation_approve, designation_draft, permit_record
from .services import (
    authority_upsert,
    enterprise_upsert,
    group_upsert,
    user_with_membership_upsert,
)
from .validators import make_credit_code

DEMO_PASSWORD = "Quota-demo-2026"
MINISTRY_CODE = "100000"

# County-level divisions that host the demo enterprises (real GB/T 2260 codes).
COUNTIES = ["150206", "150207", "150203", "360783", "360728", "513433", "511112", "350821", "441426",
            "451421", "431129", "530902"]

GROUPS = [
    # (key, name, short, English, credit-code body)
    ("crg", "中国稀土集团有限公司", "中国稀土", "China Rare Earth Group", "91360700MA39XYW10"),
    ("north", "中国北方稀土(集团)高科技股份有限公司", "北方稀土", "China Northern Rare Earth", "91150200701463622"),
    ("xtc", "厦门钨业股份有限公司", "厦门钨业", "Xiamen Tungsten", "91350200154980122"),
    ("rising", "广东省广晟控股集团有限公司", "广晟", "Guangdong Rising", "91440000719283849"),
]

DESIGNATION_DOC = "工信部原函〔2024〕1号"
DESIGNATED_FROM = dt.date(2024, 1, 1)
PERMIT_PREFIX: dict[str, str] = {PermitKind.MINING: "C", PermitKind.SAFETY: "AQ", PermitKind.DISCHARGE: "PW", PermitKind.RADIATION: "FS"}
PERMIT_ISSUER: dict[str, str] = {PermitKind.MINING: "自然资源部", PermitKind.SAFETY: "应急管理厅",
                 PermitKind.DISCHARGE: "生态环境局", PermitKind.RADIATION: "生态环境厅"}

# (key, name, English, county, group, activities (indicator types), capacity t REO/yr)
ENTERPRISES = [
    ("bymine", "白云鄂博稀土矿业有限公司", "Bayan Obo Rare Earth Mining Co.", "150206", "north", ["mining_rock"], None),
    ("huamei", "包头华美稀土高科有限公司", "Baotou Huamei RE Hi-Tech Co.", "150207", "north", ["smelting_separation"], "15000"),
    ("hefa", "内蒙古包钢和发稀土有限公司", "Inner Mongolia Hefa Rare Earth Co.", "150207", "north", ["smelting_separation"], "8000"),
    ("tianhe", "包头天和磁材稀土有限公司", "Baotou Tianhe RE Co.", "150203", "north", ["smelting_separation"], "5000"),
    ("lnmine", "中稀(龙南)稀土矿业有限公司", "CREG (Longnan) RE Mining Co.", "360783", "crg", ["mining_ion"], None),
    ("dnsep", "中稀(定南)稀土冶炼分离有限公司", "CREG (Dingnan) RE Separation Co.", "360728", "crg", ["smelting_separation"], "6000"),
    ("mnmine", "中稀(冕宁)稀土矿业有限公司", "CREG (Mianning) RE Mining Co.", "513433", "crg", ["mining_rock"], None),
    ("lssep", "中稀(乐山)稀土新材料有限公司", "CREG (Leshan) RE Materials Co.", "511112", "crg", ["smelting_separation"], "4000"),
    ("gxsep", "中稀(广西)稀土新材料有限公司", "CREG (Guangxi) RE Materials Co.", "451421", "crg", ["smelting_separation"], "3000"),
    ("hnmine", "中稀(湖南)稀土矿业有限公司", "CREG (Hunan) RE Mining Co.", "431129", "crg", ["mining_ion"], None),
    ("ynsep", "中稀(云南)稀土有限公司", "CREG (Yunnan) RE Co.", "530902", "crg", ["smelting_separation"], "1500"),
    ("jinlong", "福建省长汀金龙稀土有限公司", "Fujian Changting Jinlong RE Co.", "350821", "xtc", ["smelting_separation"], "5000"),
    ("fuyuan", "广东富远稀土新材料股份有限公司", "Guangdong Fuyuan RE Materials Co.", "441426", "rising", ["smelting_separation"], "3500"),
    ("pymine", "平远县华企稀土实业有限公司", "Pingyuan Huaqi RE Co.", "441426", "rising", ["mining_ion"], None),
]


def designate_with_permits(*, official, approver, enterprise: Enterprise | None = None,
                           new_enterprise: dict | None = None, activity: str, capacity: Decimal | None = None,
                           number: str, since: dt.date = DESIGNATED_FROM,
                           until: dt.date = dt.date(2029, 12, 31)) -> Enterprise:
    """Designate (drafted by ``official``, approved by ``approver``), record the permits the activity needs and the
    capacity: an enterprise eligible from ``since``. Used by the demo and by tests."""
    dec = designation_draft(actor=official, enterprise=enterprise, new_enterprise=new_enterprise, activity=activity,
                            kind=DesignationKind.DESIGNATE, document_no=DESIGNATION_DOC, effective_from=since,
                            basis="《稀土管理条例》第八条")
    designation_approve(actor=approver, decision=dec)
    ent = dec.enterprise
    for kind in REQUIRED_PERMITS[activity]:
        permit_record(actor=None, enterprise=ent, kind=kind, number=f"{PERMIT_PREFIX[kind]}{number}",
                      issuer=PERMIT_ISSUER[kind], valid_from=since, valid_to=until)
    if capacity is not None:
        capacity_record(actor=official, enterprise=ent, activity=activity, tonnes=capacity, effective_from=since,
                        source="项目核准文件")
    return ent


def _credit_body(i: int, county: str) -> str:
    # 9 = registered by SAMR, 1 = enterprise; 6-digit registration division; 9-character organisation code.
    return f"91{county}{(731000000 + i * 7919):09d}"[:17]


def seed(context: dict | None = None) -> dict:
    ministry = authority_upsert(code=MINISTRY_CODE, name="工业和信息化部", name_en="MIIT", level=Level.MINISTRY, parent=None)
    counties = {}
    for code in COUNTIES:
        parent = ministry
        for c, name, level in chain_of(code):
            parent = authority_upsert(code=c, name=name, level=level, parent=parent)
        counties[code] = parent

    groups = {key: group_upsert(credit_code=make_credit_code(body), name=name, short_name=short, name_en=en)
              for key, name, short, en, body in GROUPS}

    ministry_users = [
        ("miit_official", Role.MINISTRY_OFFICIAL, "工信部 原材料司 经办"),
        ("miit_official2", Role.MINISTRY_OFFICIAL, "工信部 原材料司 经办 (2)"),
        ("miit_approver", Role.MINISTRY_APPROVER, "工信部 原材料司 审批"),
    ]
    for username, role, full_name in ministry_users:
        user_with_membership_upsert(username=username, password=DEMO_PASSWORD, role=role, full_name=full_name,
                                    authority=ministry)
    User = get_user_model()
    official, approver = User.objects.get(username="miit_official"), User.objects.get(username="miit_approver")

    # The register is built the way the ministry builds it: a drafted designation (registering the enterprise),
    # approved by a second person; then the permits and the capacity on record.
    enterprises = {}
    for i, (key, name, en, county, gkey, activities, cap) in enumerate(ENTERPRISES, start=1):
        code = make_credit_code(_credit_body(i, county))
        ent = Enterprise.objects.filter(credit_code=code).first()
        for activity in activities:
            if ent is not None and ent.designation_decisions.filter(activity=activity).exists():
                continue
            ent = designate_with_permits(
                official=official, approver=approver, enterprise=ent,
                new_enterprise=None if ent else {"name": name, "credit_code": code, "county_code": county,
                                                 "group_code": groups[gkey].credit_code},
                activity=activity, capacity=Decimal(cap) if cap else None, number=f"{county}2024{i:04d}")
        ent = enterprise_upsert(credit_code=code, name=name, name_en=en, county=counties[county], group=groups[gkey],
                                smelting_capacity_t=Decimal(cap) if cap else None)
        enterprises[key] = ent

    users: list[tuple[str, Role, dict[str, Any], str]] = [
        ("miit_official", Role.MINISTRY_OFFICIAL, {"authority": ministry}, "工信部 原材料司 经办"),
        ("miit_official2", Role.MINISTRY_OFFICIAL, {"authority": ministry}, "工信部 原材料司 经办 (2)"),
        ("miit_approver", Role.MINISTRY_APPROVER, {"authority": ministry}, "工信部 原材料司 审批"),
        ("jiuyuan_reviewer", Role.AUTHORITY_REVIEWER, {"authority": counties["150207"]}, "九原区 工信局 审核"),
        ("longnan_reviewer", Role.AUTHORITY_REVIEWER, {"authority": counties["360783"]}, "龙南市 工信局 审核"),
        ("baotou_viewer", Role.AUTHORITY_VIEWER, {"authority": Authority.objects.get(code="150200")}, "包头市 工信局"),
        ("nmg_viewer", Role.AUTHORITY_VIEWER, {"authority": Authority.objects.get(code="150000")}, "内蒙古 工信厅"),
        ("huamei_filer", Role.ENTERPRISE_FILER, {"enterprise": enterprises["huamei"]}, "华美 统计员"),
        ("huamei_manager", Role.ENTERPRISE_MANAGER, {"enterprise": enterprises["huamei"]}, "华美 经理"),
        ("hefa_filer", Role.ENTERPRISE_FILER, {"enterprise": enterprises["hefa"]}, "和发 统计员"),
        ("lnmine_filer", Role.ENTERPRISE_FILER, {"enterprise": enterprises["lnmine"]}, "龙南矿业 统计员"),
        ("north_manager", Role.ENTERPRISE_MANAGER, {"group": groups["north"]}, "北方稀土 计划部"),
        ("crg_manager", Role.ENTERPRISE_MANAGER, {"group": groups["crg"]}, "中国稀土 计划部"),
    ]
    for username, role, org, full_name in users:
        user_with_membership_upsert(username=username, password=DEMO_PASSWORD, role=role, full_name=full_name, **org)

    return {
        "ministry": ministry,
        "counties": counties,
        "groups": groups,
        "enterprises": enterprises,
        "users": [(u, r.label) for u, r, _, _ in users],
        "password": DEMO_PASSWORD,
    }
