"""IP insurance policies and their claims (知识产权保险, issue 16; money rules in
ipfin.insurance.domain).

A policy is issued by its lead insurer to a policyholder — an enterprise, or a park for all its
members (一园一保) — on its rights (one: a right; several: a package), on the enterprise, or, for
pledge-financing guarantee insurance (质押融资保证保险), on one loan with its bank as the
beneficiary. The premium is rate × sum insured; a co-insurance pool (共保体, the lead among its
members) shares it, and every payout, to the fen by largest remainder. A claim goes notified →
assessed → paid (or rejected); what the policy has paid is never more than its sum insured."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ipfin.financing.models import InsuranceKindChoices

# The seven kinds with their labels: the catalogue's (ipfin.financing.models).
PolicyKindChoices = InsuranceKindChoices


class SubjectChoices(models.TextChoices):
    RIGHT = "right", _("单项知识产权")
    PACKAGE = "package", _("知识产权组合")
    ENTERPRISE = "enterprise", _("企业")
    PARK = "park", _("园区（一园一保）")
    LOAN = "loan", _("质押贷款")


# The policies that cover anything (a share of a loss, a claim's notice, a premium subsidy's
# base): all but one on a loan its bank has not accepted (`Policy.awaiting_acceptance`).
COVERING = Q(loan__isnull=True) | Q(accepted_at__isnull=False)


class Policy(models.Model):
    insurer = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="policies_led",
        verbose_name=_("主承保机构"),
    )
    kind = models.CharField(_("险种"), max_length=32, choices=PolicyKindChoices.choices)
    subject = models.CharField(_("保险标的"), max_length=12, choices=SubjectChoices.choices)
    policyholder = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="policies_held",
        verbose_name=_("投保人"),
    )
    beneficiary = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="policies_benefiting",
        null=True,
        blank=True,
        verbose_name=_("被保险银行"),
    )
    loan = models.ForeignKey(
        "loans.Loan", on_delete=models.PROTECT, related_name="policies", null=True, blank=True
    )
    rights = models.ManyToManyField("registry.Right", related_name="policies", blank=True)
    sum_insured = models.DecimalField(_("保险金额"), max_digits=15, decimal_places=2)
    rate = models.DecimalField(_("保险费率"), max_digits=11, decimal_places=10)
    premium = models.DecimalField(_("保险费"), max_digits=15, decimal_places=2)
    deductible = models.DecimalField(_("免赔额"), max_digits=15, decimal_places=2, default=0)
    loss_share = models.DecimalField(
        _("赔付比例"), max_digits=11, decimal_places=10, null=True, blank=True
    )
    starts_on = models.DateField(_("起保日"))
    ends_on = models.DateField(_("终保日"))
    paid_out = models.DecimalField(_("累计赔付"), max_digits=15, decimal_places=2, default=0)
    # What the insured bank returns to the insurers once a compensation claim's settlement fixed
    # their part below what they had paid (ipfin.insurance.services.claim_from_settlement);
    # null until such a settlement.
    refund_due = models.DecimalField(
        _("银行应返还保险机构"), max_digits=15, decimal_places=2, null=True, blank=True
    )
    # The day of that settlement: the refund cannot have come in before it.
    refund_due_on = models.DateField(_("返还款确定日"), null=True, blank=True)
    # The day the lead insurer recorded that refund as received (services.policy_refund_receive).
    refund_received_on = models.DateField(_("返还款收到日"), null=True, blank=True)
    refund_received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Pledge-financing guarantee insurance: the insured bank's acceptance (its staff's), without
    # which the policy covers nothing in the waterfall nor keeps another insurer's off the loan.
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("银行确认时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("保险保单")
        verbose_name_plural = _("保险保单")
        constraints = [
            models.CheckConstraint(
                condition=Q(sum_insured__gt=0)
                & Q(premium__gte=0)
                & Q(deductible__gte=0)
                & Q(paid_out__gte=0)
                & Q(paid_out__lte=models.F("sum_insured")),
                name="policy_amounts_valid",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="policy_term_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"policy #{self.pk}"

    @property
    def awaiting_acceptance(self) -> bool:
        """On a loan whose bank has not accepted it: it covers nothing yet (`COVERING`)."""
        return self.loan_id is not None and self.accepted_at is None


class PolicyMember(models.Model):
    """An insurer of the policy's co-insurance pool, its share and its part of the premium."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="members")
    insurer = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="policy_shares"
    )
    position = models.PositiveSmallIntegerField()
    share = models.DecimalField(_("共保份额"), max_digits=11, decimal_places=10)
    premium_part = models.DecimalField(_("分摊保险费"), max_digits=15, decimal_places=2)

    class Meta:
        ordering = ["policy_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "insurer"], name="policy_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}:{self.insurer_id}"


class ClaimStateChoices(models.TextChoices):
    NOTIFIED = "notified", _("已报案")
    ASSESSED = "assessed", _("已定损")
    PAID = "paid", _("已赔付")
    REJECTED = "rejected", _("已拒赔")


class InsuranceClaim(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="claims")
    claimant = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="insurance_claims"
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=ClaimStateChoices.choices, default="notified"
    )
    amount_claimed = models.DecimalField(_("索赔金额"), max_digits=15, decimal_places=2)
    description = models.CharField(_("出险经过"), max_length=1000)
    # The day of the loss (出险日), within the policy's term; notice may come after the term
    # (保险法 art. 21: notice "after knowing of the insured event"). Null on a claim made by a
    # compensation claim's settlement (the bank's loss as settled), and on notices given before
    # it was recorded (their loss day was the notice's).
    loss_on = models.DateField(_("出险日"), null=True, blank=True)
    assessed_loss = models.DecimalField(_("核定损失"), max_digits=15, decimal_places=2, null=True)
    payout = models.DecimalField(_("赔付金额"), max_digits=15, decimal_places=2, null=True)
    parts = models.JSONField(_("共保分摊"), default=dict)
    reject_reason = models.CharField(_("拒赔理由"), max_length=500, blank=True)
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notified_at = models.DateTimeField(auto_now_add=True)
    paid_on = models.DateField(_("赔付日"), null=True, blank=True)

    class Meta:
        ordering = ["-notified_at", "-id"]
        verbose_name = _("保险理赔")
        verbose_name_plural = _("保险理赔")

    def __str__(self) -> str:
        return f"insurance claim #{self.pk}"
