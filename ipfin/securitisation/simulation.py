"""A seeded Monte Carlo of a securitised pool's defaults and recoveries (issue 16: "each tranche's
expected loss and the probability of any loss; stress scenarios"). Pure rules, no Django: numpy
columns, never a Python loop over scenarios or loans.

The model, per scenario:

- each loan defaults in month k with probability (1 − p)^k · p (p its monthly default
  probability, times the stress's multiplier, at most 1): the month of default is drawn once
  per loan and scenario, τ = ⌊ln U / ln(1 − p)⌋ from a uniform U of the seeded generator; a τ past
  the last month is no default;
- until τ the loan pays its schedule; in month τ it pays the recovery — its balance at the start
  of that month × its recovery rate (basis points, less the stress's haircut), rounded half-up to
  the fen — and nothing after;
- the pool's collection of each month goes through the sequential-pay waterfall of
  `ipfin.securitisation.domain` (senior fees, interest in order, principal in order, residual),
  with the same rules and the same integer fen.

A tranche's loss in a scenario is what it is still owed after the last month: its balance and its
unpaid interest. Its expected loss is the mean of that over the scenarios, as a share of its
initial balance; the probability of loss the share of scenarios where it is above zero.

Exactness: amounts are integer fen. The pool's collections are sums of integer fen taken in
float64, exact below 2**53 fen (about 90 trillion yuan, checked); the waterfall runs in int64.
`simulate_per_scenario` is the same model one scenario at a time in plain Python, through the
waterfall rule itself (the benchmark's baseline and the test's oracle): both give the same losses
for the same draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from ipfin.securitisation.domain import Tranche, sequential_waterfall, yuan

__all__ = [
    "Pool",
    "SimulationResult",
    "Stress",
    "TrancheSpec",
    "default_months",
    "equal_principal_pool",
    "simulate",
    "simulate_per_scenario",
]

RATE_SCALE = 10**8  # a tranche's rate per period in units of 1e-8 (at most 8 decimals)
BP = 10_000
_EXACT = 2**53
# The largest number of defaulted loan-months expanded at once (memory: a few arrays of it).
_CHUNK_CELLS = 4_000_000

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Pool:
    """N loans over T months, in fen: `schedule[i, t]` the collection due from loan i in month t
    (principal and interest), `balance[i, t]` its principal outstanding at the start of month t;
    `monthly_pd[i]` its probability of default in a month, `recovery_bp[i]` the share of the
    balance recovered on default, in basis points."""

    schedule: IntArray
    balance: IntArray
    monthly_pd: FloatArray
    recovery_bp: IntArray

    @property
    def loans(self) -> int:
        return int(self.schedule.shape[0])

    @property
    def months(self) -> int:
        return int(self.schedule.shape[1])

    @property
    def terms(self) -> IntArray:
        """Per loan, the months up to and including its last scheduled collection (0: none):
        a default drawn after it misses nothing, the loan being repaid."""
        due = self.schedule > 0
        last: IntArray = self.months - np.argmax(due[:, ::-1], axis=1)
        return np.where(due.any(axis=1), last, 0)


@dataclass(frozen=True)
class TrancheSpec:
    """A class of notes: name, balance in fen, rate per period in units of 1e-8."""

    name: str
    balance_fen: int
    rate_e8: int


@dataclass(frozen=True)
class Stress:
    """A stress scenario: default probabilities × `pd_multiplier`, recoveries less
    `recovery_haircut_bp` basis points (never below 0)."""

    name: str
    pd_multiplier: float = 1.0
    recovery_haircut_bp: int = 0


@dataclass(frozen=True)
class SimulationResult:
    """Per tranche: the loss (fen) in each scenario; and the pool's defaults per scenario."""

    scenarios: int
    losses: dict[str, IntArray]
    defaults: IntArray
    initial: dict[str, int]

    def expected_loss(self, name: str) -> float:
        """The mean loss as a share of the tranche's initial balance."""
        initial = self.initial[name]
        return float(self.losses[name].mean()) / initial if initial else 0.0

    def loss_probability(self, name: str) -> float:
        return float((self.losses[name] > 0).mean())


def equal_principal_pool(
    principal_fen: IntArray,
    terms: IntArray,
    monthly_rate_bp: IntArray,
    monthly_pd: FloatArray,
    recovery_bp: IntArray,
    months: int | None = None,
) -> Pool:
    """A pool of loans repaid in equal monthly principal (等额本金): loan i's principal over
    terms[i] months, the last instalment taking what rounding left; interest each month is the
    balance × its monthly rate (basis points), half-up to the fen. Columns, no loop over loans."""
    horizon = int(terms.max(initial=0)) if months is None else months
    month = np.arange(horizon, dtype=np.int64)[None, :]
    terms_col = terms.astype(np.int64)[:, None]
    principal = principal_fen.astype(np.int64)[:, None]
    part = principal // terms_col
    active = month < terms_col
    balance = np.where(active, principal - month * part, 0)
    last = principal - (terms_col - 1) * part
    repaid = np.where(month < terms_col - 1, part, np.where(month == terms_col - 1, last, 0))
    interest = (balance * monthly_rate_bp.astype(np.int64)[:, None] + BP // 2) // BP
    return Pool(
        schedule=repaid + interest,
        balance=balance,
        monthly_pd=monthly_pd.astype(np.float64),
        recovery_bp=recovery_bp.astype(np.int64),
    )


def default_months(pool: Pool, scenarios: int, seed: int, pd_multiplier: float = 1.0) -> IntArray:
    """τ[s, i]: the month loan i defaults in scenario s, `pool.months` for no default within
    the pool's life. One uniform per loan and scenario from the seeded generator."""
    rng = np.random.default_rng(seed)
    uniform = rng.random((scenarios, pool.loans))
    p = np.clip(pool.monthly_pd * pd_multiplier, 0.0, 1.0)
    months = pool.months
    tau = np.full((scenarios, pool.loans), months, dtype=np.int64)
    certain = p >= 1.0
    possible = (p > 0.0) & ~certain
    if possible.any():
        log_survive = np.log1p(-p[possible])
        # U in [0, 1): ln U / ln(1 − p) ≥ 0; U = 0 would be +inf, read as no default.
        with np.errstate(divide="ignore"):
            drawn = np.floor(np.log(uniform[:, possible]) / log_survive)
        tau[:, possible] = np.where(drawn < months, drawn, months).astype(np.int64)
    tau[:, certain] = 0
    return tau


def _recoveries(pool: Pool, haircut_bp: int) -> IntArray:
    """recovery[i, t]: what loan i pays if it defaults in month t, half-up to the fen."""
    rate = np.maximum(pool.recovery_bp - haircut_bp, 0).astype(np.int64)
    return (pool.balance * rate[:, None] + BP // 2) // BP


def _collections(pool: Pool, tau: IntArray, recovery: IntArray) -> IntArray:
    """The pool's collection in each scenario and month, in fen: everything scheduled, less what
    defaulted loans no longer pay from their month of default, plus their recoveries. Only the
    defaulted loan-months are touched (np.bincount over them, scenarios in chunks)."""
    scenarios, months = tau.shape[0], pool.months
    if int(pool.schedule.sum(axis=0).max(initial=0)) >= _EXACT:
        raise ValueError("the pool's monthly collections exceed what float64 sums exactly")
    scheduled = pool.schedule.sum(axis=0)
    out = np.empty((scenarios, months), dtype=np.int64)
    schedule = pool.schedule.astype(np.float64)
    recovered = recovery.astype(np.float64)
    # Scenarios in blocks whose defaulted loan-months stay under the chunk's size.
    cumulative = np.cumsum((months - tau).sum(axis=1))
    start = 0
    while start < scenarios:
        before = int(cumulative[start - 1]) if start else 0
        stop = int(np.searchsorted(cumulative, before + _CHUNK_CELLS, side="right"))
        stop = min(max(stop, start + 1), scenarios)
        block = tau[start:stop]
        rows, loans = np.nonzero(block < months)
        first = block[rows, loans]
        lengths = months - first
        cells = np.repeat(rows * months + first, lengths)
        # Within each defaulted loan: months first, first + 1, …, months − 1.
        steps = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        cells += steps
        lost_loans = np.repeat(loans, lengths)
        size = (stop - start) * months
        lost = np.bincount(cells, weights=schedule[lost_loans, cells % months], minlength=size)
        back = np.bincount(rows * months + first, weights=recovered[loans, first], minlength=size)
        block_out = scheduled[None, :] - np.rint(lost).astype(np.int64).reshape(-1, months)
        block_out += np.rint(back).astype(np.int64).reshape(-1, months)
        out[start:stop] = block_out
        start = stop
    return out


def _interest(balance: IntArray, rate_e8: int) -> IntArray:
    """balance × rate rounded half-up to the fen, exactly in int64 (balance split at 1e8 so that
    neither product leaves int64)."""
    high, low = np.divmod(balance, RATE_SCALE)
    interest: IntArray = high * rate_e8 + (low * rate_e8 + RATE_SCALE // 2) // RATE_SCALE
    return interest


def _waterfall_losses(
    collections: IntArray, fee_fen: int, tranches: Sequence[TrancheSpec]
) -> dict[str, IntArray]:
    """The sequential-pay waterfall of every scenario at once (one column per scenario): what
    each tranche is still owed after the last month (balance + unpaid interest)."""
    scenarios = collections.shape[0]
    balance = {t.name: np.full(scenarios, t.balance_fen, dtype=np.int64) for t in tranches}
    owed = {t.name: np.zeros(scenarios, dtype=np.int64) for t in tranches}
    fees_carried = np.zeros(scenarios, dtype=np.int64)
    for month in range(collections.shape[1]):
        available = collections[:, month].copy()
        due = fees_carried + fee_fen
        paid = np.minimum(available, due)
        fees_carried = due - paid
        available -= paid
        for tranche in tranches:
            due = _interest(balance[tranche.name], tranche.rate_e8) + owed[tranche.name]
            paid = np.minimum(available, due)
            owed[tranche.name] = due - paid
            available -= paid
        for tranche in tranches:
            paid = np.minimum(available, balance[tranche.name])
            balance[tranche.name] -= paid
            available -= paid
    return {t.name: balance[t.name] + owed[t.name] for t in tranches}


def simulate(
    pool: Pool,
    tranches: Sequence[TrancheSpec],
    fee_fen: int,
    *,
    scenarios: int,
    seed: int,
    stress: Stress | None = None,
) -> SimulationResult:
    """Each tranche's loss in each of `scenarios` seeded scenarios (see the module doc)."""
    stress = stress or Stress("base")
    tau = default_months(pool, scenarios, seed, stress.pd_multiplier)
    collections = _collections(pool, tau, _recoveries(pool, stress.recovery_haircut_bp))
    losses = _waterfall_losses(collections, fee_fen, tranches)
    return SimulationResult(
        scenarios=scenarios,
        losses=losses,
        # A loan repaid before its drawn default month did not default: it owed nothing then.
        # (Counted against the pool's last month, a 12-month loan in a pool of 24 months "had
        # defaulted" in months 13-24 too: 1.418 defaults where 1.168 are expected.)
        defaults=(tau < pool.terms[None, :]).sum(axis=1),
        initial={t.name: t.balance_fen for t in tranches},
    )


def simulate_per_scenario(
    pool: Pool,
    tranches: Sequence[TrancheSpec],
    fee_fen: int,
    *,
    scenarios: int,
    seed: int,
    stress: Stress | None = None,
) -> dict[str, list[int]]:
    """The same model one scenario at a time in plain Python, from the same draws, each
    scenario's collections through the waterfall rule itself
    (ipfin.securitisation.domain.sequential_waterfall): each tranche's loss per scenario. The
    benchmark's baseline and the tests' oracle."""
    stress = stress or Stress("base")
    tau = default_months(pool, scenarios, seed, stress.pd_multiplier).tolist()
    schedule = pool.schedule.tolist()
    recovery = _recoveries(pool, stress.recovery_haircut_bp).tolist()
    months = pool.months
    scheduled = [sum(column) for column in zip(*schedule, strict=True)]
    fee = yuan(fee_fen)
    notes = [Tranche(t.name, yuan(t.balance_fen), Decimal(t.rate_e8).scaleb(-8)) for t in tranches]
    out: dict[str, list[int]] = {t.name: [] for t in tranches}
    for row in tau:
        collections = list(scheduled)
        for loan, month in enumerate(row):
            if month < months:
                for t in range(month, months):
                    collections[t] -= schedule[loan][t]
                collections[month] += recovery[loan][month]
        result = sequential_waterfall([yuan(fen) for fen in collections], fee, notes)
        for tranche in tranches:
            end = result.final[tranche.name]
            out[tranche.name].append(end.balance + end.interest_shortfall)
    return out
