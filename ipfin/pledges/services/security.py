"""The release of a pledge that still secures a loan (issue 13).

A pledge right ends when the debt it secures is discharged (民法典 art. 393(1); the pledgee then
returns the pledge, art. 436) or when the creditor waives it (art. 393(3); the pledgee may waive
its pledge, art. 435). A release (注销登记) filed while the pledgee's own loan secured by the
pledge is still owed is the second: the bank gives up its security and the loan is unsecured from
then on. So `pledge_release` asks, under the pledge's row lock, which loans of the pledgee the
pledge still secures (`ipfin.pledges.securing.outstanding_loans`, the loans' rows locked in the
same transaction, so that no repayment, closure or approval changes the answer under it), and:

- with none, it proceeds (a loan closed or repaid in full, or another bank's loan, is none);
- with some and no waiver, it is refused: 409 `pledge_secures_outstanding_loan`, the message
  naming each loan and what is owed on it, `extra["loans"]` the same as data;
- with some and `waive_security` plus a reason, it proceeds and each loan records that its
  security is waived, with the reason, the day and the user (`securing.record_waiver`, audited).

A sale that realises the pledge (basis `realised`, art. 436: ipfin.disposals) is enforcement,
not a waiver: the price repays the loan in the same transaction, so it is not asked.
"""

from __future__ import annotations

from collections.abc import Sequence

from ipfin.common.display import yuan_en, yuan_exact
from ipfin.common.errors import Conflict, invalid
from ipfin.common.money import money_str
from ipfin.pledges.models import Pledge
from ipfin.pledges.securing import SecuredLoan, outstanding_loans

__all__ = ["WAIVER_REASON_MAX", "secured_loans_or_waiver", "waiver_reason"]

WAIVER_REASON_MAX = 2000


def _owed_zh(loan: SecuredLoan) -> str:
    if loan.disbursed:
        return f"贷款 #{loan.loan_id} 未偿本金 {yuan_exact(loan.owed)}"
    return f"贷款 #{loan.loan_id} 已审批、尚未放款（授信额度 {yuan_exact(loan.owed)}）"


def _owed_en(loan: SecuredLoan) -> str:
    if loan.disbursed:
        return f"Loan #{loan.loan_id}: {yuan_en(loan.owed)} principal outstanding"
    return f"Loan #{loan.loan_id}: approved, not yet disbursed ({yuan_en(loan.owed)} granted)"


def secured_refusal(pledge: Pledge, loans: Sequence[SecuredLoan]) -> Conflict:
    """The 409 of a release without the waiver: each loan named with what is owed on it."""
    what = pledge.registration_no or f"#{pledge.pk}"
    return Conflict(
        f"质押登记 {what} 仍为本行贷款提供担保：{'；'.join(_owed_zh(x) for x in loans)}。"
        "主债权尚未清偿，注销质押登记即放弃担保，注销后该贷款成为无担保贷款；如确需注销，"
        "请声明放弃担保并说明理由（民法典第三百九十三条、第四百三十五条）。",
        f"Pledge {what} still secures your bank's loan: {'; '.join(_owed_en(x) for x in loans)}. "
        "The debt is not discharged: releasing the pledge waives the security and leaves the "
        "loan unsecured; to release it anyway, declare that you waive the security and give a "
        "reason (Civil Code arts. 393, 435).",
        code="pledge_secures_outstanding_loan",
        extra={
            "loans": [
                {
                    "id": x.loan_id,
                    "state": x.state,
                    "disbursed": x.disbursed,
                    "outstanding": money_str(x.owed),
                }
                for x in loans
            ]
        },
    )


def waiver_reason(raw: str | None) -> str:
    """The waiver's reason, stripped: a 422 `waiver_reason_required` when there is none, and
    `waiver_reason_too_long` beyond WAIVER_REASON_MAX characters."""
    text = (raw or "").strip()
    if not text:
        raise invalid(
            "reason",
            "waiver_reason_required",
            "放弃担保须说明理由。",
            "A waiver of the security needs a reason.",
        )
    if len(text) > WAIVER_REASON_MAX:
        raise invalid(
            "reason",
            "waiver_reason_too_long",
            f"理由不能超过 {WAIVER_REASON_MAX} 字。",
            f"The reason may have at most {WAIVER_REASON_MAX} characters.",
            max_length=WAIVER_REASON_MAX,
        )
    return text


def secured_loans_or_waiver(
    locked: Pledge, *, waive_security: bool, reason: str | None
) -> tuple[list[SecuredLoan], str]:
    """The loans the locked pledge still secures (their rows locked) and the waiver's reason
    ("" when none is secured), or the refusal: 409 without `waive_security`, 422 without a
    reason (民法典 arts. 393(3), 435: only the creditor's declared waiver ends the pledge while
    the debt stands)."""
    loans = outstanding_loans(locked, lock=True)
    if not loans:
        return [], ""
    if not waive_security:
        raise secured_refusal(locked, loans)
    return loans, waiver_reason(reason)
