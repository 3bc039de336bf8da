"""Demo organisations: the real authority chain of the main rare-earth regions, the four groups, a handful
of enterprises each with licences, and one demo user per role. Idempotent (upserts by natural keys)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .divisions import chain_of
from .models import Activity, Authority, Level, LicenceStatus, Role
from .services import (
    authority_upsert,
    enterprise_upsert,
    group_upsert,
    licence_upsert,
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

# (key, name, English, county, group, activities, smelting capacity t REO/yr)
ENTERPRISES = [
    ("bymine", "白云鄂博稀土矿业有限公司", "Bayan Obo Rare Earth Mining Co.", "150206", "north", ["mining"], None),
    ("huamei", "包头华美稀土高科有限公司", "Baotou Huamei RE Hi-Tech Co.", "150207", "north", ["smelting_separation"], "15000"),
    ("hefa", "内蒙古包钢和发稀土有限公司", "Inner Mongolia Hefa Rare Earth Co.", "150207", "north", ["smelting_separation"], "8000"),
    ("tianhe", "包头天和磁材稀土有限公司", "Baotou Tianhe RE Co.", "150203", "north", ["smelting_separation"], "5000"),
    ("lnmine", "中稀(龙南)稀土矿业有限公司", "CREG (Longnan) RE Mining Co.", "360783", "crg", ["mining"], None),
    ("dnsep", "中稀(定南)稀土冶炼分离有限公司", "CREG (Dingnan) RE Separation Co.", "360728", "crg", ["smelting_separation"], "6000"),
    ("mnmine", "中稀(冕宁)稀土矿业有限公司", "CREG (Mianning) RE Mining Co.", "513433", "crg", ["mining"], None),
    ("lssep", "中稀(乐山)稀土新材料有限公司", "CREG (Leshan) RE Materials Co.", "511112", "crg", ["smelting_separation"], "4000"),
    ("gxsep", "中稀(广西)稀土新材料有限公司", "CREG (Guangxi) RE Materials Co.", "451421", "crg", ["smelting_separation"], "3000"),
    ("hnmine", "中稀(湖南)稀土矿业有限公司", "CREG (Hunan) RE Mining Co.", "431129", "crg", ["mining"], None),
    ("ynsep", "中稀(云南)稀土有限公司", "CREG (Yunnan) RE Co.", "530902", "crg", ["smelting_separation"], "1500"),
    ("jinlong", "福建省长汀金龙稀土有限公司", "Fujian Changting Jinlong RE Co.", "350821", "xtc", ["smelting_separation"], "5000"),
    ("fuyuan", "广东富远稀土新材料股份有限公司", "Guangdong Fuyuan RE Materials Co.", "441426", "rising", ["smelting_separation"], "3500"),
    ("pymine", "平远县华企稀土实业有限公司", "Pingyuan Huaqi RE Co.", "441426", "rising", ["mining"], None),
]


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

    enterprises = {}
    for i, (key, name, en, county, gkey, activities, cap) in enumerate(ENTERPRISES, start=1):
        ent = enterprise_upsert(
            credit_code=make_credit_code(_credit_body(i, county)),
            name=name,
            name_en=en,
            county=counties[county],
            group=groups[gkey],
            smelting_capacity_t=Decimal(cap) if cap else None,
        )
        enterprises[key] = ent
        for activity in activities:
            prefix = "C" if activity == Activity.MINING else "S"
            licence_upsert(
                enterprise=ent,
                activity=activity,
                number=f"{prefix}{county}2024{i:04d}",
                valid_from=dt.date(2024, 1, 1),
                valid_to=dt.date(2029, 12, 31),
                status=LicenceStatus.DESIGNATED,
            )

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
