"""Valuations of IP rights, banks' internal valuation models, portfolio scores and enterprise
credit profiles.

- `Valuation`: one valuation report of one right or a package of rights (`ValuationRight`), made
  by a valuation agency or a bank, optionally for a client bank; draft → issued → rechecked
  (`ValuationState`; transitions in `ipfin.valuation.services`). `inputs` keeps what was
  submitted (decimals as strings), `result` the engine's explanation (per-year table, adjusted
  comparables, P10/P50/P90...), `value` the figure in yuan. A recheck by the client bank stores
  its internal value, the deviation, the threshold applied and whether the report was flagged.
- `BankValuationModel`: a bank's own model (haircuts by right kind, maximum pledge rates by
  product, recheck threshold, score floor); a bank without one uses the engine's
  `BankModel.default()` (ipfin.valuation.domain.bank).
- `RightScore`: the indicator score (价值度) of one right, one row per right (the right's id is
  the key), written set-based by `ipfin score_portfolio` (`ScoreRun`). One float column per
  indicator (ipfin.valuation.domain.indicator.INDICATOR_NAMES) for its points (`c_<name>`):
  plain columns, so that a million rows go in with one binary COPY (no JSON to build per row).
  The cohort percentile is not stored: it is points / (100·α_d·w_i), with the run's weights.
- `EnterpriseCreditProfile`: the non-registry facts of the "IP + credit" scorecard.
- `AgencySeal`: a valuation agency's seal image, printed on the reports it issues.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class ValuationMethod(models.TextChoices):
    INCOME = "income", _("收益法（收益分成法）")
    COST = "cost", _("成本法")
    MARKET = "market", _("市场法")
    BANK_INTERNAL = "bank_internal", _("银行内部评估")


class ValuationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已出具")
    RECHECKED = "rechecked", _("已复核")


class Valuation(models.Model):
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="valuations_made",
        verbose_name=_("评估机构"),
    )
    client_bank = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="valuations_received",
        verbose_name=_("委托银行"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rights = models.ManyToManyField(
        "registry.Right", through="ValuationRight", related_name="valuations"
    )
    method = models.CharField(_("评估方法"), max_length=16, choices=ValuationMethod.choices)
    inputs = models.JSONField(_("评估参数"), default=dict, encoder=DjangoJSONEncoder)
    result = models.JSONField(_("评估结果说明"), default=dict, encoder=DjangoJSONEncoder)
    value = models.DecimalField(_("评估值（元）"), max_digits=15, decimal_places=2)
    state = models.CharField(
        _("状态"), max_length=16, choices=ValuationState.choices, default=ValuationState.DRAFT
    )
    valuation_date = models.DateField(_("评估基准日"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    issued_at = models.DateTimeField(_("出具时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The client bank's recheck (复核) against its internal model.
    internal_value = models.DecimalField(
        _("银行内部评估值（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    # A report up to the largest amount against a bank's figure down to 0.01 deviates by up to
    # 10^15; 12 digits had held under 10^6, and a recheck flagging a flagrant over-valuation
    # failed on storing it. The threshold goes up to 10 (bank_model_update's range).
    deviation = models.DecimalField(
        _("偏离度"), max_digits=22, decimal_places=6, null=True, blank=True
    )
    threshold = models.DecimalField(
        _("偏离阈值"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    flagged = models.BooleanField(_("偏离超限"), default=False)
    recheck = models.JSONField(_("复核说明"), default=dict, encoder=DjangoJSONEncoder)
    rechecked_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The appraisers who sign the report (资产评估师), entered when it is issued: an agency's
    # report is signed by at least two who did the work (资产评估法 2016 art. 26); two different
    # names, or none (a bank's own valuation, a draft).
    appraiser_one = models.CharField(_("签字资产评估师"), max_length=50, blank=True, default="")
    appraiser_two = models.CharField(_("签字资产评估师"), max_length=50, blank=True, default="")
    # The evaluation fee (评估费) the maker charged for the report and who paid it (the enterprise
    # holding the rights valued), stated when it is issued: the base of a fee subsidy (贴费).
    fee = models.DecimalField(_("评估费"), max_digits=15, decimal_places=2, null=True, blank=True)
    fee_payer = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="valuation_fees_paid",
        verbose_name=_("评估费付费方"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("价值评估")
        verbose_name_plural = _("价值评估")
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="valuation_value_not_negative"),
            models.CheckConstraint(
                condition=(Q(fee__isnull=True) & Q(fee_payer__isnull=True))
                | (Q(fee__gt=0) & Q(fee_payer__isnull=False)),
                name="valuation_fee_with_its_payer",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ValuationState.values), name="valuation_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(method__in=ValuationMethod.values), name="valuation_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(issued_at__isnull=False),
                name="valuation_issued_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="rechecked")
                | (
                    Q(rechecked_at__isnull=False)
                    & Q(internal_value__isnull=False)
                    & Q(deviation__isnull=False)
                    & Q(threshold__isnull=False)
                ),
                name="valuation_rechecked_complete",
            ),
            models.CheckConstraint(
                condition=Q(internal_value__isnull=True) | Q(internal_value__gte=0),
                name="valuation_internal_value_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(deviation__isnull=True) | Q(deviation__gte=0),
                name="valuation_deviation_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(appraiser_two="") | ~Q(appraiser_two=models.F("appraiser_one")),
                name="valuation_appraisers_differ",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "state"]),
            models.Index(fields=["client_bank", "state"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_method_display()} {self.value}"


class AgencySeal(models.Model):
    """A valuation agency's seal (评估机构印章) as an image, uploaded by its administrator and
    printed on the signature block of the reports it issues (资产评估法 art. 26: the report bears
    the agency's seal). PNG or JPEG, checked as an image and size-capped by the service
    (`services.agency.agency_seal_upload`); stored under MEDIA_ROOT with its SHA-256."""

    organisation = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="valuation_seal",
        verbose_name=_("评估机构"),
    )
    image = models.ImageField(_("印章图片"), upload_to="agency_seals/")
    content_type = models.CharField(max_length=16)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("评估机构印章")
        verbose_name_plural = _("评估机构印章")
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["image/png", "image/jpeg"]),
                name="agency_seal_png_or_jpeg",
            ),
        ]


class ValuationRight(models.Model):
    """A right in a valuation's package, in the order given. On a recheck: the client bank's own
    value of the right (`reference_value`, the figure the report is compared with) and its
    collateral value under the bank's model, after haircut and score factor (`internal_value`)."""

    valuation = models.ForeignKey(Valuation, on_delete=models.CASCADE, related_name="items")
    right = models.ForeignKey(
        "registry.Right", on_delete=models.PROTECT, related_name="valuation_items"
    )
    position = models.PositiveSmallIntegerField(default=0)
    reference_value = models.DecimalField(max_digits=15, decimal_places=2, null=True, blank=True)
    internal_value = models.DecimalField(max_digits=15, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["valuation_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["valuation", "right"], name="valuation_right_once"),
            models.CheckConstraint(
                condition=Q(reference_value__isnull=True) | Q(reference_value__gte=0),
                name="valuation_right_reference_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(internal_value__isnull=True) | Q(internal_value__gte=0),
                name="valuation_right_internal_not_negative",
            ),
        ]


class BankValuationModel(models.Model):
    """A bank's internal valuation model: haircuts {kind: rate}, max_pledge_rates
    {product: rate} (rates as decimal strings), the recheck threshold and the score floor (see
    ipfin.valuation.domain.bank)."""

    bank = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="valuation_model",
    )
    haircuts = models.JSONField(_("折扣率（按权利类型）"), default=dict)
    max_pledge_rates = models.JSONField(_("最高质押率（按产品）"), default=dict)
    recheck_threshold = models.DecimalField(  # 0 to 10 (bank_model_update)
        _("复核偏离阈值"), max_digits=8, decimal_places=6, default=Decimal("0.30")
    )
    score_floor = models.DecimalField(
        _("评分系数下限"), max_digits=7, decimal_places=6, default=Decimal("0.50")
    )
    # Optimistic locking (ipfin.common.versioning): one more on every save; an edit names the
    # version it was made from, and a stale one is refused (409 version_conflict).
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("银行内部评估模型")
        verbose_name_plural = _("银行内部评估模型")
        constraints = [
            models.CheckConstraint(
                condition=Q(recheck_threshold__gte=0) & Q(recheck_threshold__lte=10),
                name="bank_model_threshold_in_0_10",
            ),
            models.CheckConstraint(
                condition=Q(score_floor__gte=0) & Q(score_floor__lte=1),
                name="bank_model_score_floor_in_0_1",
            ),
        ]


class ScoreRun(models.Model):
    """One run of `ipfin score_portfolio`: when, how many rights, with which weights."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rights_scored = models.PositiveIntegerField(default=0)
    weights = models.JSONField(default=dict)
    seconds = models.JSONField(default=dict)  # per stage: read, score, write
    # The run's cohort minimum and grade calibration, so that a run reproduces: the shares of
    # A, B, C, D asked for and the lower bounds of A, B, C found on this run's scores.
    min_cohort = models.PositiveIntegerField(null=True, blank=True)
    grade_shares = models.JSONField(default=list, blank=True)
    grade_thresholds = models.JSONField(default=list, blank=True)
    # The scores' spread (`domain.indicator.score_spread`): rights per grade and per cohort
    # basis, quartiles, lowest and highest; empty for a run that did not finish.
    spread = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]


class RightScore(models.Model):
    """The stored indicator score of one right (latest run): the score, its grade, the three value
    degrees and what each indicator adds to the score (`c_<name>`, summing to the score)."""

    # The right's id is the key; db_constraint off: the portfolio write is a bulk COPY of a
    # million rows, and a foreign-key trigger per row would cost more than the write itself.
    # Django still cascades the ORM deletion of a right; score_portfolio rewrites every row.
    right = models.OneToOneField(
        "registry.Right",
        on_delete=models.CASCADE,
        primary_key=True,
        db_constraint=False,
        related_name="score",
    )
    # No index either: every row holds the latest run (the write replaces them all), so an index
    # on it would select everything and only cost the write (half a second for a million rows).
    run = models.ForeignKey(
        ScoreRun,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    scored_at = models.DateTimeField(db_default=Now())
    score = models.FloatField()
    grade = models.CharField(max_length=2)
    legal = models.FloatField()
    technical = models.FloatField()
    economic = models.FloatField()
    cohort_size = models.IntegerField()
    # The cohort (ipfin.valuation.domain.cohorts): its basis (index into COHORT_BASES) and the
    # filing years it spans; share_below: the share of the run's rights scoring lower.
    cohort_basis = models.IntegerField(default=0, db_default=0)
    cohort_from = models.IntegerField(null=True)
    cohort_to = models.IntegerField(null=True)
    share_below = models.FloatField(null=True)
    c_remaining_life_years = models.FloatField()
    c_granted = models.FloatField()
    c_invalidation_count = models.FloatField()
    c_litigation_count = models.FloatField()
    c_co_owner_count = models.FloatField()
    c_claims_count = models.FloatField()
    c_cited_by_count = models.FloatField()
    c_ipc_subclass_count = models.FloatField()
    c_family_size = models.FloatField()
    c_licence_count = models.FloatField()
    c_transfer_count = models.FloatField()
    c_expert_legal = models.FloatField()
    c_expert_technical = models.FloatField()
    c_expert_economic = models.FloatField()
    # Indicators added with the cohort backoff (0 in the rows of earlier runs).
    c_invalidations_survived = models.FloatField(default=0.0, db_default=0.0)
    c_backward_citations = models.FloatField(default=0.0, db_default=0.0)
    c_grant_lag_days = models.FloatField(default=0.0, db_default=0.0)
    c_applicant_count = models.FloatField(default=0.0, db_default=0.0)
    c_pledge_count = models.FloatField(default=0.0, db_default=0.0)
    c_applicant_type = models.FloatField(default=0.0, db_default=0.0)

    class Meta:
        verbose_name = _("价值度评分")
        verbose_name_plural = _("价值度评分")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="right_score_in_0_100"
            ),
        ]


class RatingChoices(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    BBB = "BBB", "BBB"
    BB = "BB", "BB"
    B = "B", "B"
    CCC = "CCC", "CCC"
    CC = "CC", "CC"
    C = "C", "C"


class TaxCreditChoices(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    M = "M", "M"
    C = "C", "C"
    D = "D", "D"


class EnterpriseCreditProfile(models.Model):
    """What the "IP + credit" scorecard needs beyond the register (which gives the IP group).

    `established_on` rather than years in business: the years are counted on the day of scoring.
    """

    organisation = models.OneToOneField(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="credit_profile",
    )
    rd_expense_ratio = models.DecimalField(
        _("研发费用占比"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    high_tech = models.BooleanField(_("高新技术企业"), default=False)
    specialised_sme = models.BooleanField(_("专精特新企业"), default=False)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    credit_rating = models.CharField(
        _("信用评级"), max_length=3, choices=RatingChoices.choices, blank=True
    )
    overdue_count_24m = models.PositiveIntegerField(_("近24个月逾期次数"), default=0)
    revenue = models.DecimalField(
        _("营业收入（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    revenue_growth = models.DecimalField(
        _("营业收入增长率"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    debt_ratio = models.DecimalField(
        _("资产负债率"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    tax_credit_grade = models.CharField(
        _("纳税信用等级"), max_length=1, choices=TaxCreditChoices.choices, blank=True
    )
    # Where the tax credit grade comes from: the imported record (its file, source and date), or
    # None when it was entered by hand (the enterprise or its bank).
    tax_credit_grade_record = models.ForeignKey(
        "valuation.CreditRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Optimistic locking (ipfin.common.versioning): one more on every save; an edit names the
    # version it was made from, and a stale one is refused (409 version_conflict).
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("企业信用画像")
        verbose_name_plural = _("企业信用画像")
        constraints = [
            models.CheckConstraint(
                condition=Q(rd_expense_ratio__isnull=True)
                | (Q(rd_expense_ratio__gte=0) & Q(rd_expense_ratio__lte=10)),
                name="credit_profile_rd_ratio_in_0_10",
            ),
            models.CheckConstraint(
                condition=Q(revenue__isnull=True) | Q(revenue__gte=0),
                name="credit_profile_revenue_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(debt_ratio__isnull=True)
                | (Q(debt_ratio__gte=0) & Q(debt_ratio__lte=5)),
                name="credit_profile_debt_ratio_in_0_5",
            ),
            models.CheckConstraint(
                condition=Q(credit_rating="") | Q(credit_rating__in=RatingChoices.values),
                name="credit_profile_rating_valid",
            ),
            models.CheckConstraint(
                condition=Q(tax_credit_grade="") | Q(tax_credit_grade__in=TaxCreditChoices.values),
                name="credit_profile_tax_grade_valid",
            ),
        ]


class CreditFileKindChoices(models.TextChoices):
    TAX_GRADE = "tax_grade", _("纳税信用等级")
    PUBLIC_CREDIT = "public_credit", _("信用中国公示记录")
    COURT_JUDGMENT = "court_judgment", _("裁判文书")


class CreditDataImport(models.Model):
    """One credit data file imported (ipfin.valuation.services.credit_imports): stored only when
    every row passed its checks; the rows of enterprises not on the platform are listed, not
    stored."""

    kind = models.CharField(_("数据类别"), max_length=20, choices=CreditFileKindChoices.choices)
    source = models.CharField(_("数据来源"), max_length=200)
    as_of = models.DateField(_("数据日期"))
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_applied = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list)  # [{row, uscc, name}]: not platform enterprises
    # How many: the lists read `rows_skipped`, never `skipped` (a provincial list's 50,000 rows).
    rows_skipped = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("信用数据导入")


class CreditRecord(models.Model):
    """One record about an enterprise from an imported file, with where it came from."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="credit_records"
    )
    data_import = models.ForeignKey(
        CreditDataImport, on_delete=models.PROTECT, related_name="records"
    )
    kind = models.CharField(max_length=20, choices=CreditFileKindChoices.choices)
    value = models.CharField(max_length=20)  # the grade, the record's type, the litigant's role
    on = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-on", "-pk"]
        constraints = [
            # The same record in two files is stored once; two records of one day differ in
            # their reference or their content.
            models.UniqueConstraint(
                fields=["organisation", "kind", "on", "value", "reference", "detail"],
                condition=~Q(kind=CreditFileKindChoices.TAX_GRADE),
                name="credit_record_once_v3",
            ),
            # A grade is a file's statement about a year, which a later list may correct and a
            # still later one correct back: each file keeps its own, so that the scorecard can
            # name the file its grade comes from (ipfin.valuation.services.credit_imports).
            models.UniqueConstraint(
                fields=["data_import", "organisation", "on", "value", "reference", "detail"],
                condition=Q(kind=CreditFileKindChoices.TAX_GRADE),
                name="credit_grade_once_per_file",
            ),
        ]


class ScoreStage(models.Model):
    """The raw indicator inputs of a block of rights, read by one chunk of a background scoring
    run (`ipfin.valuation.jobs`): the chunks read the register in parallel, each its range of
    right ids; the run's last step reads them all back, scores the whole register at once (the
    percentiles rank each right within its cohort, so the scoring itself needs every right) and
    deletes them.

    One row per block of right ids (`portfolio._PACK_SHIFT`), its `rights` rows packed into
    `columns`: big-endian 64-bit integers, row after row, one per name of `portfolio._RAW`. So the
    last step reads a handful of rows rather than a million (a million COPY messages cost the
    client seconds of its own). On PostgreSQL the table is UNLOGGED and the packed column not
    compressed (migration 0009): scratch rows, written without WAL; a crash of the server
    empties it, and the run's last step then finds fewer rights than its chunks read and fails
    the run, the stored scores untouched."""

    pk = models.CompositePrimaryKey("job", "first_id")
    job = models.BigIntegerField()  # the JobRun's id
    first_id = models.BigIntegerField()  # the lowest right id of the block
    rights = models.IntegerField()
    columns = models.BinaryField()
