"""Reads of risk compensation, each limited to what the actor may see.

- `scheme_list` / `scheme_get`: the compensation schemes are published rules (like the
  government policies they implement): anyone reads them.
- `fund_get` / `fund_ledger`: a fund's postings with their lines and the balance after each, for
  the IP office and the regulators (`Perm.RISK_VIEW_ALL`); anyone else is refused (403).
- `claim_list` / `claim_get`: a bank sees its own claims, the IP office all, a regulator those of
  the banks its open supervision cases name (`Perm.RISK_VIEW_ALL` is a supervised read,
  ipfin.accounts.permissions); another tenant's claim is a 404, never a 403.
- Set-based figures the services read under the fund's lock: `fund_balance` (the fund_cash
  account's balance, one SQL aggregate), `paid_to_bank` (what a scheme's fund paid a bank in a
  year), `claim_payable` (what the fund owes the bank on a claim).
- `signal_list`: the anomaly signals (ipfin.risk.anomalies), for the IP office and the
  regulator (`Perm.RISK_SIGNALS_READ`) only.
- `npl_tolerance_list`: each bank's IP-pledge NPL ratio at a quarter's end against its reported
  overall ratio (不良容忍度; `ip_pledge_balances` computes the balances in one SQL GROUP BY); a
  bank reads its own, the regulator and the IP office every bank's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import In
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import (
    Actor,
    Perm,
    has_perm,
    require,
    require_login,
    tenant_scope,
)
from ipfin.common.errors import NotFound, PermissionDenied
from ipfin.holidays.selectors import working_calendar
from ipfin.loans.domain.status import (
    NON_PERFORMING,
    NPL_AFTER_DAYS,
    LoanState,
    is_non_performing,
    overdue_cutoff,
)
from ipfin.loans.models import Installment, Loan, Repayment
from ipfin.loans.selectors import category_on
from ipfin.risk.anomalies import Signal, in_fen, read_signals
from ipfin.risk.domain.claims import (
    CLAIMABLE_LOAN_STATES,
    ClaimAction,
    ClaimState,
    allowed_actions,
)
from ipfin.risk.domain.npl import Quarter, ip_npl_ratio, npl_tolerance, period_in
from ipfin.risk.models import (
    BankNplReport,
    LedgerEntry,
    LedgerLine,
    RiskAlert,
    RiskClaim,
    RiskScheme,
)

__all__ = [
    "BankNplFigures",
    "alert_get",
    "alert_list",
    "alert_scope",
    "alert_summary",
    "claim_get",
    "claim_list",
    "claim_payable",
    "fund_balance",
    "fund_get",
    "fund_ledger",
    "ip_pledge_balances",
    "npl_tolerance_list",
    "paid_to_bank",
    "scheme_get",
    "scheme_list",
    "signal_list",
]

_MONEY = DecimalField(max_digits=15, decimal_places=2)
_ZERO = Decimal("0.00")
_CASH = "fund_cash"
_PAYABLE = "bank_payable"
_RECEIVABLE = "bank_receivable"


# --- schemes -------------------------------------------------------------------------------------


def scheme_list() -> QuerySet[RiskScheme]:
    """Every scheme, newest first, with its fund (public: published rules)."""
    return RiskScheme.objects.select_related("fund").order_by("-created_at", "-id")


def scheme_get(scheme_id: int) -> RiskScheme:
    scheme = scheme_list().filter(pk=scheme_id).first()
    if scheme is None:
        raise NotFound(
            "未找到该风险补偿方案。", "No such compensation scheme.", code="scheme_not_found"
        )
    return scheme


# --- funds and their ledgers ---------------------------------------------------------------------


def _money(expression: object) -> Coalesce:
    return Coalesce(expression, Value(_ZERO), output_field=_MONEY)


def _sum(lines: QuerySet[LedgerLine], expression: F | object) -> Decimal:
    total = lines.aggregate(total=_money(Sum(expression, output_field=_MONEY)))["total"]
    # + 0: a sum that comes to zero is 0.00, never -0.00 (which no amount check would accept).
    return Decimal(total).quantize(Decimal("0.01")) + _ZERO


def fund_balance(fund_id: int, *, through: int | None = None) -> Decimal:
    """The fund's balance: Σdebit − Σcredit of its fund_cash account (one SQL aggregate); with
    `through`, the balance right after that posting (entry id)."""
    lines = LedgerLine.objects.filter(entry__fund_id=fund_id, account=_CASH)
    if through is not None:
        lines = lines.filter(entry_id__lte=through)
    return _sum(lines, F("debit") - F("credit"))


def paid_to_bank(*, scheme_id: int, bank_id: int, year: int) -> Decimal:
    """What the fund paid `bank_id` on the claims of `scheme_id` in `year` (fund_cash credits of
    the payments posted that year; a bank's return restores nothing)."""
    lines = LedgerLine.objects.filter(
        account=_CASH,
        entry__kind="payment",
        entry__claim__scheme_id=scheme_id,
        entry__claim__bank_id=bank_id,
        entry__posted_on__gte=date(year, 1, 1),
        entry__posted_on__lte=date(year, 12, 31),
    )
    return _sum(lines, F("credit"))


def claim_payable(claim_id: int) -> Decimal:
    """What the fund owes the bank on the claim: its bank_payable credits less debits."""
    lines = LedgerLine.objects.filter(entry__claim_id=claim_id, account=_PAYABLE)
    return _sum(lines, F("credit") - F("debit"))


def claim_refundable(claim_id: int) -> Decimal:
    """What the bank is to return to the fund on the claim and has not yet: its bank_receivable
    debits less credits (a settlement below the advance, less the return received)."""
    lines = LedgerLine.objects.filter(entry__claim_id=claim_id, account=_RECEIVABLE)
    return _sum(lines, F("debit") - F("credit"))


def advance_lapsed(claim: RiskClaim) -> bool:
    """Whether an approved claim's advance can no longer be paid: its loan is no longer a
    disbursed (or written-off) loan classified 次级, 可疑 or 损失 (repaid, its pledge sold, or
    reclassified since the approval), which is what `claim_pay` requires of an advance. Such a
    claim is settled instead (ipfin.risk.domain.claims). False for any other state."""
    if claim.state != ClaimState.APPROVED:
        return False
    loan = Loan.objects.only("state", "classification").get(pk=claim.loan_id)
    return loan.state not in CLAIMABLE_LOAN_STATES or not is_non_performing(loan.classification)


def allowed_claim_actions(claim: RiskClaim) -> frozenset[ClaimAction]:
    """What the claim's state allows now, with an approved claim's lapsed advance settled
    rather than paid (`advance_lapsed`): what the claim's page offers and the API reports."""
    return allowed_actions(claim.state, advance_lapsed=advance_lapsed(claim))


def fund_get(*, actor: Actor, fund_id: int) -> Organisation:
    """A risk-compensation fund, for the IP office and the regulators (403 for anyone else);
    NotFound for an id that is no fund."""
    require(actor, Perm.RISK_VIEW_ALL)
    fund = Organisation.objects.filter(pk=fund_id, kind=OrganisationKind.RISK_FUND).first()
    if fund is None:
        raise NotFound(
            "未找到该风险补偿基金。", "No such risk-compensation fund.", code="fund_not_found"
        )
    return fund


def fund_ledger(fund: Organisation) -> QuerySet[LedgerEntry]:
    """The fund's postings, newest first, each with its lines, `cash` (its change of the
    balance) and `balance` (the balance after it): a window over the whole ledger in SQL, so
    that a slice of the newest still carries the true running balance."""
    cash = (
        LedgerLine.objects.filter(entry=OuterRef("pk"), account=_CASH)
        .values("entry")
        .annotate(change=Sum(F("debit") - F("credit"), output_field=_MONEY))
        .values("change")
    )
    return (
        LedgerEntry.objects.filter(fund=fund)
        .select_related("claim", "posted_by")
        .prefetch_related(Prefetch("lines", queryset=LedgerLine.objects.order_by("id")))
        .annotate(cash=_money(Subquery(cash, output_field=_MONEY)))
        .annotate(
            balance=Window(
                Sum("cash", output_field=_MONEY), order_by=F("id").asc(), output_field=_MONEY
            )
        )
        .order_by("-id")
    )


# --- claims --------------------------------------------------------------------------------------


def _claim_lines(account: str, amount: Any) -> Subquery:
    """Σ `amount` (a column or an expression of debit and credit) over the claim's lines on
    `account`."""
    rows = (
        LedgerLine.objects.filter(entry__claim=OuterRef("pk"), account=account)
        .values("entry__claim")
        .annotate(total=Sum(amount, output_field=_MONEY))
        .values("total")
    )
    return Subquery(rows, output_field=_MONEY)


def claim_list(*, actor: Actor, state: ClaimState | None = None) -> QuerySet[RiskClaim]:
    """The claims `actor` may see (a bank: its own; the IP office: all; a regulator: those of
    the banks its open supervision cases name), newest first, each with `owed` (what the fund
    has granted the bank on it: bank_payable credits), `paid` (what it released:
    bank_payable debits) and `refund_due` (what the bank is to return and has not:
    `claim_refundable`), in SQL."""
    require_login(actor)
    claims = RiskClaim.objects.select_related(
        "scheme__fund",
        "loan__enterprise",
        "bank",
        "filed_by",
        "reviewed_by",
        "settled_by",
        "paid_by",
        "refund_received_by",
    )
    scope = tenant_scope(actor, "bank_id", view_all=Perm.RISK_VIEW_ALL)
    if scope is not None:
        claims = claims.filter(scope)
    if state is not None:
        claims = claims.filter(state=state.value)
    return claims.annotate(
        owed=_money(_claim_lines(_PAYABLE, "credit")),
        paid=_money(_claim_lines(_PAYABLE, "debit")),
        refund_due=_money(_claim_lines(_RECEIVABLE, F("debit") - F("credit"))),
    ).order_by("-filed_at", "-id")


def claim_get(*, actor: Actor, claim_id: int) -> RiskClaim:
    """One claim `actor` may see; NotFound otherwise (also for another bank's)."""
    claim = claim_list(actor=actor).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound(
            "未找到该风险补偿申请。", "No such compensation claim.", code="risk_claim_not_found"
        )
    return claim


# --- early-warning alerts ------------------------------------------------------------------------


def alert_scope(
    actor: Actor, *, what_zh: str = "风险预警", what_en: str = "risk alerts"
) -> Q | None:
    """The rows of a bank's risk book (`bank_id`) the actor reads: a bank its own, the IP office
    every bank's (`Perm.RISK_ALERTS_ALL`, None); anyone else is refused (403, naming `what`): the
    regulator reads the counts (`alert_summary`), not the alerts. The alerts, the dashboard's
    panels and the services' handling all ask here."""
    require_login(actor)
    if has_perm(actor, Perm.RISK_ALERTS_ALL):
        return None
    if not has_perm(actor, Perm.RISK_ALERT_HANDLE):
        raise PermissionDenied(
            f"您没有查看{what_zh}的权限。", f"You may not read {what_en}.", code="forbidden"
        )
    return tenant_scope(actor, "bank_id")


def alert_list(
    *, actor: Actor, status: str | None = None, kind: str | None = None
) -> QuerySet[RiskAlert]:
    """The alerts `actor` may read, the most severe and most pressing first: high before medium
    before low, then by the date that matters (soonest first), then newest."""
    scope = alert_scope(actor)
    rows = RiskAlert.objects.select_related("bank", "loan", "pledge")
    if scope is not None:
        rows = rows.filter(scope)
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    severity_rank = Case(
        When(severity="high", then=Value(0)),
        When(severity="medium", then=Value(1)),
        default=Value(2),
    )
    return rows.annotate(severity_rank=severity_rank).order_by("severity_rank", "date", "-id")


def alert_get(*, actor: Actor, alert_id: int) -> RiskAlert:
    """One alert the actor may read; another bank's is a 404, never a 403."""
    alert = alert_list(actor=actor).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound("没有该预警。", "No such alert.", code="alert_not_found")
    return alert


def alert_summary(*, actor: Actor) -> dict[str, dict[str, int]]:
    """Counts of the live alerts (open and acknowledged) by severity and by kind, from one GROUP
    BY: a bank its own, the IP office and the regulator (`Perm.STATS_READ`) every bank's."""
    require_login(actor)
    rows = RiskAlert.objects.filter(status__in=["open", "acknowledged"])
    if not (has_perm(actor, Perm.RISK_ALERTS_ALL) or has_perm(actor, Perm.STATS_READ)):
        if not has_perm(actor, Perm.RISK_ALERT_HANDLE):
            raise PermissionDenied(
                "您没有查看风险预警的权限。", "You may not read risk alerts.", code="forbidden"
            )
        scope = tenant_scope(actor, "bank_id")
        rows = rows.filter(scope) if scope is not None else rows
    by_severity = {"high": 0, "medium": 0, "low": 0}
    by_kind: dict[str, int] = {}
    for severity, kind, count in (
        rows.values("severity", "kind").annotate(n=Count("id")).values_list("severity", "kind", "n")
    ):
        by_severity[severity] = by_severity.get(severity, 0) + count
        by_kind[kind] = by_kind.get(kind, 0) + count
    return {"by_severity": by_severity, "by_kind": dict(sorted(by_kind.items()))}


# --- NPL tolerance (不良容忍度) -----------------------------------------------------------------

_NPL_CATEGORIES = sorted(category.value for category in NON_PERFORMING)
_ON_BOOKS = [LoanState.DISBURSED, LoanState.REPAYING, LoanState.CLOSED, LoanState.WRITTEN_OFF]


def ip_pledge_balances(
    *, on: date, bank_ids: list[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Each bank's IP-pledge balance and its non-performing part on the day `on`, in fen: {bank
    id: (balance, npl balance)}, from one SQL GROUP BY (issue 12, NPL tolerance: "balance of
    IP-pledge loans classified 次级, 可疑 or 损失 ÷ balance of all its IP-pledge loans").

    - IP-pledge loans: the bank's loans secured by a pledge registration, disbursed on or before
      `on`, neither closed nor written off by then. A write-off (核销) takes the loan off the
      bank's books (账销案存), so from its day it is in neither balance, as in the bank's own
      ratio.
    - The balance on the day: the principal less the principal repaid on or before it (the
      repayments' principal parts, early repayments included), not the loan's
      `outstanding_principal`, which is today's.
    - Classified 次级, 可疑 or 损失 on the day: the category in force on `on` — the latest change
      of its history dated on or before it (`ipfin.loans.selectors.category_on`: the bank's own
      assessments and the daily classification alike; one revised after `on` does not reach
      back) — or more than 90 days past due on `on` (《商业银行金融资产风险分类办法》 arts.
      10-12: 次级 at least), recomputed from the instalments' due dates and settlement dates (a
      repayment recorded later but dated before `on` counts from its date). The statistics'
      stocks (ipfin.stats.selectors) read the same two: a bank's NPL balance is one figure on
      both pages.
    """
    repaid = (
        Repayment.objects.filter(loan=OuterRef("pk"), paid_on__lte=on)
        .values("loan")
        .annotate(total=Sum(in_fen(F("principal_part"))))
        .values("total")
    )
    overdue = Installment.objects.filter(
        Q(settled_on__isnull=True) | Q(settled_on__gt=on),
        loan=OuterRef("pk"),
        # more than 90 days past its payable day (民法典 art. 203: moved past rest days)
        due_date__lte=overdue_cutoff(on - timedelta(days=NPL_AFTER_DAYS), working_calendar()),
    )
    loans = (
        Loan.objects.filter(pledge__isnull=False, state__in=_ON_BOOKS, disbursed_on__lte=on)
        .exclude(closed_on__lte=on)
        .exclude(written_off_on__lte=on)
    )
    if bank_ids is not None:
        loans = loans.filter(bank_id__in=bank_ids)
    outstanding = in_fen(F("principal")) - Coalesce(
        Subquery(repaid, output_field=BigIntegerField()), Value(0)
    )
    rows = (
        loans.values("bank_id")
        .annotate(
            balance=Sum(outstanding, output_field=BigIntegerField()),
            npl=Sum(
                Case(
                    When(Exists(overdue), then=outstanding),
                    When(In(category_on(on), _NPL_CATEGORIES), then=outstanding),
                    default=Value(0),
                    output_field=BigIntegerField(),
                )
            ),
        )
        .order_by()
        .values_list("bank_id", "balance", "npl")
    )
    return {bank: (int(balance), int(npl)) for bank, balance, npl in rows}


@dataclass(frozen=True)
class BankNplFigures:
    """One bank's NPL tolerance for a quarter: the IP-pledge balances at its end (yuan), the
    IP-pledge ratio (exact), and — once the bank reported its overall ratio — the limit and
    whether the ratio is within it (ipfin.risk.domain.npl); without a report those are None."""

    bank_id: int
    bank_name: str
    period: Quarter
    ip_balance: Decimal
    ip_npl_balance: Decimal
    ip_npl_ratio: Fraction
    bank_npl_ratio: Decimal | None
    limit: Fraction | None
    tolerated: bool | None
    reported_at: datetime | None
    revision: int | None


def _npl_readers(actor: Actor) -> list[int] | None:
    """The banks whose tolerance `actor` reads: every bank (None) for the regulator
    (`Perm.STATS_READ`) and the IP office (`Perm.RISK_SIGNALS_READ`), a bank its own; anyone else
    is refused (403)."""
    user = require_login(actor)
    if has_perm(user, Perm.STATS_READ) or has_perm(user, Perm.RISK_SIGNALS_READ):
        return None
    if has_perm(user, Perm.RISK_NPL_REPORT) and user.organisation_id is not None:
        return [user.organisation_id]
    raise PermissionDenied(
        "您没有查看不良容忍度的权限。",
        "You may not read the NPL tolerance.",
        code="forbidden",
    )


def npl_tolerance_list(
    *, actor: Actor, period: Any = None, today: date | None = None
) -> tuple[Quarter, list[BankNplFigures]]:
    """The NPL tolerance of each bank `actor` may read for `period` (a quarter ended before
    `today`; None: the last ended quarter; else 422 `period_invalid` / `period_not_ended`), in
    the order the banks were registered (their ids: the same on every database, where names
    would sort by each one's collation). A bank always reads its own row; the others list every
    bank with an IP-pledge balance at the quarter's end or a report for it. Three queries
    whatever the number of banks: the balances (`ip_pledge_balances`), the reports, the banks'
    names."""
    bank_ids = _npl_readers(actor)
    day = today or timezone.localdate()
    quarter = Quarter.of(day).previous() if period in (None, "") else period_in(period, today=day)
    balances = ip_pledge_balances(on=quarter.last_day, bank_ids=bank_ids)
    reports = BankNplReport.objects.filter(period=str(quarter))
    if bank_ids is not None:
        reports = reports.filter(bank_id__in=bank_ids)
    reported = {report.bank_id: report for report in reports}
    banks = Organisation.objects.filter(
        pk__in=sorted({*balances, *reported, *(bank_ids or [])})
    ).order_by("pk")
    figures = []
    for bank_id, name in banks.values_list("pk", "name"):
        balance_fen, npl_fen = balances.get(bank_id, (0, 0))
        balance = Decimal(balance_fen).scaleb(-2)
        npl = Decimal(npl_fen).scaleb(-2)
        report = reported.get(bank_id)
        if report is None:
            ratio, limit, tolerated = (
                ip_npl_ratio(ip_npl_balance=npl, ip_balance=balance),
                None,
                None,
            )
        else:
            result = npl_tolerance(
                ip_npl_balance=npl, ip_balance=balance, bank_npl_ratio=Decimal(report.ratio)
            )
            ratio, limit, tolerated = result.ip_npl_ratio, result.limit, result.tolerated
        figures.append(
            BankNplFigures(
                bank_id=bank_id,
                bank_name=name,
                period=quarter,
                ip_balance=balance,
                ip_npl_balance=npl,
                ip_npl_ratio=ratio,
                bank_npl_ratio=Decimal(report.ratio) if report is not None else None,
                limit=limit,
                tolerated=tolerated,
                reported_at=report.reported_at if report is not None else None,
                revision=report.revision if report is not None else None,
            )
        )
    return quarter, figures


# --- anomaly signals (虚构合同、数据异常) -------------------------------------------------------


def signal_list(
    *, actor: Actor, kind: str | None = None, benford_min_figures: int | None = None
) -> list[Signal]:
    """The anomaly signals (ipfin.risk.anomalies), of `kind` if given: for the IP office and the
    regulator (`Perm.RISK_SIGNALS_READ`, DOMAIN.md Roles: the regulator reads "anomaly
    signals"); anyone else is refused (403). The evidence names single pledges, loans and
    valuations by id; reading those records stays with their own selectors (a regulator's under a
    supervision case). `benford_min_figures` is for the tests."""
    require(actor, Perm.RISK_SIGNALS_READ)
    options = {} if benford_min_figures is None else {"benford_min_figures": benford_min_figures}
    signals = read_signals(**options)
    return [s for s in signals if kind is None or s.kind == kind]
