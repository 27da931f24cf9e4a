"""What the index's services share: the inputs they parse and the lock of a system."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ipfin.common.errors import Conflict, invalid
from ipfin.common.inputs import decimal_in, int_in
from ipfin.zoneindex.models import IndicatorSystem, SystemState

__all__ = [
    "MAX_WEIGHT",
    "MAX_YEAR",
    "MIN_YEAR",
    "locked_system",
    "text_in",
    "weight_in",
    "year_in",
]

MIN_YEAR = 2000
MAX_YEAR = 2100
# IndicatorDef.weight: 12 digits, 6 of them decimals.
MAX_WEIGHT = Decimal("999999.999999")
WEIGHT_DECIMALS = 6


def text_in(raw: Any, field: str, label_zh: str, max_length: int) -> str:
    """A required text, stripped: 422 `<field>_required` or `<field>_too_long`."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise invalid(field, f"{field}_required", f"请填写{label_zh}。", f"{field} is required.")
    if len(text) > max_length:
        raise invalid(
            field,
            f"{field}_too_long",
            f"{label_zh}最长 {max_length} 个字符（本次 {len(text)} 个）。",
            f"{field} is {len(text)} characters long: at most {max_length}.",
            max_length=max_length,
        )
    return text


def year_in(raw: Any, field: str = "year") -> int:
    """A year from MIN_YEAR to MAX_YEAR: 422 `integer_invalid` or `year_invalid`."""
    year = int_in(raw, field)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise invalid(
            field,
            "year_invalid",
            f"年度应在 {MIN_YEAR} 至 {MAX_YEAR} 之间。",
            f"The year must be from {MIN_YEAR} to {MAX_YEAR}.",
        )
    return year


def weight_in(raw: Any, field: str = "weight") -> Decimal | None:
    """An indicator's weight: None when not given; else > 0, at most MAX_WEIGHT, at most six
    decimals (422 `decimal_invalid`, `weight_not_positive`, `weight_too_large`,
    `weight_too_precise`)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    weight = decimal_in(raw, field)
    if weight <= 0:
        raise invalid(field, "weight_not_positive", "权重须大于 0。", "The weight must be above 0.")
    if weight > MAX_WEIGHT:
        raise invalid(
            field,
            "weight_too_large",
            f"权重不能超过 {MAX_WEIGHT}。",
            f"The weight may not exceed {MAX_WEIGHT}.",
        )
    exponent = weight.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -WEIGHT_DECIMALS:
        raise invalid(
            field,
            "weight_too_precise",
            f"权重最多 {WEIGHT_DECIMALS} 位小数。",
            f"The weight has at most {WEIGHT_DECIMALS} decimals.",
        )
    return weight.quantize(Decimal(1).scaleb(-WEIGHT_DECIMALS))  # as the column stores it


def locked_system(system: IndicatorSystem, *, draft: bool = False) -> IndicatorSystem:
    """The system's row, locked (inside the caller's transaction); with `draft`, a 409
    `system_not_draft` unless it is a draft: an active or retired version is never edited."""
    locked = IndicatorSystem.objects.select_for_update().get(pk=system.pk)
    if draft and locked.state != SystemState.DRAFT:
        raise Conflict(
            "只能修改草稿状态的指标体系：已启用或已停用的版本不能修改，请创建新版本后修改。",
            "Only a draft indicator system is edited: an active or retired version is not; "
            "make a new version and edit that.",
            code="system_not_draft",
            extra={"state": locked.state},
        )
    return locked
