"""The ministry's open-flag counts come from the ``FlagTotal`` roll-up that triggers on the flags keep (PostgreSQL):
after a scan raises flags, a reviewer resolves one and flags are deleted, the counts equal the flags counted one by
one — before and after the deltas are folded, and after a rebuild — while a county reviewer's counts (their scope,
not the nation) are still counted from the flags."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from enforcement import services
from enforcement.flag_totals import flag_totals, flag_totals_compact, flag_totals_rebuild
from enforcement.models import Flag, FlagKind, FlagStatus, FlagTotal
from enforcement.selectors import open_flag_counts, open_flag_counts_direct
from tests.builders import U, file_report, smelter_month

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the roll-up is kept on PostgreSQL")]


def _unbalanced(ent, month):
    data = smelter_month(10, month=month)
    data["inventory"][1]["closing"] = "7.000"  # 3 t unaccounted for: a balance flag
    data["comment"] = "3 t sent for assay"
    file_report(ent, 2025, month, data)


def test_the_ministry_counts_equal_the_flags(demo_orgs):
    ents = demo_orgs["enterprises"]
    official = get_user_model().objects.get(username="miit_official")
    before = open_flag_counts_direct(user=official)
    assert open_flag_counts(user=official) == before
    _unbalanced(ents["huamei"], 3)
    services.flag_scan_flows(year=2025)
    services.flag_scan_quota_usage(year=2025)
    counts = open_flag_counts(user=official)
    assert counts == open_flag_counts_direct(user=official)
    assert counts[FlagKind.BALANCE] == before.get(FlagKind.BALANCE, 0) + 1

    flag = Flag.objects.filter(kind=FlagKind.BALANCE, status=FlagStatus.OPEN).order_by("pk").first()
    services.flag_resolve(actor=U("jiuyuan_reviewer"), flag=flag, comment="核实：送检样品，已补记")
    counts = open_flag_counts(user=official)
    assert counts.get(FlagKind.BALANCE, 0) == before.get(FlagKind.BALANCE, 0) == \
        open_flag_counts_direct(user=official).get(FlagKind.BALANCE, 0)
    assert flag_totals(status=FlagStatus.RESOLVED)[FlagKind.BALANCE] >= 1

    rows = FlagTotal.objects.count()
    flag_totals_compact()
    assert FlagTotal.objects.count() < rows
    assert open_flag_counts(user=official) == open_flag_counts_direct(user=official)
    Flag.objects.filter(status=FlagStatus.OPEN).delete()
    assert open_flag_counts(user=official) == {}
    flag_totals_rebuild()
    assert open_flag_counts(user=official) == open_flag_counts_direct(user=official)


def test_a_county_reviewer_counts_its_own_scope(demo_orgs):
    _unbalanced(demo_orgs["enterprises"]["huamei"], 3)
    services.flag_scan_flows(year=2025, month=3)
    baotou, city = U("jiuyuan_reviewer"), U("baotou_viewer")
    assert open_flag_counts(user=baotou) == open_flag_counts_direct(user=baotou)
    assert open_flag_counts(user=baotou).get(FlagKind.BALANCE) == 1
    assert open_flag_counts(user=city) == open_flag_counts_direct(user=city)
