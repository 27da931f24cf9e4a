"""Repayment schedules, accrued interest and late-payment (penalty) interest.

Pure: no Django, no clock. `Decimal` throughout; every amount is rounded ROUND_HALF_UP to the fen
with `ipfin.common.money.to_fen`, the project's one rounding rule.

Methods (`RepaymentMethod`):
- `annuity` (等额本息): the instalment is computed once, at the monthly rate annual_rate / 12,
  with the annuity formula P·i / (1 − (1 + i)^−n), and rounded to the fen. Each period the interest
  is charged on the outstanding balance and the rest of the instalment repays principal.
- `equal_principal` (等额本金): each period repays principal / months rounded to the fen, plus the
  period's interest on the outstanding balance.
- `interest_only` (先息后本): interest every period, the whole principal with the last instalment.

Day counts (`DayCount`):
- `30/360`: every monthly period counts 30 days: interest = balance × annual_rate / 12.
- `actual/360`, `actual/365`: the period's actual days (from the previous due date, or the start
  date, to the due date) over 360 or 365.

Rounding: the interest of each period is rounded to the fen; the last instalment absorbs every
rounding remainder (it repays exactly the outstanding balance), so the balance ends at 0.00 and the
principal parts sum exactly to the principal.

Due dates: monthly, on the start date's day of month, or the month's last day where it has no such
day. Each due date is computed from the start date (start + k months), not chained from the
previous one: a loan started on 31 January falls due on 28/29 February, then 31 March.

Two guards keep every row sensible in corner cases that real loans do not reach (they never change a
30/360 annuity or a loan of ordinary size): a period's principal is never negative (when an
actual/360 or actual/365 period's interest exceeds the instalment, the instalment rises to the
interest rather than the balance growing) and never more than the balance (when principal / months
or the instalment, rounded up to the fen, would repay a tiny loan, or a long loan at a usurious
rate, before its last period: the instalments after that are 0.00).

Validation (`ValidationFailed`, 422, `extra={"field": ...}`):
- principal: > 0, at most two decimals, at most `money.MAX_AMOUNT`;
- annual_rate: a fraction (0.0435 = 4.35 %), 0 ≤ rate < 1. Zero is allowed (interest-free loans,
  e.g. subsidised ones); 100 % a year and above is refused: it is no bank loan, and a rate sent as a
  percentage ("4.35") is caught instead of producing a schedule 100 times too dear;
- months: an integer, 1 ≤ months ≤ 360 (30 years);
- method and day_count: one of the names above.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext

from ipfin.common.errors import invalid
from ipfin.common.inputs import exact_decimal_in
from ipfin.common.money import MAX_AMOUNT, to_fen
from ipfin.financing.domain.terms import METHOD_ZH, DayCount, RepaymentMethod

__all__ = [
    "DEFAULT_PENALTY_SURCHARGE",
    "MAX_MONTHS",
    "MAX_PENALTY_SURCHARGE",
    "DayCount",
    "Installment",
    "LateCharge",
    "RepaymentMethod",
    "Schedule",
    "accrued_interest",
    "add_months",
    "days_30_360",
    "due_dates",
    "late_charges",
    "method_label_zh",
    "penalty_rate",
    "repayment_schedule",
]

MAX_MONTHS = 360
_ZERO = Decimal("0.00")
_ONE = Decimal(1)
_TWELVE = Decimal(12)


@dataclass(frozen=True)
class Installment:
    """One instalment: `payment` = `principal` + `interest`; `balance` is what remains after it."""

    n: int
    due_date: date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Schedule:
    installments: tuple[Installment, ...]
    total_interest: Decimal
    total_payment: Decimal


# --- validation ----------------------------------------------------------------------------------


def _check_principal(principal: object, field: str = "principal") -> Decimal:
    value = exact_decimal_in(principal, field, "本金")
    if value <= 0:
        raise invalid(
            field, "validation_failed", "本金必须大于0。", f"{field} must be greater than 0."
        )
    if value > MAX_AMOUNT:
        raise invalid(
            field,
            "validation_failed",
            f"本金不能超过{MAX_AMOUNT}元。",
            f"{field} must be at most {MAX_AMOUNT}.",
        )
    if to_fen(value) != value:
        raise invalid(
            field,
            "validation_failed",
            "本金最多保留两位小数（分）。",
            f"{field} must have at most two decimals.",
        )
    return value


def _check_amount(amount: object, field: str) -> Decimal:
    """A non-negative amount of money (fen precision, at most MAX_AMOUNT)."""
    value = exact_decimal_in(amount, field, "金额")
    if value < 0 or value > MAX_AMOUNT:
        raise invalid(
            field,
            "validation_failed",
            f"金额必须在0到{MAX_AMOUNT}元之间。",
            f"{field} must be between 0 and {MAX_AMOUNT}.",
        )
    if to_fen(value) != value:
        raise invalid(
            field,
            "validation_failed",
            "金额最多保留两位小数（分）。",
            f"{field} must have at most two decimals.",
        )
    return value


def _check_rate(rate: object, field: str = "annual_rate") -> Decimal:
    value = exact_decimal_in(rate, field, "年利率")
    if not Decimal(0) <= value < _ONE:
        raise invalid(
            field,
            "validation_failed",
            "年利率以小数表示（4.35%写作0.0435），须不小于0且小于1。",
            f"{field} is a fraction (4.35% is 0.0435) and must be at least 0 and below 1.",
        )
    return value


def _check_months(months: object) -> int:
    if isinstance(months, bool) or not isinstance(months, int):
        raise invalid(
            "months", "validation_failed", "期数必须是整数。", "months must be an integer."
        )
    if not 1 <= months <= MAX_MONTHS:
        raise invalid(
            "months",
            "validation_failed",
            f"期数必须在1到{MAX_MONTHS}个月之间。",
            f"months must be between 1 and {MAX_MONTHS}.",
        )
    return months


def _check_method(method: object) -> RepaymentMethod:
    try:
        return RepaymentMethod(str(method))
    except ValueError:
        names = ", ".join(m.value for m in RepaymentMethod)
        raise invalid(
            "method",
            "validation_failed",
            f"未知的还款方式：{method}（可选：{names}）。",
            f"unknown method {method!r}: {names}",
        ) from None


def _check_day_count(day_count: object) -> DayCount:
    try:
        return DayCount(str(day_count))
    except ValueError:
        names = ", ".join(d.value for d in DayCount)
        raise invalid(
            "day_count",
            "validation_failed",
            f"未知的计息基准：{day_count}（可选：{names}）。",
            f"unknown day_count {day_count!r}: {names}",
        ) from None


def _check_date(value: object, field: str) -> date:
    # A datetime is a date subclass; refused so that a time of day never shifts a day count.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise invalid(field, "validation_failed", "日期格式不正确。", f"{field} must be a date.")
    return value


# --- dates and day counts ------------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """`start` + `months` calendar months, on the start's day or the month's last day if shorter."""
    y, m0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m0 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_dates(start_date: date, months: int) -> tuple[date, ...]:
    """The monthly due dates, each counted from the start date (never chained): 31 Jan → 29 Feb
    (leap year) → 31 Mar."""
    return tuple(add_months(start_date, k) for k in range(1, months + 1))


def _is_month_end(d: date) -> bool:
    return d.day == calendar.monthrange(d.year, d.month)[1]


def days_30_360(start: date, end: date) -> int:
    """Days between two dates under 30/360, in the 30E/360 (ISDA) form: a date on the last day of
    its month counts as the 30th, any other date keeps its day (at most 30).

    A scheduled monthly period counts 30 days (31 Jan → 29 Feb → 31 Mar: 30 and 30), except a period
    that starts on the last day of February and ends before the 30th (28 Feb 2023 → 28 Mar 2023:
    28). `repayment_schedule` does not use this: its 30/360 periods are 30 days by definition,
    and an early repayment counts the days of such a period elapsed by this, at most 30
    (ipfin.loans.domain.repayments._interest_to_due).
    """
    d1 = 30 if _is_month_end(start) else min(start.day, 30)
    d2 = 30 if _is_month_end(end) else min(end.day, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def _year_fraction(start: date, end: date, day_count: DayCount) -> Decimal:
    if day_count is DayCount.THIRTY_360:
        return Decimal(days_30_360(start, end)) / Decimal(360)
    days = Decimal((end - start).days)
    return days / (Decimal(360) if day_count is DayCount.ACTUAL_360 else Decimal(365))


def accrued_interest(
    balance: Decimal, annual_rate: Decimal, start: date, end: date, day_count: str
) -> Decimal:
    """Simple interest on `balance` from `start` to `end`, rounded to the fen.

    For part of a period (an early repayment, an accrual at month end). Under 30/360 the days are
    counted as `days_30_360` does.
    """
    amount = _check_amount(balance, "balance")
    rate = _check_rate(annual_rate)
    first = _check_date(start, "start")
    last = _check_date(end, "end")
    basis = _check_day_count(day_count)
    if last < first:
        raise invalid(
            "end",
            "validation_failed",
            "截止日期不能早于起始日期。",
            "end must not be before start.",
        )
    return to_fen(amount * rate * _year_fraction(first, last, basis))


# --- the schedule --------------------------------------------------------------------------------


def _annuity_payment(principal: Decimal, monthly_rate: Decimal, months: int) -> Decimal:
    """P·i / (1 − (1 + i)^−n) rounded to the fen; P / n at a zero rate."""
    if monthly_rate == 0:
        return to_fen(principal / months)
    with localcontext() as ctx:
        ctx.prec = 50  # (1 + i)^360 to far more digits than the fen needs
        growth = (_ONE + monthly_rate) ** months
        exact = principal * monthly_rate * growth / (growth - _ONE)
    return to_fen(exact)


def repayment_schedule(
    *,
    principal: Decimal,
    annual_rate: Decimal,
    months: int,
    method: str,
    start_date: date,
    day_count: str,
) -> Schedule:
    """The instalments of a loan of `principal` yuan disbursed on `start_date` (see module doc)."""
    amount = _check_principal(principal)
    rate = _check_rate(annual_rate)
    n = _check_months(months)
    how = _check_method(method)
    basis = _check_day_count(day_count)
    start = _check_date(start_date, "start_date")
    try:
        dates = due_dates(start, n)
    except ValueError:  # a due date past the year 9999
        raise invalid(
            "start_date", "validation_failed", "到期日超出日期范围。", "a due date is out of range."
        ) from None

    monthly_rate = rate / _TWELVE
    level_payment = _annuity_payment(amount, monthly_rate, n)
    principal_part = to_fen(amount / n)

    rows: list[Installment] = []
    balance = amount
    previous = start
    for k, due in enumerate(dates, start=1):
        if basis is DayCount.THIRTY_360:
            interest = to_fen(balance * monthly_rate)
        else:
            interest = to_fen(balance * rate * _year_fraction(previous, due, basis))
        if k == n:
            repaid = balance
        elif how is RepaymentMethod.ANNUITY:
            repaid = min(max(level_payment - interest, _ZERO), balance)
        elif how is RepaymentMethod.EQUAL_PRINCIPAL:
            repaid = min(principal_part, balance)
        else:
            repaid = _ZERO
        balance -= repaid
        rows.append(
            Installment(
                n=k,
                due_date=due,
                principal=repaid,
                interest=interest,
                payment=repaid + interest,
                balance=balance,
            )
        )
        previous = due

    total_interest = sum((row.interest for row in rows), _ZERO)
    return Schedule(
        installments=tuple(rows),
        total_interest=total_interest,
        total_payment=amount + total_interest,
    )


def method_label_zh(method: str) -> str:
    """等额本息 / 等额本金 / 先息后本."""
    return METHOD_ZH[_check_method(method)]


# --- late payment --------------------------------------------------------------------------------

# 罚息 (penalty interest). 中国人民银行《关于扩大金融机构贷款利率浮动区间有关问题的通知》
# (银发〔2003〕251号) art. 3: the penalty rate on an overdue loan is the contract rate plus
# 30 %–50 % (plus 50 %–100 % where the loan was used for another purpose); interest not paid on
# time bears compound interest at the penalty rate. We default to the upper bound of the ordinary
# range, +50 %, which most bank loan contracts write; a contract's own surcharge is passed in.
DEFAULT_PENALTY_SURCHARGE = Decimal("0.5")
MAX_PENALTY_SURCHARGE = Decimal(1)  # +100 %: the misused-loan ceiling of the same notice


def penalty_rate(contract_rate: Decimal, surcharge: Decimal = DEFAULT_PENALTY_SURCHARGE) -> Decimal:
    """The annual penalty rate: contract rate × (1 + surcharge); 4.35 % at +50 % is 6.525 %."""
    rate = _check_rate(contract_rate, "contract_rate")
    extra = exact_decimal_in(surcharge, "surcharge", "罚息加收比例")
    if not Decimal(0) <= extra <= MAX_PENALTY_SURCHARGE:
        raise invalid(
            "surcharge",
            "validation_failed",
            "罚息加收比例须在0到100%之间（通常为30%–50%）。",
            "surcharge must be between 0 and 1 (usually 0.3–0.5).",
        )
    return rate * (_ONE + extra)


@dataclass(frozen=True)
class LateCharge:
    """What a late instalment adds, from its due date to the day it is paid."""

    days_late: int
    penalty_rate: Decimal
    penalty_interest: Decimal  # 罚息: on the overdue principal
    compound_interest: Decimal  # 复利: on the overdue interest
    total: Decimal


def late_charges(
    *,
    overdue_principal: Decimal,
    overdue_interest: Decimal,
    contract_rate: Decimal,
    due_date: date,
    paid_date: date,
    surcharge: Decimal = DEFAULT_PENALTY_SURCHARGE,
    day_count: str = DayCount.ACTUAL_360,
) -> LateCharge:
    """Penalty interest on the overdue principal and compound interest on the overdue interest,
    both at `penalty_rate`, simple, for the days from `due_date` to `paid_date` (0 if on time).

    The default day count is actual/360: Chinese banks convert an annual rate to a daily one by
    dividing by 360 (中国人民银行《关于人民币存贷款计结息问题的通知》, 银发〔2005〕129号).
    """
    principal = _check_amount(overdue_principal, "overdue_principal")
    interest = _check_amount(overdue_interest, "overdue_interest")
    rate = penalty_rate(contract_rate, surcharge)
    due = _check_date(due_date, "due_date")
    paid = _check_date(paid_date, "paid_date")
    basis = _check_day_count(day_count)
    if paid <= due:
        return LateCharge(0, rate, _ZERO, _ZERO, _ZERO)
    fraction = _year_fraction(due, paid, basis)
    on_principal = to_fen(principal * rate * fraction)
    on_interest = to_fen(interest * rate * fraction)
    return LateCharge(
        days_late=(paid - due).days,
        penalty_rate=rate,
        penalty_interest=on_principal,
        compound_interest=on_interest,
        total=on_principal + on_interest,
    )
