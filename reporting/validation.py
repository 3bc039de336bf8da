"""Validation of a monthly report's content. Pure checks that collect every problem with its field path
(e.g. ``shipments[2].tonnes``) so that one answer lists them all; services raise them as a 400."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from organizations.models import Enterprise, IndicatorType
from organizations.register_selectors import filing_failures
from organizations.validators import normalize_credit_code, validate_credit_code
from quota_portal.errors import DomainValidationError
from quota_portal.formatting import tonnes_text
from quota_portal.quantities import parse_tonnes

from .catalogue import product_map
from .models import (
    FlowDirection,
    FlowLine,
    InputLine,
    InputSource,
    InventoryLine,
    MonthlyReport,
    PlausibilityRule,
    ProductionLine,
    ReportStatus,
    RuleKind,
)
from .periods import period_bounds, previous_period
from .shipment_numbers import shipment_numbers_resolve

SECTIONS = ("production", "inputs", "shipments", "inventory")


class Errors(dict):
    def add(self, path: str, message) -> None:
        self.setdefault(path, []).append(str(message))


def country_valid(code: str) -> bool:
    return bool(code) and len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None


def parse_quantity(value: Any, path: str, errors: Errors) -> Decimal | None:
    """``parse_tonnes`` collecting its message under ``path`` instead of raising."""
    try:
        return parse_tonnes(value, path)
    except DomainValidationError as exc:
        for message in exc.errors.get(path, []):
            errors.add(path, message)
        return None


def parse_date(value: Any, path: str, errors: Errors) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors.add(path, _("Enter a date as YYYY-MM-DD."))
        return None


@dataclass
class CleanContent:
    nil: bool
    comment: str
    production: list[dict] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    shipments: list[dict] = field(default_factory=list)
    inventory: list[dict] = field(default_factory=list)
    errors: Errors = field(default_factory=Errors)  # every problem, by field path


def _as_row(row: Any, path: str, errors: Errors) -> dict | None:
    if not isinstance(row, dict):
        errors.add(path, _("A line must be an object."))
        return None
    return row


def _product_of(row: dict, path: str, products: dict, errors: Errors):
    code = str(row.get("product") or "").strip().upper()
    if not code:
        errors.add(path, _("Choose a product."))
        return None
    p = products.get(code)
    if p is None:
        errors.add(path, _("Unknown product code “%(code)s”.") % {"code": code})
    return p


def _sections(data: dict[str, Any], nil: bool, errors: Errors) -> dict[str, list]:
    """The four line lists of the payload (a non-list is an error and counts as empty); a nil report has none
    but its inventory."""
    sections = {}
    for name in SECTIONS:
        rows = data.get(name) or []
        if not isinstance(rows, list):
            errors.add(name, _("A list of lines is expected."))
            rows = []
        sections[name] = rows
    if nil:
        for name in ("production", "inputs", "shipments"):
            if sections[name]:
                errors.add(name, _("A nil report has no production, inputs or flows; remove these lines or untick “nil”."))
    return sections


def _clean_production(rows: list, *, enterprise: Enterprise, year: int, month: int, products: dict,
                      errors: Errors) -> list[dict]:
    out = []
    first, last = period_bounds(year, month)
    refused = filing_failures(enterprise=enterprise, first=first, last=last, indicator_types={
        str(r.get("indicator_type") or "").strip() for r in rows if isinstance(r, dict)}) if rows else {}
    seen = set()
    for i, row in enumerate(rows):
        p = f"production[{i}]"
        if _as_row(row, p, errors) is None:
            continue
        itype = str(row.get("indicator_type") or "").strip()
        product = _product_of(row, f"{p}.product", products, errors)
        tonnes = parse_quantity(row.get("tonnes"), f"{p}.tonnes", errors)
        if itype not in IndicatorType.values:
            errors.add(f"{p}.indicator_type", _("Choose an indicator type (mining_rock, mining_ion or smelting_separation)."))
        elif itype in refused:  # designation and permits on the period's dates (organizations.register_selectors)
            errors.add(f"{p}.indicator_type", refused[itype])
        elif product and product.indicator_type != itype:
            errors.add(f"{p}.product", _("%(product)s is not a product of %(type)s.")
                       % {"product": product.code, "type": IndicatorType(itype).label})
        if product and itype and (itype, product.code) in seen:
            errors.add(f"{p}.product", _("This product is already on another production line."))
        if product:
            seen.add((itype, product.code))
        out.append({"indicator_type": itype, "product": product, "tonnes": tonnes})
    return out


def _clean_inputs(rows: list, *, products: dict, errors: Errors) -> list[dict]:
    out = []
    for i, row in enumerate(rows):
        p = f"inputs[{i}]"
        if _as_row(row, p, errors) is None:
            continue
        source = str(row.get("source") or "").strip()
        country = str(row.get("country") or "").strip().upper()
        if source not in InputSource.values:
            errors.add(f"{p}.source", _("Choose a source (domestic_mined, imported_ore, independent_mineral or secondary)."))
        if source == InputSource.IMPORTED_ORE and not country:
            errors.add(f"{p}.country", _("Imported ore needs its country of origin (ISO 3166 code, e.g. MM)."))
        elif country and not country_valid(country):
            errors.add(f"{p}.country", _("“%(code)s” is not an ISO 3166 country code.") % {"code": country})
        product = _product_of(row, f"{p}.product", products, errors)
        tonnes = parse_quantity(row.get("tonnes"), f"{p}.tonnes", errors)
        out.append({"source": source, "country": country, "product": product, "tonnes": tonnes})
    return out


def _shipment_counterparty(row: dict, p: str, *, enterprise: Enterprise, known: dict, errors: Errors):
    """(credit code, name, country, portal enterprise or None) of a shipment line's counterparty."""
    code = normalize_credit_code(str(row.get("counterparty_credit_code") or ""))
    name = str(row.get("counterparty_name") or "").strip()
    country = str(row.get("counterparty_country") or "").strip().upper()
    counterparty = None
    if code:
        try:
            validate_credit_code(code)
        except ValidationError as exc:
            errors.add(f"{p}.counterparty_credit_code", exc.messages[0])
        else:
            counterparty = known.get(code)
            if counterparty is not None and counterparty.pk == enterprise.pk:
                errors.add(f"{p}.counterparty_credit_code", _("The counterparty cannot be the enterprise itself."))
        if not country:
            country = "CN"
    else:
        if not name:
            errors.add(f"{p}.counterparty_name", _("Give the counterparty's credit code, or its name and country."))
        if not country:
            errors.add(f"{p}.counterparty_country", _("Give the counterparty's country (ISO 3166 code)."))
    if country and not country_valid(country):
        errors.add(f"{p}.counterparty_country", _("“%(code)s” is not an ISO 3166 country code.") % {"code": country})
    if not name and counterparty is not None:
        name = counterparty.name
    return code, name, country, counterparty


def _clean_shipments(rows: list, *, enterprise: Enterprise, year: int, month: int, products: dict,
                     errors: Errors) -> list[dict]:
    out = []
    first, last = period_bounds(year, month)
    codes = set()
    for row in rows:
        if isinstance(row, dict) and row.get("counterparty_credit_code"):
            codes.add(normalize_credit_code(str(row["counterparty_credit_code"])))
    known = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)} if codes else {}
    ledger = shipment_numbers_resolve(enterprise=enterprise, rows=rows, errors=errors)
    for i, row in enumerate(rows):
        p = f"shipments[{i}]"
        if _as_row(row, p, errors) is None:
            continue
        direction = str(row.get("direction") or "").strip()
        if direction not in FlowDirection.values:
            errors.add(f"{p}.direction", _("Choose “in” (received) or “out” (shipped)."))
        code, name, country, counterparty = _shipment_counterparty(row, p, enterprise=enterprise, known=known,
                                                                   errors=errors)
        product = _product_of(row, f"{p}.product", products, errors)
        tonnes = parse_quantity(row.get("tonnes"), f"{p}.tonnes", errors)
        date = parse_date(row.get("date"), f"{p}.date", errors)
        if date and not (first <= date <= last):
            errors.add(f"{p}.date", _("The date must lie within the reporting month (%(first)s – %(last)s).")
                       % {"first": first, "last": last})
        doc = str(row.get("document_no") or "").strip()
        if not doc:
            errors.add(f"{p}.document_no", _("Enter the invoice or customs document number."))
        elif len(doc) > 64:
            errors.add(f"{p}.document_no", _("At most 64 characters."))
        out.append({
            "direction": direction, "counterparty_enterprise": counterparty, "counterparty_credit_code": code,
            "counterparty_name": name[:160], "counterparty_country": country, "product": product, "tonnes": tonnes,
            "date": date, "document_no": doc, "shipment": ledger.get(i),
        })
    return out


def _clean_inventory(rows: list, *, products: dict, errors: Errors) -> list[dict]:
    out = []
    seen = set()
    for i, row in enumerate(rows):
        p = f"inventory[{i}]"
        if _as_row(row, p, errors) is None:
            continue
        product = _product_of(row, f"{p}.product", products, errors)
        opening = parse_quantity(row.get("opening"), f"{p}.opening", errors)
        closing = parse_quantity(row.get("closing"), f"{p}.closing", errors)
        if product and product.code in seen:
            errors.add(f"{p}.product", _("This product already has an inventory line."))
        if product:
            seen.add(product.code)
        out.append({"product": product, "opening": opening, "closing": closing})
    return out


def clean_content(*, enterprise: Enterprise, year: int, month: int, data: dict[str, Any]) -> CleanContent:
    """Check a report's content; raise ``Errors`` (as a dict) via the caller when anything is wrong.

    Returns the cleaned lines; ``errors`` is filled in place and returned on the object as ``.errors``.
    Each section is checked by its own function, in the order of the form."""
    errors = Errors()
    products = product_map()
    nil = bool(data.get("nil", False))
    out = CleanContent(nil=nil, comment=str(data.get("comment") or ""))
    sections = _sections(data, nil, errors)
    out.production = _clean_production(sections["production"], enterprise=enterprise, year=year, month=month,
                                       products=products, errors=errors)
    out.inputs = _clean_inputs(sections["inputs"], products=products, errors=errors)
    out.shipments = _clean_shipments(sections["shipments"], enterprise=enterprise, year=year, month=month,
                                     products=products, errors=errors)
    out.inventory = _clean_inventory(sections["inventory"], products=products, errors=errors)
    out.errors = errors
    return out


# --- Checks at submission ------------------------------------------------------------------------------


@dataclass
class ReportLines:
    """A report's lines in memory, each section in its order (by id): what ``report_create`` just wrote, so that
    the checks at submission in the same transaction need not read them back."""

    production: list[ProductionLine]
    inputs: list[InputLine]
    shipments: list[FlowLine]
    inventory: list[InventoryLine]
    written: bool = True  # in the database already (False: built, to be inserted by the caller)

    @classmethod
    def of(cls, report: MonthlyReport) -> ReportLines:
        return cls(production=list(report.production_lines.order_by("id")),
                   inputs=list(report.input_lines.order_by("id")),
                   shipments=list(report.flow_lines.order_by("id")),
                   inventory=list(report.inventory_lines.order_by("id")))


def previous_accepted_closing(report: MonthlyReport) -> dict[str, Decimal] | None:
    """Closing stock per product of last month's accepted report; None when there is none."""
    py, pm = previous_period(report.year, report.month)
    prev = MonthlyReport.objects.filter(enterprise_id=report.enterprise_id, year=py, month=pm,
                                        status=ReportStatus.ACCEPTED).first()
    if prev is None:
        return None
    return dict(InventoryLine.objects.filter(report=prev).values_list("product_id", "closing"))


def balance_problems(report: MonthlyReport, lines: ReportLines | None = None) -> tuple[Errors, list[dict]]:
    """Opening-stock continuity (errors) and per-product balance (errors, listed as problems as well).
    ``lines``: the report's lines in memory (read from the database when not given)."""
    errors = Errors()
    tol = settings.BALANCE_TOLERANCE_T
    if lines is None:
        lines = ReportLines.of(report)
    inventory = lines.inventory
    prev = previous_accepted_closing(report)
    if prev is not None:
        present = set()
        for i, line in enumerate(inventory):
            present.add(line.product_id)
            expected = prev.get(line.product_id, Decimal("0"))
            if abs(line.opening - expected) > tol:
                errors.add(f"inventory[{i}].opening", _("Opening stock must equal last month's accepted closing stock "
                                                        "(%(expected)s t).") % {"expected": expected})
        for code, closing in sorted(prev.items()):
            if code not in present and closing > tol:
                errors.add("inventory", _("%(product)s closed last month with %(closing)s t; add its inventory line.")
                           % {"product": code, "closing": closing})
    flows = defaultdict(lambda: {"produced": Decimal(0), "received": Decimal(0), "shipped": Decimal(0),
                                 "consumed": Decimal(0)})
    for pl in lines.production:
        flows[pl.product_id]["produced"] += pl.tonnes
    for il in lines.inputs:
        flows[il.product_id]["consumed"] += il.tonnes
    for fl in lines.shipments:
        flows[fl.product_id]["received" if fl.direction == FlowDirection.IN else "shipped"] += fl.tonnes
    problems = []
    by_product = {line.product_id: (i, line) for i, line in enumerate(inventory)}
    for code in sorted(set(flows) | set(by_product)):
        f = flows[code]
        idx, inv = by_product[code] if code in by_product else (None, None)
        opening = inv.opening if inv else Decimal(0)
        closing = inv.closing if inv else Decimal(0)
        expected = opening + f["produced"] + f["received"] - f["shipped"] - f["consumed"]
        if abs(expected - closing) > tol:
            path = f"inventory[{idx}].closing" if inv else "inventory"
            # one short sentence per product with its numbers; what to do about it is said once, by the page
            message = _("%(product)s does not balance: %(opening)s + %(produced)s produced + %(received)s received "
                        "− %(shipped)s shipped − %(consumed)s consumed = %(expected)s t, closing stock %(closing)s t.") % {
                "product": code, **{k: tonnes_text(v) for k, v in
                                    {"opening": opening, "closing": closing, "expected": expected, **f}.items()}}
            problems.append({"path": path, "product": code, "message": message,
                             "difference": str(closing - expected)})
    return errors, problems


def _rules_for(first: dt.date) -> list[PlausibilityRule]:
    return list(PlausibilityRule.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first),
                                                valid_from__lte=first))


def plausibility_warnings(report: MonthlyReport, lines: ReportLines | None = None) -> list[dict]:
    """Figures outside the configurable ranges in force for the report's month (warnings, not errors).
    ``lines``: the report's lines in memory (read from the database when not given)."""
    first, _last = period_bounds(report.year, report.month)
    warnings: list[dict] = []
    rules = _rules_for(first)
    if not rules:
        return warnings
    produced = defaultdict(Decimal)
    production = lines.production if lines is not None else report.production_lines.all()
    for line in production:
        produced[line.indicator_type] += line.tonnes
    flows = lines.shipments if lines is not None else list(report.flow_lines.order_by("id"))
    for rule in rules:
        if rule.kind == RuleKind.PRODUCTION_VS_TRAILING and rule.factor and produced:
            periods = []
            y, m = report.year, report.month
            for _i in range(rule.months):
                y, m = previous_period(y, m)
                periods.append(Q(report__year=y, report__month=m))
            q = periods[0]
            for extra in periods[1:]:
                q |= extra
            trailing = {
                row["indicator_type"]: row
                for row in ProductionLine.objects.filter(q, report__enterprise_id=report.enterprise_id,
                                                         report__status=ReportStatus.ACCEPTED)
                .values("indicator_type").annotate(total=Sum("tonnes"))
            }
            n_months = MonthlyReport.objects.filter(
                _period_q(report.year, report.month, rule.months), enterprise_id=report.enterprise_id,
                status=ReportStatus.ACCEPTED,
            ).count()
            for itype, total in produced.items():
                if rule.indicator_type and rule.indicator_type != itype:
                    continue
                if not n_months or itype not in trailing:
                    continue
                avg = trailing[itype]["total"] / n_months
                if total > rule.factor * avg:
                    warnings.append({
                        "rule": rule.pk, "kind": rule.kind, "path": "production",
                        "message": _("%(type)s production of %(total)s t is more than %(factor)s× the trailing "
                                     "%(months)s-month average (%(avg)s t).") % {
                            "type": IndicatorType(itype).label, "total": total, "factor": rule.factor.normalize(),
                            "months": rule.months, "avg": avg.quantize(Decimal("0.001"))},
                    })
        elif rule.kind == RuleKind.SHIPMENT_CEILING and rule.ceiling_t is not None:
            for i, flow in enumerate(flows):
                if flow.tonnes > rule.ceiling_t:
                    warnings.append({
                        "rule": rule.pk, "kind": rule.kind, "path": f"shipments[{i}].tonnes",
                        "message": _("A single shipment of %(tonnes)s t is above the ceiling of %(ceiling)s t.")
                        % {"tonnes": flow.tonnes, "ceiling": rule.ceiling_t},
                    })
    return [{k: str(v) if k == "message" else v for k, v in w.items()} for w in warnings]


def _period_q(year: int, month: int, months: int) -> Q:
    q = Q(pk__in=[])
    for _i in range(months):
        year, month = previous_period(year, month)
        q |= Q(year=year, month=month)
    return q
