"""Input and output schemas of the risk API: the calculators, the compensation schemes, the fund's
ledger and the claims. The JSON schema states exactly what the server reads, and pydantic holds
every request to it (a 422 `invalid_input` listing the fields):

- money is a string of yuan, at most two decimals, at most MAX_AMOUNT (13 digits before the
  point): `MONEY_PATTERN`, as `ipfin.common.money.parse_money` reads it (no sign, no separators,
  no surrounding blanks); never a JSON number;
- a share or a ratio is a string from 0 to 1 with at most ten decimals
  (`ipfin.risk.domain.ratios.RATIO_PATTERN`), never a JSON number.

What the schema cannot say (the shares sum to exactly 1, the non-performing balance is at most the
balance, proceeds before disposal costs) the rules refuse with a 422 naming the field
(`ipfin.risk.domain`). Money out: strings with two decimals; the calculators' ratios out: six
decimals; a scheme's shares out as they were sent (no trailing zeros).
"""

from __future__ import annotations

import datetime
import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, StringConstraints

from ipfin.common.money import MAX_AMOUNT
from ipfin.common.schemas import IsoDate, OrganisationRef
from ipfin.registry.domain import RightKind
from ipfin.risk.domain.compensation import CompensationMode
from ipfin.risk.domain.npl import PERIOD_PATTERN
from ipfin.risk.domain.ratios import MAX_PLACES, RATIO_PATTERN

_WHOLE_DIGITS = len(str(int(MAX_AMOUNT)))  # 13
MONEY_PATTERN = rf"^[0-9]{{1,{_WHOLE_DIGITS}}}(\.[0-9]{{1,2}})?$"

MoneyText = Annotated[str, StringConstraints(pattern=MONEY_PATTERN, max_length=_WHOLE_DIGITS + 3)]
RatioText = Annotated[str, StringConstraints(pattern=RATIO_PATTERN, max_length=MAX_PLACES + 2)]
# A quarter, "2026Q3" (ipfin.risk.domain.npl.PERIOD_PATTERN: ASCII digits in every engine).
PeriodText = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN, max_length=6)]


# --- compensation ---------------------------------------------------------------------------------


class CompensationSharesIn(Schema):
    """The scheme's shares of a loss: each 0 to 1, summing to exactly 1."""

    fund: RatioText = Field(..., description='风险补偿基金, e.g. "0.4"')
    bank: RatioText = Field(..., description="银行")
    guarantor: RatioText = Field(..., description="担保机构")
    insurer: RatioText = Field(..., description="保险机构")


class CompensationPreviewIn(Schema):
    mode: CompensationMode = Field(
        ...,
        description="after_disposal: paid after disposal; front_loaded: 前置, advanced on default",
    )
    principal: MoneyText = Field(..., description="outstanding principal (yuan)")
    interest: MoneyText = Field(..., description="interest due and unpaid (yuan)")
    shares: CompensationSharesIn
    fund_cap_per_loan: MoneyText | None = Field(
        None, description="the fund's cap per loan (yuan); omitted: no cap"
    )
    fund_balance: MoneyText = Field(..., description="the fund's balance (yuan)")
    proceeds: MoneyText | None = Field(
        None, description="disposal proceeds (yuan); omitted before disposal"
    )
    disposal_costs: MoneyText | None = Field(
        None, description="disposal costs (yuan), only with proceeds; omitted: 0.00"
    )


class CompensationProceedsOut(Schema):
    """The proceeds as applied, in this order; they sum to the proceeds."""

    costs: str
    interest: str
    principal: str
    pledgor: str


class CompensationPartsOut(Schema):
    """Each party's part of the loss (the fund's after its cap); they sum to the loss."""

    fund: str
    bank: str
    guarantor: str
    insurer: str


class CompensationPreviewOut(Schema):
    advance: str = Field(..., description="front_loaded: advanced on default; else 0.00")
    proceeds: CompensationProceedsOut | None = Field(..., description="null before disposal")
    loss: str | None = Field(..., description="principal − proceeds applied to principal")
    shares: CompensationPartsOut | None
    settlement: str | None = Field(
        ..., description="fund's part − advance: > 0 the fund pays the bank, < 0 the bank returns"
    )


# --- NPL tolerance ------------------------------------------------------------------------------


class NplTolerancePreviewIn(Schema):
    ip_npl_balance: MoneyText = Field(
        ..., description="IP-pledge loans classified 次级, 可疑 or 损失 (yuan)"
    )
    ip_balance: MoneyText = Field(..., description="all IP-pledge loans (yuan)")
    bank_npl_ratio: RatioText = Field(
        ..., description='the bank\'s overall NPL ratio, e.g. "0.0162"'
    )


class NplTolerancePreviewOut(Schema):
    ip_npl_ratio: str = Field(..., description="six decimals, rounded half up (0 with no loans)")
    limit: str = Field(..., description="bank_npl_ratio + 0.03, six decimals")
    tolerated: bool = Field(..., description="ip_npl_ratio ≤ limit, compared exactly")


class BankNplIn(Schema):
    period: PeriodText = Field(
        ..., description='the quarter, ended before today, written YYYYQn: e.g. "2026Q3"'
    )
    ratio: RatioText = Field(
        ...,
        description='the bank\'s overall NPL ratio for the quarter, 0 to 1 (1.62 % is "0.0162")',
    )


class BankNplOut(Schema):
    period: str
    period_end: datetime.date = Field(..., description="the quarter's last day")
    bank: OrganisationRef
    ratio: str = Field(..., description="as reported (exact, no trailing zeros)")
    previous_ratio: str | None = Field(
        ..., description="the ratio this report replaced; null for the quarter's first report"
    )
    revision: int = Field(..., description="1 for the first report of the quarter, then 2, 3...")
    reported_at: datetime.datetime
    reported_by: str


class NplToleranceFilter(Schema):
    period: PeriodText | None = Field(
        None, description="a quarter that has ended, e.g. 2026Q3; omitted: the last one ended"
    )


class NplToleranceItemOut(Schema):
    bank: OrganisationRef
    ip_balance: str = Field(..., description="the bank's IP-pledge loans on the period's last day")
    ip_npl_balance: str = Field(..., description="of which classified 次级, 可疑 or 损失 that day")
    ip_npl_ratio: str = Field(..., description="ip_npl_balance ÷ ip_balance, six decimals")
    bank_npl_ratio: str | None = Field(
        ..., description="the bank's overall ratio as it reported it, six decimals; null: none"
    )
    limit: str | None = Field(..., description="bank_npl_ratio + 0.03, six decimals; null: none")
    tolerated: bool | None = Field(
        ..., description="ip_npl_ratio ≤ limit, compared exactly; null without a report"
    )
    reported_at: datetime.datetime | None
    revision: int | None = Field(..., description="how many times the bank reported the quarter")


class NplToleranceOut(Schema):
    period: str
    period_end: datetime.date = Field(..., description="the day the balances are taken at")
    items: list[NplToleranceItemOut] = Field(..., description="one per bank, in the banks' order")
    count: int


# --- schemes ------------------------------------------------------------------------------------

_NAME_MAX = 200
_MEMO_MAX = 500


class RiskEligibilityIn(Schema):
    """Which loans the scheme covers; each condition optional (omitted: none), all must be met
    (ipfin.risk.domain.eligibility). A key not listed here is refused, never ignored."""

    model_config = ConfigDict(extra="forbid")

    bank_ids: list[int] | None = Field(
        None, min_length=1, description="the banks taking part (合作银行)"
    )
    product_ids: list[int] | None = Field(
        None, min_length=1, description="the loan products covered (financing product ids)"
    )
    right_kinds: list[RightKind] | None = Field(
        None, min_length=1, description="every pledged right is of one of these kinds"
    )
    max_principal: MoneyText | None = Field(
        None, description="the loan's principal at most this (inclusive, yuan)"
    )


class RiskSchemeTermsIn(Schema):
    name: str = Field(..., min_length=1, max_length=_NAME_MAX)
    mode: CompensationMode = Field(
        ..., description="after_disposal: paid after disposal; front_loaded: 前置, advanced"
    )
    shares: CompensationSharesIn = Field(
        ..., description="fund, bank, guarantor, insurer: decimal strings summing to exactly 1"
    )
    fund_cap_per_loan: MoneyText | None = Field(None, description="omitted: no cap")
    fund_cap_per_bank_year: MoneyText | None = Field(
        None, description="what the fund pays one bank in a calendar year; omitted: no cap"
    )
    eligibility: RiskEligibilityIn = Field(
        default_factory=RiskEligibilityIn, description="omitted or {}: every loan"
    )


class RiskSchemeIn(RiskSchemeTermsIn):
    fund_id: int = Field(..., description="the fund: an organisation of kind risk_fund")


class RiskSharesOut(Schema):
    fund: str
    bank: str
    guarantor: str
    insurer: str


class RiskEligibilityOut(Schema):
    bank_ids: list[int] | None = None
    product_ids: list[int] | None = None
    right_kinds: list[str] | None = None
    max_principal: str | None = None


class RiskSchemeOut(Schema):
    id: int
    name: str
    fund: OrganisationRef
    mode: str
    mode_label: str
    shares: RiskSharesOut
    fund_cap_per_loan: str | None
    fund_cap_per_bank_year: str | None
    eligibility: RiskEligibilityOut
    version: int = Field(..., description="also the ETag: send it as If-Match to edit the scheme")
    created_at: datetime.datetime
    updated_at: datetime.datetime


# --- the fund's ledger ----------------------------------------------------------------------------


class FundBudgetIn(Schema):
    amount: MoneyText = Field(..., description="the budget entry (yuan, above 0)")
    memo: str = Field(
        ..., min_length=1, max_length=_MEMO_MAX, description="摘要: e.g. the appropriation's number"
    )


class LedgerLineOut(Schema):
    account: str = Field(
        ...,
        description="fund_cash, advances_receivable, bank_receivable, bank_payable, "
        "budget_income, compensation_expense",
    )
    account_label: str
    debit: str
    credit: str


class LedgerEntryOut(Schema):
    id: int
    transaction_id: str
    kind: str = Field(..., description="budget, advance, payment, settlement, refund")
    kind_label: str
    posted_on: datetime.date
    memo: str
    claim_id: int | None
    lines: list[LedgerLineOut] = Field(..., description="Σdebit = Σcredit")
    balance: str = Field(..., description="the fund's balance (fund_cash) after this posting")


class FundLedgerOut(Schema):
    fund: OrganisationRef
    balance: str = Field(..., description="the fund's balance now")
    count: int = Field(..., description="postings in all; `items` holds the newest 500")
    items: list[LedgerEntryOut] = Field(..., description="newest first")


# --- claims ---------------------------------------------------------------------------------------


class RiskClaimIn(Schema):
    loan_id: int = Field(..., description="the bank's own loan, classified 次级, 可疑 or 损失")
    scheme_id: int


class RiskClaimRejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=2000)


class RiskClaimSettleIn(Schema):
    proceeds: MoneyText = Field(..., description="what the disposal realised (yuan)")
    disposal_costs: MoneyText | None = Field(None, description="omitted: 0.00")


class RiskSchemeRef(Schema):
    id: int
    name: str


class RiskClaimCoverOut(Schema):
    party: Literal["guarantor", "insurer"]
    ref: str = Field(..., description='the contract: "guarantee:<id>" or "policy:<id>"')
    share: str = Field(..., description="the share of the loss the contract covers")
    applied: str = Field(
        ..., description="the share the claim applies: less where the fund's and earlier "
        "contracts' shares leave less than the contract covers"
    )  # fmt: skip
    cap: str | None = Field(..., description="the contract's cap (None: none)")


class RiskClaimOut(Schema):
    id: int
    state: str = Field(
        ...,
        description="filed, rejected, approved, awaiting_disposal, settled, refund_due, closed",
    )
    state_label: str
    scheme: RiskSchemeRef
    fund: OrganisationRef
    loan_id: int
    bank: OrganisationRef
    enterprise: OrganisationRef
    mode: str
    shares: RiskSharesOut = Field(
        ..., description="the shares the claim splits the loss by: the scheme's when it was "
        "filed, the guarantor's and the insurer's taken from the loan's guarantee and "
        "pledge-financing guarantee insurance policy where it carries them (see cover)"
    )  # fmt: skip
    fund_cap_per_loan: str | None
    guarantor_cap: str | None = Field(..., description="the guarantee's cap (None: none)")
    insurer_cap: str | None = Field(
        ..., description="what was left of the policy's sum insured when filed (None: none)"
    )
    cover: list[RiskClaimCoverOut]
    principal: str = Field(..., description="outstanding principal when filed")
    interest: str = Field(..., description="interest due and unpaid when filed")
    advance: str | None = Field(..., description="set on approval; 0.00 for after_disposal")
    proceeds: str | None
    disposal_costs: str | None
    loss: str | None
    fund_part: str | None = Field(..., description="the fund's final part of the loss")
    bank_part: str | None = Field(..., description="the bank's part of the loss")
    guarantor_part: str | None = Field(
        ..., description="the guarantor's part of the loss, within its cap"
    )
    insurer_part: str | None = Field(..., description="the insurer's part, within its cap")
    settlement: str | None = Field(
        ..., description="fund_part − advance: > 0 the fund pays more, < 0 the bank returns"
    )
    granted: str = Field(..., description="all the fund has owed the bank on the claim")
    paid: str = Field(..., description="all the fund has paid the bank on the claim")
    payable: str = Field(..., description="granted − paid: waits for the checker")
    review_reason: str
    filed_by: str
    filed_at: datetime.datetime
    reviewed_by: str | None
    reviewed_at: datetime.datetime | None
    settled_by: str | None
    settled_at: datetime.datetime | None
    paid_by: str | None
    paid_at: datetime.datetime | None
    refund_due: str = Field(
        ...,
        description="what the bank is to return of its advance (a settlement below it) and the "
        "fund has not yet received",
    )
    refund_received_by: str | None
    refund_received_at: datetime.datetime | None
    allowed_actions: list[str]


# --- early-warning alerts ------------------------------------------------------------------------

AlertStatus = Literal["open", "acknowledged", "resolved"]
AlertKindName = Literal[
    "annuity_due", "grace_period", "lapsed", "invalidation_requested", "invalidated",
    "preservation", "dispute", "transfer_attempt", "expires_before_maturity",
    "borrower_overdue", "value_decline", "pledge_rate_exceeded", "concentration",
]  # fmt: skip


class RiskAlertFilter(Schema):
    status: AlertStatus | None = None
    kind: AlertKindName | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class RiskAlertOut(Schema):
    id: int
    kind: AlertKindName
    severity: Literal["high", "medium", "low"]
    bank: OrganisationRef
    right_number: str = Field(description="the pledged right concerned; empty for concentration")
    pledge_id: int | None
    loan_id: int | None
    date: dt.date = Field(description="the date that matters: due date, last day, expiry, ...")
    message: str = Field(description="what a loan officer reads, in the request's language")
    status: AlertStatus
    first_seen: dt.date
    last_seen: dt.date
    note: str = Field(description="the bank's note when acknowledged or resolved, or the scan's")


class RiskAlertPageOut(Schema):
    items: list[RiskAlertOut]
    count: int = Field(description="alerts matching the filters, all pages")
    limit: int
    offset: int


class RiskAlertNoteIn(Schema):
    note: str = Field("", max_length=500, description="what was done (required to resolve)")


class RiskAlertSummaryOut(Schema):
    by_severity: dict[str, int] = Field(description="live alerts (open, acknowledged)")
    by_kind: dict[str, int]


class RiskScanIn(Schema):
    on: IsoDate | None = Field(None, description="the day to scan as of (default today)")


class RiskScanOut(Schema):
    on: dt.date
    pledged_rights: int
    loans: int
    found: int
    created: int
    seen_again: int
    resolved: int
    by_kind: dict[str, int]
    deposit_years_paid: int = Field(description="annuity years paid from deposits (预缴年费)")
    deposit_amount_paid: str = Field(description="their fees, yuan")


# --- anomaly signals (虚构合同、数据异常) -------------------------------------------------------

SignalKindName = Literal[
    "shared_contract_no", "shared_contract_file", "repeated_pledges", "valuation_outlier",
    "loan_bunching", "benford",
]  # fmt: skip


class RiskSignalFilter(Schema):
    kind: SignalKindName | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)


class RiskSignalEvidenceOut(Schema):
    pledge_ids: list[int] = Field(description="at most 100 of each kind of id")
    loan_ids: list[int]
    valuation_ids: list[int]
    organisations: list[OrganisationRef] = Field(description="the parties, banks and makers named")
    right_numbers: list[str]
    figures: dict[str, str] = Field(
        description="the figures the signal rests on, by name (numbers as text: amounts in yuan "
        "with two decimals, ratios, counts, the test's statistic and p-value)"
    )


class RiskSignalOut(Schema):
    kind: SignalKindName
    key: str = Field(description="the signal's identity: the same facts give the same key")
    bank: OrganisationRef | None = Field(description="the bank the signal is about, if one")
    message: str = Field(description="what was found, in the request's language")
    evidence: RiskSignalEvidenceOut


class RiskSignalPageOut(Schema):
    items: list[RiskSignalOut]
    count: int = Field(description="signals matching the filter, all pages")
    by_kind: dict[str, int] = Field(description="signals of each kind (before the filter)")
    limit: int
    offset: int
