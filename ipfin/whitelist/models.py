"""White list (白名单): imported lists, screening rules, batches pushed to banks, follow-ups, and
the banks' recommendations back to the IP office.

- `ImportedList` / `ImportedListEntry`: one upload of an authority's list (专精特新中小企业,
  高新技术企业 ...), every data row with its match. Re-importing a kind *versions* it: the new
  import becomes the kind's current list (`is_current`, one per kind, a partial unique index) and
  the older imports stay, with their reports, for the record. Screening reads current lists only.
- `ScreeningRule`: the IP office's criteria (see `ipfin.whitelist.domain.screen`).
- `WhitelistBatch` / `WhitelistEntry`: the enterprises a rule selected, with the criteria and the
  scores as they were when the batch was made (a snapshot: later profile changes do not move it).
  A draft can still take enterprises recommended by banks; publishing freezes it.
- `WhitelistPush`: a published batch sent to one bank (once per bank).
- `WhitelistFollowUp`: a bank's follow-up on one enterprise of a batch pushed to it. Rows are
  history, never edited; the latest per (entry, bank) is the pair's state.
- `BankRecommendation`: an enterprise a bank recommends to the office (the other direction).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ListKind(models.TextChoices):
    SPECIALISED_SME = "specialised_sme", _("专精特新中小企业")
    LITTLE_GIANT = "little_giant", _("专精特新“小巨人”企业")
    HIGH_TECH = "high_tech", _("高新技术企业")
    TECH_SME = "tech_sme", _("科技型中小企业")
    OTHER = "other", _("其他名单")


class ImportedList(models.Model):
    name = models.CharField(_("名单名称"), max_length=200)
    kind = models.CharField(_("名单类型"), max_length=32, choices=ListKind.choices)
    version = models.PositiveIntegerField(_("版本"))
    is_current = models.BooleanField(_("现行"), default=True)
    filename = models.CharField(_("文件名"), max_length=200)
    rows_total = models.PositiveIntegerField(_("数据行数"), default=0)
    rows_matched = models.PositiveIntegerField(_("匹配行数"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("导入名单")
        verbose_name_plural = _("导入名单")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="imported_list_kind_version"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_current=True), name="one_current_list_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(rows_matched__lte=models.F("rows_total")),
                name="imported_list_matched_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ImportedListEntry(models.Model):
    imported_list = models.ForeignKey(
        ImportedList, on_delete=models.CASCADE, related_name="entries"
    )
    row_no = models.PositiveIntegerField(_("行号"))
    uscc = models.CharField(_("统一社会信用代码"), max_length=40, blank=True)
    name = models.CharField(_("企业名称"), max_length=300, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    matched = models.BooleanField(_("已匹配"), default=False)
    matched_by = models.CharField(max_length=8, blank=True)  # "uscc" | "name"
    reason = models.CharField(_("未匹配原因"), max_length=32, blank=True)
    detail_zh = models.CharField(max_length=500, blank=True)
    detail_en = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["imported_list_id", "row_no"]
        constraints = [
            models.UniqueConstraint(fields=["imported_list", "row_no"], name="list_entry_row"),
            # Matched rows name an enterprise and carry no reason; unmatched ones the reverse. An
            # enterprise deleted later leaves a matched row without it (SET_NULL), still history.
            models.CheckConstraint(
                condition=(Q(matched=True) & Q(reason=""))
                | (Q(matched=False) & Q(organisation__isnull=True) & ~Q(reason="")),
                name="list_entry_matched_xor_reason",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "imported_list"])]


class ScreeningRule(models.Model):
    owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("制定机构"),
    )
    name = models.CharField(_("规则名称"), max_length=200)
    min_credit_score = models.PositiveSmallIntegerField(_("最低评分"), null=True, blank=True)
    industries = models.JSONField(_("行业"), default=list, blank=True)
    park_ids = models.JSONField(_("园区"), default=list, blank=True)
    regions = models.JSONField(_("地区"), default=list, blank=True)
    sizes = models.JSONField(_("企业规模"), default=list, blank=True)
    required_list_kinds = models.JSONField(_("须在名单内"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("筛选规则")
        verbose_name_plural = _("筛选规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_credit_score__isnull=True) | Q(min_credit_score__lte=100),
                name="screening_rule_score_in_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BatchState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class WhitelistBatch(models.Model):
    rule = models.ForeignKey(
        ScreeningRule, on_delete=models.PROTECT, related_name="batches", verbose_name=_("规则")
    )
    title = models.CharField(_("批次名称"), max_length=200)
    state = models.CharField(
        _("状态"), max_length=16, choices=BatchState.choices, default=BatchState.DRAFT
    )
    criteria = models.JSONField(_("筛选条件"), default=dict, encoder=DjangoJSONEncoder)
    scored_on = models.DateField(_("评分日"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The enterprises the publication left out for a 失信 record dated after the batch was
    # drawn up: [{"enterprise_id", "name", "uscc", "dishonesty_on"}] (services.batch_publish).
    left_out = models.JSONField(
        _("发布时移出"), default=list, blank=True, encoder=DjangoJSONEncoder
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("白名单批次")
        verbose_name_plural = _("白名单批次")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(state="published")
                    & Q(published_at__isnull=False)
                    & Q(published_by__isnull=False)
                )
                | (Q(state="draft") & Q(published_at__isnull=True)),
                name="batch_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EntrySource(models.TextChoices):
    SCREENING = "screening", _("规则筛选")
    RECOMMENDATION = "recommendation", _("银行推荐")


class WhitelistEntry(models.Model):
    batch = models.ForeignKey(WhitelistBatch, on_delete=models.CASCADE, related_name="entries")
    enterprise = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    credit_score = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    credit_grade = models.CharField(_("评级"), max_length=2, blank=True)
    source = models.CharField(
        max_length=16, choices=EntrySource.choices, default=EntrySource.SCREENING
    )
    reasons = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["batch_id", "-credit_score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "enterprise"], name="one_entry_per_batch"),
            models.CheckConstraint(
                condition=Q(credit_score__isnull=True) | Q(credit_score__lte=100),
                name="entry_score_in_0_100",
            ),
        ]


class WhitelistPush(models.Model):
    batch = models.ForeignKey(WhitelistBatch, on_delete=models.CASCADE, related_name="pushes")
    bank = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    pushed_at = models.DateTimeField(auto_now_add=True)
    pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["batch_id", "bank_id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "bank"], name="one_push_per_bank"),
        ]


class FollowUpStatus(models.TextChoices):
    CONTACTED = "contacted", _("已对接")
    CREDIT_GRANTED = "credit_granted", _("已授信")
    LOAN_DISBURSED = "loan_disbursed", _("已放款")
    DECLINED = "declined", _("未通过")


AMOUNT_STATUSES = (FollowUpStatus.CREDIT_GRANTED, FollowUpStatus.LOAN_DISBURSED)


class WhitelistFollowUp(models.Model):
    entry = models.ForeignKey(WhitelistEntry, on_delete=models.CASCADE, related_name="follow_ups")
    bank = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("跟进状态"), max_length=16, choices=FollowUpStatus.choices)
    amount = models.DecimalField(
        _("金额（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry_id", "bank_id", "recorded_at", "id"]
        indexes = [models.Index(fields=["entry", "bank", "recorded_at"])]
        constraints = [
            # 授信 / 放款 carry their amount; the others none. A decline says why.
            models.CheckConstraint(
                # (NULL > 0 is unknown, which a CHECK lets through: hence the explicit NOT NULL.)
                condition=(
                    Q(status__in=AMOUNT_STATUSES) & Q(amount__isnull=False) & Q(amount__gt=0)
                )
                | (~Q(status__in=AMOUNT_STATUSES) & Q(amount__isnull=True)),
                name="follow_up_amount_iff_granted_or_disbursed",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(reason=""),
                name="follow_up_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status__in=FollowUpStatus.values), name="follow_up_status_valid"
            ),
        ]


class RecommendationState(models.TextChoices):
    RECEIVED = "received", _("待处理")
    ACCEPTED = "accepted_into_batch", _("已纳入批次")
    DECLINED = "declined", _("未采纳")


class BankRecommendation(models.Model):
    bank = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("推荐理由"), max_length=1000)
    intended_amount = models.DecimalField(
        _("拟授信金额（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    state = models.CharField(
        _("状态"),
        max_length=24,
        choices=RecommendationState.choices,
        default=RecommendationState.RECEIVED,
    )
    batch = models.ForeignKey(
        WhitelistBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.CharField(_("处理意见"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("银行推荐")
        verbose_name_plural = _("银行推荐")
        constraints = [
            # One open recommendation per bank and enterprise.
            models.UniqueConstraint(
                fields=["bank", "enterprise"],
                condition=Q(state="received"),
                name="one_open_recommendation",
            ),
            models.CheckConstraint(
                condition=Q(intended_amount__isnull=True) | Q(intended_amount__gt=0),
                name="recommendation_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(state="received") & Q(decided_at__isnull=True)
                | Q(state="accepted_into_batch")
                & Q(decided_at__isnull=False)
                & Q(batch__isnull=False)
                | Q(state="declined") & Q(decided_at__isnull=False) & ~Q(decision_reason=""),
                name="recommendation_decision_consistent",
            ),
        ]
