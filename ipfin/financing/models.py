"""Financing: product catalogue, policies, the enterprise demand library and the feedback ledger.

- `Product` / `ProductVersion` (产品资源库): a bank's, insurer's or guarantor's product; every
  change of terms publishes a new immutable version, so that a loan records the terms it was
  granted on.
- `LprQuote`: the Loan Prime Rate (贷款市场报价利率) as published; loan rates are LPR + spread.
- `Policy` (政策库): subsidies and risk-compensation schemes published by the IP office or a park.
- `Demand` (融资项目需求库): an enterprise's financing demand (filed by itself or by its park).
- `DemandResponse` (对接台账): one row per (demand, bank) pushed to that bank, with its answer and a
  deadline in Chinese working days.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ipfin.common.display import basis_points
from ipfin.financing.domain.insurance_kinds import InsuranceKind


class InsuranceKindChoices(models.TextChoices):
    PLEDGE_GUARANTEE = InsuranceKind.PLEDGE_GUARANTEE.value, _("知识产权质押融资保证保险")
    ENFORCEMENT = InsuranceKind.ENFORCEMENT.value, _("知识产权执行保险")
    INFRINGEMENT_LIABILITY = InsuranceKind.INFRINGEMENT_LIABILITY.value, _("知识产权侵权责任保险")
    INFRINGED_LOSS = InsuranceKind.INFRINGED_LOSS.value, _("知识产权被侵权损失保险")
    APPLICATION_COST = InsuranceKind.APPLICATION_COST.value, _("专利申请费用损失保险")
    TRANSFORMATION_COST = InsuranceKind.TRANSFORMATION_COST.value, _("专利成果转化费用损失保险")
    OVERSEAS_INFRINGEMENT = InsuranceKind.OVERSEAS_INFRINGEMENT.value, _("海外知识产权侵权责任保险")


class ProductKind(models.TextChoices):
    LOAN = "loan", _("贷款")
    INSURANCE = "insurance", _("保险")
    GUARANTEE = "guarantee", _("担保")


class LprTenor(models.TextChoices):
    ONE_YEAR = "1y", _("1年期LPR")
    FIVE_YEAR = "5y", _("5年期以上LPR")


class Product(models.Model):
    provider = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("提供机构"),
    )
    kind = models.CharField(_("产品类型"), max_length=16, choices=ProductKind.choices)
    code = models.CharField(_("产品代码"), max_length=40)
    name = models.CharField(_("产品名称"), max_length=200)
    is_active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The latest version, kept by `product_publish` (the one writer of versions), so that the
    # catalogue reads and filters the terms on sale in SQL.
    current_version = models.ForeignKey(
        "ProductVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("当前版本"),
    )

    class Meta:
        ordering = ["provider_id", "code"]
        verbose_name = _("金融产品")
        verbose_name_plural = _("金融产品")
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="product_code_per_provider"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductVersion(models.Model):
    """The terms of a product as published at one time. Never edited: a change is a new version."""

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="versions", verbose_name=_("产品")
    )
    version = models.PositiveIntegerField(_("版本"))
    description = models.TextField(_("产品说明"), blank=True)
    # Loans (and the loan a guarantee or insurance covers): amount and term ranges.
    amount_min = models.DecimalField(_("最低金额"), max_digits=15, decimal_places=2, null=True)
    amount_max = models.DecimalField(_("最高金额"), max_digits=15, decimal_places=2, null=True)
    term_min_months = models.PositiveIntegerField(_("最短期限（月）"), null=True)
    term_max_months = models.PositiveIntegerField(_("最长期限（月）"), null=True)
    # Loan rate = LPR of `lpr_tenor` + `rate_spread_bp` basis points (may be negative).
    lpr_tenor = models.CharField(_("LPR期限"), max_length=2, choices=LprTenor.choices, blank=True)
    rate_spread_bp = models.IntegerField(_("加点（基点）"), null=True)
    accepted_right_kinds = models.JSONField(_("接受的权利类型"), default=list, blank=True)
    package_allowed = models.BooleanField(_("接受组合质押"), default=True)
    max_pledge_rate = models.DecimalField(
        _("最高质押率"), max_digits=5, decimal_places=4, null=True
    )
    repayment_methods = models.JSONField(_("还款方式"), default=list, blank=True)
    # Eligibility: empty list = no restriction.
    regions = models.JSONField(_("适用地区"), default=list, blank=True)
    park_ids = models.JSONField(_("适用园区"), default=list, blank=True)
    industries = models.JSONField(_("适用行业"), default=list, blank=True)
    # Insurance and guarantees; an insurance product's kind (险种, issue 16).
    insurance_kind = models.CharField(
        _("险种"), max_length=32, choices=InsuranceKindChoices.choices, blank=True, default=""
    )
    premium_rate = models.DecimalField(_("费率"), max_digits=7, decimal_places=6, null=True)
    coverage_ratio = models.DecimalField(_("保障比例"), max_digits=5, decimal_places=4, null=True)
    coverage_max = models.DecimalField(_("最高保额"), max_digits=15, decimal_places=2, null=True)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["product_id", "-version"]
        verbose_name = _("产品版本")
        verbose_name_plural = _("产品版本")
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="product_version_unique"),
            models.CheckConstraint(
                condition=Q(amount_min__isnull=True)
                | Q(amount_max__isnull=True)
                | Q(amount_min__lte=F("amount_max")),
                name="product_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(term_min_months__isnull=True)
                | Q(term_max_months__isnull=True)
                | Q(term_min_months__lte=F("term_max_months")),
                name="product_term_range",
            ),
            models.CheckConstraint(
                condition=Q(max_pledge_rate__isnull=True)
                | (Q(max_pledge_rate__gt=0) & Q(max_pledge_rate__lte=1)),
                name="product_pledge_rate_0_1",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A loan records the version it was granted on: the terms it points at never change.
        if not self._state.adding:
            raise ValueError("a ProductVersion is immutable: publish a new version instead")
        super().save(*args, **kwargs)

    @property
    def rate_text(self) -> str:
        """ "1年期LPR + 50bp" as the catalogue shows it (the tenor's label in the page's
        language); empty without a rate."""
        if not self.lpr_tenor or self.rate_spread_bp is None:
            return ""
        tenor = dict(LprTenor.choices).get(self.lpr_tenor, self.lpr_tenor)
        return f"{tenor} {basis_points(self.rate_spread_bp)}"


class LprQuote(models.Model):
    """One published LPR fixing (全国银行间同业拆借中心, the 20th of each month)."""

    date = models.DateField(_("公布日"))
    tenor = models.CharField(_("期限"), max_length=2, choices=LprTenor.choices)
    rate = models.DecimalField(_("利率"), max_digits=6, decimal_places=5)

    class Meta:
        ordering = ["-date", "tenor"]
        constraints = [
            models.UniqueConstraint(fields=["date", "tenor"], name="lpr_quote_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0) & Q(rate__lt=1), name="lpr_rate_0_1"),
        ]


class PolicyKind(models.TextChoices):
    SUBSIDY = "subsidy", _("贴息")
    # Fee and premium subsidies (贴费, issue 16): a share of the guarantee fees and insurance
    # premiums paid, under the same share, cap and budget as 贴息 (ipfin.loans.domain.subsidy).
    FEE_SUBSIDY = "fee_subsidy", _("贴费")
    RISK_COMPENSATION = "risk_compensation", _("风险补偿")
    OTHER = "other", _("其他")


class Policy(models.Model):
    issuer = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="policies",
        verbose_name=_("发布机构"),
    )
    kind = models.CharField(_("政策类型"), max_length=24, choices=PolicyKind.choices)
    title = models.CharField(_("政策名称"), max_length=200)
    summary = models.TextField(_("政策内容"), blank=True)
    # Eligibility, e.g. {"right_kinds": [...], "sizes": ["micro", "small", "medium"],
    # "regions": [...], "ip_pledge_loan": true}; empty = no restriction.
    conditions = models.JSONField(
        _("适用条件"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    # Interest subsidies (贴息): share of interest paid in the year, cap per enterprise and year,
    # annual budget.
    subsidy_share = models.DecimalField(_("贴息比例"), max_digits=5, decimal_places=4, null=True)
    cap_per_enterprise = models.DecimalField(
        _("单户年度上限"), max_digits=15, decimal_places=2, null=True
    )
    annual_budget = models.DecimalField(_("年度预算"), max_digits=15, decimal_places=2, null=True)
    year = models.PositiveIntegerField(_("年度"), null=True)
    valid_from = models.DateField(_("生效日"), null=True)
    valid_to = models.DateField(_("截止日"), null=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("政策")
        verbose_name_plural = _("政策")
        constraints = [
            models.CheckConstraint(
                condition=Q(subsidy_share__isnull=True)
                | (Q(subsidy_share__gt=0) & Q(subsidy_share__lte=1)),
                name="policy_subsidy_share_0_1",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DemandState(models.TextChoices):
    OPEN = "open", _("对接中")
    FINANCED = "financed", _("已获融资")
    CLOSED = "closed", _("已关闭")
    WITHDRAWN = "withdrawn", _("已撤回")


class Demand(models.Model):
    enterprise = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="financing_demands",
        verbose_name=_("企业"),
    )
    # Filed by the enterprise itself or by its park on its behalf.
    filed_by_org = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("提交机构"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("融资金额"), max_digits=15, decimal_places=2)
    term_months = models.PositiveIntegerField(_("期限（月）"))
    purpose = models.TextField(_("资金用途"))
    rights = models.ManyToManyField(
        "registry.Right", related_name="financing_demands", blank=True, verbose_name=_("拟质押权利")
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=DemandState.choices, default=DemandState.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The loan that financed it (ipfin.loans), recorded by `demand_mark_financed`. A plain id, not
    # a foreign key: loans depend on financing, not the other way round.
    financed_loan_id = models.PositiveBigIntegerField(_("融资贷款"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("融资需求")
        verbose_name_plural = _("融资需求")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="demand_amount_positive"),
            models.CheckConstraint(condition=Q(term_months__gt=0), name="demand_term_positive"),
        ]


class ResponseKind(models.TextChoices):
    INTERESTED = "interested", _("有意向")
    NEED_INFO = "need_info", _("需补充材料")
    DECLINED = "declined", _("不予受理")


class DemandResponse(models.Model):
    """A row of the feedback ledger (对接台账): a demand pushed to a bank, and the bank's answer."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="responses")
    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="demand_responses"
    )
    product_version = models.ForeignKey(
        ProductVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    match_score = models.DecimalField(_("匹配得分"), max_digits=6, decimal_places=2, null=True)
    pushed_at = models.DateTimeField(auto_now_add=True)
    due_date = models.DateField(_("反馈期限"))
    response = models.CharField(_("反馈"), max_length=16, choices=ResponseKind.choices, blank=True)
    reason = models.TextField(_("说明"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reminder_count = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # The day (as `ledger_remind` counts it) of the last reminder: at most one a day.
    last_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("对接台账")
        verbose_name_plural = _("对接台账")
        constraints = [
            models.UniqueConstraint(fields=["demand", "bank"], name="demand_response_per_bank"),
            models.CheckConstraint(
                condition=~Q(response="declined") | ~Q(reason=""),
                name="demand_decline_needs_reason",
            ),
        ]
