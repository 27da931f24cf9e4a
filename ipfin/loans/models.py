"""Loans from application to closure, their instalments and repayments, and interest subsidies.

- `Loan`: one loan of a bank to an enterprise; `state` follows the transition table in
  `ipfin.loans.domain.status` (applied → approved → disbursed → repaying → closed, with
  declined and written_off). The terms granted, the pledge registration it relies on, the
  valuation and the pledge rate are recorded at approval and never change afterwards.
- `Installment`: the repayment schedule made at disbursement (`repayment_schedule`), with what has
  been paid of each part and the penalty charged (`ipfin.loans.domain`).
- `Repayment`: one repayment as recorded by the bank, and how it was allocated (penalty →
  interest → principal).
- `SubsidyClaim` / `SubsidyAllocationRun`: an enterprise's interest-subsidy (贴息) claim under a
  policy for a year, and the office's allocation of the year's budget (`allocate_subsidy`).

Single-row invariants are database constraints; rules across rows live in the services.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ipfin.loans.domain.schedules import DayCount, RepaymentMethod
from ipfin.loans.domain.status import LoanState, RiskCategory

# Money columns spell out max_digits=15, decimal_places=2 (a **kwargs dict defeats django-stubs).
# Plain strings (not the enums): migrations then never import the domain module.
_APPROVED_STATES = ["approved", "disbursed", "repaying", "closed", "written_off"]
_DISBURSED_STATES = ["disbursed", "repaying", "closed", "written_off"]


class LoanStateChoices(models.TextChoices):
    APPLIED = LoanState.APPLIED.value, _("已申请")
    APPROVED = LoanState.APPROVED.value, _("已审批")
    DECLINED = LoanState.DECLINED.value, _("已拒绝")
    DISBURSED = LoanState.DISBURSED.value, _("已放款")
    REPAYING = LoanState.REPAYING.value, _("还款中")
    CLOSED = LoanState.CLOSED.value, _("已结清")
    WRITTEN_OFF = LoanState.WRITTEN_OFF.value, _("已核销")


class RiskCategoryChoices(models.TextChoices):
    NORMAL = RiskCategory.NORMAL.value, _("正常")
    SPECIAL_MENTION = RiskCategory.SPECIAL_MENTION.value, _("关注")
    SUBSTANDARD = RiskCategory.SUBSTANDARD.value, _("次级")
    DOUBTFUL = RiskCategory.DOUBTFUL.value, _("可疑")
    LOSS = RiskCategory.LOSS.value, _("损失")


class MethodChoices(models.TextChoices):
    ANNUITY = RepaymentMethod.ANNUITY.value, _("等额本息")
    EQUAL_PRINCIPAL = RepaymentMethod.EQUAL_PRINCIPAL.value, _("等额本金")
    INTEREST_ONLY = RepaymentMethod.INTEREST_ONLY.value, _("先息后本")


class DayCountChoices(models.TextChoices):
    THIRTY_360 = DayCount.THIRTY_360.value, "30/360"
    # The labels say what the code means: the period's actual days over 360 (or 365) a year.
    ACTUAL_360 = DayCount.ACTUAL_360.value, _("实际天数/360")
    ACTUAL_365 = DayCount.ACTUAL_365.value, _("实际天数/365")


class Loan(models.Model):
    bank = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="loans_granted",
        verbose_name=_("贷款银行"),
    )
    enterprise = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="loans",
        verbose_name=_("借款企业"),
    )
    product_version = models.ForeignKey(
        "financing.ProductVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("产品版本"),
    )
    demand = models.ForeignKey(
        "financing.Demand",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("融资需求"),
    )
    pledge = models.ForeignKey(
        "pledges.Pledge",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("质押登记"),
    )
    rights = models.ManyToManyField(
        "registry.Right", related_name="loans", blank=True, verbose_name=_("拟质押权利")
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=LoanStateChoices.choices, default=LoanState.APPLIED.value
    )
    purpose = models.TextField(_("资金用途"), blank=True)
    # The application.
    requested_amount = models.DecimalField(_("申请金额"), max_digits=15, decimal_places=2)
    requested_months = models.PositiveIntegerField(_("申请期限（月）"))
    # The terms approved (授信审批).
    principal = models.DecimalField(
        _("授信额度"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    annual_rate = models.DecimalField(
        _("年利率"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    lpr_rate = models.DecimalField(
        _("审批日LPR"), max_digits=6, decimal_places=5, null=True, blank=True
    )
    rate_spread_bp = models.IntegerField(_("加点（基点）"), null=True, blank=True)
    penalty_surcharge = models.DecimalField(
        _("罚息加收比例"), max_digits=4, decimal_places=3, default="0.500"
    )
    months = models.PositiveIntegerField(_("期限（月）"), null=True, blank=True)
    method = models.CharField(_("还款方式"), max_length=16, choices=MethodChoices.choices)
    day_count = models.CharField(_("计息基准"), max_length=12, choices=DayCountChoices.choices)
    # Recorded at approval: the valuation relied on and the pledge rate (principal ÷ value).
    valuation = models.ForeignKey(
        "valuation.Valuation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("评估报告"),
    )
    valuation_value = models.DecimalField(
        _("评估值"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    pledge_rate = models.DecimalField(
        _("质押率"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    # The credit enhancements the approval rests on, as they stood when it was given (issue 16:
    # "a loan approval records the guarantee it rests on"): [{kind, ref, label, share, cap}],
    # from the apps above that keep them (ipfin.loans.signals.loan_securities).
    securities = models.JSONField(_("增信措施"), default=list, blank=True)
    approved_on = models.DateField(_("审批日"), null=True, blank=True)
    disbursed_on = models.DateField(_("放款日"), null=True, blank=True)
    maturity_date = models.DateField(_("到期日"), null=True, blank=True)
    closed_on = models.DateField(_("结清日"), null=True, blank=True)
    decline_reason = models.TextField(_("拒绝理由"), blank=True)
    # Kept up to date by the repayment service and `classify_loans`.
    outstanding_principal = models.DecimalField(
        _("剩余本金"), default=0, max_digits=15, decimal_places=2
    )
    days_past_due = models.PositiveIntegerField(_("逾期天数"), default=0)
    classification = models.CharField(
        _("五级分类"),
        max_length=16,
        choices=RiskCategoryChoices.choices,
        default=RiskCategory.NORMAL.value,
    )
    classified_on = models.DateField(_("分类日"), null=True, blank=True)
    # The bank's own classification (办法 arts. 9–12 make days past due a floor only): the
    # effective `classification` is the worse of the floor and this (`loan_classify_manual`).
    assessed_classification = models.CharField(
        _("银行认定分类"), max_length=16, choices=RiskCategoryChoices.choices, blank=True
    )
    assessed_reason = models.TextField(_("认定理由"), blank=True)
    assessed_on = models.DateField(_("认定日"), null=True, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # 核销 (`loan_write_off`): the principal outstanding on the day is the amount written off.
    written_off_on = models.DateField(_("核销日"), null=True, blank=True)
    write_off_reason = models.TextField(_("核销理由"), blank=True)
    written_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # 放弃担保 (issue 13): the pledgee released the pledge while the loan was outstanding,
    # declaring that it waives the security (民法典 arts. 393(3), 435); the loan is unsecured
    # from that day (`ipfin.pledges.services.pledge_release` with `waive_security`).
    security_waived_on = models.DateField(_("放弃担保日"), null=True, blank=True)
    security_waiver_reason = models.TextField(_("放弃担保理由"), blank=True)
    security_waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disbursed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("贷款")
        verbose_name_plural = _("贷款")
        indexes = [
            models.Index(fields=["state", "classification"]),
            # The statistics: the loans disbursed in a period, whether their borrower had one
            # before (ipfin.stats.selectors) ...
            models.Index(fields=["disbursed_on"], name="loan_disbursed_on"),
            models.Index(fields=["enterprise", "disbursed_on"], name="loan_borrower_disbursed_on"),
            # ... and whether a loan closed or written off was changed after a period-end
            # snapshot was taken (an ended loan is seldom written to again: a small index).
            models.Index(
                fields=["updated_at"],
                name="loan_ended_updated_at",
                condition=Q(closed_on__isnull=False) | Q(written_off_on__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=LoanStateChoices.values), name="loan_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(classification__in=RiskCategoryChoices.values),
                name="loan_classification_valid",
            ),
            models.CheckConstraint(
                condition=Q(method__in=MethodChoices.values), name="loan_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(day_count__in=DayCountChoices.values), name="loan_day_count_valid"
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0) & Q(requested_months__gt=0),
                name="loan_request_positive",
            ),
            models.CheckConstraint(
                condition=Q(annual_rate__isnull=True)
                | (Q(annual_rate__gte=0) & Q(annual_rate__lt=1)),
                name="loan_rate_0_1",
            ),
            models.CheckConstraint(
                condition=Q(penalty_surcharge__gte=0) & Q(penalty_surcharge__lte=1),
                name="loan_penalty_surcharge_0_1",
            ),
            # Approval fixes the terms, the pledge and the valuation.
            models.CheckConstraint(
                condition=~Q(state__in=_APPROVED_STATES)
                | (
                    Q(principal__gt=0)
                    & Q(annual_rate__isnull=False)
                    & Q(months__gt=0)
                    & Q(pledge__isnull=False)
                    & Q(valuation_value__gt=0)
                    & Q(pledge_rate__gt=0)
                    & Q(approved_on__isnull=False)
                ),
                name="loan_approved_has_terms",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=_DISBURSED_STATES)
                | (Q(disbursed_on__isnull=False) & Q(maturity_date__isnull=False)),
                name="loan_disbursed_has_dates",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed")
                | (Q(closed_on__isnull=False) & Q(outstanding_principal=0)),
                name="loan_closed_is_repaid",
            ),
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(decline_reason=""),
                name="loan_decline_needs_reason",
            ),
            models.CheckConstraint(
                condition=Q(assessed_classification="")
                | (
                    Q(assessed_classification__in=RiskCategoryChoices.values)
                    & ~Q(assessed_reason="")
                ),
                name="loan_assessment_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state="written_off")
                | (
                    Q(written_off_on__isnull=False)
                    & ~Q(write_off_reason="")
                    & Q(classification="loss")
                ),
                name="loan_written_off_is_loss",
            ),
            models.CheckConstraint(
                condition=(
                    Q(security_waived_on__isnull=True)
                    & Q(security_waiver_reason="")
                    & Q(security_waived_by__isnull=True)
                )
                | (
                    Q(security_waived_on__isnull=False)
                    & ~Q(security_waiver_reason="")
                    & Q(security_waived_by__isnull=False)
                ),
                name="loan_security_waiver_complete",
            ),
            models.CheckConstraint(
                condition=Q(outstanding_principal__gte=0)
                & (Q(principal__isnull=True) | Q(outstanding_principal__lte=F("principal"))),
                name="loan_outstanding_within_principal",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class LoanClassification(models.Model):
    """One change of a loan's effective five-category classification, from the day `on`: the
    history the statistics read a loan's category "as of" a past day from (the latest change on
    or before it; none yet: 正常, as every loan is at disbursement). Written by the services that
    set `Loan.classification` (`loan_classify`, `loan_classify_manual`, `loan_write_off`), never
    edited."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="classifications")
    effective_on = models.DateField(_("分类日"))
    category = models.CharField(_("五级分类"), max_length=16, choices=RiskCategoryChoices.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan_id", "effective_on", "id"]
        verbose_name = _("分类变动")
        verbose_name_plural = _("分类变动")
        indexes = [models.Index(fields=["loan", "effective_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=RiskCategoryChoices.values),
                name="loanclassification_category_valid",
            ),
        ]


class Installment(models.Model):
    """One instalment of the schedule and what has been paid of it."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="installments")
    n = models.PositiveIntegerField(_("期次"))
    due_date = models.DateField(_("到期日"))
    principal = models.DecimalField(_("应还本金"), max_digits=15, decimal_places=2)
    interest = models.DecimalField(_("应还利息"), max_digits=15, decimal_places=2)
    principal_paid = models.DecimalField(_("已还本金"), default=0, max_digits=15, decimal_places=2)
    interest_paid = models.DecimalField(_("已还利息"), default=0, max_digits=15, decimal_places=2)
    penalty = models.DecimalField(_("罚息及复利"), default=0, max_digits=15, decimal_places=2)
    penalty_paid = models.DecimalField(_("已还罚息"), default=0, max_digits=15, decimal_places=2)
    penalty_through = models.DateField(_("罚息计至"), null=True, blank=True)
    settled_on = models.DateField(_("结清日"), null=True, blank=True)
    # The last day it may be paid without being late (the due date moved past weekends and
    # holidays, 民法典 art. 203), set by `selectors.instalments_with_payable_days`. Not stored:
    # it follows the holiday calendar, which the office completes as the State Council publishes.
    payable_on: datetime.date

    class Meta:
        ordering = ["loan_id", "n"]
        verbose_name = _("还款计划")
        verbose_name_plural = _("还款计划")
        indexes = [models.Index(fields=["loan", "settled_on", "due_date"])]
        constraints = [
            models.UniqueConstraint(fields=["loan", "n"], name="installment_once"),
            models.CheckConstraint(
                condition=Q(principal__gte=0)
                & Q(interest__gte=0)
                & Q(penalty__gte=0)
                & Q(principal_paid__gte=0)
                & Q(interest_paid__gte=0)
                & Q(penalty_paid__gte=0),
                name="installment_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(principal_paid__lte=F("principal"))
                & Q(interest_paid__lte=F("interest"))
                & Q(penalty_paid__lte=F("penalty")),
                name="installment_paid_within_due",
            ),
            models.CheckConstraint(
                condition=Q(settled_on__isnull=True)
                | (
                    Q(principal_paid=F("principal"))
                    & Q(interest_paid=F("interest"))
                    & Q(penalty_paid=F("penalty"))
                ),
                name="installment_settled_is_paid",
            ),
        ]

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest


class Repayment(models.Model):
    """A repayment recorded by the bank and its allocation: penalty → interest → principal."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="repayments")
    paid_on = models.DateField(_("还款日"))
    amount = models.DecimalField(_("还款金额"), max_digits=15, decimal_places=2)
    penalty_part = models.DecimalField(_("其中罚息及复利"), max_digits=15, decimal_places=2)
    interest_part = models.DecimalField(_("其中利息"), max_digits=15, decimal_places=2)
    principal_part = models.DecimalField(_("其中本金"), max_digits=15, decimal_places=2)
    prepaid_principal = models.DecimalField(
        _("其中提前还本"), default=0, max_digits=15, decimal_places=2
    )
    full_repayment = models.BooleanField(_("全部结清"), default=False)
    # Per instalment: [{"n", "penalty", "interest", "principal"}], money as strings.
    lines = models.JSONField(default=list)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan_id", "paid_on", "id"]
        verbose_name = _("还款记录")
        verbose_name_plural = _("还款记录")
        indexes = [models.Index(fields=["paid_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_amount_positive"),
            models.CheckConstraint(
                condition=Q(penalty_part__gte=0)
                & Q(interest_part__gte=0)
                & Q(principal_part__gte=0)
                & Q(prepaid_principal__gte=0)
                & Q(prepaid_principal__lte=F("principal_part")),
                name="repayment_parts_not_negative",
            ),
        ]


class ClaimState(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    ALLOCATED = "allocated", _("已核定")


class SubsidyBasis(models.TextChoices):
    INTEREST = "interest", _("贷款利息")
    FEES = "fees", _("担保费、保险费")


class SubsidyAllocationRun(models.Model):
    """The allocation of a policy's budget for a year among its approved claims (one per year)."""

    policy = models.ForeignKey(
        "financing.Policy", on_delete=models.PROTECT, related_name="subsidy_runs"
    )
    year = models.PositiveIntegerField(_("年度"))
    budget = models.DecimalField(_("年度预算"), max_digits=15, decimal_places=2)
    cap_per_enterprise = models.DecimalField(
        _("单户年度上限"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    share = models.DecimalField(_("贴息比例"), max_digits=5, decimal_places=4)
    total_awarded = models.DecimalField(_("核定总额"), max_digits=15, decimal_places=2)
    scaled = models.BooleanField(_("按比例压缩"), default=False)
    scale_factor = models.DecimalField(_("压缩系数"), max_digits=12, decimal_places=10)
    claims_count = models.PositiveIntegerField(_("申请数"), default=0)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    run_at = models.DateTimeField(auto_now_add=True)
    # Maker-checker: a run is a proposal (by run_by) until a second office user confirms it; only
    # then are the claims allocated and the enterprises told.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("复核人"),
    )
    confirmed_at = models.DateTimeField(_("复核时间"), null=True, blank=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("贴息核定")
        verbose_name_plural = _("贴息核定")
        constraints = [
            models.UniqueConstraint(fields=["policy", "year"], name="subsidy_run_once_per_year"),
            models.CheckConstraint(
                condition=Q(total_awarded__gte=0) & Q(total_awarded__lte=F("budget")),
                name="subsidy_run_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(scale_factor__gt=0) & Q(scale_factor__lte=1),
                name="subsidy_run_factor_0_1",
            ),
        ]


class SubsidyClaim(models.Model):
    policy = models.ForeignKey(
        "financing.Policy", on_delete=models.PROTECT, related_name="subsidy_claims"
    )
    enterprise = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="subsidy_claims"
    )
    year = models.PositiveIntegerField(_("年度"))
    state = models.CharField(
        _("状态"), max_length=16, choices=ClaimState.choices, default=ClaimState.SUBMITTED
    )
    loans = models.ManyToManyField(Loan, related_name="subsidy_claims", blank=True)
    # What the claim is a share of: the interest (贴息) or the fees (贴费) paid in the year.
    basis = models.CharField(
        _("补贴对象"), max_length=8, choices=SubsidyBasis.choices, default=SubsidyBasis.INTEREST
    )
    # Interest actually paid in the year on the eligible loans, from the recorded repayments.
    interest_paid = models.DecimalField(_("年度实付利息"), max_digits=15, decimal_places=2)
    # 贴费: the guarantee fees and premiums paid in the year, from the guarantees and policies
    # (ipfin.loans.signals.subsidy_fees), each line {kind, ref, amount, on}, and their total.
    fees_paid = models.DecimalField(
        _("年度实付担保费、保险费"), max_digits=15, decimal_places=2, default=0
    )
    fees = models.JSONField(_("费用明细"), default=list, blank=True)
    eligible = models.DecimalField(
        _("按比例可贴息"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    capped = models.DecimalField(
        _("封顶后"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    awarded = models.DecimalField(
        _("核定贴息"), null=True, blank=True, max_digits=15, decimal_places=2
    )
    allocation_run = models.ForeignKey(
        SubsidyAllocationRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    review_reason = models.TextField(_("审核意见"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-submitted_at", "-id"]
        verbose_name = _("贴息申请")
        verbose_name_plural = _("贴息申请")
        constraints = [
            # One live claim per enterprise, policy and year; a rejected one may be filed again.
            models.UniqueConstraint(
                fields=["policy", "enterprise", "year"],
                condition=~Q(state="rejected"),
                name="subsidy_claim_once_per_year",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ClaimState.values), name="subsidy_claim_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(interest_paid__gte=0), name="subsidy_claim_interest_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(fees_paid__gte=0) & Q(basis__in=SubsidyBasis.values),
                name="subsidy_claim_fees_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(review_reason=""),
                name="subsidy_claim_reject_needs_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state="allocated")
                | (
                    Q(awarded__isnull=False)
                    & Q(allocation_run__isnull=False)
                    & Q(awarded__gte=0)
                    & Q(awarded__lte=F("capped"))
                    & Q(capped__lte=F("eligible"))
                ),
                name="subsidy_claim_allocated_within_cap",
            ),
        ]

    @property
    def base_paid(self) -> Decimal:
        """What the subsidy is a share of: the interest paid, or the fees paid (贴费)."""
        return Decimal(self.fees_paid if self.basis == SubsidyBasis.FEES else self.interest_paid)
