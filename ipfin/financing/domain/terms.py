"""The product vocabulary financing shares with loans: how a loan is repaid and how its interest
counts days. Pure (no Django). The rules that use them (schedules, interest, penalties) are the
loans app's (`ipfin.loans.domain.schedules`)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

__all__ = ["BP", "METHOD_ZH", "DayCount", "RepaymentMethod", "lpr_plus_spread"]

BP = Decimal(10_000)  # basis points in one


class RepaymentMethod(StrEnum):
    ANNUITY = "annuity"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY = "interest_only"  # 先息后本（到期还本）


class DayCount(StrEnum):
    THIRTY_360 = "30/360"
    ACTUAL_360 = "actual/360"
    ACTUAL_365 = "actual/365"


METHOD_ZH = {
    RepaymentMethod.ANNUITY: "等额本息",
    RepaymentMethod.EQUAL_PRINCIPAL: "等额本金",
    RepaymentMethod.INTEREST_ONLY: "先息后本",
}


def lpr_plus_spread(lpr: Decimal, spread_bp: int) -> Decimal:
    """A product's annual rate: the loan prime rate (LPR) of its tenor plus its spread in basis
    points (LPR + 加点), exact (no rounding: the rate has at most six decimals)."""
    return lpr + Decimal(spread_bp) / BP
