"""Events other apps subscribe to (in their AppConfig.ready()). Sent after the transaction commits.

- ``report_submitted(sender=MonthlyReport, report=<MonthlyReport>)``: a version was submitted (on time or late).
- ``report_accepted(sender=MonthlyReport, report=<MonthlyReport>)``: the county accepted a version; the
  allocations usage of its enterprise has already been recomputed in the same transaction.
- ``period_reopened(sender=PeriodCertification, certification=..., reason=...)``: a certified month re-opened.
"""

from django.dispatch import Signal

report_submitted = Signal()
report_accepted = Signal()
period_reopened = Signal()
