"""A compensation claim's states (ipfin.risk.domain.claims) and which loans a scheme covers
(ipfin.risk.domain.eligibility). Pure: no database.

Test names carry their source: `issue12` ("the bank claims on a loan classified non-performing →
the office reviews → the advance is paid → after disposal the settlement posts"), `seed000` (the
front-loaded advance, as DOMAIN.md and issue 12 state seeds 000-003), `minfadian_art1259` (以下
includes the figure)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ipfin.common.errors import ValidationFailed
from ipfin.risk.domain.claims import (
    LIVE_STATES,
    ClaimAction,
    ClaimState,
    IllegalTransition,
    allowed_actions,
    next_state,
)
from ipfin.risk.domain.eligibility import Eligibility, LoanFacts, eligibility_in, ineligible

D = Decimal
A, S = ClaimAction, ClaimState


# --- states --------------------------------------------------------------------------------------


def test_a_front_loaded_claim_is_approved_paid_settled_and_paid_again_issue12_seed000() -> None:
    state = next_state(S.FILED, A.APPROVE, payable=D("300000.00"))
    assert state is S.APPROVED  # the advance waits for the checker
    state = next_state(state, A.PAY)
    assert state is S.AWAITING_DISPOSAL
    state = next_state(state, A.SETTLE, payable=D("50000.00"))
    assert state is S.SETTLED  # the fund owes more: waits for the checker again
    assert next_state(state, A.PAY) is S.CLOSED


def test_nothing_to_pay_passes_over_the_waiting_state_issue12() -> None:
    # after_disposal, or a fund with nothing left: approved with no advance.
    assert next_state(S.FILED, A.APPROVE, payable=D(0)) is S.AWAITING_DISPOSAL
    # the settlement at or below the advance: nothing owed, the claim is done.
    assert next_state(S.AWAITING_DISPOSAL, A.SETTLE, payable=D(0)) is S.CLOSED


def test_a_settlement_below_the_advance_waits_for_the_banks_return_issue12_seed000() -> None:
    state = next_state(S.AWAITING_DISPOSAL, A.SETTLE, payable=D("-92800.00"))
    assert state is S.REFUND_DUE  # the bank is to return it: not closed until received
    assert allowed_actions(state) == {A.RECEIVE}
    assert next_state(state, A.RECEIVE) is S.CLOSED
    assert S.REFUND_DUE in LIVE_STATES  # the loan's claim is still live: no second claim


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.FILED, A.PAY),  # nothing is paid before the review
        (S.FILED, A.SETTLE),
        (S.APPROVED, A.SETTLE),  # the advance is paid before the settlement
        (S.APPROVED, A.APPROVE),
        (S.REJECTED, A.APPROVE),
        (S.AWAITING_DISPOSAL, A.PAY),
        (S.CLOSED, A.PAY),
        (S.CLOSED, A.SETTLE),
        (S.SETTLED, A.SETTLE),
        (S.SETTLED, A.RECEIVE),  # the fund owes the bank: nothing to receive
        (S.AWAITING_DISPOSAL, A.RECEIVE),
        (S.REFUND_DUE, A.PAY),  # the bank owes the fund: nothing to pay
        (S.REFUND_DUE, A.SETTLE),
        (S.CLOSED, A.RECEIVE),
    ],
)
def test_what_a_state_does_not_allow_is_refused_issue12(state: S, action: A) -> None:
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action, payable=D("1.00"))
    assert info.value.message_zh.startswith("补偿申请当前状态为")
    assert action not in allowed_actions(state)


def test_only_a_rejected_claim_leaves_the_loan_free_for_another() -> None:
    assert frozenset(S) - LIVE_STATES == {S.REJECTED}
    assert next_state(S.FILED, A.REJECT) is S.REJECTED
    assert allowed_actions(S.FILED) == {A.APPROVE, A.REJECT}


# --- eligibility ---------------------------------------------------------------------------------

LOAN = LoanFacts(bank_id=7, product_id=3, right_kinds=frozenset({"invention"}), principal=D("5e6"))


def test_no_condition_covers_every_loan() -> None:
    assert eligibility_in(None) == eligibility_in({}) == Eligibility()
    assert ineligible(Eligibility(), LOAN) == []
    assert Eligibility().as_json() == {}


def test_each_condition_both_ways_minfadian_art1259() -> None:
    rule = eligibility_in(
        {
            "bank_ids": [7, 9, 7],
            "product_ids": [3],
            "right_kinds": ["invention", "utility_model"],
            "max_principal": "5000000.00",  # 以下 includes the figure
        }
    )
    assert rule.as_json() == {
        "bank_ids": [7, 9],
        "product_ids": [3],
        "right_kinds": ["invention", "utility_model"],
        "max_principal": "5000000.00",
    }
    assert ineligible(rule, LOAN) == []
    other = LoanFacts(
        bank_id=8,
        product_id=None,
        right_kinds=frozenset({"invention", "trademark"}),
        principal=D("5000000.01"),
    )
    misses = ineligible(rule, other)
    assert [m.condition for m in misses] == [
        "bank_ids",
        "product_ids",
        "right_kinds",
        "max_principal",
    ]
    assert all(m.zh and m.en for m in misses)
    assert "trademark" in misses[2].en


def test_a_kinds_condition_is_not_met_by_a_loan_without_pledged_rights() -> None:
    rule = eligibility_in({"right_kinds": ["invention"]})
    bare = LoanFacts(bank_id=7, product_id=3, right_kinds=frozenset(), principal=D(1))
    assert [m.condition for m in ineligible(rule, bare)] == ["right_kinds"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([1], "eligibility"),
        ({"banks": [1]}, "eligibility.banks"),
        ({"bank_ids": []}, "eligibility.bank_ids"),
        ({"bank_ids": [True]}, "eligibility.bank_ids"),
        ({"bank_ids": ["1"]}, "eligibility.bank_ids"),
        ({"product_ids": 3}, "eligibility.product_ids"),
        ({"right_kinds": ["patent"]}, "eligibility.right_kinds"),
        ({"right_kinds": []}, "eligibility.right_kinds"),
    ],
)
def test_a_malformed_condition_is_a_422_naming_it(raw: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        eligibility_in(raw)
    assert (info.value.code, info.value.extra["field"]) == ("eligibility_invalid", field)


def test_a_bad_ceiling_is_the_input_layers_amount_refusal() -> None:
    with pytest.raises(ValidationFailed) as info:
        eligibility_in({"max_principal": "1.234"})
    assert (info.value.code, info.value.extra["field"]) == (
        "amount_invalid",
        "eligibility.max_principal",
    )
