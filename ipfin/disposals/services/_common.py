"""Helpers the disposal services share: the clock, the transition, the listing's lock and audit
snapshot, the one defaulted loan a pledge secures, and whether a listing may still be realised
(`still_realisable`)."""

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
from ipfin.loans.models import Installment, Loan
from ipfin.pledges.models import Pledge, PledgeItem, PledgeStateChoices
from ipfin.registry.models import Right, RightOwner
from ipfin.registry.selectors import refuse_untransferable

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


def loan_not_defaulted(loan: Loan | None, refused: tuple[str, str] | None = None) -> Conflict:
    """409 `loan_not_defaulted`: `loan` (None: no loan the pledge still secures) is not (or no
    longer) disbursed and classified 次级/可疑/损失, nor written off, or is repaid in full.
    `refused`: a listing's action refused since (its words as `still_realisable`'s), else the
    listing itself."""
    if refused is None:
        zh = "只能处置担保违约贷款的质押：贷款已放款且分类为次级、可疑或损失，或已核销。"
        en = (
            "Only the pledge of a defaulted loan may be disposed of: disbursed and classified "
            "substandard, doubtful or loss, or written off."
        )
    else:
        zh = f"该质押担保的贷款已不再违约（已结清、已恢复正常或已不由该质押担保）{refused[0]}。"
        en = (
            "The loan the pledge secures is no longer in default (repaid and closed, performing "
            f"again, or no longer secured by the pledge){refused[1]}."
        )
    return Conflict(
        zh,
        en,
        code="loan_not_defaulted",
        extra={
            "loan_id": loan.pk if loan else None,
            "state": loan.state if loan else None,
            "classification": loan.classification if loan else None,
            "repaid_in_full": bool(loan and loan.state in REPAYABLE and repaid_in_full(loan)),
        },
    )


def defaulted_loan(pledge: Pledge, refused: tuple[str, str] | None = None) -> Loan:
    """The one loan the pledge secures, defaulted (see the module docstring), locked; `refused`
    as `loan_not_defaulted`'s."""
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
        raise loan_not_defaulted(loan, refused)
    if loan.state in REPAYABLE and repaid_in_full(loan):
        # Repaid in full, not yet closed by the bank: the debt is extinguished all the same, and
        # the pledge with it (民法典 art. 393(1)); selling it would take the pledgor's right for a
        # debt of nothing.
        raise loan_not_defaulted(loan, refused)
    return loan


def repaid_in_full(loan: Loan) -> bool:
    """No principal left and every instalment settled (interest and penalties paid)."""
    return (
        loan.outstanding_principal == 0
        and not Installment.objects.filter(loan=loan, settled_on__isnull=True).exists()
    )


def pledged_right_ids(pledge: Pledge) -> set[int]:
    return set(
        PledgeItem.objects.filter(pledge=pledge, active=True).values_list("right_id", flat=True)
    )


def still_realisable(locked: Disposal, *, zh: str, en: str) -> tuple[Pledge, Loan]:
    """The listing's pledge and loan, both locked (after the listing's own lock, as completion
    takes them), when the pledgee may still realise the pledge: the pledge still registered (409
    `pledge_not_registered`) and the listing's loan still defaulted (409 `loan_not_defaulted`,
    or `pledge_secures_other_loans`). A pledge secures its debt (民法典 art. 436) and is
    extinguished with it (art. 393(1): 主债权消灭): once the borrower repaid in full, the loan
    closed or the pledge was released, nothing is left to sell, and the board takes no bid or
    backstop, nor does the pledgee complete (it withdraws the listing). `zh` / `en` say what is
    refused ("，不能出价" / ": no bid")."""
    pledge = Pledge.objects.select_for_update().get(pk=locked.pledge_id)
    if pledge.state != PledgeStateChoices.REGISTERED:
        raise Conflict(
            f"该质押已不在登记状态{zh}。",
            f"The pledge is no longer registered{en}.",
            code="pledge_not_registered",
            extra={"state": pledge.state},
        )
    # The listing's own loan first, so that a closed one is named in the refusal.
    listed = Loan.objects.select_for_update(of=("self",)).get(pk=locked.loan_id)
    if listed.state not in SECURED:
        raise loan_not_defaulted(listed, (zh, en))
    # Still secured, it is the one loan defaulted_loan answers (or two: a 409 naming both).
    loan = defaulted_loan(pledge, (zh, en))
    # And the rights can still change hands: not frozen by a court, not in an ownership dispute,
    # still in force (409 `right_suspended` / `right_not_in_force`, ipfin.registry.selectors).
    # Before, a right a court had frozen was transferred to the buyer, and a buyer paid the full
    # price for a patent invalidated as a whole.
    rights = list(Right.objects.filter(pk__in=pledged_right_ids(pledge)))
    refuse_untransferable(rights, on=timezone.localdate(), zh=zh, en=en)
    # The pledgor still holds them: a right it sold meanwhile on the trading board, with the
    # pledgee's consent (民法典 art. 444 ¶2), is the buyer's; the sale would have taken it from
    # the buyer and paid the surplus to the former holder (409 `pledgor_not_holder`).
    held = set(
        RightOwner.objects.filter(
            right_id__in=[r.pk for r in rights],
            organisation_id=locked.pledgor_id,
            valid_to__isnull=True,
        ).values_list("right_id", flat=True)
    )
    for right in sorted(rights, key=lambda r: r.number):
        if right.pk not in held:
            raise Conflict(
                f"{right.number} 已不在出质人名下{zh}。",
                f"{right.number} is no longer held by the pledgor{en}.",
                code="pledgor_not_holder",
                extra={"number": right.number},
            )
    return pledge, loan
