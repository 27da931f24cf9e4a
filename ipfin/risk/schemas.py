"""Input and output schemas of the risk calculators. The JSON schema states exactly what the
server reads, and pydantic holds every request to it (a 422 `invalid_input` listing the fields):

- money is a string of yuan, at most two decimals, at most MAX_AMOUNT (13 digits before the
  point): `MONEY_PATTERN`, as `ipfin.common.money.parse_money` reads it (no sign, no separators,
  no surrounding blanks); never a JSON number;
- a share or a ratio is a string from 0 to 1 with at most ten decimals
  (`ipfin.risk.domain.ratios.RATIO_PATTERN`), never a JSON number.

What the schema cannot say (the shares sum to exactly 1, the non-performing balance is at most the
balance, proceeds before disposal costs) the rules refuse with a 422 naming the field
(`ipfin.risk.domain`). Money out: strings with two decimals; ratios out: six decimals.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from ipfin.common.money import MAX_AMOUNT
from ipfin.risk.domain.compensation import CompensationMode
from ipfin.risk.domain.ratios import MAX_PLACES, RATIO_PATTERN

_WHOLE_DIGITS = len(str(int(MAX_AMOUNT)))  # 13
MONEY_PATTERN = rf"^[0-9]{{1,{_WHOLE_DIGITS}}}(\.[0-9]{{1,2}})?$"

MoneyText = Annotated[str, StringConstraints(pattern=MONEY_PATTERN, max_length=_WHOLE_DIGITS + 3)]
RatioText = Annotated[str, StringConstraints(pattern=RATIO_PATTERN, max_length=MAX_PLACES + 2)]


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
