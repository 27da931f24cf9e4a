"""REST adapter of securitisation (知识产权证券化).

- POST /abs/pools/preview: a pool of the bank's own loans, its cash flows and each tranche's
  expected loss under stresses (a bank's staff); nothing saved. POST /abs/pools/report.pdf and
  .xlsx: the same as the investor report (ipfin.securitisation.reports).
- POST /abs/royalties, GET /abs/royalties: the bank's licence-royalty receivables (the
  licence-back structure), a pool's other kind of asset.
- POST /abs/waterfall/preview: the sequential-pay waterfall of the collections, senior fees and
  tranches given (ipfin.securitisation.domain), nothing saved; open to anyone (a calculator,
  counted with the other calculators per address for anonymous callers:
  IPFIN_ANON_CALCULATOR_RATE, 429 `rate_limited` with Retry-After). A field the schema refuses is
  a 422 `invalid_input`; a rule the schema cannot state is a 422 with its code and `field`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.ratelimit import ANON_CALCULATOR_THROTTLE
from ipfin.common.downloads import attachment
from ipfin.common.money import money_str
from ipfin.risk.domain.ratios import ratio_text
from ipfin.securitisation import reports, selectors, services
from ipfin.securitisation.domain import Waterfall, yuan
from ipfin.securitisation.models import PoolProgramme, RoyaltyReceivable
from ipfin.securitisation.pools import PoolRules
from ipfin.securitisation.schemas import (
    PoolPreviewIn,
    PoolPreviewOut,
    ProgrammeAnswerIn,
    ProgrammeIn,
    ProgrammeOut,
    RoyaltyIn,
    RoyaltyOut,
    WaterfallPreviewIn,
    WaterfallPreviewOut,
)
from ipfin.securitisation.simulation import Stress

router = Router()


def _yuan(fen: int) -> str:
    return money_str(yuan(fen))


def _waterfall(result: Waterfall) -> dict[str, Any]:
    return {
        "periods": [
            {
                "n": n,
                "collection": _yuan(p.collection),
                "fees": _yuan(p.fees),
                "interest": {k: _yuan(v) for k, v in p.interest.items()},
                "principal": {k: _yuan(v) for k, v in p.principal.items()},
                "shortfall": {k: _yuan(v) for k, v in p.shortfall.items()},
                "residual": _yuan(p.residual),
            }
            for n, p in enumerate(result.periods, start=1)
        ],
        "final": {
            name: {
                "balance": _yuan(end.balance),
                "interest_shortfall": _yuan(end.interest_shortfall),
            }
            for name, end in result.final.items()
        },
        "fees_unpaid": _yuan(result.fees_unpaid),
    }


@router.post(
    "/abs/waterfall/preview",
    response=WaterfallPreviewOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_CALCULATOR_THROTTLE,
)
def waterfall_preview(request: HttpRequest, payload: WaterfallPreviewIn) -> dict[str, Any]:
    """Sequential-pay waterfall (顺序偿付), each period in order: the senior fees due (a fee not
    covered carries to the next period, without interest); each tranche's interest in priority
    order — start-of-period balance × rate per period, rounded half-up to the fen, plus the
    interest it was short of before (no interest on that shortfall); principal to the tranches in
    order until each balance is 0; the rest is residual to the equity holder. Every amount to the
    fen; fees + Σ interest + Σ principal + residual = the period's collection. `shortfall` is the
    interest still owed to each tranche after the period. Refused with a 422 naming the field:
    an amount that is not yuan to the fen, a rate outside 0..1, blank or repeated tranche names,
    more periods or tranches than the schema allows. Nothing is saved."""
    return _waterfall(services.waterfall_preview(data=payload.dict()))


@router.post("/abs/pools/preview", response=PoolPreviewOut, auth=ApiAuth())
def pool_preview(request: HttpRequest, payload: PoolPreviewIn) -> dict[str, Any]:
    """A securitised pool of the bank's own loans cut today (a bank's staff, `LOAN_MANAGE`; 403
    otherwise): the loans chosen by the rules — performing only (正常, no day past due) if asked,
    enough months left, then no borrower and no industry above its share of the pool's balance
    (the largest loan of the most concentrated one leaves until both hold) — with the reason each
    other loan was left out; the pool's projected principal and interest by month from the
    loans' unsettled instalments; the tranches sized by their shares of the pool (largest
    remainder, to the fen); and each tranche's expected loss and probability of loss from a
    seeded Monte Carlo of monthly defaults and recoveries through the sequential-pay waterfall,
    in the base case and under each stress (default probabilities × the multiplier, recovery
    less the haircut). Refused with a 422 naming the field: shares not adding up to 1, repeated
    names, more scenarios × loans than a preview may simulate. Nothing is stored."""
    result = _pool(request, payload)
    return {
        "cutoff": result.cutoff,
        "assets": payload.assets,
        "loans": [c.loan_id for c in result.selection.included],
        "excluded": [
            {"loan_id": loan_id, "reason": reason}
            for loan_id, reason in sorted(result.selection.excluded.items())
        ],
        "balance": _yuan(result.balance_fen),
        "senior_fees": _yuan(result.fee_fen),
        "cash_flows": [
            {"month": n, "principal": _yuan(p), "interest": _yuan(i)}
            for n, (p, i) in enumerate(
                zip(result.monthly_principal, result.monthly_interest, strict=True), start=1
            )
        ],
        "tranches": [
            {
                "name": t.name,
                "balance": _yuan(t.balance_fen),
                "rate": ratio_text(Decimal(t.rate_e8).scaleb(-8)),
                "results": [
                    {
                        "stress": r.stress.name,
                        "expected_loss": round(r.result.expected_loss(t.name), 6),
                        "loss_probability": round(r.result.loss_probability(t.name), 6),
                    }
                    for r in result.results
                ],
            }
            for t in result.tranches
        ],
        "mean_defaults": {
            r.stress.name: round(float(r.result.defaults.mean()), 4) if result.results else 0.0
            for r in result.results
        },
    }


def _pool(request: HttpRequest, payload: PoolPreviewIn) -> services.PoolPreview:
    rules = payload.rules
    result = services.pool_preview(
        actor=request.user,
        assets=payload.assets,
        programme_id=payload.programme_id,
        rules=PoolRules(
            performing_only=rules.performing_only,
            min_months_left=rules.min_months_left,
            max_obligor_share=Decimal(rules.max_obligor_share),
            max_industry_share=Decimal(rules.max_industry_share),
        ),
        tranches=[
            services.TrancheShare(t.name.strip(), Decimal(t.share), Decimal(t.rate))
            for t in payload.tranches
        ],
        senior_fee_rate=Decimal(payload.senior_fee_rate),
        monthly_pd=Decimal(payload.monthly_pd),
        recovery_rate=Decimal(payload.recovery_rate),
        scenarios=payload.scenarios,
        seed=payload.seed,
        stresses=[
            Stress(
                s.name.strip(),
                float(Decimal(s.pd_multiplier)),
                int(Decimal(s.recovery_haircut).scaleb(4)),
            )
            for s in payload.stresses
        ],
    )
    return result


def _context(
    request: HttpRequest, payload: PoolPreviewIn, result: services.PoolPreview
) -> reports.ReportContext:
    organisation = getattr(request.user, "organisation", None)
    return reports.ReportContext(
        bank=organisation.name if organisation is not None else "",
        monthly_pd=Decimal(payload.monthly_pd),
        recovery_rate=Decimal(payload.recovery_rate),
        senior_fee_rate=Decimal(payload.senior_fee_rate),
        scenarios=payload.scenarios,
        seed=payload.seed,
        max_obligor_share=Decimal(payload.rules.max_obligor_share),
        max_industry_share=Decimal(payload.rules.max_industry_share),
        borrowers=selectors.borrower_names(result),
        performing_only=payload.rules.performing_only,
        min_months_left=payload.rules.min_months_left,
    )


@router.post("/abs/pools/report.pdf", auth=ApiAuth())
def pool_report_pdf(request: HttpRequest, payload: PoolPreviewIn) -> HttpResponse:
    """The pool's investor report (资产池测算报告) as PDF, from the same request as
    /abs/pools/preview: the pool, the tranches' expected loss and probability of loss under each
    stress, the concentration, the monthly cash flows, the loans left out and the notes with the
    model's assumptions; amounts in 万元. A bank's staff; nothing is stored."""
    result = _pool(request, payload)
    content = reports.investor_report_pdf(result, _context(request, payload, result))
    return attachment(content, reports.PDF_CONTENT_TYPE, f"ipfin-abs-pool-{result.cutoff}.pdf")


@router.post("/abs/pools/report.xlsx", auth=ApiAuth())
def pool_report_xlsx(request: HttpRequest, payload: PoolPreviewIn) -> HttpResponse:
    """The same report as an Excel workbook: one sheet per table, every figure a number."""
    result = _pool(request, payload)
    content = reports.investor_report_workbook(result, _context(request, payload, result))
    return attachment(content, reports.XLSX_CONTENT_TYPE, f"ipfin-abs-pool-{result.cutoff}.xlsx")


def _royalty(r: RoyaltyReceivable) -> dict[str, Any]:
    payments = sorted(r.payments.all(), key=lambda p: p.due_on)
    return {
        "id": r.pk,
        "right_number": r.right.number,
        "licence_event_id": r.licence_event_id,
        "licensor": {"id": r.licensor_id, "name": r.licensor.name},
        "licensee": {"id": r.licensee_id, "name": r.licensee.name},
        "payments": [{"due_on": p.due_on, "amount": money_str(p.amount)} for p in payments],
        "total": money_str(sum((p.amount for p in payments), Decimal(0))),
    }


@router.post("/abs/royalties", response={201: RoyaltyOut}, auth=ApiAuth())
def royalty_record(request: HttpRequest, payload: RoyaltyIn) -> Status[dict[str, Any]]:
    """The bank records a licence-royalty receivable it originates for a pool: the royalties the
    licensee owes, by date, on a licence of the right the register records (422
    `licence_not_recorded` otherwise; `due_on_invalid` for a date not after today or repeated),
    payable to a holder of the right who signed a pledge with the bank or was lent by it (422
    `licensor_not_customer`); a right with more than one holder is refused (422 `co_owned_right`:
    专利法 art. 14, the co-owners share the royalties)."""
    receivable = services.royalty_record(
        actor=request.user,
        number=payload.number,
        licensee_uscc=payload.licensee_uscc,
        payments=[p.dict() for p in payload.payments],
    )
    return Status(201, _royalty(selectors.royalty_list(actor=request.user).get(pk=receivable.pk)))


@router.get("/abs/royalties", response=list[RoyaltyOut], auth=ApiAuth())
def royalty_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The bank's own royalty receivables, newest first (at most 500)."""
    return [_royalty(r) for r in selectors.royalty_list(actor=request.user)[:500]]


def _programme(p: PoolProgramme) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "arranger": {"id": p.arranger_id, "name": p.arranger.name},
        "members": [
            {"bank": {"id": m.bank_id, "name": m.bank.name}, "state": m.state}
            for m in p.members.all()
        ],
        "created_at": p.created_at,
    }


def _fresh_programme(request: HttpRequest, programme_id: int) -> dict[str, Any]:
    return _programme(selectors.programme_list(actor=request.user).get(pk=programme_id))


@router.post("/abs/programmes", response={201: ProgrammeOut}, auth=ApiAuth())
def programme_create(request: HttpRequest, payload: ProgrammeIn) -> Status[dict[str, Any]]:
    """The arranging bank opens a programme of several banks' loans and invites the others (422
    `banks_invalid` naming `bank_ids`: not banks, itself, or repeated). Its pools are previewed
    with `programme_id`: the arranger's loans and those of each bank that accepted."""
    programme = services.programme_create(
        actor=request.user, name=payload.name, bank_ids=payload.bank_ids
    )
    return Status(201, _fresh_programme(request, programme.pk))


@router.get("/abs/programmes", response=list[ProgrammeOut], auth=ApiAuth())
def programme_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The programmes the bank arranges or is invited to, newest first (at most 500)."""
    return [_programme(p) for p in selectors.programme_list(actor=request.user)[:500]]


@router.post("/abs/programmes/{int:abs_programme_id}/answer", response=ProgrammeOut, auth=ApiAuth())
def programme_answer(
    request: HttpRequest, abs_programme_id: int, payload: ProgrammeAnswerIn
) -> dict[str, Any]:
    """An invited bank accepts (its loans join the programme's pools, their figures shared with
    the arranger) or declines, once (409 `programme_answered`); 404 for a bank not invited."""
    services.programme_answer(
        actor=request.user, programme_id=abs_programme_id, decision=payload.decision
    )
    return _fresh_programme(request, abs_programme_id)
