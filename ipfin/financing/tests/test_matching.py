"""The pure matching (ipfin.financing.domain.matching): hard rules, the score, the ranking. No
database."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipfin.financing.domain.matching import (
    KIND_LABELS,
    DemandFacts,
    ProductTerms,
    Rule,
    check_rules,
    match_products,
    score_product,
)
from ipfin.registry.domain import RightKind

D = Decimal

DEMAND = DemandFacts(
    amount=D("1000000"),
    term_months=12,
    right_kinds=("invention",),
    region="江苏省苏州市",
    park_id=7,
    industry="C3911",
    valuation=D("3000000"),
    credit_score=70,
    reference_rate=D("0.03"),
)
PRODUCT = ProductTerms(
    product_id=1,
    version_id=11,
    provider_id=100,
    kind="loan",
    active=True,
    amount_min=D("100000"),
    amount_max=D("5000000"),
    term_min_months=6,
    term_max_months=36,
    rate=D("0.035"),
    accepted_right_kinds=("invention", "utility_model"),
    package_allowed=False,
    max_pledge_rate=D("0.5"),
    regions=("江苏省",),
    park_ids=(7, 8),
    industries=("C39",),
)


def failed(demand: DemandFacts, product: ProductTerms) -> set[Rule]:
    return {r.rule for r in check_rules(demand, product) if not r.passed}


def test_every_rule_passes_for_a_fitting_product() -> None:
    results = check_rules(DEMAND, PRODUCT)
    assert [r.rule for r in results] == list(Rule)
    assert all(r.passed for r in results)
    assert all(r.message_zh and r.message_en for r in results)


@pytest.mark.parametrize(
    ("demand_change", "product_change", "rule"),
    [
        ({}, {"active": False}, Rule.PRODUCT_ACTIVE),
        ({}, {"kind": "insurance"}, Rule.PRODUCT_KIND_LOAN),
        ({"amount": D("99999.99")}, {}, Rule.AMOUNT_IN_RANGE),
        ({"amount": D("5000000.01"), "valuation": None}, {}, Rule.AMOUNT_IN_RANGE),
        ({"term_months": 5}, {}, Rule.TERM_IN_RANGE),
        ({"term_months": 37}, {}, Rule.TERM_IN_RANGE),
        ({"right_kinds": ("trademark",)}, {}, Rule.RIGHT_KINDS_ACCEPTED),
        ({"right_kinds": ("invention", "invention")}, {}, Rule.PACKAGE_ALLOWED),
        ({"region": "浙江省杭州市"}, {}, Rule.REGION_ALLOWED),
        ({"region": ""}, {}, Rule.REGION_ALLOWED),
        ({"park_id": None}, {}, Rule.PARK_ALLOWED),
        ({"park_id": 9}, {}, Rule.PARK_ALLOWED),
        ({"industry": "C40"}, {}, Rule.INDUSTRY_ALLOWED),
        # 1,000,000.01 > 2,000,000 × 0.5 = 1,000,000.00
        ({"valuation": D("2000000"), "amount": D("1000000.01")}, {}, Rule.VALUATION_COVERAGE),
    ],
)
def test_each_rule_fails_alone(
    demand_change: dict[str, object], product_change: dict[str, object], rule: Rule
) -> None:
    demand = dataclasses.replace(DEMAND, **demand_change)  # type: ignore[arg-type]
    product = dataclasses.replace(PRODUCT, **product_change)  # type: ignore[arg-type]
    assert failed(demand, product) == {rule}


def test_bounds_are_inclusive_and_coverage_exact() -> None:
    # amount = 2,000,000 × 0.5 exactly: covered; term at both ends of 6–36.
    for amount, term in [(D("1000000"), 6), (D("100000"), 36)]:
        demand = dataclasses.replace(
            DEMAND, amount=amount, term_months=term, valuation=D("2000000")
        )
        assert failed(demand, PRODUCT) == set()


def test_open_restrictions_admit_everyone() -> None:
    product = dataclasses.replace(
        PRODUCT,
        amount_min=None,
        amount_max=None,
        term_min_months=None,
        term_max_months=None,
        accepted_right_kinds=(),
        package_allowed=True,
        regions=(),
        park_ids=(),
        industries=(),
        max_pledge_rate=None,
    )
    demand = dataclasses.replace(
        DEMAND,
        amount=D("99999999"),
        term_months=360,
        right_kinds=("design", "copyright"),
        region="",
        park_id=None,
        industry="",
    )
    assert failed(demand, product) == set()


def test_kind_labels_cover_the_register_and_name_the_refused_kind() -> None:
    assert set(KIND_LABELS) == {k.value for k in RightKind}
    demand = dataclasses.replace(DEMAND, right_kinds=("trademark",))
    (kinds,) = [r for r in check_rules(demand, PRODUCT) if r.rule is Rule.RIGHT_KINDS_ACCEPTED]
    assert kinds.message_zh == "产品不接受以下类型的权利：商标（接受：发明专利、实用新型专利）。"
    assert "trademark (accepted: invention patent, utility model)" in kinds.message_en


def test_no_valuation_passes_coverage_and_says_why() -> None:
    demand = dataclasses.replace(DEMAND, valuation=None)
    (coverage,) = [r for r in check_rules(demand, PRODUCT) if r.rule is Rule.VALUATION_COVERAGE]
    assert coverage.passed
    assert "尚无已出具的评估" in coverage.message_zh
    assert "not checked" in coverage.message_en


def test_score_hand_computed() -> None:
    score, components = score_product(DEMAND, PRODUCT)
    points = {c.name: c.points for c in components}
    # coverage 3,000,000 × 0.5 / 1,000,000 = 1.5 → 30 × 1.5 / 2 = 22.50
    assert points["valuation_coverage"] == D("22.50")
    # rate: (3.00 % + 3 % − 3.50 %) / 3 % = 0.8333… → 30 × 0.8333… = 25.00
    assert points["rate"] == D("25.00")
    # term: middle of 6–36 is 21; |12 − 21| / 30 = 0.3 → 20 × 0.7 = 14.00
    assert points["term_fit"] == D("14.00")
    # enterprise: 70 / 100 × 20 = 14.00
    assert points["enterprise_score"] == D("14.00")
    assert score == D("75.50")
    assert not any(c.neutral for c in components)


def test_unknowns_score_neutral_and_say_so() -> None:
    demand = dataclasses.replace(DEMAND, valuation=None, credit_score=None)
    product = dataclasses.replace(PRODUCT, rate=None)
    score, components = score_product(demand, product)
    by_name = {c.name: c for c in components}
    assert by_name["valuation_coverage"].points == D(15)
    assert by_name["rate"].points == D(15)
    assert by_name["enterprise_score"].points == D(10)
    assert by_name["enterprise_score"].neutral
    assert "画像" in by_name["enterprise_score"].detail_zh
    assert 'no "IP + credit" profile' in by_name["enterprise_score"].detail_en
    # 15 + 15 + 14 (term, as above) + 10
    assert score == D("54.00")


def test_a_dishonesty_record_earns_the_enterprise_no_points_yipiao_foujue() -> None:
    """The scorecard's 一票否决 (ipfin.valuation.domain.credit): a 70-point enterprise listed as a
    失信被执行人 earns matching nothing for its score, and the reason is given."""
    from datetime import date

    listed = dataclasses.replace(DEMAND, dishonesty_on=date(2026, 11, 16))
    score, components = score_product(listed, PRODUCT)
    enterprise = {c.name: c for c in components}["enterprise_score"]
    assert enterprise.points == D("0.00") and not enterprise.neutral
    assert "失信被执行人" in enterprise.detail_zh and "2026-11-16" in enterprise.detail_zh
    assert score == score_product(DEMAND, PRODUCT)[0] - D("14.00")


def test_rate_points_clamp_at_both_ends() -> None:
    cheap = dataclasses.replace(PRODUCT, rate=D("0.025"))  # below the LPR: full points
    dear = dataclasses.replace(PRODUCT, rate=D("0.065"))  # 350 bp above: none
    assert {c.name: c.points for c in score_product(DEMAND, cheap)[1]}["rate"] == D("30.00")
    assert {c.name: c.points for c in score_product(DEMAND, dear)[1]}["rate"] == D("0.00")


def test_ranking_cheaper_first_then_ineligible_by_id() -> None:
    dear = dataclasses.replace(PRODUCT, product_id=2, rate=D("0.045"))
    cheap = dataclasses.replace(PRODUCT, product_id=3, rate=D("0.030"))
    gone = dataclasses.replace(PRODUCT, product_id=0, active=False)
    insurance = dataclasses.replace(PRODUCT, product_id=4, kind="insurance")
    ranked = match_products(DEMAND, [insurance, dear, gone, cheap])
    assert [m.product.product_id for m in ranked] == [3, 2, 0, 4]
    assert [m.rank for m in ranked] == [1, 2, None, None]
    assert ranked[2].score is None and ranked[2].failures[0].rule is Rule.PRODUCT_ACTIVE


def test_ties_broken_by_product_id() -> None:
    twins = [dataclasses.replace(PRODUCT, product_id=i) for i in (9, 4, 6)]
    assert [m.product.product_id for m in match_products(DEMAND, twins)] == [4, 6, 9]


def test_demand_needs_positive_amount_and_term() -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(DEMAND, amount=D(0))
    with pytest.raises(ValueError):
        dataclasses.replace(DEMAND, term_months=0)


# --- properties ----------------------------------------------------------------------------------

_money = st.integers(min_value=1, max_value=10**9).map(lambda n: D(n) / 100)
_opt_money = st.none() | _money
_term = st.integers(min_value=1, max_value=360)
_kind = st.sampled_from(["invention", "utility_model", "design", "trademark"])


@st.composite
def demands(draw: st.DrawFn) -> DemandFacts:
    return DemandFacts(
        amount=draw(_money),
        term_months=draw(_term),
        right_kinds=tuple(draw(st.lists(_kind, min_size=1, max_size=3))),
        region=draw(st.sampled_from(["", "江苏省苏州市", "浙江省杭州市"])),
        park_id=draw(st.none() | st.integers(1, 3)),
        industry=draw(st.sampled_from(["", "C3911", "I65"])),
        valuation=draw(_opt_money),
        credit_score=draw(st.none() | st.integers(0, 100)),
        reference_rate=draw(st.sampled_from([D("0.03"), D("0.031"), D("0.0345")])),
    )


@st.composite
def products(draw: st.DrawFn, product_id: int) -> ProductTerms:
    lo, hi = sorted([draw(_money), draw(_money)])
    tlo, thi = sorted([draw(_term), draw(_term)])
    return ProductTerms(
        product_id=product_id,
        version_id=product_id * 10,
        provider_id=draw(st.integers(1, 4)),
        kind=draw(st.sampled_from(["loan", "loan", "loan", "insurance"])),
        active=draw(st.booleans() | st.just(True)),
        amount_min=draw(st.none() | st.just(lo)),
        amount_max=draw(st.none() | st.just(hi)),
        term_min_months=draw(st.none() | st.just(tlo)),
        term_max_months=draw(st.none() | st.just(thi)),
        rate=draw(st.none() | st.integers(0, 1500).map(lambda bp: D(bp) / 10000)),
        accepted_right_kinds=tuple(draw(st.lists(_kind, max_size=3, unique=True))),
        package_allowed=draw(st.booleans()),
        max_pledge_rate=draw(st.none() | st.integers(1, 100).map(lambda n: D(n) / 100)),
        regions=tuple(draw(st.lists(st.sampled_from(["江苏省", "浙江省"]), max_size=2))),
        park_ids=tuple(draw(st.lists(st.integers(1, 3), max_size=2))),
        industries=tuple(draw(st.lists(st.sampled_from(["C", "I"]), max_size=2))),
    )


@st.composite
def catalogues(draw: st.DrawFn) -> list[ProductTerms]:
    ids = draw(st.lists(st.integers(1, 10_000), min_size=0, max_size=12, unique=True))
    return [draw(products(pid)) for pid in ids]


@settings(max_examples=300, deadline=None)
@given(demands(), catalogues(), st.randoms(use_true_random=False))
def test_ranking_properties(
    demand: DemandFacts, catalogue: list[ProductTerms], rnd: random.Random
) -> None:
    ranked = match_products(demand, catalogue)
    assert sorted(m.product.product_id for m in ranked) == sorted(p.product_id for p in catalogue)
    flags = [m.eligible for m in ranked]
    # Ineligible never ranked above eligible.
    assert flags == sorted(flags, reverse=True)
    for m in ranked:
        assert m.eligible == all(r.passed for r in m.rules)
        if m.eligible:
            assert m.score is not None and D(0) <= m.score <= D(100)
            assert m.score == sum((c.points for c in m.components), D(0))
            assert all(D(0) <= c.points <= c.max_points for c in m.components)
        else:
            assert m.score is None and m.rank is None and m.failures
    eligible = [m for m in ranked if m.eligible]
    assert [m.rank for m in eligible] == list(range(1, len(eligible) + 1))
    # Score descending, ties by product id.
    keys = [(-(m.score or 0), m.product.product_id) for m in eligible]
    assert keys == sorted(keys)
    # Deterministic: the input order does not matter.
    shuffled = list(catalogue)
    rnd.shuffle(shuffled)
    assert match_products(demand, shuffled) == ranked


@settings(max_examples=200, deadline=None)
@given(demands(), products(1), st.integers(0, 1500), st.integers(0, 1500))
def test_a_lower_rate_never_scores_lower(
    demand: DemandFacts, product: ProductTerms, bp_a: int, bp_b: int
) -> None:
    low, high = sorted([bp_a, bp_b])
    cheap = dataclasses.replace(product, rate=D(low) / 10000)
    dear = dataclasses.replace(product, rate=D(high) / 10000)
    assert score_product(demand, cheap)[0] >= score_product(demand, dear)[0]


@settings(max_examples=200, deadline=None)
@given(demands(), products(1), _money)
def test_more_valuation_never_scores_lower(
    demand: DemandFacts, product: ProductTerms, extra: Decimal
) -> None:
    base = dataclasses.replace(demand, valuation=demand.valuation or D("1"))
    richer = dataclasses.replace(base, valuation=(base.valuation or D(0)) + extra)
    assert score_product(richer, product)[0] >= score_product(base, product)[0]
    # And a richer valuation never turns an eligible product ineligible.
    if not failed(base, product):
        assert not failed(richer, product)
