"""Pool selection (issue 16: eligibility rules, concentration limits per obligor and per
industry), both ways for each rule and as properties: what stays meets both limits, nothing is
both in and out."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ipfin.securitisation.pools import PoolCandidate, PoolRules, select_pool


def loan(
    loan_id: int,
    obligor: int,
    balance: int,
    industry: str = "制造业",
    classification: str = "normal",
    dpd: int = 0,
    months_left: int = 12,
) -> PoolCandidate:
    return PoolCandidate(loan_id, obligor, industry, balance, classification, dpd, months_left)


LOOSE = PoolRules(max_obligor_share=Decimal(1), max_industry_share=Decimal(1))


def test_only_performing_loans_with_time_left_are_eligible() -> None:
    candidates = [
        loan(1, 1, 100),
        loan(2, 2, 100, classification="special_mention"),
        loan(3, 3, 100, dpd=3),
        loan(4, 4, 100, months_left=0),
    ]
    selection = select_pool(candidates, LOOSE)
    assert [c.loan_id for c in selection.included] == [1]
    assert selection.excluded == {2: "not_performing", 3: "not_performing", 4: "too_short"}
    relaxed = select_pool(candidates, PoolRules(performing_only=False, **_loose()))
    assert [c.loan_id for c in relaxed.included] == [1, 2, 3]


def _loose() -> dict[str, Decimal]:
    return {"max_obligor_share": Decimal(1), "max_industry_share": Decimal(1)}


def test_an_obligor_over_its_limit_loses_its_largest_loans_until_within() -> None:
    """Obligor 1 holds 500 + 300 of 1,200 (66.7 %) against a 50 % limit: its 500 leaves, then
    300 of 700 (42.9 %) is within."""
    candidates = [loan(1, 1, 500), loan(2, 1, 300), loan(3, 2, 200), loan(4, 3, 200)]
    rules = PoolRules(max_obligor_share=Decimal("0.5"), max_industry_share=Decimal(1))
    selection = select_pool(candidates, rules)
    assert [c.loan_id for c in selection.included] == [2, 3, 4]
    assert selection.excluded == {1: "obligor_limit"}


def test_exactly_at_the_limit_is_within_it() -> None:
    candidates = [loan(1, 1, 500), loan(2, 2, 500)]
    rules = PoolRules(max_obligor_share=Decimal("0.5"), max_industry_share=Decimal(1))
    assert len(select_pool(candidates, rules).included) == 2


def test_an_industry_over_its_limit_loses_its_largest_loans() -> None:
    candidates = [
        loan(1, 1, 400, industry="软件"),
        loan(2, 2, 300, industry="软件"),
        loan(3, 3, 300, industry="医药"),
    ]
    rules = PoolRules(max_obligor_share=Decimal(1), max_industry_share=Decimal("0.6"))
    selection = select_pool(candidates, rules)
    assert [c.loan_id for c in selection.included] == [2, 3]  # 软件 300 of 600 = 50 %
    assert selection.excluded == {1: "industry_limit"}


@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.sampled_from("ABC"), st.integers(1, 10**6)),
        max_size=30,
    ),
    st.sampled_from([Decimal("0.1"), Decimal("0.25"), Decimal("0.5")]),
    st.sampled_from([Decimal("0.3"), Decimal("0.5"), Decimal(1)]),
)
def test_what_stays_meets_both_limits_and_every_candidate_is_accounted_for(
    rows: list[tuple[int, str, int]], obligor_limit: Decimal, industry_limit: Decimal
) -> None:
    candidates = [loan(i, o, b, industry=ind) for i, (o, ind, b) in enumerate(rows)]
    rules = PoolRules(max_obligor_share=obligor_limit, max_industry_share=industry_limit)
    selection = select_pool(candidates, rules)
    kept = {c.loan_id for c in selection.included}
    assert kept.isdisjoint(selection.excluded)
    assert kept | set(selection.excluded) == {c.loan_id for c in candidates}
    total = selection.balance_fen
    for key, limit in (("obligor", obligor_limit), ("industry", industry_limit)):
        sums: dict[object, int] = {}
        for c in selection.included:
            sums[getattr(c, key)] = sums.get(getattr(c, key), 0) + c.balance_fen
        assert all(Decimal(v) <= limit * total for v in sums.values())
