"""Writes of risk sharing and compensation (风险分担、风险补偿, issue 12; DOMAIN.md glossary "risk
compensation"), and the two calculators.

The calculators (`compensation_preview`, `npl_tolerance_preview`): a request's fields parsed by
the input layer (ipfin.common.inputs) and handed to the pure rules; nothing read or written.

Schemes and funds (the IP office, `Perm.RISK_SCHEME_MANAGE`):
- `scheme_create` / `scheme_update`: a scheme of a fund (an organisation of kind `risk_fund`):
  mode, shares (checked by the compensation rule's own `shares_in`: each 0..1, summing to exactly
  1, else a 422 naming `shares`), the fund's caps per loan and per bank and year, `eligibility`
  (ipfin.risk.domain.eligibility). An update names the version it was made from
  (ipfin.common.versioning: 409 `version_conflict`, 428 `version_required`).
- `fund_budget`: a budget entry feeds the fund (Dr fund_cash / Cr budget_income).

NPL tolerance (不良容忍度, issue 12; DOMAIN.md glossary "NPL tolerance"):
- `bank_npl_report` (a bank, `Perm.RISK_NPL_REPORT`): its overall NPL ratio for a quarter that
  has ended (`period` "2026Q3": 422 `period_invalid`, `period_not_ended`; `ratio` an exact
  decimal 0..1 with at most ten decimals: 422 `ratio_invalid`, `decimal_invalid`). A second
  report of the same quarter replaces the first — a bank corrects a misreported figure as it
  resubmits a statistical return, and the tolerance read afterwards uses the corrected one —
  rather than a 409 that would leave a known-wrong figure in force; the audit record of each
  report holds the ratio before and after, and `revision` counts them. Concurrent first reports
  make one row (the unique bank-and-period index; the loser replaces, as a second report does).

A claim's life (ipfin.risk.domain.claims):
- `claim_file` (the bank, `Perm.RISK_CLAIM_FILE`): on its own loan, disbursed and classified
  non-performing (次级, 可疑 or 损失: ipfin.loans.domain.status.NON_PERFORMING; else 409
  `loan_not_non_performing`), covered by the scheme (else 422 `loan_not_eligible`), with no other
  claim on the loan that is not rejected (409 `claim_exists`, also under concurrent filings: the
  loan's row lock and a partial unique index). The scheme's terms are copied onto the claim; the
  loan's outstanding principal and the interest due and unpaid on the day are its figures.
- `claim_approve` / `claim_reject` (an IP office user, `Perm.RISK_CLAIM_REVIEW`; never the
  claimant): the approval computes the advance by the pure rule (`compensate`): mode
  front_loaded, min(fund share × principal to the fen, the cap for this loan, the fund's
  balance), where the cap for this loan is the lower of the scheme's cap per loan and what is
  left of the bank's cap for the year (cap per bank and year − what the fund paid the bank this
  year under the scheme); after_disposal, 0.00. An advance above 0 is owed to the bank
  (Dr advances_receivable / Cr bank_payable) until released.
- `claim_pay` (a second IP office user: maker-checker): releases what the fund owes the bank on
  the claim (Dr bank_payable / Cr fund_cash). The user who made it owed (who approved the claim;
  for a settlement, who settled it) is refused (403 `checker_is_maker`). Under the fund's row lock:
  a payment above the balance is a 409 `fund_insufficient`, one taking the fund's payments to the
  bank under the scheme in the calendar year above the cap per bank and year a 409
  `bank_year_cap_exceeded`; nothing is posted and the claim waits (a budget entry, or the next
  year, lets it be paid).
- `claim_settle` (the IP office; the disposal flow will call it): after the disposal, the pure
  rule with the proceeds and the disposal costs: proceeds to costs, interest, principal; the loss
  split by the shares, the fund's part capped by the cap for this loan (per loan, and the advance
  plus what is left of the bank's year); settlement = fund's part − advance, posted either way
  (ipfin.risk.domain.ledger). A positive settlement is owed to the bank and released by `claim_pay`
  (maker-checker again); a negative one is owed by the bank (Dr bank_receivable: to return out
  of the proceeds it holds), and the claim waits in `refund_due`.
- `claim_refund_receive` (an IP office user other than who settled it): the bank's return has
  come into the fund (Dr fund_cash / Cr bank_receivable): only then is it the fund's balance. The
  claim closes.

Every write to a fund's ledger (and to a scheme, whose caps the payments read) first locks the
fund's organisation row (`select_for_update`), then the claim: the balance and the year's
payments read under that lock cannot change before the posting is saved, so concurrent payments
never take the balance below zero nor a bank past its cap. Each write is audited
(ipfin.audit.services.audit_record) and the other party told (the office of a new claim, the bank
of each decision).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet, Sum
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.accounts.selectors import ip_office_ids
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import money_pair, yuan_en, yuan_exact
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, invalid
from ipfin.common.inputs import amount_in, decimal_in, int_in, optional_amount_in
from ipfin.common.money import money_str, money_str_or_none
from ipfin.common.versioning import check_version
from ipfin.common.workflow import IllegalTransition, transition_conflict
from ipfin.feed.domain import EventType as FeedEventType
from ipfin.feed.services import Occurrence, events_publish
from ipfin.financing.models import Product
from ipfin.loans.domain.status import NON_PERFORMING, RiskCategory
from ipfin.loans.models import Installment, Loan, Repayment
from ipfin.pledges.services.deposits import annuity_deposit_draw
from ipfin.registry.models import Right
from ipfin.registry.services import rights_time_status_publish
from ipfin.risk import selectors
from ipfin.risk.domain.alerts import Finding, alert_message
from ipfin.risk.domain.claims import (
    CLAIMABLE_LOAN_STATES,
    LIVE_STATES,
    ClaimAction,
    ClaimState,
    next_state,
)
from ipfin.risk.domain.compensation import (
    PARTIES,
    ByParty,
    Compensation,
    CompensationCase,
    Cover,
    compensate,
    mode_in,
    shares_in,
    shares_with_cover,
)
from ipfin.risk.domain.eligibility import Eligibility, LoanFacts, eligibility_in, ineligible
from ipfin.risk.domain.ledger import (
    Posting,
    advance_posting,
    budget_posting,
    payment_posting,
    refund_posting,
    settlement_posting,
)
from ipfin.risk.domain.npl import NplTolerance, npl_tolerance, period_in
from ipfin.risk.domain.ratios import ratio_in, ratio_text
from ipfin.risk.models import (
    BankNplReport,
    LedgerEntry,
    LedgerLine,
    RiskAlert,
    RiskClaim,
    RiskScheme,
)
from ipfin.risk.presentation import claim_figures
from ipfin.risk.scanning import DEFAULT_CONCENTRATION_SHARE, DEFAULT_VALUE_DECLINE, scan_findings
from ipfin.risk.signals import claim_settled, covers_of

__all__ = [
    "NplReported",
    "ScanSummary",
    "alert_acknowledge",
    "alert_resolve",
    "bank_npl_report",
    "claim_approve",
    "claim_file",
    "claim_pay",
    "claim_refund_receive",
    "claim_reject",
    "claim_sale_recorded",
    "claim_settle",
    "claim_settle_on_disposal",
    "compensation_preview",
    "fund_budget",
    "npl_tolerance_preview",
    "risk_scan",
    "scheme_create",
    "scheme_update",
]


def _money(data: Mapping[str, Any], field: str) -> Decimal:
    return amount_in(data.get(field), field, positive=False)


def compensation_preview(*, data: Mapping[str, Any]) -> Compensation:
    """The compensation of a defaulted loan described by `data` (ipfin.risk.domain.compensation);
    every refusal is a 422 naming the field."""
    shares = data.get("shares") or {}
    return compensate(
        CompensationCase(
            mode=str(data.get("mode")),
            principal=_money(data, "principal"),
            interest=_money(data, "interest"),
            shares=ByParty(*(decimal_in(shares.get(p), f"shares.{p}") for p in PARTIES)),
            fund_balance=_money(data, "fund_balance"),
            fund_cap_per_loan=optional_amount_in(
                data.get("fund_cap_per_loan"), "fund_cap_per_loan", positive=False
            ),
            proceeds=optional_amount_in(data.get("proceeds"), "proceeds", positive=False),
            disposal_costs=optional_amount_in(
                data.get("disposal_costs"), "disposal_costs", positive=False
            ),
        )
    )


def npl_tolerance_preview(*, data: Mapping[str, Any]) -> NplTolerance:
    """The NPL tolerance of the balances and ratio in `data` (ipfin.risk.domain.npl)."""
    return npl_tolerance(
        ip_npl_balance=_money(data, "ip_npl_balance"),
        ip_balance=_money(data, "ip_balance"),
        bank_npl_ratio=decimal_in(data.get("bank_npl_ratio"), "bank_npl_ratio"),
    )


# --- NPL tolerance: the banks' reports ----------------------------------------------------------


@dataclass(frozen=True)
class NplReported:
    """A bank's report as saved, and the ratio it replaced (None: the quarter's first)."""

    report: BankNplReport
    previous_ratio: Decimal | None

    @property
    def created(self) -> bool:
        return self.previous_ratio is None


def _npl_snapshot(report: BankNplReport) -> dict[str, Any]:
    return {
        "bank_id": report.bank_id,
        "period": report.period,
        "ratio": ratio_text(Decimal(report.ratio)),
        "revision": report.revision,
        "reported_by": report.reported_by.get_username(),
    }


def bank_npl_report(
    *, actor: User, period: Any, ratio: Any, today: date | None = None
) -> NplReported:
    """The acting bank's overall NPL ratio for `period`, a quarter ended before `today` (module
    docstring: a second report of the quarter replaces the first, audited with both values)."""
    require(actor, Perm.RISK_NPL_REPORT)
    bank = acting_organisation(actor)
    quarter = period_in(period, today=today or timezone.localdate())
    value = ratio_in(decimal_in(ratio, "ratio"), "ratio", "ratio_invalid", "整体不良贷款率")
    with transaction.atomic():
        reports = BankNplReport.objects.select_for_update().filter(bank=bank, period=str(quarter))
        report = reports.first()
        before: dict[str, Any] | None = None
        previous: Decimal | None = None
        created = False
        if report is None:
            try:
                with transaction.atomic():
                    report = BankNplReport.objects.create(
                        bank=bank,
                        period=str(quarter),
                        period_end=quarter.last_day,
                        ratio=value,
                        reported_by=actor,
                        reported_at=timezone.now(),
                    )
                created = True
            except IntegrityError:  # a concurrent first report won: this one replaces it
                report = reports.get()
        if not created:
            before, previous = _npl_snapshot(report), Decimal(report.ratio)
            report.ratio = value
            report.revision += 1
            report.reported_by = actor
            report.reported_at = timezone.now()
            report.save(update_fields=["ratio", "revision", "reported_by", "reported_at"])
        audit_record(
            actor=actor,
            action="risk.bank_npl_report",
            obj=report,
            before=before,
            after=_npl_snapshot(report),
        )
    return NplReported(report, previous)


# --- schemes -------------------------------------------------------------------------------------

_NAME_MAX = 200
_MEMO_MAX = 500
_REASON_MAX = 2000
_ZERO = Decimal("0.00")


def _name(raw: Any) -> str:
    text = str(raw or "").strip()
    if not text or len(text) > _NAME_MAX:
        raise invalid(
            "name",
            "name_required",
            f"请填写方案名称（不超过 {_NAME_MAX} 个字符）。",
            f"Enter the scheme's name (at most {_NAME_MAX} characters).",
        )
    return text


def _scheme_shares(raw: Any) -> ByParty:
    """The four shares, each an exact decimal, checked by the compensation rule (`shares_in`)."""
    if not isinstance(raw, Mapping):
        raise invalid(
            "shares",
            "shares_invalid",
            "分担比例应为 {fund, bank, guarantor, insurer} 四方的小数。",
            "shares is an object {fund, bank, guarantor, insurer} of decimals.",
        )
    return shares_in(ByParty(*(decimal_in(raw.get(p), f"shares.{p}") for p in PARTIES)))


def _eligibility(raw: Any) -> Eligibility:
    """The conditions (pure check), and the banks and products they name exist."""
    rule = eligibility_in(raw)
    if rule.bank_ids is not None:
        found = Organisation.objects.filter(pk__in=rule.bank_ids, kind=OrganisationKind.BANK)
        missing = sorted(set(rule.bank_ids) - set(found.values_list("pk", flat=True)))
        if missing:
            raise invalid(
                "eligibility.bank_ids",
                "eligibility_invalid",
                f"没有编号为 {missing[0]} 的银行。",
                f"No bank with id {missing[0]}.",
            )
    if rule.product_ids is not None:
        found_products = Product.objects.filter(pk__in=rule.product_ids)
        missing = sorted(set(rule.product_ids) - set(found_products.values_list("pk", flat=True)))
        if missing:
            raise invalid(
                "eligibility.product_ids",
                "eligibility_invalid",
                f"没有编号为 {missing[0]} 的产品。",
                f"No product with id {missing[0]}.",
            )
    return rule


def _scheme_fields(
    *,
    name: Any,
    mode: Any,
    shares: Any,
    fund_cap_per_loan: Any,
    fund_cap_per_bank_year: Any,
    eligibility: Any,
) -> dict[str, Any]:
    """The scheme's columns from the request's values, each refusal a 422 naming its field."""
    parsed = _scheme_shares(shares)
    return {
        "name": _name(name),
        "mode": mode_in(str(mode)).value,
        "share_fund": parsed.fund,
        "share_bank": parsed.bank,
        "share_guarantor": parsed.guarantor,
        "share_insurer": parsed.insurer,
        "fund_cap_per_loan": optional_amount_in(
            fund_cap_per_loan, "fund_cap_per_loan", positive=False, label_zh="单笔贷款补偿上限"
        ),
        "fund_cap_per_bank_year": optional_amount_in(
            fund_cap_per_bank_year,
            "fund_cap_per_bank_year",
            positive=False,
            label_zh="单家银行年度补偿上限",
        ),
        "eligibility": _eligibility(eligibility).as_json(),
    }


def _shares_of(terms: RiskScheme | RiskClaim) -> ByParty:
    return ByParty(
        Decimal(terms.share_fund),
        Decimal(terms.share_bank),
        Decimal(terms.share_guarantor),
        Decimal(terms.share_insurer),
    )


def _scheme_snapshot(scheme: RiskScheme) -> dict[str, Any]:
    return {
        "fund_id": scheme.fund_id,
        "name": scheme.name,
        "mode": scheme.mode,
        "shares": {p: ratio_text(getattr(_shares_of(scheme), p)) for p in PARTIES},
        "fund_cap_per_loan": money_str_or_none(scheme.fund_cap_per_loan),
        "fund_cap_per_bank_year": money_str_or_none(scheme.fund_cap_per_bank_year),
        "eligibility": scheme.eligibility,
        "version": scheme.version,
    }


def _fund_for_scheme(fund_id: Any) -> Organisation:
    """The fund a new scheme names in its body: a 422 naming `fund_id` when it is no fund."""
    pk = int_in(fund_id, "fund_id")
    fund = Organisation.objects.filter(pk=pk, kind=OrganisationKind.RISK_FUND).first()
    if fund is None:
        raise invalid(
            "fund_id",
            "fund_not_found",
            "没有该风险补偿基金（机构类型须为“风险补偿基金”）。",
            "No such risk-compensation fund (an organisation of kind risk_fund).",
        )
    return fund


def _fund_not_found() -> NotFound:
    return NotFound(
        "未找到该风险补偿基金。", "No such risk-compensation fund.", code="fund_not_found"
    )


def _lock_fund(fund_id: int) -> Organisation:
    """The fund's row, locked: every write to its ledger (and to its schemes) queues here."""
    fund = (
        Organisation.objects.select_for_update()
        .filter(pk=fund_id, kind=OrganisationKind.RISK_FUND)
        .first()
    )
    if fund is None:
        raise _fund_not_found()
    return fund


def scheme_create(
    *,
    actor: User,
    fund_id: Any,
    name: Any,
    mode: Any,
    shares: Any,
    fund_cap_per_loan: Any = None,
    fund_cap_per_bank_year: Any = None,
    eligibility: Any = None,
) -> RiskScheme:
    """A new scheme of a fund (the IP office); see the module docstring."""
    require(actor, Perm.RISK_SCHEME_MANAGE)
    fund = _fund_for_scheme(fund_id)
    fields = _scheme_fields(
        name=name,
        mode=mode,
        shares=shares,
        fund_cap_per_loan=fund_cap_per_loan,
        fund_cap_per_bank_year=fund_cap_per_bank_year,
        eligibility=eligibility,
    )
    with transaction.atomic():
        scheme = RiskScheme.objects.create(
            fund=fund, created_by=actor, updated_by=actor, version=1, **fields
        )
        audit_record(
            actor=actor, action="risk.scheme_create", obj=scheme, after=_scheme_snapshot(scheme)
        )
    return scheme


def scheme_update(
    *,
    actor: User,
    scheme_id: int,
    version: int | None,
    name: Any,
    mode: Any,
    shares: Any,
    fund_cap_per_loan: Any = None,
    fund_cap_per_bank_year: Any = None,
    eligibility: Any = None,
) -> RiskScheme:
    """Replace a scheme's terms (not its fund), made from `version` (ipfin.common.versioning).
    Claims already filed keep the terms they were filed under; the cap per bank and year is
    read by each payment."""
    require(actor, Perm.RISK_SCHEME_MANAGE)
    fields = _scheme_fields(
        name=name,
        mode=mode,
        shares=shares,
        fund_cap_per_loan=fund_cap_per_loan,
        fund_cap_per_bank_year=fund_cap_per_bank_year,
        eligibility=eligibility,
    )
    with transaction.atomic():
        fund_id = RiskScheme.objects.filter(pk=scheme_id).values_list("fund_id", flat=True).first()
        if fund_id is not None:
            _lock_fund(fund_id)  # a payment reading the cap waits for the edit, and vice versa
        scheme = RiskScheme.objects.select_for_update().filter(pk=scheme_id).first()
        if scheme is None:
            raise NotFound(
                "未找到该风险补偿方案。", "No such compensation scheme.", code="scheme_not_found"
            )
        check_version(current=scheme.version, expected=version)
        before = _scheme_snapshot(scheme)
        for field, value in fields.items():
            setattr(scheme, field, value)
        scheme.version += 1
        scheme.updated_by = actor
        scheme.save()
        audit_record(
            actor=actor,
            action="risk.scheme_update",
            obj=scheme,
            before=before,
            after=_scheme_snapshot(scheme),
        )
    return scheme


# --- the fund's ledger ---------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def _post(
    fund: Organisation,
    posting: Posting,
    *,
    actor: User,
    day: date,
    memo: str,
    claim: RiskClaim | None = None,
) -> LedgerEntry:
    """Save a posting (already checked by ipfin.risk.domain.ledger.posting: two or more lines,
    each a debit or a credit, Σdebit = Σcredit) with its lines. The caller holds the fund's lock."""
    entry = LedgerEntry.objects.create(
        fund=fund,
        kind=posting.kind.value,
        posted_on=day,
        memo=memo[:_MEMO_MAX],
        claim=claim,
        posted_by=actor,
    )
    LedgerLine.objects.bulk_create(
        LedgerLine(entry=entry, account=line.account.value, debit=line.debit, credit=line.credit)
        for line in posting.lines
    )
    return entry


def _posting_json(entry: LedgerEntry, posting: Posting) -> dict[str, Any]:
    return {
        "transaction_id": str(entry.transaction_id),
        "kind": entry.kind,
        "posted_on": entry.posted_on.isoformat(),
        "lines": [
            [line.account.value, money_str(line.debit), money_str(line.credit)]
            for line in posting.lines
        ],
    }


def fund_budget(
    *, actor: User, fund_id: int, amount: Any, memo: Any, today: date | None = None
) -> LedgerEntry:
    """A budget entry of `amount` (> 0) feeds the fund: Dr fund_cash / Cr budget_income. The memo
    (摘要, e.g. the appropriation's document number) is required."""
    require(actor, Perm.RISK_SCHEME_MANAGE)
    value = amount_in(amount, "amount", label_zh="注资金额")
    text = str(memo or "").strip()
    if not text or len(text) > _MEMO_MAX:
        raise invalid(
            "memo",
            "memo_required",
            f"请填写摘要（如预算文号，不超过 {_MEMO_MAX} 个字符）。",
            f"Enter a memo, e.g. the appropriation's reference (at most {_MEMO_MAX} characters).",
        )
    day = _today(today)
    with transaction.atomic():
        fund = _lock_fund(fund_id)
        before = selectors.fund_balance(fund.pk)
        posting = budget_posting(value)
        entry = _post(fund, posting, actor=actor, day=day, memo=text)
        audit_record(
            actor=actor,
            action="risk.fund_budget",
            obj=entry,
            before={"balance": money_str(before)},
            after={
                **_posting_json(entry, posting),
                "fund_id": fund.pk,
                "memo": text,
                "balance": money_str(before + value),
            },
        )
    return entry


# --- claims --------------------------------------------------------------------------------------


def _transition(
    state: str, action: ClaimAction, payable: Decimal = _ZERO, *, advance_lapsed: bool = False
) -> ClaimState:
    try:
        return next_state(state, action, payable=payable, advance_lapsed=advance_lapsed)
    except IllegalTransition as exc:
        raise transition_conflict(exc) from exc


def _loan_for_claim(bank: Organisation, loan_id: Any) -> Loan:
    """The bank's own loan, locked (a loan the bank did not grant is as unknown: 422 naming
    `loan_id`, the id comes in the body)."""
    pk = int_in(loan_id, "loan_id")
    loan = Loan.objects.select_for_update().filter(pk=pk, bank=bank).first()
    if loan is None:
        raise invalid("loan_id", "loan_not_found", "未找到该贷款。", "No such loan of your bank.")
    return loan


def _require_non_performing(loan: Loan) -> None:
    """次级, 可疑 or 损失 (《商业银行金融资产风险分类办法》 arts. 10-12), on a disbursed loan."""
    if (
        loan.state not in CLAIMABLE_LOAN_STATES
        or RiskCategory(loan.classification) not in NON_PERFORMING
    ):
        raise Conflict(
            "只能就已放款且分类为次级、可疑或损失的不良贷款申请风险补偿"
            f"（该贷款为“{loan.get_classification_display()}”类，状态“{loan.get_state_display()}”）。",
            "Compensation is claimed only on a disbursed loan classified substandard, doubtful or "
            f"loss (this loan: {loan.classification}, {loan.state}).",
            code="loan_not_non_performing",
            extra={"classification": loan.classification, "state": loan.state},
        )


def _loan_facts(loan: Loan) -> LoanFacts:
    product_id = (
        Loan.objects.filter(pk=loan.pk)
        .values_list("product_version__product_id", flat=True)
        .first()
    )
    kinds: frozenset[str] = frozenset()
    if loan.pledge_id is not None:
        kinds = frozenset(
            Right.objects.filter(pledge_items__pledge_id=loan.pledge_id).values_list(
                "kind", flat=True
            )
        )
    return LoanFacts(
        bank_id=loan.bank_id,
        product_id=product_id,
        right_kinds=kinds,
        principal=Decimal(loan.principal or _ZERO),
    )


def _unpaid_interest(loan: Loan, day: date) -> Decimal:
    """Interest of the instalments due on or before `day` not yet paid (one SQL aggregate)."""
    total = Installment.objects.filter(loan=loan, due_date__lte=day).aggregate(
        unpaid=Sum(F("interest") - F("interest_paid"))
    )["unpaid"]
    return Decimal(total or _ZERO).quantize(Decimal("0.01"))


def _claim_exists(existing: RiskClaim) -> Conflict:
    return Conflict(
        f"该贷款已有风险补偿申请 #{existing.pk}（{ClaimState(existing.state).label_zh}）。",
        f"The loan already has compensation claim #{existing.pk} ({existing.state}).",
        code="claim_exists",
        extra={"claim_id": existing.pk, "state": existing.state},
    )


def _claim_snapshot(claim: RiskClaim) -> dict[str, Any]:
    return {
        "state": claim.state,
        "scheme_id": claim.scheme_id,
        "loan_id": claim.loan_id,
        **claim_figures(claim),
    }


def _label(claim: RiskClaim) -> tuple[str, str]:
    return f"贷款 #{claim.loan_id} 的风险补偿申请 #{claim.pk}", (
        f"Compensation claim #{claim.pk} on loan #{claim.loan_id}"
    )


def claim_file(
    *, actor: User, loan_id: Any, scheme_id: Any, today: date | None = None
) -> RiskClaim:
    """The bank claims compensation on its own non-performing loan under a scheme (see the
    module docstring)."""
    require(actor, Perm.RISK_CLAIM_FILE)
    bank = acting_organisation(actor)
    scheme_pk = int_in(scheme_id, "scheme_id")
    day = _today(today)
    with transaction.atomic():
        loan = _loan_for_claim(bank, loan_id)
        scheme = RiskScheme.objects.filter(pk=scheme_pk).first()
        if scheme is None:
            raise invalid(
                "scheme_id", "scheme_not_found", "未找到该风险补偿方案。", "No such scheme."
            )
        _require_non_performing(loan)
        misses = ineligible(eligibility_in(scheme.eligibility), _loan_facts(loan))
        if misses:
            raise invalid(
                "loan_id",
                "loan_not_eligible",
                "该贷款不在方案的补偿范围之内：" + "；".join(m.zh for m in misses),
                "The scheme does not cover the loan: " + "; ".join(m.en for m in misses),
                conditions=[m.condition for m in misses],
            )
        existing = RiskClaim.objects.filter(
            loan=loan, state__in=[s.value for s in LIVE_STATES]
        ).first()
        if existing is not None:
            raise _claim_exists(existing)
        # The loan's guarantee and pledge-financing guarantee insurance (issue 16) take the
        # guarantor's and the insurer's shares in place of the scheme's, within what is left.
        contracts = covers_of(loan, day)
        guarantee, policy = contracts.get("guarantor"), contracts.get("insurer")
        covered = shares_with_cover(
            _shares_of(scheme),
            Cover(
                guarantor_share=None if guarantee is None else guarantee.share,
                guarantor_cap=None if guarantee is None else guarantee.cap,
                insurer_share=None if policy is None else policy.share,
                insurer_cap=None if policy is None else policy.cap,
            ),
        )
        cover = [
            {
                "party": c.party,
                "ref": c.ref,
                "share": ratio_text(c.share),
                "applied": ratio_text(getattr(covered.shares, c.party)),
                "cap": money_str_or_none(c.cap),
            }
            for c in contracts.values()
        ]
        try:
            with transaction.atomic():
                claim = RiskClaim.objects.create(
                    scheme=scheme,
                    loan=loan,
                    bank=bank,
                    mode=scheme.mode,
                    share_fund=covered.shares.fund,
                    share_bank=covered.shares.bank,
                    share_guarantor=covered.shares.guarantor,
                    share_insurer=covered.shares.insurer,
                    guarantor_cap=None if guarantee is None else guarantee.cap,
                    insurer_cap=None if policy is None else policy.cap,
                    cover=cover,
                    fund_cap_per_loan=scheme.fund_cap_per_loan,
                    principal=loan.outstanding_principal,
                    interest=_unpaid_interest(loan, day),
                    filed_by=actor,
                )
        except IntegrityError:  # a concurrent filing on the loan won
            winner = RiskClaim.objects.filter(
                loan=loan, state__in=[s.value for s in LIVE_STATES]
            ).first()
            if winner is None:
                raise
            raise _claim_exists(winner) from None
        audit_record(
            actor=actor,
            action="risk.claim_file",
            obj=claim,
            after={**_claim_snapshot(claim), "classification": loan.classification},
        )
        label_zh, label_en = _label(claim)
        notify_orgs(
            ip_office_ids(),
            claim,
            "risk.claim_file",
            f"{bank.name} 提交了{label_zh}，待审核。",
            f"{bank.name} filed {label_en[0].lower()}{label_en[1:]}; it awaits review.",
        )
    return claim


def _locked_claim(claim: RiskClaim | int) -> tuple[Organisation, RiskClaim]:
    """The claim's fund and the claim, locked in that order (as every ledger write locks)."""
    pk = claim if isinstance(claim, int) else claim.pk
    fund_id = RiskClaim.objects.filter(pk=pk).values_list("scheme__fund_id", flat=True).first()
    if fund_id is None:
        raise NotFound(
            "未找到该风险补偿申请。", "No such compensation claim.", code="risk_claim_not_found"
        )
    fund = _lock_fund(fund_id)
    # The claim's row only (`of`): the fund's lock above is what serialises its ledger.
    locked = RiskClaim.objects.select_for_update(of=("self",)).select_related("scheme").get(pk=pk)
    return fund, locked


def _year_room(claim: RiskClaim, day: date) -> Decimal | None:
    """What is left of the bank's cap for `day`'s year under the claim's scheme (None: no cap)."""
    cap = claim.scheme.fund_cap_per_bank_year
    if cap is None:
        return None
    paid = selectors.paid_to_bank(scheme_id=claim.scheme_id, bank_id=claim.bank_id, year=day.year)
    return max(Decimal(cap) - paid, _ZERO)


def _lowest(*caps: Decimal | None) -> Decimal | None:
    given = [c for c in caps if c is not None]
    return min(given) if given else None


_MEMO_ZH = {
    ClaimAction.APPROVE: "批准代偿",
    ClaimAction.PAY: "拨付",
    ClaimAction.SETTLE: "处置后结算",
    ClaimAction.RECEIVE: "收回银行退还款",
}


def _step_done(
    *,
    actor: User,
    action: ClaimAction,
    claim: RiskClaim,
    before: dict[str, Any],
    message: tuple[str, str],
    fund: Organisation | None = None,
    posting: Posting | None = None,
    day: date | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """The end of every step of a claim, in its transaction: the step's posting saved (if any),
    the audit record (before and after, with the posting) and the bank told."""
    posted = None
    if posting is not None:
        assert fund is not None and day is not None
        memo = f"{_label(claim)[0]} {_MEMO_ZH[action]}"
        entry = _post(fund, posting, actor=actor, day=day, memo=memo, claim=claim)
        posted = _posting_json(entry, posting)
    after = {**_claim_snapshot(claim), **(extra or {}), "posting": posted}
    audit_record(
        actor=actor, action=f"risk.claim_{action.value}", obj=claim, before=before, after=after
    )
    zh, en = message
    notify_orgs([claim.bank_id], claim, f"risk.claim_{action.value}", zh, en)


def claim_approve(*, actor: User, claim: RiskClaim, today: date | None = None) -> RiskClaim:
    """The IP office approves a filed claim (the maker of its advance): the advance by the pure
    rule, owed to the bank until a second office user releases it (`claim_pay`)."""
    require(actor, Perm.RISK_CLAIM_REVIEW)
    day = _today(today)
    with transaction.atomic():
        fund, locked = _locked_claim(claim)
        _transition(locked.state, ClaimAction.APPROVE)
        if locked.filed_by_id == actor.pk:
            raise PermissionDenied(
                "补偿申请须由申请人以外的人审核。",
                "A claim is reviewed by someone other than its claimant.",
                code="checker_is_maker",
            )
        _require_non_performing(Loan.objects.get(pk=locked.loan_id))
        balance = selectors.fund_balance(fund.pk)
        room = _year_room(locked, day)
        result = compensate(
            CompensationCase(
                mode=locked.mode,
                principal=Decimal(locked.principal),
                interest=Decimal(locked.interest),
                shares=_shares_of(locked),
                fund_balance=max(balance, _ZERO),
                fund_cap_per_loan=_lowest(locked.fund_cap_per_loan, room),
            )
        )
        before = _claim_snapshot(locked)
        locked.advance = result.advance
        locked.state = _transition(locked.state, ClaimAction.APPROVE, result.advance)
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save()
        label_zh, label_en = _label(locked)
        if result.advance > 0:
            zh = f"{label_zh} 已批准，代偿金额 {yuan_exact(result.advance)}，待拨付。"
            en = f"{label_en} was approved: an advance of {yuan_en(result.advance)}, to be paid."
        else:
            zh = f"{label_zh} 已批准，处置后结算。"
            en = f"{label_en} was approved; it is settled after the disposal."
        _step_done(
            actor=actor,
            action=ClaimAction.APPROVE,
            claim=locked,
            before=before,
            message=(zh, en),
            fund=fund,
            posting=advance_posting(result.advance) if result.advance > 0 else None,
            day=day,
            extra={"fund_balance": money_str(balance), "year_room": money_str_or_none(room)},
        )
    return locked


def claim_reject(*, actor: User, claim: RiskClaim, reason: Any) -> RiskClaim:
    """The IP office rejects a filed claim, with its reason; the bank may claim again."""
    require(actor, Perm.RISK_CLAIM_REVIEW)
    text = str(reason or "").strip()[:_REASON_MAX]
    with transaction.atomic():
        _fund, locked = _locked_claim(claim)
        new_state = _transition(locked.state, ClaimAction.REJECT)
        if not text:
            raise invalid("reason", "reason_required", "驳回须说明理由。", "A reason is required.")
        before = _claim_snapshot(locked)
        locked.state = new_state
        locked.review_reason = text
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save()
        label_zh, label_en = _label(locked)
        _step_done(
            actor=actor,
            action=ClaimAction.REJECT,
            claim=locked,
            before=before,
            message=(f"{label_zh} 未通过：{text}", f"{label_en} was rejected: {text}"),
            extra={"reason": text},
        )
    return locked


def claim_pay(*, actor: User, claim: RiskClaim, today: date | None = None) -> RiskClaim:
    """A second IP office user releases what the fund owes the bank on the claim (the checker);
    see the module docstring for the refusals."""
    require(actor, Perm.RISK_CLAIM_REVIEW)
    day = _today(today)
    with transaction.atomic():
        fund, locked = _locked_claim(claim)
        new_state = _transition(locked.state, ClaimAction.PAY)
        maker = (
            locked.settled_by_id if locked.state == ClaimState.SETTLED else locked.reviewed_by_id
        )
        if maker == actor.pk:
            raise PermissionDenied(
                "拨付须由批准（或结算）人以外的另一人复核执行。",
                "The payment must be released by someone other than who approved (or settled) "
                "the claim.",
                code="checker_is_maker",
            )
        if locked.state == ClaimState.APPROVED:
            # The advance is for a loan still non-performing: one repaid and closed, or
            # reclassified, since the approval gets none (it had been paid all the same, then
            # waited for a disposal that would never come).
            _require_non_performing(Loan.objects.get(pk=locked.loan_id))
        amount = selectors.claim_payable(locked.pk)
        balance = selectors.fund_balance(fund.pk)
        if amount > balance:
            raise Conflict(
                f"基金余额 {yuan_exact(balance)}，不足以拨付 {yuan_exact(amount)}。",
                f"The fund's balance of {yuan_en(balance)} does not cover the payment of "
                f"{yuan_en(amount)}.",
                code="fund_insufficient",
                extra={"balance": money_str(balance), "amount": money_str(amount)},
            )
        cap = locked.scheme.fund_cap_per_bank_year
        if cap is not None:
            paid = selectors.paid_to_bank(
                scheme_id=locked.scheme_id, bank_id=locked.bank_id, year=day.year
            )
            if paid + amount > cap:
                raise Conflict(
                    f"本方案 {day.year} 年已向该银行拨付 {yuan_exact(paid)}，再拨付 "
                    f"{yuan_exact(amount)}将超过年度上限 {yuan_exact(cap)}。",
                    f"The scheme paid the bank {yuan_en(paid)} in {day.year}; "
                    f"{yuan_en(amount)} more would exceed its cap of {money_str(cap)}.",
                    code="bank_year_cap_exceeded",
                    extra={
                        "cap": money_str(cap),
                        "paid": money_str(paid),
                        "amount": money_str(amount),
                        "year": day.year,
                    },
                )
        before = {**_claim_snapshot(locked), "balance": money_str(balance)}
        locked.state = new_state
        locked.paid_by = actor
        locked.paid_at = timezone.now()
        locked.save()
        label_zh, label_en = _label(locked)
        _step_done(
            actor=actor,
            action=ClaimAction.PAY,
            claim=locked,
            before=before,
            message=(
                f"{label_zh}：基金已拨付 {yuan_exact(amount)}。",
                f"{label_en}: the fund paid {yuan_en(amount)}.",
            ),
            fund=fund,
            posting=payment_posting(amount),
            day=day,
            extra={
                "amount": money_str(amount),
                "maker_id": maker,
                "balance": money_str(balance - amount),
            },
        )
    return locked


def claim_settle(
    *,
    actor: User,
    claim: RiskClaim,
    proceeds: Any,
    disposal_costs: Any = None,
    today: date | None = None,
) -> RiskClaim:
    """After the disposal of the pledge: the fund's final part of the loss by the pure rule, and
    the settlement against the advance posted either way (see the module docstring)."""
    require(actor, Perm.RISK_CLAIM_REVIEW)
    return _settle(
        actor=actor, claim=claim, proceeds=proceeds, disposal_costs=disposal_costs, today=today
    )


def claim_settle_on_disposal(
    *,
    actor: User,
    loan_id: int,
    proceeds: Any,
    disposal_costs: Any,
    sale_repayment: Repayment | None = None,
    today: date | None = None,
) -> RiskClaim | None:
    """The settlement posted by the disposal itself (质物处置 completed on the trading board,
    ipfin.disposals): the loan's claim awaiting its disposal is settled with the sale's proceeds
    and costs, in the sale's transaction, by the pledgee bank that completed it
    (`Perm.DISPOSAL_MANAGE`). None when the loan has no claim awaiting a disposal. The payment
    the settlement may owe the bank stays maker-checker: an IP office user releases it."""
    require(actor, Perm.DISPOSAL_MANAGE)
    claim = RiskClaim.objects.filter(
        loan_id=loan_id, bank_id=actor.organisation_id, state=ClaimState.AWAITING_DISPOSAL
    ).first()
    if claim is None:
        return None
    return _settle(
        actor=actor,
        claim=claim,
        proceeds=proceeds,
        disposal_costs=disposal_costs,
        today=today,
        sale_repayment=sale_repayment,
    )


def claim_sale_recorded(*, actor: User, loan_id: int, repayment: Repayment) -> RiskClaim | None:
    """A sale of the loan's pledge (ipfin.disposals) applied `repayment` to the loan while its
    claim was filed or approved, not yet awaiting the disposal: kept on the claim, so that the
    settlement the office enters afterwards with the sale's proceeds (as the disposal tells it)
    applies them to what the loan owed before the sale, once, not again to what the sale left
    (`_owed_at_settlement`). In the sale's transaction, by its pledgee bank
    (`Perm.DISPOSAL_MANAGE`); audited. None when the loan has no such claim."""
    require(actor, Perm.DISPOSAL_MANAGE)
    with transaction.atomic():
        locked = (
            RiskClaim.objects.select_for_update(of=("self",))
            .filter(
                loan_id=loan_id,
                bank_id=actor.organisation_id,
                state__in=[ClaimState.FILED, ClaimState.APPROVED],
            )
            .first()
        )
        if locked is None:
            return None
        before = _claim_snapshot(locked)
        locked.sale_repayment = repayment
        locked.save(update_fields=["sale_repayment"])
        audit_record(
            actor=actor,
            action="risk.claim_sale_recorded",
            obj=locked,
            before=before,
            after={
                **_claim_snapshot(locked),
                "repayment_id": repayment.pk,
                "principal_part": money_str(repayment.principal_part),
                "interest_part": money_str(repayment.interest_part),
            },
        )
    return locked


def _owed_at_settlement(
    claim: RiskClaim, day: date, sale_repayment: Repayment | None
) -> tuple[Decimal, Decimal]:
    """(principal, interest) the settlement's loss is computed on: the loan's figures at filing,
    lowered to what it owes now where the borrower has repaid since (a repayment, the loan
    repaid and closed), before the disposal's own proceeds (`sale_repayment`, or the one kept on
    the claim by `claim_sale_recorded`: already applied to the loan by the sale; the settlement
    applies the proceeds itself)."""
    if sale_repayment is None:
        sale_repayment = claim.sale_repayment
    loan = Loan.objects.get(pk=claim.loan_id)
    principal_now = Decimal(loan.outstanding_principal)
    interest_now = _unpaid_interest(loan, day)
    if sale_repayment is not None:
        principal_now += sale_repayment.principal_part
        interest_now += sale_repayment.interest_part
    return (
        min(Decimal(claim.principal), max(principal_now, _ZERO)),
        min(Decimal(claim.interest), max(interest_now, _ZERO)),
    )


def _settle(
    *,
    actor: User,
    claim: RiskClaim,
    proceeds: Any,
    disposal_costs: Any,
    today: date | None,
    sale_repayment: Repayment | None = None,
) -> RiskClaim:
    amount = amount_in(proceeds, "proceeds", positive=False, label_zh="处置所得")
    costs = optional_amount_in(
        disposal_costs, "disposal_costs", positive=False, label_zh="处置费用"
    )
    day = _today(today)
    with transaction.atomic():
        fund, locked = _locked_claim(claim)
        # Settled before its advance was released, where the advance has lapsed (the loan
        # repaid, its pledge sold or reclassified since the approval: `claim_pay` would refuse
        # it): nothing was paid, the settlement replaces the advance (ipfin.risk.domain.claims).
        lapsed = selectors.advance_lapsed(locked)
        _transition(locked.state, ClaimAction.SETTLE, advance_lapsed=lapsed)
        advance = Decimal(locked.advance or _ZERO)
        released = locked.state != ClaimState.APPROVED
        paid = advance if released else _ZERO
        room = _year_room(locked, day)
        principal, interest = _owed_at_settlement(locked, day, sale_repayment)
        # The cap for this loan: per loan, and no more this year than the advance plus what is
        # left of the bank's year (so that the settlement's payment fits in it). The settlement
        # is the fund's part less the advance paid.
        result = compensate(
            CompensationCase(
                mode=locked.mode,
                principal=principal,
                interest=interest,
                shares=_shares_of(locked),
                fund_balance=paid,
                fund_cap_per_loan=_lowest(
                    locked.fund_cap_per_loan, None if room is None else paid + room
                ),
                proceeds=amount,
                disposal_costs=costs,
                guarantor_cap=locked.guarantor_cap,
                insurer_cap=locked.insurer_cap,
                advance_paid=paid,
            )
        )
        assert result.advance == paid and result.shares is not None
        assert result.loss is not None and result.settlement is not None
        before = _claim_snapshot(locked)
        locked.advance = paid
        locked.proceeds = amount
        locked.disposal_costs = costs if costs is not None else _ZERO
        locked.loss = result.loss
        locked.fund_part = result.shares.fund
        locked.bank_part = result.shares.bank
        locked.guarantor_part = result.shares.guarantor
        locked.insurer_part = result.shares.insurer
        locked.settlement = result.settlement
        locked.state = _transition(
            locked.state, ClaimAction.SETTLE, result.settlement, advance_lapsed=lapsed
        )
        locked.settled_by = actor
        locked.settled_at = timezone.now()
        locked.save()
        label_zh, label_en = _label(locked)
        figure_zh, figure_en = money_pair(abs(result.settlement))
        if result.settlement > 0:
            zh = f"{label_zh} 已结算：基金尚应补偿 {figure_zh}，待拨付。"
            en = f"{label_en} was settled: the fund owes {figure_en} more, to be paid."
        elif result.settlement < 0:
            zh = (
                f"{label_zh} 已结算：银行应自处置所得中退还基金代偿款 {figure_zh}，"
                "基金收到后确认结清。"
            )
            en = (
                f"{label_en} was settled: the bank is to return {figure_en} of the advance out "
                "of the proceeds; the claim closes once the fund has received it."
            )
        else:
            zh, en = f"{label_zh} 已结算，无差额。", f"{label_en} was settled; nothing is owed."
        _step_done(
            actor=actor,
            action=ClaimAction.SETTLE,
            claim=locked,
            before=before,
            message=(zh, en),
            fund=fund,
            posting=settlement_posting(result.shares.fund, advance, released=released),
            day=day,
            extra={
                "year_room": money_str_or_none(room),
                # The loss's basis: what the loan owed at settlement (lower than at filing when
                # the borrower repaid since).
                "principal_owed": money_str(principal),
                "interest_owed": money_str(interest),
                # An approved advance the settlement replaced, never paid.
                "advance_withdrawn": None if released else money_str(advance),
            },
        )
        # The guarantee and the policy take their parts in this transaction (issue 16).
        claim_settled.send(sender=RiskClaim, claim=locked, actor=actor, day=day)
    return locked


def claim_refund_receive(*, actor: User, claim: RiskClaim, today: date | None = None) -> RiskClaim:
    """An IP office user records that the bank's return of its advance (a settlement below it)
    has come into the fund: posted Dr fund_cash / Cr bank_receivable, the claim closed. Not the
    office user who settled the claim (403 `checker_is_maker`: as for a payment, the one who
    made the figure never books the money); out of `refund_due`, a 409."""
    require(actor, Perm.RISK_CLAIM_REVIEW)
    day = _today(today)
    with transaction.atomic():
        fund, locked = _locked_claim(claim)
        new_state = _transition(locked.state, ClaimAction.RECEIVE)
        if locked.settled_by_id == actor.pk:
            raise PermissionDenied(
                "退还款须由结算人以外的另一人确认收到。",
                "The return must be recorded as received by someone other than who settled "
                "the claim.",
                code="checker_is_maker",
            )
        amount = selectors.claim_refundable(locked.pk)
        assert amount > 0, "a claim in refund_due has a return owed"
        before = {**_claim_snapshot(locked), "balance": money_str(selectors.fund_balance(fund.pk))}
        locked.state = new_state
        locked.refund_received_by = actor
        locked.refund_received_at = timezone.now()
        locked.save()
        label_zh, label_en = _label(locked)
        _step_done(
            actor=actor,
            action=ClaimAction.RECEIVE,
            claim=locked,
            before=before,
            message=(
                f"{label_zh}：基金已收到退还的代偿款 {yuan_exact(amount)}，已结清。",
                f"{label_en}: the fund received the return of {yuan_en(amount)}; closed.",
            ),
            fund=fund,
            posting=refund_posting(amount),
            day=day,
            extra={"amount": money_str(amount)},
        )
    return locked


# --- early warning (风险预警) --------------------------------------------------------------------


@dataclass(frozen=True)
class ScanSummary:
    """What one scan did: what it read, what it found, and what changed."""

    on: date
    pledged_rights: int
    loans: int
    found: int
    created: int
    seen_again: int
    resolved: int
    by_kind: dict[str, int]
    # 预缴年费: the annuity years this scan paid from deposits on their due dates, and their fees
    deposit_years_paid: int = 0
    deposit_amount_paid: str = "0.00"


_LIVE = ["open", "acknowledged"]


def _settings_decimal(name: str, default: Decimal) -> Decimal:
    raw = getattr(settings, name, None)
    return default if raw in (None, "") else Decimal(str(raw))


def risk_scan(*, on: date, actor: User | None = None) -> ScanSummary:
    """The daily early-warning scan as of `on` (idempotent: the same day twice changes nothing
    more). Every finding (ipfin.risk.scanning) is an alert: a new one is created (and its bank
    and the office told, one notification per organisation per scan); one already live is seen
    again (`last_seen` moves). A live alert seen on or before `on` that the scan no longer finds
    is resolved, with the reason that its cause is gone. A scan of an earlier day than an alert
    was last seen resolves nothing (history is not rewritten). `actor` None: the daily job;
    else the IP office (`Perm.RISK_SCAN`), for today or an earlier day only (422
    `scan_day_in_future`): a scan as of a later day would raise alerts for what has not happened
    (a patent lapsed for an annuity not yet due) and tell the banks, and resolve today's real
    ones; a scan of today would not resolve what it raised, last seen after today."""
    if actor is not None:
        require(actor, Perm.RISK_SCAN)
        today = timezone.localdate()
        if on > today:
            raise invalid(
                "on",
                "scan_day_in_future",
                f"扫描日期不能晚于今天（{today.isoformat()}）。",
                f"The scan's day cannot be after today ({today.isoformat()}).",
            )
    # First the annuities falling due are paid from their deposits (issue 12, 预缴年费): the scan
    # then reads them paid.
    drawn = annuity_deposit_draw(on=on)
    findings, read = scan_findings(
        on,
        decline=_settings_decimal("IPFIN_RISK_VALUE_DECLINE", DEFAULT_VALUE_DECLINE),
        concentration=_settings_decimal(
            "IPFIN_RISK_CONCENTRATION_SHARE", DEFAULT_CONCENTRATION_SHARE
        ),
    )
    by_key = {finding.key: finding for finding in findings}
    with transaction.atomic():
        _one_scan_at_a_time()
        live = RiskAlert.objects.select_for_update().filter(status__in=_LIVE)
        known = dict(live.values_list("key", "pk"))
        seen = [known[key] for key in by_key if key in known]
        seen_again = RiskAlert.objects.filter(pk__in=seen, last_seen__lt=on).update(last_seen=on)
        _redate_seen(live, by_key)
        gone = live.exclude(key__in=list(by_key)).filter(last_seen__lte=on)
        resolved = gone.update(
            status="resolved",
            resolved_at=timezone.now(),
            resolved_by_scan=True,
            resolution=f"{on.isoformat()} 扫描确认风险原因已消除 / cause gone at the scan of {on}",
        )
        new = [_alert_row(finding, on) for key, finding in by_key.items() if key not in known]
        # Two scans at once: the second insert of a key finds the first's live alert and skips.
        created = RiskAlert.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
        by_kind: dict[str, int] = {}
        for finding in findings:
            by_kind[finding.kind.value] = by_kind.get(finding.kind.value, 0) + 1
        summary = ScanSummary(
            on=on,
            pledged_rights=read.pledged_rights,
            loans=read.loans,
            found=len(findings),
            created=len(created),
            seen_again=seen_again,
            resolved=resolved,
            by_kind=dict(sorted(by_kind.items())),
            deposit_years_paid=drawn.years,
            deposit_amount_paid=money_str(drawn.amount),
        )
        audit_record(
            actor=actor,
            action="risk.scan",
            object_type="risk.scan",
            object_id=on.isoformat(),
            after={
                "on": on.isoformat(),
                "found": summary.found,
                "created": summary.created,
                "resolved": summary.resolved,
                "by_kind": summary.by_kind,
            },
        )
        _tell_banks(new, on)
        _feed_alerts([alert.key for alert in new], on)
        # The legal status the days changed (no event recorded: a grace period begun, a patent
        # lapsed, a term run out) reaches the feed as a right.status_changed too: from the scan
        # of today only, which reads the register as it now stands (a scan of an earlier day, or
        # of a later one, would tell the banks of a status that is not, or not yet, the right's).
        if on == timezone.localdate():
            pledgees: dict[int, list[int]] = {}
            for right_id, bank_id in read.status_watch:
                pledgees.setdefault(right_id, []).append(bank_id)
            rights_time_status_publish(pledgees, on=on)
    return summary


# The key of the scans' lock (PostgreSQL advisory lock, held to the transaction's end).
_SCAN_LOCK = 0x1F_5C_A0


def _one_scan_at_a_time() -> None:
    """Two scans at once (the daily job and the office's button) queue here for the write: the
    second then reads the first's new alerts as known. Without it each read the live alerts
    before the other's inserts, both took the same findings as new, and the banks and the
    office were told of them twice (the insert itself skipped the duplicates). SQLite's single
    writer (BEGIN IMMEDIATE) queues them already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCAN_LOCK])


def _feed_alerts(keys: list[str], on: date) -> None:
    """Tell the change feed (ipfin.feed) of each alert this scan raised: its bank reads it. Read
    back by key, in chunks (the insert skipped conflicts, so it gave no ids); each alert's event
    is keyed by the alert, so that two scans at once, each reading back the other's alerts,
    publish it once."""
    occurrences: list[Occurrence] = []
    for start in range(0, len(keys), 2000):
        rows = RiskAlert.objects.filter(
            key__in=keys[start : start + 2000], status__in=_LIVE, first_seen=on
        ).order_by("pk")
        occurrences.extend(
            Occurrence(
                FeedEventType.RISK_ALERT_RAISED,
                {
                    "alert_id": a.pk,
                    "kind": a.kind,
                    "severity": a.severity,
                    "right_number": a.right_number,
                    "pledge_id": a.pledge_id,
                    "loan_id": a.loan_id,
                    "date": a.date,
                    "message_zh": a.message_zh,
                    "message_en": a.message_en,
                },
                [a.bank_id],
                key=f"risk.alert:{a.pk}",
            )
            for a in rows
        )
    events_publish(occurrences)


def _redate_seen(live: QuerySet[RiskAlert], by_key: dict[str, Finding]) -> None:
    """A live alert found again whose date moved (a grace period's last day, once the office
    has entered the year's holidays: `Finding.key_date` keeps it the same alert) takes the new
    day and its message; the others are not written."""
    moved = [
        (pk, by_key[key])
        for pk, key, day in live.filter(key__in=list(by_key)).values_list("pk", "key", "date")
        if by_key[key].date != day
    ]
    for pk, finding in moved:
        zh, en = alert_message(finding)
        RiskAlert.objects.filter(pk=pk).update(
            date=finding.date, message_zh=zh[:500], message_en=en[:500]
        )


def _alert_row(finding: Finding, on: date) -> RiskAlert:
    zh, en = alert_message(finding)
    return RiskAlert(
        key=finding.key,
        kind=finding.kind.value,
        severity=finding.severity.value,
        bank_id=finding.bank_id,
        right_id=finding.right_id,
        right_number=finding.right_number,
        pledge_id=finding.pledge_id,
        loan_id=finding.loan_id,
        date=finding.date,
        subject=finding.subject,
        message_zh=zh[:500],
        message_en=en[:500],
        first_seen=on,
        last_seen=on,
    )


def _tell_banks(new: list[RiskAlert], on: date) -> None:
    """One notification per bank with new alerts (how many, how many high), and one to the
    office with the total: a scan of a thousand findings is not a thousand messages."""
    if not new:
        return
    per_bank: dict[int, list[int]] = {}
    for alert in new:
        counts = per_bank.setdefault(alert.bank_id, [0, 0])
        counts[0] += 1
        counts[1] += alert.severity == "high"
    for bank_id, (count, high) in per_bank.items():
        notify_orgs(
            [bank_id],
            None,
            "risk.alerts",
            f"{on.isoformat()} 风险预警扫描：新增 {count} 条预警（其中高风险 {high} 条），"
            "请及时处理。",
            f"Risk scan of {on.isoformat()}: {count} new alerts ({high} high); please act on them.",
        )
    notify_orgs(
        ip_office_ids(),
        None,
        "risk.alerts",
        f"{on.isoformat()} 风险预警扫描：新增 {len(new)} 条预警，涉及 {len(per_bank)} 家银行。",
        f"Risk scan of {on.isoformat()}: {len(new)} new alerts at {len(per_bank)} banks.",
    )


def _live_alert(alert_id: int, actor: User) -> RiskAlert:
    """The alert, locked, if the actor may handle it (the one alert scope); else 404."""
    scope = selectors.alert_scope(actor)
    rows = RiskAlert.objects.select_for_update().filter(pk=alert_id)
    alert = (rows if scope is None else rows.filter(scope)).first()
    if alert is None:
        raise NotFound("没有该预警。", "No such alert.", code="alert_not_found")
    return alert


def _note(note: str, *, required: bool) -> str:
    text = (note or "").strip()
    if required and len(text) < 2:
        raise invalid(
            "note",
            "note_required",
            "请写明处理情况（至少 2 个字）。",
            "Say what was done (at least 2 characters).",
        )
    return text[:500]


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: RiskAlert, note: str = "") -> RiskAlert:
    """The bank (or the office) has seen the alert and is acting on it. Only an open alert:
    Conflict `alert_not_open` (409) otherwise."""
    require(actor, Perm.RISK_ALERT_HANDLE)
    locked = _live_alert(alert.pk, actor)
    if locked.status != "open":
        raise Conflict("该预警不是待处理状态。", "The alert is not open.", code="alert_not_open")
    locked.status = "acknowledged"
    locked.acknowledged_by = actor
    locked.acknowledged_at = timezone.now()
    locked.acknowledge_note = _note(note, required=False)
    locked.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "acknowledge_note"])
    audit_record(
        actor=actor,
        action="risk.alert_acknowledge",
        obj=locked,
        after={"note": locked.acknowledge_note},
    )
    return locked


@transaction.atomic
def alert_resolve(*, actor: User, alert: RiskAlert, note: str) -> RiskAlert:
    """Close an alert by hand, with a note saying what was done (required). A resolved alert:
    Conflict `alert_resolved` (409). If the cause is still there, the next scan raises a new one."""
    require(actor, Perm.RISK_ALERT_HANDLE)
    locked = _live_alert(alert.pk, actor)
    if locked.status == "resolved":
        raise Conflict("该预警已解除。", "The alert is resolved already.", code="alert_resolved")
    text = _note(note, required=True)
    locked.status = "resolved"
    locked.resolved_by = actor
    locked.resolved_at = timezone.now()
    locked.resolution = text
    locked.save(update_fields=["status", "resolved_by", "resolved_at", "resolution"])
    audit_record(actor=actor, action="risk.alert_resolve", obj=locked, after={"note": text})
    return locked
