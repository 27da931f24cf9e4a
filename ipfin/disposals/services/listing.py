"""`disposal_create`: the pledgee bank lists its pledge of a defaulted loan (see the package
docstring)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import yuan_en, yuan_exact
from ipfin.common.errors import Conflict, invalid
from ipfin.common.inputs import amount_in, date_in, int_in
from ipfin.common.money import money_str
from ipfin.disposals import selectors
from ipfin.disposals.domain import (
    MAX_BIDDING,
    MAX_LEAD,
    MIN_BIDDING,
    VALUATION_FRESH_MONTHS,
    DisposalAction,
    DisposalMethod,
    reserve_floor,
    valuation_fresh,
)
from ipfin.disposals.models import LIVE_STATES, Disposal
from ipfin.disposals.services._common import (
    defaulted_loan,
    instant,
    label,
    pledged_right_ids,
    snapshot,
    transition,
)
from ipfin.pledges.models import Pledge, PledgeStateChoices
from ipfin.registry.domain import add_months
from ipfin.valuation.models import Valuation
from ipfin.valuation.selectors import loan_backing_refusal, valuation_list

__all__ = ["disposal_create"]


def _method(raw: Any) -> DisposalMethod:
    try:
        return DisposalMethod(str(raw))
    except ValueError:
        names = ", ".join(m.value for m in DisposalMethod)
        raise invalid(
            "method",
            "method_invalid",
            f"未知的处置方式：{raw}（可选：{names}）。",
            f"Unknown method {raw!r}: {names}.",
        ) from None


def _datetime_in(raw: Any, field: str) -> datetime:
    """An instant with its UTC offset: a timezone-aware datetime or its ISO 8601 text."""
    value = raw
    if isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise invalid(
            field,
            "datetime_invalid",
            f"{field}应为带时区的 ISO 8601 时间（如 2026-12-31T15:00:00+08:00）。",
            f"{field} must be an ISO 8601 date-time with its offset "
            "(e.g. 2026-12-31T15:00:00+08:00).",
        )
    return value


def _pledge_of_bank(bank: Organisation, pledge_id: Any) -> Pledge:
    """The bank's own pledge, locked (one named in the body: another's is a 422 naming it)."""
    pk = int_in(pledge_id, "pledge_id")
    pledge = Pledge.objects.select_for_update().filter(pk=pk, pledgee=bank).first()
    if pledge is None:
        raise invalid(
            "pledge_id", "pledge_not_found", "未找到贵行的该质押登记。", "No such pledge of yours."
        )
    if pledge.state != PledgeStateChoices.REGISTERED:
        raise Conflict(
            "只能处置已登记、未注销的质押。",
            "Only a registered pledge (not released) may be disposed of.",
            code="pledge_not_registered",
            extra={"state": pledge.state},
        )
    return pledge


def _reserve_valuation(
    actor: User, bank: Organisation, pledge: Pledge, valuation_id: Any, listed_on: date
) -> Valuation:
    """The valuation the reserve rests on (see the module docstring); a 422 naming the field."""
    pk = int_in(valuation_id, "valuation_id")
    valuation = valuation_list(actor=actor).filter(pk=pk).prefetch_related("items").first()
    if valuation is None:
        raise invalid(
            "valuation_id", "valuation_not_found", "未找到该评估报告。", "No such valuation."
        )
    refusal = loan_backing_refusal(valuation, bank_id=bank.pk)
    if refusal is not None:
        raise refusal
    if {item.right_id for item in valuation.items.all()} != pledged_right_ids(pledge):
        raise invalid(
            "valuation_id",
            "valuation_rights_mismatch",
            "评估报告所评估的知识产权应与该质押的全部知识产权一致。",
            "The valuation must be of exactly the pledge's rights.",
        )
    if not valuation_fresh(valuation.valuation_date, listed_on):
        earliest = add_months(listed_on, -VALUATION_FRESH_MONTHS)
        raise invalid(
            "valuation_id",
            "valuation_stale",
            f"评估基准日 {valuation.valuation_date} 不在挂牌日前 {VALUATION_FRESH_MONTHS} 个月内"
            f"（{earliest} 至 {listed_on}）：请以新的评估确定起拍价。",
            f"The valuation's base date {valuation.valuation_date} is not within the "
            f"{VALUATION_FRESH_MONTHS} months before the listing day ({earliest} to {listed_on}): "
            "value the rights afresh.",
            valuation_date=valuation.valuation_date.isoformat(),
            earliest=earliest.isoformat(),
        )
    return valuation


def _listing_fields(
    *, reserve_price: Any, increment: Any, listed_on: Any, closes_at: Any, today: date
) -> tuple[Decimal, Decimal, date, datetime]:
    reserve = amount_in(reserve_price, "reserve_price", label_zh="起拍价")
    step = amount_in(increment, "increment", label_zh="加价幅度")
    listed = date_in(listed_on, "listed_on")
    closes = _datetime_in(closes_at, "closes_at")
    if listed < today:
        raise invalid(
            "listed_on",
            "listed_on_in_past",
            f"挂牌日不能早于今日 {today}（180 天收储期自挂牌日起算）。",
            f"The listing day cannot be before today, {today} (the 180 days of the backstop "
            "run from it).",
        )
    if listed > today + MAX_LEAD:
        raise invalid(
            "listed_on",
            "listed_on_too_far",
            f"挂牌日最迟为一年后（{today + MAX_LEAD}）。",
            f"The listing day is at most a year ahead ({today + MAX_LEAD}).",
        )
    latest_close = selectors.opens_at(listed) + MAX_BIDDING
    if closes > latest_close:
        raise invalid(
            "closes_at",
            "closes_at_too_late",
            f"竞价时间最长一年：截止时间不晚于 {instant(latest_close)}。",
            f"Bidding lasts at most a year: the close is not after {instant(latest_close)}.",
            latest=instant(latest_close),
        )
    earliest_close = selectors.opens_at(listed) + MIN_BIDDING
    if closes < earliest_close:
        raise invalid(
            "closes_at",
            "closes_at_too_soon",
            f"竞价时间不少于 24 小时：截止时间不早于 {instant(earliest_close)}。",
            f"Bidding lasts at least 24 hours: the close is not before {instant(earliest_close)}.",
            earliest=instant(earliest_close),
        )
    return reserve, step, listed, closes


def _disposal_exists(existing: Disposal | None) -> Conflict:
    return Conflict(
        "该质押已在处置中"
        + (f"（处置项目 #{existing.pk}）" if existing else "")
        + "，不能重复挂牌。",
        "The pledge is already being disposed of"
        + (f" (disposal #{existing.pk})" if existing else "")
        + ".",
        code="disposal_exists",
        extra={"disposal_id": existing.pk if existing else None},
    )


def disposal_create(
    *,
    actor: User,
    pledge_id: Any,
    method: Any,
    reserve_price: Any,
    increment: Any,
    listed_on: Any,
    closes_at: Any,
    valuation_id: Any,
    today: date | None = None,
) -> Disposal:
    """The pledgee bank lists its defaulted pledge on the trading board (module docstring)."""
    require(actor, Perm.DISPOSAL_MANAGE)
    bank = acting_organisation(actor)
    how = _method(method)
    day = today if today is not None else timezone.localdate()
    reserve, step, listed, closes = _listing_fields(
        reserve_price=reserve_price,
        increment=increment,
        listed_on=listed_on,
        closes_at=closes_at,
        today=day,
    )
    with transaction.atomic():
        pledge = _pledge_of_bank(bank, pledge_id)
        loan = defaulted_loan(pledge)
        existing = Disposal.objects.filter(pledge=pledge, state__in=LIVE_STATES).first()
        if existing is not None:
            raise _disposal_exists(existing)
        valuation = _reserve_valuation(actor, bank, pledge, valuation_id, listed)
        floor = reserve_floor(Decimal(valuation.value))
        if reserve < floor:
            raise invalid(
                "reserve_price",
                "reserve_below_floor",
                f"起拍价不得低于评估值 {yuan_exact(valuation.value)}的 70%，即 "
                f"{yuan_exact(floor)}。",
                f"The reserve may not be below 70 % of the valuation of "
                f"{yuan_en(valuation.value)}: {money_str(floor)}.",
                floor=money_str(floor),
            )
        try:
            with transaction.atomic():
                disposal = Disposal.objects.create(
                    pledge=pledge,
                    loan=loan,
                    bank=bank,
                    pledgor_id=pledge.pledgor_id,
                    method=how.value,
                    state=transition(None, DisposalAction.LIST).value,
                    valuation=valuation,
                    valuation_value=valuation.value,
                    reserve_price=reserve,
                    increment=step,
                    listed_on=listed,
                    closes_at=closes,
                    created_by=actor,
                )
                disposal.rights.set(sorted(pledged_right_ids(pledge)))
        except IntegrityError:  # a concurrent listing of the pledge won
            raise _disposal_exists(
                Disposal.objects.filter(pledge=pledge, state__in=LIVE_STATES).first()
            ) from None
        audit_record(
            actor=actor,
            action="disposal.create",
            obj=disposal,
            after={**snapshot(disposal), "loan_state": loan.state, "floor": money_str(floor)},
        )
        label_zh, label_en = label(disposal)
        notify_orgs(
            [disposal.pledgor_id, loan.enterprise_id],
            disposal,
            "disposal.create",
            f"质权人 {bank.name} 已将质押登记 {pledge.registration_no} 项下的知识产权挂牌处置"
            f"（{label_zh}，{how.label_zh}，起拍价 {yuan_exact(reserve)}，{listed} 挂牌）。",
            f"The pledgee {bank.name} listed the rights of pledge {pledge.registration_no} for "
            f"disposal ({label_en}, {how.value}, reserve {yuan_en(reserve)}, listed on "
            f"{listed}).",
        )
    return disposal
