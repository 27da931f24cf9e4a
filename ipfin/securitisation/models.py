"""Licence-royalty receivables (许可使用费应收账款) for a securitised pool: the licence-back
structure of the Pudong IP ABS deals, where the holders license their rights and the royalties the
licensee owes on a schedule are the pool's assets (issue 16). A receivable rests on a licence
recorded in the register (ipfin.registry: a licence event naming the licensee), is the
originating bank's (its tenant), and holds the royalties due by date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RoyaltyReceivable(models.Model):
    bank = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="royalty_receivables",
        verbose_name=_("原始权益人（银行）"),
    )
    right = models.ForeignKey("registry.Right", on_delete=models.PROTECT, related_name="+")
    licence_event = models.ForeignKey(
        "registry.RightEvent", on_delete=models.PROTECT, related_name="+"
    )
    licensor = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("许可人"),
    )
    licensee = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("被许可人（债务人）"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # One receivable per licence: its royalties are sold once, whichever bank records them.
        constraints = [
            models.UniqueConstraint(fields=["licence_event"], name="royalty_once_per_licence")
        ]
        verbose_name = _("许可使用费应收账款")
        verbose_name_plural = _("许可使用费应收账款")


class RoyaltyPayment(models.Model):
    receivable = models.ForeignKey(
        RoyaltyReceivable, on_delete=models.CASCADE, related_name="payments"
    )
    due_on = models.DateField(_("应付日"))
    amount = models.DecimalField(_("应付许可使用费"), max_digits=15, decimal_places=2)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(fields=["receivable", "due_on"], name="royalty_one_per_day"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="royalty_amount_positive"),
        ]


class MemberStateChoices(models.TextChoices):
    INVITED = "invited", _("待答复")
    ACCEPTED = "accepted", _("已同意")
    DECLINED = "declined", _("已拒绝")


class PoolProgramme(models.Model):
    """A pool of several banks' loans (issue 16: "IP-pledge loans of one or several banks"): the
    arranging bank invites others; each that accepts contributes its eligible loans, and shares
    their loan-level figures with the arranger, to the pools the arranger previews."""

    name = models.CharField(_("专项计划名称"), max_length=200)
    arranger = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="abs_programmes_arranged",
        verbose_name=_("牵头银行"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("资产支持专项计划")
        verbose_name_plural = _("资产支持专项计划")


class ProgrammeMember(models.Model):
    programme = models.ForeignKey(PoolProgramme, on_delete=models.CASCADE, related_name="members")
    bank = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="abs_memberships"
    )
    state = models.CharField(
        _("答复"), max_length=10, choices=MemberStateChoices.choices, default="invited"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "bank"], name="programme_bank_once"),
        ]
