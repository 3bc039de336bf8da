"""Field paths of the report API as people know them, for the pages: ``inventory[0].closing`` → "库存第1行 期末库存".

The API keeps its paths (integrators key on them); pages translate them here, in the page layer, when they show an
error next to something else than the field itself (a message at the top, the check list, an uploaded file's
errors)."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext, pgettext_lazy

from organizations.models import IndicatorType
from quota_portal.formatting import tonnes_text

from .models import FlowDirection, InputSource

SECTIONS = {
    "production": pgettext_lazy("report section", "Production"),
    "inputs": pgettext_lazy("report section", "Inputs"),
    "shipments": pgettext_lazy("report section", "Flow records"),
    "inventory": pgettext_lazy("report section", "Inventory"),
}
FIELDS = {
    "indicator_type": pgettext_lazy("report field", "Indicator type"),
    "product": pgettext_lazy("report field", "Product"),
    "tonnes": pgettext_lazy("report field", "Tonnes"),
    "source": pgettext_lazy("report field", "Source"),
    "country": pgettext_lazy("report field", "Country of origin"),
    "direction": pgettext_lazy("report field", "Direction"),
    "counterparty_credit_code": pgettext_lazy("report field", "Counterparty credit code"),
    "counterparty_name": pgettext_lazy("report field", "Counterparty name"),
    "counterparty_country": pgettext_lazy("report field", "Counterparty country"),
    "date": pgettext_lazy("report field", "Date"),
    "document_no": pgettext_lazy("report field", "Document number"),
    "opening": pgettext_lazy("report field", "Opening stock"),
    "closing": pgettext_lazy("report field", "Closing stock"),
    "nil": pgettext_lazy("report field", "Nil report"),
    "comment": pgettext_lazy("report field", "Comment"),
    "lines": pgettext_lazy("report field", "Lines"),
    "file": pgettext_lazy("report field", "File"),
    "warnings_explanation": pgettext_lazy("report field", "Explanation of the warnings"),
    "year": pgettext_lazy("report field", "Year"),
    "month": pgettext_lazy("report field", "Month"),
    "enterprise": pgettext_lazy("report field", "Enterprise"),
}
PATH = re.compile(r"^(?P<section>[a-z_]+)(?:\[(?P<row>\d+)\])?(?:\.(?P<field>[a-z_]+))?$")


def path_label(path: str) -> str:
    """A field path as people read it; "" for a message about the whole report (``non_field_errors``, ``__all__``).
    A path the page does not know is shown as it is (never hidden)."""
    if path in ("", "non_field_errors", "__all__", "detail"):
        return ""
    m = PATH.match(path)
    if not m:
        return path
    section, row, field = m.group("section"), m.group("row"), m.group("field")
    if section not in SECTIONS:
        return str(FIELDS.get(section, path)) if row is None and field is None else path
    label = str(SECTIONS[section])
    if row is not None:
        label = gettext("%(section)s, line %(n)s") % {"section": label, "n": int(row) + 1}
    if field:
        label = f"{label} {FIELDS.get(field, field)}"
    return label


def labelled_errors(errors: dict | None) -> list[tuple[str, str]]:
    """(label, message) pairs of a DomainValidationError's errors, each message once."""
    out, seen = [], set()
    for path, msgs in (errors or {}).items():
        label = path_label(path)
        for m in msgs if isinstance(msgs, list | tuple) else [msgs]:
            if str(m) not in seen:
                seen.add(str(m))
                out.append((label, str(m)))
    return out


def error_sentence(message, errors: dict | None, *, shown: set[str] | frozenset = frozenset()) -> str:
    """One message for the top of a page: the error and each field's message, labelled for people; messages the
    page already lists elsewhere (``shown``) are not repeated."""
    parts = [str(message)] if message else []
    for label, m in labelled_errors(errors):
        if m in shown:
            continue
        parts.append(gettext("%(field)s: %(message)s") % {"field": label, "message": m} if label else m)
    return " ".join(parts)


def _code_labels() -> dict[str, Any]:
    return {**dict(IndicatorType.choices), **dict(InputSource.choices), **dict(FlowDirection.choices)}


def _value_text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if hasattr(value, "as_tuple"):
        return tonnes_text(value)
    return str(value)


def diff_for_people(changes: list[dict]) -> list[dict]:
    """The report diff (reporting.selectors.report_diff, also served by the API) with codes and field names as people
    know them: "smelting_separation · PRND_OXIDE" → "冶炼分离 · PRND_OXIDE", "closing" → "期末库存"."""
    codes = _code_labels()
    out = []
    for c in changes:
        key = " · ".join(str(codes.get(p, p)) for p in str(c["key"]).split(" · ")) if c["section"] != "report" else ""
        field = str(FIELDS.get(c["field"], c["field"])) if c["field"] else ""

        def text(v):
            if isinstance(v, dict):
                return "；".join(f"{FIELDS.get(k, k)} {_value_text(x)}" for k, x in v.items())
            return _value_text(v)

        out.append({**c, "key_label": key, "field_label": field, "old_text": text(c["old"]), "new_text": text(c["new"])})
    return out
