"""Helpers the disposal services share: the clock, the transition, the listing's lock and audit
snapshot, the one defaulted loan a pledge secures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ipfin.common.errors import Conflict
from ipfin.common.money import money_str, money_str_or_none
from ipfin.common.workflow import IllegalTransition, transition_conflict
from ipfin.disposals import selectors
from ipfin.disposals.domain import (
    DisposalAction,
    DisposalState,
    next_state,
)
from ipfin.disposals.models import Disposal
from ipfin.loans.domain.status import NON_PERFORMING, LoanState, RiskCategory
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge, PledgeItem

ZERO = Decimal("0.00")
# The loans a pledge may still secure: given the pledge on approval, until closed (or declined);
# a written-off loan keeps its claim on the pledge (账销案存).
SECURED = [
    LoanState.APPLIED,
    LoanState.APPROVED,
    LoanState.DISBURSED,
    LoanState.REPAYING,
    LoanState.WRITTEN_OFF,
]
REPAYABLE = (LoanState.DISBURSED, LoanState.REPAYING)


def now_or(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def refuse_while_open(locked: Disposal, at: datetime, *, zh: str = "", en: str = "") -> None:
    """409 `bidding_open` while the listing's bidding runs at `at` (before its close, which a
    late bid may still move): `zh` / `en` say what waits for the close."""
    if at < locked.closes_at:
        raise Conflict(
            f"竞价尚未截止（截止于 {instant(locked.closes_at)}）{zh}。",
            f"Bidding is still open (it closes at {instant(locked.closes_at)}){en}.",
            code="bidding_open",
            extra={"closes_at": instant(locked.closes_at)},
        )


def transition(state: str | None, action: DisposalAction) -> DisposalState:
    try:
        return next_state(state, action)
    except IllegalTransition as exc:
        raise transition_conflict(exc) from exc


def instant(moment: datetime) -> str:
    """An instant as the platform's users read it: ISO 8601 in its time zone (+08:00)."""
    return timezone.localtime(moment).isoformat()


def snapshot(disposal: Disposal) -> dict[str, Any]:
    return {
        "state": disposal.state,
        "pledge_id": disposal.pledge_id,
        "loan_id": disposal.loan_id,
        "method": disposal.method,
        "valuation_id": disposal.valuation_id,
        "valuation_value": money_str(disposal.valuation_value),
        "reserve_price": money_str(disposal.reserve_price),
        "increment": money_str(disposal.increment),
        "listed_on": disposal.listed_on.isoformat(),
        "closes_at": instant(disposal.closes_at),
        "leading_amount": money_str_or_none(disposal.leading_amount),
        "leading_bidder_id": disposal.leading_bidder_id,
        "buyer_id": disposal.buyer_id,
        "price": money_str_or_none(disposal.price),
    }


def label(disposal: Disposal) -> tuple[str, str]:
    return f"质物处置项目 #{disposal.pk}", f"disposal #{disposal.pk}"


def lock(disposal: Disposal | int) -> Disposal:
    pk = disposal if isinstance(disposal, int) else disposal.pk
    locked = Disposal.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if locked is None:
        raise selectors.disposal_not_found()
    return locked


def defaulted_loan(pledge: Pledge) -> Loan:
    """The one loan the pledge secures, defaulted (see the module docstring), locked."""
    loans = list(
        Loan.objects.select_for_update(of=("self",))
        .filter(pledge=pledge, state__in=SECURED)
        .order_by("pk")
    )
    if len(loans) > 1:
        ids = [loan.pk for loan in loans]
        raise Conflict(
            "该质押同时担保多笔未结清的贷款（"
            + "、".join(f"#{pk}" for pk in ids)
            + "），处置所得在各笔之间的分配尚不支持。",
            f"The pledge secures more than one loan not closed ({ids}): sharing the price "
            "between them is not supported.",
            code="pledge_secures_other_loans",
            extra={"loan_ids": ids},
        )
    loan = loans[0] if loans else None
    if loan is None or not (
        loan.state == LoanState.WRITTEN_OFF
        or (loan.state in REPAYABLE and RiskCategory(loan.classification) in NON_PERFORMING)
    ):
        raise Conflict(
            "只能处置担保违约贷款的质押：贷款已放款且分类为次级、可疑或损失，或已核销。",
            "Only the pledge of a defaulted loan may be disposed of: disbursed and classified "
            "substandard, doubtful or loss, or written off.",
            code="loan_not_defaulted",
            extra={
                "loan_id": loan.pk if loan else None,
                "state": loan.state if loan else None,
                "classification": loan.classification if loan else None,
            },
        )
    return loan


def pledged_right_ids(pledge: Pledge) -> set[int]:
    return set(
        PledgeItem.objects.filter(pledge=pledge, active=True).values_list("right_id", flat=True)
    )
