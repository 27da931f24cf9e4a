"""Pledge registration: the application, the rights it covers, its documents and its changes.

One row per pledge from application to release; `state` follows the transition table in
`ipfin.pledges.domain`. The database itself guarantees that a right is covered by at most one
active pledge or pending application (`one_active_pledge_per_right`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PledgeStateChoices(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("待对方确认")
    SUBMITTED = "submitted", _("待审查")
    CORRECTION_REQUESTED = "correction_requested", _("待补正")
    REGISTERED = "registered", _("已登记")
    REJECTED = "rejected", _("不予登记")
    RELEASED = "released", _("已注销")
    WITHDRAWN = "withdrawn", _("已撤回")
    DECLINED = "declined", _("对方拒绝")
    LAPSED = "lapsed", _("逾期未确认")


class PartyChoices(models.TextChoices):
    """The two parties of a joint application (专利权质押登记办法 art. 3: 共同办理)."""

    PLEDGEE = "pledgee", _("质权人")
    PLEDGOR = "pledgor", _("出质人")


class ReleaseBasisChoices(models.TextChoices):
    DEBT_DISCHARGED = "debt_discharged", _("主债务已履行完毕")
    PLEDGE_WAIVED = "pledge_waived", _("质权人放弃质权")
    JOINT = "joint", _("双方共同申请注销")
    # The pledgee sold the right to realise its pledge (质权实现, 民法典 art. 436): set by the
    # disposal's completion (ipfin.disposals), never offered in the release form or API.
    REALISED = "realised", _("质权已实现（质物处置）")


class Pledge(models.Model):
    state = models.CharField(
        _("状态"),
        max_length=24,
        choices=PledgeStateChoices.choices,
        default=PledgeStateChoices.AWAITING_CONFIRMATION,
    )
    # Who filed (signed first); the other party confirms (signs) before the examiner sees it.
    initiator = models.CharField(
        _("发起方"), max_length=8, choices=PartyChoices.choices, default=PartyChoices.PLEDGEE
    )
    confirm_by = models.DateField(_("确认期限"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    pledgee = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="pledges_as_pledgee",
        verbose_name=_("质权人"),
    )
    pledgor = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="pledges_as_pledgor",
        verbose_name=_("出质人"),
    )
    debt_amount = models.DecimalField(_("被担保主债权数额"), max_digits=16, decimal_places=2)
    term_start = models.DateField(_("债务履行期限起"))
    term_end = models.DateField(_("债务履行期限止"))
    contract_no = models.CharField(_("质押合同编号"), max_length=100)
    scope = models.TextField(_("担保范围"), blank=True)
    forfeiture_clause = models.BooleanField(_("含流质条款"), default=False)
    co_owner_consent = models.BooleanField(_("共有人同意"), default=False)
    proceed_despite_invalidation = models.BooleanField(
        _("双方知悉无效程序仍请求登记"), default=False
    )
    proceed_despite_same_day = models.BooleanField(
        _("双方知悉同日申请发明专利仍请求登记"), default=False
    )
    checks = models.JSONField(_("预审结果"), default=list, encoder=DjangoJSONEncoder)
    registration_no = models.CharField(
        _("登记号"), max_length=32, unique=True, null=True, blank=True
    )
    effective_date = models.DateField(_("生效日"), null=True, blank=True)
    deadline = models.DateField(_("审查期限"), null=True, blank=True)
    decision_reason = models.TextField(_("审查意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Dual control (settings.IPFIN_DUAL_CONTROL_ABOVE): the examiner who proposed the approval
    # of an application above the threshold; a second examiner registers it.
    approval_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提议准予登记的审查员"),
    )
    approval_proposed_at = models.DateTimeField(_("提议时间"), null=True, blank=True)
    # The examiner's desk: the examiner who holds the case (claimed it, or was assigned it by an
    # office administrator); while held, no other examiner decides it (services/assignment.py).
    # Kept after the decision, as who examined it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承办审查员"),
    )
    assigned_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    released_on = models.DateField(_("注销日"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # 注销登记 filed jointly: the pledgor's request, which the pledgee's release completes.
    release_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release_requested_on = models.DateField(_("出质人申请注销日"), null=True, blank=True)
    release_basis = models.CharField(
        _("注销依据"), max_length=16, choices=ReleaseBasisChoices.choices, blank=True, default=""
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("质押登记")
        verbose_name_plural = _("质押登记")
        constraints = [
            models.CheckConstraint(condition=Q(debt_amount__gt=0), name="pledge_debt_positive"),
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")), name="pledge_term_ordered"
            ),
            models.CheckConstraint(
                condition=~Q(state="registered") | Q(registration_no__isnull=False),
                name="pledge_registered_has_number",
            ),
        ]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return self.registration_no or f"#{self.pk}"


class PledgeItem(models.Model):
    """A right covered by a pledge. `active` is true while the pledge is pending or registered."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="items")
    right = models.ForeignKey(
        "registry.Right", on_delete=models.PROTECT, related_name="pledge_items"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "right"], name="pledge_item_once"),
            # 专利权质押登记办法: a right already pledged may not be pledged again. Enforced by the
            # database so that two concurrent applications can never both hold the right.
            models.UniqueConstraint(
                fields=["right"], condition=Q(active=True), name="one_active_pledge_per_right"
            ),
        ]


class PledgeDocument(models.Model):
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=32, default="contract")
    file = models.FileField(upload_to="pledge_documents/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]


class ChangeStateChoices(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("待对方确认")
    SUBMITTED = "submitted", _("待审查")
    CORRECTION_REQUESTED = "correction_requested", _("待补正")
    APPROVED = "approved", _("已变更")
    REJECTED = "rejected", _("不予变更")
    WITHDRAWN = "withdrawn", _("已撤回")
    DECLINED = "declined", _("对方拒绝")
    LAPSED = "lapsed", _("逾期未确认")


# A change application in one of these states is open: one at a time per pledge.
OPEN_CHANGE_STATES = ("awaiting_confirmation", "submitted")


class PledgeChange(models.Model):
    """A change registration (变更登记) of a registered pledge: the parties' joint application
    (what would change, from what to what) and the office's decision. The pledge's registered
    terms change only on approval (`effective_date`)."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="changes")
    state = models.CharField(
        _("状态"),
        max_length=24,
        choices=ChangeStateChoices.choices,
        default=ChangeStateChoices.AWAITING_CONFIRMATION,
    )
    initiator = models.CharField(
        _("发起方"), max_length=8, choices=PartyChoices.choices, default=PartyChoices.PLEDGEE
    )
    changed_on = models.DateField()  # the day the change was filed
    before = models.JSONField(encoder=DjangoJSONEncoder)
    after = models.JSONField(encoder=DjangoJSONEncoder)
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirm_by = models.DateField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateField(_("审查期限"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    effective_date = models.DateField(_("变更生效日"), null=True, blank=True)
    # As on Pledge: the examiner who holds the change application (services/assignment.py).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承办审查员"),
    )
    assigned_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    # Dual control, as on Pledge: a change raising the secured debt above
    # IPFIN_DUAL_CONTROL_ABOVE is proposed by one examiner and approved by another.
    approval_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approval_proposed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pledge"],
                condition=Q(state__in=OPEN_CHANGE_STATES),
                name="one_open_change_per_pledge",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved") | Q(effective_date__isnull=False),
                name="pledge_change_approved_has_date",
            ),
        ]


class RegistrationCounter(models.Model):
    """Per-year sequence of registration numbers, taken under a row lock."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class DepositOutcomeChoices(models.TextChoices):
    """ipfin.pledges.domain.DepositOutcome, with its labels."""

    PAID = "paid", _("已从预缴款中缴纳")
    PAID_OTHERWISE = "paid_otherwise", _("已另行缴纳")
    NOT_PAYABLE = "not_payable", _("无法缴纳")


class AnnuityDeposit(models.Model):
    """预缴年费 (issue 12, seed 000): the annuities of one pledged right falling due during the
    pledge's term, deposited by the pledgor or the pledgee bank (`depositor`). `amount` is the sum
    of its years' fees; each year is paid from it on its due date (`AnnuityDepositYear`); when the
    pledge is released what was not paid is refunded (`refunded_on`, `refund_amount`). Live while
    not refunded: at most one live deposit per pledge and right."""

    pledge = models.ForeignKey(
        Pledge,
        on_delete=models.PROTECT,
        related_name="annuity_deposits",
        verbose_name=_("质押登记"),
    )
    right = models.ForeignKey(
        "registry.Right", on_delete=models.PROTECT, related_name="+", verbose_name=_("知识产权")
    )
    depositor = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("预缴方"),
    )
    amount = models.DecimalField(_("预缴金额"), max_digits=16, decimal_places=2)
    created_on = models.DateField(_("预缴日"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    refunded_on = models.DateField(_("退还日"), null=True, blank=True)
    refund_amount = models.DecimalField(
        _("退还金额"), max_digits=16, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("预缴年费")
        verbose_name_plural = _("预缴年费")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="annuity_deposit_positive"),
            models.CheckConstraint(
                condition=Q(refunded_on__isnull=True, refund_amount__isnull=True)
                | Q(
                    refunded_on__isnull=False,
                    refund_amount__gte=0,
                    refund_amount__lte=models.F("amount"),
                ),
                name="annuity_deposit_refund_within_amount",
            ),
            models.UniqueConstraint(
                fields=["pledge", "right"],
                condition=Q(refunded_on__isnull=True),
                name="one_live_annuity_deposit",
            ),
        ]


class AnnuityDepositYear(models.Model):
    """One annuity a deposit covers: the patent year, its due date and its fee. Settled on its due
    date (`drawn_on`) as `outcome`: paid from the deposit (`event`, the register's annuity_paid
    event), paid otherwise, or not payable (`refusal`: the register's code)."""

    deposit = models.ForeignKey(AnnuityDeposit, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("年度"))
    due_date = models.DateField(_("缴费期限"))
    amount = models.DecimalField(_("年费"), max_digits=16, decimal_places=2)
    drawn_on = models.DateField(_("扣缴日"), null=True, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=16, choices=DepositOutcomeChoices.choices, blank=True, default=""
    )
    event = models.ForeignKey(
        "registry.RightEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    refusal = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["deposit_id", "year"]
        constraints = [
            models.UniqueConstraint(fields=["deposit", "year"], name="annuity_deposit_year_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="annuity_deposit_year_positive"),
            models.CheckConstraint(
                condition=Q(drawn_on__isnull=True, outcome="")
                | (Q(drawn_on__isnull=False) & ~Q(outcome="")),
                name="annuity_deposit_year_drawn_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(outcome="paid", event__isnull=False)
                | (~Q(outcome="paid") & Q(event__isnull=True)),
                name="annuity_deposit_year_paid_has_event",
            ),
        ]
        indexes = [
            # The daily draw reads the years not settled yet by due date.
            models.Index(
                fields=["due_date"],
                condition=Q(drawn_on__isnull=True),
                name="annuity_deposit_year_due",
            )
        ]
