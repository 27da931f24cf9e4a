"""What the loan services announce to the apps above them (guarantees, insurance), which the
loans app may not import: Django signals, sent inside the service's transaction, so that a
receiver's writes commit or roll back with the loan's.

- `loan_disbursed(sender=Loan, loan=...)`: the loan was disbursed (its `disbursed_on` set).
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["loan_disbursed"]

loan_disbursed = Signal()
