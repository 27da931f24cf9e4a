"""Disposals of defaulted pledges (质物处置, issue 12; DOMAIN.md glossary "disposal"), their bids.

- `Disposal`: one listing of a registered pledge on the platform's trading board by its pledgee
  bank, for the one defaulted loan the pledge secures: the lot (the pledge's rights when
  listed), the method, the reserve (from the named
  valuation, whose value is copied), the increment, the listing day and the close (moved by
  late bids), the leading bid (kept on the row, written under its lock), the buyer and the price
  once sold (the leading bidder, or the trading centre that backstopped it), and, once
  completed, how the price was applied (ipfin.disposals.domain.split_proceeds); once withdrawn
  by the pledgee, who, when and why (a withdrawn listing is not live: the pledge may be listed
  again). States: ipfin.disposals.domain.
- `Bid`: an accepted bid; a refused one leaves no row. `bidder_no` is the bidder's number in
  this listing (竞买号), the only name the public board shows.

Single-row invariants are database constraints; one live disposal per pledge and one bid per
amount per disposal are unique indexes (the service's row lock is what orders the bids).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ipfin.disposals.domain import DisposalMethod, DisposalState

# Money columns: max_digits=15, decimal_places=2 (as the other apps' amounts).


class MethodChoices(models.TextChoices):
    AUCTION = DisposalMethod.AUCTION.value, _("拍卖")
    LISTING = DisposalMethod.LISTING.value, _("挂牌转让")
    REVERSE_LICENCE = DisposalMethod.REVERSE_LICENCE.value, _("反向许可")
    EQUITY = DisposalMethod.EQUITY.value, _("质权转股权")


class DisposalStateChoices(models.TextChoices):
    LISTED = DisposalState.LISTED.value, _("挂牌中")
    BACKSTOPPED = DisposalState.BACKSTOPPED.value, _("已收储，待成交")
    COMPLETED = DisposalState.COMPLETED.value, _("已成交")
    WITHDRAWN = DisposalState.WITHDRAWN.value, _("已撤回")


# Completed and withdrawn are not live: a withdrawn listing leaves the pledge free to list again.
LIVE_STATES = [DisposalState.LISTED.value, DisposalState.BACKSTOPPED.value]
# The longest reason a withdrawal keeps (as the loans' reasons: decline, classify, write-off).
WITHDRAW_REASON_MAX = 2000


class Disposal(models.Model):
    pledge = models.ForeignKey("pledges.Pledge", on_delete=models.PROTECT, related_name="disposals")
    loan = models.ForeignKey("loans.Loan", on_delete=models.PROTECT, related_name="disposals")
    # The pledgee bank (the seller) and the pledgor, copied from the pledge: tenancy and bidding.
    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="disposals_as_seller"
    )
    pledgor = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="disposals_as_pledgor"
    )
    method = models.CharField(_("处置方式"), max_length=16, choices=MethodChoices.choices)
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=DisposalStateChoices.choices,
        default=DisposalStateChoices.LISTED,
    )
    # What is sold: the pledge's rights when listed (the lot); the completion transfers them.
    rights = models.ManyToManyField("registry.Right", related_name="disposals")
    valuation = models.ForeignKey(
        "valuation.Valuation", on_delete=models.PROTECT, related_name="disposals"
    )
    valuation_value = models.DecimalField(_("评估值（元）"), max_digits=15, decimal_places=2)
    reserve_price = models.DecimalField(_("起拍价（元）"), max_digits=15, decimal_places=2)
    increment = models.DecimalField(_("加价幅度（元）"), max_digits=15, decimal_places=2)
    listed_on = models.DateField(_("挂牌日"))
    closes_at = models.DateTimeField(_("竞价截止时间"))
    leading_amount = models.DecimalField(
        _("当前最高出价（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    leading_bidder = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The sale: the leading bidder after the close, or the trading centre that backstopped it.
    buyer = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disposals_bought",
    )
    price = models.DecimalField(
        _("成交价（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    backstopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    backstopped_at = models.DateTimeField(_("收储时间"), null=True, blank=True)
    # Completion: the price applied (domain.split_proceeds) and what the loans app recorded.
    completed_on = models.DateField(_("成交日"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    disposal_costs = models.DecimalField(
        _("处置费用（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    owed = models.DecimalField(
        _("成交日应还款额（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    to_loan = models.DecimalField(
        _("用于清偿贷款（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    to_pledgor = models.DecimalField(
        _("返还出质人（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    shortfall = models.DecimalField(
        _("不足清偿部分（元）"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    # Withdrawal (撤回挂牌) by the pledgee bank, before completion.
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdraw_reason = models.TextField(_("撤回理由"), blank=True)
    repayment = models.ForeignKey(
        "loans.Repayment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claim = models.ForeignKey(
        "risk.RiskClaim", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("质物处置")
        verbose_name_plural = _("质物处置")
        indexes = [models.Index(fields=["state", "-listed_on"], name="disposal_state_listed")]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=MethodChoices.values), name="disposal_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=DisposalStateChoices.values), name="disposal_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(reserve_price__gt=0) & Q(increment__gt=0),
                name="disposal_reserve_increment_positive",
            ),
            models.CheckConstraint(
                condition=Q(leading_amount__isnull=True)
                | Q(leading_amount__gte=F("reserve_price")),
                name="disposal_leading_at_least_reserve",
            ),
            models.CheckConstraint(
                condition=~Q(state=DisposalState.COMPLETED.value)
                | (Q(buyer__isnull=False) & Q(price__gt=0) & Q(completed_on__isnull=False)),
                name="disposal_completed_has_a_sale",
            ),
            models.CheckConstraint(
                condition=~Q(state=DisposalState.WITHDRAWN.value)
                | (Q(withdrawn_at__isnull=False) & ~Q(withdraw_reason="")),
                name="disposal_withdrawn_has_a_reason",
            ),
            # One live listing of a pledge at a time (also under concurrent requests).
            models.UniqueConstraint(
                fields=["pledge"],
                condition=Q(state__in=LIVE_STATES),
                name="one_live_disposal_per_pledge",
            ),
        ]

    def __str__(self) -> str:
        return f"质物处置 #{self.pk}"


class Bid(models.Model):
    disposal = models.ForeignKey(Disposal, on_delete=models.PROTECT, related_name="bids")
    bidder = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="disposal_bids"
    )
    bidder_no = models.PositiveIntegerField(_("竞买号"))
    amount = models.DecimalField(_("出价（元）"), max_digits=15, decimal_places=2)
    placed_at = models.DateTimeField(_("出价时间"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("出价")
        verbose_name_plural = _("出价")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bid_amount_positive"),
            # Accepted bids strictly ascend: no two of one listing share an amount.
            models.UniqueConstraint(fields=["disposal", "amount"], name="one_bid_per_amount"),
        ]
