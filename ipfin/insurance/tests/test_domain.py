"""IP insurance money rules (issue 16: premium = rate × sum insured half-up to the fen;
co-insurance shares summing to 1 splitting premium and claims to the fen by largest remainder),
both ways and as properties: the parts add up exactly, none is off its quota by a fen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.insurance.domain import (
    CoInsurance,
    ProductKind,
    claim_payout,
    guarantee_insurance_part,
    premium,
)


def test_the_premium_is_rate_times_sum_insured_half_up_to_the_fen() -> None:
    assert premium(Decimal("1000000.00"), Decimal("0.0125")) == Decimal("12500.00")
    assert premium(Decimal("333.33"), Decimal("0.015")) == Decimal("5.00")  # 4.99995 → 5.00
    assert premium(Decimal("100.00"), Decimal("0.00005")) == Decimal(
        "0.01"
    )  # 0.005 → 0.01 (half up)
    assert premium(Decimal("100.00"), Decimal("0.00004")) == Decimal("0.00")  # 0.004 → 0.00
    for bad in (Decimal("1.5"), Decimal("-0.1"), Decimal("0.12345678901"), 0.01):
        with pytest.raises(ValidationFailed) as caught:
            premium(Decimal("100.00"), bad)
        assert caught.value.extra is not None and caught.value.extra["field"] == "rate"


def test_a_pool_of_three_splits_to_the_fen_by_largest_remainder() -> None:
    """1.00 yuan in near-thirds: 33 fen each, and the fen left over to the largest remainder,
    the third insurer's (its quota 33.33333334 fen)."""
    pool = CoInsurance.of(
        [(7, Decimal("0.3333333333")), (8, Decimal("0.3333333333")), (9, Decimal("0.3333333334"))]
    )
    assert pool.split(Decimal("1.00")) == {
        7: Decimal("0.33"),
        8: Decimal("0.33"),
        9: Decimal("0.34"),
    }
    lead = CoInsurance.of([(1, Decimal("0.5")), (2, Decimal("0.3")), (3, Decimal("0.2"))])
    assert lead.split(Decimal("12345.67")) == {
        1: Decimal("6172.84"),  # 6,172.835: the largest remainder gets the fen
        2: Decimal("3703.70"),  # 3,703.701
        3: Decimal("2469.13"),  # 2,469.134
    }


@pytest.mark.parametrize(
    ("members", "code", "field"),
    [
        ([], "members_required", "members"),
        ([(1, Decimal("0.5")), (2, Decimal("0.4"))], "shares_sum_invalid", "members"),
        ([(1, Decimal("0.5")), (1, Decimal("0.5"))], "insurer_repeated", "members[1].insurer"),
        ([(1, Decimal("1")), (2, Decimal("0"))], "share_invalid", "members[1].share"),
        ([(1, Decimal("1.2")), (2, Decimal("-0.2"))], "share_invalid", "members[0].share"),
    ],
)
def test_a_pool_is_refused_naming_the_member(
    members: list[tuple[int, Decimal]], code: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        CoInsurance.of(members)
    assert caught.value.code == code
    assert caught.value.extra is not None and caught.value.extra["field"] == field


@given(
    st.lists(st.integers(1, 10**6), min_size=1, max_size=8),
    st.integers(0, 10**13),
)
def test_split_parts_add_up_and_stay_within_a_fen_of_their_quota(
    weights: list[int], fen: int
) -> None:
    total = sum(weights)
    # Shares with at most ten decimals summing to exactly 1: the last takes the rest.
    shares = [(Decimal(w) / total).quantize(Decimal("1e-10")) for w in weights[:-1]]
    shares.append(Decimal(1) - sum(shares))
    if any(s <= 0 for s in shares):
        return
    pool = CoInsurance.of(list(enumerate(shares)))
    amount = Decimal(fen).scaleb(-2)
    parts = pool.split(amount)
    assert sum(parts.values()) == amount
    for insurer, share in pool.members:
        assert abs(parts[insurer] - share * amount) < Decimal("0.01")
        assert parts[insurer] >= 0


def test_a_claim_pays_the_loss_less_the_deductible_within_the_sum_left() -> None:
    assert claim_payout(Decimal("80000"), Decimal("5000"), Decimal("100000"), Decimal(0)) == 75000
    assert claim_payout(Decimal("80000"), Decimal("5000"), Decimal("100000"), Decimal("40000")) == (
        60000
    )
    assert claim_payout(Decimal("3000"), Decimal("5000"), Decimal("100000"), Decimal(0)) == 0
    assert claim_payout(Decimal("80000"), Decimal(0), Decimal("100000"), Decimal("120000")) == 0


def test_guarantee_insurance_pays_its_share_of_the_banks_loss_within_the_sum_insured() -> None:
    part = guarantee_insurance_part(Decimal("333333.33"), Decimal("0.3"), Decimal("1000000"), 0)
    assert part == Decimal("100000.00")  # 99,999.999 → 100,000.00 half up
    capped = guarantee_insurance_part(
        Decimal("500000.00"), Decimal("0.5"), Decimal("300000.00"), Decimal("100000.00")
    )
    assert capped == Decimal("200000.00")  # 250,000 asked, 200,000 left
    assert guarantee_insurance_part(Decimal(0), Decimal("0.5"), Decimal("1"), Decimal(0)) == 0


def test_every_kind_the_seeds_name_has_its_chinese_name() -> None:
    assert len(ProductKind) == 7
    assert ProductKind.PLEDGE_GUARANTEE.label_zh == "知识产权质押融资保证保险"
    assert all(kind.label_zh.endswith("保险") for kind in ProductKind)


_fen = st.integers(0, 10**12).map(lambda fen: Decimal(fen).scaleb(-2))
_rate = st.integers(0, 10**10).map(lambda n: Decimal(n).scaleb(-10))


@given(_fen, _rate)
def test_the_premium_is_its_exact_amount_to_the_half_fen(
    sum_insured: Decimal, rate: Decimal
) -> None:
    charged = premium(sum_insured, rate)
    assert charged == charged.quantize(Decimal("0.01")) and charged >= 0
    assert abs(charged - rate * sum_insured) <= Decimal("0.005")


@given(_fen, _fen, _fen, _fen, _rate)
def test_no_payout_exceeds_the_sum_left_or_the_loss_it_covers(
    loss: Decimal, deductible: Decimal, sum_insured: Decimal, paid_before: Decimal, share: Decimal
) -> None:
    left = max(sum_insured - paid_before, Decimal(0))
    payout = claim_payout(loss, deductible, sum_insured, paid_before)
    assert Decimal(0) <= payout <= left and payout <= max(loss - deductible, Decimal(0))
    part = guarantee_insurance_part(loss, share, sum_insured, paid_before)
    assert Decimal(0) <= part <= left
    assert part <= share * loss + Decimal("0.005")
