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
from django.utils.translation import gettext, pgettext_lazy

from quota_portal.formatting import DASH, datetime_text

from .models import AuditEntry, IndicatorType

ENTITIES = {
    "adjustment": pgettext_lazy("audit", "Adjustment"),
    "authority": pgettext_lazy("audit", "Authority"),
    "batch": pgettext_lazy("audit", "Issuance batch"),
    "breakdown": pgettext_lazy("audit", "Group breakdown"),
    "case": pgettext_lazy("audit", "Case"),
    "deduction": pgettext_lazy("audit", "Deduction"),
    "enterprise": pgettext_lazy("audit", "Enterprise"),
    "flag": pgettext_lazy("audit", "Flag"),
    "group": pgettext_lazy("audit", "Enterprise group"),
    "licence": pgettext_lazy("audit", "Licence"),
    "membership": pgettext_lazy("audit", "Membership"),
    "penalty": pgettext_lazy("audit", "Penalty"),
    "period": pgettext_lazy("audit", "Period certification"),
    "plan": pgettext_lazy("audit", "National plan"),
    "report": pgettext_lazy("audit", "Monthly report"),
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


def _value(value: Any, field=None) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
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
        label = str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else str(
            KEYS.get(key, key))
        items.append((label, _value(value, field)))
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
