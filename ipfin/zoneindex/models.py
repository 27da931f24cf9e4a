"""The demonstration-zone index as a published product (示范区指数, issue 15).

- `IndicatorSystem` (指标体系): a named, versioned configuration — the normalisation method, the
  weighting and the indicators. A draft is edited; activating it retires the active version of its
  name (one active per name); an active or retired version is never edited: a change is a new
  version, a copy (`services.system_new_version`).
- `IndicatorDef` (指标): one indicator of a system — its dimension (产业基础, 知识产权, 金融要素,
  发展环境), its source (computed from the platform's loans, or uploaded per zone by the office),
  its direction and its weight.
- `ZoneValue`: a value the office uploaded for a zone (a park, for now), an indicator and a year.
- `IndexRun`: one computation of a system over a year. It stores its `inputs` (exactly the matrix
  and the weights given to the rule, ipfin.zoneindex.domain.stored_index) and its `results`
  (the weights used, each zone's score, rank and contributions), so that it is reproduced from
  what it stored; published, it is the public ranking.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ipfin.zoneindex.domain import (
    MAX_CODE_LENGTH,
    IndexMethod,
    IndexWeighting,
    IndicatorDirection,
)

# The numbers an uploaded value may have: |value| < 10^18, at most six decimals.
VALUE_DIGITS = 24
VALUE_DECIMALS = 6


class SystemState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用")
    RETIRED = "retired", _("停用")


class MethodChoices(models.TextChoices):
    MINMAX = IndexMethod.MINMAX.value, _("极差标准化")
    ZSCORE = IndexMethod.ZSCORE.value, _("Z-score 标准化")


class WeightingChoices(models.TextChoices):
    FIXED = IndexWeighting.FIXED.value, _("给定权重")
    ENTROPY = IndexWeighting.ENTROPY.value, _("熵权法")


class DirectionChoices(models.TextChoices):
    POSITIVE = IndicatorDirection.POSITIVE.value, _("正向")
    NEGATIVE = IndicatorDirection.NEGATIVE.value, _("逆向")


class Dimension(models.TextChoices):
    INDUSTRY_BASE = "industry_base", _("产业基础")
    IP = "ip", _("知识产权")
    FINANCE = "finance", _("金融要素")
    ENVIRONMENT = "environment", _("发展环境")


class IndicatorSource(models.TextChoices):
    PLATFORM = "platform", _("平台数据")
    UPLOADED = "uploaded", _("上报数据")


class PlatformMetric(models.TextChoices):
    """What the platform computes for a zone and a year, over the loans its member enterprises
    were disbursed in that year (ipfin.zoneindex.selectors.platform_values: one GROUP BY each)."""

    LOAN_AMOUNT = "loan_amount", _("知识产权质押贷款放款金额（元）")
    LOAN_COUNT = "loan_count", _("知识产权质押贷款放款笔数")
    BORROWERS = "borrowers", _("获贷企业数")
    FIRST_TIME_BORROWERS = "first_time_borrowers", _("首贷企业数")


class IndicatorSystem(models.Model):
    name = models.CharField(_("指标体系名称"), max_length=100)
    version = models.PositiveIntegerField(_("版本"))
    method = models.CharField(_("标准化方法"), max_length=16, choices=MethodChoices.choices)
    weighting = models.CharField(_("赋权方法"), max_length=16, choices=WeightingChoices.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=SystemState.choices, default=SystemState.DRAFT
    )
    # The version this one was copied from (None: a new system).
    derived_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    activated_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        verbose_name = _("示范区指数指标体系")
        verbose_name_plural = _("示范区指数指标体系")
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="index_system_version"),
            # One active version per name: activating one retires the other in one transaction.
            models.UniqueConstraint(
                fields=["name"], condition=Q(state="active"), name="index_system_one_active"
            ),
            models.CheckConstraint(
                condition=~(Q(weighting="entropy") & ~Q(method="minmax")),
                name="index_system_entropy_minmax",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="index_system_version_1"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class IndicatorDef(models.Model):
    system = models.ForeignKey(IndicatorSystem, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("指标代码"), max_length=MAX_CODE_LENGTH)
    name_zh = models.CharField(_("指标名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100)
    dimension = models.CharField(_("维度"), max_length=16, choices=Dimension.choices)
    source = models.CharField(_("数据来源"), max_length=16, choices=IndicatorSource.choices)
    platform_metric = models.CharField(
        _("平台指标"), max_length=32, choices=PlatformMetric.choices, blank=True
    )
    direction = models.CharField(_("指标方向"), max_length=16, choices=DirectionChoices.choices)
    # Fixed weighting: > 0 (the weights are divided by their sum); entropy weighting: not used.
    weight = models.DecimalField(_("权重"), max_digits=12, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["system_id", "id"]
        verbose_name = _("示范区指数指标")
        verbose_name_plural = _("示范区指数指标")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="index_indicator_code"),
            models.CheckConstraint(
                condition=(Q(source="platform") & ~Q(platform_metric=""))
                | (Q(source="uploaded") & Q(platform_metric="")),
                name="index_indicator_metric_iff_platform",
            ),
            models.CheckConstraint(
                condition=Q(weight__isnull=True) | Q(weight__gt=0),
                name="index_indicator_weight_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class ZoneValue(models.Model):
    system = models.ForeignKey(
        IndicatorSystem, on_delete=models.CASCADE, related_name="zone_values"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    zone = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "park"},
        verbose_name=_("示范区"),
    )
    code = models.CharField(_("指标代码"), max_length=MAX_CODE_LENGTH)
    value = models.DecimalField(_("数值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS)
    uploaded_at = models.DateTimeField(_("上传时间"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["system_id", "year", "zone_id", "code"]
        verbose_name = _("示范区指标数值")
        verbose_name_plural = _("示范区指标数值")
        constraints = [
            models.UniqueConstraint(
                fields=["system", "year", "zone", "code"], name="index_zone_value_once"
            ),
        ]


class IndexRun(models.Model):
    system = models.ForeignKey(IndicatorSystem, on_delete=models.PROTECT, related_name="runs")
    year = models.PositiveSmallIntegerField(_("年度"))
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Exactly what the rule was given (ipfin.zoneindex.domain.stored_index) and what it gave.
    inputs = models.JSONField(_("计算输入"))
    results = models.JSONField(_("计算结果"))
    published = models.BooleanField(_("已发布"), default=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = _("示范区指数计算")
        verbose_name_plural = _("示范区指数计算")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(published=True)
                    & Q(published_at__isnull=False)
                    & Q(published_by__isnull=False)
                )
                | (
                    Q(published=False) & Q(published_at__isnull=True) & Q(published_by__isnull=True)
                ),
                name="index_run_published_when_by",
            ),
        ]
