"""The Monte Carlo of defaults and recoveries (issue 16: expected loss and probability of loss
per tranche, stress scenarios): the vectorised engine gives exactly the losses of the same model
run one scenario at a time in plain Python, from the same seeded draws; its pieces hold both
ways."""

from __future__ import annotations

import numpy as np
import pytest

from ipfin.securitisation import simulation as sim
from ipfin.securitisation.simulation import Pool, Stress, TrancheSpec


def equal_principal_pool(
    rng: np.random.Generator, loans: int, months: int, pd_range: tuple[float, float]
) -> Pool:
    """Loans of 100,000–1,000,000 yuan repaid in equal monthly principal over 6..months months
    at 0.3–0.8 % a month, as fen."""
    return sim.equal_principal_pool(
        principal_fen=rng.integers(10_000_000, 100_000_001, loans),
        terms=rng.integers(6, months + 1, loans),
        monthly_rate_bp=rng.integers(30, 81, loans),
        monthly_pd=rng.uniform(*pd_range, loans),
        recovery_bp=rng.integers(2_000, 7_001, loans),
        months=months,
    )


def test_an_equal_principal_schedule_by_hand() -> None:
    """1,000.00 yuan over 3 months at 1 % a month: principal 333.33, 333.33, 333.34; balances
    1,000.00, 666.67, 333.34; interest 10.00, 6.67 (6.6667), 3.33 (3.3334); nothing in month 4."""
    pool = sim.equal_principal_pool(
        np.array([100_000]), np.array([3]), np.array([100]), np.array([0.0]), np.array([0]), 4
    )
    assert pool.balance.tolist() == [[100_000, 66_667, 33_334, 0]]
    assert pool.schedule.tolist() == [[33_333 + 1_000, 33_333 + 667, 33_334 + 333, 0]]
    assert int(pool.schedule.sum()) == 100_000 + 1_000 + 667 + 333


def tranches_of(pool: Pool) -> list[TrancheSpec]:
    total = int(pool.balance[:, 0].sum())
    return [
        TrancheSpec("senior", total * 70 // 100, 300_000),  # 0.3 % a month
        TrancheSpec("mezzanine", total * 20 // 100, 500_000),
        TrancheSpec("junior", total - total * 90 // 100, 800_000),
    ]


@pytest.mark.parametrize(
    ("seed", "stress"),
    [
        (1, Stress("base")),
        (2, Stress("double defaults", pd_multiplier=2.0)),
        (3, Stress("severe", pd_multiplier=8.0, recovery_haircut_bp=3_000)),
        (4, Stress("everything defaults", pd_multiplier=1_000.0, recovery_haircut_bp=9_000)),
    ],
)
def test_the_vectorised_engine_equals_one_scenario_at_a_time(seed: int, stress: Stress) -> None:
    rng = np.random.default_rng(seed)
    pool = equal_principal_pool(rng, loans=40, months=24, pd_range=(0.001, 0.02))
    tranches = tranches_of(pool)
    fee = int(pool.balance[:, 0].sum()) // 5_000  # 0.02 % of the pool a month
    fast = sim.simulate(pool, tranches, fee, scenarios=300, seed=seed, stress=stress)
    slow = sim.simulate_per_scenario(pool, tranches, fee, scenarios=300, seed=seed, stress=stress)
    for tranche in tranches:
        assert fast.losses[tranche.name].tolist() == slow[tranche.name]
    # Losses hit the junior tranche first: never a senior loss where the junior lost nothing.
    senior_hit = fast.losses["senior"] > 0
    assert not (senior_hit & (fast.losses["junior"] == 0)).any()


def test_small_chunks_give_the_same_collections(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    pool = equal_principal_pool(rng, loans=30, months=12, pd_range=(0.05, 0.2))
    tau = sim.default_months(pool, 200, seed=7)
    recovery = sim._recoveries(pool, 0)
    whole = sim._collections(pool, tau, recovery)
    monkeypatch.setattr(sim, "_CHUNK_CELLS", 50)
    assert (sim._collections(pool, tau, recovery) == whole).all()


def test_without_defaults_every_tranche_is_repaid_in_full() -> None:
    rng = np.random.default_rng(5)
    pool = equal_principal_pool(rng, loans=20, months=12, pd_range=(0.0, 0.0))
    result = sim.simulate(pool, tranches_of(pool), 0, scenarios=50, seed=5)
    assert all(int(loss.max()) == 0 for loss in result.losses.values())
    assert result.loss_probability("junior") == 0.0 and int(result.defaults.max()) == 0


def test_a_certain_default_happens_in_the_first_month_and_only_recoveries_come_in() -> None:
    rng = np.random.default_rng(6)
    pool = equal_principal_pool(rng, loans=10, months=12, pd_range=(1.0, 1.0))
    tau = sim.default_months(pool, 5, seed=6)
    assert (tau == 0).all()
    collections = sim._collections(pool, tau, sim._recoveries(pool, 0))
    recovered = (pool.balance[:, 0] * pool.recovery_bp + 5_000) // 10_000
    assert (collections[:, 0] == recovered.sum()).all() and (collections[:, 1:] == 0).all()


def test_default_months_follow_the_monthly_probability() -> None:
    """P(τ < T) = 1 − (1 − p)^T: with p = 1 % over 24 months, 21.4 %; 200,000 draws hold it to
    well within 0.5 points."""
    pool = Pool(
        schedule=np.ones((1, 24), dtype=np.int64),
        balance=np.ones((1, 24), dtype=np.int64),
        monthly_pd=np.array([0.01]),
        recovery_bp=np.array([0]),
    )
    tau = sim.default_months(pool, 200_000, seed=11)
    assert abs(float((tau < 24).mean()) - (1 - 0.99**24)) < 0.005
    # Month 0 is the likeliest single month (geometric): p = 1 %.
    assert abs(float((tau == 0).mean()) - 0.01) < 0.002
    # The same seed draws the same months; another seed others.
    assert (sim.default_months(pool, 1_000, seed=11) == tau[:1_000]).all()
    assert not (sim.default_months(pool, 1_000, seed=12) == tau[:1_000]).all()


def test_interest_rounds_half_up_to_the_fen_in_int64_as_in_the_waterfall() -> None:
    from decimal import Decimal

    from ipfin.securitisation.domain import interest_fen

    balances = np.array([50, 49, 123_456, 123_400, 10**15 - 1], dtype=np.int64)
    for rate_e8 in (1_000_000, 1_250_000, 99_999_999, 33_333_333):
        got = sim._interest(balances, rate_e8).tolist()
        assert got == [interest_fen(int(b), Decimal(rate_e8).scaleb(-8)) for b in balances]


def test_expected_loss_is_a_share_of_the_initial_balance() -> None:
    result = sim.SimulationResult(
        scenarios=4,
        losses={"A": np.array([0, 0, 50, 150], dtype=np.int64)},
        defaults=np.zeros(4, dtype=np.int64),
        initial={"A": 1_000},
    )
    assert result.expected_loss("A") == pytest.approx(0.05)  # mean 50 of 1,000
    assert result.loss_probability("A") == 0.5


def test_a_loan_repaid_before_its_drawn_default_month_did_not_default() -> None:
    """Two loans of 12 and 24 months at p = 5 % a month in a pool of 24 months: the mean number
    of loans defaulting is (1 − 0.95¹²) + (1 − 0.95²⁴) = 1.1676, a default being possible only
    while the loan owes. Counted against the pool's 24 months it came out 1.418: the 12-month
    loan "defaulted" after its last instalment too."""
    pool = sim.equal_principal_pool(
        np.array([1_200_000, 2_400_000]),
        np.array([12, 24]),
        np.array([50, 50]),
        np.array([0.05, 0.05]),
        np.array([4_000, 4_000]),
        24,
    )
    assert pool.terms.tolist() == [12, 24]
    result = sim.simulate(pool, [TrancheSpec("A", 3_600_000, 0)], 0, scenarios=200_000, seed=3)
    expected = (1 - 0.95**12) + (1 - 0.95**24)
    # 200,000 scenarios: the mean's standard error is about 0.0015.
    assert abs(float(result.defaults.mean()) - expected) < 0.01
