"""Identifiers: the 18-character unified social credit code (GB 32100-2015) and GB/T 2260 division codes."""

from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

division_code_validator = RegexValidator(r"^\d{6}$", _("An administrative division code has exactly 6 digits."))


def normalize_credit_code(value: str) -> str:
    """What a clerk typed → the canonical form: spaces and dashes removed, letters upper-cased."""
    return "".join(ch for ch in (value or "") if ch not in " -").upper()


@lru_cache(maxsize=8192)
def _uscc_validate(value: str) -> bool:
    """``uscc.validate``, remembered for the codes that pass (a pure check of the characters; a report names the same
    counterparties month after month, 38 lines each). A code that fails raises each time (not cached)."""
    uscc.validate(value)
    return True


def validate_credit_code(value: str) -> None:
    """Reject anything that is not a canonical USCC with a correct GB 32100-2015 check character."""
    if value is None:
        raise ValidationError(_("A unified social credit code is required."), code="required")
    if len(value) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="length",
            params={"n": len(value)},
        )
    if value != value.upper():
        raise ValidationError(_("A unified social credit code uses capital letters only."), code="case")
    try:
        _uscc_validate(value)
    except InvalidChecksum:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong (GB 32100-2015)."),
            code="checksum",
        )
    except (InvalidFormat, InvalidLength):
        raise ValidationError(
            _("This is not a valid unified social credit code: digits and capital letters "
              "(not I, O, Z, S, V) only."),
            code="format",
        )


def make_credit_code(body17: str) -> str:
    """Complete a 17-character body with its check character (used by demo data and tests)."""
    return body17 + uscc.calc_check_digit(body17)
