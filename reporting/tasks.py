from celery import shared_task

from .ledger_totals import ledger_totals_compact as _compact


@shared_task(name="reporting.tasks.ledger_totals_compact", ignore_result=True)
def ledger_totals_compact() -> int:
    """Fold the shipment ledger roll-up's delta rows (reporting.ledger_totals)."""
    return _compact()
