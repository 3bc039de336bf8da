"""Events other apps subscribe to (in their AppConfig.ready()). Sent inside the transaction that made the change:
receivers record follow-up work as outbox rows in that transaction (the outbox publishes after the commit), so a
receiver must not do slow or external work itself, and its failure rolls the change back.

- ``report_submitted(sender=MonthlyReport, report=<MonthlyReport>)``: a version was submitted (on time or late).
- ``report_accepted(sender=MonthlyReport, report=<MonthlyReport>)``: the county accepted a version; the
  allocations usage of its enterprise has already been recomputed in the same transaction.
- ``period_reopened(sender=PeriodCertification, certification=..., reason=...)``: a certified month re-opened.
"""

from django.dispatch import Signal

report_submitted = Signal()
report_accepted = Signal()
period_reopened = Signal()
