"""Interest subsidy (贴息): caps, budget scaling, the largest-remainder rule. Pure: no database."""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.loans.domain.subsidy import (
    Allocation,
    SubsidyClaim,
    SubsidyPolicy,
    allocate_subsidy,
    largest_remainder,
)

D = Decimal


def claim(claim_id: str, enterprise_id: str, interest: str | int | Decimal) -> SubsidyClaim:
    return SubsidyClaim(claim_id, enterprise_id, D(interest))


def awards(allocation: Allocation) -> dict[str, Decimal]:
    return {line.claim_id: line.awarded for line in allocation.lines}


def test_half_of_the_interest_up_to_the_cap_when_the_budget_suffices() -> None:
    # share 50 %, cap 100,000 per enterprise, budget 1,000,000:
    #   c1 (E1): 30,000 interest → 15,000.00 (under the cap)
    #   c2 (E2): 250,000 interest → 125,000.00 → capped at 100,000.00
    # Σ capped 115,000 ≤ budget: not scaled, awards = capped amounts.
    policy = SubsidyPolicy(share=D("0.5"), cap_per_enterprise=D(100000), budget=D(1000000))
    result = allocate_subsidy([claim("c1", "E1", 30000), claim("c2", "E2", 250000)], policy)
    assert [(x.eligible, x.capped, x.awarded) for x in result.lines] == [
        (D("15000.00"), D("15000.00"), D("15000.00")),
        (D("125000.00"), D("100000.00"), D("100000.00")),
    ]
    assert (result.total_awarded, result.scaled, result.scale_factor) == (
        D("115000.00"),
        False,
        D(1),
    )


def test_eligible_amount_rounds_half_up_to_the_fen() -> None:
    # 0.05 interest × 50 % = 0.025 → 0.03 (ROUND_HALF_UP).
    policy = SubsidyPolicy(share=D("0.5"), cap_per_enterprise=None, budget=D(100))
    assert allocate_subsidy([claim("c", "E", "0.05")], policy).lines[0].eligible == D("0.03")


def test_an_enterprise_cap_is_shared_by_its_claims_in_proportion() -> None:
    # E1's claims: 160,000 → 80,000 and 80,000 → 40,000 eligible; total 120,000 > cap 100,000.
    # Split 100,000 as 80 : 40 → 66,666.666… and 33,333.333…: floors 66,666.66 and 33,333.33
    # (99,999.99), the remaining fen to the larger remainder (2/3 of a fen vs 1/3): c1.
    policy = SubsidyPolicy(share=D("0.5"), cap_per_enterprise=D(100000), budget=D(10**7))
    result = allocate_subsidy(
        [claim("c1", "E1", 160000), claim("c2", "E1", 80000), claim("c3", "E2", 1000)], policy
    )
    assert [x.capped for x in result.lines] == [D("66666.67"), D("33333.33"), D("500.00")]
    assert result.total_awarded == D("100500.00")


def test_over_budget_scales_pro_rata() -> None:
    # Capped 60,000 + 60,000 + 30,000 = 150,000 > budget 100,000: factor 2/3 → 40,000,
    # 40,000, 20,000, exactly the budget.
    policy = SubsidyPolicy(share=D(1), cap_per_enterprise=None, budget=D(100000))
    result = allocate_subsidy(
        [claim("a", "E1", 60000), claim("b", "E2", 60000), claim("c", "E3", 30000)], policy
    )
    assert awards(result) == {"a": D("40000.00"), "b": D("40000.00"), "c": D("20000.00")}
    assert result.scaled and result.total_awarded == D(100000)
    assert result.scale_factor == D("0.6666666667")


def test_the_rounding_remainder_goes_to_the_smallest_claim_id_on_a_tie() -> None:
    # Budget 100.00 over three equal claims of 50.00: 33.333… each → 33.33 × 3 = 99.99; the last
    # fen goes to the equal-remainder claim with the smallest id, "c-a", whatever the order.
    policy = SubsidyPolicy(share=D(1), cap_per_enterprise=None, budget=D(100))
    claims = [claim("c-b", "E1", 50), claim("c-a", "E2", 50), claim("c-c", "E3", 50)]
    expected = {"c-a": D("33.34"), "c-b": D("33.33"), "c-c": D("33.33")}
    assert awards(allocate_subsidy(claims, policy)) == expected
    assert awards(allocate_subsidy(claims[::-1], policy)) == expected
    # Lines keep the order the claims were given in.
    assert [x.claim_id for x in allocate_subsidy(claims, policy).lines] == ["c-b", "c-a", "c-c"]


def test_the_remainder_goes_to_the_largest_remainder_before_the_smallest_id() -> None:
    # Budget 10.00 over 3.00 / 3.00 / 6.00 (Σ 12): quotas 2.5, 2.5, 5.0 in yuan, i.e. 250, 250,
    # 500 fen: exact, nothing left over. Budget 0.10 over the same: 2.5, 2.5, 5 fen: floors 2, 2, 5
    # (9 fen), one fen left for a half-fen remainder tie between "x" and "y": "x".
    policy = SubsidyPolicy(share=D(1), cap_per_enterprise=None, budget=D("0.10"))
    claims = [claim("y", "E1", 3), claim("x", "E2", 3), claim("z", "E3", 6)]
    assert awards(allocate_subsidy(claims, policy)) == {
        "x": D("0.03"),
        "y": D("0.02"),
        "z": D("0.05"),
    }
    # One fen over 1.00 and 2.00: quotas 1/3 and 2/3 of a fen; "b" has the larger remainder and
    # gets it although "a" sorts first.
    policy = SubsidyPolicy(share=D(1), cap_per_enterprise=None, budget=D("0.01"))
    claims = [claim("a", "E1", 1), claim("b", "E2", 2)]
    assert awards(allocate_subsidy(claims, policy)) == {"a": D("0.00"), "b": D("0.01")}


def test_a_whole_quota_never_gets_the_extra_fen() -> None:
    # weights 1, 1, 1, 3 over total 5: quotas 5/6, 5/6, 5/6, 15/6 = 2.5 → floors 0, 0, 0, 2 and
    # remainders 5/6 × 3, 1/2: the three 5/6 remainders get the three fen left.
    assert largest_remainder(5, [("a", 1), ("b", 1), ("c", 1), ("d", 3)]) == {
        "a": 1,
        "b": 1,
        "c": 1,
        "d": 2,
    }
    assert largest_remainder(6, [("a", 1), ("b", 2), ("c", 3)]) == {"a": 1, "b": 2, "c": 3}
    assert largest_remainder(0, [("a", 1)]) == {"a": 0}
    assert largest_remainder(3, [("a", 0), ("b", 0)]) == {"a": 0, "b": 0}


def test_zero_budget_and_no_claims() -> None:
    policy = SubsidyPolicy(share=D("0.5"), cap_per_enterprise=D(100), budget=D(0))
    result = allocate_subsidy([claim("a", "E1", 100)], policy)
    assert result.scaled and result.total_awarded == 0 and result.lines[0].awarded == 0
    empty = allocate_subsidy([], policy)
    assert (empty.lines, empty.total_awarded, empty.scaled) == ((), D(0), False)


@pytest.mark.parametrize(
    ("field", "claims", "policy"),
    [
        ("share", [], SubsidyPolicy(D(0), None, D(1))),
        ("share", [], SubsidyPolicy(D("1.01"), None, D(1))),
        ("share", [], SubsidyPolicy(0.5, None, D(1))),  # type: ignore[arg-type]
        ("cap_per_enterprise", [], SubsidyPolicy(D("0.5"), D(-1), D(1))),
        ("budget", [], SubsidyPolicy(D("0.5"), None, D("1.001"))),
        ("budget", [], SubsidyPolicy(D("0.5"), None, D("NaN"))),
        ("paid", [claim("a", "E", -1)], SubsidyPolicy(D("0.5"), None, D(1))),
        ("claim_id", [claim("a", "E", 1), claim("a", "F", 1)], SubsidyPolicy(D("0.5"), None, D(1))),
        ("claim_id", [claim("", "E", 1)], SubsidyPolicy(D("0.5"), None, D(1))),
        ("enterprise_id", [claim("a", "", 1)], SubsidyPolicy(D("0.5"), None, D(1))),
    ],
)
def test_invalid_input_names_the_field(
    field: str, claims: list[SubsidyClaim], policy: SubsidyPolicy
) -> None:
    with pytest.raises(ValidationFailed) as info:
        allocate_subsidy(claims, policy)
    assert info.value.extra == {"field": field}


# --- properties ----------------------------------------------------------------------------------

amounts = st.decimals(min_value=D(0), max_value=D(2_000_000), places=2)
claim_lists = st.lists(st.tuples(st.integers(0, 4), amounts), min_size=0, max_size=12).map(
    lambda xs: [claim(f"c{k:02d}", f"E{e}", a) for k, (e, a) in enumerate(xs)]
)
policies = st.builds(
    SubsidyPolicy,
    share=st.decimals(min_value=D("0.01"), max_value=D(1), places=2),
    cap_per_enterprise=st.none() | st.decimals(min_value=D(0), max_value=D(300_000), places=2),
    budget=st.decimals(min_value=D(0), max_value=D(3_000_000), places=2),
)


@settings(max_examples=400, deadline=None)
@given(claims=claim_lists, policy=policies)
def test_never_over_budget_never_over_a_cap_sums_exact(
    claims: list[SubsidyClaim], policy: SubsidyPolicy
) -> None:
    result = allocate_subsidy(claims, policy)
    lines = result.lines
    # Sums exact.
    assert result.total_awarded == sum((x.awarded for x in lines), D(0))
    # Never over budget; exactly the budget when scaled, every capped amount when not.
    assert result.total_awarded <= policy.budget
    capped_total = sum((x.capped for x in lines), D(0))
    assert result.scaled == (capped_total > policy.budget)
    if result.scaled:
        assert result.total_awarded == policy.budget
    else:
        assert all(x.awarded == x.capped for x in lines)
    # Each award within its capped amount, each capped amount within its eligible amount.
    for x in lines:
        assert D(0) <= x.awarded <= x.capped <= x.eligible
        assert x.awarded.as_tuple().exponent == -2
    # Per enterprise: the capped amounts are min(Σ eligible, cap) exactly; awards never above cap.
    eligible: dict[str, Decimal] = defaultdict(Decimal)
    capped: dict[str, Decimal] = defaultdict(Decimal)
    awarded: dict[str, Decimal] = defaultdict(Decimal)
    for x in lines:
        eligible[x.enterprise_id] += x.eligible
        capped[x.enterprise_id] += x.capped
        awarded[x.enterprise_id] += x.awarded
    for e in eligible:
        cap = policy.cap_per_enterprise
        assert capped[e] == (eligible[e] if cap is None else min(eligible[e], cap))
        assert cap is None or awarded[e] <= cap
    # Pro rata to within a fen.
    if result.scaled:
        for x in lines:
            exact = x.capped * policy.budget / capped_total
            assert abs(x.awarded - exact) < D("0.01")


@settings(max_examples=200, deadline=None)
@given(claims=claim_lists, policy=policies, seed=st.integers(0, 2**32 - 1))
def test_deterministic_whatever_the_order_of_the_claims(
    claims: list[SubsidyClaim], policy: SubsidyPolicy, seed: int
) -> None:
    shuffled = list(claims)
    random.Random(seed).shuffle(shuffled)
    assert awards(allocate_subsidy(shuffled, policy)) == awards(allocate_subsidy(claims, policy))


@settings(max_examples=300, deadline=None)
@given(
    claims=claim_lists.filter(bool),
    policy=policies,
    pick=st.integers(0, 11),
    more=st.decimals(min_value=D("0.01"), max_value=D(500_000), places=2),
)
def test_more_interest_never_gives_less_award_when_not_scaled(
    claims: list[SubsidyClaim], policy: SubsidyPolicy, pick: int, more: Decimal
) -> None:
    roomy = SubsidyPolicy(policy.share, policy.cap_per_enterprise, budget=D(10**12))
    i = pick % len(claims)
    before = allocate_subsidy(claims, roomy)
    bigger = [*claims]
    bigger[i] = claim(claims[i].claim_id, claims[i].enterprise_id, claims[i].paid + more)
    after = allocate_subsidy(bigger, roomy)
    assert not before.scaled and not after.scaled
    assert after.lines[i].awarded >= before.lines[i].awarded
    # The enterprise as a whole never gets less either.
    ent = claims[i].enterprise_id
    total = {
        name: sum((x.awarded for x in r.lines if x.enterprise_id == ent), D(0))
        for name, r in (("before", before), ("after", after))
    }
    assert total["after"] >= total["before"]
