"""Events the allocations app announces to higher apps (they connect in their AppConfig.ready()).

``batch_issued(sender=IssuanceBatch, batch=<IssuanceBatch>)`` is sent inside the transaction that approved (=
issued) a batch, so receivers record their follow-up work (outbox rows) in that same transaction; e.g.
enforcement applies next-year deductions when a year's first batch is issued.
"""

from django.dispatch import Signal

batch_issued = Signal()
