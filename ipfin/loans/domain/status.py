"""Loan status: the five-category risk classification (五级分类) and the loan state machine.

Pure: no Django, no clock (`today` is passed in).

Five categories, from days past due. Source: 《商业银行金融资产风险分类办法》
(原中国银保监会、中国人民银行令2023年第1号, in force 1 July 2023), articles 9–12. Overdue days
set a *floor*: the bank may classify a loan worse on its own assessment, never better:
- art. 9: principal, interest or income overdue → at least 关注 (special mention), except a short
  overdue for operational or technical reasons (within 7 days);
- art. 10: overdue more than 90 days → at least 次级 (substandard);
- art. 11: overdue more than 270 days → at least 可疑 (doubtful);
- art. 12: overdue more than 360 days → 损失 (loss).

So by days past due alone: 0 → 正常; 1–90 → 关注; 91–270 → 次级; 271–360 → 可疑; 361+ → 损失
("more than 90 days" is 91 days and up: a loan exactly 90 days late is still 关注). 次级, 可疑 and
损失 are non-performing (不良); hence "90+ days past due is non-performing" reads as more than 90.

The loan life cycle (after Apache Fineract's explicit loan states): applied → approved → disbursed →
repaying → closed, with declined (from applied) and written_off (from disbursed or repaying).
Closing a loan is what asks the pledgee to release the pledge (a service's side effect).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from ipfin.common.workdays import WorkingCalendar
from ipfin.common.workflow import IllegalTransition, Workflow, WorkflowErrorCode
from ipfin.loans.domain.schedules import add_months

__all__ = [
    "ACTIVE_STATES",
    "FINAL_STATES",
    "NON_PERFORMING",
    "NPL_AFTER_DAYS",
    "OVERDUE_FLOORS",
    "SECURED_STATES",
    "TECHNICAL_OVERDUE_DAYS",
    "TRANSITIONS",
    "IllegalTransition",
    "LoanAction",
    "LoanErrorCode",
    "LoanState",
    "RiskCategory",
    "allowed_actions",
    "category_floor",
    "classify",
    "days_past_due",
    "is_non_performing",
    "next_state",
    "npl_hold",
    "overdue_cutoff",
    "payable_on",
    "release_due",
    "worse",
]


# --- five-category classification ----------------------------------------------------------------


class RiskCategory(StrEnum):
    NORMAL = "normal"  # 正常
    SPECIAL_MENTION = "special_mention"  # 关注
    SUBSTANDARD = "substandard"  # 次级
    DOUBTFUL = "doubtful"  # 可疑
    LOSS = "loss"  # 损失

    @property
    def label_zh(self) -> str:
        return _CATEGORY_ZH[self]

    @property
    def severity(self) -> int:
        """0 (正常) … 4 (损失): the order in which categories get worse."""
        return _SEVERITY[self]


_CATEGORY_ZH = {
    RiskCategory.NORMAL: "正常",
    RiskCategory.SPECIAL_MENTION: "关注",
    RiskCategory.SUBSTANDARD: "次级",
    RiskCategory.DOUBTFUL: "可疑",
    RiskCategory.LOSS: "损失",
}
_SEVERITY = {category: i for i, category in enumerate(RiskCategory)}

NON_PERFORMING: frozenset[RiskCategory] = frozenset(
    {RiskCategory.SUBSTANDARD, RiskCategory.DOUBTFUL, RiskCategory.LOSS}
)

# (more than this many days past due, at least this category), worst first. 办法 arts. 10–12.
OVERDUE_FLOORS: tuple[tuple[int, RiskCategory], ...] = (
    (360, RiskCategory.LOSS),
    (270, RiskCategory.DOUBTFUL),
    (90, RiskCategory.SUBSTANDARD),
    (0, RiskCategory.SPECIAL_MENTION),
)
# Non-performing by days past due alone: more than this many (办法 art. 10: 次级 from 91 days).
NPL_AFTER_DAYS = min(days for days, category in OVERDUE_FLOORS if category in NON_PERFORMING)
# 办法 art. 9: an overdue of at most 7 days for operational or technical reasons does not make a
# loan 关注.
TECHNICAL_OVERDUE_DAYS = 7


def payable_on(due_date: date, calendar: WorkingCalendar) -> date:
    """The last day an instalment due on `due_date` may be paid without being late: the due date
    itself, or, when it falls on a weekend or a statutory holiday, the first working day after
    (民法典 art. 203: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日 —
    the loan contracts' 遇节假日顺延). The schedule keeps the contract's due date; only lateness
    counts from this day: days past due, the overdue floor of the classification and penalty
    interest (no interest is added for the days moved)."""
    return calendar.working_day_from(due_date)


def overdue_cutoff(on: date, calendar: WorkingCalendar) -> date:
    """The latest due date of an instalment that is overdue on `on` if still unpaid: its payable
    day (`payable_on`) is before `on` exactly when its due date is on or before this day (the
    last working day before `on`). Queries compare the stored due dates with it."""
    return calendar.working_day_before(on)


def days_past_due(
    oldest_unpaid_due_date: date | None, today: date, calendar: WorkingCalendar
) -> int:
    """Days the oldest unpaid instalment is late on `today` (0: none unpaid, or not yet payable),
    counted from its payable day (`payable_on`, 民法典 art. 203): an instalment due on National
    Day and paid on the first working day after the holiday was never late."""
    if oldest_unpaid_due_date is None:
        return 0
    return max(0, (today - payable_on(oldest_unpaid_due_date, calendar)).days)


def category_floor(days: int, *, technical_overdue: bool = False) -> RiskCategory:
    """The least severe category a loan `days` past due may have.

    `technical_overdue`: the bank has recorded that the overdue has an operational or technical
    cause; within `TECHNICAL_OVERDUE_DAYS` it leaves the loan 正常 (办法 art. 9).
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"days past due must be a non-negative integer, got {days!r}")
    if technical_overdue and days <= TECHNICAL_OVERDUE_DAYS:
        return RiskCategory.NORMAL
    for threshold, category in OVERDUE_FLOORS:
        if days > threshold:
            return category
    return RiskCategory.NORMAL


def worse(a: RiskCategory, b: RiskCategory) -> RiskCategory:
    return a if a.severity >= b.severity else b


# 《商业银行金融资产风险分类办法》 (2023 No. 1), the upgrade of a non-performing asset
# (不良资产上调至正常类或关注类): only once the overdue principal, interest and charges are repaid
# in full and it has been repaid normally over at least its two latest consecutive repayment
# periods or six months, whichever is longer.
UPGRADE_PERIODS = 2
UPGRADE_MONTHS = 6


def npl_hold(
    *,
    current: RiskCategory | str,
    days: int,
    schedule: Sequence[tuple[date, date | None]],
    today: date,
    calendar: WorkingCalendar,
) -> RiskCategory | None:
    """次级 while a loan classified non-performing (`current`) may not yet go back to 正常 or 关注,
    else None (the overdue floor and the bank's assessment decide as ever).

    `schedule`: the loan's instalments as (due date, settled on or None). The arrears are repaid
    when none is overdue (`days` 0); they were cured on the latest day an instalment was settled
    after its payable day (`payable_on`). From then on, six months must have passed (`add_months`)
    and at least `UPGRADE_PERIODS` instalments fallen payable and been settled on time, whichever
    is longer (monthly periods: six months and two instalments). A loan never late (non-performing
    by the bank's own assessment, which it revises itself) or repaid in full is not held."""
    if RiskCategory(current) not in NON_PERFORMING:
        return None
    if all(settled is not None for _due, settled in schedule):
        return None  # repaid in full: nothing is left on the book to be non-performing
    if days > 0:
        return RiskCategory.SUBSTANDARD  # arrears still unpaid
    payable = [(payable_on(due, calendar), settled) for due, settled in schedule]
    late = [settled for last, settled in payable if settled is not None and settled > last]
    if not late:
        return None
    cured = max(late)
    on_time = sum(
        1
        for last, settled in payable
        if cured < last <= today and settled is not None and settled <= last
    )
    if on_time >= UPGRADE_PERIODS and add_months(cured, UPGRADE_MONTHS) <= today:
        return None
    return RiskCategory.SUBSTANDARD


def classify(
    days: int,
    *,
    assessed: RiskCategory | str | None = None,
    technical_overdue: bool = False,
    held: RiskCategory | None = None,
) -> RiskCategory:
    """The loan's category: the bank's own assessment, but never better than the overdue floor,
    nor than `held` (`npl_hold`: a non-performing loan not yet to be upgraded)."""
    floor = category_floor(days, technical_overdue=technical_overdue)
    if held is not None:
        floor = worse(floor, held)
    return floor if assessed is None else worse(floor, RiskCategory(assessed))


def is_non_performing(category_or_days: RiskCategory | str | int) -> bool:
    """不良: 次级, 可疑 or 损失; given days past due, more than 90 days."""
    if isinstance(category_or_days, str):  # a RiskCategory is a str too
        return RiskCategory(category_or_days) in NON_PERFORMING
    return category_floor(category_or_days) in NON_PERFORMING


# --- the loan state machine ----------------------------------------------------------------------


class LoanState(StrEnum):
    APPLIED = "applied"  # 已申请
    APPROVED = "approved"  # 已审批
    DECLINED = "declined"  # 已拒绝
    DISBURSED = "disbursed"  # 已放款
    REPAYING = "repaying"  # 还款中
    CLOSED = "closed"  # 已结清
    WRITTEN_OFF = "written_off"  # 已核销


class LoanAction(StrEnum):
    APPLY = "apply"
    APPROVE = "approve"
    DECLINE = "decline"
    DISBURSE = "disburse"
    REPAY = "repay"
    CLOSE = "close"
    WRITE_OFF = "write_off"


ACTIVE_STATES: frozenset[LoanState] = frozenset(
    {LoanState.APPLIED, LoanState.APPROVED, LoanState.DISBURSED, LoanState.REPAYING}
)
FINAL_STATES: frozenset[LoanState] = frozenset(
    {LoanState.DECLINED, LoanState.CLOSED, LoanState.WRITTEN_OFF}
)
# The states in which a loan's pledge still secures it (issue 13): from approval (the pledge is
# named and the principal committed) until it is repaid; a written-off loan too (核销 is 账销案存:
# the debt stands, and the pledge is what the bank may still realise, 民法典 art. 436). Within
# them a disbursed loan is secured while anything of it is owed (principal outstanding or an
# instalment unsettled): `ipfin.loans.selectors.secured_loans`.
SECURED_STATES: frozenset[LoanState] = frozenset(
    {LoanState.APPROVED, LoanState.DISBURSED, LoanState.REPAYING, LoanState.WRITTEN_OFF}
)

# (state before, action) -> state after; `None` is "no loan yet". Nothing else is allowed.
TRANSITIONS: dict[tuple[LoanState | None, LoanAction], LoanState] = {
    (None, LoanAction.APPLY): LoanState.APPLIED,
    (LoanState.APPLIED, LoanAction.APPROVE): LoanState.APPROVED,
    (LoanState.APPLIED, LoanAction.DECLINE): LoanState.DECLINED,
    (LoanState.APPROVED, LoanAction.DISBURSE): LoanState.DISBURSED,
    # The first repayment (partial, early or late) starts repaying; later ones keep it there.
    (LoanState.DISBURSED, LoanAction.REPAY): LoanState.REPAYING,
    (LoanState.REPAYING, LoanAction.REPAY): LoanState.REPAYING,
    # Closure once principal, interest and penalties are all repaid: the service checks the
    # amounts, then asks the pledgee to release the pledge.
    (LoanState.REPAYING, LoanAction.CLOSE): LoanState.CLOSED,
    # 核销: a loss written off, whether or not anything was ever repaid.
    (LoanState.DISBURSED, LoanAction.WRITE_OFF): LoanState.WRITTEN_OFF,
    (LoanState.REPAYING, LoanAction.WRITE_OFF): LoanState.WRITTEN_OFF,
}

_STATE_ZH = {
    LoanState.APPLIED: "已申请",
    LoanState.APPROVED: "已审批",
    LoanState.DECLINED: "已拒绝",
    LoanState.DISBURSED: "已放款",
    LoanState.REPAYING: "还款中",
    LoanState.CLOSED: "已结清",
    LoanState.WRITTEN_OFF: "已核销",
}
_ACTION_ZH = {
    LoanAction.APPLY: "申请",
    LoanAction.APPROVE: "审批通过",
    LoanAction.DECLINE: "拒绝",
    LoanAction.DISBURSE: "放款",
    LoanAction.REPAY: "还款",
    LoanAction.CLOSE: "结清",
    LoanAction.WRITE_OFF: "核销",
}


LoanErrorCode = WorkflowErrorCode

_WORKFLOW: Workflow[LoanState, LoanAction] = Workflow(
    state_type=LoanState,
    action_type=LoanAction,
    transitions=TRANSITIONS,
    state_zh=_STATE_ZH,
    action_zh=_ACTION_ZH,
    message_zh="贷款当前状态为“{state}”，不能{action}。",
    message_en="A loan in state {state} does not allow {action}.",
)


def next_state(state: LoanState | str | None, action: LoanAction | str) -> LoanState:
    """The state after `action`, or `IllegalTransition` (→ 409); `ValueError` for an unknown
    name."""
    return _WORKFLOW.next_state(state, action)


def allowed_actions(state: LoanState | str | None) -> frozenset[LoanAction]:
    return _WORKFLOW.allowed_actions(state)


def release_due(
    loan_state: str, pledge_state: str | None, other_active_loans: Sequence[int]
) -> bool:
    """A loan's pledge is due for release (注销登记) when the loan is closed, its pledge is still
    registered and no other active loan relies on the same registration."""
    return (
        loan_state == LoanState.CLOSED and pledge_state == "registered" and not other_active_loans
    )
