"""The shipment ledger: declaration, states, confirmation, disputes, imports, bad input, the report link, the
reconciliation flags on the ledger, the feedstock-yield check and the chain-of-custody trace."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from enforcement import services as enf
from enforcement.models import Flag, FlagKind
from organizations.services import enterprise_upsert
from organizations.validators import make_credit_code
from quota_portal.errors import DomainValidationError, NotFound
from reporting import ledger, services
from reporting.models import FlowLine, Receipt, Shipment, ShipmentStatus
from reporting.trace import shipment_trace
from tests.builders import filer_of, payload, reviewer_of

# also in the SQLite pass of `make test`: the scans' SQL must give the same flags on make run's database
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

NOW = dt.datetime(2025, 5, 20, 10, 0, tzinfo=dt.UTC)


def U(name):
    return get_user_model().objects.get(username=name)


def declare(seller, buyer, tonnes="10", *, product="PRND_OXIDE", day=dt.date(2025, 3, 20), pct="100", **extra):
    data = {"buyer_credit_code": buyer.credit_code if buyer is not None else "", "product": product,
            "net_weight_t": tonnes, "reo_pct": pct, "dispatch_date": day.isoformat(), "document_no": "WB-1",
            "lots": "LOT-A", **extra}
    return ledger.shipment_declare(actor=filer_of(seller), seller=seller, data=data, now=NOW)


def confirm(buyer, s, tonnes, day, **kw):
    return ledger.shipment_confirm(actor=filer_of(buyer), shipment_id=s.pk, received_tonnes=tonnes,
                                   received_date=day, now=NOW, **kw)


def flags(kind, ent=None):
    qs = Flag.objects.filter(kind=kind)
    return qs.filter(enterprise=ent) if ent is not None else qs


@pytest.fixture
def ents(demo_orgs):
    return demo_orgs["enterprises"]


# --- declaration and states -----------------------------------------------------------------------------


def test_declare_computes_reo_tonnes_and_numbers_the_shipment(ents):
    s = declare(ents["bymine"], ents["huamei"], "50", product="BAST_CONC", pct="60")
    assert s.tonnes == Decimal("30.000") and s.number == f"SH{s.pk:08d}"
    assert s.status == ShipmentStatus.IN_TRANSIT and s.buyer == ents["huamei"]


def test_future_dispatch_is_declared_then_dispatched(ents):
    s = declare(ents["huamei"], ents["hefa"], day=dt.date(2025, 6, 2))
    assert s.status == ShipmentStatus.DECLARED
    s = ledger.shipment_dispatch(actor=filer_of(ents["huamei"]), shipment=s)
    assert s.status == ShipmentStatus.IN_TRANSIT


def test_confirm_records_one_receipt_and_is_idempotent(ents):
    s = declare(ents["huamei"], ents["hefa"], "6")
    r1 = confirm(ents["hefa"], s, "6.000", "2025-03-22")
    r2 = confirm(ents["hefa"], s, "5.000", "2025-03-23")
    assert r1.pk == r2.pk and Receipt.objects.count() == 1
    s.refresh_from_db()
    assert s.status == ShipmentStatus.RECEIVED


def test_dispute_needs_a_reason_and_marks_the_shipment(ents):
    s = declare(ents["huamei"], ents["hefa"], "6")
    with pytest.raises(DomainValidationError) as exc:
        confirm(ents["hefa"], s, "4", "2025-03-22", dispute=True)
    assert "dispute_reason" in exc.value.errors
    confirm(ents["hefa"], s, "4", "2025-03-22", dispute=True, dispute_reason="Two bags were wet")
    s.refresh_from_db()
    assert s.status == ShipmentStatus.DISPUTED and s.receipt.disputed


def test_confirming_someone_elses_shipment_is_not_found(ents):
    s = declare(ents["huamei"], ents["hefa"], "6")
    with pytest.raises(NotFound):
        confirm(ents["tianhe"], s, "6", "2025-03-22")
    assert not Receipt.objects.exists()


@pytest.mark.parametrize(("field", "data"), [
    ("net_weight_t", {"net_weight_t": "-1"}),
    ("reo_pct", {"reo_pct": "-5"}),
    ("reo_pct", {"reo_pct": "100.5"}),
    ("buyer_credit_code", {"buyer_credit_code": "123"}),
    ("product", {"product": "NOPE"}),
    ("document_no", {"document_no": ""}),
])
def test_bad_declarations_name_the_field_and_write_nothing(ents, field, data):
    with pytest.raises(DomainValidationError) as exc:
        declare(ents["huamei"], ents["hefa"], **data) if "net_weight_t" not in data else \
            ledger.shipment_declare(actor=filer_of(ents["huamei"]), seller=ents["huamei"], data={
                "buyer_credit_code": ents["hefa"].credit_code, "product": "PRND_OXIDE", "reo_pct": "100",
                "dispatch_date": "2025-03-20", "document_no": "X", **data}, now=NOW)
    assert field in exc.value.errors
    assert not Shipment.objects.exists()


def test_receipt_larger_than_shipment_needs_a_dispute(ents):
    s = declare(ents["huamei"], ents["hefa"], "6")
    with pytest.raises(DomainValidationError) as exc:
        confirm(ents["hefa"], s, "6.5", "2025-03-22")
    assert "received_tonnes" in exc.value.errors and not Receipt.objects.exists()


def test_export_of_a_controlled_item_needs_customs_and_licence(ents):
    data = {"buyer_name": "Magnet GmbH", "buyer_country": "DE", "product": "DY_OXIDE", "net_weight_t": "1",
            "reo_pct": "99", "dispatch_date": "2025-05-06", "document_no": "INV-9"}
    with pytest.raises(DomainValidationError) as exc:
        ledger.shipment_declare(actor=filer_of(ents["huamei"]), seller=ents["huamei"], data=data, now=NOW)
    assert {"customs_no", "export_licence_no"} <= set(exc.value.errors)
    # before the announcement took effect (2025-04-04) no licence was needed
    s = ledger.shipment_declare(actor=filer_of(ents["huamei"]), seller=ents["huamei"],
                                data={**data, "dispatch_date": "2025-03-06", "customs_no": "CUS-1"}, now=NOW)
    assert s.buyer is None and s.export_licence_no == ""
    s = ledger.shipment_declare(actor=filer_of(ents["huamei"]), seller=ents["huamei"],
                                data={**data, "customs_no": "CUS-2", "export_licence_no": "EL-2025-1"}, now=NOW)
    assert s.export_licence_no == "EL-2025-1"


def test_import_records_origin_and_customs(ents):
    s = ledger.import_record(actor=filer_of(ents["huamei"]), importer=ents["huamei"], data={
        "seller_name": "Myanmar Mining Ltd", "origin_country": "MM", "customs_no": "IMP-1",
        "product": "ION_MYEU_OXIDE", "net_weight_t": "20", "reo_pct": "92", "received_date": "2025-03-04"}, now=NOW)
    assert s.status == ShipmentStatus.RECEIVED and s.origin_country == "MM" and s.receipt.tonnes == Decimal("18.400")
    with pytest.raises(DomainValidationError) as exc:
        ledger.import_record(actor=filer_of(ents["huamei"]), importer=ents["huamei"], data={
            "seller_name": "X", "origin_country": "", "customs_no": "", "product": "BAST_CONC",
            "net_weight_t": "1", "reo_pct": "50", "received_date": "2025-03-04"}, now=NOW)
    assert {"origin_country", "customs_no"} <= set(exc.value.errors)


# --- reports use the ledger -----------------------------------------------------------------------------


def test_new_report_takes_its_flows_from_the_ledger_and_a_receipt_row_references_the_shipment(ents):
    s = declare(ents["huamei"], ents["hefa"], "6")
    confirm(ents["hefa"], s, "6", "2025-03-22")
    r = services.report_create(actor=filer_of(ents["hefa"]), enterprise=ents["hefa"], year=2025, month=3,
                               data={"inventory": [{"product": "PRND_OXIDE", "opening": "0", "closing": "6"}]},
                               now=NOW)
    line = r.flow_lines.get()
    assert line.direction == "in" and line.shipment == s and line.tonnes == Decimal("6.000")
    assert services.report_payload(r)["shipments"][0]["shipment_no"] == s.number


def test_unknown_shipment_number_in_a_receipt_row_is_a_field_error(ents):
    data = payload(shipments=[("in", ents["huamei"].credit_code, "", "CN", "PRND_OXIDE", 6, dt.date(2025, 3, 22))],
                   inventory=[("PRND_OXIDE", 0, 6)])
    data["shipments"][0]["shipment_no"] = "SH99999999"
    with pytest.raises(DomainValidationError) as exc:
        services.report_create(actor=filer_of(ents["hefa"]), enterprise=ents["hefa"], year=2025, month=3,
                               data=data, now=NOW)
    assert "Unknown shipment number" in exc.value.errors["shipments[0].shipment_no"][0]


def test_submitting_a_receipt_row_that_names_a_shipment_confirms_it(ents):
    s = declare(ents["huamei"], ents["hefa"], "6")
    data = payload(shipments=[("in", ents["huamei"].credit_code, "", "CN", "PRND_OXIDE", "5.990",
                               dt.date(2025, 3, 22))], inventory=[("PRND_OXIDE", 0, "5.990")])
    data["shipments"][0]["shipment_no"] = s.number
    r = services.report_create(actor=filer_of(ents["hefa"]), enterprise=ents["hefa"], year=2025, month=3,
                               data=data, now=NOW)
    services.report_submit(attest=True, actor=filer_of(ents["hefa"]), report=r, now=NOW)
    s.refresh_from_db()
    assert s.status == ShipmentStatus.RECEIVED and s.receipt.tonnes == Decimal("5.990")


def test_submitting_out_and_in_lines_puts_them_in_the_ledger(ents):
    data = payload(shipments=[("out", ents["hefa"].credit_code, "", "CN", "PRND_OXIDE", 6, dt.date(2025, 3, 20)),
                              ("in", "", "Myanmar Mining Ltd", "MM", "ION_MYEU_OXIDE", 6, dt.date(2025, 3, 2))],
                   inventory=[("ION_MYEU_OXIDE", 0, 6), ("PRND_OXIDE", 6, 0)])
    r = services.report_create(actor=filer_of(ents["huamei"]), enterprise=ents["huamei"], year=2025, month=3,
                               data=data, now=NOW)
    services.report_submit(attest=True, actor=filer_of(ents["huamei"]), report=r, now=NOW)
    out, imp = (FlowLine.objects.get(report=r, direction=d).shipment for d in ("out", "in"))
    assert out.seller == ents["huamei"] and out.buyer == ents["hefa"] and out.status == ShipmentStatus.IN_TRANSIT
    assert imp.origin == "import" and imp.receipt.tonnes == Decimal("6.000")
    assert ledger.shipments_awaiting(enterprise=ents["hefa"]).get() == out


# --- reconciliation on the ledger -----------------------------------------------------------------------


def test_march_31_shipment_received_april_2_raises_nothing(ents):
    s = declare(ents["huamei"], ents["hefa"], "6", day=dt.date(2025, 3, 31))
    confirm(ents["hefa"], s, "6", "2025-04-02")
    for m in (3, 4):
        enf.flag_scan_ledger(year=2025, month=m, today=dt.date(2025, 5, 20))
    assert not Flag.objects.exclude(kind=FlagKind.YIELD_IMPLAUSIBLE).exists()


def test_shipment_in_transit_too_long_is_unconfirmed(ents, settings):
    settings.SHIPMENT_TRANSIT_DAYS = 15
    declare(ents["huamei"], ents["hefa"], "6", day=dt.date(2025, 3, 20))
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 4, 4))  # 15 days: not yet
    assert not flags(FlagKind.UNCONFIRMED_SHIPMENT).exists()
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 4, 5))
    assert set(flags(FlagKind.UNCONFIRMED_SHIPMENT).values_list("enterprise", flat=True)) == {
        ents["huamei"].pk, ents["hefa"].pk}


def test_five_percent_short_receipt_flags_both_parties_on_that_shipment_only(ents):
    s1 = declare(ents["huamei"], ents["hefa"], "20")
    s2 = declare(ents["huamei"], ents["hefa"], "10")
    confirm(ents["hefa"], s1, "19", "2025-03-22")
    confirm(ents["hefa"], s2, "10", "2025-03-22")
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 5, 20))
    got = flags(FlagKind.QUANTITY_MISMATCH)
    assert {(f.enterprise_id, f.subject) for f in got} == {(ents["huamei"].pk, f"shipment:{s1.number}"),
                                                           (ents["hefa"].pk, f"shipment:{s1.number}")}
    f = got.get(enterprise=ents["hefa"])
    assert f.details["shipped_t"] == "20.000" and f.details["received_t"] == "19.000"
    assert ents["huamei"].name in f.description and ents["hefa"].name in f.description
    assert enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 5, 20)) == 0  # natural keys: no duplicate


def test_within_tolerance_matches(ents):
    s = declare(ents["huamei"], ents["hefa"], "6")
    confirm(ents["hefa"], s, "5.980", "2025-03-22")
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 5, 20))
    assert not flags(FlagKind.QUANTITY_MISMATCH).exists()


def test_receipt_from_a_designated_seller_without_its_declaration_is_undeclared(ents):
    data = payload(shipments=[("in", ents["huamei"].credit_code, "", "CN", "PRND_OXIDE", 6, dt.date(2025, 3, 20))],
                   inventory=[("PRND_OXIDE", 0, 6)])
    r = services.report_create(actor=filer_of(ents["hefa"]), enterprise=ents["hefa"], year=2025, month=3,
                               data=data, now=NOW)
    services.report_submit(attest=True, actor=filer_of(ents["hefa"]), report=r, now=NOW)
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 5, 20))
    assert set(flags(FlagKind.UNDECLARED_RECEIPT).values_list("enterprise", flat=True)) == {
        ents["hefa"].pk, ents["huamei"].pk}


def test_buying_oxide_from_a_non_designated_domestic_party(ents, demo_orgs):
    trader = enterprise_upsert(credit_code=ents["huamei"].credit_code[:0] + _code("91150200MA0000002"),
                               name="Grey trader", county=demo_orgs["counties"]["150207"])
    s = declare(trader, ents["hefa"], "3", product="DY_OXIDE")
    confirm(ents["hefa"], s, "3", "2025-03-22")
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 5, 20))
    f = flags(FlagKind.UNLICENSED_COUNTERPARTY, ents["hefa"]).get()
    assert f.details["direction"] == "in" and f.details["product"] == "DY_OXIDE"


def _code(body):
    return make_credit_code(body)


# --- feedstock yield --------------------------------------------------------------------------------------


def _smelter_month(ent, feed, produced_product, produced, consumed):
    data = payload(production=[("smelting_separation", produced_product, produced)],
                   inputs=[("imported_ore", "MM", feed, consumed)],
                   shipments=[("in", "", "Overseas Ore Co", "MM", feed, consumed, dt.date(2025, 3, 2))],
                   inventory=[(feed, 0, 0), (produced_product, 0, produced)])
    r = services.report_create(actor=filer_of(ent), enterprise=ent, year=2025, month=3, data=data, now=NOW)
    r = services.report_submit(attest=True, actor=filer_of(ent), report=r, confirm_warnings=True, warnings_explanation="x",
                               now=NOW)
    return services.report_accept(actor=reviewer_of(ent), report=r)


def test_laundered_ion_ore_through_a_light_smelter_is_implausible(ents):
    # 100 t REO of bastnaesite holds ~0.1 t Dy; 5 t of Dy oxide cannot come from it
    _smelter_month(ents["huamei"], "BAST_CONC", "DY_OXIDE", "5", "100")
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 5, 20))
    f = flags(FlagKind.YIELD_IMPLAUSIBLE, ents["huamei"]).get()
    assert f.subject == "element:Dy" and f.details["needed_t"] == "5.000" and f.details["available_t"] == "0.100"
    assert "5.000" in f.description and "0.100" in f.description


def test_honest_heavy_smelter_is_plausible(ents):
    # 100 t REO of high-yttrium ion ore holds ~7.5 t Dy
    _smelter_month(ents["dnsep"], "ION_HY_OXIDE", "DY_OXIDE", "5", "100")
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 5, 20))
    assert not flags(FlagKind.YIELD_IMPLAUSIBLE).exists()


# --- chain of custody -----------------------------------------------------------------------------------


def test_trace_mine_smelter_metal_maker_magnet_maker_gives_the_hand_computed_shares(ents, demo_orgs):
    county = demo_orgs["counties"]["150207"]
    metal = enterprise_upsert(credit_code=_code("91150200MA0000011"), name="Metal maker", county=county)
    magnet = enterprise_upsert(credit_code=_code("91150200MA0000012"), name="Magnet maker", county=county)
    mine, smelter = ents["bymine"], ents["huamei"]
    d = dt.date(2025, 3, 10)
    # the mine files March: 100 t mined, all shipped to the smelter
    r = services.report_create(actor=filer_of(mine), enterprise=mine, year=2025, month=3, now=NOW, data=payload(
        production=[("mining_rock", "BAST_CONC", 100)], shipments=[], inventory=[("BAST_CONC", 0, 0)],
        comment="flows are in the ledger"))
    services.report_submit(attest=True, actor=filer_of(mine), report=r, confirm_warnings=True, warnings_explanation="x", now=NOW)
    ore = declare(mine, smelter, "100", product="BAST_CONC", day=d)
    confirm(smelter, ore, "100", "2025-03-11")
    ledger.import_record(actor=filer_of(smelter), importer=smelter, data={
        "seller_name": "Overseas", "origin_country": "MM", "customs_no": "C1", "product": "ION_LY_OXIDE",
        "net_weight_t": "100", "reo_pct": "100", "received_date": "2025-03-12"}, now=NOW)
    oxide = declare(smelter, metal, "50", day=dt.date(2025, 3, 15))
    confirm(metal, oxide, "50", "2025-03-16")
    # the metal maker had 50 t in stock at the start of March (its report says so)
    r = services.report_create(actor=filer_of(metal), enterprise=metal, year=2025, month=3, now=NOW, data=payload(
        shipments=[], inventory=[("PRND_METAL", 50, 50)], comment="flows are in the ledger"))
    services.report_submit(attest=True, actor=filer_of(metal), report=r, confirm_warnings=True, warnings_explanation="x",
                           now=NOW)
    metal_out = declare(metal, magnet, "40", product="PRND_METAL", day=dt.date(2025, 3, 20))
    confirm(magnet, metal_out, "40", "2025-03-21")

    t = shipment_trace(user=U("miit_official"), shipment=metal_out, direction="up", depth=5)
    got = {(row["from"], row["to"], row["kind"]): row["tonnes"].quantize(Decimal("0.001")) for row in t.rows[1:]}
    # metal maker: 50 t from the smelter + 50 t opening → 40 t = 20 from the smelter, 20 from stock
    assert got[(smelter.name, "Metal maker", "shipment")] == Decimal("20.000")
    assert got[("Opening stock 2025-03", "Metal maker", "stock")] == Decimal("20.000")
    # smelter: 100 t ore from the mine + 100 t imported → 20 t = 10 from the mine, 10 imported
    assert got[(mine.name, smelter.name, "shipment")] == Decimal("10.000")
    assert got[("Import from MM", smelter.name, "shipment")] == Decimal("10.000")
    # mine: its own production
    assert got[(f"Mined by {mine.name}", mine.name, "mined")] == Decimal("10.000")
    # every source is traced: nothing is lumped into "smaller sources", and the shares add up to the 40 t
    assert not [row for row in t.rows if row["kind"] == "small"]
    assert sum(row["tonnes"] for row in t.rows if row["step"] == 1) == Decimal("40")

    down = shipment_trace(user=U("miit_official"), shipment=ore, direction="down", depth=5)
    dgot = {(row["from"], row["to"]): row["tonnes"].quantize(Decimal("0.001")) for row in down.rows[1:]}
    # 100 of the smelter's 200 t sources → half of its 50 t to the metal maker = 25 t; of the metal maker's 100 t
    # sources, 25 t → a quarter of its 40 t to the magnet maker = 10 t
    assert dgot[(smelter.name, "Metal maker")] == Decimal("25.000")
    assert dgot[("Metal maker", "Magnet maker")] == Decimal("10.000")

    # an enterprise sees one step: the metal maker's own suppliers, not the smelter's
    own = shipment_trace(user=filer_of(metal), shipment=metal_out, direction="up", depth=5)
    assert own.depth == 1 and {r["step"] for r in own.rows} == {0, 1}


@pytest.mark.parametrize("lean", [False, True])
@pytest.mark.parametrize("seller_first", [True, False])
def test_the_two_reports_of_one_consignment_meet_on_one_shipment(ents, seller_first, lean):
    """A receipt line without a number finds the seller's open shipment (same product and document number), and a
    shipment line finds the receipt the buyer recorded first: one shipment, no undeclared receipt. The same when
    each report is filed and submitted in one step (the lean path puts the lines in the ledger from memory)."""
    huamei, hefa = ents["huamei"], ents["hefa"]
    out = payload(shipments=[("out", hefa.credit_code, "", "CN", "PRND_OXIDE", 6, dt.date(2025, 3, 20))],
                  inventory=[("PRND_OXIDE", 6, 0)])
    inn = payload(shipments=[("in", huamei.credit_code, "", "CN", "PRND_OXIDE", 5, dt.date(2025, 3, 20))],
                  inventory=[("PRND_OXIDE", 0, 5)])
    order = [(huamei, out), (hefa, inn)] if seller_first else [(hefa, inn), (huamei, out)]
    for ent, data in order:
        if lean:
            services.report_file_and_submit(actor=filer_of(ent), enterprise=ent, year=2025, month=3, data=data,
                                            attest=True, now=NOW)
            continue
        r = services.report_create(actor=filer_of(ent), enterprise=ent, year=2025, month=3, data=data, now=NOW)
        services.report_submit(attest=True, actor=filer_of(ent), report=r, now=NOW)
    s = Shipment.objects.get()
    assert s.origin == "declared" and s.seller == huamei and s.tonnes == Decimal("6.000")
    assert s.receipt.tonnes == Decimal("5.000") and set(FlowLine.objects.values_list("shipment", flat=True)) == {s.pk}
    enf.flag_scan_ledger(year=2025, month=3, today=dt.date(2025, 5, 20))
    assert not flags(FlagKind.UNDECLARED_RECEIPT).exists() and not flags(FlagKind.UNCONFIRMED_SHIPMENT).exists()
    assert flags(FlagKind.QUANTITY_MISMATCH).count() == 2
