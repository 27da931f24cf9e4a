"""Input and output schemas of the monitoring API (ipfin.stats.api). Money out: strings of yuan with
two decimals; ratios: strings with six decimals; counts: integers."""

from __future__ import annotations

import datetime

from ninja import Field, Schema

from ipfin.common.schemas import IsoDate, OrganisationRef
from ipfin.stats.domain import DEFINITION_BY_NAME, MAX_NEW_LOANS, Dimension


def _definition(name: str) -> str:
    zh, en = DEFINITION_BY_NAME[name]
    return f"{en} {zh}"


class IndicatorFilter(Schema):
    from_: IsoDate = Field(..., alias="from", description="the period's first day, YYYY-MM-DD")
    to: IsoDate = Field(..., description="the period's last day (included), at most ten years on")
    by: Dimension = Field(Dimension.BANK, description="the cut: one row per bank, park, …")


class StatsFiguresOut(Schema):
    new_loans: int = Field(..., description=_definition("new_loans"))
    new_loan_amount: str = Field(..., description=_definition("new_loan_amount"))
    balance: str = Field(..., description=_definition("balance"))
    customers: int = Field(..., description=_definition("customers"))
    first_time_borrowers: int = Field(..., description=_definition("first_time_borrowers"))
    sole_ip_collateral: int = Field(..., description=_definition("sole_ip_collateral"))
    avg_pledge_rate: str = Field(..., description=_definition("avg_pledge_rate"))
    avg_rate: str = Field(..., description=_definition("avg_rate"))
    npl_balance: str = Field(..., description=_definition("npl_balance"))
    npl_ratio: str = Field(..., description=_definition("npl_ratio"))
    subsidies_paid: str = Field(..., description=_definition("subsidies_paid"))
    compensation_paid: str = Field(..., description=_definition("compensation_paid"))


class IndicatorRowOut(StatsFiguresOut):
    key: str = Field(
        ...,
        description="the row's key: an organisation's or product's id, a right kind, a size, a "
        "region, a quarter (2026Q3); `none` (not given), `mixed` (rights of several kinds), "
        "`unattributed` (subsidies over loans in several rows)",
    )
    label: str = Field(..., description="the key in words, in the request's language")


class IndicatorsOut(Schema):
    start: datetime.date = Field(..., description="the period's first day (`from`)")
    end: datetime.date = Field(..., description="its last day (`to`): balances are taken then")
    by: Dimension
    rows: list[IndicatorRowOut]
    total: StatsFiguresOut


class ParkGrowthFilter(Schema):
    year: int = Field(..., ge=1901, le=2999, description="the year compared with the one before")


class ParkGrowthOut(Schema):
    park: OrganisationRef
    projects: int = Field(..., description="IP-pledge loans disbursed to member enterprises")
    amount: str = Field(..., description="their principal (yuan)")
    prev_projects: int
    prev_amount: str
    projects_growth: str | None = Field(
        ..., description="(projects − prev_projects) ÷ prev_projects, six decimals; null: no base"
    )
    amount_growth: str | None = Field(..., description="likewise for the amount")
    meets_target: bool = Field(..., description="both growths ≥ 0.20 (inclusive)")


class ParkGrowthPageOut(Schema):
    year: int
    target: str = Field(..., description="the growth target, 0.200000 (入园惠企, seed 001)")
    parks: list[ParkGrowthOut] = Field(..., description="parks with loans the year before")
    without_base: list[ParkGrowthOut] = Field(
        ..., description="parks with no loans the year before: growth null, target not met"
    )


class BankReturnIn(Schema):
    """One quarter's return of the acting bank; amounts in yuan, the ratio a fraction (1.62% is
    "0.0162"; "1.62%" is read too)."""

    period: str = Field(..., max_length=6, description="a quarter that has ended, e.g. 2026Q3")
    npl_ratio: str = Field(..., max_length=20, description="the bank's overall NPL ratio")
    total_loan_balance: str = Field(..., max_length=20, description="全行各项贷款余额 (yuan)")
    ip_loan_balance: str = Field(..., max_length=20, description="its IP-pledge loan balance")
    ip_new_loans: int = Field(..., ge=0, le=MAX_NEW_LOANS, description="IP-pledge loans granted")
    ip_new_amount: str = Field(..., max_length=20, description="their amount (yuan)")


class BankReturnOut(Schema):
    bank: OrganisationRef
    period: str
    npl_ratio: str | None = Field(..., description="six decimals; null: not reported")
    total_loan_balance: str
    ip_loan_balance: str
    ip_new_loans: int
    ip_new_amount: str
    revision: int = Field(..., description="how many times the bank returned the quarter")
    reported_at: datetime.datetime
    platform_balance: str = Field(..., description="the platform's IP-pledge balance of the bank")
    platform_new_loans: int
    platform_new_amount: str
    balance_difference: str = Field(..., description="reported − platform")
    amount_difference: str = Field(..., description="reported − platform")


class BankReturnFilter(Schema):
    period: str = Field(..., max_length=6, description="a quarter, e.g. 2026Q3")


class BankReturnsUploadOut(Schema):
    stored: int
    items: list[BankReturnOut]
