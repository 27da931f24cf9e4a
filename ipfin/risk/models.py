"""Risk sharing and compensation (风险分担、风险补偿): the IP office's schemes, the banks' claims
and each fund's double-entry ledger (issue 12; DOMAIN.md, glossary "risk compensation").

- `RiskScheme`: a scheme of a risk-compensation fund (an organisation of kind `risk_fund`): the
  mode (after disposal, or front-loaded 前置), the shares of the loss (fund, bank, guarantor,
  insurer), the fund's caps per loan and per bank and year, and which loans it covers
  (`eligibility`, ipfin.risk.domain.eligibility). Edited in place by the office: `version`
  (optimistic locking, ipfin.common.versioning).
- `RiskClaim`: a bank's claim on its non-performing loan under a scheme; the scheme's terms are
  copied onto it when filed, so that a later edit of the scheme changes no claim under way. Its
  states are ipfin.risk.domain.claims'.
- `LedgerEntry` / `LedgerLine`: one posting of a fund's ledger and its lines
  (ipfin.risk.domain.ledger: the chart of accounts and what each event posts). A line is a debit
  or a credit (a database constraint); Σdebit = Σcredit per posting (the service, and a test).
  Postings are never edited or deleted.

Single-row invariants are database constraints; rules across rows live in the services.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ipfin.risk.domain.alerts import AlertKind, Severity
from ipfin.risk.domain.claims import LIVE_STATES, ClaimState
from ipfin.risk.domain.compensation import CompensationMode
from ipfin.risk.domain.ledger import Account, PostingKind

# Money columns spell out max_digits=15, decimal_places=2; a share has ten decimals
# (ipfin.risk.domain.ratios.MAX_PLACES).


class ModeChoices(models.TextChoices):
    AFTER_DISPOSAL = CompensationMode.AFTER_DISPOSAL.value, _("处置后补偿")
    FRONT_LOADED = CompensationMode.FRONT_LOADED.value, _("前置代偿")


class ClaimStateChoices(models.TextChoices):
    FILED = ClaimState.FILED.value, _("待审核")
    REJECTED = ClaimState.REJECTED.value, _("未通过")
    APPROVED = ClaimState.APPROVED.value, _("已批准，代偿款待拨付")
    AWAITING_DISPOSAL = ClaimState.AWAITING_DISPOSAL.value, _("待处置结算")
    SETTLED = ClaimState.SETTLED.value, _("已结算，补偿款待拨付")
    REFUND_DUE = ClaimState.REFUND_DUE.value, _("已结算，待银行退还代偿款")
    CLOSED = ClaimState.CLOSED.value, _("已结清")


class AccountChoices(models.TextChoices):
    FUND_CASH = Account.FUND_CASH.value, _("基金存款")
    ADVANCES_RECEIVABLE = Account.ADVANCES_RECEIVABLE.value, _("应收代偿款")
    BANK_RECEIVABLE = Account.BANK_RECEIVABLE.value, _("应收银行退还款")
    BANK_PAYABLE = Account.BANK_PAYABLE.value, _("应付银行补偿款")
    BUDGET_INCOME = Account.BUDGET_INCOME.value, _("财政预算注资")
    COMPENSATION_EXPENSE = Account.COMPENSATION_EXPENSE.value, _("风险补偿支出")


class PostingKindChoices(models.TextChoices):
    BUDGET = PostingKind.BUDGET.value, _("预算注资")
    ADVANCE = PostingKind.ADVANCE.value, _("批准代偿")
    PAYMENT = PostingKind.PAYMENT.value, _("拨付")
    SETTLEMENT = PostingKind.SETTLEMENT.value, _("处置后结算")
    REFUND = PostingKind.REFUND.value, _("收回银行退还款")


def _shares_0_1() -> Q:
    q = Q()
    for party in ("fund", "bank", "guarantor", "insurer"):
        q &= Q(**{f"share_{party}__gte": 0}) & Q(**{f"share_{party}__lte": 1})
    return q


class SchemeTerms(models.Model):
    """The terms of a scheme that decide a claim's figures (a scheme's, and a claim's copy)."""

    mode = models.CharField(_("补偿方式"), max_length=16, choices=ModeChoices.choices)
    share_fund = models.DecimalField(_("基金分担比例"), max_digits=11, decimal_places=10)
    share_bank = models.DecimalField(_("银行分担比例"), max_digits=11, decimal_places=10)
    share_guarantor = models.DecimalField(_("担保分担比例"), max_digits=11, decimal_places=10)
    share_insurer = models.DecimalField(_("保险分担比例"), max_digits=11, decimal_places=10)
    # None: no cap.
    fund_cap_per_loan = models.DecimalField(
        _("单笔贷款补偿上限"), null=True, blank=True, max_digits=15, decimal_places=2
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(mode__in=ModeChoices.values), name="%(class)s_mode_valid"
            ),
            # Σ shares = 1 is the rule's (exact decimals; SQLite would add them as floats).
            models.CheckConstraint(condition=_shares_0_1(), name="%(class)s_shares_0_1"),
            models.CheckConstraint(
                condition=Q(fund_cap_per_loan__isnull=True) | Q(fund_cap_per_loan__gte=0),
                name="%(class)s_cap_per_loan_not_negative",
            ),
        ]


class RiskScheme(SchemeTerms):
    fund = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="risk_schemes",
        limit_choices_to={"kind": "risk_fund"},
        verbose_name=_("风险补偿基金"),
    )
    name = models.CharField(_("方案名称"), max_length=200)
    fund_cap_per_bank_year = models.DecimalField(
        _("单家银行年度补偿上限"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    # ipfin.risk.domain.eligibility: {"bank_ids", "product_ids", "right_kinds", "max_principal"}.
    eligibility = models.JSONField(_("适用条件"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(SchemeTerms.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("风险补偿方案")
        verbose_name_plural = _("风险补偿方案")
        constraints = [
            *SchemeTerms.Meta.constraints,
            models.CheckConstraint(
                condition=Q(fund_cap_per_bank_year__isnull=True) | Q(fund_cap_per_bank_year__gte=0),
                name="riskscheme_cap_per_bank_year_not_negative",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="riskscheme_version_1_up"),
        ]

    def __str__(self) -> str:
        return self.name


class RiskClaim(SchemeTerms):
    """A bank's claim on its loan under a scheme, with the scheme's terms as they were when it was
    filed, the loan's figures then, and what the approval and the settlement computed."""

    scheme = models.ForeignKey(
        RiskScheme, on_delete=models.PROTECT, related_name="claims", verbose_name=_("方案")
    )
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, related_name="risk_claims", verbose_name=_("贷款")
    )
    # The lending bank (the loan's, which never changes): the tenant, and whose year's cap counts.
    bank = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="risk_claims",
        verbose_name=_("贷款银行"),
    )
    state = models.CharField(
        _("状态"),
        max_length=20,
        choices=ClaimStateChoices.choices,
        default=ClaimState.FILED.value,
    )
    # When filed: the outstanding principal and the interest due and unpaid.
    principal = models.DecimalField(_("剩余本金"), max_digits=15, decimal_places=2)
    interest = models.DecimalField(_("欠息"), max_digits=15, decimal_places=2)
    # The approval: the front-loaded advance (0.00 for after_disposal).
    advance = models.DecimalField(
        _("代偿金额"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    # The settlement after disposal.
    proceeds = models.DecimalField(
        _("处置所得"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    disposal_costs = models.DecimalField(
        _("处置费用"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    # The repayment a sale of the pledge on the trading board (ipfin.disposals) applied to the
    # loan while the claim stood, before it awaited a disposal: the settlement entered afterwards
    # counts the sale's proceeds once, against what the loan owed before the sale.
    sale_repayment = models.ForeignKey(
        "loans.Repayment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("处置还款"),
    )
    loss = models.DecimalField(_("损失"), null=True, blank=True, max_digits=15, decimal_places=2)
    fund_part = models.DecimalField(
        _("基金最终分担"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    # fund_part − advance: > 0 the fund pays the bank more, < 0 the bank returns it.
    settlement = models.DecimalField(
        _("结算差额"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    # The loan's contracts that bear part of the loss (issue 16), as found when filed: the
    # guarantee's cap, what was left of the policy's sum insured (None: no contract, no cap) and
    # what each contract is ([{party, ref, share, applied, cap}], ipfin.risk.signals.loss_cover).
    guarantor_cap = models.DecimalField(
        _("担保责任上限"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    insurer_cap = models.DecimalField(
        _("保险剩余保额"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    cover = models.JSONField(_("担保与保险"), default=list, blank=True)
    # The settlement's split of the loss besides the fund's part.
    bank_part = models.DecimalField(
        _("银行分担"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    guarantor_part = models.DecimalField(
        _("担保机构分担"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    insurer_part = models.DecimalField(
        _("保险机构分担"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    review_reason = models.TextField(_("审核意见"), blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    # The maker: approves (or rejects) the claim.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    # The checker of the last payment released (never the approver nor the settler).
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    # Who recorded the bank's return of its advance as received (after a settlement below it).
    refund_received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refund_received_at = models.DateTimeField(null=True, blank=True)

    class Meta(SchemeTerms.Meta):
        ordering = ["-filed_at", "-id"]
        verbose_name = _("风险补偿申请")
        verbose_name_plural = _("风险补偿申请")
        indexes = [models.Index(fields=["bank", "state"])]
        constraints = [
            *SchemeTerms.Meta.constraints,
            models.CheckConstraint(
                condition=Q(state__in=ClaimStateChoices.values), name="riskclaim_state_valid"
            ),
            # One claim that is not rejected per loan (also under concurrent filings).
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(state__in=sorted(s.value for s in LIVE_STATES)),
                name="riskclaim_one_live_per_loan",
            ),
            models.CheckConstraint(
                condition=Q(principal__gte=0) & Q(interest__gte=0),
                name="riskclaim_figures_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["filed", "rejected"])
                | (Q(advance__gte=0) & Q(reviewed_by__isnull=False)),
                name="riskclaim_approved_has_advance",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected")
                | (~Q(review_reason="") & Q(reviewed_by__isnull=False)),
                name="riskclaim_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(settlement__isnull=True)
                | (
                    Q(proceeds__gte=0)
                    & Q(disposal_costs__gte=0)
                    & Q(loss__gte=0)
                    & Q(fund_part__gte=0)
                    & Q(settled_by__isnull=False)
                ),
                name="riskclaim_settled_has_figures",
            ),
            models.CheckConstraint(
                condition=~Q(state="settled") | Q(settlement__gt=0),
                name="riskclaim_settled_owes_the_bank",
            ),
            models.CheckConstraint(
                condition=~Q(state="refund_due") | Q(settlement__lt=0),
                name="riskclaim_refund_due_owed_by_the_bank",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | Q(settlement__isnull=False),
                name="riskclaim_closed_is_settled",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class LedgerEntry(models.Model):
    """One posting of a fund's ledger: a transaction id, a date, a memo, the claim if any."""

    fund = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="risk_ledger",
        verbose_name=_("风险补偿基金"),
    )
    transaction_id = models.UUIDField(_("交易号"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=16, choices=PostingKindChoices.choices)
    posted_on = models.DateField(_("记账日"))
    memo = models.CharField(_("摘要"), max_length=500)
    claim = models.ForeignKey(
        RiskClaim,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
        verbose_name=_("补偿申请"),
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("基金记账凭证")
        verbose_name_plural = _("基金记账凭证")
        indexes = [models.Index(fields=["fund", "posted_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PostingKindChoices.values), name="ledgerentry_kind_valid"
            ),
            # Only a budget entry stands without a claim.
            models.CheckConstraint(
                condition=Q(kind="budget", claim__isnull=True)
                | (~Q(kind="budget") & Q(claim__isnull=False)),
                name="ledgerentry_claim_unless_budget",
            ),
        ]


class LedgerLine(models.Model):
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(_("科目"), max_length=24, choices=AccountChoices.choices)
    debit = models.DecimalField(_("借方"), default=0, max_digits=15, decimal_places=2)
    credit = models.DecimalField(_("贷方"), default=0, max_digits=15, decimal_places=2)

    class Meta:
        ordering = ["entry_id", "id"]
        verbose_name = _("记账分录")
        verbose_name_plural = _("记账分录")
        indexes = [models.Index(fields=["account", "entry"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(account__in=AccountChoices.values), name="ledgerline_account_valid"
            ),
            # A line is a debit or a credit: exactly one of them above zero, the other zero.
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="ledgerline_debit_or_credit",
            ),
        ]


# --- early warning (风险预警) ---------------------------------------------------------------


class AlertKindChoices(models.TextChoices):
    ANNUITY_DUE = AlertKind.ANNUITY_DUE.value, _("年费即将到期")
    GRACE_PERIOD = AlertKind.GRACE_PERIOD.value, _("年费滞纳期")
    LAPSED = AlertKind.LAPSED.value, _("专利权终止")
    INVALIDATION_REQUESTED = AlertKind.INVALIDATION_REQUESTED.value, _("被请求宣告无效")
    INVALIDATED = AlertKind.INVALIDATED.value, _("被宣告无效")
    PRESERVATION = AlertKind.PRESERVATION.value, _("财产保全")
    DISPUTE = AlertKind.DISPUTE.value, _("权属纠纷")
    TRANSFER_ATTEMPT = AlertKind.TRANSFER_ATTEMPT.value, _("出质后转让或许可")
    EXPIRES_BEFORE_MATURITY = AlertKind.EXPIRES_BEFORE_MATURITY.value, _("保护期早于贷款到期")
    BORROWER_OVERDUE = AlertKind.BORROWER_OVERDUE.value, _("借款人逾期或不良")
    VALUE_DECLINE = AlertKind.VALUE_DECLINE.value, _("质物价值下降")
    PLEDGE_RATE_EXCEEDED = AlertKind.PLEDGE_RATE_EXCEEDED.value, _("超过最高质押率")
    CONCENTRATION = AlertKind.CONCENTRATION.value, _("集中度")


class SeverityChoices(models.TextChoices):
    HIGH = Severity.HIGH.value, _("高")
    MEDIUM = Severity.MEDIUM.value, _("中")
    LOW = Severity.LOW.value, _("低")


class AlertStatusChoices(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已知悉")
    RESOLVED = "resolved", _("已解除")


class RiskAlert(models.Model):
    """One early-warning alert to a pledgee bank (and the office), as the daily scan found it
    (ipfin.risk.scanning, ipfin.risk.domain.alerts). `key` is the alert's identity: while an alert
    with a key is live (open or acknowledged) a scan finding the same facts moves its `last_seen`
    and creates nothing; the scan resolves it when its cause is gone, with the reason."""

    key = models.CharField(max_length=200)
    kind = models.CharField(_("预警类型"), max_length=32, choices=AlertKindChoices.choices)
    severity = models.CharField(_("级别"), max_length=8, choices=SeverityChoices.choices)
    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="risk_alerts"
    )
    right = models.ForeignKey(
        "registry.Right", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    right_number = models.CharField(_("权利号"), max_length=40, blank=True)
    pledge = models.ForeignKey(
        "pledges.Pledge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    date = models.DateField(_("关键日期"))
    subject = models.CharField(max_length=200, blank=True)
    message_zh = models.CharField(max_length=500)
    message_en = models.CharField(max_length=500)
    status = models.CharField(
        _("状态"), max_length=16, choices=AlertStatusChoices.choices, default="open"
    )
    first_seen = models.DateField(_("首次发现"))
    last_seen = models.DateField(_("最近发现"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledge_note = models.CharField(_("处理说明"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(_("解除说明"), max_length=500, blank=True)
    resolved_by_scan = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["bank", "status"]), models.Index(fields=["status", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~Q(status="resolved"), name="risk_alert_one_live_per_key"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "resolved"]),
                name="risk_alert_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(last_seen__gte=F("first_seen")), name="risk_alert_seen_in_order"
            ),
        ]


# --- NPL tolerance (不良容忍度) -----------------------------------------------------------------


class BankNplReport(models.Model):
    """A bank's overall NPL ratio for a quarter, as it reports it (issue 12, NPL tolerance:
    `POST /risk/bank-npl {period, ratio}`); the IP-pledge ratio it is compared with is computed
    at the period's end (ipfin.risk.selectors.npl_tolerance_list), never stored.

    One row per bank and quarter. A second report of the same quarter replaces the ratio (a bank
    corrects a figure it misreported, as it would resubmit a statistical return): `revision`
    counts the reports, and each one leaves an audit record with the ratio before and after
    (ipfin.risk.services.bank_npl_report)."""

    bank = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="npl_reports",
        verbose_name=_("银行"),
    )
    # ipfin.risk.domain.npl.PERIOD_PATTERN, e.g. "2026Q3"; `period_end` its last day.
    period = models.CharField(_("报告期"), max_length=6)
    period_end = models.DateField(_("报告期末"))
    ratio = models.DecimalField(_("整体不良贷款率"), max_digits=11, decimal_places=10)
    revision = models.PositiveIntegerField(_("报送次数"), default=1)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("报送时间"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_end", "bank_id"]
        verbose_name = _("银行不良贷款率报送")
        verbose_name_plural = _("银行不良贷款率报送")
        constraints = [
            models.UniqueConstraint(fields=["bank", "period"], name="bank_npl_one_per_period"),
            models.CheckConstraint(
                condition=Q(ratio__gte=0) & Q(ratio__lte=1), name="bank_npl_ratio_0_1"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}Q[1-4]$"), name="bank_npl_period_format"
            ),
            models.CheckConstraint(condition=Q(revision__gte=1), name="bank_npl_revision_1_up"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.ratio}"
