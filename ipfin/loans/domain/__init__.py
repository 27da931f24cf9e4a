"""Loan rules: pure, typed, no Django import (house style, "Where logic lives").

- `status`: the loan life-cycle state machine and five-category classification (五级分类).
- `schedules`: repayment schedules (等额本息, 等额本金, 先息后本), day counts, accrued and penalty
  interest (the vocabulary `RepaymentMethod` / `DayCount` is financing's:
  `ipfin.financing.domain.terms`).
- `repayments`: penalty charges, the allocation waterfall, early repayment.
- `subsidy`: interest subsidy (贴息) awards, per-enterprise caps and pro-rata budget scaling.

The repayment names are re-exported here (`from ipfin.loans.domain import apply_repayment`).
"""

from ipfin.loans.domain.repayments import (
    Allocation,
    AllocationLine,
    InstalmentState,
    LoanTerms,
    amount_due,
    amount_to_settle,
    apply_repayment,
    charge_penalties,
    oldest_unpaid_due_date,
    outstanding_principal,
)

__all__ = [
    "Allocation",
    "AllocationLine",
    "InstalmentState",
    "LoanTerms",
    "amount_due",
    "amount_to_settle",
    "apply_repayment",
    "charge_penalties",
    "oldest_unpaid_due_date",
    "outstanding_principal",
]
