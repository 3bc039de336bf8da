"""Parsing of query parameters shared by the pages."""


def int_or_none(value):
    """``?page=3`` → 3; anything that is not an integer → None (the page then ignores the filter)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
