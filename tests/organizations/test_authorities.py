import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from organizations.models import Authority, Level
from organizations.services import authority_upsert


@pytest.fixture
def ministry(db):
    return authority_upsert(code="100000", name="工业和信息化部", level=Level.MINISTRY, parent=None)


def test_chain_builds_paths(ministry):
    prov = authority_upsert(code="150000", name="内蒙古自治区", level=Level.PROVINCE, parent=ministry)
    city = authority_upsert(code="150200", name="包头市", level=Level.CITY, parent=prov)
    county = authority_upsert(code="150207", name="九原区", level=Level.COUNTY, parent=city)
    assert county.path == "100000/150000/150200/150207/"
    assert county.is_within(prov) and not prov.is_within(county)


@pytest.mark.parametrize(
    "level, parent_level, message",
    [
        (Level.COUNTY, Level.PROVINCE, "must be a City authority"),
        (Level.CITY, Level.MINISTRY, "must be a Province authority"),
        (Level.PROVINCE, Level.CITY, "must be a Ministry authority"),
    ],
)
def test_level_order_is_enforced(ministry, level, parent_level, message):
    prov = authority_upsert(code="150000", name="内蒙古自治区", level=Level.PROVINCE, parent=ministry)
    city = authority_upsert(code="150200", name="包头市", level=Level.CITY, parent=prov)
    parents = {Level.MINISTRY: ministry, Level.PROVINCE: prov, Level.CITY: city}
    with pytest.raises(ValidationError) as exc:
        authority_upsert(code="150207", name="九原区", level=level, parent=parents[parent_level])
    assert message in str(exc.value)
    assert not Authority.objects.filter(code="150207").exists()


def test_non_ministry_needs_parent_and_ministry_has_none(ministry):
    with pytest.raises(ValidationError):
        authority_upsert(code="150000", name="内蒙古自治区", level=Level.PROVINCE, parent=None)
    # the database refuses it too, whatever bypasses the model
    with pytest.raises(IntegrityError), transaction.atomic():
        Authority.objects.bulk_create([Authority(code="150001", name="x", level=Level.PROVINCE, path="x/")])


def test_division_code_must_have_six_digits(ministry):
    with pytest.raises(ValidationError) as exc:
        authority_upsert(code="15000", name="x", level=Level.PROVINCE, parent=ministry)
    assert "6 digits" in str(exc.value)
