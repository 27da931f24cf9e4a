"""The product vocabulary financing shares with loans: how a loan is repaid and how its interest
counts days. Pure (no Django). The rules that use them (schedules, interest, penalties) are the
loans app's (`ipfin.loans.domain.schedules`)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["METHOD_ZH", "DayCount", "RepaymentMethod"]


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
