"""The fast number formatter writes exactly what Django's ``number_format`` writes (the template filters used
to call it per cell): same separators per language, digits cut not rounded, tiny values as zero, signs."""

import random
from decimal import Decimal

import pytest
from django.utils import formats, translation

from portal.templatetags.portal import pct, tonnes
from quota_portal.formatting import decimal_text, money_text, percent_formatter, tonnes_formatter, tonnes_text

VALUES = [Decimal(v) for v in (
    "0", "-0", "0.000", "-0.000", "0.0004", "-0.0004", "-0.0015", "0.0015", "0.05", "-0.05", "-0.5", "0.5",
    "1", "12", "999.9999", "1000", "-1000", "1234567.891", "-1234567.8915", "12345678901234.5678", "1E+3",
    "1E-7", "-1E-7", "5E+30", "123.4", "100000", "0.1", "0.09", "-0.09")]


@pytest.mark.parametrize("lang", ["en", "zh-hans", "de", "fr"])
def test_the_same_text_as_djangos_number_format(lang):
    rng = random.Random(15)
    values = VALUES + [Decimal(rng.randint(-10**12, 10**12)).scaleb(-rng.randint(0, 6)) for _ in range(2000)]
    with translation.override(lang):
        for d in values:
            for places in (0, 1, 2, 3, 4):
                assert decimal_text(d, places) == formats.number_format(d, places, use_l10n=True,
                                                                        force_grouping=True), (lang, d, places)


def test_tonnes_and_money():
    with translation.override("en"):
        assert tonnes_text(Decimal("12345.6789")) == "12,345.678"
        assert tonnes_text(None) == "—"
        assert money_text(Decimal("50000")) == "50,000"
        assert money_text(Decimal("1234.5")) == "1,234.50"
    with translation.override("de"):
        assert tonnes_text(Decimal("12345.6789")) == "12.345,678"


def test_the_formatters_for_many_values_write_what_the_filters_write():
    values = [None, "", Decimal("0.9049"), Decimal("-1234.5678"), 12, 0.5, Decimal("1E+3")]
    for lang in ("en", "zh-hans", "fr"):
        with translation.override(lang):
            t, p = tonnes_formatter(), percent_formatter()
            assert [t(v) for v in values] == [tonnes(v) for v in values]
            assert [p(v) for v in values] == [pct(v) for v in values]
