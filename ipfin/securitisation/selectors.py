"""Reads for securitisation: a bank's loans, or its licence-royalty receivables, as pool
candidates, and the projected cash flows of those chosen (each unsettled instalment's principal
and interest still due, or each royalty still to come, by month from the cut-off day), limited
to what the actor may see (ipfin.loans.selectors.loan_list; the bank's own receivables)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Max, Q, QuerySet, Sum

from ipfin.accounts.models import Organisation
from ipfin.accounts.permissions import Actor, Perm, require
from ipfin.common.errors import invalid
from ipfin.loans.models import Installment, Loan, LoanStateChoices
from ipfin.loans.selectors import loan_list
from ipfin.pledges.models import Pledge
from ipfin.securitisation.models import PoolProgramme, RoyaltyPayment, RoyaltyReceivable
from ipfin.securitisation.pools import PoolCandidate
from ipfin.securitisation.simulation import Pool

__all__ = [
    "month_index",
    "pool_candidates",
    "programme_banks",
    "programme_list",
    "projected_pool",
    "projected_royalty_pool",
    "royalty_candidates",
    "royalty_list",
]

_ON_THE_BOOKS = (LoanStateChoices.DISBURSED, LoanStateChoices.REPAYING)


def month_index(cutoff: date, due: date) -> int:
    """The month after `cutoff` that `due` falls in: 0 for (cutoff, cutoff + 1 month], 1 for the
    next, and so on (a day on or before the cut-off: 0, in arrears)."""
    months = (due.year - cutoff.year) * 12 + due.month - cutoff.month
    if due.day <= cutoff.day:
        months -= 1
    return max(months, 0)


def programme_list(*, actor: Actor) -> QuerySet[PoolProgramme]:
    """The programmes the bank arranges or is invited to, newest first (`LOAN_MANAGE`)."""
    user = require(actor, Perm.LOAN_MANAGE)
    org = user.organisation_id
    ids = PoolProgramme.objects.filter(Q(arranger_id=org) | Q(members__bank_id=org)).values("pk")
    return (
        PoolProgramme.objects.filter(pk__in=ids)
        .select_related("arranger")
        .prefetch_related("members__bank")
        .order_by("-created_at", "-id")
    )


def programme_banks(*, actor: Actor, programme_id: int) -> list[int]:
    """The banks whose loans a programme's pool draws on: its arranger and each bank that
    accepted; only the arranger previews its pools (404 for anyone else)."""
    user = require(actor, Perm.LOAN_MANAGE)
    programme = PoolProgramme.objects.filter(pk=programme_id, arranger_id=user.organisation_id)
    found = programme.first()
    if found is None:
        raise invalid(
            "programme_id",
            "programme_not_found",
            "未找到本行牵头的该专项计划。",
            "No such programme arranged by your bank.",
        )
    accepted = found.members.filter(state="accepted").values_list("bank_id", flat=True)
    return [found.arranger_id, *accepted]


def pool_candidates(
    *, actor: Actor, cutoff: date, bank_ids: Sequence[int] | None = None
) -> list[PoolCandidate]:
    """The bank's own loans on the books as candidates for a pool (Perm.LOAN_MANAGE); with
    `bank_ids` (a programme's banks, `programme_banks`), those banks' loans, which each bank
    that accepted agreed to contribute."""
    require(actor, Perm.LOAN_MANAGE)
    loans = (
        loan_list(actor=actor) if bank_ids is None else Loan.objects.filter(bank_id__in=bank_ids)
    )
    rows = (
        loans.filter(state__in=_ON_THE_BOOKS, outstanding_principal__gt=0)
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


def _pool_of(
    ids: Sequence[int],
    rows: Sequence[tuple[int, int, int, int]],
    monthly_pd: float,
    recovery_bp: int,
) -> Pool:
    """A Pool from (asset id, month, principal fen, interest fen) rows: each asset's principal
    and interest due by month, placed with numpy; its balance at the start of each month is what
    it owes after the principal due before it."""
    position = {asset: i for i, asset in enumerate(ids)}
    asset_row = np.array([position[r[0]] for r in rows], dtype=np.int64)
    month = np.array([r[1] for r in rows], dtype=np.int64)
    principal = np.array([r[2] for r in rows], dtype=np.int64)
    interest = np.array([r[3] for r in rows], dtype=np.int64)
    months = int(month.max()) + 1 if len(rows) else 1
    due_principal = np.zeros((len(ids), months), dtype=np.int64)
    due_interest = np.zeros((len(ids), months), dtype=np.int64)
    np.add.at(due_principal, (asset_row, month), principal)
    np.add.at(due_interest, (asset_row, month), interest)
    owed = due_principal.sum(axis=1)
    balance = owed[:, None] - np.cumsum(due_principal, axis=1) + due_principal
    return Pool(
        schedule=due_principal + due_interest,
        balance=balance,
        monthly_pd=np.full(len(ids), monthly_pd),
        recovery_bp=np.full(len(ids), recovery_bp, dtype=np.int64),
    )


def projected_pool(
    loan_ids: Sequence[int], cutoff: date, monthly_pd: float, recovery_bp: int
) -> tuple[Pool, list[int]]:
    """The chosen loans' schedules as a Pool (fen by month from the cut-off), and the loan ids in
    the Pool's row order. The instalments are read once."""
    ids = sorted(loan_ids)
    rows = [
        (loan_id, month_index(cutoff, due), int((p - pp).scaleb(2)), int((i - ip).scaleb(2)))
        for loan_id, due, p, pp, i, ip in Installment.objects.filter(
            loan_id__in=ids, settled_on__isnull=True
        )
        .order_by()
        .values_list(
            "loan_id", "due_date", "principal", "principal_paid", "interest", "interest_paid"
        )
    ]
    return _pool_of(ids, rows, monthly_pd, recovery_bp), ids


def royalty_list(*, actor: Actor) -> QuerySet[RoyaltyReceivable]:
    """The bank's own royalty receivables, newest first (a bank's staff, `LOAN_MANAGE`)."""
    user = require(actor, Perm.LOAN_MANAGE)
    return (
        RoyaltyReceivable.objects.filter(bank_id=user.organisation_id)
        .select_related("right", "licensor", "licensee")
        .prefetch_related("payments")
        .order_by("-created_at", "-id")
    )


def royalty_candidates(*, actor: Actor, cutoff: date) -> list[PoolCandidate]:
    """The bank's royalty receivables as candidates for a pool: the licensee is the obligor and
    its industry the pool's; the balance the royalties due after the cut-off (a royalty owed is
    a performing asset until it falls due unpaid: none is in arrears here)."""
    rows = (
        RoyaltyPayment.objects.filter(receivable__in=royalty_list(actor=actor), due_on__gt=cutoff)
        .order_by()
        .values("receivable_id", "receivable__licensee_id", "receivable__licensee__industry")
        .annotate(total=Sum("amount"), last=Max("due_on"))
        .order_by("receivable_id")
    )
    return [
        PoolCandidate(
            loan_id=row["receivable_id"],
            obligor=row["receivable__licensee_id"],
            industry=row["receivable__licensee__industry"] or "",
            # SQLite sums DECIMAL columns as REAL: to the fen by its text.
            balance_fen=int(Decimal(str(row["total"])).quantize(Decimal("0.01")).scaleb(2)),
            classification="normal",
            days_past_due=0,
            months_left=month_index(cutoff, row["last"]) + 1,
        )
        for row in rows
    ]


def projected_royalty_pool(
    receivable_ids: Sequence[int], cutoff: date, monthly_pd: float, recovery_bp: int
) -> tuple[Pool, list[int]]:
    """The chosen receivables' royalties due after the cut-off as a Pool: each royalty is
    collected whole (no interest part), the balance the royalties still to come."""
    ids = sorted(receivable_ids)
    rows = [
        (receivable, month_index(cutoff, due), int(amount.scaleb(2)), 0)
        for receivable, due, amount in RoyaltyPayment.objects.filter(
            receivable_id__in=ids, due_on__gt=cutoff
        )
        .order_by()
        .values_list("receivable_id", "due_on", "amount")
    ]
    return _pool_of(ids, rows, monthly_pd, recovery_bp), ids


def borrower_names(preview: Any) -> dict[int, str]:
    """The names of a pool's borrowers (the bank's own customers), by id."""
    ids = {loan.obligor for loan in preview.selection.included}
    return dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))


def dealt_with_by_its_own_act(*, bank_id: int, enterprise_id: int) -> bool:
    """Whether the enterprise has dealt with the bank on the platform by an act of its own: a
    pledge between them that both parties signed (the joint application confirmed, 专利权质押登记
    办法 arts. 3, 7), or a loan from the bank disbursed to it. A pledge application the bank filed
    alone, or a loan application it recorded, makes the enterprise a customer whose records the
    bank reads (`permissions.customer_scope`), not one whose claims it may originate."""
    return (
        Pledge.objects.filter(
            pledgee_id=bank_id, pledgor_id=enterprise_id, confirmed_at__isnull=False
        ).exists()
        or Loan.objects.filter(
            bank_id=bank_id, enterprise_id=enterprise_id, disbursed_on__isnull=False
        ).exists()
    )
