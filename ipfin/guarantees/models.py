"""A guarantee on an IP-pledge loan (质押+担保, seed 002): the lending bank asks a guarantor
(担保机构) to cover a share of the loan's loss up to a cap for a fee; the guarantor issues or
declines it; the fee is charged when the loan is disbursed (at once if it already is); on default
the bank calls it for the guarantor's part of the loss, the guarantor pays, and what a later
disposal recovers is shared back (ipfin.guarantees.domain for the money rules).

At most one live guarantee (requested, issued, called or paid) per loan: a database constraint,
so that two requests at once cannot both stand."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ipfin.guarantees.domain import MAX_ENFORCEMENT_REF


class GuaranteeStateChoices(models.TextChoices):
    REQUESTED = "requested", _("待出具")
    ISSUED = "issued", _("已出具")
    DECLINED = "declined", _("已拒绝")
    CALLED = "called", _("已索赔")
    PAID = "paid", _("已代偿")
    SETTLED = "settled", _("已结算")


LIVE_STATES = ("requested", "issued", "called", "paid")


class LiabilityChoices(models.TextChoices):
    # 民法典 art. 688: the guarantor is liable as the debtor is, called once the debt is not paid.
    JOINT = "joint", _("连带责任保证")
    # 民法典 art. 687: the guarantor may refuse until the debt was tried (or arbitrated) and
    # enforcement on the debtor's property still left it unpaid (先诉抗辩权).
    GENERAL = "general", _("一般保证")


class Guarantee(models.Model):
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, related_name="guarantees", verbose_name=_("贷款")
    )
    bank = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="guarantees_asked",
        verbose_name=_("贷款银行"),
    )
    guarantor = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="guarantees_given",
        verbose_name=_("担保机构"),
    )
    state = models.CharField(
        _("状态"), max_length=12, choices=GuaranteeStateChoices.choices, default="requested"
    )
    share = models.DecimalField(_("担保比例"), max_digits=11, decimal_places=10)
    cap = models.DecimalField(_("担保责任上限"), max_digits=15, decimal_places=2)
    fee_rate = models.DecimalField(_("年担保费率"), max_digits=11, decimal_places=10)
    # 保证期间 (民法典 art. 692): months after the loan falls due (six where none was agreed).
    period_months = models.PositiveSmallIntegerField(_("保证期间（月）"), default=6)
    liability = models.CharField(
        _("保证方式"), max_length=8, choices=LiabilityChoices.choices, default="joint"
    )
    # A general guarantee's call (民法典 arts. 687, 693 ¶1): the day the bank sued the borrower
    # (or applied for arbitration), within the guarantee period, and the court's ruling that
    # enforcement left the debt unpaid (or the art. 687 ¶2 ground that dispenses with it).
    sued_on = models.DateField(_("起诉或申请仲裁日"), null=True, blank=True)
    enforcement_ref = models.CharField(
        _("执行结果或免于先诉的情形"), max_length=MAX_ENFORCEMENT_REF, blank=True
    )
    fee = models.DecimalField(_("担保费"), max_digits=15, decimal_places=2, null=True, blank=True)
    fee_charged_on = models.DateField(_("担保费收取日"), null=True, blank=True)
    decline_reason = models.CharField(_("拒绝理由"), max_length=500, blank=True)
    loss = models.DecimalField(_("索赔时损失"), max_digits=15, decimal_places=2, null=True)
    due = models.DecimalField(_("应代偿金额"), max_digits=15, decimal_places=2, null=True)
    paid = models.DecimalField(_("已代偿金额"), max_digits=15, decimal_places=2, null=True)
    paid_on = models.DateField(_("代偿日"), null=True, blank=True)
    proceeds = models.DecimalField(_("处置回收"), max_digits=15, decimal_places=2, null=True)
    refund = models.DecimalField(_("返还担保机构"), max_digits=15, decimal_places=2, null=True)
    # Of `refund`, what the guarantor recorded as received from the bank so far, and the day of
    # its latest receipt (services.guarantee_refund_receive).
    refund_received = models.DecimalField(
        _("已收到返还款"), max_digits=15, decimal_places=2, default=Decimal("0.00")
    )
    refund_received_on = models.DateField(_("最近收到返还款日"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("融资担保")
        verbose_name_plural = _("融资担保")
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(state__in=LIVE_STATES),
                name="guarantee_one_live_per_loan",
            ),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=1) & Q(cap__gt=0),
                name="guarantee_terms_valid",
            ),
            models.CheckConstraint(
                condition=Q(fee_rate__gte=0) & Q(fee_rate__lte=1), name="guarantee_fee_rate_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"guarantee #{self.pk} on loan #{self.loan_id}"
