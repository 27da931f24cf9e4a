"""Five-category classification and the loan state machine. Pure: no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.workdays import PACKAGE_CALENDAR
from ipfin.loans.domain.status import (
    ACTIVE_STATES,
    FINAL_STATES,
    TRANSITIONS,
    IllegalTransition,
    LoanAction,
    LoanErrorCode,
    LoanState,
    RiskCategory,
    allowed_actions,
    category_floor,
    classify,
    days_past_due,
    is_non_performing,
    next_state,
    npl_hold,
    overdue_cutoff,
    payable_on,
    release_due,
)

N, SM, SS, DB, LS = (
    RiskCategory.NORMAL,
    RiskCategory.SPECIAL_MENTION,
    RiskCategory.SUBSTANDARD,
    RiskCategory.DOUBTFUL,
    RiskCategory.LOSS,
)


# --- five categories -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (0, N),
        (1, SM),  # 办法 art. 9: any overdue → at least 关注
        (90, SM),  # "超过90天" is more than 90: day 90 is still 关注
        (91, SS),  # art. 10
        (270, SS),
        (271, DB),  # art. 11: more than 270 days
        (360, DB),
        (361, LS),  # art. 12: more than 360 days
        (5000, LS),
    ],
)
def test_category_floor_at_each_threshold(days: int, expected: RiskCategory) -> None:
    assert category_floor(days) is expected


@pytest.mark.parametrize(("days", "expected"), [(1, N), (7, N), (8, SM), (91, SS)])
def test_technical_overdue_within_7_days_stays_normal(days: int, expected: RiskCategory) -> None:
    # 办法 art. 9: short overdue for operational or technical reasons (7 days) is excepted.
    assert category_floor(days, technical_overdue=True) is expected


def test_non_performing_is_more_than_90_days() -> None:
    assert [is_non_performing(d) for d in (0, 1, 90, 91, 271, 361)] == [
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert [is_non_performing(c) for c in RiskCategory] == [False, False, True, True, True]
    assert is_non_performing("doubtful")


def test_the_bank_may_classify_worse_never_better() -> None:
    assert classify(0, assessed=SS) is SS  # worse on the bank's own assessment
    assert classify(100, assessed=N) is SS  # never better than the overdue floor
    assert classify(100, assessed="loss") is LS
    assert classify(30) is SM


@given(a=st.integers(0, 2000), b=st.integers(0, 2000))
def test_more_days_never_a_better_category(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert category_floor(lo).severity <= category_floor(hi).severity


def test_days_past_due() -> None:
    today = date(2024, 6, 28)  # a Friday
    assert days_past_due(None, today, PACKAGE_CALENDAR) == 0
    assert days_past_due(date(2024, 7, 1), today, PACKAGE_CALENDAR) == 0  # not yet due
    assert days_past_due(date(2024, 6, 28), today, PACKAGE_CALENDAR) == 0  # due today: not late
    assert days_past_due(date(2024, 3, 28), today, PACKAGE_CALENDAR) == 92  # a Thursday


def test_days_past_due_count_from_the_working_day_after_a_holiday_minfadian_art_203() -> None:
    national_day = date(2025, 10, 1)  # 1–8 October 2025 off (National Day and Mid-Autumn)
    assert payable_on(national_day, PACKAGE_CALENDAR) == date(2025, 10, 9)
    assert days_past_due(national_day, date(2025, 10, 8), PACKAGE_CALENDAR) == 0
    assert days_past_due(national_day, date(2025, 10, 9), PACKAGE_CALENDAR) == 0  # paid in time
    assert days_past_due(national_day, date(2025, 10, 10), PACKAGE_CALENDAR) == 1
    # Due on Sunday 31 March 2024, payable on Monday 1 April: on 30 June it is 90 days late,
    # not 91, so still 关注 and not yet non-performing (办法 art. 10: more than 90 days).
    assert days_past_due(date(2024, 3, 31), date(2024, 6, 30), PACKAGE_CALENDAR) == 90
    assert category_floor(90) is SM
    # A Sunday worked instead (调休上班, 28 September 2025) is a working day: not moved.
    assert payable_on(date(2025, 9, 28), PACKAGE_CALENDAR) == date(2025, 9, 28)


def test_overdue_cutoff_is_the_last_working_day_before() -> None:
    # On 9 October 2025 an instalment due up to 30 September is late; one due on 1–8 October
    # (payable on the 9th) is not.
    assert overdue_cutoff(date(2025, 10, 9), PACKAGE_CALENDAR) == date(2025, 9, 30)


@given(
    due=st.dates(date(2023, 1, 1), date(2026, 12, 31)),
    later=st.integers(0, 400),
)
def test_days_past_due_against_the_cutoff(due: date, later: int) -> None:
    """Late on a day exactly when the due date is on or before that day's cutoff, and never more
    days late than counted from the due date itself."""
    today = due + timedelta(days=later)
    late = days_past_due(due, today, PACKAGE_CALENDAR)
    assert (late > 0) == (due <= overdue_cutoff(today, PACKAGE_CALENDAR))
    assert 0 <= late <= later


def test_labels_and_bad_input() -> None:
    assert [c.label_zh for c in RiskCategory] == ["正常", "关注", "次级", "可疑", "损失"]
    for bad in (-1, True, 1.5):
        with pytest.raises(ValueError):
            category_floor(bad)  # type: ignore[arg-type]


# --- the state machine ---------------------------------------------------------------------------


def test_happy_path() -> None:
    state = None
    path = [
        (LoanAction.APPLY, LoanState.APPLIED),
        (LoanAction.APPROVE, LoanState.APPROVED),
        (LoanAction.DISBURSE, LoanState.DISBURSED),
        (LoanAction.REPAY, LoanState.REPAYING),
        (LoanAction.REPAY, LoanState.REPAYING),
        (LoanAction.CLOSE, LoanState.CLOSED),
    ]
    for action, expected in path:
        state = next_state(state, action)
        assert state is expected


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (None, "apply", "applied"),
        ("applied", "approve", "approved"),
        ("applied", "decline", "declined"),
        ("approved", "disburse", "disbursed"),
        ("disbursed", "repay", "repaying"),
        ("repaying", "repay", "repaying"),
        ("repaying", "close", "closed"),
        ("disbursed", "write_off", "written_off"),
        ("repaying", "write_off", "written_off"),
    ],
)
def test_each_allowed_transition(state: str | None, action: str, expected: str) -> None:
    assert next_state(state, action) == expected
    assert LoanAction(action) in allowed_actions(state)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (None, "approve"),
        ("applied", "disburse"),  # never paid out unapproved
        ("approved", "repay"),
        ("disbursed", "close"),  # closing needs the repayments first
        ("applied", "write_off"),
        ("declined", "approve"),
        ("closed", "repay"),
        ("written_off", "repay"),
        ("repaying", "apply"),
    ],
)
def test_illegal_transitions_raise_with_a_stable_code(state: str | None, action: str) -> None:
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action)
    assert info.value.code is LoanErrorCode.ILLEGAL_TRANSITION
    assert info.value.message_zh and info.value.message_en
    assert info.value.message_zh != info.value.message_en


def test_illegal_transition_messages() -> None:
    with pytest.raises(IllegalTransition) as info:
        next_state("closed", "repay")
    assert info.value.message_zh == "贷款当前状态为“已结清”，不能还款。"
    assert info.value.message_en == "A loan in state closed does not allow repay."


def test_unknown_state_or_action_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        next_state("lost", "apply")
    with pytest.raises(ValueError):
        next_state("applied", "approve_twice")


@pytest.mark.parametrize("state", [None, *LoanState])
@pytest.mark.parametrize("action", list(LoanAction))
def test_transition_table_is_the_only_truth(state: LoanState | None, action: LoanAction) -> None:
    if (state, action) in TRANSITIONS:
        assert next_state(state, action) is TRANSITIONS[(state, action)]
        assert action in allowed_actions(state)
    else:
        with pytest.raises(IllegalTransition):
            next_state(state, action)
        assert action not in allowed_actions(state)


def test_final_states_have_no_way_out_and_active_states_do() -> None:
    assert set(LoanState) == ACTIVE_STATES | FINAL_STATES
    assert not ACTIVE_STATES & FINAL_STATES
    for state in FINAL_STATES:
        assert allowed_actions(state) == frozenset()
    for state in ACTIVE_STATES:
        assert allowed_actions(state)


@pytest.mark.parametrize(
    ("loan_state", "pledge_state", "others", "due"),
    [
        ("closed", "registered", [], True),
        ("closed", "registered", [7], False),  # another loan still relies on the registration
        ("closed", "released", [], False),
        ("closed", None, [], False),
        ("repaying", "registered", [], False),
        ("written_off", "registered", [], False),
    ],
)
def test_release_due_once_the_last_loan_on_the_pledge_is_closed(
    loan_state: str, pledge_state: str | None, others: list[int], due: bool
) -> None:
    assert release_due(loan_state, pledge_state, others) is due


# --- a non-performing loan's upgrade (风险分类办法: 不良资产上调) ---------------------------------

MONTHLY = [date(2025, m, 15) for m in range(2, 13)] + [date(2026, 1, 15)]


def _held(schedule: list[tuple[date, date | None]], today: date, days: int = 0) -> object:
    """npl_hold of a 次级 loan on `today`, its instalments as settled by then."""
    return npl_hold(
        current=RiskCategory.SUBSTANDARD,
        days=days,
        schedule=[(due, s if s is not None and s <= today else None) for due, s in schedule],
        today=today,
        calendar=PACKAGE_CALENDAR,
    )


def test_npl_upgrade_needs_arrears_paid_then_six_months_and_two_periods_on_time() -> None:
    """Instalments 1–3 (due 15 Feb–15 Apr) paid late on 30 May (cured), the rest on their days:
    held at 次级 until six months after the cure with two instalments on time since (30 Nov)."""
    cured = date(2025, 5, 30)
    schedule: list[tuple[date, date | None]] = [
        (due, cured if due < cured else due) for due in MONTHLY
    ]
    assert _held(schedule, today=cured, days=0) is RiskCategory.SUBSTANDARD  # the day it is paid
    assert _held(schedule, today=date(2025, 11, 29)) is RiskCategory.SUBSTANDARD  # < 6 months
    assert _held(schedule, today=date(2025, 11, 30)) is None  # six months, six on time
    # Still overdue: held whatever the time since.
    unpaid_last = [*schedule[:-1], (MONTHLY[-1], None)]
    assert _held(unpaid_last, today=date(2026, 1, 26), days=10) is RiskCategory.SUBSTANDARD
    # A performing loan, or one never late (non-performing by the bank's assessment): not held.
    assert (
        npl_hold(
            current=RiskCategory.SPECIAL_MENTION,
            days=0,
            schedule=schedule,
            today=cured,
            calendar=PACKAGE_CALENDAR,
        )
        is None
    )
    assert _held([(due, due) for due in MONTHLY], today=date(2025, 6, 1)) is None
    # Repaid in full on the day of the cure: nothing left on the book, nothing held.
    assert _held([(due, cured) for due in MONTHLY], today=cured) is None


def test_npl_upgrade_counts_only_instalments_paid_on_time_after_the_cure() -> None:
    """Six months after the cure but one instalment since paid late: that payment is the cure
    (the latest late settlement), and the six months start again from it."""
    schedule: list[tuple[date, date | None]] = [(due, date(2025, 5, 30)) for due in MONTHLY[:3]]
    schedule += [(due, due) for due in MONTHLY[3:6]]  # May–Jul on time
    schedule += [(MONTHLY[6], date(2025, 8, 25))]  # August's paid ten days late
    schedule += [(due, due) for due in MONTHLY[7:]]
    assert _held(schedule, today=date(2025, 12, 1)) is RiskCategory.SUBSTANDARD
    assert _held(schedule, today=date(2026, 2, 25)) is None  # six months from 25 Aug
    # Classification: held 次级 beats a floor of 正常, and a worse floor or assessment still wins.
    assert classify(0, held=RiskCategory.SUBSTANDARD) is RiskCategory.SUBSTANDARD
    assert classify(300, held=RiskCategory.SUBSTANDARD) is RiskCategory.DOUBTFUL
    assert classify(0, assessed="loss", held=RiskCategory.SUBSTANDARD) is RiskCategory.LOSS
