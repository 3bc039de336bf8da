"""The audit trail as people read it: what happened to which object, and what changed, in the reader's language.

Entries are stored as written (action codes, model labels, JSON snapshots — the hash chain covers them); this module
only translates them at display: ``report.submit`` → "月报：提交", ``reporting.MonthlyReport#12`` → "月报 #12",
``{"status": "accepted", "late": false}`` → "状态：已受理；逾期：否"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy

from quota_portal.formatting import DASH, as_decimal, datetime_text, money_text, tonnes_text

from .models import AuditEntry, IndicatorType

ENTITIES = {
    "adjustment": pgettext_lazy("audit", "Adjustment"),
    "annual": pgettext_lazy("audit", "Annual report"),
    "authority": pgettext_lazy("audit", "Authority"),
    "batch": pgettext_lazy("audit", "Issuance batch"),
    "breakdown": pgettext_lazy("audit", "Group breakdown"),
    "capacity": pgettext_lazy("audit", "Capacity record"),
    "case": pgettext_lazy("audit", "Case"),
    "correction": pgettext_lazy("audit", "Correction request"),
    "deduction": pgettext_lazy("audit", "Deduction"),
    "designation": pgettext_lazy("audit", "Designation"),
    "enterprise": pgettext_lazy("audit", "Enterprise"),
    "flag": pgettext_lazy("audit", "Flag"),
    "group": pgettext_lazy("audit", "Enterprise group"),
    "hearing": pgettext_lazy("audit", "Hearing"),
    "invitation": pgettext_lazy("audit", "Invitation"),
    "licence": pgettext_lazy("audit", "Licence"),
    "membership": pgettext_lazy("audit", "Membership"),
    "password": pgettext_lazy("audit", "Password"),
    "penalty": pgettext_lazy("audit", "Penalty"),
    "period": pgettext_lazy("audit", "Period certification"),
    "permit": pgettext_lazy("audit", "Permit"),
    "plan": pgettext_lazy("audit", "National plan"),
    "publication": pgettext_lazy("audit", "Publication"),
    "register_import": pgettext_lazy("audit", "Register import"),
    "report": pgettext_lazy("audit", "Monthly report"),
    "shipment": pgettext_lazy("audit", "Shipment"),
    "supplementary": pgettext_lazy("audit", "Supplementary report"),
    "user": pgettext_lazy("audit", "User"),
    "year": pgettext_lazy("audit", "Annual certification"),
    "bench": pgettext_lazy("audit", "Load test"),
}

VERBS = {
    "approve": pgettext_lazy("audit", "approved"),
    "propose": pgettext_lazy("audit", "proposed"),
    "upsert": pgettext_lazy("audit", "recorded"),
    "draft": pgettext_lazy("audit", "drafted"),
    "line_add": pgettext_lazy("audit", "line added"),
    "line_remove": pgettext_lazy("audit", "line removed"),
    "return": pgettext_lazy("audit", "returned"),
    "submit": pgettext_lazy("audit", "submitted"),
    "update": pgettext_lazy("audit", "updated"),
    "file": pgettext_lazy("audit", "filed"),
    "close": pgettext_lazy("audit", "closed"),
    "open": pgettext_lazy("audit", "opened"),
    "order_correction": pgettext_lazy("audit", "correction ordered"),
    "record_correction": pgettext_lazy("audit", "correction recorded"),
    "record": pgettext_lazy("audit", "recorded"),
    "stop_rectify": pgettext_lazy("audit", "ordered to stop and rectify"),
    "create": pgettext_lazy("audit", "created"),
    "set": pgettext_lazy("audit", "set"),
    "decide": pgettext_lazy("audit", "decided"),
    "reject": pgettext_lazy("audit", "rejected"),
    "statement": pgettext_lazy("audit", "statement received"),
    "certify": pgettext_lazy("audit", "certified"),
    "reopen": pgettext_lazy("audit", "re-opened"),
    "revise": pgettext_lazy("audit", "revised"),
    "accept": pgettext_lazy("audit", "accepted"),
    "amend": pgettext_lazy("audit", "amended"),
    "attach": pgettext_lazy("audit", "attachment added"),
    "resolve": pgettext_lazy("audit", "resolved"),
    "read": pgettext_lazy("audit", "read by another organisation"),
    "export": pgettext_lazy("audit", "exported by another organisation"),
    "attachment_download": pgettext_lazy("audit", "attachment downloaded by another organisation"),
    "declare": pgettext_lazy("audit", "declared"),
    "dispatch": pgettext_lazy("audit", "dispatched"),
    "confirm": pgettext_lazy("audit", "receipt confirmed"),
    "dispute": pgettext_lazy("audit", "disputed"),
    "waive": pgettext_lazy("audit", "right waived"),
    "request": pgettext_lazy("audit", "requested"),
    "schedule": pgettext_lazy("audit", "scheduled"),
    "annul": pgettext_lazy("audit", "annulled"),
    "paid": pgettext_lazy("audit", "paid"),
    "review_file": pgettext_lazy("audit", "administrative review filed"),
    "review_decide": pgettext_lazy("audit", "administrative review decided"),
    "escalate": pgettext_lazy("audit", "escalated"),
    "year_corrected": pgettext_lazy("audit", "deduction year corrected"),
    "reverse": pgettext_lazy("audit", "reversed"),
    "register": pgettext_lazy("audit", "registered"),
    "role": pgettext_lazy("audit", "role changed"),
    "grant": pgettext_lazy("audit", "granted"),
    "refuse": pgettext_lazy("audit", "refused"),
    "publish": pgettext_lazy("audit", "published"),
    "deactivate": pgettext_lazy("audit", "deactivated"),
    "reset_requested": pgettext_lazy("audit", "reset requested"),
    "write": pgettext_lazy("audit", "written"),
}

# keys of snapshots that are not a field of the model
KEYS = {
    "lines": pgettext_lazy("audit", "lines"),
    "flags": pgettext_lazy("audit", "flags"),
    "deadline": pgettext_lazy("audit", "deadline"),
    "shares": pgettext_lazy("audit", "shares"),
    "line": pgettext_lazy("audit", "allocation line"),
    "late": pgettext_lazy("audit", "late"),
    "deductions": pgettext_lazy("audit", "deductions"),
    "attachments": pgettext_lazy("audit", "attachments"),
    "waived": pgettext_lazy("audit", "waived"),
    "certified": pgettext_lazy("audit", "certified"),
    "superseded": pgettext_lazy("audit", "superseded versions"),
    "warnings": pgettext_lazy("audit", "warnings"),
    "attachment": pgettext_lazy("audit", "attachment"),
    "filename": pgettext_lazy("audit", "file name"),
    "size": pgettext_lazy("audit", "size (bytes)"),
    "flow_line": pgettext_lazy("audit", "flow line"),
    "nil": pgettext_lazy("audit", "nil report"),
    "comment": pgettext_lazy("audit", "comment"),
    "reason": pgettext_lazy("audit", "reason"),
    "breakdown_due": pgettext_lazy("audit", "breakdown due"),
    "deduction_year": pgettext_lazy("audit", "deduction year"),
    "consideration": pgettext_lazy("audit", "consideration of the statement"),
    "rule": pgettext_lazy("audit", "penalty rule"),
    "sequence": pgettext_lazy("audit", "sequence"),
    "at": pgettext_lazy("audit", "time"),
    "attested_by": pgettext_lazy("audit", "attested by"),
    "received_t": pgettext_lazy("audit", "received (t REO)"),
    "received_date": pgettext_lazy("audit", "date received"),
    "capacity_reason": pgettext_lazy("audit", "reason for exceeding capacity"),
    "capacity_warnings": pgettext_lazy("audit", "capacity warnings"),
    "authority": pgettext_lazy("audit", "authority"),
    "enterprise": pgettext_lazy("audit", "enterprise"),
    "enterprises": pgettext_lazy("audit", "enterprises"),
    "group": pgettext_lazy("audit", "enterprise group"),
    "supersedes": pgettext_lazy("audit", "replaces"),
    "version": pgettext_lazy("audit", "version"),
    "previous_version": pgettext_lazy("audit", "previous version"),
    "via": pgettext_lazy("audit", "accessed through"),
    "user": pgettext_lazy("audit", "user"),
    "username": pgettext_lazy("audit", "user name"),
    "role": pgettext_lazy("audit", "role"),
    "email": pgettext_lazy("audit", "e-mail"),
    "is_active": pgettext_lazy("audit", "active"),
    "manages_staff": pgettext_lazy("audit", "manages staff"),
    "year": pgettext_lazy("audit", "year"),
    "month": pgettext_lazy("audit", "month"),
    "escalated_from": pgettext_lazy("audit", "escalated from case"),
    "reverses_penalty_id": pgettext_lazy("audit", "reverses penalty"),
    "rows": pgettext_lazy("audit", "rows"),
    "import": pgettext_lazy("audit", "import"),
    "key": pgettext_lazy("audit", "object"),
    "tokens": pgettext_lazy("audit", "API tokens"),
    "sessions": pgettext_lazy("audit", "sessions"),
}

# values of snapshot keys that are codes, as people read them
VALUES = {
    "via": {"page": pgettext_lazy("audit", "web page"), "api": pgettext_lazy("audit", "API")},
}

HIDDEN_KEYS = {"sha256"}


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor: str
    action: str
    object: str
    before: list[tuple[str, str]]
    after: list[tuple[str, str]]


def action_label(action: str) -> str:
    entity, _sep, verb = action.partition(".")
    if entity in ENTITIES and verb in VERBS:
        return gettext("%(entity)s: %(verb)s") % {"entity": ENTITIES[entity], "verb": VERBS[verb]}
    return action


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_label(object_type: str, object_id: str) -> str:
    model = _model(object_type)
    name = str(model._meta.verbose_name) if model is not None else object_type
    return f"{name} #{object_id}"


def _field(model, key: str):
    if model is None:
        return None
    for name in (key, key.removesuffix("_id")):
        try:
            return model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
    return None


def _value(value: Any, field=None, key: str = "") -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if key in VALUES and isinstance(value, str):
        return str(VALUES[key].get(value, value))
    if isinstance(field, models.DecimalField) and as_decimal(value) is not None:
        return money_text(value) if field.decimal_places == 2 else tonnes_text(value, field.decimal_places)
    if key.endswith("_t") and as_decimal(value) is not None:
        return tonnes_text(value)
    if isinstance(value, list):
        return gettext("%(n)s item(s)") % {"n": len(value)}
    if isinstance(value, dict):
        types = dict(IndicatorType.choices)
        return "；".join(f"{types.get(k, k)} {_value(v)}" for k, v in value.items())
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
        return datetime_text(value)
    return str(value)


def snapshot_items(object_type: str, snapshot: Any) -> list[tuple[str, str]]:
    """A JSON snapshot as (label, value) pairs in the reader's language."""
    if snapshot is None:
        return []
    if not isinstance(snapshot, dict):
        return [("", _value(snapshot))]
    model = _model(object_type)
    items = []
    for key, value in snapshot.items():
        if key in HIDDEN_KEYS:
            continue
        field = _field(model, key)
        # a field's own (translated) name first; a field without one reads as its code, so the snapshot's words then
        if field is not None and isinstance(getattr(field, "verbose_name", None), Promise):
            label = str(field.verbose_name)
        elif key in KEYS:
            label = str(KEYS[key])
        elif field is not None and hasattr(field, "verbose_name"):
            label = str(field.verbose_name)
        else:
            label = key
        items.append((label, _value(value, field, key)))
    return items


def audit_rows(entries) -> list[AuditRow]:
    """Display rows for a page of entries: one query for the actors' names, whatever the number of entries."""
    entries = list(entries)
    names = {u.pk: (u.get_full_name() or u.first_name or u.username)
             for u in get_user_model().objects.filter(pk__in={e.actor_id for e in entries if e.actor_id})}
    return [AuditRow(entry=e, actor=names.get(e.actor_id) or e.actor_username or DASH, action=action_label(e.action),
                     object=object_label(e.object_type, e.object_id),
                     before=snapshot_items(e.object_type, e.before), after=snapshot_items(e.object_type, e.after))
            for e in entries]
