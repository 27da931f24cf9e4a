"""Writes of a loan's risk: the bank's own five-category classification and the write-off (核销).

The bank's classification. 《商业银行金融资产风险分类办法》 arts. 9–12 make days past due a floor
(`category_floor`): the bank classifies on its own assessment of the borrower (its ability to
repay, financial position, guarantees...), and may put a loan in a worse category than its overdue
days alone would, never a better one. `loan_classify_manual` records that assessment with its
reason; the loan's effective `classification` is then the worse of the floor and the assessment,
here and in every later update (`loan_repay`, the daily `loan_classify`). An assessment may be
revised, up or down, but never below the floor of the day (a 422 `classification_below_floor`).

The write-off. 核销 removes from the bank's books a loan it has recognised as lost
(账销案存: the claim on the borrower and the pledge survive, recovery goes on). Only a loan
classified 损失 may be written off. The 办法 defines 损失类 as an asset of which, after every
possible measure, only a very small part or nothing can be recovered: what a write-off records.
次级 and 可疑 loans are still expected to be recovered in part; they are provisioned, not written
off (cf. 《金融企业呆账核销管理办法（2017年版）》, 财金〔2017〕90号, whose 呆账 are losses that
meet its conditions). A bank that would write off a 可疑 loan first classifies it 损失 with its
reason (`loan_classify_manual`), so that both decisions are audited.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Min

from ipfin.accounts.models import User
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, invalid
from ipfin.common.money import money_str
from ipfin.holidays.selectors import working_calendar
from ipfin.loans.domain.status import (
    LoanAction,
    LoanState,
    RiskCategory,
    category_floor,
    classify,
    days_past_due,
    worse,
)
from ipfin.loans.models import Installment, Loan
from ipfin.loans.services._common import today_or, transition
from ipfin.loans.services._loan import (
    _label,
    _lock,
    _npl_held,
    _record_classification,
    _require_bank,
    _snapshot,
)

__all__ = ["loan_classify_manual", "loan_write_off"]

_CLASSIFIABLE = (LoanState.DISBURSED, LoanState.REPAYING)
_REASON_MAX = 2000


def _reason(raw: str | None) -> str:
    text = (raw or "").strip()
    if not text:
        raise invalid("reason", "reason_required", "请说明理由。", "A reason is required.")
    return text[:_REASON_MAX]


def _days_past_due_on(loan: Loan, day: date) -> int:
    oldest = Installment.objects.filter(loan=loan, settled_on__isnull=True).aggregate(
        oldest=Min("due_date")
    )["oldest"]
    return days_past_due(oldest, day, working_calendar())


def loan_classify_manual(
    *,
    actor: User,
    loan: Loan,
    category: str,
    reason: str,
    today: date | None = None,
) -> Loan:
    """The lending bank's own classification of a disbursed loan, with its reason: never better
    than the floor from the days past due on `today`; the loan's classification becomes the worse
    of the two (see the module doc)."""
    _require_bank(actor, loan)
    day = today_or(today)
    try:
        assessed = RiskCategory(str(category))
    except ValueError:
        names = ", ".join(c.value for c in RiskCategory)
        raise invalid(
            "category",
            "category_invalid",
            f"未知的五级分类：{category}（可选：{names}）。",
            f"Unknown category {category!r}: {names}.",
        ) from None
    text = _reason(reason)
    with transaction.atomic():
        locked = _lock(loan)
        if locked.state not in _CLASSIFIABLE:
            raise Conflict(
                f"贷款当前状态为“{locked.get_state_display()}”，不能认定分类。",
                f"A loan in state {locked.state} cannot be classified.",
                code="illegal_transition",
                extra={"state": locked.state, "action": "classify"},
            )
        dpd = _days_past_due_on(locked, day)
        held = _npl_held(locked, dpd, day, working_calendar())
        floor = worse(category_floor(dpd), held) if held is not None else category_floor(dpd)
        if held is not None and assessed.severity < floor.severity:
            raise invalid(
                "category",
                "classification_below_floor",
                f"该贷款为不良贷款，逾期欠款须全部偿还，并在其后至少连续两个还款期且不少于6个月"
                f"正常还款，方可上调为正常类或关注类；目前至少应为“{floor.label_zh}”类"
                "（《商业银行金融资产风险分类办法》关于不良资产上调的规定）。",
                f"The loan is non-performing: it goes back to normal or special mention only once "
                f"its arrears are repaid and it has been repaid normally over at least two "
                f"consecutive periods and six months; until then it is at least {floor.value} "
                "(Measures on risk classification, the upgrade of non-performing assets).",
                floor=floor.value,
                days_past_due=dpd,
            )
        if assessed.severity < floor.severity:
            raise invalid(
                "category",
                "classification_below_floor",
                f"贷款逾期 {dpd} 天，至少应为“{floor.label_zh}”类，不能认定为"
                f"“{assessed.label_zh}”（《商业银行金融资产风险分类办法》第九至十二条）。",
                f"The loan is {dpd} days past due: at least {floor.value}, not "
                f"{assessed.value} (Measures on risk classification, arts. 9–12).",
                floor=floor.value,
                days_past_due=dpd,
            )
        before = _snapshot(locked)
        previous = locked.classification
        locked.assessed_classification = assessed.value
        locked.assessed_reason = text
        locked.assessed_on = day
        locked.assessed_by = actor
        locked.days_past_due = dpd
        locked.classification = classify(dpd, assessed=assessed, held=held).value
        locked.classified_on = day
        locked.save()
        _record_classification(locked, previous, day)
        audit_record(
            actor=actor,
            action="loan.classify_manual",
            obj=locked,
            before=before,
            after={**_snapshot(locked), "floor": floor.value, "reason": text},
        )
    return locked


def loan_write_off(*, actor: User, loan: Loan, reason: str, today: date | None = None) -> Loan:
    """核销: the lending bank writes off a disbursed loan classified 损失 (by its days past due or
    its own assessment, as of `today`), with its reason; the principal outstanding is the amount
    written off. Notifies the enterprise. Refused (nothing changes) for any other category."""
    _require_bank(actor, loan)
    day = today_or(today)
    text = _reason(reason)
    with transaction.atomic():
        locked = _lock(loan)
        new_state = transition(locked.state, LoanAction.WRITE_OFF)
        dpd = _days_past_due_on(locked, day)
        category = classify(dpd, assessed=locked.assessed_classification or None)
        if category is not RiskCategory.LOSS:
            raise Conflict(
                f"只有“损失”类贷款可以核销；该贷款逾期 {dpd} 天，当前为“{category.label_zh}”类。"
                "如认定为损失，请先认定分类并说明理由。",
                f"Only a loan classified loss may be written off; this loan is {dpd} days past "
                f"due and classified {category.value}. Classify it as loss first, with a reason.",
                code="write_off_not_loss",
                extra={"classification": category.value, "days_past_due": dpd},
            )
        before = _snapshot(locked)
        previous = locked.classification
        locked.state = new_state
        locked.days_past_due = dpd
        locked.classification = category.value
        locked.classified_on = day
        locked.written_off_on = day
        locked.write_off_reason = text
        locked.written_off_by = actor
        locked.save()
        _record_classification(locked, previous, day)
        amount = money_str(locked.outstanding_principal)
        audit_record(
            actor=actor,
            action="loan.write_off",
            obj=locked,
            before=before,
            after={**_snapshot(locked), "amount_written_off": amount, "reason": text},
        )
        label_zh, label_en = _label(locked)
        notify_orgs(
            [locked.enterprise_id],
            locked,
            "loan.write_off",
            f"{label_zh} 已由贷款银行核销（{day}），核销本金 {amount} 元；核销不免除借款人的"
            f"还款义务。理由：{text}",
            f"{label_en} was written off by the bank on {day} ({amount} yuan principal); a "
            f"write-off does not release the borrower from the debt. Reason: {text}",
        )
    return locked
