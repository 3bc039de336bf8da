"""The official division tree (NBS, 2022-10-31) shipped in organizations/fixtures/divisions/."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "divisions"


@lru_cache(maxsize=1)
def division_names() -> dict[str, tuple[str, str]]:
    """6-digit code → (name, level) for every province, city and county."""
    names: dict[str, tuple[str, str]] = {}
    with open(FIXTURES / "provinces.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names[row["code"] + "0000"] = (row["name"], "province")
    with open(FIXTURES / "cities.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names[row["code"] + "00"] = (row["name"], "city")
    with open(FIXTURES / "areas.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names[row["code"]] = (row["name"], "county")
    return names


def chain_of(county_code: str) -> list[tuple[str, str, str]]:
    """[(code, name, level)] from the province down to the county."""
    names = division_names()
    codes = [county_code[:2] + "0000", county_code[:4] + "00", county_code]
    return [(c, names[c][0], names[c][1]) for c in codes]
