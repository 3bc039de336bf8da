"""Simplified Chinese formats: dates as 2025年3月10日, thousands separators every three digits.

Django's own zh_Hans formats group by 10⁴ with no separator; official statistics tables in the portal use
the international 1,234,567.890 grouping, so the portal overrides them here (FORMAT_MODULE_PATH).
"""

DATE_FORMAT = "Y年n月j日"  # 2025年3月10日
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y年n月j日 H:i"  # 2025年3月10日 23:59
YEAR_MONTH_FORMAT = "Y年n月"  # 2025年3月
MONTH_DAY_FORMAT = "n月j日"  # 3月10日
SHORT_DATE_FORMAT = "Y年n月j日"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
FIRST_DAY_OF_WEEK = 1

# The first input format is the one forms render: ISO, which <input type="date"> requires.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M"]

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
