"""What users and systems send, parsed into values or refused with a 422 that names the input
(`extra["field"]`) and says what is wrong with one code per kind of mistake, whichever service or
form it came through:

- `amount_invalid`: not an amount of yuan with at most two decimals (or not positive where it
  must be); `amount_too_large`: above `MAX_AMOUNT` (with `extra["max_amount"]`);
- `decimal_invalid`: not an exact, finite number (a float only by its shortest text);
- `integer_invalid`: not a whole number (or outside the bounds given);
- `date_invalid`: not a date written YYYY-MM-DD;
- `file_name_too_long`: an uploaded file's name longer than `MAX_FILE_NAME_LENGTH` characters
  (with `extra["max_length"]`).

Pure: no Django, so that the domain modules may use it too.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ipfin.common.errors import invalid
from ipfin.common.money import MAX_AMOUNT, AmountTooLarge, money_str, parse_money

__all__ = [
    "MAX_FILE_NAME_LENGTH",
    "amount_in",
    "date_in",
    "decimal_in",
    "exact_decimal",
    "exact_decimal_in",
    "file_name_in",
    "int_in",
    "optional_amount_in",
]

# The longest name of an uploaded file we keep (the columns that hold one are at least this long).
MAX_FILE_NAME_LENGTH = 200


def unstorable(text: str) -> bool:
    """True for text no database of ours can store: a NUL character (PostgreSQL text cannot hold
    one, neither can jsonb) or an unpaired surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def cell_text(value: object) -> str:
    """A spreadsheet cell's value as stripped text ("" for an empty cell). A whole float is
    written without its ".0": Excel holds a code of digits only (a credit code, a year) as a
    number, 1.2345e17 → "123450000000000000"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def exact_decimal(value: object, *, text: bool = False) -> Decimal | None:
    """The one exact-number check of the pure rules: `value` as a finite `Decimal` if it is a
    Decimal or an int (with `text=True` also a string of a number); None for anything else: a
    float (its binary value is not the number that was meant), a bool, NaN or an infinity. The
    caller raises its own error with the field it knows."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        return None
    if isinstance(value, str) and not text:
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def exact_decimal_in(value: object, field: str, label_zh: str | None = None) -> Decimal:
    """`exact_decimal` for the pure rules that take numbers from code (a Decimal or an int): a 422
    `decimal_invalid` naming `field` for a float, a bool, a string, NaN or an infinity."""
    number = exact_decimal(value)
    if number is None:
        raise invalid(
            field,
            "decimal_invalid",
            f"{label_zh or field}必须是精确的有限十进制数。",
            f"{field} must be an exact, finite decimal number (a Decimal or an int).",
        )
    return number


def amount_in(
    raw: Any,
    field: str,
    *,
    positive: bool = True,
    label_zh: str = "金额",
    label_en: str | None = None,
) -> Decimal:
    """An amount in yuan (`parse_money`: digits, at most two decimals, at most MAX_AMOUNT), more
    than zero unless `positive=False`. The labels name the amount in the message."""
    label = label_en or field
    try:
        amount = parse_money(raw)
    except AmountTooLarge:
        raise invalid(
            field,
            "amount_too_large",
            f"{label_zh}不能超过 {MAX_AMOUNT:,} 元。",
            f"{label} may not exceed {MAX_AMOUNT:,} yuan.",
            max_amount=money_str(MAX_AMOUNT),
        ) from None
    except (TypeError, ValueError):
        amount = None
    if amount is None or (positive and amount <= 0):
        shown = "" if raw is None else str(raw)[:40]
        raise invalid(
            field,
            "amount_invalid",
            f"{label_zh}“{shown}”无效：应为{'大于 0 的' if positive else ''}金额，最多两位小数。",
            f"{label} {shown!r} is invalid: "
            f"{'a positive' if positive else 'an'} amount with at most two decimals.",
        )
    return amount


def optional_amount_in(raw: Any, field: str, **kwargs: Any) -> Decimal | None:
    """`amount_in`, or None when the amount is not given (None or blank)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return amount_in(raw, field, **kwargs)


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
    """A whole number: an int or a string of ASCII digits (no sign, no bool)."""
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


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def date_in(raw: Any, field: str) -> date:
    """A date: a `date` (not a datetime) or its ISO text YYYY-MM-DD, exactly: Python's
    `date.fromisoformat` also reads "20260430" and the week date "2026-W18-4", which the
    error's own words refuse (and a typo of a day then passed as another day)."""
    if isinstance(raw, date) and not hasattr(raw, "hour"):
        return raw
    text = str(raw).strip()
    try:
        if not _ISO_DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(
            field,
            "date_invalid",
            f"{field}应为 YYYY-MM-DD 格式的日期。",
            f"{field} must be a date (YYYY-MM-DD).",
        ) from None


def file_name_in(raw: str | None, field: str = "file") -> str:
    """The name of an uploaded file without any directory part (a client may send a path, either
    slash), or a 422 `file_name_too_long` naming `field` when it is longer than
    `MAX_FILE_NAME_LENGTH` characters: refused rather than cut, because a cut name loses the
    extension the type checks read and the name the parties recognise."""
    name = (raw or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if len(name) > MAX_FILE_NAME_LENGTH:
        raise invalid(
            field,
            "file_name_too_long",
            f"文件名过长：最多 {MAX_FILE_NAME_LENGTH} 个字符（本次 {len(name)} 个）。",
            f"The file name is too long: at most {MAX_FILE_NAME_LENGTH} characters "
            f"(this one: {len(name)}).",
            max_length=MAX_FILE_NAME_LENGTH,
        )
    return name


def day_up_to(raw: Any, field: str, *, today: date, label_zh: str, code: str) -> date:
    """The day given as `field` (None or blank: `today`), refused when after `today` (422
    `code`): the day something happened or came in, which cannot be tomorrow."""
    given = today if raw in (None, "") else date_in(raw, field)
    if given > today:
        raise invalid(
            field,
            code,
            f"{label_zh}不能晚于今日（{today}）。",
            f"{field} cannot be after today ({today}).",
        )
    return given
