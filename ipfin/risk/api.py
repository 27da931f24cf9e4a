"""REST adapters of the risk rules: parse → one selector / service → serialise.

- POST /risk/compensation/preview: the compensation of a defaulted loan under a scheme (the
  fund's advance, the proceeds applied, the loss and its split, the settlement), nothing saved.
- POST /risk/npl-tolerance/preview: a bank's IP-pledge NPL ratio against its tolerance.
- NPL tolerance: POST /risk/bank-npl (a bank reports its overall ratio for a quarter; a second
  report of the quarter replaces the first: 201 then 200), GET /risk/npl-tolerance?period= (each
  bank's IP-pledge NPL ratio at the quarter's end against it: a bank its own, the regulator and
  the IP office every bank's).
- Compensation schemes: POST /risk/schemes and PUT /risk/schemes/{scheme_id} (IP office; the edit
  with If-Match), GET /risk/schemes and GET /risk/schemes/{scheme_id} (public: published rules).
- A fund's ledger: POST /risk/funds/{fund_id}/budget (IP office), GET /risk/funds/{fund_id}/ledger
  (IP office, regulators).
- Claims: POST /risk/claims (a bank), GET /risk/claims and /risk/claims/{risk_claim_id} (a bank
  its own, the office all, a regulator under a supervision case; another bank's is a 404), POST
  /risk/claims/{risk_claim_id}/approve | reject | pay | settle | refund-received (IP office; pay
  by another office user than the approver, a bank's return recorded by another than the
  settler).
- Anomaly signals (虚构合同、数据异常): GET /risk/signals (the IP office and the regulator), each
  with its evidence; none blocks anything.
- Early warning: GET /risk/alerts (a bank its own, the office all), GET /risk/alerts/summary
  (counts; also the regulator), POST /risk/alerts/{alert_id}/acknowledge | resolve (the bank or
  the office, with a note), POST /risk/scan {on} (IP office).

The two calculators are open to anyone (no security in the document; a bad bearer token is still a
401). Anonymous callers share the calculators' count per address, IPFIN_ANON_CALCULATOR_RATE
(ipfin.accounts.ratelimit: 429 `rate_limited` with Retry-After), with POST /valuations/preview
and POST /schedules/preview. A field the schema refuses is a 422 `invalid_input`; a rule the
schema cannot state is a 422 with its code and `field`.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Query, Router, Status

from ipfin.accounts.auth import ApiAuth
from ipfin.accounts.models import Organisation, User
from ipfin.accounts.permissions import require_login
from ipfin.accounts.ratelimit import ANON_CALCULATOR_THROTTLE
from ipfin.common import versioning
from ipfin.common.money import money_str, money_str_or_none
from ipfin.risk import selectors, services
from ipfin.risk.domain.claims import ClaimState
from ipfin.risk.domain.compensation import ByParty, ProceedsApplied
from ipfin.risk.domain.npl import Quarter, ratio_6
from ipfin.risk.domain.ratios import ratio_text
from ipfin.risk.models import LedgerEntry, RiskAlert, RiskClaim, RiskScheme
from ipfin.risk.presentation import claim_figures
from ipfin.risk.schemas import (
    BankNplIn,
    BankNplOut,
    CompensationPreviewIn,
    CompensationPreviewOut,
    FundBudgetIn,
    FundLedgerOut,
    LedgerEntryOut,
    NplToleranceFilter,
    NplToleranceOut,
    NplTolerancePreviewIn,
    NplTolerancePreviewOut,
    RiskAlertFilter,
    RiskAlertNoteIn,
    RiskAlertOut,
    RiskAlertPageOut,
    RiskAlertSummaryOut,
    RiskClaimIn,
    RiskClaimOut,
    RiskClaimRejectIn,
    RiskClaimSettleIn,
    RiskScanIn,
    RiskScanOut,
    RiskSchemeIn,
    RiskSchemeOut,
    RiskSchemeTermsIn,
    RiskSignalFilter,
    RiskSignalPageOut,
)

router = Router()
LIST_LIMIT = 500
_ZERO = Decimal("0.00")


def _amounts(figures: ByParty | ProceedsApplied | None) -> dict[str, str] | None:
    return None if figures is None else {k: money_str(v) for k, v in asdict(figures).items()}


@router.post(
    "/risk/compensation/preview",
    response=CompensationPreviewOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_CALCULATOR_THROTTLE,
)
def compensation_preview(request: HttpRequest, payload: CompensationPreviewIn) -> dict[str, Any]:
    """风险补偿: front_loaded advance = min(fund share × principal to the fen, fund_cap_per_loan,
    fund_balance); proceeds to disposal costs, unpaid interest, principal, the rest to the
    pledgor; loss = principal − proceeds applied to principal, split by the shares to the fen
    (largest remainder, ties fund, bank, guarantor, insurer), the fund's part capped and the
    excess the bank's; settlement = fund's part − advance. Without proceeds (before disposal)
    proceeds, loss, shares and settlement are null. Shares not summing to exactly 1: 422
    `shares_sum_invalid` naming `shares`. Nothing is saved."""
    result = services.compensation_preview(data=payload.model_dump())
    return {
        "advance": money_str(result.advance),
        "proceeds": _amounts(result.proceeds),
        "loss": money_str_or_none(result.loss),
        "shares": _amounts(result.shares),
        "settlement": money_str_or_none(result.settlement),
    }


@router.post(
    "/risk/npl-tolerance/preview",
    response=NplTolerancePreviewOut,
    auth=ApiAuth(optional=True),
    throttle=ANON_CALCULATOR_THROTTLE,
)
def npl_tolerance_preview(request: HttpRequest, payload: NplTolerancePreviewIn) -> dict[str, Any]:
    """不良容忍度: ip_npl_ratio = ip_npl_balance ÷ ip_balance (0 when ip_balance is 0), limit =
    bank_npl_ratio + 0.03, tolerated when ip_npl_ratio ≤ limit compared exactly (the ratios are
    shown with six decimals, rounded half up). ip_npl_balance above ip_balance: 422
    `npl_above_balance`. Nothing is saved."""
    result = services.npl_tolerance_preview(data=payload.model_dump())
    return {
        "ip_npl_ratio": f"{ratio_6(result.ip_npl_ratio):f}",
        "limit": f"{ratio_6(result.limit):f}",
        "tolerated": result.tolerated,
    }


# --- NPL tolerance (不良容忍度) -----------------------------------------------------------------


def _ratio_6(value: Fraction | Decimal | None) -> str | None:
    return None if value is None else f"{ratio_6(Fraction(value)):f}"


@router.post("/risk/bank-npl", response={200: BankNplOut, 201: BankNplOut})
def bank_npl_report(request: HttpRequest, payload: BankNplIn) -> Status[dict[str, Any]]:
    """A bank reports its overall NPL ratio for a quarter that has ended (422 `period_invalid`,
    `period_not_ended`, `ratio_invalid`): 201 for the quarter's first report; a second one
    replaces it (200, with `previous_ratio`; both values stay in the audit trail). Banks only."""
    saved = services.bank_npl_report(actor=request.user, period=payload.period, ratio=payload.ratio)
    report = saved.report
    return Status(
        201 if saved.created else 200,
        {
            "period": report.period,
            "period_end": report.period_end,
            "bank": _org(report.bank),
            "ratio": ratio_text(Decimal(report.ratio)),
            "previous_ratio": None
            if saved.previous_ratio is None
            else ratio_text(saved.previous_ratio),
            "revision": report.revision,
            "reported_at": report.reported_at,
            "reported_by": report.reported_by.get_username(),
        },
    )


@router.get("/risk/npl-tolerance", response=NplToleranceOut)
def npl_tolerance(request: HttpRequest, filters: Query[NplToleranceFilter]) -> dict[str, Any]:
    """不良容忍度 per bank at the end of `period` (default: the last quarter ended): the balance of
    its IP-pledge loans on the quarter's last day and of those classified 次级, 可疑 or 损失 that
    day, their ratio, and against the overall ratio the bank reported: limit = ratio + 0.03,
    tolerated when the IP-pledge ratio is at most the limit (exact). Without a report,
    `bank_npl_ratio`, `limit` and `tolerated` are null. A bank reads its own row; the regulator
    and the IP office every bank's; anyone else 403."""
    quarter, rows = selectors.npl_tolerance_list(actor=request.user, period=filters.period)
    return _npl_page(quarter, rows)


def _npl_page(quarter: Quarter, rows: list[selectors.BankNplFigures]) -> dict[str, Any]:
    return {
        "period": str(quarter),
        "period_end": quarter.last_day,
        "count": len(rows),
        "items": [
            {
                "bank": {"id": row.bank_id, "name": row.bank_name},
                "ip_balance": money_str(row.ip_balance),
                "ip_npl_balance": money_str(row.ip_npl_balance),
                "ip_npl_ratio": _ratio_6(row.ip_npl_ratio),
                "bank_npl_ratio": _ratio_6(row.bank_npl_ratio),
                "limit": _ratio_6(row.limit),
                "tolerated": row.tolerated,
                "reported_at": row.reported_at,
                "revision": row.revision,
            }
            for row in rows
        ],
    }


# --- compensation schemes ------------------------------------------------------------------------


def _shares(terms: RiskScheme | RiskClaim) -> dict[str, str]:
    return {
        "fund": ratio_text(terms.share_fund),
        "bank": ratio_text(terms.share_bank),
        "guarantor": ratio_text(terms.share_guarantor),
        "insurer": ratio_text(terms.share_insurer),
    }


def _org(org: Organisation) -> dict[str, Any]:
    return {"id": org.pk, "name": org.name}


def _scheme(scheme: RiskScheme) -> dict[str, Any]:
    return {
        "id": scheme.pk,
        "name": scheme.name,
        "fund": _org(scheme.fund),
        "mode": scheme.mode,
        "mode_label": str(scheme.get_mode_display()),
        "shares": _shares(scheme),
        "fund_cap_per_loan": money_str_or_none(scheme.fund_cap_per_loan),
        "fund_cap_per_bank_year": money_str_or_none(scheme.fund_cap_per_bank_year),
        "eligibility": scheme.eligibility,
        "version": scheme.version,
        "created_at": scheme.created_at,
        "updated_at": scheme.updated_at,
    }


def _versioned(response: HttpResponse, scheme: RiskScheme) -> dict[str, Any]:
    response[versioning.ETAG] = versioning.etag(scheme.version)
    return _scheme(scheme)


def _terms(payload: RiskSchemeTermsIn) -> dict[str, Any]:
    data = payload.model_dump(exclude={"eligibility", "fund_id"})
    data["eligibility"] = payload.eligibility.model_dump(exclude_none=True, mode="json")
    return data


@router.post("/risk/schemes", response={201: RiskSchemeOut})
def scheme_create(request: HttpRequest, payload: RiskSchemeIn) -> Status[dict[str, Any]]:
    """A compensation scheme of a fund (IP office): mode, the shares of a loss (decimal strings
    summing to exactly 1, else 422 `shares_sum_invalid` naming `shares`), the fund's caps per
    loan and per bank and year, and which loans it covers (`eligibility`)."""
    scheme = services.scheme_create(actor=request.user, fund_id=payload.fund_id, **_terms(payload))
    return Status(201, _scheme(selectors.scheme_get(scheme.pk)))


@router.get("/risk/schemes", response=list[RiskSchemeOut], auth=ApiAuth(optional=True))
def scheme_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The compensation schemes, newest first: published rules, open to anyone."""
    return [_scheme(s) for s in selectors.scheme_list()[:LIST_LIMIT]]


@router.get(
    "/risk/schemes/{int:scheme_id}",
    response=RiskSchemeOut,
    auth=ApiAuth(optional=True),
    openapi_extra=versioning.openapi_read(),
)
def scheme_get(request: HttpRequest, response: HttpResponse, scheme_id: int) -> dict[str, Any]:
    """One scheme (public), with its `version` and the ETag an edit sends back as If-Match."""
    return _versioned(response, selectors.scheme_get(scheme_id))


@router.put(
    "/risk/schemes/{int:scheme_id}",
    response=RiskSchemeOut,
    openapi_extra=versioning.openapi_write(),
)
def scheme_update(
    request: HttpRequest, response: HttpResponse, scheme_id: int, payload: RiskSchemeTermsIn
) -> dict[str, Any]:
    """Replace a scheme's terms (IP office; its fund stays). `If-Match` names the version read:
    a stale one is a 409 `version_conflict` with `current_version`, none a 428. Claims already
    filed keep the terms they were filed under."""
    services.scheme_update(
        actor=request.user,
        scheme_id=scheme_id,
        version=versioning.if_match_version(request.headers.get(versioning.IF_MATCH)),
        **_terms(payload),
    )
    return _versioned(response, selectors.scheme_get(scheme_id))


# --- the fund's ledger ---------------------------------------------------------------------------


def _entry(entry: LedgerEntry, balance: Decimal) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "transaction_id": str(entry.transaction_id),
        "kind": entry.kind,
        "kind_label": str(entry.get_kind_display()),
        "posted_on": entry.posted_on,
        "memo": entry.memo,
        "claim_id": entry.claim_id,
        "lines": [
            {
                "account": line.account,
                "account_label": str(line.get_account_display()),
                "debit": money_str(line.debit),
                "credit": money_str(line.credit),
            }
            for line in entry.lines.all()
        ],
        "balance": money_str(balance + _ZERO),  # + 0: never -0.00
    }


@router.post("/risk/funds/{int:fund_id}/budget", response={201: LedgerEntryOut})
def fund_budget(
    request: HttpRequest, fund_id: int, payload: FundBudgetIn
) -> Status[dict[str, Any]]:
    """A budget entry feeds the fund (IP office): Dr fund_cash / Cr budget_income; the answer is
    the posting with the balance after it."""
    fund = selectors.fund_get(actor=request.user, fund_id=fund_id)
    entry = services.fund_budget(
        actor=request.user, fund_id=fund.pk, amount=payload.amount, memo=payload.memo
    )
    return Status(201, _entry(entry, selectors.fund_balance(fund.pk, through=entry.pk)))


@router.get("/risk/funds/{int:fund_id}/ledger", response=FundLedgerOut)
def fund_ledger(request: HttpRequest, fund_id: int) -> dict[str, Any]:
    """The fund's postings, newest first, each with its lines (Σdebit = Σcredit) and the balance
    after it, and the balance now (IP office, regulators)."""
    fund = selectors.fund_get(actor=request.user, fund_id=fund_id)
    entries = selectors.fund_ledger(fund)
    return {
        "fund": _org(fund),
        "balance": money_str(selectors.fund_balance(fund.pk)),
        "count": LedgerEntry.objects.filter(fund=fund).count(),
        "items": [_entry(e, e.balance) for e in entries[:LIST_LIMIT]],
    }


# --- claims --------------------------------------------------------------------------------------


def _username(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _claim(claim: RiskClaim) -> dict[str, Any]:
    granted, paid = Decimal(claim.owed), Decimal(claim.paid)
    return {
        "id": claim.pk,
        "state": claim.state,
        "state_label": str(claim.get_state_display()),
        "scheme": {"id": claim.scheme.pk, "name": claim.scheme.name},
        "fund": _org(claim.scheme.fund),
        "loan_id": claim.loan_id,
        "bank": _org(claim.bank),
        "enterprise": _org(claim.loan.enterprise),
        "mode": claim.mode,
        "shares": _shares(claim),
        "fund_cap_per_loan": money_str_or_none(claim.fund_cap_per_loan),
        "guarantor_cap": money_str_or_none(claim.guarantor_cap),
        "insurer_cap": money_str_or_none(claim.insurer_cap),
        "cover": claim.cover,
        **claim_figures(claim),
        "granted": money_str(granted),
        "paid": money_str(paid),
        "payable": money_str(granted - paid + _ZERO),
        "review_reason": claim.review_reason,
        "filed_by": claim.filed_by.get_username(),
        "filed_at": claim.filed_at,
        "reviewed_by": _username(claim.reviewed_by),
        "reviewed_at": claim.reviewed_at,
        "settled_by": _username(claim.settled_by),
        "settled_at": claim.settled_at,
        "paid_by": _username(claim.paid_by),
        "paid_at": claim.paid_at,
        "refund_due": money_str(claim.refund_due),
        "refund_received_by": _username(claim.refund_received_by),
        "refund_received_at": claim.refund_received_at,
        "allowed_actions": sorted(a.value for a in selectors.allowed_claim_actions(claim)),
    }


def _fresh(request: HttpRequest, claim_id: int) -> dict[str, Any]:
    return _claim(selectors.claim_get(actor=request.user, claim_id=claim_id))


@router.post("/risk/claims", response={201: RiskClaimOut})
def claim_file(request: HttpRequest, payload: RiskClaimIn) -> Status[dict[str, Any]]:
    """The bank claims compensation on its own loan classified 次级, 可疑 or 损失 (else 409
    `loan_not_non_performing`) under a scheme covering it (else 422 `loan_not_eligible`); a loan
    with a claim that is not rejected: 409 `claim_exists`."""
    claim = services.claim_file(
        actor=request.user, loan_id=payload.loan_id, scheme_id=payload.scheme_id
    )
    return Status(201, _fresh(request, claim.pk))


@router.get("/risk/claims", response=list[RiskClaimOut])
def claim_list(request: HttpRequest, state: ClaimState | None = None) -> list[dict[str, Any]]:
    """The caller's claims, newest first (a bank: its own; the IP office: all; a regulator: those
    of the banks its open supervision cases name)."""
    claims = selectors.claim_list(actor=request.user, state=state)
    return [_claim(c) for c in claims[:LIST_LIMIT]]


@router.get("/risk/claims/{int:risk_claim_id}", response=RiskClaimOut)
def claim_get(request: HttpRequest, risk_claim_id: int) -> dict[str, Any]:
    return _fresh(request, risk_claim_id)


@router.post("/risk/claims/{int:risk_claim_id}/approve", response=RiskClaimOut)
def claim_approve(request: HttpRequest, risk_claim_id: int) -> dict[str, Any]:
    """The IP office approves a filed claim (the maker): front_loaded, the advance = min(fund
    share × principal, the cap for the loan — per loan and what is left of the bank's year —,
    the fund's balance), owed to the bank until another office user pays it."""
    claim = selectors.claim_get(actor=request.user, claim_id=risk_claim_id)
    services.claim_approve(actor=request.user, claim=claim)
    return _fresh(request, risk_claim_id)


@router.post("/risk/claims/{int:risk_claim_id}/reject", response=RiskClaimOut)
def claim_reject(
    request: HttpRequest, risk_claim_id: int, payload: RiskClaimRejectIn
) -> dict[str, Any]:
    """The IP office rejects a filed claim with its reason; the loan may be claimed again."""
    claim = selectors.claim_get(actor=request.user, claim_id=risk_claim_id)
    services.claim_reject(actor=request.user, claim=claim, reason=payload.reason)
    return _fresh(request, risk_claim_id)


@router.post("/risk/claims/{int:risk_claim_id}/pay", response=RiskClaimOut)
def claim_pay(request: HttpRequest, risk_claim_id: int) -> dict[str, Any]:
    """The checker releases what the fund owes the bank on the claim: an office user other than
    who approved (or settled) it, else 403 `checker_is_maker`. Above the fund's balance: 409
    `fund_insufficient`; past the scheme's cap for the bank this year: 409
    `bank_year_cap_exceeded`. Retried with the same Idempotency-Key, it pays once."""
    claim = selectors.claim_get(actor=request.user, claim_id=risk_claim_id)
    services.claim_pay(actor=request.user, claim=claim)
    return _fresh(request, risk_claim_id)


@router.post("/risk/claims/{int:risk_claim_id}/refund-received", response=RiskClaimOut)
def claim_refund_receive(request: HttpRequest, risk_claim_id: int) -> dict[str, Any]:
    """After a settlement below the advance (state `refund_due`): an office user other than who
    settled the claim (else 403 `checker_is_maker`) records that the bank's return has come into
    the fund: posted to the fund's money (Dr fund_cash / Cr bank_receivable), the claim closed.
    In any other state a 409. Retried with the same Idempotency-Key, it posts once."""
    claim = selectors.claim_get(actor=request.user, claim_id=risk_claim_id)
    services.claim_refund_receive(actor=request.user, claim=claim)
    return _fresh(request, risk_claim_id)


@router.post("/risk/claims/{int:risk_claim_id}/settle", response=RiskClaimOut)
def claim_settle(
    request: HttpRequest, risk_claim_id: int, payload: RiskClaimSettleIn
) -> dict[str, Any]:
    """After the disposal (IP office): proceeds to disposal costs, unpaid interest, principal;
    the loss split by the shares, the fund's part capped; settlement = fund's part − advance,
    posted either way (owed to the bank and paid by the checker, or owed by the bank: state
    `refund_due` until its return is recorded as received, POST …/refund-received)."""
    claim = selectors.claim_get(actor=request.user, claim_id=risk_claim_id)
    services.claim_settle(
        actor=request.user,
        claim=claim,
        proceeds=payload.proceeds,
        disposal_costs=payload.disposal_costs,
    )
    return _fresh(request, risk_claim_id)


# --- early-warning alerts (风险预警) ----------------------------------------------------------


def _alert(alert: RiskAlert, english: bool) -> dict[str, Any]:
    note = alert.resolution or alert.acknowledge_note
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "severity": alert.severity,
        "bank": {"id": alert.bank_id, "name": alert.bank.name},
        "right_number": alert.right_number,
        "pledge_id": alert.pledge_id,
        "loan_id": alert.loan_id,
        "date": alert.date,
        "message": alert.message_en if english else alert.message_zh,
        "status": alert.status,
        "first_seen": alert.first_seen,
        "last_seen": alert.last_seen,
        "note": note,
    }


def _english() -> bool:
    return (get_language() or "").startswith("en")


@router.get("/risk/alerts", response=RiskAlertPageOut)
def alert_list(request: HttpRequest, filters: Query[RiskAlertFilter]) -> dict[str, Any]:
    """Early-warning alerts, the most severe and most pressing first: a bank its own, the IP
    office every bank's; the regulator reads the counts (GET /risk/alerts/summary), 403 here."""
    rows = selectors.alert_list(actor=request.user, status=filters.status, kind=filters.kind)
    page = list(rows[filters.offset : filters.offset + filters.limit])
    english = _english()
    return {
        "items": [_alert(alert, english) for alert in page],
        "count": rows.count(),
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.get("/risk/alerts/summary", response=RiskAlertSummaryOut)
def alert_summary(request: HttpRequest) -> dict[str, Any]:
    """Counts of the live alerts by severity and kind (a bank its own; the office and the
    regulator every bank's)."""
    return selectors.alert_summary(actor=request.user)


@router.post("/risk/alerts/{int:alert_id}/acknowledge", response=RiskAlertOut)
def alert_acknowledge(request: HttpRequest, alert_id: int, payload: RiskAlertNoteIn) -> Any:
    """The bank has seen the alert and acts on it (only an open one: 409 `alert_not_open`)."""
    alert = selectors.alert_get(actor=request.user, alert_id=alert_id)
    done = services.alert_acknowledge(actor=request.user, alert=alert, note=payload.note)
    return _alert(selectors.alert_get(actor=request.user, alert_id=done.pk), _english())


@router.post("/risk/alerts/{int:alert_id}/resolve", response=RiskAlertOut)
def alert_resolve(request: HttpRequest, alert_id: int, payload: RiskAlertNoteIn) -> Any:
    """Close the alert with a note saying what was done (422 `note_required` without one; 409
    `alert_resolved` if it is already)."""
    alert = selectors.alert_get(actor=request.user, alert_id=alert_id)
    done = services.alert_resolve(actor=request.user, alert=alert, note=payload.note)
    return _alert(selectors.alert_get(actor=request.user, alert_id=done.pk), _english())


@router.post("/risk/scan", response=RiskScanOut)
def risk_scan(request: HttpRequest, payload: RiskScanIn) -> dict[str, Any]:
    """Run the early-warning scan as of `on` (IP office; the daily job runs it too): idempotent,
    set-based. Its summary: what it read, found, created, saw again and resolved, by kind."""
    on = payload.on or timezone.localdate()
    summary = services.risk_scan(on=on, actor=require_login(request.user))
    return asdict(summary)


# --- anomaly signals (虚构合同、数据异常) -------------------------------------------------------


@router.get("/risk/signals", response=RiskSignalPageOut)
def signal_list(request: HttpRequest, filters: Query[RiskSignalFilter]) -> dict[str, Any]:
    """Anomaly signals for the IP office and the regulator (anyone else 403), each with its
    evidence — ids, numbers, figures — and none blocking anything: the same contract number or
    contract file (SHA-256) on pledges of different parties; a right pledged and released three
    times or more within a year with rising debts; valuations with a robust z-score beyond 3.5
    in their cohort (right kind, and IPC subclass with 30 reports or more); a bank's loans
    bunching within 2 % below an approval threshold (more than 3 times what its own distribution
    leads to expect); a bank's figures failing Benford's first-digit test (chi-square, p < 0.01,
    at least 300 figures). In kind order, then by key."""
    every = selectors.signal_list(actor=request.user)
    by_kind: dict[str, int] = {}
    for signal in every:
        by_kind[signal.kind] = by_kind.get(signal.kind, 0) + 1
    chosen = [s for s in every if filters.kind is None or s.kind == filters.kind]
    page = chosen[filters.offset : filters.offset + filters.limit]
    named = {o for s in page for o in (*s.organisation_ids, s.bank_id) if o is not None}
    names = dict(Organisation.objects.filter(pk__in=named).values_list("pk", "name"))
    english = _english()

    def org(pk: int) -> dict[str, Any]:
        return {"id": pk, "name": names.get(pk, "")}

    return {
        "items": [
            {
                "kind": s.kind,
                "key": s.key,
                "bank": org(s.bank_id) if s.bank_id is not None else None,
                "message": s.message_en if english else s.message_zh,
                "evidence": {
                    "pledge_ids": list(s.pledge_ids),
                    "loan_ids": list(s.loan_ids),
                    "valuation_ids": list(s.valuation_ids),
                    "organisations": [org(pk) for pk in s.organisation_ids],
                    "right_numbers": list(s.right_numbers),
                    "figures": s.figures,
                },
            }
            for s in page
        ],
        "count": len(chosen),
        "by_kind": by_kind,
        "limit": filters.limit,
        "offset": filters.offset,
    }
