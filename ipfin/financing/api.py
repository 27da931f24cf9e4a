"""REST adapters of the financing catalogue, demand library and feedback ledger: parse → one
selector / service → serialise.

Products, policies and the LPR are public reads (anonymous callers welcome). Demands and ledger rows
are read through the selectors, which answer 404 for another tenant's (never 403). Messages come
in the request's language (`message` / `detail`) next to both languages where stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Query, Router, Schema, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.common import versioning
from ipfin.common.errors import ValidationFailed
from ipfin.common.exchange import exchange_period
from ipfin.common.money import money_str, money_str_or_none
from ipfin.common.schemas import IsoDate
from ipfin.financing import presentation, selectors, services
from ipfin.financing.domain.matching import Match
from ipfin.financing.exchange import demands_interchange, demands_interchange_export_request
from ipfin.financing.models import Demand, DemandResponse, Policy, Product, ProductVersion
from ipfin.financing.schemas import (
    CompareOut,
    DemandIn,
    DemandInterchangeOut,
    DemandOut,
    LedgerOut,
    MatchesOut,
    PolicyIn,
    PolicyOut,
    ProductDetailOut,
    ProductIn,
    ProductOut,
    RespondIn,
)
from ipfin.jobs.api import accepted
from ipfin.jobs.schemas import ExportPeriodIn, JobRunOut

router = Router()
_public = ApiAuth(optional=True)
LIST_LIMIT = 500


def _english() -> bool:
    return (get_language() or "").lower().startswith("en")


def _dec(x: Decimal | None) -> str | None:
    return None if x is None else str(x)


# --- serialisation -------------------------------------------------------------------------------


def _version(v: ProductVersion, rate: Decimal | None) -> dict[str, Any]:
    return {
        "id": v.pk,
        "version": v.version,
        "description": v.description,
        "amount_min": money_str_or_none(v.amount_min),
        "amount_max": money_str_or_none(v.amount_max),
        "term_min_months": v.term_min_months,
        "term_max_months": v.term_max_months,
        "lpr_tenor": v.lpr_tenor,
        "rate_spread_bp": v.rate_spread_bp,
        "annual_rate": _dec(rate),
        "accepted_right_kinds": list(v.accepted_right_kinds),
        "package_allowed": v.package_allowed,
        "max_pledge_rate": _dec(v.max_pledge_rate),
        "repayment_methods": list(v.repayment_methods),
        "regions": list(v.regions),
        "park_ids": list(v.park_ids),
        "industries": list(v.industries),
        "insurance_kind": v.insurance_kind,
        "premium_rate": _dec(v.premium_rate),
        "coverage_ratio": _dec(v.coverage_ratio),
        "coverage_max": money_str_or_none(v.coverage_max),
        "published_at": v.published_at,
    }


def _products(products: Sequence[Product], on: date) -> list[dict[str, Any]]:
    """The products with their terms on sale and today's rates (one LPR read per tenor)."""
    rates = selectors.annual_rates([selectors.current_terms(p) for p in products], on=on)
    return [_product(p, rates[selectors.current_terms(p).pk]) for p in products]


def _product(p: Product, rate: Decimal | None) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "kind": p.kind,
        "kind_label": str(p.get_kind_display()),
        "name": p.name,
        "provider": {"id": p.provider.pk, "name": p.provider.name},
        "is_active": p.is_active,
        "current": _version(selectors.current_terms(p), rate),
    }


def _policy(p: Policy) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "kind_label": str(p.get_kind_display()),
        "title": p.title,
        "summary": p.summary,
        "issuer": {"id": p.issuer.pk, "name": p.issuer.name},
        "conditions": p.conditions or {},
        "subsidy_share": _dec(p.subsidy_share),
        "cap_per_enterprise": money_str_or_none(p.cap_per_enterprise),
        "annual_budget": money_str_or_none(p.annual_budget),
        "year": p.year,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "is_active": p.is_active,
        "created_at": p.created_at,
    }


def _demand(d: Demand) -> dict[str, Any]:
    return {
        "id": d.pk,
        "state": d.state,
        "state_label": str(d.get_state_display()),
        "enterprise": {"id": d.enterprise.pk, "name": d.enterprise.name},
        "filed_by": {"id": d.filed_by_org.pk, "name": d.filed_by_org.name},
        "amount": money_str(d.amount),
        "term_months": d.term_months,
        "purpose": d.purpose,
        "rights": [{"number": r.number, "kind": r.kind, "title": r.title} for r in d.rights.all()],
        "financed_loan_id": d.financed_loan_id,
        "created_at": d.created_at,
    }


def _match(m: Match, product: Product, on: date) -> dict[str, Any]:
    en = _english()
    return {
        "product": _products([product], on)[0],
        "eligible": m.eligible,
        "rank": m.rank,
        "score": _dec(m.score),
        "components": [
            {
                "name": c.name,
                "points": str(c.points),
                "max_points": c.max_points,
                "neutral": c.neutral,
                "detail": c.detail_en if en else c.detail_zh,
            }
            for c in m.components
        ],
        "rules": [
            {**r.as_dict(), "message": r.message_en if en else r.message_zh} for r in m.rules
        ],
    }


def _ledger(row: DemandResponse) -> dict[str, Any]:
    version = row.product_version
    return {
        "id": row.pk,
        "demand_id": row.demand_id,
        "enterprise": {"id": row.demand.enterprise.pk, "name": row.demand.enterprise.name},
        "bank": {"id": row.bank.pk, "name": row.bank.name},
        "product_version_id": row.product_version_id,
        "product_name": version.product.name if version is not None else None,
        "match_score": _dec(row.match_score),
        "pushed_at": row.pushed_at,
        "due_date": row.due_date,
        "overdue": bool(getattr(row, "overdue", False)),
        "response": row.response,
        "reason": row.reason,
        "answered_at": row.answered_at,
        "reminder_count": row.reminder_count,
    }


# --- the catalogue -------------------------------------------------------------------------------


class ProductFilterIn(Schema):
    """The catalogue's filters (the UI's filter form has the same names)."""

    kind: str | None = None
    provider: int | None = None
    right_kind: str | None = None
    amount: str | None = None
    term: int | None = None
    region: str | None = None
    park: int | None = None
    industry: str | None = None
    q: str | None = None


@router.get("/products", response=list[ProductOut], auth=_public)
def product_list(request: HttpRequest, filters: Query[ProductFilterIn]) -> list[dict[str, Any]]:
    """Products on sale with their current terms; filters as in the catalogue page."""
    data = filters.dict()
    products = selectors.product_list(actor=request.user, text=data.pop("q"), **data)
    today = timezone.localdate()
    return _products(products[:LIST_LIMIT], today)


@router.get("/products/compare", response=CompareOut, auth=_public)
def product_compare(request: HttpRequest, ids: str) -> dict[str, Any]:
    """Two to five products side by side: `ids=3,7,9`."""
    try:
        wanted = [int(x) for x in ids.split(",") if x.strip()]
    except ValueError:
        raise ValidationFailed(
            "ids 应为以逗号分隔的产品编号。",
            "ids must be product ids separated by commas.",
            code="compare_ids_invalid",
        ) from None
    products = selectors.product_compare(ids=wanted)
    today = timezone.localdate()
    en = _english()
    rows = [
        {"key": r["key"], "label": r["label_en"] if en else r["label_zh"], "values": r["values"]}
        for r in presentation.compare_rows(products, on=today)
    ]
    return {"products": _products(products, today), "rows": rows}


@router.get("/products/{int:product_id}", response=ProductDetailOut, auth=_public)
def product_detail(request: HttpRequest, product_id: int) -> dict[str, Any]:
    """A product with every version it has had, newest first."""
    product = selectors.product_get(pk=product_id)
    today = timezone.localdate()
    history = selectors.product_history(product)
    rates = selectors.annual_rates(history, on=today)
    return {
        **_products([product], today)[0],
        "versions": [_version(v, rates[v.pk]) for v in history],
    }


@router.post(
    "/products", response={201: ProductOut}, openapi_extra=versioning.openapi_optional_write()
)
def product_publish(request: HttpRequest, payload: ProductIn) -> Status[dict[str, Any]]:
    """Publish a product (version 1) or a new version of the caller's product `code`. With
    `If-Match: "<n>"` (the version the terms were drawn from; "0" for a new product) a version
    published in between is a 409 `version_conflict` and nothing is published."""
    data = payload.dict()
    based_on = versioning.if_match_version(request.headers.get(versioning.IF_MATCH))
    version = services.product_publish(actor=request.user, based_on=based_on, **data)
    product = selectors.product_get(pk=version.product_id)
    return Status(201, _products([product], timezone.localdate())[0])


@router.post("/products/{int:product_id}/withdraw", response=ProductOut)
def product_withdraw(request: HttpRequest, product_id: int) -> dict[str, Any]:
    """Take the caller's own product off sale."""
    services.product_withdraw(actor=request.user, product=selectors.product_get(pk=product_id))
    return _products([selectors.product_get(pk=product_id)], timezone.localdate())[0]


class LprOut(Schema):
    tenor: str
    on: IsoDate
    rate: str


@router.get("/lpr", response=LprOut, auth=_public)
def lpr(request: HttpRequest, tenor: str = "1y", on: IsoDate | None = None) -> dict[str, Any]:
    """The LPR of a tenor in force on a day (today by default)."""
    day = on or timezone.localdate()
    return {"tenor": tenor, "on": day, "rate": str(selectors.lpr_rate(tenor=tenor, on=day))}


@router.get("/policies", response=list[PolicyOut], auth=_public)
def policy_list(
    request: HttpRequest, kind: str | None = None, q: str | None = None
) -> list[dict[str, Any]]:
    """Policies in force, newest first."""
    return [_policy(p) for p in selectors.policy_list(kind=kind, text=q)[:LIST_LIMIT]]


@router.post("/policies", response={201: PolicyOut})
def policy_publish(request: HttpRequest, payload: PolicyIn) -> Status[dict[str, Any]]:
    """Publish a policy (IP office, parks)."""
    policy = services.policy_publish(actor=request.user, **payload.dict())
    return Status(201, _policy(policy))


# --- demands -------------------------------------------------------------------------------------


@router.post("/demands", response={201: DemandOut})
def demand_file(request: HttpRequest, payload: DemandIn) -> Status[dict[str, Any]]:
    """File a financing demand (an enterprise for itself, a park for a member)."""
    demand = services.demand_file(actor=request.user, **payload.dict())
    return Status(201, _demand(selectors.demand_get(actor=request.user, pk=demand.pk)))


@router.get("/demands", response=list[DemandOut])
def demand_list(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    """The demands the caller may see (own, members', pushed to the bank; the office: all)."""
    return [_demand(d) for d in selectors.demand_list(actor=request.user, state=state)[:LIST_LIMIT]]


@router.get("/demands/{int:demand_id}", response=DemandOut)
def demand_detail(request: HttpRequest, demand_id: int) -> dict[str, Any]:
    return _demand(selectors.demand_get(actor=request.user, pk=demand_id))


@router.get("/demands/{int:demand_id}/matches", response=MatchesOut)
def demand_matches(request: HttpRequest, demand_id: int) -> dict[str, Any]:
    """Every product ranked for the demand, with the rules it passed or failed and, for eligible
    ones, the score and its components."""
    demand = selectors.demand_get(actor=request.user, pk=demand_id)
    today = timezone.localdate()
    report = selectors.demand_matches(actor=request.user, demand=demand, on=today)
    return {
        "demand_id": demand.pk,
        "valuation": money_str_or_none(report.valuation.value),
        "valuation_ids": list(report.valuation.valuation_ids),
        "rights_valued": report.valuation.rights_valued,
        "rights_total": report.valuation.rights_total,
        "held_rights": list(report.facts.held_rights),
        "credit_score": report.credit.total,
        "credit_grade": report.credit.grade,
        "reference_rate": str(report.facts.reference_rate),
        "matches": [
            _match(m, report.products[m.product.product_id], today) for m in report.matches
        ],
    }


@router.post("/demands/{int:demand_id}/push", response={201: list[LedgerOut]})
def demand_push(request: HttpRequest, demand_id: int) -> Status[list[dict[str, Any]]]:
    """Push the demand to every bank with an eligible product; returns the new ledger rows."""
    demand = selectors.demand_get(actor=request.user, pk=demand_id)
    created = services.demand_push(actor=request.user, demand=demand)
    rows = selectors.ledger_list(actor=request.user).filter(pk__in=[r.pk for r in created])
    return Status(201, [_ledger(r) for r in rows])


@router.post("/demands/{int:demand_id}/withdraw", response=DemandOut)
def demand_withdraw(request: HttpRequest, demand_id: int) -> dict[str, Any]:
    demand = selectors.demand_get(actor=request.user, pk=demand_id)
    services.demand_withdraw(actor=request.user, demand=demand)
    return _demand(selectors.demand_get(actor=request.user, pk=demand_id))


# --- the feedback ledger -------------------------------------------------------------------------


@router.get("/ledger", response=list[LedgerOut])
def ledger_list(request: HttpRequest, overdue: bool = False) -> list[dict[str, Any]]:
    """Ledger rows the caller may see, nearest deadline first, with the overdue flag."""
    rows = selectors.ledger_list(actor=request.user, overdue_only=overdue)
    return [_ledger(r) for r in rows[:LIST_LIMIT]]


@router.post("/ledger/{int:row_id}/respond", response=LedgerOut)
def ledger_respond(request: HttpRequest, row_id: int, payload: RespondIn) -> dict[str, Any]:
    """The bank of the row answers: interested, need_info, or declined with a reason."""
    services.demand_respond(actor=request.user, response_id=row_id, **payload.dict())
    return _ledger(selectors.ledger_get(actor=request.user, pk=row_id))


@router.get("/exports/demands.json", response=DemandInterchangeOut, auth=ApiAuth())
def demands_export(request: HttpRequest, start: date, end: date) -> dict[str, Any]:
    """The financing demands filed from `start` to `end` (inclusive, at most 366 days) as an
    interchange file for the credit-information platforms (信易贷-style), for the IP office to
    send on (422 `period_invalid`)."""
    first, last = exchange_period(start, end)
    return demands_interchange(actor=request.user, start=first, end=last)


@router.post("/exports/demands/jobs", auth=ApiAuth(), response={202: JobRunOut})
def demands_export_job(
    request: HttpRequest, response: HttpResponse, body: ExportPeriodIn
) -> Status[dict[str, Any]]:
    """The same file built in the background, for a long period: the period is checked now
    (422 `period_invalid`, nothing queued); 202 with the run, `Location` its address (GET
    /jobs/{job_id}), polled until done (`result.rows_exported`), then the file at GET
    /jobs/{job_id}/file (kept a week). 409 `job_running` while the organisation's previous
    export runs."""
    run = demands_interchange_export_request(actor=request.user, start=body.start, end=body.end)
    return accepted(request, response, run)
