"""Writes of the loans app: the loan life cycle and interest subsidies.

- `origination`: `schedule_preview` (nothing saved), `loan_apply`;
- `approval`: `loan_approve`, `loan_decline`;
- `servicing`: `loan_disburse`, `loan_repay`, `loan_close`, `loan_classify`;
- `risk`: `loan_classify_manual` (the bank's own classification), `loan_write_off` (核销);
- `security`: `loan_security_waive` (放弃担保: the pledge released while the loan is owed);
- `subsidies`: `subsidy_claim_submit`, `subsidy_claim_review`, `subsidy_allocate`.

One function per transition of the state machine (`ipfin.loans.domain.status`). Each
service checks the permission, loads and locks the loan, asks the pure domain, saves, appends the
audit record (action "loan.<action>", state before and after) and notifies the other party
in-app. A refused action changes nothing.

Who does what:
- `loan_apply`: the enterprise for itself, its park on its behalf (both `Perm.DEMAND_FILE`), or
  the bank recording an application it received (`Perm.LOAN_MANAGE`, its own product only). The
  bank is the product's provider (or `bank_id` for a direct application without a product).
- `loan_approve`, `loan_decline`, `loan_disburse`, `loan_repay`, `loan_close`,
  `loan_classify_manual`, `loan_write_off`: the lending bank
  (`Perm.LOAN_MANAGE`); another bank gets a 404, as if the loan did not exist.
- `loan_classify`: the system (management command `classify_loans`), no actor.

Repayment and closure: a repayment that pays everything off leaves the loan repaid in full
(every instalment settled, no principal outstanding) but still `repaying`; closing it is the
bank's own act (`loan_close`), which checks that nothing is owed.

Closure and the pledge: `loan_close` does not release the pledge itself. 注销登记 is the pledgee's
own act with its own audit record (`ipfin.pledges.services.pledge_release`), and one registration
may secure more than one loan (最高额质押). So closing a loan notifies the pledgee bank, with the
pledge as the notification's object (its page has the release form), when no other active loan
relies on the same registration; the UI shows the bank the release prompt right after closing.

Import from here: `from ipfin.loans.services import loan_apply, subsidy_allocate`.
"""

from ipfin.loans.services.approval import loan_approve, loan_decline
from ipfin.loans.services.origination import loan_apply, schedule_preview
from ipfin.loans.services.risk import loan_classify_manual, loan_write_off
from ipfin.loans.services.security import loan_security_waive
from ipfin.loans.services.servicing import loan_classify, loan_close, loan_disburse, loan_repay
from ipfin.loans.services.subsidies import (
    eligible_interest,
    enterprise_eligibility,
    subsidy_allocate,
    subsidy_allocation_confirm,
    subsidy_allocation_discard,
    subsidy_claim_review,
    subsidy_claim_submit,
    subsidy_policy,
)

__all__ = [
    "eligible_interest",
    "enterprise_eligibility",
    "loan_apply",
    "loan_approve",
    "loan_classify",
    "loan_classify_manual",
    "loan_close",
    "loan_decline",
    "loan_disburse",
    "loan_repay",
    "loan_security_waive",
    "loan_write_off",
    "schedule_preview",
    "subsidy_allocate",
    "subsidy_allocation_confirm",
    "subsidy_allocation_discard",
    "subsidy_claim_review",
    "subsidy_claim_submit",
    "subsidy_policy",
]
