import pytest
from django.core.exceptions import ValidationError

from organizations.validators import make_credit_code, normalize_credit_code, validate_credit_code

VALID = make_credit_code("91150207731007919")


def test_valid_code_passes():
    validate_credit_code(VALID)
    # a published, real-world code (GB 32100-2015 example set): check character computed independently
    validate_credit_code("91350100M000100Y43")


@pytest.mark.parametrize(
    "code, error_code",
    [
        (VALID[:-1] + ("0" if VALID[-1] != "0" else "1"), "checksum"),
        (VALID[:-1], "length"),
        (VALID + "0", "length"),
        ("91350100m000100y43", "case"),
        ("91350100M000100I43", "format"),
    ],
)
def test_invalid_codes_are_rejected_with_a_reason(code, error_code):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == error_code


def test_lowercase_input_normalises_to_a_valid_code():
    assert normalize_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    validate_credit_code(normalize_credit_code("91350100m000100y43"))
