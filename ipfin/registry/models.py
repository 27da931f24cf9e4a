"""The register of IP rights: the rights, their owners over time and their legal-event log.

Legal status is never stored: it is derived from the event log as of a date by
`ipfin.registry.domain.legal_status` (see selectors.right_status).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RightKindChoices(models.TextChoices):
    INVENTION = "invention", _("发明专利")
    UTILITY_MODEL = "utility_model", _("实用新型专利")
    DESIGN = "design", _("外观设计专利")
    TRADEMARK = "trademark", _("商标")
    COPYRIGHT = "copyright", _("著作权")
    IC_LAYOUT = "ic_layout", _("集成电路布图设计")


class EventTypeChoices(models.TextChoices):
    ANNUITY_PAID = "annuity_paid", _("缴纳年费")
    TERM_COMPENSATION = "term_compensation", _("专利权期限补偿")
    INVALIDATION_REQUESTED = "invalidation_requested", _("无效宣告请求")
    INVALIDATION_DISMISSED = "invalidation_dismissed", _("维持有效（无效请求被驳回）")
    INVALIDATED = "invalidated", _("宣告无效")
    PRESERVATION = "preservation", _("财产保全（冻结）")
    PRESERVATION_LIFTED = "preservation_lifted", _("解除保全")
    DISPUTE = "dispute", _("权属纠纷")
    DISPUTE_RESOLVED = "dispute_resolved", _("权属纠纷结案")
    TRANSFER = "transfer", _("转让")
    LICENCE = "licence", _("许可备案")
    SURRENDER = "surrender", _("放弃")
    RESTORED = "restored", _("恢复权利")
    RENEWAL_FILED = "renewal_filed", _("续展申请")
    RENEWED = "renewed", _("核准续展")


class ApplicantTypeChoices(models.TextChoices):
    """The first-named applicant's type, in CNIPA's statistics' categories (申请人类型);
    "" = unknown. Public bodies (机关团体) are government bodies, associations, hospitals, armed
    forces and schools below college. Read from a source's own 申请人类型 when it has one
    (domain.APPLICANT_TYPE_LABELS), else from the name (domain.applicant_type_of)."""

    ENTERPRISE = "enterprise", _("企业")
    UNIVERSITY = "university", _("大专院校")
    INSTITUTE = "institute", _("科研单位")
    INDIVIDUAL = "individual", _("个人")
    PUBLIC = "public", _("机关团体")


class AuthorKindChoices(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("法人或非法人组织")


class Right(models.Model):
    number = models.CharField(_("申请号/注册号"), max_length=40, unique=True)
    kind = models.CharField(
        _("类型"), max_length=16, choices=RightKindChoices.choices, db_index=True
    )
    title = models.CharField(_("名称"), max_length=500)
    filing_date = models.DateField(_("申请日"))
    grant_date = models.DateField(_("授权/注册日"), null=True, blank=True)
    publication_no = models.CharField(_("公开（公告）号"), max_length=40, blank=True, db_index=True)
    ipc_main = models.CharField(_("主分类号"), max_length=64, blank=True)
    ipc_codes = models.TextField(_("分类号"), blank=True)
    inventors = models.TextField(_("发明人"), blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    region = models.CharField(_("地区"), max_length=64, blank=True)
    abstract = models.TextField(_("摘要"), blank=True)
    # Trademarks: the mark and the goods it covers (尼斯分类 classes and 类似群 similar groups).
    mark_text = models.CharField(_("商标名称"), max_length=200, blank=True)
    nice_classes = models.JSONField(_("类别"), default=list, blank=True)
    similar_groups = models.JSONField(_("类似群"), default=list, blank=True)
    source = models.CharField(_("数据来源"), max_length=100, blank=True)
    # Indicators of a patent's technical and economic value (价值度), when a source gives them;
    # null = unknown (never 0: a source that does not say is not a source that says none).
    claims_count = models.PositiveIntegerField(_("权利要求项数"), null=True, blank=True)
    cited_by_count = models.PositiveIntegerField(_("被引证次数"), null=True, blank=True)
    family_size = models.PositiveIntegerField(_("简单同族数量"), null=True, blank=True)
    # Backward citations (OECD): how many references the patent lists (CNIPR 参考文献 counted,
    # the legal-status export's 引证数, or given to right_create); null = unknown.
    backward_citations = models.PositiveIntegerField(_("引证文献数"), null=True, blank=True)
    # The applicants at filing (not the current holders): the first-named one's type ("" =
    # unknown: the source neither states it nor does the name tell) and how many distinct
    # applicants there were (null = unknown). Set by the imports (import_mapping's docstring
    # names each source's columns), by right_create from the owners entered, and for rights
    # registered before by migration 0005 from their earliest owners.
    applicant_type = models.CharField(
        _("申请人类型"), max_length=16, choices=ApplicantTypeChoices.choices, blank=True, default=""
    )
    applicant_count = models.PositiveSmallIntegerField(_("申请人数"), null=True, blank=True)
    # What the true term depends on beyond the filing date (null = not recorded):
    # IC layouts (条例 art. 12) and copyright (著作权法 art. 23).
    first_commercial_use = models.DateField(_("首次商业利用日"), null=True, blank=True)
    created_on = models.DateField(_("创作完成日"), null=True, blank=True)
    author_kind = models.CharField(
        _("作者类型"), max_length=16, choices=AuthorKindChoices.choices, blank=True, default=""
    )
    author_died_on = models.DateField(_("作者死亡日期"), null=True, blank=True)
    first_published_on = models.DateField(_("首次发表日"), null=True, blank=True)
    # A utility model: the same applicant's same-day invention application for the same creation
    # (专利法 art. 9; 专利权质押登记办法: a refusal ground unless both parties still proceed).
    same_day_invention = models.CharField(
        _("同日申请的发明专利"), max_length=40, blank=True, default=""
    )
    # Optimistic locking (ipfin.common.versioning): one more on every save; an edit names the
    # version it was made from, and a stale one is refused (409 version_conflict).
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("知识产权")
        verbose_name_plural = _("知识产权")
        constraints = [
            models.CheckConstraint(
                condition=Q(grant_date__isnull=True) | Q(grant_date__gte=models.F("filing_date")),
                name="right_grant_not_before_filing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class RightOwner(models.Model):
    """An owner of a right over a period.

    Co-owners hold shares; a transfer closes the current set and opens the next (holder history).
    """

    right = models.ForeignKey(Right, on_delete=models.CASCADE, related_name="owners")
    name = models.CharField(_("权利人"), max_length=300)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    share = models.DecimalField(_("份额"), max_digits=7, decimal_places=6, default=1)
    valid_from = models.DateField(_("起始日"))
    valid_to = models.DateField(_("终止日"), null=True, blank=True)  # exclusive; null = current

    class Meta:
        ordering = ["right_id", "valid_from", "id"]
        indexes = [models.Index(fields=["right", "valid_to"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=1), name="right_owner_share_in_0_1"
            ),
        ]


class RightEvent(models.Model):
    right = models.ForeignKey(Right, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("事件"), max_length=32, choices=EventTypeChoices.choices)
    date = models.DateField(_("日期"))
    # Type-specific data: annuity year, invalidation scope, licence kind and licensee, new owners...
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["right", "date"])]
