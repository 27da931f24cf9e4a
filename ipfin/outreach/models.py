"""The outreach library (宣传与服务资源库): what the IP office publishes on the public site.

- `Article`: a typical case (典型案例) or a service guide (服务指南), with its tags
  (`ArticleTag`, one row per tag: filtered in SQL on SQLite and PostgreSQL alike) and region.
- `Event`: a bank–enterprise matchmaking (银企对接), a park roadshow (入园惠企路演) or a training
  (培训), with its capacity and registration deadline; `EventRegistration`: one attendee of one
  organisation, checked in by the office on the day.
- `Expert`: a member of the expert pool (专家库) or the talent pool (人才库) with fields of
  expertise (`ExpertField`: IPC sections/classes or industry tags); `ExpertPick`: each time the
  office picked an expert for a review (least recently picked first, `last_picked_at`).

States follow `ipfin.outreach.domain`'s transition tables; the services are the only writers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ipfin.common.masking import mask_email, mask_phone


class ArticleKindChoices(models.TextChoices):
    CASE = "case", _("典型案例")
    GUIDE = "guide", _("服务指南")


class ArticleStateChoices(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class EventKindChoices(models.TextChoices):
    BANK_ENTERPRISE_MATCHMAKING = "bank_enterprise_matchmaking", _("银企对接")
    PARK_ROADSHOW = "park_roadshow", _("入园惠企路演")
    TRAINING = "training", _("培训")


class EventStateChoices(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")


class ExpertPoolChoices(models.TextChoices):
    EXPERT = "expert", _("专家库")
    TALENT = "talent", _("人才库")


class Article(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=ArticleKindChoices.choices)
    title = models.CharField(_("标题"), max_length=200)
    summary = models.TextField(_("摘要"), blank=True)
    body = models.TextField(_("正文"))
    region = models.CharField(_("地区"), max_length=100, blank=True)
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=ArticleStateChoices.choices,
        default=ArticleStateChoices.DRAFT,
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("资源库文章")
        verbose_name_plural = _("资源库文章")
        indexes = [models.Index(fields=["state", "kind"], name="outreach_article_state_kind")]
        constraints = [
            # Published means a publication time (a withdrawn article keeps its last one).
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False),
                name="outreach_article_published_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tags(self) -> list[str]:
        """The article's tags in the order given (prefetch `tag_rows` to read many)."""
        return [row.tag for row in self.tag_rows.all()]


class ArticleTag(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(_("标签"), max_length=50)

    class Meta:
        ordering = ["article_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "tag"], name="outreach_article_tag_once"),
        ]
        indexes = [models.Index(fields=["tag"], name="outreach_article_tag")]


class Event(models.Model):
    kind = models.CharField(_("活动类型"), max_length=32, choices=EventKindChoices.choices)
    title = models.CharField(_("活动名称"), max_length=200)
    description = models.TextField(_("活动介绍"), blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    venue = models.CharField(_("地点"), max_length=200)
    capacity = models.PositiveIntegerField(_("名额"))
    registration_deadline = models.DateTimeField(_("报名截止时间"))
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=EventStateChoices.choices,
        default=EventStateChoices.DRAFT,
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="outreach_event_capacity"),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="outreach_event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(registration_deadline__lte=F("starts_at")),
                name="outreach_event_deadline_before_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EventRegistration(models.Model):
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="registrations")
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="event_registrations",
        verbose_name=_("报名机构"),
    )
    attendee_name = models.CharField(_("参会人"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=11)
    registered_at = models.DateTimeField(_("报名时间"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attended = models.BooleanField(_("已签到"), default=False)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)

    class Meta:
        ordering = ["event_id", "registered_at", "id"]
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "organisation", "attendee_name"],
                name="outreach_registration_once",
            ),
            # Attended exactly when checked in.
            models.CheckConstraint(
                condition=Q(attended=True, checked_in_at__isnull=False)
                | Q(attended=False, checked_in_at__isnull=True),
                name="outreach_registration_checked_in",
            ),
        ]


class Expert(models.Model):
    pool = models.CharField(_("所属库"), max_length=16, choices=ExpertPoolChoices.choices)
    name = models.CharField(_("姓名"), max_length=50)
    # Where the expert works, as text: a university or a firm is not an organisation of the
    # platform.
    organisation_name = models.CharField(_("工作单位"), max_length=200, blank=True)
    title = models.CharField(_("职称/职务"), max_length=100, blank=True)
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    email = models.EmailField(_("电子邮箱"), max_length=254, blank=True)
    bio = models.TextField(_("简介"), blank=True)
    active = models.BooleanField(_("在库"), default=True)
    # Kept by `expert_pick`: the least recently picked (never picked first) is picked next.
    last_picked_at = models.DateTimeField(_("最近抽取时间"), null=True, blank=True)
    pick_count = models.PositiveIntegerField(_("抽取次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("入库时间"), auto_now_add=True)

    class Meta:
        ordering = ["pool", "name", "id"]
        verbose_name = _("专家/人才")
        verbose_name_plural = _("专家/人才")

    def __str__(self) -> str:
        return self.name

    @property
    def fields_of_expertise(self) -> list[str]:
        """The expert's fields in the order given (prefetch `field_rows` to read many)."""
        return [row.code for row in self.field_rows.all()]

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def email_masked(self) -> str:
        return mask_email(self.email)


class ExpertField(models.Model):
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="field_rows")
    code = models.CharField(_("专业领域"), max_length=50)

    class Meta:
        ordering = ["expert_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "code"], name="outreach_expert_field_once"),
        ]
        indexes = [models.Index(fields=["code"], name="outreach_expert_field_code")]


class ExpertPick(models.Model):
    """One expert picked by the office for a review of `field` (e.g. a valuation's recheck)."""

    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="picks")
    field = models.CharField(_("专业领域"), max_length=50)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    picked_at = models.DateTimeField(_("抽取时间"))
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-picked_at", "-id"]
        verbose_name = _("专家抽取记录")
        verbose_name_plural = _("专家抽取记录")
