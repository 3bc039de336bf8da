"""Turn the flow lines of filed reports (the current, non-draft version of each period) into ledger shipments,
without losing a tonne:

- a shipment-out line becomes a shipment declared by the report's enterprise (in transit);
- a receipt-in line whose seller filed the matching shipment-out line (same seller, buyer, product, date and
  document number, else same seller, buyer, product and date) becomes that shipment's receipt, with the buyer's
  tonnes; both lines then point to the one shipment;
- any other receipt-in line becomes a shipment recorded by the buyer (an import when the party is foreign),
  received, with its receipt.

So the sum of the out lines equals the sum of the declared shipments, and the sum of the in lines equals the sum of
the receipts. Each line gets its ``shipment``; the immutability trigger on submitted lines is suspended for this
one update and restored in the same transaction."""

from collections import defaultdict

from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    FlowLine = apps.get_model("reporting", "FlowLine")
    Shipment = apps.get_model("reporting", "Shipment")
    Receipt = apps.get_model("reporting", "Receipt")
    Enterprise = apps.get_model("organizations", "Enterprise")
    lines = list(FlowLine.objects.filter(report__is_current=True).exclude(report__status="draft")
                 .values("id", "report__enterprise_id", "direction", "counterparty_enterprise_id",
                         "counterparty_credit_code", "counterparty_name", "counterparty_country", "product_id",
                         "tonnes", "date", "document_no").order_by("id"))
    if not lines:
        return
    by_code = dict(Enterprise.objects.filter(
        credit_code__in={x["counterparty_credit_code"] for x in lines if x["counterparty_credit_code"]})
        .values_list("credit_code", "id"))
    for x in lines:
        x["other"] = x["counterparty_enterprise_id"] or by_code.get(x["counterparty_credit_code"])
    ins_exact, ins_loose = defaultdict(list), defaultdict(list)
    for x in lines:
        if x["direction"] == "in" and x["other"]:
            ins_exact[(x["other"], x["report__enterprise_id"], x["product_id"], x["date"], x["document_no"])].append(x)
    for key, xs in ins_exact.items():
        ins_loose[key[:4]].extend(xs)
    paired: dict[int, dict] = {}  # out line id → in line
    used: set[int] = set()
    for x in lines:
        if x["direction"] != "out" or not x["other"]:
            continue
        key = (x["report__enterprise_id"], x["other"], x["product_id"], x["date"], x["document_no"])
        cand = [y for y in ins_exact.get(key, []) if y["id"] not in used] or \
               [y for y in ins_loose.get(key[:4], []) if y["id"] not in used]
        if cand:
            paired[x["id"]] = cand[0]
            used.add(cand[0]["id"])
    shipments, receipts, links = [], [], []
    for x in lines:
        ent = x["report__enterprise_id"]
        if x["direction"] == "out":
            match = paired.get(x["id"])
            s = Shipment(origin="declared", seller_id=ent, buyer_id=x["other"],
                         buyer_credit_code=x["counterparty_credit_code"], buyer_name=x["counterparty_name"],
                         buyer_country=x["counterparty_country"] or "CN", product_id=x["product_id"],
                         tonnes=x["tonnes"], dispatch_date=x["date"], document_no=x["document_no"],
                         customs_no=x["document_no"][:32] if (x["counterparty_country"] or "CN") != "CN" else "",
                         status="received" if match else "in_transit", migrated=True)
            shipments.append(s)
            links.append((s, [x["id"]] + ([match["id"]] if match else []),
                          (match["tonnes"], match["date"], match["report__enterprise_id"]) if match else None))
        elif x["id"] not in used:
            foreign = (x["counterparty_country"] or "CN") != "CN"
            s = Shipment(origin="import" if foreign else "receipt", seller_id=x["other"],
                         seller_credit_code=x["counterparty_credit_code"], seller_name=x["counterparty_name"],
                         seller_country=x["counterparty_country"] or "CN", buyer_id=ent, product_id=x["product_id"],
                         tonnes=x["tonnes"], dispatch_date=x["date"], document_no=x["document_no"],
                         customs_no=x["document_no"][:32] if foreign else "",
                         origin_country=x["counterparty_country"] if foreign else "", status="received",
                         migrated=True)
            shipments.append(s)
            links.append((s, [x["id"]], (x["tonnes"], x["date"], ent)))
    for start in range(0, len(shipments), BATCH):
        Shipment.objects.bulk_create(shipments[start:start + BATCH])
    for s, _ids, rec in links:
        if rec is not None:
            receipts.append(Receipt(shipment_id=s.pk, buyer_id=rec[2], tonnes=rec[0], received_date=max(rec[1], s.dispatch_date)))
    for start in range(0, len(receipts), BATCH):
        Receipt.objects.bulk_create(receipts[start:start + BATCH])
    for s in shipments:
        s.number = f"SH{s.pk:08d}"
    Shipment.objects.bulk_update(shipments, ["number"], batch_size=BATCH)
    pg = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cur:
        if pg:  # check the deferred foreign keys of the rows above now: ALTER TABLE refuses pending trigger events
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE reporting_flowline DISABLE TRIGGER reporting_flowline_frozen")
        FlowLine.objects.bulk_update([FlowLine(id=i, shipment_id=s.pk) for s, ids, _rec in links for i in ids],
                                     ["shipment"], batch_size=BATCH)
        if pg:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE reporting_flowline ENABLE TRIGGER reporting_flowline_frozen")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [("reporting", "0006_seed_ledger_reference"), ("organizations", "0005_notification_emailed_at")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
