"""The first version of the penalty configuration in the language of the Regulations: its legal basis and notes were
seeded in English (0002) and showed as such on Chinese pages and in penalty notices. Rows an administrator has since
edited are left alone (only the seeded English text is replaced)."""

import datetime as dt

from django.db import migrations

REGS = "《稀土管理条例》（国务院令第785号）"
OLD_REGS = "《稀土管理条例》(国务院令第785号)"
TEXTS = {
    # violation type: (old legal basis, new legal basis, new note)
    "flow_records": (OLD_REGS + " — failing to record or enter product flow information",
                     REGS + "——未按规定记录或者录入稀土产品流向信息",
                     "责令改正，处5万元以上20万元以下罚款；拒不改正的，责令停产停业，并处更高罚款。"),
    "illegal_production": (OLD_REGS + " — illegal mining or smelting separation, production without or above indicator",
                           REGS + "——非法开采或者冶炼分离稀土，无指标或者超指标生产",
                           "处违法所得5倍以上10倍以下罚款；没有违法所得或者违法所得不足50万元的，处50万元以上200万元以下"
                           "罚款。默认核减：超出指标生产的吨数。"),
    "illegal_trading": (OLD_REGS + " — buying, selling or processing illegal rare-earth products",
                        REGS + "——购买、销售或者加工非法稀土产品",
                        "处违法所得5倍以上10倍以下罚款；没有违法所得或者违法所得不足50万元的，处50万元以上200万元以下"
                        "罚款。"),
    "inspection_refused": (OLD_REGS + " — refusing or obstructing supervision and inspection",
                           REGS + "——拒绝、阻碍监督检查",
                           "责令改正；罚款幅度未公布，由处罚决定书载明。"),
}


def to_chinese(apps, schema_editor):
    PenaltyRule = apps.get_model("enforcement", "PenaltyRule")
    for vt, (old, new, note) in TEXTS.items():
        PenaltyRule.objects.filter(violation_type=vt, valid_from=dt.date(2024, 10, 1), legal_basis=old).update(
            legal_basis=new, note=note)


def to_english(apps, schema_editor):
    PenaltyRule = apps.get_model("enforcement", "PenaltyRule")
    for vt, (old, new, _note) in TEXTS.items():
        PenaltyRule.objects.filter(violation_type=vt, valid_from=dt.date(2024, 10, 1), legal_basis=new).update(
            legal_basis=old)


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0004_flag_count_index")]
    operations = [migrations.RunPython(to_chinese, to_english)]
