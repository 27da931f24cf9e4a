"""The anomaly signals' reading (虚构合同、数据异常; issue 12, "Fabricated data and anomalies",
seed 001 not on disk): a fixed number of queries whatever the number of pledges, loans and
valuations, the statistics on NumPy columns (ipfin.risk.domain.signals, whose docstring states
each test); Python objects are made only for the signals. Nothing is written and nothing is
blocked: a signal is a reason for the office or the regulator to look (`selectors.signal_list`
says who reads them), with its evidence — the ids, the numbers and the figures it rests on.

The queries (all the platform's data, no tenant filter: only the supervisors call this):
1. every pledge's contract number and parties (one query); the uploaded contract files whose
   SHA-256 appears on two pledges or more, with their pledges' parties (one query);
2. the registered pledges released since, of the rights with three such pledges or more (one
   query over the pledge items);
3. the issued (or rechecked) valuations, each with the number, kinds and IPC subclasses of its
   rights (one GROUP BY), and the right numbers of those flagged (one query);
4. the approved loans' principals and their products' maximum amounts (one query);
5. the figures each bank reports (Benford): its loans' principals, the repayments it recorded,
   the debt amounts of its pledges, the values of the valuations it made (four queries);
and the names of the organisations the signals name (one query).
Amounts are read in integer fen from SQL (`in_fen`: rounded, so that SQLite's floating point
gives the exact fen).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import BigIntegerField, Count, DecimalField, F, Max, Min, Q, Value
from django.db.models.functions import Cast, Round, Substr, Upper

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.common.display import yuan_en, yuan_exact
from ipfin.loans.models import Loan, Repayment
from ipfin.pledges.models import Pledge, PledgeDocument, PledgeItem
from ipfin.registry.domain import RightKind
from ipfin.risk.domain.signals import (
    BENFORD_MIN_FIGURES,
    BUNCHING_BAND,
    ROBUST_Z_LIMIT,
    ROUND_THRESHOLDS_YUAN,
    benford,
    bunching,
    contract_key,
    first_digits,
    repeated_pledges,
    shared_groups,
    valuation_cohorts,
)
from ipfin.valuation.models import Valuation, ValuationRight, ValuationState

__all__ = ["EVIDENCE_IDS_MAX", "SIGNAL_KINDS", "Signal", "in_fen", "read_signals"]

# The kinds, in the order the list shows them.
SIGNAL_KINDS = (
    "shared_contract_no",
    "shared_contract_file",
    "repeated_pledges",
    "valuation_outlier",
    "loan_bunching",
    "benford",
)
# A signal lists at most this many ids of one sort (its figures say how many there are).
EVIDENCE_IDS_MAX = 100
_KINDS = [kind.value for kind in RightKind]
_LOANS_APPROVED = ["approved", "disbursed", "repaying", "closed", "written_off"]


def in_fen(column: str | Any) -> Cast:
    """A money column (a field name, or an expression) in integer fen, in SQL: rounded, so that
    SQLite's binary floating point (it keeps decimals as REAL) gives the exact fen, and integer
    sums stay exact on both databases."""
    yuan = DecimalField(max_digits=17, decimal_places=2)
    expression = F(column) if isinstance(column, str) else column
    return Cast(Round(expression * Value(100, output_field=yuan)), BigIntegerField())


@dataclass(frozen=True)
class Signal:
    """One anomaly and its evidence. `key` names it stably (the same facts, the same key);
    `bank_id` is the bank it is about, if one; `figures` are named numbers as text."""

    kind: str
    key: str
    message_zh: str
    message_en: str
    bank_id: int | None = None
    pledge_ids: tuple[int, ...] = ()
    loan_ids: tuple[int, ...] = ()
    valuation_ids: tuple[int, ...] = ()
    organisation_ids: tuple[int, ...] = ()
    right_numbers: tuple[str, ...] = ()
    figures: dict[str, str] = field(default_factory=dict)


def _yuan(fen: int | np.integer[Any]) -> str:
    """The canonical text of an amount in fen, for the alert's data (not for reading)."""
    return f"{Decimal(int(fen)).scaleb(-2):f}"


def _yuan_zh(fen: int | np.integer[Any]) -> str:
    return yuan_exact(Decimal(int(fen)).scaleb(-2))


def _yuan_en(fen: int | np.integer[Any]) -> str:
    return yuan_en(Decimal(int(fen)).scaleb(-2))


def _ids(values: Iterable[Any]) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in values}))[:EVIDENCE_IDS_MAX]


# --- 1. the same contract on pledges of different parties -------------------------------------


def _shared_contract_numbers() -> list[Signal]:
    rows = list(
        Pledge.objects.order_by("pk").values_list(
            "pk", "contract_no", "pledgee_id", "pledgor_id", "registration_no"
        )
    )
    keys = [contract_key(row[1] or "") for row in rows]
    groups = shared_groups(keys, [(row[2], row[3]) for row in rows])
    signals = []
    for group in groups:
        members = [rows[i] for i in group]
        number = keys[group[0]]
        parties = {(pledgee, pledgor) for _, _, pledgee, pledgor, _ in members}
        signals.append(
            Signal(
                kind="shared_contract_no",
                key=f"contract_no:{number}",
                message_zh=f"质押合同编号 {number} 出现在 {len(members)} 笔质押中，涉及 "
                f"{len(parties)} 组不同的出质人与质权人。",
                message_en=f"Contract number {number} is on {len(members)} pledges of "
                f"{len(parties)} different pairs of pledgee and pledgor.",
                pledge_ids=_ids(m[0] for m in members),
                organisation_ids=_ids(o for pair in parties for o in pair),
                figures={
                    "contract_no": number,
                    "pledges": str(len(members)),
                    "party_pairs": str(len(parties)),
                    "registration_nos": ", ".join(sorted({m[4] for m in members if m[4]})),
                },
            )
        )
    return signals


def _shared_contract_files() -> list[Signal]:
    repeated = (
        PledgeDocument.objects.exclude(sha256="")
        .values("sha256")
        .annotate(pledges=Count("pledge", distinct=True))
        .filter(pledges__gt=1)
        .values("sha256")
    )
    rows = list(
        PledgeDocument.objects.filter(sha256__in=repeated)
        .order_by("pledge_id", "pk")
        .values_list("pk", "sha256", "pledge_id", "pledge__pledgee_id", "pledge__pledgor_id")
    )
    groups = shared_groups([row[1] for row in rows], [(row[3], row[4]) for row in rows])
    signals = []
    for group in groups:
        members = [rows[i] for i in group]
        digest = members[0][1]
        pledges = {m[2] for m in members}
        parties = {(m[3], m[4]) for m in members}
        signals.append(
            Signal(
                kind="shared_contract_file",
                key=f"contract_file:{digest}",
                message_zh=f"同一份合同文件（SHA-256 {digest[:12]}…）上传于 {len(pledges)} 笔"
                f"质押，涉及 {len(parties)} 组不同的出质人与质权人。",
                message_en=f"The same contract file (SHA-256 {digest[:12]}…) was uploaded to "
                f"{len(pledges)} pledges of {len(parties)} different pairs of pledgee and "
                "pledgor.",
                pledge_ids=_ids(pledges),
                organisation_ids=_ids(o for pair in parties for o in pair),
                figures={
                    "sha256": digest,
                    "documents": str(len(members)),
                    "pledges": str(len(pledges)),
                    "party_pairs": str(len(parties)),
                },
            )
        )
    return signals


# --- 2. one right pledged and released again and again -----------------------------------------


def _repeated_pledges() -> list[Signal]:
    released = Q(
        pledge__state="released",
        pledge__effective_date__isnull=False,
        pledge__released_on__isnull=False,
    )
    often = (
        PledgeItem.objects.filter(released)
        .values("right_id")
        .annotate(n=Count("pledge", distinct=True))
        .filter(n__gte=3)
        .values("right_id")
    )
    rows = list(
        PledgeItem.objects.filter(released, right_id__in=often)
        .order_by("right_id", "pledge__effective_date", "pledge_id")
        .values_list(
            "right_id",
            "right__number",
            "pledge_id",
            "pledge__effective_date",
            "pledge__released_on",
            in_fen("pledge__debt_amount"),
            "pledge__pledgee_id",
            "pledge__pledgor_id",
        )
    )
    if not rows:
        return []
    right = np.array([r[0] for r in rows], dtype=np.int64)
    effective = np.array([r[3] for r in rows], dtype="datetime64[D]")
    until = np.array([r[4] for r in rows], dtype="datetime64[D]")
    debt = np.array([r[5] for r in rows], dtype=np.int64)
    signals = []
    for run in repeated_pledges(right, effective, until, debt):
        members = [rows[i] for i in run]
        number = members[0][1]
        first, last = members[0], members[-1]
        signals.append(
            Signal(
                kind="repeated_pledges",
                key=f"repeated_pledges:{number}:{first[2]}",
                message_zh=f"权利 {number} 自 {first[3]} 起 {len(members)} 次出质又注销，"
                f"担保债权额逐次上升（{_yuan_zh(first[5])}至 {_yuan_zh(last[5])}），"
                "相邻三次均在一年以内。",
                message_en=f"Right {number} was pledged and released {len(members)} times from "
                f"{first[3]}, the secured debt rising each time ({_yuan_en(first[5])} to "
                f"{_yuan_en(last[5])}), each three within a year.",
                pledge_ids=tuple(int(m[2]) for m in members),
                organisation_ids=_ids(o for m in members for o in (m[6], m[7])),
                right_numbers=(number,),
                figures={
                    "cycles": str(len(members)),
                    "debt_amounts": ", ".join(_yuan(m[5]) for m in members),
                    "effective_dates": ", ".join(str(m[3]) for m in members),
                    "released_on": ", ".join(str(m[4]) for m in members),
                },
            )
        )
    return signals


# --- 3. valuations far from their cohort --------------------------------------------------------


def _valuation_outliers() -> list[Signal]:
    subclass = Upper(Substr("right__ipc_main", 1, 4))
    rows = list(
        ValuationRight.objects.filter(
            valuation__state__in=[ValuationState.ISSUED, ValuationState.RECHECKED],
            valuation__value__gt=0,
        )
        .values("valuation_id")
        .annotate(
            rights=Count("right_id"),
            kind_low=Min("right__kind"),
            kind_high=Max("right__kind"),
            subclass_low=Min(subclass),
            subclass_high=Max(subclass),
        )
        .order_by("valuation_id")
        .values_list(
            "valuation_id",
            in_fen("valuation__value"),
            "rights",
            "kind_low",
            "kind_high",
            "subclass_low",
            "subclass_high",
            "valuation__organisation_id",
            "valuation__client_bank_id",
        )
    )
    if not rows:
        return []
    per_right = np.array([r[1] / r[2] for r in rows], dtype=np.float64)  # fen per right
    kind = np.array(
        [_KINDS.index(r[3]) if r[3] == r[4] and r[3] in _KINDS else -1 for r in rows],
        dtype=np.int64,
    )
    subclasses = [r[5] if r[5] and r[5] == r[6] and len(r[5]) == 4 else "" for r in rows]
    names = sorted(set(subclasses) - {""})
    subclass_code = np.array([names.index(s) if s else -1 for s in subclasses], dtype=np.int64)
    scores, by_subclass = valuation_cohorts(kind, subclass_code, np.log(per_right))
    flagged = np.flatnonzero(np.abs(np.nan_to_num(scores.z)) > ROBUST_Z_LIMIT)
    if not len(flagged):
        return []
    ids = [int(rows[i][0]) for i in flagged]
    numbers: dict[int, list[str]] = {}
    for valuation_id, number in (
        ValuationRight.objects.filter(valuation_id__in=ids)
        .order_by("valuation_id", "position", "pk")
        .values_list("valuation_id", "right__number")
    ):
        numbers.setdefault(valuation_id, []).append(number)
    signals = []
    for i in flagged.tolist():
        row = rows[i]
        cohort = _KINDS[kind[i]] + (f" {subclasses[i]}" if by_subclass[i] else "")
        median = round(float(np.exp(scores.median[i])))  # fen per right
        z = float(scores.z[i])
        higher = z > 0
        signals.append(
            Signal(
                kind="valuation_outlier",
                key=f"valuation:{row[0]}",
                message_zh=f"评估 #{row[0]} 每项权利估值 {_yuan_zh(round(per_right[i]))}，"
                f"{'高于' if higher else '低于'}同类（{cohort}，{int(scores.size[i])} 份）中位数 "
                f"{_yuan_zh(median)}，稳健 z 值 {z:.2f}。",
                message_en=f"Valuation #{row[0]} values each right at "
                f"{_yuan_en(round(per_right[i]))}, far {'above' if higher else 'below'} its "
                f"cohort ({cohort}, {int(scores.size[i])} reports; median {_yuan_en(median)}): "
                f"robust z {z:.2f}.",
                bank_id=row[8],
                valuation_ids=(int(row[0]),),
                organisation_ids=_ids(o for o in (row[7], row[8]) if o is not None),
                right_numbers=tuple(numbers.get(int(row[0]), [])),
                figures={
                    "value": _yuan(row[1]),
                    "rights": str(row[2]),
                    "value_per_right": _yuan(round(per_right[i])),
                    "cohort": cohort,
                    "cohort_size": str(int(scores.size[i])),
                    "cohort_median_per_right": _yuan(median),
                    "robust_z": f"{z:.4f}",
                },
            )
        )
    return signals


# --- 4. loan amounts bunching just below a threshold -----------------------------------------


def _by_bank(rows: Sequence[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    banks: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        banks.setdefault(int(row[0]), []).append(row)
    return banks


def _loan_bunching() -> list[Signal]:
    rows = list(
        Loan.objects.filter(state__in=_LOANS_APPROVED, principal__gt=0)
        .order_by("bank_id", "pk")
        .values_list("bank_id", "pk", in_fen("principal"), in_fen("product_version__amount_max"))
    )
    signals = []
    for bank_id, loans in _by_bank(rows).items():
        amount = np.array([r[2] for r in loans], dtype=np.int64)
        product_max = np.array([r[3] or 0 for r in loans], dtype=np.int64)
        result = bunching(amount, product_max)
        if not result.flagged:
            continue
        expected = "-" if result.expected is None else f"{result.expected:.2f}"
        share = len(result.positions) / len(loans)
        signals.append(
            Signal(
                kind="loan_bunching",
                key=f"loan_bunching:{bank_id}",
                message_zh=f"该行 {result.loans} 笔贷款中有 {result.in_bands} 笔金额位于审批"
                f"门槛下方 {BUNCHING_BAND:.0%} 以内，按其自身金额分布预期约 {expected} 笔。",
                message_en=f"{result.in_bands} of the bank's {result.loans} loans are within "
                f"{BUNCHING_BAND:.0%} below an approval threshold, where its own distribution "
                f"leads to expect about {expected}.",
                bank_id=bank_id,
                loan_ids=_ids(loans[i][1] for i in result.positions),
                organisation_ids=(bank_id,),
                figures={
                    "loans": str(result.loans),
                    "in_bands": str(result.in_bands),
                    "share_in_bands": f"{share:.4f}",
                    "expected_in_bands": expected,
                    "thresholds": ", ".join(f"{t}" for t in ROUND_THRESHOLDS_YUAN)
                    + " (and each product's amount_max)",
                },
            )
        )
    return signals


# --- 5. Benford's law on a bank's figures -------------------------------------------------------

_SOURCES = ("loan_principals", "repayments", "pledge_debts", "valuations")


def _figures_by_bank() -> dict[int, dict[str, list[int]]]:
    banks = Organisation.objects.filter(kind=OrganisationKind.BANK).values("pk")
    queries = {
        "loan_principals": Loan.objects.filter(
            state__in=_LOANS_APPROVED, principal__gt=0
        ).values_list("bank_id", in_fen("principal")),
        "repayments": Repayment.objects.filter(amount__gt=0).values_list(
            "loan__bank_id", in_fen("amount")
        ),
        "pledge_debts": Pledge.objects.filter(pledgee__in=banks).values_list(
            "pledgee_id", in_fen("debt_amount")
        ),
        "valuations": Valuation.objects.filter(organisation__in=banks, value__gt=0)
        .exclude(state=ValuationState.DRAFT)
        .values_list("organisation_id", in_fen("value")),
    }
    figures: dict[int, dict[str, list[int]]] = {}
    for source, query in queries.items():
        for bank_id, fen in query.order_by():
            if fen and fen > 0:
                figures.setdefault(int(bank_id), {s: [] for s in _SOURCES})[source].append(fen)
    return figures


def _benford(min_figures: int) -> list[Signal]:
    signals = []
    for bank_id, sources in sorted(_figures_by_bank().items()):
        fen = np.array([f for s in _SOURCES for f in sources[s]], dtype=np.int64)
        if len(fen) < min_figures:
            continue
        result = benford(first_digits(fen), min_figures=min_figures)
        if not result.fails:
            continue
        signals.append(
            Signal(
                kind="benford",
                key=f"benford:{bank_id}",
                message_zh=f"该行报送的 {result.figures} 个数字首位分布不符合本福特定律"
                f"（卡方 {result.chi2:.2f}，自由度 8，p = {result.p_value:.2e} < 0.01）。",
                message_en=f"The first digits of the bank's {result.figures} reported figures "
                f"do not follow Benford's law (chi-square {result.chi2:.2f}, 8 degrees of "
                f"freedom, p = {result.p_value:.2e} < 0.01).",
                bank_id=bank_id,
                organisation_ids=(bank_id,),
                figures={
                    "figures": str(result.figures),
                    **{s: str(len(sources[s])) for s in _SOURCES},
                    "digit_counts": ", ".join(str(c) for c in result.counts),
                    "expected_counts": ", ".join(f"{e:.1f}" for e in result.expected),
                    "chi2": f"{result.chi2:.4f}",
                    "p_value": f"{result.p_value:.3e}",
                },
            )
        )
    return signals


# --- all of them -------------------------------------------------------------------------------


def read_signals(*, benford_min_figures: int = BENFORD_MIN_FIGURES) -> list[Signal]:
    """Every anomaly signal on the platform's data now, in SIGNAL_KINDS order, then by key.
    `benford_min_figures` lowers the Benford test's minimum for the tests only."""
    signals = [
        *_shared_contract_numbers(),
        *_shared_contract_files(),
        *_repeated_pledges(),
        *_valuation_outliers(),
        *_loan_bunching(),
        *_benford(benford_min_figures),
    ]
    order = {kind: i for i, kind in enumerate(SIGNAL_KINDS)}
    return sorted(signals, key=lambda s: (order[s.kind], s.key))
