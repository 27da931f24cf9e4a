"""A bank's periodic return to the regulator (银行报送): the figures of its own books for a quarter
that the platform cannot compute — the overall NPL ratio (stored where the NPL tolerance reads it,
ipfin.risk.models.BankNplReport) and the balances of its whole loan book — and its own tally of its
IP-pledge lending, which the dashboards reconcile with the platform's (ipfin.stats.selectors).

One row per bank and quarter; a second return of the quarter replaces the figures, counted in
`revision` and audited with both versions (ipfin.stats.services.bank_return_submit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BankReturn(models.Model):
    bank = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="stats_returns",
        verbose_name=_("银行"),
    )
    period = models.CharField(_("报告期"), max_length=6)
    period_end = models.DateField(_("报告期末"))
    total_loan_balance = models.DecimalField(_("全行各项贷款余额"), max_digits=17, decimal_places=2)
    ip_loan_balance = models.DecimalField(
        _("知识产权质押贷款余额"), max_digits=15, decimal_places=2
    )
    ip_new_loans = models.PositiveIntegerField(_("本季新增知识产权质押贷款笔数"))
    ip_new_amount = models.DecimalField(
        _("本季新增知识产权质押贷款金额"), max_digits=15, decimal_places=2
    )
    revision = models.PositiveIntegerField(_("报送次数"), default=1)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("报送时间"))

    class Meta:
        ordering = ["-period_end", "bank_id"]
        verbose_name = _("银行季度报送")
        verbose_name_plural = _("银行季度报送")
        constraints = [
            models.UniqueConstraint(fields=["bank", "period"], name="bank_return_one_per_period"),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}Q[1-4]$"), name="bank_return_period_format"
            ),
            models.CheckConstraint(
                condition=Q(total_loan_balance__gte=0)
                & Q(ip_loan_balance__gte=0)
                & Q(ip_new_amount__gte=0)
                & Q(ip_loan_balance__lte=models.F("total_loan_balance")),
                name="bank_return_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_id} {self.period}"
