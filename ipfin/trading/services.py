"""Writes of the trading board (知识产权运营, issue 16): each audited, the other parties told.

- `listing_create` (the right's holder, `TRADE_LIST`): one right it holds now, in force, for sale
  or for licence (exclusive, sole or ordinary), at an asking price or from a reserve, with its
  terms. A sale, an exclusive or a sole licence needs the whole right: a co-owner alone may grant
  only an ordinary licence (专利法 art. 14: "共有人可以单独实施或者以普通许可方式许可他人实施该
  专利"; 422 `right_co_owned`). One open listing of a right by its holder (409 `listing_exists`).
  The pledgees of a pledged right are told at once.
- `listing_withdraw` (the holder): an open listing without a live deal. While a deal of the
  holder on the right waits for consent or for its record, the right is not listed again (409
  `deal_pending`): a second deal could otherwise sell it twice.
- `interest_express` (`TRADE_INTEREST`, never the holder): an optional offer and a message, once
  per party and listing (409 `interest_exists`).
- `deal_agree` (the holder): with one party that expressed interest, at a price (from a reserve,
  never below it) and on a date (not before the listing, 422 `agreed_before_listing`). While a
  registered pledge holds the right, on the deal's day or today, each pledgee must consent (民法典
  art. 444 ¶2): the deal waits for them; else it is ready to be recorded.
- `deal_consent` (the pledgee's bank, `TRADE_CONSENT`): consent with the consent letter's number,
  or refuse with a reason; a refusal ends the deal and reopens the listing.
- `deal_record` (a trading centre, `TRADE_RECORD`): the ready deal recorded in the register as a
  transfer (the counterparty becomes the sole holder) or a licence, dated the deal, with its price
  and the pledgees' consents (ipfin.registry.services.right_dealing_record, the register's own
  checks included), only while the seller still holds the right (alone, for a sale or an exclusive
  or sole licence; 409 `seller_not_holder`).
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, NotFound, invalid
from ipfin.common.inputs import amount_in, date_in, int_in, optional_amount_in
from ipfin.common.money import money_str, money_str_or_none
from ipfin.pledges.selectors import pledges_holding_by_pledgee
from ipfin.registry.domain import Status
from ipfin.registry.models import Right, RightOwner
from ipfin.registry.selectors import (
    current_owners,
    refuse_untransferable,
    right_named,
    right_status,
)
from ipfin.registry.services import LICENCE_TYPES, right_dealing_record
from ipfin.trading.domain import (
    ConsentState,
    DealState,
    ListingKind,
    PriceKind,
    deal_price_check,
    deal_state,
    registry_event_type,
)
from ipfin.trading.models import Deal, DealConsent, Interest, Listing

__all__ = [
    "deal_agree",
    "deal_consent",
    "deal_record",
    "interest_express",
    "listing_create",
    "listing_withdraw",
]

_TEXT_MAX = 1000
_REASON_MAX = 500
_DOCUMENT_MAX = 200


def _listing_snapshot(listing: Listing) -> dict[str, Any]:
    return {
        "right": listing.right.number,
        "owner": listing.owner_id,
        "kind": listing.kind,
        "licence_type": listing.licence_type,
        "price_kind": listing.price_kind,
        "price": money_str(listing.price),
        "state": listing.state,
    }


def _deal_snapshot(deal: Deal) -> dict[str, Any]:
    return {
        "listing": deal.listing_id,
        "counterparty": deal.counterparty_id,
        "price": money_str(deal.price),
        "agreed_on": deal.agreed_on.isoformat(),
        "state": deal.state,
        "event": deal.event_id,
        "consents": {str(c.pledgee_id): c.state for c in deal.consents.all()},
    }


def _text(raw: Any, field: str, zh: str, *, required: bool, limit: int) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    if (required and not text) or len(text) > limit:
        raise invalid(
            field,
            f"{field}_required" if required else f"{field}_too_long",
            f"请填写{zh}（不超过 {limit} 字）。",
            f"{field}: at most {limit} characters" + (", required." if required else "."),
        )
    return text


def _owners_now(right: Right) -> list[RightOwner]:
    return current_owners(right, on=timezone.localdate())


def listing_create(*, actor: User, data: dict[str, Any], today: date | None = None) -> Listing:
    require(actor, Perm.TRADE_LIST)
    org = acting_organisation(actor)
    day = today or timezone.localdate()
    kind_raw = data.get("kind")
    if kind_raw not in {k.value for k in ListingKind}:
        raise invalid("kind", "kind_invalid", "请选择转让或许可。", "kind is sale or licence.")
    kind = ListingKind(kind_raw)
    licence_type = data.get("licence_type") or ""
    if kind is ListingKind.LICENCE and licence_type not in LICENCE_TYPES:
        raise invalid(
            "licence_type",
            "licence_type_invalid",
            "请选择许可类型：独占、排他或普通许可。",
            "licence_type is exclusive, sole or ordinary.",
        )
    if kind is ListingKind.SALE:
        licence_type = ""
    price_kind_raw = data.get("price_kind")
    if price_kind_raw not in {k.value for k in PriceKind}:
        raise invalid(
            "price_kind",
            "price_kind_invalid",
            "请选择标价或底价。",
            "price_kind is fixed or reserve.",
        )
    price = amount_in(data.get("price"), "price", label_zh="挂牌价")
    terms = _text(data.get("terms"), "terms", "交易条件", required=False, limit=_TEXT_MAX)
    right = right_named(data.get("number"))
    owners = _owners_now(right)
    if org.pk not in {o.organisation_id for o in owners}:
        raise invalid(
            "number",
            "right_not_owned",
            "只能挂牌本单位现为权利人的知识产权。",
            "Only a right your organisation holds now may be listed.",
        )
    whole = kind is ListingKind.SALE or licence_type != "ordinary"
    if whole and len(owners) > 1:
        raise invalid(
            "number",
            "right_co_owned",
            "该知识产权为共有，共有人单独只能以普通许可方式许可他人实施（专利法第十四条）；"
            "转让或独占、排他许可须全体共有人共同办理。",
            "The right is co-owned: one co-owner alone may grant only an ordinary licence "
            "(Patent Law art. 14); a sale or an exclusive or sole licence needs all of them.",
        )
    try:
        with transaction.atomic():
            # The holder's open listing of the right, locked: a deal being agreed on it holds
            # that lock until it commits, so the look for a live deal below waits and then sees
            # it. Read unlocked, a relisting begun while a deal was committing passed the look,
            # then the unique index once the old listing was dealt: a second open listing of a
            # right under a live deal, and a second sale of it.
            list(Listing.objects.select_for_update().filter(right=right, owner=org, state="open"))
            live = Deal.objects.filter(
                listing__right=right,
                seller=org,
                state__in=(DealState.AWAITING_CONSENT, DealState.READY),
            ).first()
            if live is not None:
                raise Conflict(
                    f"该知识产权已有未登记的交易 #{live.pk}，登记或终止前不能再挂牌。",
                    f"The right has deal #{live.pk} not yet recorded: it cannot be listed again "
                    "before.",
                    code="deal_pending",
                    extra={"deal_id": live.pk},
                )
            status = right_status(right, on=day).status
            if status not in (Status.IN_FORCE, Status.GRACE_PERIOD):
                raise Conflict(
                    f"该知识产权在 {day} 不处于有效状态，不能挂牌。",
                    f"The right is not in force on {day}: it cannot be listed.",
                    code="right_not_in_force",
                )
            listing = Listing.objects.create(
                right=right,
                owner=org,
                kind=kind.value,
                licence_type=licence_type,
                price_kind=price_kind_raw,
                price=price,
                terms=terms,
                listed_on=day,
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            "该知识产权已有挂牌中的交易。",
            "The right is already listed.",
            code="listing_exists",
        ) from None
    audit_record(
        actor=actor, action="trading.listing_create", obj=listing, after=_listing_snapshot(listing)
    )
    pledges = pledges_holding_by_pledgee(right, day)
    notify_orgs(
        [pledgee for _no, pledgee in pledges],
        listing,
        "trading.listing_create",
        f"{org.name} 将质押中的知识产权 {right.number} 挂牌{listing.get_kind_display()}；"
        "成交须经质权人同意。",
        f"{org.name} listed the pledged right {right.number} for {kind.value}; a deal needs "
        "the pledgee's consent.",
    )
    return listing


def _own_listing(actor: User, listing_id: Any) -> tuple[Organisation, Listing]:
    require(actor, Perm.TRADE_LIST)
    org = acting_organisation(actor)
    listing = (
        Listing.objects.select_for_update()
        .select_related("right")
        .filter(pk=int_in(listing_id, "trading_listing_id"), owner=org)
        .first()
    )
    if listing is None:
        raise NotFound(
            "未找到本单位的该挂牌。", "No such listing of yours.", code="listing_not_found"
        )
    return org, listing


def _listing_open(listing: Listing) -> None:
    if listing.state != "open":
        raise Conflict(
            f"该挂牌当前为“{listing.get_state_display()}”。",
            f"The listing is {listing.state}.",
            code="listing_not_open",
        )


def _withdrawn(listing: Listing, actor: User | None, **why: Any) -> None:
    """Take the (locked) listing off the board, audited (`why`: what the record adds): an open
    one, or a dealt one whose deal lapsed."""
    before = _listing_snapshot(listing)
    listing.state = "withdrawn"
    listing.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action="trading.listing_withdraw",
        obj=listing,
        before=before,
        after={**_listing_snapshot(listing), **why},
    )


def listing_withdraw(*, actor: User, listing_id: Any) -> Listing:
    with transaction.atomic():
        _org, listing = _own_listing(actor, listing_id)
        _listing_open(listing)
        _withdrawn(listing, actor)
    return listing


def listings_withdraw_after_transfer(*, right: Right, actor: User | None) -> list[Listing]:
    """The open listings of `right` by an organisation that no longer holds it (the right was
    transferred: its pledge sold, a deal recorded, the office's record), withdrawn (audited, the
    former holder told). Before, a right sold by its pledge's disposal stayed on the public board
    under its former holder, who could still draw interest in it. The live deals on the right
    whose seller can no longer make them good lapse (`deals_lapse_after_transfer`). The receiver
    of the register's `right_transferred`, in the transfer's transaction."""
    holders = {o.organisation_id for o in _owners_now(right)}
    deals_lapse_after_transfer(right=right, holders=holders, actor=actor)
    stale = list(
        Listing.objects.select_for_update()
        .select_related("right")
        .filter(right=right, state="open")
        .exclude(owner_id__in=[pk for pk in holders if pk is not None])
        .order_by("pk")
    )
    for listing in stale:
        _withdrawn(listing, actor, reason="right_transferred")
        notify_orgs(
            [listing.owner_id],
            listing,
            "trading.listing_withdraw",
            f"{right.number} 已登记转让，贵单位已不是其权利人，其挂牌已撤下。",
            f"{right.number} was transferred and is no longer yours: its listing was withdrawn.",
        )
    return stale


# The deal whose record is writing the register's transfer now (in this thread), if any.
_deal_being_recorded: ContextVar[int | None] = ContextVar("deal_being_recorded", default=None)


def deals_lapse_after_transfer(
    *, right: Right, holders: set[int | None], actor: User | None
) -> None:
    """The deals on `right` still awaiting a pledgee's consent or the centre's record whose seller
    no longer holds it (alone, where the deal needs that: `_seller_holds`) end as lapsed, their
    listings withdrawn (audited, both parties and any pledgee still asked told). Before, such a
    deal was refused at its record (409 `seller_not_holder`) but stayed "ready" for good, no one
    able to end it, and its listing "dealt". A sale whose right went to its own buyer by another
    record (the office's) lapses too, for it has nothing left to record, but says so: the buyer
    has the right (`reason` "transferred_to_buyer"), not a seller's failure to pass it."""
    live = Deal.objects.select_for_update().filter(
        listing__right=right, state__in=(DealState.AWAITING_CONSENT, DealState.READY)
    )
    recording = _deal_being_recorded.get()
    if recording is not None:
        live = live.exclude(pk=recording)
    for deal in live.order_by("pk"):
        if _seller_holds(holders, deal.seller_id, deal.kind, deal.licence_type):
            continue
        to_buyer = deal.kind == ListingKind.SALE and holders == {deal.counterparty_id}
        before = _deal_snapshot(deal)
        deal.state = DealState.LAPSED.value
        deal.save(update_fields=["state"])
        audit_record(
            actor=actor,
            action="trading.deal_lapse",
            obj=deal,
            before=before,
            after={
                **_deal_snapshot(deal),
                "reason": "transferred_to_buyer" if to_buyer else "right_transferred",
            },
        )
        listing = Listing.objects.select_for_update().get(pk=deal.listing_id)
        if listing.state != "withdrawn":
            _withdrawn(listing, actor, reason="right_transferred")
        asked = list(deal.consents.filter(state="pending").values_list("pledgee_id", flat=True))
        if to_buyer:
            zh = (
                f"{right.number} 已另行登记转让给交易 #{deal.pk} 的买方："
                "该交易无须再由交易中心登记，已结束。"
            )
            en = (
                f"{right.number} was transferred to the buyer of deal #{deal.pk} by another "
                "record: the trading centre has nothing left to record, and the deal ended."
            )
        else:
            zh = (
                f"{right.number} 已登记转让，卖方已不是其权利人：交易 #{deal.pk} 已失效，不再登记。"
            )
            en = (
                f"{right.number} was transferred and the seller no longer holds it: deal "
                f"#{deal.pk} lapsed and will not be recorded."
            )
        notify_orgs(
            [deal.seller_id, deal.counterparty_id, *asked], deal, "trading.deal_lapse", zh, en
        )


def interest_express(
    *, actor: User, listing_id: Any, offer: Any = None, message: Any = ""
) -> Interest:
    require(actor, Perm.TRADE_INTEREST)
    org = acting_organisation(actor)
    amount = optional_amount_in(offer, "offer")
    text = _text(message, "message", "意向说明", required=True, limit=_TEXT_MAX)
    with transaction.atomic():
        listing = (
            Listing.objects.select_for_update()
            .select_related("right")
            .filter(pk=int_in(listing_id, "trading_listing_id"))
            .first()
        )
        if listing is None:
            raise NotFound("未找到该挂牌。", "No such listing.", code="listing_not_found")
        _listing_open(listing)
        if listing.owner_id == org.pk:
            raise Conflict(
                "不能对本单位的挂牌提交意向。",
                "You cannot express interest in your own listing.",
                code="own_listing",
            )
        try:
            with transaction.atomic():
                interest = Interest.objects.create(
                    listing=listing, party=org, offer=amount, message=text, created_by=actor
                )
        except IntegrityError:
            raise Conflict(
                "本单位已对该挂牌提交过意向。",
                "Your organisation has expressed interest in this listing already.",
                code="interest_exists",
            ) from None
        audit_record(
            actor=actor,
            action="trading.interest_express",
            obj=interest,
            after={"listing": listing.pk, "offer": money_str_or_none(amount)},
        )
        offer_zh = f"，意向价 {money_str(amount)} 元" if amount is not None else ""
        notify_orgs(
            [listing.owner_id],
            listing,
            "trading.interest_express",
            f"{org.name} 对 {listing.right.number} 的挂牌提交了交易意向{offer_zh}。",
            f"{org.name} expressed interest in the listing of {listing.right.number}.",
        )
    return interest


def deal_agree(
    *,
    actor: User,
    listing_id: Any,
    interest_id: Any,
    price: Any,
    agreed_on: Any = None,
    today: date | None = None,
) -> Deal:
    day = today or timezone.localdate()
    amount = amount_in(price, "price", label_zh="成交价")
    on = day if agreed_on in (None, "") else date_in(agreed_on, "agreed_on")
    if on > day:
        raise invalid(
            "agreed_on", "date_in_future", "成交日不能晚于今天。", "agreed_on is in the future."
        )
    with transaction.atomic():
        org, listing = _own_listing(actor, listing_id)
        _listing_open(listing)
        if on < listing.listed_on:
            raise invalid(
                "agreed_on",
                "agreed_before_listing",
                f"成交日不能早于挂牌日 {listing.listed_on}。",
                f"agreed_on may not be before the listing's day, {listing.listed_on}.",
            )
        interest = Interest.objects.filter(
            pk=int_in(interest_id, "interest_id"), listing=listing
        ).first()
        if interest is None:
            raise invalid(
                "interest_id",
                "interest_not_found",
                "请选择对本挂牌提交过意向的一方。",
                "Choose a party that expressed interest in this listing.",
            )
        deal_price_check(listing.price_kind, Decimal(listing.price), amount)
        # The seller still holds the right, and it can still change hands (not frozen, not in
        # dispute, in force): a right sold since the listing (by a pledge's disposal), frozen by
        # a court or invalidated was dealt again, the deal then stuck "ready" for good.
        _refuse_not_holder(listing.right, org.pk, listing.kind, listing.licence_type)
        refuse_untransferable([listing.right], on=day, zh="，不能成交", en=": no deal")
        # The pledges holding the right on the deal's day (what the register checks the record
        # against) and today (a pledgee since then is asked too).
        pledges = pledges_holding_by_pledgee(listing.right, on)
        pledges += pledges_holding_by_pledgee(listing.right, day)
        # One answer per pledgee, whatever the number of its pledges on the right.
        pledgees: dict[int, str] = {}
        for number, pledgee in pledges:
            pledgees.setdefault(pledgee, number)
        deal = Deal.objects.create(
            listing=listing,
            interest=interest,
            seller=org,
            counterparty_id=interest.party_id,
            kind=listing.kind,
            licence_type=listing.licence_type,
            price=amount,
            agreed_on=on,
            state=deal_state([ConsentState.PENDING.value] * len(pledgees)).value,
            agreed_by=actor,
        )
        DealConsent.objects.bulk_create(
            [
                DealConsent(deal=deal, pledgee_id=pledgee, registration_no=number)
                for pledgee, number in pledgees.items()
            ]
        )
        listing.state = "dealt"
        listing.save(update_fields=["state"])
        audit_record(actor=actor, action="trading.deal_agree", obj=deal, after=_deal_snapshot(deal))
        number, price_text = listing.right.number, money_str(amount)
        notify_orgs(
            [interest.party_id],
            deal,
            "trading.deal_agree",
            f"{org.name} 与贵单位就 {number} 达成交易，成交价 {price_text} 元。",
            f"{org.name} agreed the deal on {number} with you at {price_text} yuan.",
        )
        notify_orgs(
            list(pledgees),
            deal,
            "trading.consent_asked",
            f"{org.name} 就质押中的知识产权 {number} 达成交易（成交价 {price_text} 元），"
            "须经贵行同意方可登记（民法典第四百四十四条）。",
            f"{org.name} agreed a deal on the pledged right {number} ({price_text} yuan); it "
            "needs your consent before it is recorded (Civil Code art. 444).",
        )
    return deal


def deal_consent(
    *, actor: User, deal_id: Any, decision: Any, document: Any = "", reason: Any = ""
) -> Deal:
    require(actor, Perm.TRADE_CONSENT)
    org = acting_organisation(actor)
    if decision not in ("consent", "refuse"):
        raise invalid(
            "decision",
            "decision_invalid",
            "请选择同意或不同意。",
            "decision is consent or refuse.",
        )
    if decision == "consent":
        doc = _text(document, "document", "同意文件编号", required=True, limit=_DOCUMENT_MAX)
        why = ""
    else:
        doc = ""
        why = _text(reason, "reason", "不同意理由", required=True, limit=_REASON_MAX)
    with transaction.atomic():
        deal = (
            Deal.objects.select_for_update()
            .select_related("listing__right")
            .filter(pk=int_in(deal_id, "trading_deal_id"), consents__pledgee=org)
            .first()
        )
        if deal is None:
            raise NotFound("未找到待贵行答复的交易。", "No such deal.", code="deal_not_found")
        consent = DealConsent.objects.select_for_update().get(deal=deal, pledgee=org)
        if deal.state != DealState.AWAITING_CONSENT or consent.state != "pending":
            raise Conflict(
                "该交易已答复或不再等待质权人同意。",
                "The deal no longer waits for your answer.",
                code="deal_state_invalid",
            )
        before = _deal_snapshot(deal)
        consent.state = "given" if decision == "consent" else "refused"
        consent.document, consent.reason = doc, why
        consent.answered_by, consent.answered_at = actor, timezone.now()
        consent.save()
        deal.state = deal_state(list(deal.consents.values_list("state", flat=True))).value
        deal.save(update_fields=["state"])
        if deal.state == DealState.REFUSED:
            # The listing opens again (no other can be open: no relisting while a deal is live).
            Listing.objects.filter(pk=deal.listing_id).update(state="open")
        audit_record(
            actor=actor,
            action="trading.deal_consent",
            obj=deal,
            before=before,
            after={**_deal_snapshot(deal), "document": doc, "reason": why},
        )
        number = deal.listing.right.number
        if deal.state == DealState.REFUSED:
            zh = f"质权人 {org.name} 不同意 {number} 的交易：{why}。挂牌已恢复。"
            en = f"The pledgee {org.name} refused the deal on {number}: {why}. Listed again."
        else:
            zh = f"质权人 {org.name} 同意 {number} 的交易（{doc}）。"
            en = f"The pledgee {org.name} consented to the deal on {number} ({doc})."
        notify_orgs([deal.seller_id, deal.counterparty_id], deal, "trading.deal_consent", zh, en)
    return deal


def _seller_holds(holders: set[int | None], seller_id: int, kind: str, licence_type: str) -> bool:
    """Whether the seller holds the right among `holders` (the organisations holding it now),
    alone for a sale or a licence other than an ordinary one."""
    alone_needed = kind == ListingKind.SALE or licence_type != "ordinary"
    return seller_id in holders and not (alone_needed and len(holders) > 1)


def _refuse_not_holder(right: Right, seller_id: int, kind: str, licence_type: str) -> None:
    """The seller holds the right now, alone for a sale or a licence other than an ordinary one
    (409 `seller_not_holder`)."""
    holders = {o.organisation_id for o in _owners_now(right)}
    if not _seller_holds(holders, seller_id, kind, licence_type):
        raise Conflict(
            "卖方已不是（或不再是唯一的）该知识产权的权利人，不能就其成交或登记。",
            "The seller no longer holds the right (or no longer alone): no deal on it can be "
            "agreed or recorded.",
            code="seller_not_holder",
        )


def deal_record(*, actor: User, deal_id: Any, today: date | None = None) -> Deal:
    """The centre records a ready deal in the register. A pledge registered on the right since
    the deal was agreed stops it (409 `pledgee_consent_required`): the right may not pass
    without its pledgee's consent (民法典 art. 444 ¶2), so that pledgee is asked now and told,
    and the deal waits for its answer, as one agreed on a pledged right does."""
    require(actor, Perm.TRADE_RECORD)
    day = today or timezone.localdate()
    asked_now: dict[int, str] = {}
    with transaction.atomic():
        deal = (
            Deal.objects.select_for_update()
            .select_related("listing__right", "counterparty", "seller")
            .filter(pk=int_in(deal_id, "trading_deal_id"))
            .first()
        )
        if deal is None:
            raise NotFound("未找到该交易。", "No such deal.", code="deal_not_found")
        if deal.state != DealState.READY:
            raise Conflict(
                f"交易当前为“{deal.get_state_display()}”，不能登记。",
                f"The deal is {deal.state}: it cannot be recorded.",
                code="deal_state_invalid",
            )
        _refuse_not_holder(deal.listing.right, deal.seller_id, deal.kind, deal.licence_type)
        refuse_untransferable([deal.listing.right], on=day, zh="，不能登记", en=": not recorded")
        consents = list(deal.consents.all())
        asked = {c.pledgee_id for c in consents}
        for number, pledgee in pledges_holding_by_pledgee(deal.listing.right, day):
            if pledgee not in asked:
                asked_now.setdefault(pledgee, number)
        if asked_now:
            before = _deal_snapshot(deal)
            DealConsent.objects.bulk_create(
                [
                    DealConsent(deal=deal, pledgee_id=pledgee, registration_no=number)
                    for pledgee, number in asked_now.items()
                ]
            )
            deal.state = DealState.AWAITING_CONSENT.value
            deal.save(update_fields=["state"])
            audit_record(
                actor=actor,
                action="trading.deal_consent_asked",
                obj=deal,
                before=before,
                after={**_deal_snapshot(deal), "pledgees_asked": sorted(asked_now)},
            )
            number = deal.listing.right.number
            notify_orgs(
                list(asked_now),
                deal,
                "trading.deal_consent_asked",
                f"{number} 在交易 #{deal.pk} 达成后出质于贵单位：该交易须经贵单位同意方可登记。",
                f"{number} was pledged to you after deal #{deal.pk} was agreed: the deal needs "
                "your consent to be recorded.",
            )
        else:
            _record_ready(actor, deal, consents)
    if asked_now:
        raise Conflict(
            "该知识产权在交易达成后已出质：已请新的质权人答复，经其同意后方可登记。",
            "The right was pledged after the deal was agreed: its new pledgee has been asked, "
            "and the deal can be recorded once it consents.",
            code="pledgee_consent_required",
            extra={"deal_id": deal.pk, "pledgees": sorted(asked_now)},
        )
    return deal


def _record_ready(actor: User, deal: Deal, consents: list[DealConsent]) -> None:
    """The ready deal, every pledgee's consent given, written in the register (in the
    transaction and under the lock `deal_record` took)."""
    buyer = deal.counterparty
    payload: dict[str, Any] = {"price": money_str(deal.price)}
    if deal.kind == ListingKind.SALE:
        payload["owners"] = [{"name": buyer.name, "uscc": buyer.uscc or ""}]
    else:
        payload |= {
            "licence_type": deal.licence_type,
            "licensee": buyer.name,
            **({"licensee_uscc": buyer.uscc} if buyer.uscc else {}),
        }
    if consents:
        payload["pledgee_consent"] = True
        payload["consent_document"] = f"交易 #{deal.pk} 质权人同意：" + "；".join(
            c.document for c in consents
        )
    before = _deal_snapshot(deal)
    # A sale's transfer makes the seller a former holder, and the register's announcement of it
    # lapses the live deals of former holders (deals_lapse_after_transfer): not this one, which
    # the transfer makes good.
    token = _deal_being_recorded.set(deal.pk)
    try:
        event = right_dealing_record(
            actor=actor,
            right=deal.listing.right,
            type=registry_event_type(deal.kind),
            date=deal.agreed_on,
            payload=payload,
        )
    finally:
        _deal_being_recorded.reset(token)
    deal.event = event
    deal.state = DealState.RECORDED.value
    deal.recorded_by = actor
    deal.save(update_fields=["event", "state", "recorded_by"])
    audit_record(
        actor=actor,
        action="trading.deal_record",
        obj=deal,
        before=before,
        after=_deal_snapshot(deal),
    )
    number = deal.listing.right.number
    notify_orgs(
        [deal.seller_id, deal.counterparty_id],
        deal,
        "trading.deal_record",
        f"{number} 的{deal.get_kind_display()}已登记。",
        f"The {deal.kind} of {number} was recorded in the register.",
    )
