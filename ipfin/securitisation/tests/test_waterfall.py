"""The sequential-pay waterfall (issue 16: ABS/ABN), against a worked example computed by hand,
both ways for each rule, and as properties: every period's payments add up to its collection,
no tranche is paid more principal than it owes."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ipfin.securitisation.domain import Tranche, interest_fen, sequential_waterfall

A = Tranche("A", Decimal("1000.00"), Decimal("0.01"))
B = Tranche("B", Decimal("500.00"), Decimal("0.02"))
COLLECTIONS = [Decimal(x) for x in ("300.00", "15.00", "5.00", "1300.00")]


def test_the_worked_example_period_by_period() -> None:
    """By hand, fee 10.00 a period, A 1,000.00 at 1 %, B 500.00 at 2 % a period:

    1. 300.00: fees 10.00; interest A 10.00, B 10.00; principal A 270.00 (A owes 730.00).
    2. 15.00: fees 10.00; A's interest 7.30 (730.00 × 1 %), paid 5.00, short 2.30; B's 10.00,
       paid nothing, short 10.00.
    3. 5.00: fees 10.00 due, paid 5.00, 5.00 carried; A owes 7.30 + 2.30 = 9.60, B 10.00 +
       10.00 = 20.00, nothing paid.
    4. 1,300.00: fees 10.00 + 5.00 = 15.00; interest A 16.90 (7.30 + 9.60: no interest on the
       shortfall), B 30.00; principal A 730.00, B 500.00; residual 1,300.00 − 15.00 − 16.90 −
       30.00 − 730.00 − 500.00 = 8.10.
    """
    result = sequential_waterfall(COLLECTIONS, Decimal("10.00"), [A, B])
    rows = [(p.fees, p.interest, p.principal, p.shortfall, p.residual) for p in result.periods]
    assert rows == [
        (1000, {"A": 1000, "B": 1000}, {"A": 27000, "B": 0}, {"A": 0, "B": 0}, 0),
        (1000, {"A": 500, "B": 0}, {"A": 0, "B": 0}, {"A": 230, "B": 1000}, 0),
        (500, {"A": 0, "B": 0}, {"A": 0, "B": 0}, {"A": 960, "B": 2000}, 0),
        (1500, {"A": 1690, "B": 3000}, {"A": 73000, "B": 50000}, {"A": 0, "B": 0}, 810),
    ]
    assert {k: (v.balance, v.interest_shortfall) for k, v in result.final.items()} == {
        "A": (0, 0),
        "B": (0, 0),
    }
    assert result.fees_unpaid == 0


def test_what_is_short_at_the_end_stays_owed() -> None:
    result = sequential_waterfall(COLLECTIONS[:3], Decimal("10.00"), [A, B])
    assert {k: (v.balance, v.interest_shortfall) for k, v in result.final.items()} == {
        "A": (73000, 960),
        "B": (50000, 2000),
    }
    assert result.fees_unpaid == 500


def test_interest_rounds_half_up_to_the_fen() -> None:
    assert interest_fen(50, Decimal("0.01")) == 1  # 0.005 yuan → 0.01
    assert interest_fen(49, Decimal("0.01")) == 0  # 0.0049 yuan → 0.00
    assert interest_fen(123456, Decimal("0.0125")) == 1543  # 15.432 → 15.43
    assert interest_fen(123400, Decimal("0.0125")) == 1543  # 15.425 → 15.43 (half up)


def test_a_senior_tranche_is_repaid_before_a_junior_one_sees_principal() -> None:
    result = sequential_waterfall([Decimal("800.00")], Decimal("0"), [A, B])
    period = result.periods[0]
    assert period.principal == {"A": 80000 - 2000, "B": 0}  # after 10.00 + 10.00 interest
    result = sequential_waterfall([Decimal("1400.00")], Decimal("0"), [A, B])
    assert result.periods[0].principal == {"A": 100000, "B": 38000}  # 1,400 − 20 − 1,000
    assert result.periods[0].residual == 0


_money = st.integers(0, 10**9).map(lambda fen: Decimal(fen).scaleb(-2))
_rate = st.integers(0, 10**6).map(lambda n: Decimal(n).scaleb(-6))


@given(
    collections=st.lists(_money, min_size=1, max_size=24),
    fee=_money,
    tranches=st.lists(st.tuples(_money, _rate), min_size=1, max_size=5),
)
def test_every_period_pays_out_exactly_its_collection_and_no_more_than_owed(
    collections: list[Decimal], fee: Decimal, tranches: list[tuple[Decimal, Decimal]]
) -> None:
    notes = [Tranche(f"T{i}", balance, rate) for i, (balance, rate) in enumerate(tranches)]
    result = sequential_waterfall(collections, fee, notes)
    principal_paid = dict.fromkeys((t.name for t in notes), 0)
    for period, collection in zip(result.periods, collections, strict=True):
        paid = (
            period.fees
            + sum(period.interest.values())
            + sum(period.principal.values())
            + period.residual
        )
        assert paid == int(collection * 100) == period.collection
        assert min(period.shortfall.values()) >= 0 and period.residual >= 0
        # Residual only once every balance is repaid; principal only once the interest is.
        if period.residual:
            assert all(end == 0 for end in period.shortfall.values())
        if sum(period.principal.values()):
            assert all(end == 0 for end in period.shortfall.values())
        for name, amount in period.principal.items():
            principal_paid[name] += amount
    for note in notes:
        owed = int(note.balance * 100)
        assert principal_paid[note.name] + result.final[note.name].balance == owed
        assert 0 <= result.final[note.name].balance <= owed
