"""The shipment ledger (追溯): shipments declared by the seller, confirmed or disputed by the buyer, imports, and the
link between the ledger and the monthly report (the filing vehicle).

Services write (keyword-only, one transaction, audited); selectors read, scoped to the user (out of scope = 404).

States of a shipment: ``declared`` (dispatch date still ahead) → ``in_transit`` → ``received`` (the buyer confirmed
it with the quantity received) or ``disputed`` (the buyer said why). A second confirmation of the same shipment —
also two at the same instant — returns the first receipt: the shipment row is locked and ``Receipt.shipment`` is
unique.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.audit import audit_record, audit_record_many
from organizations.models import MINISTRY_ROLES, Enterprise
from organizations.permissions import require
from organizations.selectors import enterprise_q, membership_of
from organizations.validators import normalize_credit_code, validate_credit_code
from quota_portal.bulk import bulk_insert
from quota_portal.db_router import read_connection
from quota_portal.errors import DomainValidationError, InvalidTransition, NotFound, NotPermitted

from . import ledger_totals
from .catalogue import product_map
from .models import (
    ExportControlItem,
    FlowDirection,
    FlowLine,
    MonthlyReport,
    Product,
    Receipt,
    ReportStatus,
    Shipment,
    ShipmentOrigin,
    ShipmentStatus,
)
from .periods import period_bounds
from .shipment_numbers import shipment_numbers_resolve
from .validation import Errors, country_valid, parse_date, parse_quantity

__all__ = ["shipment_numbers_resolve"]  # re-exported: the report's rows name ledger shipments
Q3 = Decimal("0.001")
OPEN_STATES = (ShipmentStatus.DECLARED, ShipmentStatus.IN_TRANSIT)


def _today() -> dt.date:
    return timezone.localdate()


def _actor_enterprise(actor: Any, enterprise: Enterprise | None = None) -> Enterprise:
    """The enterprise the actor files for (and, when given, it must be ``enterprise``)."""
    require(actor, "reporting.file")
    m = membership_of(actor)
    if m is None or m.enterprise_id is None or (enterprise is not None and m.enterprise_id != enterprise.pk):
        raise NotPermitted(_("Only the enterprise's own staff can record its shipments."))
    assert m.enterprise is not None
    return m.enterprise


def _number(shipment: Shipment) -> None:
    shipment.number = f"SH{shipment.pk:08d}"
    Shipment.objects.filter(pk=shipment.pk).update(number=shipment.number)


def _next_ids(model: type[Shipment], n: int) -> list[int] | None:
    """``n`` new ids from the table's identity sequence (PostgreSQL; None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, n])
        return sorted(row[0] for row in cur.fetchall())


def _snapshot(s: Shipment) -> dict[str, Any]:
    return {"number": s.number, "status": s.status, "tonnes": str(s.tonnes), "product": s.product_id,
            "seller": s.seller_id, "buyer": s.buyer_id}


def export_control_item(*, product: Product | str, on: dt.date) -> ExportControlItem | None:
    """The export-control entry in force for the product on a date, or None."""
    code = product if isinstance(product, str) else product.code
    return (ExportControlItem.objects.filter(product_id=code, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)).order_by("-valid_from").first())


def _parse_pct(value: Any, path: str, errors: Errors) -> Decimal | None:
    if value is None or str(value).strip() == "":
        errors.add(path, _("Enter the REO content in per cent."))
        return None
    try:
        d = Decimal(str(value).strip().replace("%", ""))
    except (InvalidOperation, ValueError):
        errors.add(path, _("“%(value)s” is not a number.") % {"value": value})
        return None
    if not d.is_finite() or d < 0:
        errors.add(path, _("The REO content cannot be negative."))
        return None
    if d > 100:
        errors.add(path, _("The REO content cannot exceed 100 %."))
        return None
    return d.quantize(Q3)


def _party(data: dict[str, Any], prefix: str, errors: Errors, *, own: Enterprise) -> dict[str, Any]:
    """The counterparty of a shipment: a credit code (a portal enterprise or not), or a name and a country."""
    code = normalize_credit_code(str(data.get(f"{prefix}_credit_code") or ""))
    name = str(data.get(f"{prefix}_name") or "").strip()[:160]
    country = str(data.get(f"{prefix}_country") or "").strip().upper()
    ent = None
    if code:
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            errors.add(f"{prefix}_credit_code", exc.messages[0])
        else:
            ent = Enterprise.objects.filter(credit_code=code).first()
            if ent is not None and ent.pk == own.pk:
                errors.add(f"{prefix}_credit_code", _("The counterparty cannot be the enterprise itself."))
        country = country or "CN"
    else:
        if not name:
            errors.add(f"{prefix}_name", _("Give the counterparty's credit code, or its name and country."))
        if not country:
            errors.add(f"{prefix}_country", _("Give the counterparty's country (ISO 3166 code)."))
    if country and not country_valid(country):
        errors.add(f"{prefix}_country", _("“%(code)s” is not an ISO 3166 country code.") % {"code": country})
    if ent is not None and not name:
        name = ent.name
    return {"enterprise": ent, "credit_code": code, "name": name, "country": country or "CN"}


def _weight(data: dict[str, Any], errors: Errors) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    net = parse_quantity(data.get("net_weight_t"), "net_weight_t", errors)
    pct = _parse_pct(data.get("reo_pct"), "reo_pct", errors)
    tonnes = (net * pct / 100).quantize(Q3) if net is not None and pct is not None else None
    return net, pct, tonnes


def _product(data: dict[str, Any], errors: Errors) -> Product | None:
    code = str(data.get("product") or "").strip().upper()
    if not code:
        errors.add("product", _("Choose a product."))
        return None
    product = product_map().get(code)
    if product is None:
        errors.add("product", _("Unknown product code “%(code)s”.") % {"code": code})
    return product


def _text(data: dict[str, Any], key: str, limit: int, errors: Errors, *, required_message: str | None = None) -> str:
    value = str(data.get(key) or "").strip()
    if not value and required_message:
        errors.add(key, required_message)
    elif len(value) > limit:
        errors.add(key, _("At most %(n)s characters.") % {"n": limit})
    return value[:limit]


# --- services -----------------------------------------------------------------------------------------------


@transaction.atomic
def shipment_declare(*, actor: Any, seller: Enterprise, data: dict[str, Any],
                     now: dt.datetime | None = None) -> Shipment:
    """The seller declares a shipment out. REO tonnes = net weight × REO content; an export needs its customs
    declaration number and, for a product on the export-control list on the dispatch date, the export licence."""
    _actor_enterprise(actor, seller)
    errors = Errors()
    buyer = _party(data, "buyer", errors, own=seller)
    product = _product(data, errors)
    net, pct, tonnes = _weight(data, errors)
    dispatch = parse_date(data.get("dispatch_date"), "dispatch_date", errors)
    document_no = _text(data, "document_no", 64, errors,
                        required_message=_("Enter the invoice or waybill number."))
    lots = _text(data, "lots", 200, errors)
    customs_no = _text(data, "customs_no", 32, errors)
    licence_no = _text(data, "export_licence_no", 64, errors)
    export = buyer["country"] != "CN"
    if export and not customs_no:
        errors.add("customs_no", _("An export needs its customs declaration number."))
    if export and product is not None and dispatch is not None and not licence_no:
        item = export_control_item(product=product, on=dispatch)
        if item is not None:
            errors.add("export_licence_no", _("%(product)s is under export control (%(announcement)s): enter the "
                                              "export licence number.")
                       % {"product": product.code, "announcement": item.announcement})
    if errors:
        raise DomainValidationError(errors=dict(errors))
    assert dispatch is not None and tonnes is not None and product is not None
    now = now or timezone.now()
    status = ShipmentStatus.IN_TRANSIT if dispatch <= timezone.localdate(now) else ShipmentStatus.DECLARED
    s = Shipment.objects.create(
        origin=ShipmentOrigin.DECLARED, seller=seller, seller_credit_code=seller.credit_code,
        seller_name=seller.name, seller_country="CN", buyer=buyer["enterprise"],
        buyer_credit_code=buyer["credit_code"], buyer_name=buyer["name"], buyer_country=buyer["country"],
        product=product, lots=lots, net_weight_t=net, reo_pct=pct, tonnes=tonnes, dispatch_date=dispatch,
        document_no=document_no, customs_no=customs_no, export_licence_no=licence_no, status=status,
        declared_by=actor, declared_at=now)
    _number(s)
    audit_record(actor=actor, action="shipment.declare", obj=s, org=seller, after=_snapshot(s))
    return s


@transaction.atomic
def shipment_dispatch(*, actor: Any, shipment: Shipment) -> Shipment:
    """The seller marks a declared shipment as dispatched (in transit)."""
    ent = _actor_enterprise(actor)
    s = Shipment.objects.select_for_update().filter(pk=shipment.pk, seller=ent).first()
    if s is None:
        raise NotFound()
    if s.status != ShipmentStatus.DECLARED:
        raise InvalidTransition(_("Only a declared shipment can be dispatched; this one is %(status)s.")
                                % {"status": s.get_status_display()})
    s.status = ShipmentStatus.IN_TRANSIT
    s.save(update_fields=["status"])
    audit_record(actor=actor, action="shipment.dispatch", obj=s, org=ent,
                 before={"status": ShipmentStatus.DECLARED}, after=_snapshot(s))
    return s


def _receive(*, actor: Any, shipment: Shipment, buyer: Enterprise, tonnes: Decimal, received: dt.date,
             reason: str, now: dt.datetime) -> Receipt:
    receipt = Receipt.objects.create(shipment=shipment, buyer=buyer, tonnes=tonnes, received_date=received,
                                     disputed=bool(reason), dispute_reason=reason, confirmed_by=actor,
                                     confirmed_at=now)
    before = shipment.status
    shipment.status = ShipmentStatus.DISPUTED if reason else ShipmentStatus.RECEIVED
    shipment.save(update_fields=["status"])
    audit_record(actor=actor, action="shipment.dispute" if reason else "shipment.confirm", obj=shipment, org=buyer,
                 before={"status": before}, after={**_snapshot(shipment), "received_t": str(tonnes),
                                                   "received_date": received, "reason": reason})
    return receipt


@transaction.atomic
def shipment_confirm(*, actor: Any, shipment_id: int, received_tonnes: Any, received_date: Any,
                     dispute_reason: str = "", dispute: bool = False, now: dt.datetime | None = None) -> Receipt:
    """The buyer confirms a shipment addressed to it with the quantity received, or disputes it saying why.

    A shipment addressed to another enterprise is not found (404). Confirming again returns the receipt already
    recorded (one receipt per shipment, also for two confirmations at the same instant). A receipt larger than the
    shipment beyond ``FLOW_MATCH_TOLERANCE`` needs a dispute."""
    ent = _actor_enterprise(actor)
    s = Shipment.objects.select_for_update().filter(pk=shipment_id, buyer=ent).first()
    if s is None:
        raise NotFound(_("No shipment with this number is addressed to your enterprise."))
    existing = Receipt.objects.filter(shipment_id=s.pk).first()
    if existing is not None:
        return existing
    errors = Errors()
    tonnes = parse_quantity(received_tonnes, "received_tonnes", errors)
    received = parse_date(received_date, "received_date", errors)
    reason = (dispute_reason or "").strip()
    if dispute and not reason:
        errors.add("dispute_reason", _("Say why you dispute the shipment."))
    if received is not None and received < s.dispatch_date:
        errors.add("received_date", _("The shipment was dispatched on %(date)s; it cannot arrive before.")
                   % {"date": s.dispatch_date})
    now = now or timezone.now()
    if received is not None and received > timezone.localdate(now):
        errors.add("received_date", _("The date of receipt cannot be in the future."))
    if tonnes is not None and not reason and tonnes > s.tonnes * (1 + settings.FLOW_MATCH_TOLERANCE):
        errors.add("received_tonnes", _("%(received)s t is more than the %(shipped)s t shipped; dispute the shipment "
                                        "and say why.") % {"received": tonnes, "shipped": s.tonnes})
    if errors:
        raise DomainValidationError(errors=dict(errors))
    assert tonnes is not None and received is not None
    return _receive(actor=actor, shipment=s, buyer=ent, tonnes=tonnes, received=received, reason=reason, now=now)


@transaction.atomic
def import_record(*, actor: Any, importer: Enterprise, data: dict[str, Any],
                  now: dt.datetime | None = None) -> Shipment:
    """The importer records an import: foreign seller, country of origin, customs declaration number, received."""
    _actor_enterprise(actor, importer)
    errors = Errors()
    seller_name = _text(data, "seller_name", 160, errors, required_message=_("Give the foreign seller's name."))
    origin = str(data.get("origin_country") or "").strip().upper()
    if not origin:
        errors.add("origin_country", _("Give the country of origin (ISO 3166 code)."))
    elif not country_valid(origin):
        errors.add("origin_country", _("“%(code)s” is not an ISO 3166 country code.") % {"code": origin})
    elif origin == "CN":
        errors.add("origin_country", _("An import comes from outside China."))
    customs_no = _text(data, "customs_no", 32, errors,
                       required_message=_("An import needs its customs declaration number."))
    product = _product(data, errors)
    net, pct, tonnes = _weight(data, errors)
    received = parse_date(data.get("received_date"), "received_date", errors)
    lots = _text(data, "lots", 200, errors)
    if errors:
        raise DomainValidationError(errors=dict(errors))
    assert received is not None and tonnes is not None and product is not None
    now = now or timezone.now()
    s = Shipment.objects.create(
        origin=ShipmentOrigin.IMPORT, seller=None, seller_name=seller_name, seller_country=origin,
        buyer=importer, buyer_credit_code=importer.credit_code, buyer_name=importer.name, buyer_country="CN",
        product=product, lots=lots, net_weight_t=net, reo_pct=pct, tonnes=tonnes, dispatch_date=received,
        document_no=customs_no, customs_no=customs_no, origin_country=origin, status=ShipmentStatus.IN_TRANSIT,
        declared_by=actor, declared_at=now)
    _number(s)
    _receive(actor=actor, shipment=s, buyer=importer, tonnes=tonnes, received=received, reason="", now=now)
    return s


# --- the ledger and the monthly report ----------------------------------------------------------------------


def ledger_rows(*, enterprise: Enterprise, year: int, month: int) -> list[dict[str, Any]]:
    """The month's flow rows from the ledger, in the report's input shape: the shipments the enterprise declared
    with a dispatch date in the month, and the receipts it confirmed with a date in the month."""
    first, last = period_bounds(year, month)
    rows: list[dict[str, Any]] = []
    for s in (Shipment.objects.filter(seller=enterprise, origin=ShipmentOrigin.DECLARED,
                                      dispatch_date__range=(first, last)).order_by("dispatch_date", "pk")):
        rows.append({"direction": "out", "counterparty_credit_code": s.buyer_credit_code,
                     "counterparty_name": s.buyer_name, "counterparty_country": s.buyer_country,
                     "product": s.product_id, "tonnes": str(s.tonnes), "date": s.dispatch_date.isoformat(),
                     "document_no": s.customs_no or s.document_no or s.number, "shipment_no": s.number})
    for r in (Receipt.objects.filter(buyer=enterprise, received_date__range=(first, last))
              .select_related("shipment").order_by("received_date", "pk")):
        s = r.shipment
        rows.append({"direction": "in", "counterparty_credit_code": s.seller_credit_code,
                     "counterparty_name": s.seller_name, "counterparty_country": s.seller_country,
                     "product": s.product_id, "tonnes": str(r.tonnes), "date": r.received_date.isoformat(),
                     "document_no": s.customs_no or s.document_no or s.number, "shipment_no": s.number})
    return rows


def ledger_sync_report(*, actor: Any, report: MonthlyReport, now: dt.datetime | None = None,
                       lines: list[FlowLine] | None = None) -> int:
    """At submission (the report still a draft): put every flow line of the report in the ledger.

    An out line without a shipment becomes a shipment declared by the enterprise (in transit); an in line naming
    a shipment not yet received confirms it with the line's tonnes and date; any other in line becomes a receipt
    the buyer records (an import when the party is foreign). Returns the number of ledger records written.

    Set-based: the shipments the lines name and the other side's records they may meet are read (and locked) in
    one query, the lines are matched in their order in memory (a record met by one line is not met again), and the
    new shipments, receipts, links and audit entries are written in a few bulk statements, whatever the number of
    lines. ``lines``: the report's flow lines when the caller has them (a report filed in this transaction); lines
    not inserted yet (no id) are only linked to their shipments in memory, the caller inserts them."""
    if report.status != ReportStatus.DRAFT:
        raise InvalidTransition(_("Only a draft is put in the ledger."))
    now = now or timezone.now()
    ent = report.enterprise
    if lines is None:
        lines = list(report.flow_lines.order_by("id"))
    if not lines:
        return 0
    codes = {x.counterparty_credit_code for x in lines if x.counterparty_credit_code and not x.counterparty_enterprise_id}
    known = {e.credit_code: e.pk for e in Enterprise.objects.filter(credit_code__in=codes)} if codes else {}
    other_of = [x.counterparty_enterprise_id or known.get(x.counterparty_credit_code) for x in lines]
    # every ledger record a line may touch, locked in one statement (in id order: no lock-order deadlock)
    wanted = Q(pk__in=[x.shipment_id for x in lines if x.shipment_id is not None])
    sellers_in = {o for x, o in zip(lines, other_of, strict=True) if o and x.shipment_id is None
                  and x.direction == FlowDirection.IN}
    buyers_out = {o for x, o in zip(lines, other_of, strict=True) if o and x.shipment_id is None
                  and x.direction == FlowDirection.OUT}
    products = {x.product_id for x in lines}
    if sellers_in:
        wanted |= Q(seller_id__in=sellers_in, buyer_id=ent.pk, origin=ShipmentOrigin.DECLARED,
                    status__in=OPEN_STATES, product_id__in=products,
                    dispatch_date__lte=max(x.date for x in lines))
    if buyers_out:
        wanted |= Q(seller_id=ent.pk, buyer_id__in=buyers_out, origin=ShipmentOrigin.RECEIPT, product_id__in=products)
    pool = list(Shipment.objects.filter(wanted).select_for_update().order_by("pk"))
    by_pk = {s.pk: s for s in pool}
    # received: shipments with a receipt (before or by this report); taken: received by this report's lines
    received = set(Receipt.objects.filter(shipment_id__in=list(by_pk)).values_list("shipment_id", flat=True)) \
        if by_pk else set()
    taken: set[int] = set()
    pool.sort(key=lambda s: (s.dispatch_date, s.pk))  # the order in which a line meets the other side's records
    used: set[int] = set()

    def counterpart(line: FlowLine, other: int) -> Shipment | None:
        if line.direction == FlowDirection.IN:
            fits = [s for s in pool if s.seller_id == other and s.buyer_id == ent.pk
                    and s.origin == ShipmentOrigin.DECLARED and s.status in OPEN_STATES and s.pk not in taken
                    and s.dispatch_date <= line.date and s.product_id == line.product_id]
        else:
            fits = [s for s in pool if s.seller_id == ent.pk and s.buyer_id == other and s.pk not in used
                    and s.origin == ShipmentOrigin.RECEIPT and s.product_id == line.product_id]
        return ((next((s for s in fits if s.document_no == line.document_no), None) if line.document_no else None)
                or next((s for s in fits if s.dispatch_date == line.date), None))

    receipts: list[Receipt] = []
    status_changed: list[Shipment] = []  # received now (they were declared or in transit)
    declared: list[tuple[Shipment, Decimal]] = []  # the buyer's records this seller's line declares, tonnes before
    created: list[tuple[FlowLine, Shipment, bool]] = []  # (line, new shipment, received at once)
    linked: list[tuple[FlowLine, Shipment]] = []
    written = 0

    def receive(s: Shipment, tonnes: Decimal, when: dt.date) -> None:
        receipts.append(Receipt(shipment=s, buyer=ent, tonnes=tonnes, received_date=when, disputed=False,
                                dispute_reason="", confirmed_by=actor, confirmed_at=now))
        received.add(s.pk)
        taken.add(s.pk)

    for i, (line, other) in enumerate(zip(lines, other_of, strict=True)):
        if line.shipment_id is not None:
            s = by_pk[line.shipment_id]
            if line.direction == FlowDirection.IN and s.buyer_id == ent.pk and s.pk not in received:
                if line.tonnes > s.tonnes * (1 + settings.FLOW_MATCH_TOLERANCE):
                    raise DomainValidationError(errors={f"shipments[{i}].tonnes": [
                        _("%(received)s t is more than the %(shipped)s t of shipment %(number)s; dispute the "
                          "shipment on the ledger page and say why.")
                        % {"received": line.tonnes, "shipped": s.tonnes, "number": s.number}]})
                receive(s, line.tonnes, max(line.date, s.dispatch_date))
                status_changed.append(s)
                written += 1
            continue
        foreign = (line.counterparty_country or "CN") != "CN"
        match = counterpart(line, other) if other is not None else None
        if match is not None and line.direction == FlowDirection.OUT:
            # the buyer recorded this consignment first: the seller's line declares it
            declared.append((match, match.tonnes))
            match.origin, match.tonnes, match.declared_by, match.declared_at = (
                ShipmentOrigin.DECLARED, line.tonnes, actor, now)
            used.add(match.pk)
            linked.append((line, match))
        elif match is not None:
            # the seller declared this consignment: the buyer's line confirms it
            if line.tonnes > match.tonnes * (1 + settings.FLOW_MATCH_TOLERANCE):
                raise DomainValidationError(errors={f"shipments[{i}].tonnes": [
                    _("%(received)s t is more than the %(shipped)s t of shipment %(number)s; dispute the "
                      "shipment on the ledger page and say why.")
                    % {"received": line.tonnes, "shipped": match.tonnes, "number": match.number}]})
            receive(match, line.tonnes, max(line.date, match.dispatch_date))
            status_changed.append(match)
            linked.append((line, match))
        elif line.direction == FlowDirection.OUT:
            created.append((line, Shipment(
                origin=ShipmentOrigin.DECLARED, seller=ent, seller_credit_code=ent.credit_code, seller_name=ent.name,
                buyer_id=other, buyer_credit_code=line.counterparty_credit_code, buyer_name=line.counterparty_name,
                buyer_country=line.counterparty_country or "CN", product_id=line.product_id, tonnes=line.tonnes,
                dispatch_date=line.date, document_no=line.document_no,
                customs_no=line.document_no[:32] if foreign else "", status=ShipmentStatus.IN_TRANSIT,
                declared_by=actor, declared_at=now), False))
        else:
            # recorded by the buyer and received at once (status ``received``, as ``_receive`` leaves it)
            created.append((line, Shipment(
                origin=ShipmentOrigin.IMPORT if foreign else ShipmentOrigin.RECEIPT, seller_id=other,
                seller_credit_code=line.counterparty_credit_code, seller_name=line.counterparty_name,
                seller_country=line.counterparty_country or "CN", buyer=ent, buyer_credit_code=ent.credit_code,
                buyer_name=ent.name, product_id=line.product_id, tonnes=line.tonnes, dispatch_date=line.date,
                document_no=line.document_no, customs_no=line.document_no[:32] if foreign else "",
                origin_country=line.counterparty_country if foreign else "", status=ShipmentStatus.RECEIVED,
                declared_by=actor, declared_at=now), True))
        written += 1

    # --- writes: a constant number of statements --------------------------------------------------------
    if created:
        ids = _next_ids(Shipment, len(created))
        if ids is not None:  # numbered from their ids before the insert: one statement, no update after it
            for (_line, s, _r), pk in zip(created, ids, strict=True):
                s.pk, s.number = pk, f"SH{pk:08d}"
            bulk_insert(Shipment, [s for _line, s, _r in created])
        else:
            for _line, s, _r in created:
                s.save(force_insert=True)
                _number(s)
        for line, s, now_received in created:
            linked.append((line, s))
            if now_received:
                receipts.append(Receipt(shipment=s, buyer=ent, tonnes=line.tonnes, received_date=line.date,
                                        disputed=False, dispute_reason="", confirmed_by=actor, confirmed_at=now))
    if declared:
        Shipment.objects.bulk_update([s for s, _before in declared], ["origin", "tonnes", "declared_by", "declared_at"])
    if status_changed:
        Shipment.objects.filter(pk__in=[s.pk for s in status_changed]).update(status=ShipmentStatus.RECEIVED)
    if receipts:
        bulk_insert(Receipt, receipts)
    for line, s in linked:
        line.shipment = s
    if any(line.pk is not None for line, _s in linked):  # lines not inserted yet go in linked (the caller inserts them)
        FlowLine.objects.bulk_update([line for line, _s in linked if line.pk is not None], ["shipment"])
    # the audit trail, in the order of the lines as before: a declaration, or a confirmation per receipt
    entry_of: dict[int, dict] = {}
    for s, tonnes_before in declared:
        entry_of[s.pk] = {"action": "shipment.declare", "obj": s,
                          "before": {"origin": ShipmentOrigin.RECEIPT, "tonnes": str(tonnes_before)},
                          "after": _snapshot(s)}
    by_receipt = {r.shipment_id: r for r in receipts}
    for s, status_before in [*((x, x.status) for x in status_changed),
                             *((x, ShipmentStatus.IN_TRANSIT) for _line, x, r in created if r)]:
        s.status = ShipmentStatus.RECEIVED
        r = by_receipt[s.pk]
        entry_of[s.pk] = {"action": "shipment.confirm", "obj": s, "before": {"status": status_before},
                          "after": {**_snapshot(s), "received_t": str(r.tonnes), "received_date": r.received_date,
                                    "reason": ""}}
    position: dict[int | None, int] = {}
    for n, x in enumerate(lines):
        position.setdefault(x.shipment_id, n)
    audits = [entry_of[pk] for pk in sorted(entry_of, key=lambda pk: position.get(pk, len(lines)))]
    if audits:
        audit_record_many(actor=actor, org=ent, entries=audits)
    return written


# --- selectors ---------------------------------------------------------------------------------------------


def shipment_q(user: Any) -> Q:
    """Shipments the user may see: an enterprise its own (as seller or buyer); an authority those with a party in
    its area; the ministry all."""
    m = membership_of(user)
    if m is None:
        return Q(pk__in=[])
    if m.enterprise_id:
        return Q(seller_id=m.enterprise_id) | Q(buyer_id=m.enterprise_id)
    return enterprise_q(user, "seller") | enterprise_q(user, "buyer")


def shipment_list(*, user: Any, status: str = "", direction: str = "", search: str = "",
                  year: int | None = None, month: int | None = None) -> QuerySet[Shipment]:
    qs = (Shipment.objects.filter(shipment_q(user)).select_related("seller", "buyer", "product", "receipt")
          .order_by("-dispatch_date", "-pk"))
    if status:
        qs = qs.filter(status=status)
    m = membership_of(user)
    if direction and m is not None and m.enterprise_id:
        qs = qs.filter(seller_id=m.enterprise_id) if direction == "out" else qs.filter(buyer_id=m.enterprise_id)
    if year and month:
        first, last = period_bounds(year, month)
        qs = qs.filter(dispatch_date__range=(first, last))
    elif year:
        qs = qs.filter(dispatch_date__year=year)
    if search:
        s = search.strip()
        qs = qs.filter(Q(number__iexact=s.upper()) | Q(lots__icontains=s) | Q(document_no__iexact=s)
                       | Q(customs_no__iexact=s))
    return qs


def shipment_get(*, user: Any, pk: int) -> Shipment:
    """The shipment if the user may see it; ``Shipment.DoesNotExist`` (→ 404) otherwise."""
    return shipment_list(user=user).get(pk=pk)


def shipments_awaiting(*, enterprise: Enterprise) -> QuerySet[Shipment]:
    """Incoming shipments addressed to the enterprise that it has not confirmed yet."""
    return (Shipment.objects.filter(buyer=enterprise, status__in=OPEN_STATES).select_related("seller", "product")
            .order_by("dispatch_date", "pk"))


def ledger_figures(*, user: Any, year: int, from_totals: bool | None = None) -> dict[str, Any]:
    """The ministry dashboard's ledger: shipments in transit and disputed, imports by country of origin, exports
    by export-controlled item (REO tonnes, the year's dispatches). The ministry (every shipment) reads the
    ``ShipmentTotal`` roll-up where it is maintained (PostgreSQL: a few dozen rows instead of the year's
    shipments); ``from_totals=False`` sums the shipments (the consistency test)."""
    m = membership_of(user)
    if from_totals is None:
        from_totals = ledger_totals.maintained() and bool(m and m.role in MINISTRY_ROLES)
    if from_totals:
        states: dict[str, dict[str, Any]] = {}
        by_country: dict[str, dict[str, Any]] = {}
        by_product: dict[str, dict[str, Any]] = {}
        for status, origin, country, product, n, t in ledger_totals.ledger_totals(
                year=year, using=read_connection(Shipment).alias):
            for into, key, field in ((states, status, "status"),
                                     (by_country, country if origin == ShipmentOrigin.IMPORT else None,
                                      "origin_country"),
                                     (by_product, product or None, "product_id")):
                if key is not None:
                    row = into.setdefault(key, {field: key, "n": 0, "t": Decimal(0)})
                    row["n"] += n
                    row["t"] += t
        imports = sorted(by_country.values(), key=lambda r: -r["t"])
        exports = sorted(by_product.values(), key=lambda r: -r["t"])
    else:
        qs = Shipment.objects.filter(shipment_q(user), dispatch_date__year=year)
        states = {row["status"]: dict(row) for row in qs.values("status").annotate(n=Count("pk"), t=Sum("tonnes"))}
        imports = [dict(row) for row in qs.filter(origin=ShipmentOrigin.IMPORT).values("origin_country")
                   .annotate(n=Count("pk"), t=Sum("tonnes")).order_by("-t")]
        exports = [dict(row) for row in qs.filter(seller__isnull=False).exclude(buyer_country="CN")
                   .values("product_id").annotate(n=Count("pk"), t=Sum("tonnes")).order_by("-t")]
    controlled = set(ExportControlItem.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(year, 1, 1)),
                                                      valid_from__lte=dt.date(year, 12, 31))
                     .values_list("product_id", flat=True))
    for row in exports:
        row["controlled"] = row["product_id"] in controlled
    zero = {"n": 0, "t": Decimal(0)}
    return {
        "in_transit": {**zero, **states.get(ShipmentStatus.IN_TRANSIT, {})},
        "declared": {**zero, **states.get(ShipmentStatus.DECLARED, {})},
        "disputed": {**zero, **states.get(ShipmentStatus.DISPUTED, {})},
        "received": {**zero, **states.get(ShipmentStatus.RECEIVED, {})},
        "imports": imports,
        "exports": exports,
    }
