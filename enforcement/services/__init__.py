"""Writes of the enforcement app: the scheduled scans that raise flags, the reminders, the case and penalty
workflow, and the exactly-once application of next-year deductions — one module per concern, re-exported here
so callers keep writing ``from enforcement import services`` and ``services.case_open(...)``.

The pure reads the penalty services use (rule in force, fine warnings, default deductions) live in
``enforcement.selectors`` and are re-exported here for the callers that used to find them in this module.
"""

from ..selectors import penalty_default_deductions, penalty_fine_warnings, penalty_rule_in_force
from .cases import case_close, case_open, case_order_correction, case_record_correction, flag_resolve
from .deductions import deduction_apply_waiting
from .jobs import Progress
from .ledger import flag_scan_flows, flag_scan_ledger
from .penalties import penalty_approve, penalty_decide, penalty_propose, penalty_reject, statement_submit
from .procedure import (
    case_escalate,
    correct_legacy_deduction_years,
    decision_document,
    deduction_reverse_annulled,
    flag_scan_annual_reports,
    hearing_record,
    hearing_request,
    hearing_schedule,
    payment_record,
    payment_reminders_send,
    review_decide,
    review_file,
)
from .reminders import reminder_send_deadlines, reminder_send_returned
from .scans import flag_scan_late_reports, flag_scan_quota_usage

__all__ = [
    "Progress",
    "case_close",
    "case_escalate",
    "correct_legacy_deduction_years",
    "decision_document",
    "deduction_reverse_annulled",
    "flag_scan_annual_reports",
    "hearing_record",
    "hearing_request",
    "hearing_schedule",
    "payment_record",
    "payment_reminders_send",
    "review_decide",
    "review_file",
    "case_open",
    "case_order_correction",
    "case_record_correction",
    "deduction_apply_waiting",
    "flag_resolve",
    "flag_scan_flows",
    "flag_scan_ledger",
    "flag_scan_late_reports",
    "flag_scan_quota_usage",
    "penalty_approve",
    "penalty_decide",
    "penalty_default_deductions",
    "penalty_fine_warnings",
    "penalty_propose",
    "penalty_reject",
    "penalty_rule_in_force",
    "reminder_send_deadlines",
    "reminder_send_returned",
    "statement_submit",
]
