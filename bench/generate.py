"""Reproducible synthetic national data for the benchmarks, loaded with PostgreSQL COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quota_bench BENCH_SCALE=500 python bench/generate.py

BENCH_SCALE: ``full`` (10,000 enterprises), ``reduced`` (500, the default) or a number of enterprises.
BENCH_SEED: RNG seed (default 2025). The same scale and seed give byte-identical data.
``--years N`` (or BENCH_YEARS, default 1): N consecutive years ending with ``BENCH_YEAR`` (2025) — each year its
plans, batch, 12 months of reports and roll-ups; stocks carry over from one year to the next.

What it builds (per year, ``BENCH_YEAR`` = 2025 the last):
- the real province/city/county tree (organizations/fixtures/divisions: 31 provinces, 342 cities, 2,978
  counties) under the ministry;
- enterprises (half of them in 40 real rare-earth counties, the rest spread over the whole tree), two groups,
  one designated licence each (rock mining, ion mining or smelting separation);
- users: two ministry users, one reviewer per county with enterprises, one filer per enterprise (+ API tokens);
- approved national plans, one issued batch with a line per enterprise, and the QuotaUsage and MonthlyUsage
  roll-ups equal to the accepted production (what ``reporting.services.usage_recompute`` writes on acceptance);
- 12 accepted monthly reports per enterprise with ~50 lines each: production, inputs, shipments out to real
  counterparties with the matching receipt in the buyer's report (97 % exact, 2 % off by 5–20 %, 1 % missing),
  inventory that balances per product and carries over month to month;
- the shipment ledger (reporting_shipment / reporting_receipt, ≈ 12 shipments per enterprise and month, so
  ≈ 1.4 M at full scale): one shipment per shipment-out line, both flow lines pointing to it; 96 % received as
  declared, 2 % disputed (received 5–20 % off), 1 % never confirmed (in transit), 1 % received with a small
  difference; shipments dispatched on the last two days of a month are received in the next month half of the
  time (cross-month); a laundering pattern: 1 smelter in 200 imports light-rare-earth ore (bastnaesite) every
  month and separates dysprosium oxide from it (the ``yield_implausible`` case).

Loading: the tables are filled with COPY inside one transaction with ``session_replication_role = replica``
(so neither the FK checks nor the immutability trigger fire row by row — the data is consistent by
construction), then ANALYZE. Prints rows/s.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# bench/http.py must not shadow the standard library's http: keep bench/ itself off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

BEIJING = ZoneInfo("Asia/Shanghai")
YEAR = int(os.environ.get("BENCH_YEAR", "2025"))
YEARS = int(os.environ.get("BENCH_YEARS", "1"))
PASSWORD = "Bench-pass-2026"
MINISTRY_CODE = "100000"
# Real rare-earth counties (Baotou, Ganzhou, Liangshan, Leshan, Longyan, Meizhou, Hezhou, Yongzhou, Lincang…)
HOT_COUNTIES = ["150206", "150207", "150203", "150204", "150205", "150221", "150222", "150223", "360783", "360728",
                "360727", "360726", "360729", "360732", "360781", "360702", "360703", "360704", "513433", "513401",
                "511112", "511113", "350821", "350802", "350881", "441426", "441402", "441481", "451421", "451102",
                "451121", "431129", "431102", "431103", "530902", "530921", "530922", "532502", "320282", "370902"]


def scale() -> int:
    raw = os.environ.get("BENCH_SCALE", "reduced").strip().lower()
    return {"full": 10_000, "reduced": 500, "": 500}.get(raw) or int(raw)


def dsn() -> str:
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quota_bench")


def q3(x: float) -> Decimal:
    return Decimal(int(round(x * 1000))) / 1000


def fmt(x: Decimal) -> str:
    return f"{x:.3f}"


# --- database --------------------------------------------------------------------------------------


def recreate_database() -> None:
    """Drop and create the bench database (refuses a name without "bench" in it), then migrate."""
    import psycopg2

    url = urlparse(dsn())
    name = url.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"Refusing to recreate {name!r}: the bench database name must contain 'bench'.")
    admin = psycopg2.connect(host=url.hostname, port=url.port or 5432, user=url.username, password=url.password,
                             dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                    "pg_backend_pid()", [name])
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
        # Aggregates over millions of lines spill to disk at the 4 MB default; a reporting database gets more
        # (applies to the services and to the raw SQL they are compared with alike).
        cur.execute(f'ALTER DATABASE "{name}" SET work_mem = %s', [os.environ.get("BENCH_WORK_MEM", "64MB")])
    admin.close()
    env = {**os.environ, "DATABASE_URL": dsn()}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"], check=True, env=env,
                   cwd=ROOT)


class Copier:
    def __init__(self, cur):
        self.cur = cur
        self.rows = 0
        self.seconds = 0.0

    def copy(self, table: str, columns: list[str], rows) -> int:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        n = 0
        for row in rows:
            w.writerow(["\\N" if v is None else v for v in row])
            n += 1
        buf.seek(0)
        t0 = time.perf_counter()
        self.cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)
        self.seconds += time.perf_counter() - t0
        self.rows += n
        return n


# --- the tree ------------------------------------------------------------------------------------------


def divisions():
    base = ROOT / "organizations" / "fixtures" / "divisions"
    with open(base / "provinces.csv", encoding="utf-8") as f:
        provinces = [(r["code"] + "0000", r["name"]) for r in csv.DictReader(f)]
    with open(base / "cities.csv", encoding="utf-8") as f:
        cities = [(r["code"] + "00", r["name"], r["provinceCode"] + "0000") for r in csv.DictReader(f)]
    with open(base / "areas.csv", encoding="utf-8") as f:
        counties = [(r["code"], r["name"], r["cityCode"] + "00") for r in csv.DictReader(f)]
    return provinces, cities, counties


def due_at(year: int, month: int) -> dt.datetime:
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.datetime(y, m, 11, tzinfo=BEIJING)


def month_last_day(year: int, month: int) -> int:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


# --- generation --------------------------------------------------------------------------------------


def generate(n_ent: int, seed: int, years: int = 1) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quota_portal.settings")
    import django

    django.setup()
    import psycopg2
    from django.contrib.auth.hashers import make_password

    from organizations.validators import make_credit_code

    rng = random.Random(seed)
    url = urlparse(dsn())
    conn = psycopg2.connect(host=url.hostname, port=url.port or 5432, user=url.username, password=url.password,
                            dbname=url.path.lstrip("/"))
    cur = conn.cursor()
    cur.execute("SET session_replication_role = replica")
    cp = Copier(cur)
    t_start = time.perf_counter()
    now = dt.datetime(YEAR + 1, 1, 20, 9, tzinfo=BEIJING)

    cur.execute("SELECT code, indicator_type, stage FROM reporting_product ORDER BY code")
    products = cur.fetchall()
    by_type = defaultdict(list)
    for code, itype, _stage in products:
        if itype:
            by_type[itype].append(code)

    # authorities
    provinces, cities, counties = divisions()
    auth_rows, ids = [], {}
    nid = 1
    ids[MINISTRY_CODE] = nid
    paths = {MINISTRY_CODE: f"{MINISTRY_CODE}/"}
    auth_rows.append((nid, "工业和信息化部", "MIIT", "ministry", MINISTRY_CODE, None, paths[MINISTRY_CODE]))
    for level, items in (("province", [(c, n, MINISTRY_CODE) for c, n in provinces]), ("city", cities),
                         ("county", counties)):
        for code, name, parent in items:
            if code in ids:  # a few county-level codes equal a city code: keep the first
                continue
            nid += 1
            ids[code] = nid
            paths[code] = paths[parent] + f"{code}/"
            auth_rows.append((nid, name, "", level, code, ids[parent], paths[code]))
    cp.copy("organizations_authority", ["id", "name", "name_en", "level", "code", "parent_id", "path"], auth_rows)
    county_codes = [c for c, _n, _p in counties if ids.get(c) and paths[c].count("/") == 4]
    hot = [c for c in HOT_COUNTIES if c in ids]

    # groups
    groups = [(1, "中国稀土集团有限公司", "中国稀土", "China Rare Earth Group", make_credit_code("91360700MA39XYW10")),
              (2, "中国北方稀土(集团)高科技股份有限公司", "北方稀土", "China Northern Rare Earth",
               make_credit_code("91150200701463622"))]
    cp.copy("organizations_enterprisegroup", ["id", "name", "short_name", "name_en", "credit_code"], groups)

    # enterprises: kind, county, group
    ents = []
    for i in range(1, n_ent + 1):
        r = rng.random()
        itype = "mining_rock" if r < 0.15 else "mining_ion" if r < 0.30 else "smelting_separation"
        county = rng.choice(hot) if rng.random() < 0.5 else rng.choice(county_codes)
        group = 2 if itype == "mining_rock" and rng.random() < 0.5 else (1 if rng.random() < 0.25 else None)
        quota = q3(rng.lognormvariate(3.6, 0.9) * (3 if itype == "smelting_separation" else 2))
        ents.append({"id": i, "itype": itype, "county": county, "group": group, "quota": quota,
                     "code": make_credit_code(f"91{county}{(100000000 + i * 7):09d}"),
                     "products": rng.sample(by_type[itype], min(3, len(by_type[itype])))})
    created = dt.datetime(YEAR - years, 6, 1, tzinfo=BEIJING).isoformat()
    cp.copy("organizations_enterprise",
            ["id", "name", "name_en", "credit_code", "county_id", "group_id", "smelting_capacity_t",
             "stop_rectify_ordered", "created_at"],
            ((e["id"], f"稀土企业{e['id']:05d}有限公司", f"RE Enterprise {e['id']:05d} Co.", e["code"],
              ids[e["county"]], e["group"],
              "5000.000" if e["itype"] == "smelting_separation" else None, "f", created) for e in ents))
    cp.copy("organizations_licence", ["id", "enterprise_id", "activity", "number", "valid_from", "valid_to", "status"],
            ((e["id"], e["id"], "smelting_separation" if e["itype"] == "smelting_separation" else "mining",
              f"BENCH-{e['id']:06d}", f"{YEAR - years}-01-01", f"{YEAR + 2}-12-31", "designated") for e in ents))

    # users, memberships, tokens
    pw = make_password(PASSWORD)
    users, members, tokens = [], [], []
    uid = 0

    def add_user(username, role, authority=None, enterprise=None):
        nonlocal uid
        uid += 1
        users.append((uid, pw, None, "f", username, "", "", "", "f", "t", created))
        members.append((uid, uid, role, authority, enterprise, None, "f"))
        tokens.append((f"{rng.getrandbits(160):040x}", uid, created))
        return uid

    ministry_official = add_user("bench_ministry", "ministry_official", authority=ids[MINISTRY_CODE])
    ministry_approver = add_user("bench_approver", "ministry_approver", authority=ids[MINISTRY_CODE])
    reviewer_of = {}
    for code in sorted({e["county"] for e in ents}):
        reviewer_of[code] = add_user(f"bench_rev_{code}", "authority_reviewer", authority=ids[code])
    filer_of = {e["id"]: add_user(f"bench_filer_{e['id']:05d}", "enterprise_filer", enterprise=e["id"]) for e in ents}
    cp.copy("auth_user", ["id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
                          "email", "is_staff", "is_active", "date_joined"], users)
    cp.copy("organizations_membership", ["id", "user_id", "role", "authority_id", "enterprise_id", "group_id",
                                      "manages_staff"], members)
    cp.copy("authtoken_token", ["key", "user_id", "created"], tokens)

    # plans, batch, allocation lines
    totals = defaultdict(Decimal)
    for e in ents:
        totals[e["itype"]] += e["quota"]
    year_list = list(range(YEAR - years + 1, YEAR + 1))
    for yi, y in enumerate(year_list):
        issued = dt.datetime(y, 3, 1, 10, tzinfo=BEIJING).isoformat()
        cp.copy("allocations_nationalplan",
                ["id", "year", "indicator_type", "revision", "previous_id", "total_t", "reserve_t", "basis", "status",
                 "drafted_by_id", "drafted_at", "approved_by_id", "approved_at"],
                ((yi * 10 + k + 1, y, t, 1, None, fmt(totals[t] * Decimal("1.05")),
                  fmt(q3(float(totals[t]) * 0.05 * 0.99)), "bench", "approved", ministry_official, issued,
                  ministry_approver, issued)
                 for k, t in enumerate(sorted(totals))))
        cp.copy("allocations_issuancebatch",
                ["id", "year", "sequence", "title", "document_no", "status", "created_by_id", "created_at",
                 "submitted_by_id", "submitted_at", "approved_by_id", "issued_at", "breakdown_due",
                 "breakdown_due_estimated"],
                [(yi + 1, y, 1, f"{y} first batch (bench)", f"BENCH-{y}-1", "issued", ministry_official, issued,
                  ministry_official, issued, ministry_approver, issued, None, "f")])
        cp.copy("allocations_allocationline", ["id", "batch_id", "enterprise_id", "group_id", "indicator_type",
                                               "tonnes"],
                ((yi * n_ent + e["id"], yi + 1, e["id"], None, e["itype"], fmt(e["quota"])) for e in ents))

    # reports and lines, month by month
    stock = {e["id"]: {p: q3(rng.uniform(20, 200)) for p in e["products"]} for e in ents}
    used = defaultdict(Decimal)  # (enterprise, year, type)
    used_month = defaultdict(Decimal)  # the allocations.MonthlyUsage roll-up (reporting.services.usage_recompute)
    report_rows, prod_rows, input_rows, flow_rows, inv_rows = [], [], [], [], []
    ship_rows, receipt_rows = [], []
    sid = 0
    n_lines = 0
    doc = 0
    stats = {"flows_out": 0, "receipts_exact": 0, "receipts_off": 0, "receipts_missing": 0, "shipments": 0,
             "disputed": 0, "cross_month": 0, "laundering_smelters": 0}
    ent_by_id = {e["id"]: e for e in ents}
    smelters = [e["id"] for e in ents if e["itype"] == "smelting_separation"]
    all_ids = [e["id"] for e in ents]
    launderers = smelters[::200]
    stats["laundering_smelters"] = len(launderers)
    declared_at = now.isoformat()

    def name_of(ent_id: int) -> str:
        return f"稀土企业{ent_id:05d}有限公司"

    def shipment(seller, buyer, p, t, day, docno, status, origin="declared", seller_name="", seller_country="CN"):
        nonlocal sid
        sid += 1
        s_code = ent_by_id[seller]["code"] if seller else ""
        ship_rows.append((sid, f"SH{sid:08d}", origin, seller, s_code, name_of(seller) if seller else seller_name,
                          seller_country, buyer, ent_by_id[buyer]["code"], name_of(buyer), "CN", p, f"LOT{sid:09d}",
                          fmt(t), "100.000", fmt(t), day.isoformat(), docno, docno if origin == "import" else "", "",
                          seller_country if origin == "import" else "", status, "f",
                          filer_of[seller or buyer], declared_at))
        stats["shipments"] += 1
        return sid

    def rid(ent_id: int, month: int, yi: int) -> int:
        return ((yi * n_ent) + ent_id - 1) * 12 + month

    for yi, y in enumerate(year_list):
        for month in range(1, 13):
            last = month_last_day(y, month)
            moves = {e["id"]: defaultdict(lambda: [Decimal(0)] * 4) for e in ents}  # produced, received, shipped, used
            for e in ents:
                r_id = rid(e["id"], month, yi)
                ratio = rng.uniform(0.6, 1.12)  # of the annual indicator; ~10 % of enterprises overrun it
                per_line = float(e["quota"]) * ratio / 12 / len(e["products"])
                for p in e["products"]:
                    t = q3(per_line * rng.uniform(0.7, 1.3))
                    prod_rows.append((r_id, e["itype"], p, fmt(t)))
                    moves[e["id"]][p][0] += t
                    used[(e["id"], y, e["itype"])] += t
                    used_month[(e["id"], y, month, e["itype"])] += t
            for ent_id in launderers:  # light ore in, heavy oxide out: what the feedstock-yield check must catch
                ore, dy = q3(rng.uniform(50, 100)), q3(rng.uniform(3, 6))
                day = dt.date(y, month, rng.randint(1, 10))
                doc += 1
                s_id = shipment(None, ent_id, "BAST_CONC", ore, day, f"IMP{y}{doc:09d}", "received", origin="import",
                                seller_name="Overseas Ore Co", seller_country="MM")
                receipt_rows.append((s_id, s_id, ent_id, fmt(ore), day.isoformat(), "f", "", filer_of[ent_id], declared_at))
                flow_rows.append((rid(ent_id, month, yi), "in", None, "", "Overseas Ore Co", "MM", "BAST_CONC", fmt(ore),
                                  day.isoformat(), f"IMP{y}{doc:09d}", s_id))
                input_rows.append((rid(ent_id, month, yi), "imported_ore", "MM", "BAST_CONC", fmt(ore)))
                prod_rows.append((rid(ent_id, month, yi), "smelting_separation", "DY_OXIDE", fmt(dy)))
                mv = moves[ent_id]
                mv["BAST_CONC"][1] += ore
                mv["BAST_CONC"][3] += ore
                mv["DY_OXIDE"][0] += dy
                used[(ent_id, y, "smelting_separation")] += dy
                used_month[(ent_id, y, month, "smelting_separation")] += dy
            for e in ents:
                r_id = rid(e["id"], month, yi)
                mv = moves[e["id"]]
                n_out = rng.randint(8, 16)
                for _k in range(n_out):
                    p = rng.choice(e["products"])
                    avail = stock[e["id"]].get(p, Decimal(0)) + mv[p][0] - mv[p][2]
                    t = q3(float(avail) * rng.uniform(0.02, 0.09))
                    if t <= 0:
                        continue
                    buyer = rng.choice(smelters if e["itype"] != "smelting_separation" else all_ids)
                    if buyer == e["id"]:
                        continue
                    doc += 1
                    day = rng.randint(1, last)
                    docno = f"INV{y}{doc:09d}"
                    b = ent_by_id[buyer]
                    mv[p][2] += t
                    stats["flows_out"] += 1
                    roll = rng.random()
                    dispatched = dt.date(y, month, day)
                    status = "in_transit" if roll < 0.01 else "disputed" if roll < 0.03 else "received"
                    s_id = shipment(e["id"], buyer, p, t, dispatched, docno, status)
                    flow_rows.append((r_id, "out", buyer, b["code"], f"稀土企业{buyer:05d}有限公司", "CN", p, fmt(t),
                                      f"{y}-{month:02d}-{day:02d}", docno, s_id))
                    if roll < 0.01:
                        stats["receipts_missing"] += 1
                        continue
                    got = t if roll >= 0.03 else q3(float(t) * rng.choice((0.8, 0.9, 1.1, 1.2)))
                    if roll >= 0.99:  # weighing differences within and just outside the tolerance
                        got = q3(float(t) * rng.choice((0.998, 0.99)))
                    stats["receipts_exact" if got == t else "receipts_off"] += 1
                    rday = min(last, day + rng.randint(0, 2))
                    received = dt.date(y, month, rday)
                    if day >= last - 1 and rng.random() < 0.5:  # received in the next month
                        received = dispatched + dt.timedelta(days=2)
                        stats["cross_month"] += 1
                    disputed = status == "disputed"
                    stats["disputed"] += disputed
                    receipt_rows.append((s_id, s_id, buyer, fmt(got), received.isoformat(), "t" if disputed else "f",
                                         "bench: weight difference at the gate" if disputed else "", filer_of[buyer],
                                         declared_at))
                    flow_rows.append((rid(buyer, month, yi), "in", e["id"], e["code"], f"稀土企业{e['id']:05d}有限公司", "CN",
                                      p, fmt(got), f"{y}-{month:02d}-{rday:02d}", docno, s_id))
                    moves[buyer][p][1] += got
            for e in ents:
                r_id = rid(e["id"], month, yi)
                mv = moves[e["id"]]
                st = stock[e["id"]]
                # inputs: consume part of what is held, from up to 5 products (minerals for smelters)
                held = [p for p in sorted(set(st) | set(mv)) if st.get(p, 0) + mv[p][0] + mv[p][1] - mv[p][2] > 0]
                for p in rng.sample(held, min(5, len(held))):
                    avail = st.get(p, Decimal(0)) + mv[p][0] + mv[p][1] - mv[p][2] - mv[p][3]
                    t = q3(float(avail) * rng.uniform(0.05, 0.3))
                    if t <= 0:
                        continue
                    src = rng.choice(("domestic_mined", "imported_ore", "independent_mineral", "secondary"))
                    input_rows.append((r_id, src, rng.choice(("MM", "LA", "US", "MG")) if src == "imported_ore" else "",
                                       p, fmt(t)))
                    mv[p][3] += t
                for p in sorted(set(st) | set(mv)):
                    opening = st.get(p, Decimal(0))
                    produced, received, shipped, consumed = mv[p]
                    closing = opening + produced + received - shipped - consumed
                    inv_rows.append((r_id, p, fmt(opening), fmt(closing)))
                    st[p] = closing
                sub = due_at(y, month) - dt.timedelta(days=rng.uniform(0.5, 9)) if rng.random() > 0.05 else \
                    due_at(y, month) + dt.timedelta(days=rng.uniform(0.1, 4))
                rev = sub + dt.timedelta(days=rng.uniform(0.5, 5))
                report_rows.append((r_id, e["id"], y, month, 1, None, "t", "accepted", "f", "", "[]", "", "f", 0,
                                    due_at(y, month).isoformat(), sub.isoformat(), filer_of[e["id"]],
                                    "t" if sub > due_at(y, month) else "f", reviewer_of[e["county"]], rev.isoformat(), "",
                                    filer_of[e["id"]], sub.isoformat(), rev.isoformat(), "", ""))
            if len(flow_rows) > 400_000 or month == 12:
                flush_ledger(cp, ship_rows, receipt_rows)
                n_lines += flush_lines(cp, report_rows, prod_rows, input_rows, flow_rows, inv_rows)
                report_rows, prod_rows, input_rows, flow_rows, inv_rows = [], [], [], [], []
                ship_rows, receipt_rows = [], []
            print(f"  {y}-{month:02d} generated ({n_lines:,} lines loaded so far)", flush=True)

    cp.copy("allocations_quotausage", ["enterprise_id", "year", "indicator_type", "used_t", "updated_at"],
            ((ent, y, itype, fmt(t), now.isoformat()) for (ent, y, itype), t in sorted(used.items())))
    cp.copy("allocations_monthlyusage", ["enterprise_id", "year", "month", "indicator_type", "used_t"],
            ((ent, y, month, itype, fmt(t)) for (ent, y, month, itype), t in sorted(used_month.items())))
    for table in ("organizations_authority", "organizations_enterprisegroup", "organizations_enterprise",
                  "organizations_licence", "auth_user", "organizations_membership", "allocations_nationalplan",
                  "allocations_issuancebatch", "allocations_allocationline", "allocations_quotausage", "allocations_monthlyusage",
                  "reporting_monthlyreport", "reporting_productionline", "reporting_inputline", "reporting_flowline",
                  "reporting_inventoryline", "reporting_shipment", "reporting_receipt"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    cur.execute("SET session_replication_role = DEFAULT")
    conn.commit()
    # the QuotaFigure roll-up the services maintain, rebuilt from the rows loaded behind their back
    from django.db import connection as django_connection  # noqa: PLC0415 — after django.setup() above

    from allocations.figures import figures_rebuild  # noqa: PLC0415

    django_connection.close()  # a connection opened before the database was recreated is gone
    t0 = time.perf_counter()
    figures = figures_rebuild()
    print(f"  QuotaFigure roll-up rebuilt: {figures:,} rows in {time.perf_counter() - t0:.1f} s")
    t_load = time.perf_counter() - t_start
    conn.autocommit = True
    t0 = time.perf_counter()
    cur.execute("VACUUM ANALYZE")
    t_analyze = time.perf_counter() - t0
    conn.close()
    out = {"enterprises": n_ent, "seed": seed, "year": YEAR, "years": years, "rows": cp.rows, "report_lines": n_lines,
           "reports": n_ent * 12 * years, "seconds": round(t_load, 2), "copy_seconds": round(cp.seconds, 2),
           "rows_per_s": round(cp.rows / t_load), "copy_rows_per_s": round(cp.rows / max(cp.seconds, 1e-9)),
           "vacuum_analyze_seconds": round(t_analyze, 2), "counties": len(county_codes), **stats}
    return out


def flush_ledger(cp: Copier, shipments, receipts) -> None:
    cp.copy("reporting_shipment",
            ["id", "number", "origin", "seller_id", "seller_credit_code", "seller_name", "seller_country", "buyer_id",
             "buyer_credit_code", "buyer_name", "buyer_country", "product_id", "lots", "net_weight_t", "reo_pct",
             "tonnes", "dispatch_date", "document_no", "customs_no", "export_licence_no", "origin_country", "status",
             "migrated", "declared_by_id", "declared_at"], shipments)
    cp.copy("reporting_receipt", ["id", "shipment_id", "buyer_id", "tonnes", "received_date", "disputed",
                                  "dispute_reason", "confirmed_by_id", "confirmed_at"], receipts)


def flush_lines(cp: Copier, reports, prod, inputs, flows, inv) -> int:
    cp.copy("reporting_monthlyreport",
            ["id", "enterprise_id", "year", "month", "version", "previous_version_id", "is_current", "status", "nil",
             "comment", "warnings", "warnings_explanation", "balance_explained", "changes_count", "due_at",
             "submitted_at", "submitted_by_id", "late", "reviewed_by_id", "reviewed_at", "review_comment",
             "created_by_id", "created_at", "updated_at", "attested_name", "responsible_person"], reports)
    n = cp.copy("reporting_productionline", ["report_id", "indicator_type", "product_id", "tonnes"], prod)
    n += cp.copy("reporting_inputline", ["report_id", "source", "country", "product_id", "tonnes"], inputs)
    n += cp.copy("reporting_flowline", ["report_id", "direction", "counterparty_enterprise_id",
                                        "counterparty_credit_code", "counterparty_name", "counterparty_country",
                                        "product_id", "tonnes", "date", "document_no", "shipment_id"], flows)
    n += cp.copy("reporting_inventoryline", ["report_id", "product_id", "opening", "closing"], inv)
    return n


def main(years: int | None = None) -> dict:
    n = scale()
    seed = int(os.environ.get("BENCH_SEED", "2025"))
    years = years or YEARS
    print(f"bench/generate.py: {n:,} enterprises, seed {seed}, years {YEAR - years + 1}–{YEAR}, "
          f"database {urlparse(dsn()).path[1:]}")
    t0 = time.perf_counter()
    recreate_database()
    t_migrate = time.perf_counter() - t0
    result = generate(n, seed, years)
    result["migrate_seconds"] = round(t_migrate, 2)
    print(f"  loaded {result['rows']:,} rows ({result['report_lines']:,} report lines) in {result['seconds']} s: "
          f"{result['rows_per_s']:,} rows/s overall, {result['copy_rows_per_s']:,} rows/s inside COPY; "
          f"VACUUM ANALYZE {result['vacuum_analyze_seconds']} s")
    print("  " + json.dumps({k: result[k] for k in ("flows_out", "receipts_exact", "receipts_off",
                                                     "receipts_missing", "shipments", "disputed", "cross_month",
                                                     "laundering_smelters")}))
    return result


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Generate the bench database.")
    parser.add_argument("--years", type=int, default=YEARS, help="consecutive years ending with BENCH_YEAR (default 1)")
    main(parser.parse_args().years)
