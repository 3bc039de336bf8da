"""Quantities: tonnes of rare-earth oxide (REO) as Decimal with 3 decimals (to the kilogram), never floats.

The one home of the tonnes model-field factory, the 3-decimal quantum, the largest quantity, the year range and
``parse_tonnes`` — the parser every app uses for tonnes that arrive as text or numbers (API payloads, Excel cells,
service arguments). Pure: no ORM.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from .errors import DomainValidationError

Q3 = Decimal("0.001")  # the quantum of tonnes: one kilogram
ZERO = Decimal("0")
MAX_DIGITS = 14
DECIMAL_PLACES = 3
MAX_TONNES = Decimal("99999999999.999")  # what max_digits=14, decimal_places=3 can hold
TONNES_FORM: dict[str, Any] = {"max_digits": MAX_DIGITS, "decimal_places": DECIMAL_PLACES}  # forms, serializers
YEAR_MIN, YEAR_MAX = 2000, 2100


def tonnes_field(verbose_name, **kwargs) -> models.DecimalField:
    """A model field of tonnes REO (14 digits, 3 decimals)."""
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def normalise_number_text(value: str) -> str:
    """Full-width digits, point, comma and minus (１２３．５) become their ASCII forms; spaces and thousands
    separators go."""
    text = unicodedata.normalize("NFKC", value).strip()
    return text.replace(",", "").replace(" ", "").replace("\u2212", "-")


def _refuse(field: str, message) -> DomainValidationError:
    return DomainValidationError(errors={field: [str(message)]})


def parse_tonnes(value: Any, field: str, *, signed: bool = False) -> Decimal:
    """``value`` (text, int, Decimal or float) as tonnes quantized to 3 decimals, or ``DomainValidationError``
    with ``errors={field: [message]}``.

    Refuses: blanks, booleans, anything that is not a finite number, exponent notation (``1e3`` — write the number
    out), more than 3 decimals (never rounds), quantities above ``MAX_TONNES`` and, unless ``signed``, negatives.
    Full-width digits are accepted (normalised)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _refuse(field, _("Enter a quantity in tonnes."))
    if isinstance(value, bool):
        raise _refuse(field, _("“%(value)s” is not a number.") % {"value": value})
    text = normalise_number_text(str(value))
    if "e" in text.lower() and not text.lower().lstrip("+-").startswith(("inf", "nan", "snan")):
        raise _refuse(field, _("“%(value)s” in %(field)s: write the quantity out in full, without exponent "
                               "notation.") % {"value": value, "field": field})
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        raise _refuse(field, _("“%(value)s” is not a number.") % {"value": value}) from None
    if not d.is_finite():
        raise _refuse(field, _("“%(value)s” is not a number.") % {"value": value})
    if d < 0 and not signed:
        raise _refuse(field, _("A quantity cannot be negative."))
    if d != d.quantize(Q3):
        raise _refuse(field, _("At most 3 decimals (tonnes to the kilogram)."))
    if abs(d) > MAX_TONNES:
        raise _refuse(field, _("This quantity is too large."))
    return d.quantize(Q3)
