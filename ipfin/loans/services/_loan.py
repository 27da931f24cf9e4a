"""Helpers shared by the loan services: locking, the lending bank's check, the audit snapshot,
the product's ranges, and the loan as the pure domain sees it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, require
from ipfin.common.errors import NotFound, invalid
from ipfin.common.money import money_str
from ipfin.common.workdays import WorkingCalendar
from ipfin.feed.domain import EventType as FeedEventType
from ipfin.feed.services import event_publish
from ipfin.financing.models import ProductVersion
from ipfin.loans.domain.schedules import DayCount, RepaymentMethod
from ipfin.loans.domain.status import RiskCategory, is_non_performing, npl_hold
from ipfin.loans.models import Installment, Loan, LoanClassification

BP = Decimal(10_000)
_RATE_PLACES = Decimal("0.000001")  # the annual_rate column: six decimals (0.0335 = 3.35 %)
_PLEDGE_RATE_PLACES = Decimal("0.000001")
# Loans that still rely on their pledge: approved (the pledge chosen) up to the last repayment.


def _not_found() -> NotFound:
    return NotFound("未找到该贷款。", "No such loan.", code="loan_not_found")


def _require_bank(actor: User, loan: Loan) -> None:
    """Only the lending bank acts on its loan; another organisation gets a 404."""
    require(actor, Perm.LOAN_MANAGE)
    if loan.bank_id != getattr(actor, "organisation_id", None):
        raise _not_found()


def _npl_held(
    loan: Loan,
    days: int,
    on: date,
    calendar: WorkingCalendar,
    schedule: list[tuple[date, date | None]] | None = None,
) -> RiskCategory | None:
    """`npl_hold` for `loan` as classified now (its stored classification), over `schedule` (its
    instalments' due and settlement days; read when not given, only for a non-performing loan)."""
    if not is_non_performing(loan.classification):
        return None
    if schedule is None:
        schedule = list(Installment.objects.filter(loan=loan).values_list("due_date", "settled_on"))
    return npl_hold(
        current=loan.classification, days=days, schedule=schedule, today=on, calendar=calendar
    )


def _lock(loan: Loan) -> Loan:
    # FOR UPDATE OF the loan only: the joined organisations are read, never locked.
    return (
        Loan.objects.select_for_update(of=("self",))
        .select_related("bank", "enterprise")
        .get(pk=loan.pk)
    )


def _method(raw: Any) -> str:
    try:
        return RepaymentMethod(str(raw)).value
    except ValueError:
        names = ", ".join(m.value for m in RepaymentMethod)
        raise invalid(
            "method",
            "method_invalid",
            f"未知的还款方式：{raw}（可选：{names}）。",
            f"Unknown method {raw!r}: {names}.",
        ) from None


def _day_count(raw: Any) -> str:
    try:
        return DayCount(str(raw)).value
    except ValueError:
        names = ", ".join(d.value for d in DayCount)
        raise invalid(
            "day_count",
            "day_count_invalid",
            f"未知的计息基准：{raw}（可选：{names}）。",
            f"Unknown day_count {raw!r}: {names}.",
        ) from None


def _snapshot(loan: Loan) -> dict[str, Any]:
    def money(x: Decimal | None) -> str | None:
        return money_str(x) if x is not None else None

    return {
        "state": loan.state,
        "bank_id": loan.bank_id,
        "enterprise_id": loan.enterprise_id,
        "product_version_id": loan.product_version_id,
        "demand_id": loan.demand_id,
        "requested_amount": money(loan.requested_amount),
        "requested_months": loan.requested_months,
        "principal": money(loan.principal),
        "annual_rate": f"{loan.annual_rate:f}" if loan.annual_rate is not None else None,
        "months": loan.months,
        "method": loan.method,
        "day_count": loan.day_count,
        "pledge_id": loan.pledge_id,
        "valuation_id": loan.valuation_id,
        "valuation_value": money(loan.valuation_value),
        "pledge_rate": f"{loan.pledge_rate:f}" if loan.pledge_rate is not None else None,
        "securities": loan.securities,
        "disbursed_on": loan.disbursed_on.isoformat() if loan.disbursed_on else None,
        "outstanding_principal": money(loan.outstanding_principal),
        "days_past_due": loan.days_past_due,
        "classification": loan.classification,
        "assessed_classification": loan.assessed_classification,
        "written_off_on": loan.written_off_on.isoformat() if loan.written_off_on else None,
        "closed_on": loan.closed_on.isoformat() if loan.closed_on else None,
        "security_waived_on": (
            loan.security_waived_on.isoformat() if loan.security_waived_on else None
        ),
    }


def _record_classification(loan: Loan, previous: str, on: date) -> None:
    """Keep the history the statistics read categories "as of" a day from: a row when the loan's
    effective category is no longer `previous`, told to the lending bank's systems as a
    `loan.classified` event in the same transaction (as the daily job tells its changes,
    `loan_classify`): a repayment, a bank's own assessment, a write-off or a closing that
    changes the category is a change the bank's core system must hear of too."""
    if loan.classification != previous:
        LoanClassification.objects.create(loan=loan, effective_on=on, category=loan.classification)
        event_publish(
            FeedEventType.LOAN_CLASSIFIED,
            {
                "loan_id": loan.pk,
                "before": previous,
                "classification": loan.classification,
                "days_past_due": loan.days_past_due,
                "on": on,
            },
            [loan.bank_id],
        )


def _label(loan: Loan) -> tuple[str, str]:
    return f"贷款 #{loan.pk}", f"loan #{loan.pk}"


def _check_product_terms(
    version: ProductVersion, *, amount: Decimal, months: int, method: str, amount_field: str
) -> None:
    """The product's published ranges and methods (a 422 naming the field)."""
    if version.amount_min is not None and amount < version.amount_min:
        raise invalid(
            amount_field,
            "amount_out_of_range",
            f"金额低于产品最低金额 {money_str(version.amount_min)} 元。",
            f"The amount is below the product's minimum of {money_str(version.amount_min)} yuan.",
        )
    if version.amount_max is not None and amount > version.amount_max:
        raise invalid(
            amount_field,
            "amount_out_of_range",
            f"金额超过产品最高金额 {money_str(version.amount_max)} 元。",
            f"The amount exceeds the product's maximum of {money_str(version.amount_max)} yuan.",
        )
    low, high = version.term_min_months, version.term_max_months
    if (low is not None and months < low) or (high is not None and months > high):
        raise invalid(
            "months",
            "term_out_of_range",
            f"期限应在产品期限范围 {low or 1}–{high or '∞'} 个月之内。",
            f"The term must be within the product's {low or 1}–{high or '∞'} months.",
        )
    if version.repayment_methods and method not in version.repayment_methods:
        raise invalid(
            "method",
            "method_not_offered",
            f"该产品不提供此还款方式（可选：{'、'.join(version.repayment_methods)}）。",
            f"The product does not offer this method ({', '.join(version.repayment_methods)}).",
        )
