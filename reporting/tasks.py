from celery import shared_task

from allocations.usage_totals import usage_totals_compact

from .ledger_totals import ledger_totals_compact


@shared_task(name="reporting.tasks.rollups_compact", ignore_result=True)
def rollups_compact() -> int:
    """Fold the delta rows of the trigger-kept roll-ups: shipment totals (reporting.ledger_totals) and national
    monthly usage (allocations.usage_totals)."""
    return ledger_totals_compact() + usage_totals_compact()
