"""Reads of the financing catalogue, the demand library and the feedback ledger.

- Catalogue (`product_list`, `product_get`, `product_compare`, `product_version_get`,
  `product_current_version`, `policy_list`, `lpr_rate`): public, for anyone, logged in or not.
  Each product points at its terms on sale (`current_version`): ranges, kind, provider and text
  filter in SQL; the version's JSON lists by the matching's pure `admits`.
- `demand_list` / `demand_get`: an enterprise sees its own demands, a park its members' (and those
  it filed), a bank the demands pushed to it, the IP office and regulators all
  (`Perm.FINANCING_VIEW_ALL`). Another tenant's demand is a 404.
- `demand_matches`: the facts of a demand (its rights' kinds, their issued valuations, the
  enterprise's "IP + credit" score, the LPR of the day) put through the pure matching
  (`ipfin.financing.domain.matching`), with the reasons for every product, matched or not.
- `ledger_list`: the feedback ledger rows the actor may see, each with its `overdue` flag.
- `bank_customers`: the enterprises whose demands were pushed to a bank (this app's part of
  `ipfin.accounts.customers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from ipfin.accounts.models import Organisation
from ipfin.accounts.permissions import Actor, Perm, require_login, tenant_scope
from ipfin.common.errors import NotFound, ValidationFailed
from ipfin.common.money import parse_money
from ipfin.financing.domain.matching import (
    DemandFacts,
    Match,
    ProductTerms,
    admits,
    match_products,
)
from ipfin.financing.domain.terms import lpr_plus_spread
from ipfin.financing.models import (
    Demand,
    DemandResponse,
    DemandState,
    LprQuote,
    LprTenor,
    Policy,
    PolicyKind,
    Product,
    ProductKind,
    ProductVersion,
)
from ipfin.pledges.selectors import right_held
from ipfin.registry.domain import RightKind
from ipfin.registry.models import Right
from ipfin.registry.selectors import clean_search_text
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.models import Valuation
from ipfin.valuation.selectors import credit_scores_bulk, reliable_valuations_of

__all__ = [
    "MAX_COMPARE",
    "DemandMatches",
    "bank_customers",
    "demand_facts",
    "demand_get",
    "demand_list",
    "demand_matches",
    "ledger_get",
    "ledger_list",
    "lpr_rate",
    "policy_list",
    "product_annual_rate",
    "product_compare",
    "product_current_version",
    "product_get",
    "product_list",
    "product_version_get",
]

MAX_COMPARE = 5
BP = Decimal(10_000)  # basis points in one


# --- LPR -----------------------------------------------------------------------------------------


def bank_customers(bank_id: int) -> Q:
    """The enterprises (a Q over Organisation) with a demand pushed to the bank `bank_id` (a
    feedback ledger row for it): `ipfin.accounts.customers`' financing part."""
    pushed = DemandResponse.objects.filter(bank_id=bank_id)
    return Q(pk__in=pushed.values("demand__enterprise_id"))


def _valid_tenor(tenor: str) -> str:
    if tenor not in LprTenor.values:
        raise ValidationFailed(
            f"LPR期限应为 {'、'.join(LprTenor.values)}。",
            f"The LPR tenor must be one of {', '.join(LprTenor.values)}.",
            code="lpr_tenor_invalid",
            extra={"field": "lpr_tenor"},
        )
    return tenor


def lpr_rate(*, tenor: str, on: date) -> Decimal:
    """The LPR of `tenor` ("1y" or "5y") in force on `on`: the latest fixing on or before it, as a
    fraction (0.0300 = 3.00 %). A 422 `lpr_unavailable` before the first stored fixing."""
    rate = (
        LprQuote.objects.filter(tenor=_valid_tenor(tenor), date__lte=on)
        .order_by("-date")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationFailed(
            f"{on} 之前没有 {tenor} LPR 报价记录。",
            f"No {tenor} LPR fixing is recorded on or before {on}.",
            code="lpr_unavailable",
        )
    return Decimal(rate)


class _LprCache:
    """The LPR of each tenor on one day, read once per request."""

    def __init__(self, on: date) -> None:
        self.on = on
        self._rates: dict[str, Decimal | None] = {}

    def rate(self, tenor: str) -> Decimal | None:
        if tenor not in self._rates:
            try:
                self._rates[tenor] = lpr_rate(tenor=tenor, on=self.on)
            except ValidationFailed:
                self._rates[tenor] = None
        return self._rates[tenor]


def product_annual_rate(version: ProductVersion, *, on: date) -> Decimal | None:
    """LPR (of the version's tenor, on `on`) + spread; None for a version without a rate. For
    several versions, `annual_rates` (one LPR read per tenor)."""
    return annual_rates([version], on=on)[version.pk]


def annual_rates(versions: Sequence[ProductVersion], *, on: date) -> dict[int, Decimal | None]:
    """{version id: LPR (of its tenor, on `on`) + spread, None without a rate}: one LPR read per
    tenor, whatever the number of versions."""
    lpr = _LprCache(on)
    rates: dict[int, Decimal | None] = {}
    for v in versions:
        base = lpr.rate(v.lpr_tenor) if v.lpr_tenor and v.rate_spread_bp is not None else None
        rates[v.pk] = (
            None
            if base is None or v.rate_spread_bp is None
            else lpr_plus_spread(base, v.rate_spread_bp)
        )
    return rates


# --- products ------------------------------------------------------------------------------------


def _valid_choice(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ValidationFailed(
            f"“{name}”的取值“{value}”无效。",
            f"Invalid value {value!r} for {name!r}.",
            code="filter_invalid",
            extra={"field": name, "allowed": list(allowed)},
        )
    return value


def _on_sale() -> QuerySet[Product]:
    """Products with their provider and the terms on sale (the current version)."""
    return Product.objects.select_related("provider", "current_version").filter(
        current_version__isnull=False
    )


def current_terms(product: Product) -> ProductVersion:
    """The terms `product` is on sale with (its current version): every product the selectors
    answer has one."""
    version = product.current_version
    if version is None:
        raise _product_not_found()
    return version


def _within(low_field: str, high_field: str, value: object) -> Q:
    """The current version's `low_field` ≤ value ≤ `high_field`, a missing bound admitting."""
    low, high = f"current_version__{low_field}", f"current_version__{high_field}"
    return (Q(**{f"{low}__isnull": True}) | Q(**{f"{low}__lte": value})) & (
        Q(**{f"{high}__isnull": True}) | Q(**{f"{high}__gte": value})
    )


def product_list(
    *,
    actor: Actor | None = None,
    kind: str | None = None,
    provider: int | None = None,
    right_kind: str | None = None,
    amount: Decimal | str | None = None,
    term: int | None = None,
    region: str | None = None,
    park: int | None = None,
    industry: str | None = None,
    text: str | None = None,
    include_withdrawn: bool = False,
) -> list[Product]:
    """Products on sale (`current_version` loaded), by provider and code.

    Filters (all optional; a product without a restriction passes it): `kind`, `provider` (an
    organisation id), `amount` and `term` (months) within the ranges, `text` (name, code,
    provider, description) in SQL; `right_kind` (accepted), `region` and `industry` (admitted by
    prefix) and `park` (an organisation id) on the version's lists by the matching's `admits`
    (JSON lists: no portable SQL). `include_withdrawn` adds the actor's own withdrawn products (a
    provider's view of its catalogue).
    """
    products = _on_sale()
    own_org = getattr(actor, "organisation_id", None) if actor is not None else None
    if include_withdrawn and own_org is not None:
        products = products.filter(Q(is_active=True) | Q(provider_id=own_org))
    else:
        products = products.filter(is_active=True)
    if kind:
        products = products.filter(kind=_valid_choice(kind, ProductKind.values, "kind"))
    if provider is not None:
        products = products.filter(provider_id=provider)
    if right_kind:
        _valid_choice(right_kind, [k.value for k in RightKind], "right_kind")
    if amount not in (None, ""):
        try:
            wanted_amount = parse_money(amount)
        except (TypeError, ValueError):
            raise ValidationFailed(
                "金额应为不超过两位小数的非负数。",
                "The amount must be a non-negative number with at most two decimals.",
                code="filter_invalid",
                extra={"field": "amount"},
            ) from None
        products = products.filter(_within("amount_min", "amount_max", wanted_amount))
    if term is not None:
        products = products.filter(_within("term_min_months", "term_max_months", term))
    needle = clean_search_text(text or "")
    if needle:
        products = products.filter(
            Q(name__icontains=needle)
            | Q(code__icontains=needle)
            | Q(provider__name__icontains=needle)
            | Q(current_version__description__icontains=needle)
        )
    rows = list(products.order_by("provider__name", "code", "id"))
    return [
        p
        for p in rows
        if admits(
            product_terms(p), right_kind=right_kind, region=region, industry=industry, park=park
        )
    ]


def _product_not_found() -> NotFound:
    return NotFound("未找到该金融产品。", "No such product.", code="product_not_found")


def product_get(*, pk: int, actor: Actor | None = None) -> Product:
    """One product (withdrawn ones too: a loan may point at them), `current_version` loaded."""
    product = _on_sale().filter(pk=pk).first()
    if product is None:
        raise _product_not_found()
    return product


def product_history(product: Product) -> list[ProductVersion]:
    """Every version of `product`, newest first."""
    return list(product.versions.order_by("-version"))


def product_version_get(*, pk: int) -> ProductVersion:
    """One version of a product (the terms a loan was granted on); NotFound otherwise."""
    version = ProductVersion.objects.select_related("product__provider").filter(pk=pk).first()
    if version is None:
        raise NotFound(
            "未找到该产品版本。", "No such product version.", code="product_version_not_found"
        )
    return version


def product_current_version(product: Product) -> ProductVersion:
    """The latest version of `product` as stored now (a write, such as a loan application, takes
    the terms from the database, not from a product read earlier)."""
    version = product.versions.order_by("-version").first()
    if version is None:
        raise _product_not_found()
    return version


def product_compare(*, ids: Sequence[int]) -> list[Product]:
    """Two to five products side by side, in the order asked; a 404 naming the
    first unknown id, a 422 for fewer than two or more than five."""
    wanted = list(dict.fromkeys(ids))
    if not 2 <= len(wanted) <= MAX_COMPARE:
        raise ValidationFailed(
            f"请选择 2 至 {MAX_COMPARE} 个产品进行比较。",
            f"Choose between 2 and {MAX_COMPARE} products to compare.",
            code="compare_count",
            extra={"max": MAX_COMPARE},
        )
    found = {p.pk: p for p in _on_sale().filter(pk__in=wanted)}
    for pk in wanted:
        if pk not in found:
            raise NotFound(
                f"未找到编号为 {pk} 的金融产品。",
                f"No product with id {pk}.",
                code="product_not_found",
                extra={"id": pk},
            )
    return [found[pk] for pk in wanted]


# --- policies ------------------------------------------------------------------------------------


def policy_list(
    *, kind: str | None = None, text: str | None = None, include_inactive: bool = False
) -> QuerySet[Policy]:
    """Published policies, newest first (public)."""
    policies = Policy.objects.select_related("issuer")
    if not include_inactive:
        policies = policies.filter(is_active=True)
    if kind:
        policies = policies.filter(kind=_valid_choice(kind, PolicyKind.values, "kind"))
    needle = clean_search_text(text or "")
    if needle:
        policies = policies.filter(
            Q(title__icontains=needle)
            | Q(summary__icontains=needle)
            | Q(issuer__name__icontains=needle)
        )
    return policies.order_by("-created_at", "-id")


# --- demands -------------------------------------------------------------------------------------


def _demand_scope(actor: Actor) -> Q | None:
    scope = tenant_scope(
        actor,
        "enterprise_id",
        "filed_by_org_id",
        "enterprise__park_id",
        view_all=Perm.FINANCING_VIEW_ALL,
    )
    if scope is None:
        return None
    org_id = getattr(actor, "organisation_id", None)
    if org_id is not None:
        # A bank sees the demands pushed to it (a subquery: no duplicate rows from the join).
        scope |= Q(pk__in=DemandResponse.objects.filter(bank_id=org_id).values("demand_id"))
    return scope


def demand_list(*, actor: Actor, state: str | None = None) -> QuerySet[Demand]:
    """The demands `actor` may see, newest first; optionally in one state."""
    require_login(actor)
    demands = Demand.objects.select_related("enterprise", "filed_by_org").prefetch_related(
        Prefetch("rights", queryset=Right.objects.order_by("number"))
    )
    scope = _demand_scope(actor)
    if scope is not None:
        demands = demands.filter(scope)
    if state:
        demands = demands.filter(state=_valid_choice(state, DemandState.values, "state"))
    return demands.order_by("-created_at", "-id")


def demand_get(*, actor: Actor, pk: int) -> Demand:
    """One demand `actor` may see; NotFound otherwise (also for another tenant's demand)."""
    demand = demand_list(actor=actor).filter(pk=pk).first()
    if demand is None:
        raise NotFound("未找到该融资需求。", "No such financing demand.", code="demand_not_found")
    return demand


@dataclass(frozen=True)
class ValuationCover:
    """The issued valuations that value the offered rights, without counting a right twice."""

    value: Decimal | None
    valuation_ids: tuple[int, ...]
    rights_valued: int
    rights_total: int


@dataclass(frozen=True)
class CreditInfo:
    total: int | None
    grade: str | None
    dishonesty_on: date | None = None  # graded D by a 失信 record of that day (一票否决)


@dataclass
class DemandMatches:
    demand: Demand
    facts: DemandFacts
    valuation: ValuationCover
    credit: CreditInfo
    matches: list[Match]
    products: dict[int, Product] = field(default_factory=dict)

    @property
    def eligible(self) -> list[Match]:
        return [m for m in self.matches if m.eligible]

    @property
    def ineligible(self) -> list[Match]:
        return [m for m in self.matches if not m.eligible]


def _valuation_cover(right_ids: set[int]) -> ValuationCover:
    """Issued (or rechecked) valuations whose rights are all among `right_ids`, taken widest first
    (a package valuation of more of the offered rights before valuations of fewer), newest first
    among equals, each only if none of its rights is valued already; their values summed. Reports
    a bank's recheck flagged as deviating are left out: no coverage rests on a disputed figure."""
    covered: set[int] = set()
    chosen: list[Valuation] = []
    with_rights = reliable_valuations_of(right_ids)
    # Stable sort: the newest-first order of the selector is kept among valuations of equal width.
    with_rights.sort(key=lambda pair: -len(pair[1]))
    for valuation, rights in with_rights:
        if not rights & covered:
            chosen.append(valuation)
            covered |= rights
    if not chosen:
        return ValuationCover(None, (), 0, len(right_ids))
    return ValuationCover(
        sum((v.value for v in chosen), Decimal(0)),
        tuple(v.pk for v in chosen),
        len(covered),
        len(right_ids),
    )


def _credit_info(enterprise: Organisation, on: date) -> CreditInfo:
    """The enterprise's "IP + credit" score as matching uses it: the same whoever looks at the
    matches; none without a profile, or with one the scorecard refuses (no score rather than no
    matching)."""
    card = credit_scores_bulk([enterprise], on=on).get(enterprise.pk)
    if card is None or isinstance(card, ValuationInputError):
        return CreditInfo(None, None)
    return CreditInfo(int(card.total), str(card.grade), card.dishonesty_on)


def demand_facts(demand: Demand, *, on: date) -> tuple[DemandFacts, ValuationCover, CreditInfo]:
    """A demand as matching sees it on `on`. Its rights held by a pledge or a pending
    application (`pledges.selectors.right_held`, whoever the pledgor: a co-owner's too) are left
    out, their numbers kept in `held_rights`: one query marks them (an EXISTS subquery), and the
    kinds and the valuation are the free rights' only."""
    offered = list(demand.rights.annotate(held=right_held()))
    rights = [r for r in offered if not r.held]
    cover = _valuation_cover({r.pk for r in rights})
    credit = _credit_info(demand.enterprise, on)
    reference = _LprCache(on).rate(LprTenor.ONE_YEAR)
    enterprise = demand.enterprise
    facts = DemandFacts(
        amount=demand.amount,
        term_months=demand.term_months,
        right_kinds=tuple(r.kind for r in rights),
        region=enterprise.region,
        park_id=enterprise.park_id,
        industry=enterprise.industry,
        valuation=cover.value,
        credit_score=credit.total,
        reference_rate=reference if reference is not None else Decimal("0.03"),
        held_rights=tuple(r.number for r in offered if r.held),
        dishonesty_on=credit.dishonesty_on,
    )
    return facts, cover, credit


def _terms(product: Product, lpr: _LprCache) -> ProductTerms:
    v = current_terms(product)
    rate: Decimal | None = None
    if v.lpr_tenor and v.rate_spread_bp is not None:
        base = lpr.rate(v.lpr_tenor)
        rate = None if base is None else lpr_plus_spread(base, v.rate_spread_bp)
    return product_terms(product, rate=rate)


def product_terms(product: Product, *, rate: Decimal | None = None) -> ProductTerms:
    """The matching's view of `product`'s terms on sale (`rate`: today's, when known)."""
    v = current_terms(product)
    return ProductTerms(
        product_id=product.pk,
        version_id=v.pk,
        provider_id=product.provider_id,
        kind=product.kind,
        active=product.is_active,
        amount_min=v.amount_min,
        amount_max=v.amount_max,
        term_min_months=v.term_min_months,
        term_max_months=v.term_max_months,
        rate=rate,
        accepted_right_kinds=tuple(str(k) for k in v.accepted_right_kinds or ()),
        package_allowed=v.package_allowed,
        max_pledge_rate=v.max_pledge_rate,
        regions=tuple(str(r) for r in v.regions or ()),
        park_ids=tuple(int(x) for x in v.park_ids or ()),
        industries=tuple(str(i) for i in v.industries or ()),
    )


def demand_matches(*, actor: Actor, demand: Demand, on: date | None = None) -> DemandMatches:
    """Every loan product (and every other product, with the rule it fails) ranked for `demand`,
    with the reasons; 404 for a demand the actor may not see."""
    demand = demand_get(actor=actor, pk=demand.pk)
    day = on or timezone.localdate()
    facts, cover, credit = demand_facts(demand, on=day)
    lpr = _LprCache(day)
    products = list(_on_sale().order_by("id"))
    terms = [_terms(p, lpr) for p in products]
    return DemandMatches(
        demand=demand,
        facts=facts,
        valuation=cover,
        credit=credit,
        matches=match_products(facts, terms),
        products={p.pk: p for p in products},
    )


# --- the feedback ledger -------------------------------------------------------------------------


def ledger_list(
    *, actor: Actor, today: date | None = None, overdue_only: bool = False
) -> QuerySet[DemandResponse]:
    """Ledger rows `actor` may see (bank: its own; enterprise: those of its demands; park: its
    members'; IP office and regulators: all), the nearest deadline first, each annotated with
    `overdue` (unanswered, past its due date, the demand still open)."""
    require_login(actor)
    day = today or timezone.localdate()
    rows = DemandResponse.objects.select_related(
        "demand__enterprise", "bank", "product_version__product"
    ).annotate(
        overdue=ExpressionWrapper(
            Q(response="") & Q(due_date__lt=day) & Q(demand__state=DemandState.OPEN),
            output_field=BooleanField(),
        )
    )
    scope = tenant_scope(
        actor,
        "bank_id",
        "demand__enterprise_id",
        "demand__filed_by_org_id",
        "demand__enterprise__park_id",
        view_all=Perm.FINANCING_VIEW_ALL,
    )
    if scope is not None:
        rows = rows.filter(scope)
    if overdue_only:
        rows = rows.filter(overdue=True)
    return rows.order_by("due_date", "id")


def ledger_get(*, actor: Actor, pk: int) -> DemandResponse:
    row = ledger_list(actor=actor).filter(pk=pk).first()
    if row is None:
        raise NotFound("未找到该对接记录。", "No such ledger row.", code="ledger_not_found")
    return row
