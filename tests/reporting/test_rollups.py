"""Roll-ups equal a hand-computed fixture across two counties and two provinces (accepted reports only)."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reporting import services
from tests.builders import bj

from .conftest import huamei_payload, mine_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(demo_orgs, filed, users):
    """2025-03: huamei accepted (10 t smelting) and amended to 12 t awaiting review; hefa submitted late (7 t,
    not accepted); bymine only a draft (100 t); tianhe nothing; lnmine accepted, late (5 t ion); dnsep accepted nil."""
    on_time, late = bj(2025, 4, 8, 10), bj(2025, 4, 11, 0, 1)
    huamei = filed("huamei", 2025, 3, accept=True, now=on_time)
    v2 = services.report_amend(actor=users["huamei_filer"], report=huamei)
    services.report_update(actor=users["huamei_filer"], report=v2, data=huamei_payload(demo_orgs, 2025, 3, produced="12.000"))
    services.report_submit(attest=True, actor=users["huamei_filer"], report=v2)
    filed("hefa", 2025, 3, now=late, payload=mine_payload(demo_orgs, 2025, 3, "7.000", to="tianhe",
                                                          itype="smelting_separation", product="CE_OXIDE"))
    filed("bymine", 2025, 3, submit=False, payload=mine_payload(demo_orgs, 2025, 3, "100.000"))
    filed("lnmine", 2025, 3, accept=True, now=late,
          payload=mine_payload(demo_orgs, 2025, 3, "5.000", to="dnsep", itype="mining_ion", product="ION_MYEU_OXIDE"))
    filed("dnsep", 2025, 3, accept=True, now=on_time, payload={"nil": True})
    return demo_orgs


def _by_code(rows):
    return {r["code"]: r for r in rows}


def _totals(row):
    return {k: Decimal(str(v)) for k, v in row["totals"].items()}


EXPECTED = {
    # code: expected, submitted, accepted, late, missing, (rock, ion, smelting)
    "150207": (2, 2, 1, 1, 0, ("0", "0", "10")),
    "150203": (1, 0, 0, 0, 1, ("0", "0", "0")),
    "150206": (1, 0, 0, 0, 1, ("0", "0", "0")),
    "360783": (1, 1, 1, 1, 0, ("0", "5", "0")),
    "360728": (1, 1, 1, 0, 0, ("0", "0", "0")),
    "150000": (4, 2, 1, 1, 2, ("0", "0", "10")),
    "360000": (2, 2, 2, 1, 0, ("0", "5", "0")),
    "100000": (14, 4, 3, 2, 10, ("0", "5", "10")),
}


def _check(row, code):
    e = EXPECTED[code]
    assert (row["expected"], row["submitted"], row["accepted"], row["late"], row["missing"]) == e[:5], code
    assert _totals(row) == dict(zip(["mining_rock", "mining_ion", "smelting_separation"], map(Decimal, e[5]),
                                    strict=True)), code


def test_summaries_api_matches_the_hand_computed_fixture(march, api):
    levels = {"county": ["150207", "150203", "150206", "360783", "360728"], "province": ["150000", "360000"],
              "ministry": ["100000"]}
    for level, codes in levels.items():
        r = api("miit_official").get(f"/api/v1/summaries/?year=2025&month=3&level={level}")
        assert r.status_code == 200
        rows = _by_code(r.json()["results"])
        for code in codes:
            _check(rows[code], code)


def test_city_level_and_scoping(march, api):
    rows = _by_code(api("nmg_viewer").get("/api/v1/summaries/?year=2025&month=3&level=city").json()["results"])
    assert set(rows) == {"150200"}
    assert (rows["150200"]["expected"], rows["150200"]["submitted"], rows["150200"]["missing"]) == (4, 2, 2)
    assert api("nmg_viewer").get("/api/v1/summaries/?year=2025&month=3&level=ministry").status_code == 400
    county_rows = api("nmg_viewer").get("/api/v1/summaries/?year=2025&month=3&level=county").json()["results"]
    assert {r["code"] for r in county_rows} == {"150203", "150206", "150207"}
    assert api("huamei_filer").get("/api/v1/summaries/?year=2025&month=3").status_code == 404


def test_csv_and_excel_exports(march, api, page_en):
    r = api("miit_official").get("/api/v1/summaries/?year=2025&month=3&level=province&export=csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["行政区划代码", "名称", "应报"]
    nmg = next(row for row in rows if row[0] == "150000")
    assert nmg[2:7] == ["4", "2", "1", "1", "2"] and nmg[10] == "10.000"
    r = page_en("miit_official").get("/reports/summaries/?year=2025&month=3&level=province&format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    values = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert values["360000"][2:7] == (2, 2, 2, 1, 0) and values["360000"][9] == 5
    html = page_en("miit_official").get("/reports/summaries/?year=2025&month=3&level=province").content.decode()
    assert "内蒙古自治区" in html
