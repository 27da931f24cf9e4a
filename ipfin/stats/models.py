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


class PositionSnapshot(models.Model):
    """The positions of every loan on the books at the end of a day (`as_of`), taken once the day
    is over (ipfin.stats.services.positions_snapshot_take, the daily job `snapshot_positions`):
    what the statistics read a period's balances and NPL from instead of each loan's history —
    period-end figures (时点数) as banks report them.

    The marks are the highest ids of the repayments, classifications and instalments when it was
    taken: a row added since that touches `as_of` or before makes the snapshot stale, and the
    statistics read the history again until the job takes it anew
    (ipfin.stats.selectors._FRESH_SNAPSHOT_SQL). So does an edit of the office's holiday
    arrangements since (an instalment's payable day, from which NPL days count, may move)."""

    as_of = models.DateField(_("时点"), unique=True)
    taken_at = models.DateTimeField(_("生成时间"))
    loans = models.PositiveIntegerField(_("在贷笔数"))
    repayment_mark = models.BigIntegerField(default=0)
    classification_mark = models.BigIntegerField(default=0)
    installment_mark = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-as_of"]
        verbose_name = _("时点余额快照")
        verbose_name_plural = _("时点余额快照")

    def __str__(self) -> str:
        return f"{self.as_of}"


class LoanPosition(models.Model):
    """One loan on the books at its snapshot's day: its balance in fen and whether it was
    non-performing (1) then. `loan_id`, `bank_id`, `enterprise_id`, `pledge_id` and
    `product_version_id` are the loan's, copied (fixed once a loan is disbursed) under the loan's
    own column names, so that the statistics' cuts read a position as they read a loan."""

    snapshot = models.ForeignKey(PositionSnapshot, on_delete=models.CASCADE, related_name="+")
    loan_id = models.BigIntegerField()
    bank_id = models.BigIntegerField()
    enterprise_id = models.BigIntegerField()
    pledge_id = models.BigIntegerField(null=True)
    product_version_id = models.BigIntegerField(null=True)
    balance_fen = models.BigIntegerField()
    npl = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(npl__in=[0, 1]), name="loan_position_npl_flag"),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.loan_id}"
