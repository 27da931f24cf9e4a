"""Bank internal valuation, maximum loan and recheck: hand-computed cases and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.valuation.domain.bank import (
    SMALL_LOAN_LIMIT,
    BankModel,
    CollateralRight,
    internal_valuation,
    internal_valuation_allowed,
    max_loan_amount,
    recheck,
)
from ipfin.valuation.domain.errors import ValuationInputError

D = Decimal
MODEL = BankModel.default()


def test_internal_valuation_of_a_package_hand_computed():
    # Default model: haircuts invention 0.20, utility model 0.35, design 0.45; score floor 0.5.
    rights = [
        # 1,000,000.00 · (1 − 0.20) · max(0.5, 80/100 = 0.80) = 640,000.00
        CollateralRight("ZL201510000001.1", "invention", D("1000000.00"), D(80)),
        # 333,333.33 · 0.65 · max(0.5, 0.30) = 333,333.33 · 0.325 = 108,333.33225 → 108,333.33
        CollateralRight("ZL201620000002.2", "utility_model", D("333333.33"), D(30)),
        # 12,345.67 · 0.55 · 0.5 (no score: the floor) = 3,395.05925 → 3,395.06 (half up)
        CollateralRight("ZL201730000003.3", "design", D("12345.67"), None),
    ]
    result = internal_valuation(rights, MODEL)
    assert [line.value for line in result.lines] == [D("640000.00"), D("108333.33"), D("3395.06")]
    assert [line.score_factor for line in result.lines] == [D("0.8"), D("0.5"), D("0.5")]
    assert [line.haircut for line in result.lines] == [D("0.20"), D("0.35"), D("0.45")]
    # 640,000.00 + 108,333.33 + 3,395.06 = 751,728.39 (the sum of the lines shown)
    assert result.value == D("751728.39")


def test_max_loan_amount_rounds_down_to_the_fen():
    # 751,728.39 · 0.50 = 375,864.195 → 375,864.19 (down, not half up)
    assert max_loan_amount(D("751728.39"), "ip_pledge", MODEL) == D("375864.19")
    # 751,728.39 · 0.70 = 526,209.873 → 526,209.87
    assert max_loan_amount(D("751728.39"), "ip_pledge_guaranteed", MODEL) == D("526209.87")
    assert max_loan_amount(D(0), "ip_pledge", MODEL) == D("0.00")
    with pytest.raises(ValuationInputError) as error:
        max_loan_amount(D(100), "mortgage", MODEL)
    assert error.value.field == "product"
    with pytest.raises(ValuationInputError) as error:
        max_loan_amount(D(-1), "ip_pledge", MODEL)
    assert error.value.field == "internal_value"


def test_internal_valuation_up_to_ten_million_inclusive_minfadian_art1259():
    """Seed 000 encourages internal valuation for loans of 1000万元以下, and 民法典 art. 1259 reads
    以下 as including the figure: 10,000,000.00 may rest on the internal valuation, one fen more
    may not. This test once encoded a strict boundary (< 10,000,000, so 10,000,000.00 needed an
    external report); the statute wins over that engine contract."""
    assert D(10_000_000) == SMALL_LOAN_LIMIT
    assert internal_valuation_allowed(D("9999999.99"))
    assert internal_valuation_allowed(D("10000000.00"))
    assert internal_valuation_allowed(D("10000000"))
    assert internal_valuation_allowed(D("0.01"))
    assert not internal_valuation_allowed(D("10000000.01"))
    assert not internal_valuation_allowed(D("25000000"))
    with pytest.raises(ValuationInputError) as error:
        internal_valuation_allowed(D(0))
    assert error.value.field == "loan_amount"


@pytest.mark.parametrize(
    ("external", "flagged", "deviation"),
    [
        (D("1300000.00"), False, D("0.300000")),  # |1.3m − 1m| / 1m = 0.30: not above 0.30
        (D("1300000.01"), True, D("0.300000")),  # 0.30000001 > 0.30, shown rounded to 6 places
        (D("700000.00"), False, D("0.300000")),  # below by exactly 30%
        (D("699999.99"), True, D("0.300000")),
        (D("1000000.00"), False, D("0.000000")),
        (D("0"), True, D("1.000000")),
    ],
)
def test_recheck_flags_deviation_above_the_threshold(external, flagged, deviation):
    result = recheck(external, D("1000000.00"), D("0.30"))
    assert result.flagged is flagged
    assert result.deviation == deviation
    assert (result.external_value, result.internal_value, result.threshold) == (
        external,
        D("1000000.00"),
        D("0.30"),
    )


def test_recheck_refuses_what_it_cannot_measure():
    with pytest.raises(ValuationInputError) as error:
        recheck(D(100), D(0), D("0.3"))
    assert error.value.field == "internal_value"
    with pytest.raises(ValuationInputError) as error:
        recheck(D(-1), D(100), D("0.3"))
    assert error.value.field == "external_value"
    with pytest.raises(ValuationInputError) as error:
        recheck(D(100), D(100), D("-0.1"))
    assert error.value.field == "threshold"
    with pytest.raises(ValuationInputError) as error:
        recheck(D(100), 100.0, D("0.3"))  # type: ignore[arg-type]
    assert error.value.field == "internal_value"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"haircuts": {"invention": D("1.2")}}, "haircuts.invention"),
        ({"haircuts": {"invention": D("-0.1")}}, "haircuts.invention"),
        ({"haircuts": {"invention": 0.2}}, "haircuts.invention"),  # float refused
        ({"haircuts": {"patent": D("0.2")}}, "haircuts"),
        ({"max_pledge_rates": {"ip_pledge": D(0)}}, "max_pledge_rates.ip_pledge"),
        ({"max_pledge_rates": {"ip_pledge": D("1.01")}}, "max_pledge_rates.ip_pledge"),
        ({"max_pledge_rates": {}}, "max_pledge_rates"),
        ({"max_pledge_rates": {"": D("0.5")}}, "max_pledge_rates"),
        ({"recheck_threshold": D("-0.01")}, "recheck_threshold"),
        ({"score_floor": D("1.5")}, "score_floor"),
        ({"score_floor": D("NaN")}, "score_floor"),
    ],
)
def test_bank_model_is_checked_on_construction(changes, field):
    base = {
        "haircuts": dict(MODEL.haircuts),
        "max_pledge_rates": dict(MODEL.max_pledge_rates),
        "recheck_threshold": MODEL.recheck_threshold,
        "score_floor": MODEL.score_floor,
    }
    with pytest.raises(ValuationInputError) as error:
        BankModel(**{**base, **changes})
    assert error.value.field == field


def test_internal_valuation_refuses_impossible_rights():
    model = BankModel(
        haircuts={"invention": D("0.2")},
        max_pledge_rates={"ip_pledge": D("0.5")},
        recheck_threshold=D("0.3"),
        score_floor=D("0.5"),
    )
    with pytest.raises(ValuationInputError) as error:
        internal_valuation([CollateralRight("X", "trademark", D(1), None)], model)
    assert error.value.field == "rights[0].kind"  # no haircut set for trademarks in this model
    with pytest.raises(ValuationInputError) as error:
        internal_valuation(
            [
                CollateralRight("X", "invention", D(1), None),
                CollateralRight("Y", "invention", D(-1), None),
            ],
            model,
        )
    assert error.value.field == "rights[1].reference_value"
    with pytest.raises(ValuationInputError) as error:
        internal_valuation([CollateralRight("X", "invention", D(1), D(101))], model)
    assert error.value.field == "rights[0].score"
    with pytest.raises(ValuationInputError) as error:
        internal_valuation([], model)
    assert error.value.field == "rights"


amounts = st.decimals(min_value=0, max_value=10**9, places=2)
scores = st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2))
kinds = st.sampled_from(sorted(MODEL.haircuts))


@given(st.lists(st.tuples(kinds, amounts, scores), min_size=1, max_size=8))
def test_internal_value_is_the_sum_of_lines_each_at_most_its_reference(rows):
    rights = [CollateralRight(f"R{i}", k, v, s) for i, (k, v, s) in enumerate(rows)]
    result = internal_valuation(rights, MODEL)
    assert result.value == sum(line.value for line in result.lines)
    for line in result.lines:
        assert D(0) <= line.value <= line.reference_value
        assert line.value == line.value.quantize(D("0.01"))
        assert MODEL.score_floor <= line.score_factor <= 1


@given(kinds, amounts, scores, scores)
def test_a_higher_score_never_lowers_the_internal_value(kind, value, s1, s2):
    low, high = sorted([s1 or D(0), s2 or D(0)])
    worse = internal_valuation([CollateralRight("A", kind, value, low)], MODEL).value
    better = internal_valuation([CollateralRight("A", kind, value, high)], MODEL).value
    assert better >= worse


@given(amounts, st.sampled_from(["ip_pledge", "ip_pledge_guaranteed"]))
def test_max_loan_never_exceeds_the_rate_and_misses_it_by_under_a_fen(value, product):
    exact = value * MODEL.max_pledge_rates[product]
    amount = max_loan_amount(value, product, MODEL)
    assert exact - D("0.01") < amount <= exact


@given(amounts.filter(lambda v: v > 0), amounts, st.decimals(min_value=0, max_value=2, places=4))
def test_recheck_flag_is_the_exact_comparison(internal, external, threshold):
    result = recheck(external, internal, threshold)
    assert result.flagged == (abs(external - internal) / internal > threshold)
