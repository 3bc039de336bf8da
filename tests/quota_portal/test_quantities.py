"""parse_tonnes and year_param: the one parser of tonnes and of ?year= (pure, no database)."""

from decimal import Decimal

import pytest

from quota_portal.errors import DomainValidationError
from quota_portal.params import year_param
from quota_portal.quantities import parse_tonnes


@pytest.mark.parametrize(("value", "expected"), [
    ("12.5", Decimal("12.500")), (" 1,000.25 ", Decimal("1000.250")), ("8.0000", Decimal("8.000")),
    ("１２３．５", Decimal("123.500")), (7, Decimal("7.000")), (Decimal("0.001"), Decimal("0.001")),
    (2.5, Decimal("2.500")),
])
def test_accepted(value, expected):
    assert parse_tonnes(value, "f") == expected


@pytest.mark.parametrize(("value", "words"), [
    ("1e3", "exponent"), ("1E-2", "exponent"), ("１ｅ３", "exponent"), ("1.2345", "3 decimals"),
    ("-1", "negative"), ("", "Enter a quantity"), (None, "Enter a quantity"), (True, "not a number"),
    ("abc", "not a number"), ("NaN", "not a number"), ("Infinity", "not a number"),
    ("100000000000", "too large"),
])
def test_refused_with_the_field_as_key(value, words):
    with pytest.raises(DomainValidationError) as exc:
        parse_tonnes(value, "lines[3].tonnes")
    assert list(exc.value.errors) == ["lines[3].tonnes"]
    assert words.lower() in exc.value.errors["lines[3].tonnes"][0].lower()


def test_exponent_message_names_the_field():
    with pytest.raises(DomainValidationError) as exc:
        parse_tonnes("1e3", "production[0].tonnes")
    assert "production[0].tonnes" in exc.value.errors["production[0].tonnes"][0]


def test_signed_allows_negatives():
    assert parse_tonnes("-2.5", "f", signed=True) == Decimal("-2.500")


@pytest.mark.parametrize(("value", "expected"), [
    ("2025", 2025), (None, 2020), ("", 2020), ("x", 2020), ("1999", 2020), ("2101", 2020), ("2100", 2100),
])
def test_year_param(value, expected):
    assert year_param(value, 2020) == expected
