"""The trading board's records (知识产权运营, ipfin.trading.domain for the rules): a listing of one
right for sale or licence, the expressions of interest in it, and a deal agreed on it with the
pledgees' consents it needs, until the trading centre records it in the register."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ListingKindChoices(models.TextChoices):
    SALE = "sale", _("转让")
    LICENCE = "licence", _("许可")


class PriceKindChoices(models.TextChoices):
    FIXED = "fixed", _("标价")
    RESERVE = "reserve", _("底价（可议价）")


class LicenceTypeChoices(models.TextChoices):
    EXCLUSIVE = "exclusive", _("独占许可")
    SOLE = "sole", _("排他许可")
    ORDINARY = "ordinary", _("普通许可")


class ListingStateChoices(models.TextChoices):
    OPEN = "open", _("挂牌中")
    DEALT = "dealt", _("已成交")
    WITHDRAWN = "withdrawn", _("已撤牌")


class DealStateChoices(models.TextChoices):
    AWAITING_CONSENT = "awaiting_consent", _("待质权人同意")
    READY = "ready", _("待交易中心登记")
    RECORDED = "recorded", _("已登记")
    REFUSED = "refused", _("质权人不同意")
    LAPSED = "lapsed", _("已失效")


class ConsentStateChoices(models.TextChoices):
    PENDING = "pending", _("待答复")
    GIVEN = "given", _("已同意")
    REFUSED = "refused", _("不同意")


class Listing(models.Model):
    right = models.ForeignKey(
        "registry.Right",
        on_delete=models.PROTECT,
        related_name="listings",
        verbose_name=_("知识产权"),
    )
    owner = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="trading_listings",
        verbose_name=_("权利人"),
    )
    kind = models.CharField(_("交易方式"), max_length=8, choices=ListingKindChoices.choices)
    licence_type = models.CharField(
        _("许可类型"), max_length=10, choices=LicenceTypeChoices.choices, blank=True
    )
    price_kind = models.CharField(_("价格方式"), max_length=8, choices=PriceKindChoices.choices)
    price = models.DecimalField(_("挂牌价（元）"), max_digits=15, decimal_places=2)
    terms = models.TextField(_("交易条件"), blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=ListingStateChoices.choices, default="open"
    )
    listed_on = models.DateField(_("挂牌日"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-listed_on", "-id"]
        verbose_name = _("交易挂牌")
        verbose_name_plural = _("交易挂牌")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="listing_price_positive"),
            models.CheckConstraint(
                condition=(Q(kind="licence") & ~Q(licence_type=""))
                | (Q(kind="sale") & Q(licence_type="")),
                name="listing_licence_type_for_licences",
            ),
            # One open listing of a right by its holder at a time.
            models.UniqueConstraint(
                fields=["right", "owner"], condition=Q(state="open"), name="listing_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"listing #{self.pk} of {self.right_id}"


class Interest(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="interests")
    party = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="trading_interests"
    )
    offer = models.DecimalField(_("意向价（元）"), max_digits=15, decimal_places=2, null=True)
    message = models.CharField(_("意向说明"), max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("交易意向")
        verbose_name_plural = _("交易意向")
        constraints = [
            models.UniqueConstraint(fields=["listing", "party"], name="interest_once_per_party"),
            models.CheckConstraint(
                condition=Q(offer__isnull=True) | Q(offer__gt=0), name="interest_offer_positive"
            ),
        ]


class Deal(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="deals")
    interest = models.ForeignKey(Interest, on_delete=models.PROTECT, related_name="deals")
    seller = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="trading_sales"
    )
    counterparty = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="trading_purchases"
    )
    kind = models.CharField(_("交易方式"), max_length=8, choices=ListingKindChoices.choices)
    licence_type = models.CharField(
        _("许可类型"), max_length=10, choices=LicenceTypeChoices.choices, blank=True
    )
    price = models.DecimalField(_("成交价（元）"), max_digits=15, decimal_places=2)
    agreed_on = models.DateField(_("成交日"))
    state = models.CharField(_("状态"), max_length=18, choices=DealStateChoices.choices)
    # The register's event once recorded (ipfin.registry: a transfer or a licence).
    event = models.OneToOneField(
        "registry.RightEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-agreed_on", "-id"]
        verbose_name = _("交易")
        verbose_name_plural = _("交易")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="deal_price_positive"),
            # One deal per listing that a pledgee has not refused (a refusal reopens the listing).
            models.UniqueConstraint(
                fields=["listing"], condition=~Q(state="refused"), name="deal_one_live_per_listing"
            ),
            models.CheckConstraint(
                condition=~Q(state="recorded") | Q(event__isnull=False),
                name="deal_recorded_has_event",
            ),
        ]


class DealConsent(models.Model):
    """A pledgee's answer to a deal on the right it holds in pledge (民法典 art. 444 ¶2)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="consents")
    pledgee = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="trading_consents"
    )
    registration_no = models.CharField(_("质押登记号"), max_length=40)
    state = models.CharField(
        _("答复"), max_length=8, choices=ConsentStateChoices.choices, default="pending"
    )
    document = models.CharField(_("同意文件编号"), max_length=200, blank=True)
    reason = models.CharField(_("不同意理由"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "pledgee"], name="consent_once_per_pledgee"),
            models.CheckConstraint(
                condition=~Q(state="given") | ~Q(document=""), name="consent_given_has_document"
            ),
            models.CheckConstraint(
                condition=~Q(state="refused") | ~Q(reason=""), name="consent_refused_has_reason"
            ),
        ]
