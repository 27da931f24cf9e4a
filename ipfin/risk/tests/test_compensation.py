"""Risk sharing and compensation (ipfin.risk.domain.compensation): the advance, the proceeds
waterfall, the loss split and the settlement, worked by hand and as properties. Pure: no database.

Test names carry their source: `seed000` (the risk-compensation fund of the policy seeds 000-003,
as DOMAIN.md and issue 12 state it), `minfadian_art561` (costs, then interest, then principal),
`minfadian_art438` (the surplus is the pledgor's)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.common.money import MAX_AMOUNT
from ipfin.risk.domain.compensation import (
    PARTIES,
    ByParty,
    Compensation,
    CompensationCase,
    compensate,
)
from ipfin.risk.domain.ratios import MAX_PLACES

D = Decimal
SHARES = ByParty(fund=D("0.4"), bank=D("0.3"), guarantor=D("0.2"), insurer=D("0.1"))
QUARTERS = ByParty(fund=D("0.25"), bank=D("0.25"), guarantor=D("0.25"), insurer=D("0.25"))


def case(**kw: Any) -> CompensationCase:
    base: dict[str, Any] = {
        "mode": "front_loaded",
        "principal": D("1000000.00"),
        "interest": D("50000.00"),
        "shares": SHARES,
        "fund_balance": D("5000000.00"),
        "fund_cap_per_loan": D("300000.00"),
    }
    return CompensationCase(**{**base, **kw})


def parts(result: Compensation) -> tuple[Decimal, ...]:
    assert result.shares is not None
    return tuple(getattr(result.shares, p) for p in PARTIES)


def refused(**kw: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        compensate(case(**kw))
    return info.value


# --- worked examples ------------------------------------------------------------------------------


def test_front_loaded_advance_then_settlement_after_disposal_seed000_minfadian_art561() -> None:
    # advance = min(0.4 × 1,000,000.00, cap 300,000.00, balance 5,000,000.00) = 300,000.00
    # proceeds 600,000.00: costs 30,000.00, interest 50,000.00, principal 520,000.00, pledgor 0
    # loss = 1,000,000.00 − 520,000.00 = 480,000.00 → 192,000 / 144,000 / 96,000 / 48,000
    # settlement = 192,000.00 − 300,000.00 = −108,000.00: the bank returns that to the fund.
    result = compensate(case(proceeds=D("600000.00"), disposal_costs=D("30000.00")))
    assert result.advance == D("300000.00")
    assert result.proceeds is not None
    assert (
        result.proceeds.costs,
        result.proceeds.interest,
        result.proceeds.principal,
        result.proceeds.pledgor,
    ) == (D("30000.00"), D("50000.00"), D("520000.00"), D("0.00"))
    assert result.loss == D("480000.00")
    assert parts(result) == (D("192000.00"), D("144000.00"), D("96000.00"), D("48000.00"))
    assert result.settlement == D("-108000.00")


def test_at_a_settlement_the_advance_paid_stands_and_the_loss_is_on_what_is_owed_then() -> None:
    # The advance of 300,000.00 was paid on 1,000,000.00; the borrower has since repaid down to
    # 200,000.00 and no interest is unpaid: proceeds 150,000.00 leave a loss of 50,000.00, the
    # fund's part 20,000.00, and the bank returns 280,000.00 of the advance.
    result = compensate(
        case(
            principal=D("200000.00"),
            interest=D("0.00"),
            proceeds=D("150000.00"),
            advance_paid=D("300000.00"),
        )
    )
    assert result.advance == D("300000.00") and result.loss == D("50000.00")
    assert parts(result)[0] == D("20000.00") and result.settlement == D("-280000.00")


def test_after_disposal_advances_nothing_and_the_fund_pays_its_capped_part_seed000() -> None:
    # loss 1,800,000.00: fund 0.5 → 900,000.00, capped at 500,000.00; the 400,000.00 excess is
    # the bank's: 540,000.00 + 400,000.00. settlement = 500,000.00 − 0.00.
    shares = ByParty(fund=D("0.5"), bank=D("0.3"), guarantor=D("0.1"), insurer=D("0.1"))
    result = compensate(
        case(
            mode="after_disposal",
            principal=D("2000000"),
            interest=D("0"),
            shares=shares,
            fund_cap_per_loan=D("500000"),
            proceeds=D("200000"),
        )
    )
    assert result.advance == D("0.00")
    assert result.loss == D("1800000.00")
    assert parts(result) == (D("500000.00"), D("940000.00"), D("180000.00"), D("180000.00"))
    assert result.settlement == D("500000.00")


def test_the_cap_that_does_not_bind_changes_nothing_seed000() -> None:
    # proceeds 600,000.00, no costs: interest 50,000.00, principal 550,000.00; loss 450,000.00,
    # the fund's 0.4 of it 180,000.00: a cap of exactly that does not bind.
    capped = compensate(case(fund_cap_per_loan=D("180000.00"), proceeds=D("600000.00")))
    uncapped = compensate(case(fund_cap_per_loan=None, proceeds=D("600000.00")))
    assert capped.shares == uncapped.shares
    assert uncapped.shares is not None and uncapped.shares.fund == D("180000.00")
    # One fen lower and the fund's part is cut by that fen, the bank's grows by it.
    lower = compensate(case(fund_cap_per_loan=D("179999.99"), proceeds=D("600000.00")))
    assert lower.shares is not None and uncapped.shares is not None
    assert lower.shares.fund == uncapped.shares.fund - D("0.01")
    assert lower.shares.bank == uncapped.shares.bank + D("0.01")


def test_the_advance_is_the_funds_part_of_the_principal_split_as_a_loss_is_seed000() -> None:
    # 0.5 × 0.05 = 0.025: the fen left over goes to the fund (equal remainders: the fund first).
    half = ByParty(fund=D("0.5"), bank=D("0.5"), guarantor=D(0), insurer=D(0))
    assert compensate(case(principal=D("0.05"), shares=half)).advance == D("0.03")
    assert compensate(case(principal=D("0.04"), shares=half)).advance == D("0.02")
    # Quotas 2.6, 3.7, 3.7 fen: the two fen left over go to the larger remainders, so the fund's
    # part is 0.02, and so is the advance (half up it was 0.03, then settled at -0.01).
    smaller = ByParty(fund=D("0.26"), bank=D("0.37"), guarantor=D("0.37"), insurer=D(0))
    assert compensate(case(principal=D("0.10"), shares=smaller)).advance == D("0.02")
    # Quotas 0.4, 0.3, 0.3 fen: the one fen goes to the fund (half up it was 0.00, then +0.01).
    larger = ByParty(fund=D("0.4"), bank=D("0.3"), guarantor=D("0.3"), insurer=D(0))
    assert compensate(case(principal=D("0.01"), shares=larger)).advance == D("0.01")
    for shares, principal in ((smaller, D("0.10")), (larger, D("0.01"))):
        advanced = compensate(case(principal=principal, shares=shares)).advance
        settled = compensate(
            case(principal=principal, shares=shares, advance_paid=advanced, proceeds=D(0))
        )
        assert settled.settlement == D("0.00")


def test_the_advance_is_bounded_by_the_cap_and_by_the_balance_seed000() -> None:
    assert compensate(case(fund_cap_per_loan=None)).advance == D("400000.00")
    assert compensate(case()).advance == D("300000.00")
    assert compensate(case(fund_balance=D("1234.56"))).advance == D("1234.56")
    assert compensate(case(fund_balance=D("0"))).advance == D("0.00")


def test_equal_remainders_go_to_the_fund_then_the_bank_then_the_guarantor_seed000() -> None:
    # Quarters of 0.05: 1.25 fen each → 1 fen each, the fifth to the fund (first in order).
    # Quarters of 0.07: 1.75 fen each → 1 fen each, three more to fund, bank, guarantor.
    def split(loss: str) -> tuple[Decimal, ...]:
        return parts(
            compensate(
                case(
                    mode="after_disposal",
                    principal=D(loss),
                    shares=QUARTERS,
                    fund_cap_per_loan=None,
                    proceeds=D(0),
                )
            )
        )

    assert split("0.05") == (D("0.02"), D("0.01"), D("0.01"), D("0.01"))
    assert split("0.07") == (D("0.02"), D("0.02"), D("0.02"), D("0.01"))
    assert split("0.03") == (D("0.01"), D("0.01"), D("0.01"), D("0.00"))


def test_the_larger_remainder_wins_before_the_order_seed000() -> None:
    # Loss 0.10 at 0.33 / 0.33 / 0.34 / 0: quotas 3.3, 3.3, 3.4 fen → 3, 3, 3 and the tenth fen
    # to the guarantor's larger remainder (0.4), not to the fund.
    shares = ByParty(fund=D("0.33"), bank=D("0.33"), guarantor=D("0.34"), insurer=D(0))
    result = compensate(
        case(mode="after_disposal", principal=D("0.10"), shares=shares, proceeds=D(0))
    )
    assert parts(result) == (D("0.03"), D("0.03"), D("0.04"), D("0.00"))


def test_what_exceeds_the_debt_goes_back_to_the_pledgor_minfadian_art438() -> None:
    # 1,200,000.00 − 30,000.00 costs − 50,000.00 interest − 1,000,000.00 principal = 120,000.00.
    result = compensate(case(proceeds=D("1200000.00"), disposal_costs=D("30000.00")))
    assert result.proceeds is not None
    assert result.proceeds.pledgor == D("120000.00")
    assert result.loss == D("0.00")
    assert parts(result) == (D("0.00"),) * 4
    assert result.settlement == D("-300000.00")  # the whole advance comes back
    # Exactly enough: nothing for the pledgor.
    exact = compensate(case(proceeds=D("1080000.00"), disposal_costs=D("30000.00")))
    assert exact.proceeds is not None and exact.proceeds.pledgor == D("0.00")
    assert exact.loss == D("0.00")


def test_costs_come_first_then_interest_then_principal_minfadian_art561() -> None:
    # Proceeds below the costs: all of it to the costs, the whole principal is lost.
    low = compensate(case(proceeds=D("10000.00"), disposal_costs=D("30000.00")))
    assert low.proceeds is not None
    assert (low.proceeds.costs, low.proceeds.interest, low.proceeds.principal) == (
        D("10000.00"),
        D("0.00"),
        D("0.00"),
    )
    assert low.loss == D("1000000.00")
    # Between costs and costs + interest: the interest takes the rest, principal nothing.
    mid = compensate(case(proceeds=D("60000.00"), disposal_costs=D("30000.00")))
    assert mid.proceeds is not None
    assert (mid.proceeds.interest, mid.proceeds.principal) == (D("30000.00"), D("0.00"))
    # No costs given with the proceeds: 0.00.
    none = compensate(case(proceeds=D("60000.00")))
    assert none.proceeds is not None
    assert (none.proceeds.costs, none.proceeds.interest, none.proceeds.principal) == (
        D("0.00"),
        D("50000.00"),
        D("10000.00"),
    )


def test_before_disposal_only_the_advance_is_known_seed000() -> None:
    result = compensate(case())
    assert result == Compensation(
        advance=D("300000.00"), proceeds=None, loss=None, shares=None, settlement=None
    )
    # Proceeds of 0.00 are a disposal that recovered nothing: the loss is the whole principal.
    # The fund's 400,000.00 is capped at 300,000.00, all of it advanced: nothing to settle.
    nothing = compensate(case(proceeds=D(0)))
    assert nothing.loss == D("1000000.00")
    assert nothing.shares is not None
    assert (nothing.shares.fund, nothing.shares.bank) == (D("300000.00"), D("400000.00"))
    assert nothing.settlement == D("0.00")


# --- refusals ---------------------------------------------------------------------------------


def test_shares_not_summing_to_exactly_one_are_refused_naming_shares_seed000() -> None:
    short = ByParty(fund=D("0.4"), bank=D("0.3"), guarantor=D("0.2"), insurer=D("0.09"))
    error = refused(shares=short)
    assert (error.code, error.extra["field"], error.extra["total"]) == (
        "shares_sum_invalid",
        "shares",
        "0.99",
    )
    over = ByParty(fund=D("0.4"), bank=D("0.3"), guarantor=D("0.2"), insurer=D("0.1000000001"))
    assert refused(shares=over).extra["field"] == "shares"
    # Exactly 1, written with trailing zeros, is accepted.
    assert compensate(case(shares=ByParty(D("0.40"), D("0.300"), D("0.2"), D("0.1000000000"))))


@pytest.mark.parametrize(
    ("party", "value", "code"),
    [
        ("fund", D("1.01"), "share_invalid"),
        ("bank", D("-0.1"), "share_invalid"),
        ("insurer", D("0.00000000001"), "share_invalid"),  # 11 decimals
        ("guarantor", 0.2, "decimal_invalid"),  # a float
        ("guarantor", D("NaN"), "decimal_invalid"),
        ("fund", "0.4", "decimal_invalid"),  # text: the service parses, not the rule
    ],
)
def test_a_share_outside_0_to_1_is_refused_naming_it_seed000(
    party: str, value: Any, code: str
) -> None:
    values = {p: getattr(SHARES, p) for p in PARTIES}
    error = refused(shares=ByParty(**{**values, party: value}))
    assert (error.code, error.extra["field"]) == (code, f"shares.{party}")


def test_ten_decimals_are_accepted() -> None:
    tiny = D(1).scaleb(-MAX_PLACES)
    shares = ByParty(fund=tiny, bank=1 - tiny, guarantor=D(0), insurer=D(0))
    result = compensate(case(fund_cap_per_loan=None, shares=shares, principal=D("100000000")))
    assert result.advance == D("0.01")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("principal", D("-1"), "amount_invalid"),
        ("principal", D("1.001"), "amount_invalid"),
        ("interest", 1.5, "amount_invalid"),
        ("fund_balance", MAX_AMOUNT + D("0.01"), "amount_too_large"),
        ("fund_cap_per_loan", D("-0.01"), "amount_invalid"),
        ("proceeds", D("0.001"), "amount_invalid"),
        ("mode", "upfront", "mode_invalid"),
    ],
)
def test_each_bad_input_is_a_422_naming_it(field: str, value: Any, code: str) -> None:
    extra = {"proceeds": D(1)} if field != "proceeds" else {}
    error = refused(**{**extra, field: value})
    assert (error.status, error.code, error.extra["field"]) == (422, code, field)


def test_disposal_costs_without_proceeds_are_refused() -> None:
    error = refused(disposal_costs=D("100"))
    assert (error.code, error.extra["field"]) == ("proceeds_required", "disposal_costs")
    assert compensate(case(disposal_costs=D("100"), proceeds=D("100"))).proceeds is not None


# --- properties -----------------------------------------------------------------------------------

# Amounts in fen, up to MAX_AMOUNT; shares as four parts of 10^places.
fen = st.integers(min_value=0, max_value=int(MAX_AMOUNT * 100))
small_fen = st.integers(min_value=0, max_value=10_000)
amounts = st.one_of(small_fen, fen).map(lambda n: D(n).scaleb(-2))


@st.composite
def share_sets(draw: st.DrawFn) -> ByParty:
    places = draw(st.integers(min_value=0, max_value=MAX_PLACES))
    whole = 10**places
    cuts = sorted(draw(st.lists(st.integers(0, whole), min_size=3, max_size=3)))
    bounds = [0, *cuts, whole]
    values = [D(b - a).scaleb(-places) for a, b in pairwise(bounds)]
    return ByParty(*values)


@st.composite
def cases(draw: st.DrawFn, disposed: bool = True) -> CompensationCase:
    return CompensationCase(
        mode=draw(st.sampled_from(["after_disposal", "front_loaded"])),
        principal=draw(amounts),
        interest=draw(amounts),
        shares=draw(share_sets()),
        fund_balance=draw(amounts),
        fund_cap_per_loan=draw(st.none() | amounts),
        proceeds=draw(amounts) if disposed else None,
        disposal_costs=draw(st.none() | amounts) if disposed else None,
    )


@given(cases())
def test_the_waterfall_and_the_split_add_up_exactly_seed000(c: CompensationCase) -> None:
    result = compensate(c)
    applied, loss, split = result.proceeds, result.loss, result.shares
    assert applied is not None and loss is not None and split is not None
    assert c.proceeds is not None
    # The proceeds, applied in order, sum to the proceeds; no step takes more than it is owed.
    costs = c.disposal_costs or D(0)
    assert applied.costs + applied.interest + applied.principal + applied.pledgor == c.proceeds
    assert applied.costs <= costs and applied.interest <= c.interest
    assert applied.principal <= c.principal
    assert min(applied.costs, applied.interest, applied.principal, applied.pledgor) >= 0
    # A later step is paid only once the earlier ones are paid in full.
    if applied.interest > 0:
        assert applied.costs == costs
    if applied.principal > 0:
        assert applied.interest == c.interest
    if applied.pledgor > 0:
        assert applied.principal == c.principal
    # The loss: what the proceeds left of the principal; the parts sum to it exactly.
    assert loss == c.principal - applied.principal
    assert sum(parts(result), D(0)) == loss
    assert min(parts(result)) >= 0
    # No party's part exceeds its exact quota by a fen or more, except the bank's by the excess
    # over the fund's cap; the fund's part never exceeds the cap.
    quota = {p: getattr(c.shares, p) * loss for p in PARTIES}
    for p in ("guarantor", "insurer"):
        assert quota[p] - D("0.01") < getattr(split, p) < quota[p] + D("0.01")
    assert split.fund < quota["fund"] + D("0.01")
    if c.fund_cap_per_loan is not None:
        assert split.fund <= c.fund_cap_per_loan
    if c.fund_cap_per_loan is not None and split.fund == c.fund_cap_per_loan:
        # Capped (or exactly at the cap): the bank bears what the fund's quota lost to it.
        assert split.bank < quota["bank"] + quota["fund"] - split.fund + D("0.02")
    else:
        assert quota["fund"] - D("0.01") < split.fund
        assert quota["bank"] - D("0.01") < split.bank < quota["bank"] + D("0.01")
    # The settlement squares the advance with the fund's final part.
    assert result.settlement == split.fund - result.advance


@given(cases(disposed=False))
def test_the_advance_never_exceeds_the_share_the_cap_or_the_balance_seed000(
    c: CompensationCase,
) -> None:
    result = compensate(c)
    assert (result.proceeds, result.loss, result.shares, result.settlement) == (None,) * 4
    if c.mode == "after_disposal":
        assert result.advance == 0
        return
    quota = c.shares.fund * c.principal
    assert 0 <= result.advance <= c.fund_balance
    assert result.advance < quota + D("0.01")
    if c.fund_cap_per_loan is not None:
        assert result.advance <= c.fund_cap_per_loan
    # It is the least of the three: one of them (the share within a fen of its exact quota).
    if result.advance not in {c.fund_balance, c.fund_cap_per_loan}:
        assert quota - D("0.01") < result.advance
    # A disposal that recovers nothing leaves nothing to settle, unless the fund's balance held
    # the advance back: the advance is the fund's part of the principal as the loss splits it.
    nothing = compensate(replace(c, advance_paid=result.advance, proceeds=D(0)))
    assert nothing.shares is not None
    if result.advance < c.fund_balance or nothing.shares.fund <= c.fund_balance:
        assert nothing.settlement == D("0.00")
    else:
        assert nothing.settlement == nothing.shares.fund - c.fund_balance


@given(cases(), amounts)
def test_more_proceeds_never_raise_the_loss_seed000(c: CompensationCase, more: Decimal) -> None:
    assert c.proceeds is not None
    before = compensate(c)
    after = compensate(replace(c, proceeds=min(c.proceeds + more, MAX_AMOUNT)))
    assert before.loss is not None and after.loss is not None
    assert after.loss <= before.loss
