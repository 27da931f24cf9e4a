"""The "IP + credit" enterprise scorecard: hand-computed profiles, bins, unknowns, properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.valuation.domain.credit import (
    GROUP_MAX,
    UNKNOWN_POINTS,
    EnterpriseProfile,
    credit_score,
)
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.models import EnterpriseCreditProfile

D = Decimal

# The worked example (bins from the module docstring's table):
#   ip:          6 valid inventions → 5–9 → 10; 25 valid rights → ≥ 20 → 8;
#                average score 58.5 → 55–65 → 8                                   ip = 26
#   innovation:  R&D 4.5% → 3–5% → 6; high-tech → 5; not 专精特新 → 0              innovation = 11
#   credit:      "AA+" scores as AA → 11; one overdue → 6; tax grade B → 6        credit = 23
#   operations:  7.5 years → 5–10 → 4; revenue 35m → 10m–50m → 3;
#                growth exactly 10% → the upper bin 10–30% → 4;
#                debt ratio exactly 60% → the upper bin 60–70% → 2                operations = 13
#   total 26 + 11 + 23 + 13 = 73 → B (65 ≤ 73 < 80)
EXAMPLE = EnterpriseProfile(
    valid_invention_count=6,
    valid_right_count=25,
    avg_right_score=D("58.5"),
    rd_expense_ratio=D("0.045"),
    high_tech=True,
    specialised_sme=False,
    years_in_business=D("7.5"),
    credit_rating="AA+",
    overdue_count_24m=1,
    revenue=D("35000000"),
    revenue_growth=D("0.10"),
    debt_ratio=D("0.60"),
    tax_credit_grade="B",
)

# Everything unknown or zero: ip 0 + 0 + 5 (unknown score, neutral) = 5; innovation 2 (unknown
# R&D, low) + 0 + 0 = 2; credit 4 (unrated, low) + 10 (no overdue) + 3 (no tax grade, low) = 17;
# operations 0 (under a year) + 1 (unknown revenue, low) + 2 + 2 (neutral) = 5; total 29 → D.
UNKNOWN = EnterpriseProfile(
    valid_invention_count=0,
    valid_right_count=0,
    avg_right_score=None,
    rd_expense_ratio=None,
    high_tech=False,
    specialised_sme=False,
    years_in_business=D(0),
    credit_rating=None,
    overdue_count_24m=0,
    revenue=None,
    revenue_growth=None,
    debt_ratio=None,
    tax_credit_grade=None,
)


def test_worked_example():
    result = credit_score(EXAMPLE)
    points = {f.factor: f.points for f in result.factors}
    assert points == {
        "valid_invention_count": 10,
        "valid_right_count": 8,
        "avg_right_score": 8,
        "rd_expense_ratio": 6,
        "high_tech": 5,
        "specialised_sme": 0,
        "credit_rating": 11,
        "overdue_count_24m": 6,
        "tax_credit_grade": 6,
        "years_in_business": 4,
        "revenue": 3,
        "revenue_growth": 4,
        "debt_ratio": 2,
    }
    assert result.groups == {"ip": 26, "innovation": 11, "credit": 23, "operations": 13}
    assert result.total == 73
    assert result.grade == "B"
    rating = next(f for f in result.factors if f.factor == "credit_rating")
    assert (rating.value, rating.max_points, rating.group) == ("AA+", 12, "credit")
    assert rating.label_zh == "信用评级"


def test_unknown_values_get_the_documented_points_never_an_error():
    result = credit_score(UNKNOWN)
    points = {f.factor: f.points for f in result.factors}
    for factor, unknown_points in UNKNOWN_POINTS.items():
        assert points[factor] == unknown_points
    assert result.groups == {"ip": 5, "innovation": 2, "credit": 17, "operations": 5}
    assert result.total == 29
    assert result.grade == "D"
    assert {f.value for f in result.factors if f.factor in UNKNOWN_POINTS} == {"unknown"}


def test_a_dishonesty_record_grades_d_whatever_the_points_yipiao_foujue():
    """失信被执行人 / 严重失信主体 (最高人民法院关于公布失信被执行人名单信息的若干规定, the joint-
    punishment memoranda): the points stand as they are, the grade is D, the day is shown."""
    from datetime import date

    best = replace(
        EXAMPLE, valid_invention_count=10, valid_right_count=20, credit_rating="AAA",
        tax_credit_grade="A", rd_expense_ratio=D("0.10"), avg_right_score=D(65),
    )  # fmt: skip
    clean = credit_score(best)
    listed = credit_score(replace(best, dishonesty_on=date(2026, 3, 1)))
    assert clean.grade == "A" and clean.dishonesty_on is None
    assert (listed.total, listed.groups, listed.factors) == (
        clean.total,
        clean.groups,
        clean.factors,
    )
    assert (listed.grade, listed.dishonesty_on) == ("D", date(2026, 3, 1))


def test_the_best_profile_scores_100_and_grades_a():
    best = replace(
        EXAMPLE,
        valid_invention_count=10,
        valid_right_count=20,
        avg_right_score=D(65),
        rd_expense_ratio=D("0.10"),
        specialised_sme=True,
        years_in_business=D(10),
        credit_rating="AAA",
        overdue_count_24m=0,
        revenue=D(200_000_000),
        revenue_growth=D("0.30"),
        debt_ratio=D("0.39"),
        tax_credit_grade="A",
    )
    result = credit_score(best)
    assert result.total == 100
    assert result.groups == GROUP_MAX
    assert result.grade == "A"


@pytest.mark.parametrize(
    ("field", "value", "points"),
    [
        ("valid_invention_count", 1, 4),
        ("valid_invention_count", 4, 7),
        ("valid_invention_count", 5, 10),
        ("valid_invention_count", 9, 10),
        ("valid_invention_count", 0, 0),
        ("avg_right_score", D("44.99"), 2),
        ("avg_right_score", D(45), 5),
        ("avg_right_score", D(100), 10),
        ("rd_expense_ratio", D("0.0099"), 0),
        ("rd_expense_ratio", D("0.01"), 3),
        ("rd_expense_ratio", D("0.03"), 6),
        ("rd_expense_ratio", D("2.5"), 10),  # R&D above revenue: possible for a young company
        ("credit_rating", "bbb", 8),
        ("credit_rating", "BB-", 5),
        ("credit_rating", "CCC", 0),
        ("tax_credit_grade", "M", 4),
        ("tax_credit_grade", "D", 0),
        ("overdue_count_24m", 2, 3),
        ("overdue_count_24m", 7, 0),
        ("years_in_business", D("0.99"), 0),
        ("years_in_business", D(1), 2),
        ("revenue", D(0), 0),
        ("revenue", D("999999.99"), 1),
        ("revenue", D(1_000_000), 2),
        ("revenue_growth", D(-1), 0),
        ("revenue_growth", D("-0.2"), 1),
        ("revenue_growth", D(0), 3),
        ("debt_ratio", D(0), 5),
        ("debt_ratio", D("0.85"), 0),
        ("debt_ratio", D("4.9"), 0),
    ],
)
def test_bins_lower_bounds_belong_to_the_upper_bin(field, value, points):
    result = credit_score(replace(EXAMPLE, **{field: value}))
    assert next(f.points for f in result.factors if f.factor == field) == points


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"valid_invention_count": -1}, "valid_invention_count"),
        ({"valid_invention_count": 30, "valid_right_count": 25}, "valid_invention_count"),
        ({"valid_right_count": -5, "valid_invention_count": 0}, "valid_right_count"),
        ({"overdue_count_24m": -1}, "overdue_count_24m"),
        ({"overdue_count_24m": 1.0}, "overdue_count_24m"),
        ({"years_in_business": D(-1)}, "years_in_business"),
        ({"avg_right_score": D("100.01")}, "avg_right_score"),
        ({"rd_expense_ratio": D("-0.01")}, "rd_expense_ratio"),
        ({"rd_expense_ratio": D(11)}, "rd_expense_ratio"),
        ({"revenue": D(-1)}, "revenue"),
        ({"revenue_growth": D("-1.01")}, "revenue_growth"),
        ({"debt_ratio": D("5.01")}, "debt_ratio"),
        ({"debt_ratio": D("-0.1")}, "debt_ratio"),
        ({"debt_ratio": 0.5}, "debt_ratio"),  # float refused
        ({"credit_rating": "AAAA"}, "credit_rating"),
        ({"tax_credit_grade": "E"}, "tax_credit_grade"),
    ],
)
def test_impossible_values_are_refused_naming_the_field(changes, field):
    with pytest.raises(ValuationInputError) as error:
        credit_score(replace(EXAMPLE, **changes))
    assert error.value.field == field
    assert error.value.detail_zh and error.value.detail_en


counts = st.integers(0, 200)
optional_ratio = st.one_of(st.none(), st.decimals(min_value=0, max_value=5, places=4))
profiles = st.builds(
    EnterpriseProfile,
    valid_invention_count=counts,
    valid_right_count=st.just(400),
    avg_right_score=st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
    rd_expense_ratio=optional_ratio,
    high_tech=st.booleans(),
    specialised_sme=st.booleans(),
    years_in_business=st.decimals(min_value=0, max_value=80, places=1),
    credit_rating=st.one_of(st.none(), st.sampled_from(["AAA", "AA+", "A-", "BBB", "B", "C"])),
    overdue_count_24m=st.integers(0, 12),
    revenue=st.one_of(st.none(), st.decimals(min_value=0, max_value=10**10, places=2)),
    revenue_growth=st.one_of(st.none(), st.decimals(min_value=-1, max_value=10, places=3)),
    debt_ratio=optional_ratio,
    tax_credit_grade=st.one_of(st.none(), st.sampled_from(["A", "B", "M", "C", "D"])),
)


@given(profiles)
def test_total_is_the_sum_of_factors_and_groups_within_bounds(profile):
    result = credit_score(profile)
    assert 0 <= result.total <= 100
    assert result.total == sum(f.points for f in result.factors) == sum(result.groups.values())
    for factor in result.factors:
        assert 0 <= factor.points <= factor.max_points
    for group, points in result.groups.items():
        assert points <= GROUP_MAX[group]
    assert sum(f.max_points for f in result.factors) == 100


@given(profiles, st.integers(0, 50))
def test_more_inventions_or_fewer_overdues_never_lower_the_score(profile, extra):
    more = replace(profile, valid_invention_count=profile.valid_invention_count + extra)
    assert credit_score(more).total >= credit_score(profile).total
    if profile.overdue_count_24m >= 1:
        fewer = replace(profile, overdue_count_24m=profile.overdue_count_24m - 1)
        assert credit_score(fewer).total >= credit_score(profile).total


def _points_of(
    profile: EnterpriseCreditProfile, average: float | None, on: date, factor: str
) -> int:
    from ipfin.valuation.selectors import _engine_profile

    score = credit_score(_engine_profile(profile, [], average, on))
    return next(f.points for f in score.factors if f.factor == factor)


def test_a_factor_just_below_a_bins_bound_scores_in_the_bin_below() -> None:
    """The bins are half-open at whole numbers (average right score < 45 → 2, [45, 55) → 5;
    years in business < 1 → 0, [1, 3) → 2): a figure just below a bound is in the bin below.
    Rounded before binning, 44.996 had scored as 45, and 350 days as a year."""
    on = date(2025, 6, 30)
    bare = EnterpriseCreditProfile()
    assert _points_of(bare, 44.996, on, "avg_right_score") == 2
    assert _points_of(bare, 45.0, on, "avg_right_score") == 5
    young = EnterpriseCreditProfile(established_on=on - timedelta(days=350))
    assert _points_of(young, None, on, "years_in_business") == 0
    of_age = EnterpriseCreditProfile(established_on=on - timedelta(days=366))
    assert _points_of(of_age, None, on, "years_in_business") == 2
