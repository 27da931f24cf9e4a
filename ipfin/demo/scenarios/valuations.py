"""Scenario 4: valuations. The agency's reports by GB/T 42748-2023's three approaches — an income
approach with a Monte Carlo range issued to bank A and waiting for its recheck, a report far above
what the revenues support that bank A's recheck flags, a cost approach draft — and bank B's own
market-approach valuation from two comparable transactions."""

from __future__ import annotations

from ipfin.demo.scenarios.base import demo_right
from ipfin.demo.scenarios.parties import Cast
from ipfin.valuation import services as valuations

# The agency's two signing appraisers (资产评估法 art. 26: an agency's report is signed by two).
APPRAISERS = ["周明远", "陈书婷"]


def value_rights(cast: Cast) -> None:
    _reports_for_bank_a(cast)
    _draft_and_bank_valuation(cast)


def _reports_for_bank_a(cast: Cast) -> None:
    bank_a_uscc = cast.bank_a.organisation.uscc if cast.bank_a.organisation else None
    # 1. 收益分成法 for bank A's pledged chip patent, with the discount rate built up and a Monte
    #    Carlo range; issued, waiting for bank A's recheck. Life 4.5 years: 5 revenues, the fifth
    #    counting one half.
    chip = valuations.valuation_create(
        actor=cast.agency,
        rights=[demo_right("一种低功耗存算一体芯片及其制备方法").number],
        method="income",
        inputs={
            "revenues": ["3000000", "3400000", "3800000", "4100000", "4300000"],
            "share_rate": "0.12",
            "share_decay": "0.05",
            "tax_rate": "0.15",
            "discount_rate_parts": {
                "risk_free": "0.025",
                "technology": "0.04",
                "market": "0.03",
                "management": "0.015",
                "legal": "0.01",
            },
            "life_years": "4.5",
            "mid_year": True,
            "monte_carlo": {
                "growth": {"low": "0.03", "high": "0.12"},
                "share_rate": {"low": "0.10", "high": "0.14"},
                "discount_rate": {"low": "0.10", "high": "0.14"},
                "life_years": {"low": "4", "high": "6"},
                "draws": 10000,
                "seed": 2026,
            },
        },
        client_bank_uscc=bank_a_uscc,
    )
    valuations.valuation_issue(actor=cast.agency, valuation=chip, appraisers=APPRAISERS)

    # 2. A report far above what the revenues support (a 30 % share of 20 million a year):
    #    bank A's recheck flags it.
    inflated = valuations.valuation_create(
        actor=cast.agency,
        rights=[demo_right("片上网络路由仲裁方法").number],
        method="income",
        inputs={
            "revenues": ["20000000", "22000000", "24000000"],
            "share_rate": "0.30",
            "tax_rate": "0.15",
            "discount_rate": "0.08",
            "life_years": "3",
        },
        client_bank_uscc=bank_a_uscc,
    )
    inflated = valuations.valuation_issue(
        actor=cast.agency, valuation=inflated, appraisers=APPRAISERS
    )
    # Bank A's own figure for the right (its reference value, what its internal model takes).
    valuations.valuation_recheck(
        actor=cast.bank_a,
        valuation=inflated,
        reference_values={demo_right("片上网络路由仲裁方法").number: "3000000"},
    )


def _draft_and_bank_valuation(cast: Cast) -> None:
    # 3. 成本法 of a utility model (a draft of the agency's).
    valuations.valuation_create(
        actor=cast.agency,
        rights=[demo_right("一种芯片封装散热结构").number],
        method="cost",
        inputs={
            "cost": "600000",
            "price_index": "1.05",
            "profit_rate": "0.15",
            "used_years": "2",
            "remaining_years": "6",
            "obsolescence": "0.10",
        },
    )

    # 4. 市场法 by bank B itself, from two comparable transactions, issued.
    market = valuations.valuation_create(
        actor=cast.bank_b,
        rights=[demo_right("高导热石墨烯复合膜及其制备方法").number],
        method="market",
        inputs={
            "comparables": [
                {
                    "price": "1200000",
                    "technical": "1.05",
                    "economic": "0.9",
                    "remaining_life_ratio": "0.85",
                    "time": "1.02",
                    "weight": "2",
                    "label": "同领域导热膜专利转让",
                },
                {
                    "price": "900000",
                    "technical": "1.1",
                    "economic": "1.0",
                    "remaining_life_ratio": "0.9",
                    "time": "1.0",
                    "weight": "1",
                    "label": "同类专利普通许可",
                },
            ]
        },
    )
    valuations.valuation_issue(actor=cast.bank_b, valuation=market)
