"""Writes of credit approval (授信审批) and of declining an application."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from ipfin.accounts.models import User
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import money_pair
from ipfin.common.errors import invalid
from ipfin.common.inputs import amount_in, decimal_in, int_in
from ipfin.common.money import money_str
from ipfin.financing.domain.terms import lpr_plus_spread
from ipfin.financing.selectors import lpr_rate
from ipfin.loans import selectors as loan_selectors
from ipfin.loans.domain.schedules import MAX_PENALTY_SURCHARGE, repayment_schedule
from ipfin.loans.domain.status import LoanAction
from ipfin.loans.models import Loan
from ipfin.loans.services._common import (
    today_or,
    transition,
)
from ipfin.loans.services._loan import (
    _PLEDGE_RATE_PLACES,
    _RATE_PLACES,
    _check_product_terms,
    _day_count,
    _label,
    _lock,
    _method,
    _require_bank,
    _snapshot,
)
from ipfin.loans.signals import securities_of
from ipfin.pledges.models import Pledge, PledgeStateChoices
from ipfin.valuation.domain.bank import internal_valuation_allowed
from ipfin.valuation.models import Valuation, ValuationMethod
from ipfin.valuation.selectors import loan_backing_refusal, valuation_not_usable
from ipfin.valuation.services.valuations import internal_valuation_refused

__all__ = [
    "loan_approve",
    "loan_decline",
]


def _pledge_for(loan: Loan, pledge_id: Any, on: date) -> Pledge:
    """A registered pledge held by the loan's bank over the enterprise's rights, in force on the
    approval day `on` (a 422 otherwise; another bank's pledge reads as unknown)."""
    pledge = (
        Pledge.objects.select_for_update().filter(pk=int_in(pledge_id, "pledge_id")).first()
        if pledge_id not in (None, "")
        else None
    )
    if pledge is None or pledge.pledgee_id != loan.bank_id:
        raise invalid(
            "pledge_id",
            "pledge_not_found",
            "请选择本行作为质权人的质押登记。",
            "Choose a pledge registration held by your bank.",
        )
    if pledge.pledgor_id != loan.enterprise_id:
        raise invalid(
            "pledge_id",
            "pledge_other_pledgor",
            "该质押登记的出质人不是借款企业。",
            "The pledgor of this registration is not the borrower.",
        )
    if pledge.state != PledgeStateChoices.REGISTERED:
        raise invalid(
            "pledge_id",
            "pledge_not_registered",
            f"该质押登记尚未生效或已结束（{pledge.get_state_display()}）。",
            f"The pledge is not registered (state {pledge.state}).",
        )
    # 质权自登记时设立 (民法典 art. 444): an approval may not rely on a registration that takes
    # effect only after the approval day.
    if pledge.effective_date is not None and pledge.effective_date > on:
        raise invalid(
            "pledge_id",
            "pledge_not_yet_effective",
            f"该质押登记 {pledge.effective_date} 才生效，晚于审批日 {on}。",
            f"The pledge registration takes effect on {pledge.effective_date}, after the "
            f"approval day {on}.",
            effective_date=pledge.effective_date.isoformat(),
            approved_on=on.isoformat(),
        )
    return pledge


def _may_rest_on(valuation: Valuation, loan: Loan, amount: Decimal) -> bool:
    """A bank's internal valuation (内部评估: one the bank made itself, with its internal model or
    by any approach) backs a loan of at most 10,000,000.00 yuan, that figure included (seed 000:
    1000万元以下; 民法典 art. 1259); above it an external valuation report — a valuation agency's,
    rechecked by the bank (`loan_backing_refusal`) — is the platform's rule. (The bank's own
    cost, income or market valuation is no external report: judged by the method alone, it
    would carry a loan of any size past the line.)"""
    internal = (
        valuation.method == ValuationMethod.BANK_INTERNAL
        or valuation.organisation_id == loan.bank_id
    )
    return not internal or internal_valuation_allowed(amount)


def _valuation_for(
    actor: User, loan: Loan, pledge: Pledge, valuation_id: Any, amount: Decimal
) -> Valuation:
    """The valuation the approval names and rests on — never one picked for it: a 422
    `valuation_required` without one. It must be issued and value only rights of the pledge
    (`valuation_not_usable` otherwise) and be one that may back a loan of the bank
    (`loan_backing_refusal`: the bank's own valuation, or a valuation agency's report the bank
    rechecked without a flag; `valuation_not_rechecked`, `valuation_flagged`,
    `valuation_other_bank`), read again under a row lock so that a recheck running at the same
    time is seen; above the internal-valuation line not the bank's own (`_may_rest_on`)."""
    if valuation_id in (None, ""):
        raise invalid(
            "valuation_id",
            "valuation_required",
            "请选择授信所依据的评估报告（本行自己的评估，或评估机构出具并经本行复核的报告）。",
            "Name the valuation the approval rests on (valuation_id): the bank's own valuation, "
            "or a valuation agency's report the bank has rechecked.",
        )
    wanted = int_in(valuation_id, "valuation_id")
    visible = loan_selectors.pledge_valuation(actor=actor, pledge=pledge, valuation_id=wanted)
    if visible is None:
        raise valuation_not_usable()
    chosen = Valuation.objects.select_for_update().get(pk=visible.pk)
    refusal = loan_backing_refusal(chosen, bank_id=loan.bank_id)
    if refusal is not None:
        raise refusal
    if not _may_rest_on(chosen, loan, amount):
        raise internal_valuation_refused(amount, field="valuation_id")
    return chosen


def _approved_rate(
    loan: Loan, annual_rate: Any, on: date
) -> tuple[Decimal, Decimal | None, int | None]:
    """(annual rate, LPR, spread in bp): the rate given, or the product's LPR on the approval day
    plus its spread."""
    if annual_rate not in (None, ""):
        rate = decimal_in(annual_rate, "annual_rate")
        if rate != rate.quantize(_RATE_PLACES):
            raise invalid(
                "annual_rate",
                "rate_precision",
                "年利率最多保留六位小数。",
                "annual_rate may have at most six decimals.",
            )
        return rate, None, None
    version = loan.product_version
    if version is None or not version.lpr_tenor or version.rate_spread_bp is None:
        raise invalid(
            "annual_rate",
            "rate_required",
            "请填写年利率（该贷款没有按LPR加点定价的产品）。",
            "Give the annual rate (the loan has no product priced at LPR + spread).",
        )

    lpr = lpr_rate(tenor=version.lpr_tenor, on=on)
    return lpr_plus_spread(lpr, version.rate_spread_bp), lpr, version.rate_spread_bp


def loan_approve(
    *,
    actor: User,
    loan: Loan,
    principal: Decimal | str | int,
    months: int | str,
    pledge_id: int | str,
    valuation_id: int | str | None,
    method: str | None = None,
    day_count: str | None = None,
    annual_rate: Decimal | str | None = None,
    penalty_surcharge: Decimal | str | None = None,
    today: date | None = None,
) -> Loan:
    """Credit approval (授信审批): the limit, rate, term and method, and the pledge registration the
    loan relies on. Records the valuation relied on — the one `valuation_id` names, required
    (422 valuation_required; see `_valuation_for` for which may back a loan) — and the pledge
    rate = principal ÷ valuation value; refuses a pledge rate above the product's maximum, a
    principal above the debt the pledge secures, and a principal above 10,000,000.00 yuan resting
    on the bank's internal valuation (422 internal_valuation_not_allowed). Records too the credit
    enhancements it rests on: the guarantee issued on the loan by then (`securities`)."""
    _require_bank(actor, loan)
    day = today_or(today)
    with transaction.atomic():
        locked = _lock(loan)
        new_state = transition(locked.state, LoanAction.APPROVE)
        before = _snapshot(locked)
        amount = amount_in(principal, "principal")
        term = int_in(months, "months")
        how = _method(method if method not in (None, "") else locked.method)
        basis = _day_count(day_count if day_count not in (None, "") else locked.day_count)
        rate, lpr, spread = _approved_rate(locked, annual_rate, day)
        surcharge = (
            decimal_in(penalty_surcharge, "penalty_surcharge")
            if penalty_surcharge not in (None, "")
            else locked.penalty_surcharge
        )
        if not Decimal(0) <= surcharge <= MAX_PENALTY_SURCHARGE or surcharge != surcharge.quantize(
            Decimal("0.001")
        ):
            raise invalid(
                "penalty_surcharge",
                "penalty_surcharge_invalid",
                "罚息加收比例须在0到1之间（通常0.3–0.5），最多三位小数。",
                "penalty_surcharge must be between 0 and 1 (usually 0.3–0.5), three decimals.",
            )
        # The schedule's own checks (rate a fraction below 1, 1–360 months...), a 422 each.
        schedule = repayment_schedule(
            principal=amount,
            annual_rate=rate,
            months=term,
            method=how,
            start_date=day,
            day_count=basis,
        )
        version = locked.product_version
        if version is not None:
            _check_product_terms(
                version, amount=amount, months=term, method=how, amount_field="principal"
            )
        pledge = _pledge_for(locked, pledge_id, day)
        if amount > pledge.debt_amount:
            raise invalid(
                "principal",
                "pledge_debt_exceeded",
                f"授信额度超过该质押登记担保的主债权数额 {money_str(pledge.debt_amount)} 元。",
                f"The principal exceeds the {money_str(pledge.debt_amount)} yuan debt the "
                "pledge secures.",
            )
        # The bank's other loans the registration still secures (read under the pledge's lock,
        # which every approval on it takes: two approvals at once count each other). With none,
        # the check above is the whole of it; with some, they and this one share the debt, as
        # they share the pledge rate below.
        secured = loan_selectors.secured_loans(pledge)
        others = sum((s.owed for s in secured if s.loan_id != locked.pk), Decimal(0))
        if others and amount + others > pledge.debt_amount:
            room = max(pledge.debt_amount - others, Decimal(0))
            debt_zh, debt_en = money_pair(pledge.debt_amount)
            owed_zh, owed_en = money_pair(others)
            room_zh, room_en = money_pair(room)
            raise invalid(
                "principal",
                "pledge_debt_exceeded",
                f"该质押登记担保的主债权数额 {debt_zh}中，本行依赖它的其他贷款尚欠 {owed_zh}，"
                f"本笔最多 {room_zh}。",
                f"Of the {debt_en} debt the pledge secures, the bank's other loans resting on it "
                f"still owe {owed_en}: this one may be at most {room_en}.",
                secured_by_others=money_str(others),
            )
        maturity = schedule.installments[-1].due_date  # disbursed today; checked again then
        if maturity > pledge.term_end:
            raise invalid(
                "months",
                "pledge_term_exceeded",
                f"贷款到期日 {maturity} 晚于该质押登记的债务履行期限 {pledge.term_end}"
                "（民法典第四百二十七条），请先办理质押变更登记或缩短期限。",
                f"The loan would fall due on {maturity}, after the term of the debt the pledge "
                f"registration secures ({pledge.term_end}; Civil Code art. 427): amend the "
                "registration first, or shorten the term.",
                maturity_date=maturity.isoformat(),
                term_end=pledge.term_end.isoformat(),
            )
        valuation = _valuation_for(actor, locked, pledge, valuation_id, amount)
        value = valuation.value
        if value <= 0:
            raise invalid(
                "valuation_id",
                "valuation_zero",
                "评估值为零，不能计算质押率。",
                "The valuation is zero: no pledge rate can be computed.",
            )
        pledge_rate = amount / value
        cap = version.max_pledge_rate if version is not None else None
        if cap is not None and others and amount + others > cap * value:
            # The rights are the collateral of every loan on the registration: split into
            # several loans, the principal may not pass the product's rate of their value.
            room = max(cap * value - others, Decimal(0))
            (owed_zh, owed_en), (value_zh, value_en) = money_pair(others), money_pair(value)
            room_zh, room_en = money_pair(room)
            raise invalid(
                "principal",
                "pledge_rate_exceeded",
                f"本笔与本行依赖同一质押登记的其他贷款（尚欠 {owed_zh}）合计超过产品最高质押率 "
                f"{cap * 100:.2f}%（评估值 {value_zh}），本笔最多 {room_zh}。",
                f"With the bank's other loans on the same registration ({owed_en} owed) the "
                f"principal passes the product's maximum pledge rate {cap * 100:.2f}% "
                f"(valuation {value_en}): this one may be at most {room_en}.",
                secured_by_others=money_str(others),
                max_pledge_rate=f"{cap:f}",
            )
        if cap is not None and amount > cap * value:  # exact: no rounding before the test
            raise invalid(
                "principal",
                "pledge_rate_exceeded",
                f"质押率 {pledge_rate * 100:.2f}% 超过产品最高质押率 {cap * 100:.2f}%"
                f"（评估值 {money_str(value)} 元，最高可贷 {money_str(cap * value)} 元）。",
                f"The pledge rate {pledge_rate * 100:.2f}% exceeds the product's maximum "
                f"{cap * 100:.2f}% (valuation {money_str(value)} yuan: at most "
                f"{money_str(cap * value)} yuan).",
                pledge_rate=f"{pledge_rate.quantize(_PLEDGE_RATE_PLACES, ROUND_HALF_UP):f}",
                max_pledge_rate=f"{cap:f}",
            )
        locked.state = new_state
        locked.principal = amount
        locked.annual_rate = rate.quantize(_RATE_PLACES)
        locked.lpr_rate = lpr
        locked.rate_spread_bp = spread
        locked.penalty_surcharge = surcharge
        locked.months = term
        locked.method = how
        locked.day_count = basis
        locked.pledge = pledge
        locked.valuation = valuation
        locked.valuation_value = value
        locked.pledge_rate = pledge_rate.quantize(_PLEDGE_RATE_PLACES, ROUND_HALF_UP)
        locked.approved_on = day
        locked.approved_by = actor
        # The guarantee it rests on, recorded as it stands (issued) at the approval.
        locked.securities = securities_of(locked)
        locked.save()
        audit_record(
            actor=actor, action="loan.approve", obj=locked, before=before, after=_snapshot(locked)
        )
        label_zh, label_en = _label(locked)
        notify_orgs(
            [locked.enterprise_id],
            locked,
            "loan.approve",
            f"{label_zh} 已获批：额度 {money_str(amount)} 元，年利率 {rate * 100:.4f}%，"
            f"{term} 个月。",
            f"{label_en} was approved: {money_str(amount)} yuan at {rate * 100:.4f}% a year, "
            f"{term} months.",
        )
    return locked


def loan_decline(*, actor: User, loan: Loan, reason: str) -> Loan:
    """The bank declines the application, with its reason."""
    _require_bank(actor, loan)
    text = (reason or "").strip()
    with transaction.atomic():
        locked = _lock(loan)
        new_state = transition(locked.state, LoanAction.DECLINE)
        if not text:
            raise invalid("reason", "reason_required", "请说明拒绝理由。", "A reason is required.")
        before = _snapshot(locked)
        locked.state = new_state
        locked.decline_reason = text[:2000]
        locked.save()
        audit_record(
            actor=actor,
            action="loan.decline",
            obj=locked,
            before=before,
            after={**_snapshot(locked), "reason": locked.decline_reason},
        )
        label_zh, label_en = _label(locked)
        notify_orgs(
            [locked.enterprise_id],
            locked,
            "loan.decline",
            f"{label_zh} 的申请未获批准：{locked.decline_reason}",
            f"The application for {label_en} was declined: {locked.decline_reason}",
        )
    return locked
