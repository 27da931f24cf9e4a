"""Helpers shared by the loan and subsidy services: input parsing, transitions, notifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.services import notify
from ipfin.common.errors import Conflict, invalid
from ipfin.common.money import MAX_AMOUNT, AmountTooLarge, parse_money
from ipfin.loans.domain.status import IllegalTransition, LoanAction, LoanState, next_state


def today_or(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def money_in(raw: Any, field: str, *, positive: bool = True) -> Decimal:
    """An amount sent by a user or a system: a non-negative amount with at most two decimals
    (`parse_money`), positive unless said otherwise; a 422 naming the field otherwise."""
    try:
        amount = parse_money(raw)
    except AmountTooLarge:
        raise invalid(
            field,
            "amount_too_large",
            f"金额不能超过 {MAX_AMOUNT:,} 元。",
            f"{field} may not exceed {MAX_AMOUNT:,} yuan.",
        ) from None
    except (TypeError, ValueError):
        amount = None
    if amount is None or (positive and amount <= 0):
        raise invalid(
            field,
            "amount_invalid",
            f"金额“{raw}”无效：应为{'大于 0 的' if positive else ''}金额，最多两位小数。",
            f"{field} {str(raw)!r} is invalid: "
            f"{'a positive' if positive else 'an'} amount with at most two decimals.",
        )
    return amount


def decimal_in(raw: Any, field: str) -> Decimal:
    """An exact decimal (a rate): a Decimal, an int or a string; a float only by its shortest
    text (0.0435 → "0.0435"), never by its binary value."""
    if isinstance(raw, bool) or raw is None:
        raise invalid(
            field, "decimal_invalid", f"{field}必须是数字。", f"{field} must be a number."
        )
    text = repr(raw) if isinstance(raw, float) else str(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise invalid(
            field, "decimal_invalid", f"{field}必须是数字。", f"{field} must be a number."
        ) from None
    if not value.is_finite():
        raise invalid(
            field, "decimal_invalid", f"{field}必须是有限数。", f"{field} must be finite."
        )
    return value


def int_in(raw: Any, field: str) -> int:
    if isinstance(raw, bool):
        raise invalid(
            field, "integer_invalid", f"{field}必须是整数。", f"{field} must be an integer."
        )
    if isinstance(raw, int):
        return raw
    text = str(raw).strip() if isinstance(raw, str) else ""
    if text.isascii() and text.isdigit():
        return int(text)
    raise invalid(field, "integer_invalid", f"{field}必须是整数。", f"{field} must be an integer.")


def date_in(raw: Any, field: str) -> date:
    if isinstance(raw, date) and not hasattr(raw, "hour"):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise invalid(
            field,
            "date_invalid",
            f"{field}应为 YYYY-MM-DD 格式的日期。",
            f"{field} must be a date (YYYY-MM-DD).",
        ) from None


def transition(state: str | None, action: LoanAction) -> LoanState:
    try:
        return next_state(state, action)
    except IllegalTransition as exc:
        raise Conflict(
            exc.message_zh,
            exc.message_en,
            code=exc.code.value,
            extra={"state": state, "action": action.value},
        ) from exc


def office_ids() -> list[int]:
    return list(
        Organisation.objects.filter(kind=OrganisationKind.IP_OFFICE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def notify_orgs(
    org_ids: Iterable[int | None], obj: models.Model, verb: str, zh: str, en: str
) -> None:
    for org_id in dict.fromkeys(org_ids):
        if org_id is not None:
            notify(organisation_id=org_id, verb=verb, message_zh=zh, message_en=en, obj=obj)
