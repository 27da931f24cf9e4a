"""Reads of the risk dashboard (风险看板), each limited to what the actor may see: a bank its own
book, the IP office every bank's. A fixed number of queries whatever the size of the book.

- `annuity_timeline`: the live annuity alerts (due soon, in grace, lapsed) by their date;
- `collateral_coverage`: each live loan's collateral value ÷ outstanding principal — the value of
  the latest issued valuation of the pledge's rights (the one the loan was approved on when there
  is none later), as the scan reads it;
- `exposure`: the IP-pledge balance by the borrowers' industry and by their park, with shares.

Money stays `Decimal` yuan; ratios are exact `Decimal` quotients rounded half-up to 4 places
once, here, for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import (
    Actor,
    Perm,
    require,
    require_login,
)
from ipfin.loans.domain.status import NON_PERFORMING, LoanState
from ipfin.loans.models import Loan
from ipfin.pledges.models import PledgeItem
from ipfin.risk.domain.claims import CLAIMABLE_LOAN_STATES, LIVE_STATES
from ipfin.risk.models import RiskAlert, RiskClaim
from ipfin.risk.selectors import alert_scope
from ipfin.valuation.models import Valuation, ValuationState

__all__ = [
    "Coverage",
    "Exposure",
    "annuity_timeline",
    "claimable_loans",
    "collateral_coverage",
    "exposure",
    "fund_list",
]

_FOUR = Decimal("0.0001")
_LIVE_LOANS = [LoanState.DISBURSED, LoanState.REPAYING]
_ANNUITY_KINDS = ["annuity_due", "grace_period", "lapsed"]


def _scoped(rows: QuerySet, actor: Actor) -> QuerySet:  # type: ignore[type-arg]
    scope = alert_scope(actor, what_zh="风险看板", what_en="the risk dashboard")
    return rows if scope is None else rows.filter(scope)


def annuity_timeline(*, actor: Actor, limit: int = 30) -> list[RiskAlert]:
    """The live annuity alerts of the actor's pledged patents, soonest date first."""
    rows = RiskAlert.objects.filter(status__in=["open", "acknowledged"], kind__in=_ANNUITY_KINDS)
    return list(_scoped(rows, actor).select_related("bank").order_by("date", "pk")[:limit])


@dataclass(frozen=True)
class Coverage:
    loan_id: int
    enterprise: str
    outstanding: Decimal
    value: Decimal
    ratio: Decimal  # value ÷ outstanding (loans with something outstanding only)


def collateral_coverage(*, actor: Actor, limit: int = 50) -> list[Coverage]:
    """The live loans' collateral coverage, the thinnest first."""
    latest_value = Subquery(
        Valuation.objects.filter(
            state=ValuationState.ISSUED,
            items__right__in=PledgeItem.objects.filter(pledge=OuterRef(OuterRef("pledge"))).values(
                "right"
            ),
        )
        .order_by("-valuation_date", "-pk")
        .values("value")[:1]
    )
    money = DecimalField(max_digits=15, decimal_places=2)
    live = Loan.objects.filter(
        state__in=_LIVE_LOANS, pledge__isnull=False, outstanding_principal__gt=0
    )
    rows = (
        _scoped(live, actor)
        .annotate(
            value=Coalesce(
                latest_value, F("valuation_value"), Value(Decimal("0.00")), output_field=money
            )
        )
        .annotate(
            coverage=ExpressionWrapper(
                F("value") / F("outstanding_principal"),
                output_field=DecimalField(max_digits=20, decimal_places=6),
            )
        )
        .order_by("coverage", "pk")
        .values_list("pk", "enterprise__name", "outstanding_principal", "value")[:limit]
    )
    return [
        Coverage(
            loan_id=pk,
            enterprise=name,
            outstanding=outstanding,
            value=value,
            ratio=(value / outstanding).quantize(_FOUR, ROUND_HALF_UP),
        )
        for pk, name, outstanding, value in rows
    ]


@dataclass(frozen=True)
class Exposure:
    label: str
    balance: Decimal
    share: Decimal  # of the book's balance


def _grouped(rows: QuerySet, field: str, unknown: str) -> list[Exposure]:  # type: ignore[type-arg]
    groups = list(
        rows.values(field).annotate(balance=Sum("outstanding_principal")).order_by("-balance")
    )
    total = sum((g["balance"] or Decimal(0) for g in groups), Decimal(0))
    return [
        Exposure(
            label=g[field] or unknown,
            balance=g["balance"] or Decimal("0.00"),
            share=((g["balance"] or Decimal(0)) / total).quantize(_FOUR, ROUND_HALF_UP)
            if total
            else Decimal(0),
        )
        for g in groups
    ]


def exposure(*, actor: Actor, unknown: str = "—") -> dict[str, list[Exposure]]:
    """The live IP-pledge balance by the borrowers' industry and by their park (one GROUP BY
    each), largest first."""
    rows = _scoped(
        Loan.objects.filter(
            state__in=_LIVE_LOANS, pledge__isnull=False, outstanding_principal__gt=0
        ),
        actor,
    )
    return {
        "industry": _grouped(rows, "enterprise__industry", unknown),
        "park": _grouped(rows, "enterprise__park__name", unknown),
    }


def claimable_loans(*, actor: Actor) -> QuerySet[Loan]:
    """The bank's own loans a claim may be filed on (disbursed, or written off:
    `CLAIMABLE_LOAN_STATES`, as the service reads them) classified 次级/可疑/损失 with no claim
    under way: what it may claim compensation on (the service checks it again)."""
    require_login(actor)
    org_id = getattr(actor, "organisation_id", None)
    live_claims = RiskClaim.objects.filter(state__in=[s.value for s in LIVE_STATES])
    return (
        Loan.objects.filter(
            bank_id=org_id,
            state__in=[s.value for s in CLAIMABLE_LOAN_STATES],
            classification__in=[c.value for c in NON_PERFORMING],
        )
        .exclude(pk__in=live_claims.values("loan_id"))
        .select_related("enterprise")
        .order_by("pk")
    )


def fund_list(*, actor: Actor) -> list[Organisation]:
    """The risk-compensation funds, by name (the IP office and the regulators)."""
    require(actor, Perm.RISK_VIEW_ALL)
    return list(Organisation.objects.filter(kind=OrganisationKind.RISK_FUND).order_by("name"))
