"""Early-warning alerts (风险预警): their kinds, severities and the words a loan officer reads.

Each kind names one fact about a pledged right or the loan it secures that puts the bank's
collateral at risk, with the date that matters for it:

==========================  ========  ==========================================================
kind                        severity  the date given, and the rule
==========================  ========  ==========================================================
annuity_due                 medium    the due date: the next annuity falls due within 60 days
                                      (专利法实施细则 r. 115)
grace_period                high      the last day to pay: in the 6 months' grace (r. 116)
lapsed                      high      the unpaid due date: the patent ended (专利法 art. 44 ¶1)
invalidation_requested      medium    the request's date: an invalidation procedure is open
                                      (专利法 art. 45)
invalidated                 high      the decision's date: declared invalid, whole (art. 47)
preservation                high      the ruling's date: a court froze the right (财产保全)
dispute                     medium    the filing's date: an ownership dispute is open
transfer_attempt            high      the event's date: a transfer or licence recorded while the
                                      right is pledged (民法典 art. 444: only with the pledgee's
                                      consent — the register asks for it; the bank is told
                                      anyway, its collateral changed)
expires_before_maturity     medium    the expiry date: the right ends before the loan matures
borrower_overdue            high      the first unpaid due date: a loan instalment is overdue, or
                                      the loan is classified 次级/可疑/损失 (the classification
                                      date then)
==========================  ========  ==========================================================

The key of an alert (kind, right, pledge, loan, date) is what makes a second scan on the same facts
find the same alert instead of a new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = ["SEVERITY", "AlertKind", "Finding", "Severity", "alert_message"]


class AlertKind(StrEnum):
    ANNUITY_DUE = "annuity_due"
    GRACE_PERIOD = "grace_period"
    LAPSED = "lapsed"
    INVALIDATION_REQUESTED = "invalidation_requested"
    INVALIDATED = "invalidated"
    PRESERVATION = "preservation"
    DISPUTE = "dispute"
    TRANSFER_ATTEMPT = "transfer_attempt"
    EXPIRES_BEFORE_MATURITY = "expires_before_maturity"
    BORROWER_OVERDUE = "borrower_overdue"
    VALUE_DECLINE = "value_decline"
    PLEDGE_RATE_EXCEEDED = "pledge_rate_exceeded"
    CONCENTRATION = "concentration"


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITY: dict[AlertKind, Severity] = {
    AlertKind.ANNUITY_DUE: Severity.MEDIUM,
    AlertKind.GRACE_PERIOD: Severity.HIGH,
    AlertKind.LAPSED: Severity.HIGH,
    AlertKind.INVALIDATION_REQUESTED: Severity.MEDIUM,
    AlertKind.INVALIDATED: Severity.HIGH,
    AlertKind.PRESERVATION: Severity.HIGH,
    AlertKind.DISPUTE: Severity.MEDIUM,
    AlertKind.TRANSFER_ATTEMPT: Severity.HIGH,
    AlertKind.EXPIRES_BEFORE_MATURITY: Severity.MEDIUM,
    AlertKind.BORROWER_OVERDUE: Severity.HIGH,
    AlertKind.VALUE_DECLINE: Severity.MEDIUM,
    AlertKind.PLEDGE_RATE_EXCEEDED: Severity.HIGH,
    AlertKind.CONCENTRATION: Severity.LOW,
}


@dataclass(frozen=True)
class Finding:
    """One alert as a scan finds it (the identity of an alert: `key`)."""

    kind: AlertKind
    right_id: int | None
    right_number: str
    pledge_id: int | None
    loan_id: int | None
    bank_id: int
    date: dt.date
    year: int | None = None  # annuity kinds: the annuity year
    maturity: dt.date | None = None  # expires_before_maturity: the loan's maturity
    subject: str = ""  # concentration: "industry:<name>" or "park:<id>"
    share: Decimal | None = None  # concentration: the group's share of the bank's balance
    # The day the identity uses when it is not `date`: a grace period's six months before its
    # last day moves past rest days (`date`, shown), which a holiday arrangement entered later
    # can move again — the same facts, the same alert.
    key_date: dt.date | None = None

    @property
    def key(self) -> str:
        """The alert's identity: the same facts give the same key on every scan. A
        concentration is one alert while it lasts (its subject, not the day it was measured),
        and one per bank: it names no right, pledge or loan, so without the bank two banks
        concentrated in one industry or park made one key, and one of them was never told."""
        if self.kind is AlertKind.CONCENTRATION:
            return f"{concentration_key_base(self.subject)}|bank:{self.bank_id}"
        parts = (self.kind.value, self.right_id, self.pledge_id, self.loan_id, self.subject)
        day = self.key_date or self.date
        return "|".join("" if part is None else str(part) for part in (*parts, day))

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]


def concentration_key_base(subject: str | None) -> str:
    """A concentration's key before its bank (as keys were written before they named it)."""
    return f"{AlertKind.CONCENTRATION.value}||||{subject or ''}|"


def alert_message(finding: Finding) -> tuple[str, str]:
    """(Chinese, English) as a loan officer reads them: what happened, to which right, by when."""
    n, d = finding.right_number, finding.date.isoformat()
    year = finding.year
    match finding.kind:
        case AlertKind.ANNUITY_DUE:
            return (
                f"质押专利 {n} 第{year}年年费将于 {d} 到期，尚未缴纳。",
                f"The year-{year} annuity of pledged patent {n} falls due on {d} and is unpaid.",
            )
        case AlertKind.GRACE_PERIOD:
            return (
                f"质押专利 {n} 第{year}年年费逾期未缴，处于滞纳期；须于 {d} 前补缴（含滞纳金），"
                "否则专利权终止。",
                f"The year-{year} annuity of pledged patent {n} is overdue (grace period): it "
                f"must be paid with the late fee by {d}, or the patent lapses.",
            )
        case AlertKind.LAPSED:
            return (
                f"质押专利 {n} 因未缴第{year}年年费，专利权自 {d} 起终止，质物已失效。",
                f"Pledged patent {n} lapsed on {d} for the unpaid year-{year} annuity: the "
                "collateral is gone.",
            )
        case AlertKind.INVALIDATION_REQUESTED:
            return (
                f"质押专利 {n} 于 {d} 被提出无效宣告请求，审查结果待定。",
                f"An invalidation request against pledged patent {n} was filed on {d}; the "
                "decision is pending.",
            )
        case AlertKind.INVALIDATED:
            return (
                f"质押专利 {n} 于 {d} 被宣告无效，质物已失效。",
                f"Pledged patent {n} was declared invalid on {d}: the collateral is gone.",
            )
        case AlertKind.PRESERVATION:
            return (
                f"质押权利 {n} 于 {d} 被法院采取财产保全（冻结）措施。",
                f"A court froze pledged right {n} (preservation) on {d}.",
            )
        case AlertKind.DISPUTE:
            return (
                f"质押权利 {n} 于 {d} 发生权属纠纷，尚未结案。",
                f"An ownership dispute over pledged right {n} was filed on {d} and is open.",
            )
        case AlertKind.TRANSFER_ATTEMPT:
            return (
                f"质押权利 {n} 于 {d} 登记了转让或许可。出质后转让或许可须经质权人同意"
                "（民法典第四百四十四条），请核实并评估质物价值。",
                f"A transfer or licence of pledged right {n} was recorded on {d}. Once pledged "
                "it may be transferred or licensed only with the pledgee's consent (Civil Code "
                "art. 444): check it, and what it does to the collateral's value.",
            )
        case AlertKind.EXPIRES_BEFORE_MATURITY:
            maturity = finding.maturity.isoformat() if finding.maturity else ""
            return (
                f"质押权利 {n} 的保护期于 {d} 届满，早于贷款到期日 {maturity}。",
                f"The term of pledged right {n} ends on {d}, before the loan matures on "
                f"{maturity}.",
            )
        case AlertKind.BORROWER_OVERDUE:
            return (
                f"以 {n} 等质押的贷款自 {d} 起逾期或已列为不良（次级、可疑、损失）。",
                f"The loan secured by {n} has been overdue since {d}, or is classified "
                "non-performing (substandard, doubtful, loss).",
            )
        case AlertKind.VALUE_DECLINE:
            return (
                f"以 {n} 等质押的贷款：质物最新评估值（{d}）较审批时下降超过预警线。",
                f"The loan secured by {n}: the collateral's latest valuation ({d}) is below the "
                "value it was approved on by more than the warning line.",
            )
        case AlertKind.PLEDGE_RATE_EXCEEDED:
            return (
                f"以 {n} 等质押的贷款：贷款余额÷质物最新评估值（{d}）已超过产品最高质押率。",
                f"The loan secured by {n}: the outstanding principal ÷ the collateral's latest "
                f"value ({d}) is above the product's maximum pledge rate.",
            )
        case AlertKind.CONCENTRATION:
            what, _, name = finding.subject.partition(":")
            share = f"{(finding.share or Decimal(0)) * 100:.2f}%"
            zh_what = "行业" if what == "industry" else "园区"
            return (
                f"知识产权质押贷款余额的 {share} 集中于同一{zh_what}（{name}），超过集中度预警线。",
                f"{share} of the IP-pledge loan balance is in one {what} ({name}), above the "
                "concentration warning line.",
            )
    raise ValueError(f"unknown alert kind {finding.kind!r}")  # pragma: no cover
