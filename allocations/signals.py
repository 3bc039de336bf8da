"""Events the allocations app announces to higher apps (they connect in their AppConfig.ready()).

``batch_issued(sender=IssuanceBatch, batch=<IssuanceBatch>)`` is sent after the commit of the transaction that
approved (= issued) a batch; e.g. enforcement applies next-year deductions when a year's first batch is issued.
"""

from django.dispatch import Signal

batch_issued = Signal()
