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
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
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
from ipfin.risk.domain.claims import ClaimState
from ipfin.risk.models import LedgerEntry, LedgerLine, RiskAlert, RiskClaim, RiskScheme

__all__ = [
    "alert_get",
    "alert_list",
    "alert_summary",
    "claim_get",
    "claim_list",
    "claim_payable",
    "fund_balance",
    "fund_get",
    "fund_ledger",
    "paid_to_bank",
    "scheme_get",
    "scheme_list",
]

_MONEY = DecimalField(max_digits=15, decimal_places=2)
_ZERO = Decimal("0.00")
_CASH = "fund_cash"
_PAYABLE = "bank_payable"


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


def _payable_lines(column: str) -> Subquery:
    rows = (
        LedgerLine.objects.filter(entry__claim=OuterRef("pk"), account=_PAYABLE)
        .values("entry__claim")
        .annotate(total=Sum(column, output_field=_MONEY))
        .values("total")
    )
    return Subquery(rows, output_field=_MONEY)


def claim_list(*, actor: Actor, state: ClaimState | None = None) -> QuerySet[RiskClaim]:
    """The claims `actor` may see (a bank: its own; the IP office: all; a regulator: those of
    the banks its open supervision cases name), newest first, each with `owed` (what the fund
    has granted the bank on it: bank_payable credits) and `paid` (what it released:
    bank_payable debits), both in SQL."""
    require_login(actor)
    claims = RiskClaim.objects.select_related(
        "scheme__fund", "loan__enterprise", "bank", "filed_by", "reviewed_by", "settled_by"
    )
    scope = tenant_scope(actor, "bank_id", view_all=Perm.RISK_VIEW_ALL)
    if scope is not None:
        claims = claims.filter(scope)
    if state is not None:
        claims = claims.filter(state=state.value)
    return claims.annotate(
        owed=_money(_payable_lines("credit")), paid=_money(_payable_lines("debit"))
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


def _alert_scope(actor: Actor) -> Q | None:
    """A bank reads its own alerts, the IP office every bank's (`Perm.RISK_ALERTS_ALL`); anyone
    else is refused (403): the regulator reads the counts (`alert_summary`), not the alerts."""
    require_login(actor)
    if has_perm(actor, Perm.RISK_ALERTS_ALL):
        return None
    if not has_perm(actor, Perm.RISK_ALERT_HANDLE):
        raise PermissionDenied(
            "您没有查看风险预警的权限。", "You may not read risk alerts.", code="forbidden"
        )
    return tenant_scope(actor, "bank_id")


def alert_list(
    *, actor: Actor, status: str | None = None, kind: str | None = None
) -> QuerySet[RiskAlert]:
    """The alerts `actor` may read, the most severe and most pressing first: high before medium
    before low, then by the date that matters (soonest first), then newest."""
    scope = _alert_scope(actor)
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
