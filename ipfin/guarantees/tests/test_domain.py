"""Guarantee money rules (issue 16: share of the loss covered, cap, fee charged on disbursement,
recoveries after disposal shared back), both ways and as properties: no part above the cap or
the loss, a recovery never makes the guarantor pay more."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.guarantees.domain import (
    GuaranteeTerms,
    after_recovery,
    guarantee_fee,
    guarantor_part,
)

TERMS = GuaranteeTerms.parse(Decimal("0.6"), "500000.00", Decimal("0.015"))


def test_the_fee_is_the_annual_rate_over_the_loans_term_half_up() -> None:
    assert guarantee_fee(Decimal("1000000.00"), Decimal("0.015"), 12) == Decimal("15000.00")
    assert guarantee_fee(Decimal("1000000.00"), Decimal("0.015"), 6) == Decimal("7500.00")
    # 333,333.33 × 0.015 × 7 / 12 = 2,916.6666… → 2,916.67
    assert guarantee_fee(Decimal("333333.33"), Decimal("0.015"), 7) == Decimal("2916.67")
    with pytest.raises(ValidationFailed):
        guarantee_fee(Decimal("1.00"), Decimal("0.01"), 0)


def test_the_guarantor_pays_its_share_within_the_cap() -> None:
    assert guarantor_part(Decimal("400000.00"), TERMS) == Decimal("240000.00")
    assert guarantor_part(Decimal("1000000.00"), TERMS) == Decimal("500000.00")  # the cap
    assert guarantor_part(Decimal("0.01"), TERMS) == Decimal("0.01")  # 0.006 → 0.01
    assert guarantor_part(Decimal(0), TERMS) == 0


def test_a_recovery_after_disposal_comes_back_in_part() -> None:
    """Paid 240,000 on a 400,000 loss; the sale recovers 150,000: the loss is 250,000, the
    guarantor's part 150,000, and 90,000 comes back."""
    recovery = after_recovery(Decimal("240000.00"), Decimal("400000.00"), Decimal("150000"), TERMS)
    assert (recovery.loss, recovery.part, recovery.refund) == (
        Decimal("250000.00"),
        Decimal("150000.00"),
        Decimal("90000.00"),
    )
    whole = after_recovery(Decimal("240000.00"), Decimal("400000.00"), Decimal("999999"), TERMS)
    assert (whole.loss, whole.part, whole.refund) == (0, 0, Decimal("240000.00"))


@pytest.mark.parametrize(
    ("share", "cap", "fee_rate", "field"),
    [
        ("0", "1.00", "0.01", "share"),
        ("1.1", "1.00", "0.01", "share"),
        ("0.5", "0", "0.01", "cap"),
        ("0.5", "1.001", "0.01", "cap"),
        ("0.5", "1.00", "2", "fee_rate"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(
    share: str, cap: str, fee_rate: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        GuaranteeTerms.parse(Decimal(share), cap, Decimal(fee_rate))
    assert caught.value.extra is not None and caught.value.extra["field"] == field


_money = st.integers(0, 10**12).map(lambda fen: Decimal(fen).scaleb(-2))


@given(
    loss=_money,
    proceeds=_money,
    share=st.integers(1, 10**10).map(lambda n: Decimal(n).scaleb(-10)),
    cap=st.integers(1, 10**12).map(lambda fen: Decimal(fen).scaleb(-2)),
)
def test_no_part_exceeds_the_cap_or_the_loss_and_a_recovery_never_costs_more(
    loss: Decimal, proceeds: Decimal, share: Decimal, cap: Decimal
) -> None:
    terms = GuaranteeTerms(share=share, cap=cap, fee_rate=Decimal(0))
    part = guarantor_part(loss, terms)
    assert Decimal(0) <= part <= min(cap, loss)
    assert abs(part - min(share * loss, cap)) <= Decimal("0.005")
    recovery = after_recovery(part, loss, proceeds, terms)
    assert recovery.part <= part and recovery.refund == part - recovery.part
    assert recovery.loss == max(loss - proceeds, 0)


@given(
    principal=_money,
    rate=st.integers(0, 10**10).map(lambda n: Decimal(n).scaleb(-10)),
    months=st.integers(1, 600),
)
def test_the_fee_is_its_exact_amount_to_the_half_fen_and_grows_with_the_term(
    principal: Decimal, rate: Decimal, months: int
) -> None:
    fee = guarantee_fee(principal, rate, months)
    exact = principal * rate * months / 12
    assert fee == fee.quantize(Decimal("0.01")) and fee >= 0
    assert abs(fee - exact) <= Decimal("0.005")
    if months < 600:
        assert guarantee_fee(principal, rate, months + 1) >= fee


def test_minfadian_art692_the_guarantee_period_ends_on_the_same_day_months_later() -> None:
    """Counted from the day the debt falls due, not that day itself (art. 201), to the same day of
    the last month, or that month's last day (art. 202); no holiday moves it (art. 692 ¶1)."""
    from datetime import date

    from ipfin.guarantees.domain import guarantee_period_end

    assert guarantee_period_end(date(2025, 4, 15), 6) == date(2025, 10, 15)
    assert guarantee_period_end(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert guarantee_period_end(date(2026, 4, 1), 6) == date(2026, 10, 1)  # National Day stays
    assert guarantee_period_end(date(2025, 4, 15), 36) == date(2028, 4, 15)
    for months in (0, 121):
        with pytest.raises(ValueError):
            guarantee_period_end(date(2025, 4, 15), months)
