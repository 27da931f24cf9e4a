"""Reads for securitisation: a bank's loans as pool candidates, and the projected cash flows of
the loans chosen (each unsettled instalment's principal and interest still due, by month from
the cut-off day), limited to the loans the actor may see (ipfin.loans.selectors.loan_list)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from ipfin.accounts.models import Organisation
from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.loans.models import Installment, LoanStateChoices
from ipfin.loans.selectors import loan_list
from ipfin.securitisation.pools import PoolCandidate
from ipfin.securitisation.simulation import Pool

__all__ = ["month_index", "pool_candidates", "projected_pool"]

_ON_THE_BOOKS = (LoanStateChoices.DISBURSED, LoanStateChoices.REPAYING)


def month_index(cutoff: date, due: date) -> int:
    """The month after `cutoff` that `due` falls in: 0 for (cutoff, cutoff + 1 month], 1 for the
    next, and so on (a day on or before the cut-off: 0, in arrears)."""
    months = (due.year - cutoff.year) * 12 + due.month - cutoff.month
    if due.day <= cutoff.day:
        months -= 1
    return max(months, 0)


def pool_candidates(*, actor: Actor, cutoff: date) -> list[PoolCandidate]:
    """The bank's own loans on the books as candidates for a pool (Perm.LOAN_MANAGE)."""
    require(actor, Perm.LOAN_MANAGE)
    rows = (
        loan_list(actor=actor)
        .filter(state__in=_ON_THE_BOOKS, outstanding_principal__gt=0)
        .order_by("id")
        .values_list(
            "id",
            "enterprise_id",
            "enterprise__industry",
            "outstanding_principal",
            "classification",
            "days_past_due",
            "maturity_date",
        )
    )
    return [
        PoolCandidate(
            loan_id=loan_id,
            obligor=enterprise_id,
            industry=industry or "",
            balance_fen=int(balance.scaleb(2)),
            classification=classification,
            days_past_due=dpd,
            months_left=(
                month_index(cutoff, maturity) + 1 if maturity and maturity > cutoff else 0
            ),
        )
        for loan_id, enterprise_id, industry, balance, classification, dpd, maturity in rows
    ]


def projected_pool(
    loan_ids: Sequence[int], cutoff: date, monthly_pd: float, recovery_bp: int
) -> tuple[Pool, list[int]]:
    """The chosen loans' schedules as a Pool (fen by month from the cut-off; a loan's balance at
    the start of each month is what it owes after the principal due before it), and the loan ids
    in the Pool's row order. Columns: the instalments are read once and placed with numpy."""
    ids = sorted(loan_ids)
    rows = list(
        Installment.objects.filter(loan_id__in=ids, settled_on__isnull=True)
        .order_by()
        .values_list(
            "loan_id", "due_date", "principal", "principal_paid", "interest", "interest_paid"
        )
    )
    position = {loan_id: i for i, loan_id in enumerate(ids)}
    loan_row = np.array([position[r[0]] for r in rows], dtype=np.int64)
    month = np.array([month_index(cutoff, r[1]) for r in rows], dtype=np.int64)
    principal = np.array([int((r[2] - r[3]).scaleb(2)) for r in rows], dtype=np.int64)
    interest = np.array([int((r[4] - r[5]).scaleb(2)) for r in rows], dtype=np.int64)
    months = int(month.max()) + 1 if len(rows) else 1
    due_principal = np.zeros((len(ids), months), dtype=np.int64)
    due_interest = np.zeros((len(ids), months), dtype=np.int64)
    np.add.at(due_principal, (loan_row, month), principal)
    np.add.at(due_interest, (loan_row, month), interest)
    owed = due_principal.sum(axis=1)
    balance = owed[:, None] - np.cumsum(due_principal, axis=1) + due_principal
    pool = Pool(
        schedule=due_principal + due_interest,
        balance=balance,
        monthly_pd=np.full(len(ids), monthly_pd),
        recovery_bp=np.full(len(ids), recovery_bp, dtype=np.int64),
    )
    return pool, ids


def borrower_names(preview: Any) -> dict[int, str]:
    """The names of a pool's borrowers (the bank's own customers), by id."""
    ids = {loan.obligor for loan in preview.selection.included}
    return dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))
