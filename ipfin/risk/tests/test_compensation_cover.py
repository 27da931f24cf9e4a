"""A loan's guarantee and pledge-financing guarantee insurance inside the compensation waterfall
(issue 16; ipfin.risk.domain.compensation `shares_with_cover` and the guarantor's and insurer's
caps): worked by hand and as properties. Pure: no database.

Names carry their source: `seed002` (质押+担保: the guarantor's share of the loss, the risk issue's
`shares.guarantor`), `seed004_8` (质押融资保证保险 pays its share of the bank's loss), `seed000`
(the fund's share, as DOMAIN.md and issue 12 state it)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ipfin.risk.domain.compensation import (
    PARTIES,
    ByParty,
    CompensationCase,
    Cover,
    compensate,
    shares_with_cover,
)
from ipfin.risk.tests.test_compensation import amounts, cases, share_sets

D = Decimal
SCHEME = ByParty(fund=D("0.4"), bank=D("0.3"), guarantor=D("0.2"), insurer=D("0.1"))


def test_without_contracts_the_schemes_shares_stand_seed000() -> None:
    covered = shares_with_cover(SCHEME, Cover())
    assert covered.shares == SCHEME and covered.limited == ()


def test_the_contracts_shares_replace_the_schemes_and_the_bank_bears_the_rest_seed002() -> None:
    covered = shares_with_cover(SCHEME, Cover(guarantor_share=D("0.3"), insurer_share=D("0.2")))
    assert covered.shares == ByParty(
        fund=D("0.4"), bank=D("0.1"), guarantor=D("0.3"), insurer=D("0.2")
    )
    assert covered.limited == ()


def test_a_contract_past_what_is_left_covers_only_what_is_left_seed002_seed004_8() -> None:
    # Fund 0.4, the guarantee 0.5: 0.1 is left for the policy's 0.3, the bank bears nothing.
    covered = shares_with_cover(SCHEME, Cover(guarantor_share=D("0.5"), insurer_share=D("0.3")))
    assert covered.shares == ByParty(
        fund=D("0.4"), bank=D("0"), guarantor=D("0.5"), insurer=D("0.1")
    )
    assert covered.limited == ("insurer",)


def test_the_guarantors_part_is_capped_and_the_bank_bears_the_excess_seed002() -> None:
    # Loss 800,000.00 (principal 1,000,000.00, 200,000.00 of proceeds applied to it, no interest).
    shares = ByParty(fund=D("0.4"), bank=D("0.1"), guarantor=D("0.3"), insurer=D("0.2"))
    base = CompensationCase(
        mode="after_disposal",
        principal=D("1000000.00"),
        interest=D("0.00"),
        shares=shares,
        fund_balance=D("0.00"),
        proceeds=D("200000.00"),
    )
    uncapped = compensate(base)
    assert uncapped.shares == ByParty(
        fund=D("320000.00"), bank=D("80000.00"), guarantor=D("240000.00"), insurer=D("160000.00")
    )
    capped = compensate(CompensationCase(**{**base.__dict__, "guarantor_cap": D("200000.00")}))
    assert capped.shares == ByParty(
        fund=D("320000.00"), bank=D("120000.00"), guarantor=D("200000.00"), insurer=D("160000.00")
    )


def test_the_insurers_part_stays_within_what_is_left_of_the_sum_insured_seed004_8() -> None:
    base = CompensationCase(
        mode="after_disposal",
        principal=D("500000.00"),
        interest=D("0.00"),
        shares=ByParty(fund=D("0"), bank=D("0.5"), guarantor=D("0"), insurer=D("0.5")),
        fund_balance=D("0.00"),
        proceeds=D("0.00"),
        insurer_cap=D("100000.00"),
    )
    result = compensate(base)
    assert result.shares is not None
    assert (result.shares.insurer, result.shares.bank) == (D("100000.00"), D("400000.00"))


@st.composite
def covers(draw: st.DrawFn) -> Cover:
    share = st.none() | st.integers(0, 10**4).map(lambda n: D(n).scaleb(-4))
    return Cover(
        guarantor_share=draw(share),
        guarantor_cap=draw(st.none() | amounts),
        insurer_share=draw(share),
        insurer_cap=draw(st.none() | amounts),
    )


@given(share_sets(), covers())
def test_the_covered_shares_sum_to_one_and_no_contract_gets_more_than_it_covers_seed002(
    scheme: ByParty, cover: Cover
) -> None:
    covered = shares_with_cover(scheme, cover).shares
    assert sum((getattr(covered, p) for p in PARTIES), D(0)) == 1
    assert min(getattr(covered, p) for p in PARTIES) >= 0
    assert covered.fund == scheme.fund
    for party in ("guarantor", "insurer"):
        contract = getattr(cover, f"{party}_share")
        assert getattr(covered, party) <= (getattr(scheme, party) if contract is None else contract)


@given(cases(), covers())
def test_no_part_exceeds_its_cap_and_the_parts_still_sum_to_the_loss_seed002_seed004_8(
    c: CompensationCase, cover: Cover
) -> None:
    shares = shares_with_cover(c.shares, cover).shares
    result = compensate(
        CompensationCase(
            **{
                **c.__dict__,
                "shares": shares,
                "guarantor_cap": cover.guarantor_cap,
                "insurer_cap": cover.insurer_cap,
            }
        )
    )
    assert result.shares is not None and result.loss is not None
    assert sum((getattr(result.shares, p) for p in PARTIES), D(0)) == result.loss
    assert min(getattr(result.shares, p) for p in PARTIES) >= 0
    if cover.guarantor_cap is not None:
        assert result.shares.guarantor <= cover.guarantor_cap
    if cover.insurer_cap is not None:
        assert result.shares.insurer <= cover.insurer_cap
    # Without caps, each contract's part is its quota to within a fen.
    if cover.guarantor_cap is None:
        quota = shares.guarantor * result.loss
        assert quota - D("0.01") < result.shares.guarantor < quota + D("0.01")
