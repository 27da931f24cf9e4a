"""REST adapters of valuation: parse → one service / selector → serialise.

- POST /valuations/preview: any approach from its inputs, nothing saved; open to anyone (a
  calculator, for bank systems too).
- POST /valuations (banks and valuation agencies), GET /valuations, GET /valuations/{id},
  POST /valuations/{id}/issue (the maker), POST /valuations/{id}/recheck (the client bank; an
  optional body {reference_values: {number: "amount"}}, else its own bank_internal valuations).
- GET/PUT /valuations/bank-model: the caller's bank's internal model (a PUT names the version
  read in If-Match: ipfin.common.versioning).
- GET /rights/{number}/score: the public indicator score with each indicator's contribution
  (optional dimension weights and an expert's assessments recompute it).
- GET /rights/{number}/comparables: the register's priced transfers and licences of similar
  rights, with suggested market-approach factors (public).
- GET/PUT /enterprises/{uscc}/credit-score: the "IP + credit" scorecard and its profile (a PUT
  names the profile's version read in If-Match).

Every endpoint on a valuation first reads it through `valuation_get` (404 for another tenant's),
then calls the service, which checks the permission for the action.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import Throttled
from ninja.files import UploadedFile

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.ratelimit import (
    ANON_CALCULATOR_THROTTLE,
    ANON_READ_THROTTLE,
    ANON_SCORE_THROTTLE,
    retry_after,
)
from ipfin.common import versioning
from ipfin.common.money import money_str, money_str_or_none
from ipfin.common.schemas import ErrorOut, IsoDate
from ipfin.jobs.api import accepted
from ipfin.jobs.schemas import JobRunOut
from ipfin.registry.selectors import right_get
from ipfin.valuation import selectors, services
from ipfin.valuation.models import CreditDataImport, Valuation
from ipfin.valuation.schemas import (
    BankModelIn,
    BankModelOut,
    ComparableOut,
    CreditImportListOut,
    CreditImportOut,
    CreditProfileIn,
    CreditScoreOut,
    IssueIn,
    PreviewIn,
    PreviewOut,
    RecheckIn,
    RightScoreOut,
    ValuationIn,
    ValuationOut,
    ValuationSummaryOut,
)
from ipfin.valuation.services.approaches import dec_str

router = Router()
_public = ApiAuth(optional=True)
LIST_LIMIT = 500


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _org(org: Any) -> dict[str, Any] | None:
    return {"id": org.pk, "name": org.name} if org is not None else None


def _summary(valuation: Valuation) -> dict[str, Any]:
    return {
        "id": valuation.pk,
        "state": valuation.state,
        "method": valuation.method,
        "value": money_str(valuation.value),
        "valuation_date": valuation.valuation_date,
        "organisation": _org(valuation.organisation),
        "client_bank": _org(valuation.client_bank),
        "flagged": valuation.flagged,
        "created_at": valuation.created_at,
    }


def _detail(valuation: Valuation) -> dict[str, Any]:
    return {
        **_summary(valuation),
        "rights": [
            {
                "number": item.right.number,
                "kind": item.right.kind,
                "title": item.right.title,
                "reference_value": money_str_or_none(item.reference_value),
                "internal_value": money_str_or_none(item.internal_value),
            }
            for item in valuation.items.all()
        ],
        "inputs": valuation.inputs,
        "result": valuation.result,
        "issued_at": valuation.issued_at,
        "rechecked_at": valuation.rechecked_at,
        "internal_value": money_str_or_none(valuation.internal_value),
        "deviation": dec_str(valuation.deviation) if valuation.deviation is not None else None,
        "threshold": dec_str(valuation.threshold) if valuation.threshold is not None else None,
        "recheck": valuation.recheck,
        "appraisers": [n for n in (valuation.appraiser_one, valuation.appraiser_two) if n],
        "fee": money_str(valuation.fee) if valuation.fee is not None else None,
        "fee_payer": (
            {"id": valuation.fee_payer_id, "name": valuation.fee_payer.name}
            if valuation.fee_payer is not None
            else None
        ),
        "warnings": [w.as_dict(_english()) for w in selectors.valuation_warnings(valuation)],
    }


def _fresh(request: HttpRequest, valuation_id: int) -> dict[str, Any]:
    return _detail(selectors.valuation_get(actor=request.user, pk=valuation_id))


# --- preview -------------------------------------------------------------------------------------


_PREVIEW_STATUSES = {
    "responses": {
        422: {
            "description": "An input no value can be computed from (valuation_input, naming the "
            "field: a negative discount rate, an income period beyond the remaining legal term "
            "of the rights on the valuation date, ...), a right unknown (right_not_found) or "
            "whose term the register cannot compute (term_unknown), a valuation date after "
            "today (valuation_date_invalid), or a malformed body"
        },
    }
}


@router.post(
    "/valuations/preview",
    response={200: PreviewOut, 422: ErrorOut},
    auth=_public,
    throttle=ANON_CALCULATOR_THROTTLE,
    openapi_extra=_PREVIEW_STATUSES,
)
def preview(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    """Compute an approach without saving: {method, value: "123.45", ...the explanation,
    warnings}. With `rights` (and `valuation_date`) the preview applies the rules of saving a
    valuation of those rights (issue 13: preview equals save) and warns of a pending invalidation
    or a grace period. Anonymous callers: at most IPFIN_ANON_CALCULATOR_RATE requests per address
    (429 `rate_limited` with Retry-After), shared with POST /schedules/preview."""
    return services.valuation_preview(data=payload.model_dump(exclude_none=True))


# --- valuations ----------------------------------------------------------------------------------


@router.post("/valuations", response={201: ValuationOut})
def create(request: HttpRequest, payload: ValuationIn) -> Status[dict[str, Any]]:
    """Value one right or a package and store a draft (banks and valuation agencies)."""
    valuation = services.valuation_create(actor=request.user, **payload.dict())
    return Status(201, _fresh(request, valuation.pk))


@router.get("/valuations", response=list[ValuationSummaryOut])
def valuation_list(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    """The caller's valuations (made or received as client bank); supervisors see all."""
    valuations = selectors.valuation_list(actor=request.user, state=state)[:LIST_LIMIT]
    return [_summary(v) for v in valuations]


def _bank_model_out(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    bank_id = getattr(request.user, "organisation_id", None)
    model = selectors.bank_model_of(bank_id)
    version = selectors.bank_model_version(bank_id)
    response[versioning.ETAG] = versioning.etag(version)
    return {
        "haircuts": {k: str(v) for k, v in model.haircuts.items()},
        "max_pledge_rates": {k: str(v) for k, v in model.max_pledge_rates.items()},
        "recheck_threshold": str(model.recheck_threshold),
        "score_floor": str(model.score_floor),
        "version": version,
    }


@router.get(
    "/valuations/bank-model", response=BankModelOut, openapi_extra=versioning.openapi_read()
)
def bank_model(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """The caller's bank's internal valuation model (the default one until it sets its own),
    with its `version` (and ETag; 0 until it sets its own)."""
    require(request.user, Perm.VALUATION_WRITE)
    return _bank_model_out(request, response)


@router.put(
    "/valuations/bank-model", response=BankModelOut, openapi_extra=versioning.openapi_write()
)
def bank_model_put(
    request: HttpRequest, response: HttpResponse, payload: BankModelIn
) -> dict[str, Any]:
    """Set the caller's bank's internal model (only the fields given change). `If-Match` names
    the version read (`"0"` while the bank has set none): a stale one is a 409
    `version_conflict` with `current_version`, none a 428 `version_required`."""
    services.bank_model_update(
        actor=request.user,
        version=versioning.if_match_version(request.headers.get(versioning.IF_MATCH)),
        **payload.dict(exclude_none=True),
    )
    return _bank_model_out(request, response)


@router.get("/valuations/{int:valuation_id}", response=ValuationOut)
def valuation_detail(request: HttpRequest, valuation_id: int) -> dict[str, Any]:
    return _fresh(request, valuation_id)


@router.post("/valuations/{int:valuation_id}/issue", response=ValuationOut)
def issue(
    request: HttpRequest, valuation_id: int, payload: IssueIn | None = None
) -> dict[str, Any]:
    """Issue (出具) a draft (the organisation that made it), signed by `appraisers`: a valuation
    agency's report by two different appraisers (资产评估法 art. 26; 422 appraisers_required)."""
    valuation = selectors.valuation_get(actor=request.user, pk=valuation_id)
    appraisers = payload.appraisers if payload is not None else []
    services.valuation_issue(
        actor=request.user,
        valuation=valuation,
        appraisers=appraisers,
        fee=payload.fee if payload is not None else None,
        fee_payer_uscc=payload.fee_payer_uscc if payload is not None else None,
    )
    return _fresh(request, valuation_id)


@router.post("/valuations/{int:valuation_id}/recheck", response=ValuationOut)
def recheck(
    request: HttpRequest, valuation_id: int, payload: RecheckIn | None = None
) -> dict[str, Any]:
    """Recheck (复核) an issued report against the client bank's own value of its rights:
    `reference_values` {number: "amount"}, or (no body, or none given) the bank's latest
    bank_internal valuation of each right. Deviation = |report − Σ bank values| / Σ bank values,
    flagged above the bank model's threshold; a right with no bank figure is a 422
    `recheck_needs_bank_value`."""
    valuation = selectors.valuation_get(actor=request.user, pk=valuation_id)
    given = payload.reference_values if payload is not None else None
    services.valuation_recheck(actor=request.user, valuation=valuation, reference_values=given)
    return _fresh(request, valuation_id)


# --- the indicator score -------------------------------------------------------------------------


class ScoreQuery(Schema):
    # Strings: the selector parses them, so that a bad value is a 422 naming its field.
    legal: str | None = Field(None, description="dimension weight α (with technical, economic)")
    technical: str | None = Field(None, description="dimension weight β")
    economic: str | None = Field(None, description="dimension weight γ")
    expert_legal: str | None = Field(None, description="an expert's legal assessment, 0–100")
    expert_technical: str | None = Field(
        None, description="an expert's technical assessment, 0–100"
    )
    expert_economic: str | None = Field(None, description="an expert's economic assessment, 0–100")


_DIMENSION_PARAMS = ("legal", "technical", "economic")


@router.get(
    "/rights/{number}/score", response=RightScoreOut, auth=_public, throttle=ANON_SCORE_THROTTLE
)
def right_score(request: HttpRequest, number: str, query: Query[ScoreQuery]) -> dict[str, Any]:
    """The right's 价值度 score, grade and each indicator's contribution (public). Optional
    dimension weights (legal, technical, economic; summing to 1) recompute it on the fly;
    optional expert assessments (expert_legal, expert_technical, expert_economic; 0–100) replace
    the neutral ½ of those indicators, the data indicators keeping their cohort percentiles
    (`experts` in the result echoes those used). A bad value is a 422 naming its field.

    `cohort` says which rights the percentiles were taken among: the same kind, IPC subclass and
    filing year, backed off (`basis`) to filing years within ±2, the IPC class, the section, then
    every right of the kind, until at least IPFIN_SCORE_MIN_COHORT rights (default 30).
    `grade` is on the bounds the last `score_portfolio` run calibrated on the register
    (`grade_scale`: A the top 15%, B the next 25%, C the next 40%, D the rest by default; the
    fixed bounds 65/55/45 before any run); `share_below` is the share of that run's rights that
    score lower (null before any run). Anonymous callers who give weights or expert assessments
    are counted with the calculators (IPFIN_ANON_CALCULATOR_RATE per address: 429 `rate_limited`
    beyond it), and so are those asking for a right with no stored score (computed now, as a
    calculator computes); reading the stored score is not counted."""
    given = {k: v for k, v in query.dict().items() if v is not None}
    weights = {k: v for k, v in given.items() if k in _DIMENSION_PARAMS}
    experts = {k: v for k, v in given.items() if k not in _DIMENSION_PARAMS}

    def count_the_computation() -> None:
        # A plain GET passed the operation's throttle uncounted, as a read of the stored score;
        # none is stored, so it computes: counted now. (Uncounted, an anonymous address could
        # have a cohort read and ranked on every call.)
        if not given and not ANON_CALCULATOR_THROTTLE.allow_request(request):
            raise Throttled(retry_after(ANON_CALCULATOR_THROTTLE.wait()))

    return selectors.right_score_get(
        number=number,
        dimensions=weights or None,
        experts=experts or None,
        before_computing=count_the_computation,
    )


@router.get(
    "/rights/{number}/comparables",
    response=list[ComparableOut],
    auth=_public,
    throttle=ANON_READ_THROTTLE,
)
def right_comparables(
    request: HttpRequest,
    number: str,
    on: IsoDate | None = None,
    limit: int = Query(10, ge=1, le=selectors.MAX_COMPARABLES),
) -> list[dict[str, Any]]:
    """Comparables for the market approach (public): the register's transfers and licences
    recorded with a price, of other rights of the same kind, most similar first (IPC subclass >
    class > section; then the most recent), as of `on` (the valuation date, default today).
    Each `comparable` is a suggested entry of the preview's `comparables` (price, technical,
    economic, remaining_life_ratio, time, weight): the remaining-life ratio and the similarity
    weight computed, the other factors 1 for the valuer to set; `event` is its source. A
    licence's price is a licence fee (`is_licence`): the valuer decides whether to use it.
    Anonymous callers: at most IPFIN_ANON_READ_RATE requests per address (429 `rate_limited`
    with Retry-After)."""
    right = right_get(number=number)
    return selectors.market_comparables(right=right, on=on or timezone.localdate(), limit=limit)


# --- "IP + credit" -------------------------------------------------------------------------------


def _credit_out(response: HttpResponse, data: dict[str, Any]) -> dict[str, Any]:
    response[versioning.ETAG] = versioning.etag(data["version"])
    profile = dict(data["profile"])
    for key in ("rd_expense_ratio", "revenue_growth", "debt_ratio"):
        value = profile[key]
        profile[key] = str(value) if value is not None else None
    profile["revenue"] = money_str_or_none(profile["revenue"])
    return {**data, "profile": profile}


@router.get(
    "/enterprises/{uscc}/credit-score",
    response=CreditScoreOut,
    openapi_extra=versioning.openapi_read(),
)
def credit_score(request: HttpRequest, response: HttpResponse, uscc: str) -> dict[str, Any]:
    """The "IP + credit" scorecard (the enterprise itself, banks, the IP office, regulators),
    with the `version` (and ETag) of the profile behind it (0 while none is stored)."""
    return _credit_out(response, selectors.credit_score_get(actor=request.user, uscc=uscc))


@router.put(
    "/enterprises/{uscc}/credit-score",
    response=CreditScoreOut,
    openapi_extra=versioning.openapi_write(),
)
def credit_profile_put(
    request: HttpRequest, response: HttpResponse, uscc: str, payload: CreditProfileIn
) -> dict[str, Any]:
    """Update the profile behind the scorecard (the enterprise itself or a bank); only the
    fields given change. Returns the new scorecard. `If-Match` names the profile's version as
    read (`"0"` while none is stored): a stale one is a 409 `version_conflict` with
    `current_version`, none a 428 `version_required`."""
    services.credit_profile_update(
        actor=request.user,
        uscc=uscc,
        version=versioning.if_match_version(request.headers.get(versioning.IF_MATCH)),
        **payload.model_dump(exclude_unset=True),
    )
    return _credit_out(response, selectors.credit_score_get(actor=request.user, uscc=uscc))


def _credit_import(x: CreditDataImport, *, skipped: bool = True) -> dict[str, Any]:
    out = {
        "id": x.pk,
        "kind": x.kind,
        "source": x.source,
        "as_of": x.as_of,
        "filename": x.filename,
        "rows_total": x.rows_total,
        "rows_applied": x.rows_applied,
        "rows_skipped": x.rows_skipped,
        "created_at": x.created_at,
    }
    if skipped:
        out["skipped"] = x.skipped
    return out


@router.post("/credit-imports", response={201: CreditImportOut})
def credit_import(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[Literal["tax_grade", "public_credit", "court_judgment"]],
    source: Form[str],
    as_of: Form[dt.date],
) -> Status[dict[str, Any]]:
    """Import a credit data file (multipart: `file` .csv or .xlsx ≤ 5 MB; `kind`; `source`, the
    body that published it; `as_of`, the data's date). Every row is checked; a file with any
    problem is a 422 `credit_file_invalid` whose `problems` name each row, column and reason, and
    nothing is stored; 409 `credit_file_duplicate` for a file imported before. Rows of
    enterprises not on the platform are listed as `skipped`."""
    data_import = services.credit_file_import(
        actor=request.user, uploaded_file=file, kind=kind, source=source, as_of=as_of
    )
    return Status(201, _credit_import(data_import))


@router.post("/credit-imports/jobs", response={202: JobRunOut})
def credit_import_job(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    kind: Form[Literal["tax_grade", "public_credit", "court_judgment"]],
    source: Form[str],
    as_of: Form[dt.date],
) -> Status[dict[str, Any]]:
    """The same import as a background run, for a large file: the fields and the file's size
    and type are checked now (422, nothing queued); 202 with the run, `Location` its address
    (GET /jobs/{job_id}), polled until done (`result`: import_id, rows_total, rows_applied,
    rows_skipped) or failed (`result.refused`: the code, message and `problems` the direct
    import would have answered; nothing stored). 409 `job_running` while the office's previous
    import runs. Without a broker the run is over when this answers."""
    run = services.credit_file_import_request(
        actor=request.user, uploaded_file=file, kind=kind, source=source, as_of=as_of
    )
    return accepted(request, response, run)


@router.get("/credit-imports", response=list[CreditImportListOut])
def credit_import_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The credit data files imported, newest first (the IP office): the last 200, each with
    how many rows it skipped (the rows themselves: GET /credit-imports/{credit_import_id})."""
    return [
        _credit_import(x, skipped=False) for x in selectors.credit_imports(actor=request.user)[:200]
    ]


@router.get("/credit-imports/{int:credit_import_id}", response=CreditImportOut)
def credit_import_detail(request: HttpRequest, credit_import_id: int) -> dict[str, Any]:
    """One imported file with the rows it skipped (enterprises not on the platform)."""
    return _credit_import(
        selectors.credit_import_get(actor=request.user, import_id=credit_import_id)
    )


__all__ = ["router"]
