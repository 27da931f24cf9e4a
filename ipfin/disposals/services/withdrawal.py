"""`disposal_withdraw`: the pledgee bank takes its listing down (撤回挂牌; see the package
docstring)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import invalid
from ipfin.disposals import selectors
from ipfin.disposals.domain import DisposalAction, DisposalState
from ipfin.disposals.models import WITHDRAW_REASON_MAX, Bid, Disposal
from ipfin.disposals.services._common import instant, label, lock, now_or, snapshot, transition
from ipfin.loans.models import Loan

__all__ = ["disposal_withdraw"]


def _reason(raw: Any) -> str:
    """The withdrawal's reason, stripped: required (422 `reason_required`), at most
    `WITHDRAW_REASON_MAX` characters (422 `reason_too_long`: kept whole, never cut)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise invalid(
            "reason",
            "reason_required",
            "请说明撤回挂牌的理由。",
            "A reason for the withdrawal is required.",
        )
    if len(text) > WITHDRAW_REASON_MAX:
        raise invalid(
            "reason",
            "reason_too_long",
            f"撤回理由不超过 {WITHDRAW_REASON_MAX} 字。",
            f"The reason is at most {WITHDRAW_REASON_MAX} characters.",
            max_length=WITHDRAW_REASON_MAX,
        )
    return text


# A notification holds 500 characters (accounts.Notification): the reason is quoted up to this
# many, the whole of it on the listing's page and in the audit record.
_QUOTED = 200


def _excerpt(text: str) -> str:
    return text if len(text) <= _QUOTED else text[: _QUOTED - 1] + "…"


def disposal_withdraw(
    *, actor: User, disposal: Disposal, reason: Any, now: datetime | None = None
) -> Disposal:
    """The pledgee bank withdraws its listing before completion, with its reason: listed (bids
    or none: they lapse) or backstopped (the bank declines the trading centre's purchase). Only
    the seller (`Perm.DISPOSAL_MANAGE`; another bank's listing is a 404, as for completion); a
    completed or already withdrawn listing is a 409 `illegal_transition`. The bids stay on the
    record; a declined backstop's buyer and price are cleared from the row (no sale is left) and
    kept in the audit record. The pledgor and the borrower are told with the reason; each bidder
    and the trading centre whose backstop is declined, of the withdrawal. The pledge is free to
    be listed again (a withdrawn listing is not live)."""
    require(actor, Perm.DISPOSAL_MANAGE)
    text = _reason(reason)
    at = now_or(now)
    with transaction.atomic():
        locked = lock(selectors.seller_disposal(actor=actor, disposal_id=disposal.pk))
        new_state = transition(locked.state, DisposalAction.WITHDRAW)
        before = snapshot(locked)
        declined = locked.buyer_id if locked.state == DisposalState.BACKSTOPPED else None
        bidders = list(
            Bid.objects.filter(disposal=locked)
            .order_by("bidder_id")
            .values_list("bidder_id", flat=True)
            .distinct()
        )
        locked.state = new_state.value
        locked.buyer = None
        locked.price = None
        locked.withdrawn_by = actor
        locked.withdrawn_at = at
        locked.withdraw_reason = text
        locked.save()
        audit_record(
            actor=actor,
            action="disposal.withdraw",
            obj=locked,
            before=before,
            after={
                **snapshot(locked),
                "withdrawn_at": instant(at),
                "withdraw_reason": text,
                "bidder_ids": bidders,
                "declined_backstop_by": declined,
            },
        )
        _tell_parties(locked, bidders, declined)
    return locked


def _tell_parties(locked: Disposal, bidders: list[int], declined: int | None) -> None:
    label_zh, label_en = label(locked)
    bank = Organisation.objects.only("name").get(pk=locked.bank_id).name
    borrower = Loan.objects.values_list("enterprise_id", flat=True).get(pk=locked.loan_id)
    reason = _excerpt(locked.withdraw_reason)
    # The reason is the lending relationship's business (as the settlement: selectors.
    # settlement_visible): the pledgor and the borrower read it; the board's bidders and the
    # trading centre are told the fact.
    notify_orgs(
        [locked.pledgor_id, borrower],
        locked,
        "disposal.withdraw",
        f"质权人 {bank} 已撤回{label_zh}的挂牌，该质押不再处置。撤回理由：{reason}",
        f"The pledgee {bank} withdrew {label_en}: the pledge is no longer being sold. "
        f"Reason: {reason}",
    )
    # A party never bids (bid_place: 403 party_may_not_bid): no one is told twice.
    notify_orgs(
        bidders,
        locked,
        "disposal.withdraw",
        f"{label_zh} 已由质权人撤回挂牌，竞价终止，各项出价不再有效。",
        f"{label_en} was withdrawn by the pledgee: bidding has ended and no bid stands.",
    )
    notify_orgs(
        [declined],
        locked,
        "disposal.withdraw",
        f"{label_zh} 已由质权人撤回挂牌，不再按贵单位的收储价格成交。",
        f"{label_en} was withdrawn by the pledgee: it will not be sold to you at your "
        "backstop price.",
    )
