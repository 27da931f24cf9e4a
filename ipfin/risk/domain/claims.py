"""A compensation claim's life (风险补偿申请): the bank claims on its non-performing loan, the IP
office reviews it, the fund pays, and after the disposal the settlement posts.

Pure: no Django. Source: issue 12 ("A claim's life: the bank claims on a loan classified
non-performing → the office reviews (maker-checker: the reviewer is not the claimant) → the advance
is paid → after disposal the settlement posts") and DOMAIN.md ("风险补偿 ... front-loaded 前置:
advanced on default, settled after disposal"); the policy seeds 000-003 are not kept in ../shared.

The states and what moves them (one table, `ipfin.common.workflow`):

    filed ──approve──▶ approved ──pay──▶ awaiting_disposal ──settle──▶ settled ──pay──▶ closed
      └───reject───▶ rejected      └──settle (advance lapsed)──────────┘
                                                          └──▶ refund_due ──receive──▶ closed

- `approved`: a front-loaded advance is owed to the bank and waits for a second office user to
  release it (maker-checker: the approver never pays); the settlement waits for it. Once the
  advance has lapsed (`advance_lapsed`: the loan was repaid, its pledge sold, or it was
  reclassified since the approval, and an advance is paid only on a loan still non-performing)
  the claim is settled from here instead of paid, the settlement replacing the advance: the fund
  owes its final part, the advance never paid (before, such a claim could be neither paid,
  settled nor rejected, its advance owed on the books for good);
- `awaiting_disposal`: nothing is owed; the pledge is being disposed of;
- `settled`: the fund's final part exceeds the advance; the difference waits to be released.
- `refund_due`: the fund's final part is below the advance paid; the bank is to return the
  difference, and an office user records it once the fund has received it (`receive`).

A state that waits for a payment is passed over when there is nothing to pay (`next_state` with
`payable` 0): an approval without an advance (mode after_disposal, or nothing left to advance)
goes straight to `awaiting_disposal`, a settlement equal to the advance straight to `closed`; a
settlement below it (`payable` < 0) waits for the bank's return (`refund_due`).
A loan has at most one claim that is not rejected (`LIVE_STATES`).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from ipfin.common.workflow import IllegalTransition, Workflow
from ipfin.loans.domain.status import LoanState

__all__ = [
    "CLAIMABLE_LOAN_STATES",
    "LIVE_STATES",
    "ClaimAction",
    "ClaimState",
    "IllegalTransition",
    "allowed_actions",
    "next_state",
]


class ClaimState(StrEnum):
    FILED = "filed"
    REJECTED = "rejected"
    APPROVED = "approved"
    AWAITING_DISPOSAL = "awaiting_disposal"
    SETTLED = "settled"
    REFUND_DUE = "refund_due"
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        return _STATE_ZH[self]


class ClaimAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    PAY = "pay"
    SETTLE = "settle"
    RECEIVE = "receive"


_STATE_ZH = {
    ClaimState.FILED: "待审核",
    ClaimState.REJECTED: "未通过",
    ClaimState.APPROVED: "已批准，代偿款待拨付",
    ClaimState.AWAITING_DISPOSAL: "待处置结算",
    ClaimState.SETTLED: "已结算，补偿款待拨付",
    ClaimState.REFUND_DUE: "已结算，待银行退还代偿款",
    ClaimState.CLOSED: "已结清",
}
_ACTION_ZH = {
    ClaimAction.APPROVE: "批准",
    ClaimAction.REJECT: "驳回",
    ClaimAction.PAY: "拨付",
    ClaimAction.SETTLE: "结算",
    ClaimAction.RECEIVE: "确认收到退还款",
}

TRANSITIONS: dict[tuple[ClaimState | None, ClaimAction], ClaimState] = {
    (ClaimState.FILED, ClaimAction.APPROVE): ClaimState.APPROVED,
    (ClaimState.FILED, ClaimAction.REJECT): ClaimState.REJECTED,
    (ClaimState.APPROVED, ClaimAction.PAY): ClaimState.AWAITING_DISPOSAL,
    (ClaimState.AWAITING_DISPOSAL, ClaimAction.SETTLE): ClaimState.SETTLED,
    (ClaimState.SETTLED, ClaimAction.PAY): ClaimState.CLOSED,
    (ClaimState.REFUND_DUE, ClaimAction.RECEIVE): ClaimState.CLOSED,
}
# A state waiting for a payment → where the claim goes when there is nothing to pay.
_NOTHING_TO_PAY = {
    ClaimState.APPROVED: ClaimState.AWAITING_DISPOSAL,
    ClaimState.SETTLED: ClaimState.CLOSED,
}
# The loans a claim may be filed on: disbursed and not closed; a written-off loan is still claimed
# (核销 ends the bank's books on it, not the loss the fund shares). The service and the claim form
# read this one list.
CLAIMABLE_LOAN_STATES: frozenset[LoanState] = frozenset(
    {LoanState.DISBURSED, LoanState.REPAYING, LoanState.WRITTEN_OFF}
)
# Every state but `rejected`: a loan has at most one such claim.
LIVE_STATES: frozenset[ClaimState] = frozenset(ClaimState) - {ClaimState.REJECTED}

_WORKFLOW: Workflow[ClaimState, ClaimAction] = Workflow(
    state_type=ClaimState,
    action_type=ClaimAction,
    transitions=TRANSITIONS,
    state_zh=_STATE_ZH,
    action_zh=_ACTION_ZH,
    message_zh="补偿申请当前状态为“{state}”，不能{action}。",
    message_en="A compensation claim in state {state} does not allow {action}.",
)


def _settled_early(state: ClaimState | str | None, action: ClaimAction | str) -> bool:
    return state == ClaimState.APPROVED and action == ClaimAction.SETTLE


def next_state(
    state: ClaimState | str | None,
    action: ClaimAction | str,
    *,
    payable: Decimal = Decimal(0),
    advance_lapsed: bool = False,
) -> ClaimState:
    """The state after `action`, `payable` being what the fund then owes the bank on the claim
    (a waiting state is passed over when it is 0; negative, what the bank is to return of its
    advance: a settlement waits for it); `IllegalTransition` (→ 409) when the state does not
    allow the action. `advance_lapsed`: an approved claim's advance can no longer be paid, the
    claim is settled instead (see `approved` above)."""
    if advance_lapsed and _settled_early(state, action):
        after = ClaimState.SETTLED
    else:
        after = _WORKFLOW.next_state(state, action)
    if payable < 0 and after is ClaimState.SETTLED:
        return ClaimState.REFUND_DUE
    if payable <= 0 and after in _NOTHING_TO_PAY:
        return _NOTHING_TO_PAY[after]
    return after


def allowed_actions(
    state: ClaimState | str | None, *, advance_lapsed: bool = False
) -> frozenset[ClaimAction]:
    allowed = _WORKFLOW.allowed_actions(state)
    if advance_lapsed and state == ClaimState.APPROVED:
        return (allowed - {ClaimAction.PAY}) | {ClaimAction.SETTLE}
    return allowed
