"""Scenario 5: the catalogue. Credit profiles of the six enterprises; an insurer's and a
guarantor's product; the banks' loan products (LPR + spread; bank A's published twice, its second
version lowering the spread); the IP office's interest subsidy and risk-compensation policies and
a park policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ipfin.accounts.models import Organisation, User
from ipfin.common.versioning import UNSAVED
from ipfin.demo.scenarios.base import History
from ipfin.demo.scenarios.parties import Cast, enterprise_login
from ipfin.financing import services as financing
from ipfin.financing.models import Policy, ProductVersion
from ipfin.valuation.services.profiles import credit_profile_update

BANK_A_LOAN = {
    "description": "以发明专利、实用新型和注册商标质押，可组合质押；按1年期LPR加点定价。",
    "amount_min": "100000",
    "amount_max": "5000000",
    "term_min_months": 3,
    "term_max_months": 36,
    "lpr_tenor": "1y",
    "rate_spread_bp": 50,
    "accepted_right_kinds": ["invention", "utility_model", "trademark"],
    "package_allowed": True,
    "max_pledge_rate": "0.5",
    "repayment_methods": ["annuity", "equal_principal", "interest_only"],
}
# Version 2: a lower spread and a higher pledge rate; 先息后本 no longer offered.
BANK_A_LOAN_V2 = {
    **BANK_A_LOAN,
    "rate_spread_bp": 45,
    "max_pledge_rate": "0.6",
    "repayment_methods": ["annuity", "equal_principal"],
}
BANK_B_LOAN = {
    "description": "面向科技型中小企业，仅接受专利质押；按5年期以上LPR加点定价。",
    "amount_min": "100000",
    "amount_max": "3000000",
    "term_min_months": 6,
    "term_max_months": 60,
    "lpr_tenor": "5y",
    "rate_spread_bp": 30,
    "accepted_right_kinds": ["invention", "utility_model"],
    "package_allowed": True,
    "max_pledge_rate": "0.4",
    "repayment_methods": ["equal_principal", "annuity"],
}
ENTERPRISE_PROFILES: dict[str, dict[str, Any]] = {
    "北京智芯微电子科技有限公司": {
        "rd_expense_ratio": "0.18",
        "high_tech": True,
        "specialised_sme": True,
        "established_on": "2016-03-18",
        "credit_rating": "A",
        "revenue": "42000000",
        "revenue_growth": "0.22",
        "debt_ratio": "0.46",
        "tax_credit_grade": "A",
    },
    "苏州纳米新材料股份有限公司": {
        "rd_expense_ratio": "0.09",
        "high_tech": True,
        "established_on": "2012-07-02",
        "credit_rating": "AA",
        "revenue": "186000000",
        "revenue_growth": "0.08",
        "debt_ratio": "0.52",
        "tax_credit_grade": "A",
    },
    "杭州云图软件有限公司": {
        "rd_expense_ratio": "0.25",
        "high_tech": True,
        "established_on": "2019-11-11",
        "credit_rating": "BBB",
        "revenue": "15000000",
        "revenue_growth": "0.35",
        "debt_ratio": "0.38",
        "tax_credit_grade": "B",
    },
    "深圳创维光电技术有限公司": {
        "rd_expense_ratio": "0.06",
        "established_on": "2010-05-20",
        "credit_rating": "BB",
        "overdue_count_24m": 2,
        "revenue": "98000000",
        "revenue_growth": "-0.05",
        "debt_ratio": "0.71",
        "tax_credit_grade": "M",
    },
    "武汉华中生物医药有限公司": {
        "rd_expense_ratio": "0.40",
        "specialised_sme": True,
        "established_on": "2021-04-08",
        "revenue": "3000000",
        "revenue_growth": "0.60",
        "debt_ratio": "0.30",
    },
    "成都天府无人机科技有限公司": {
        "rd_expense_ratio": "0.15",
        "high_tech": True,
        "established_on": "2018-09-01",
        "credit_rating": "A",
        "revenue": "27000000",
        "revenue_growth": "0.18",
        "debt_ratio": "0.44",
        "tax_credit_grade": "B",
    },
}


@dataclass(frozen=True)
class Catalogue:
    bank_a_loan: ProductVersion  # version 1 (bank A publishes version 2 after its first loan)
    bank_b_loan: ProductVersion
    subsidy: Policy  # the interest subsidy for the year of bank A's late instalment
    subsidy_year: int
    fee_subsidy: Policy  # the park's guarantee-fee subsidy (贴费) for the year of bank A's loan


def _profile_keeper(org: Organisation) -> User:
    """Who records `org`'s credit profile: a bank it has pledged rights to (only such a bank may),
    else the enterprise's own login."""
    bank_user = (
        User.objects.filter(organisation__pledges_as_pledgee__pledgor=org).order_by("pk").first()
    )
    return bank_user or enterprise_login(org)


def record_profiles(cast: Cast, today: date) -> None:
    """Enterprise A keeps its own profile; for the others a bank they have pledged rights to
    records it, or, with no bank yet, the enterprise's own login."""
    firms = {org.name: org for org in cast.firms}
    for name, facts in ENTERPRISE_PROFILES.items():
        org = firms[name]
        actor = cast.enterprise_a if org == cast.firms[0] else _profile_keeper(org)
        # The demo loads once, into an empty database: each profile is new (version 0).
        credit_profile_update(
            actor=actor, uscc=org.uscc or "", version=UNSAVED, today=today, **facts
        )


def publish_catalogue(cast: Cast, history: History) -> Catalogue:
    financing.product_publish(
        actor=cast.insurer,
        code="IPI-01",
        kind="insurance",
        name="知识产权质押融资保证保险",
        terms={
            "description": "为知识产权质押贷款提供保证保险，保险公司承担约定比例的贷款损失。",
            "insurance_kind": "pledge_guarantee",
            "amount_max": "5000000",
            "term_max_months": 36,
            "premium_rate": "0.015",
            "coverage_ratio": "0.7",
            "coverage_max": "3500000",
        },
    )
    financing.product_publish(
        actor=cast.guarantor,
        code="KJD-01",
        kind="guarantee",
        name="科技担保·知识产权反担保",
        terms={
            "description": "融资担保公司为企业贷款提供连带责任保证，企业以知识产权提供反担保。",
            "amount_max": "10000000",
            "term_max_months": 36,
            "premium_rate": "0.01",
            "coverage_ratio": "0.8",
            "coverage_max": "8000000",
        },
    )
    a_v1 = financing.product_publish(
        actor=cast.bank_a, code="ZC-IPL", kind="loan", name="知识产权质押贷", terms=BANK_A_LOAN
    )
    b_loan = financing.product_publish(
        actor=cast.bank_b, code="KC-IPL", kind="loan", name="科创知识产权贷", terms=BANK_B_LOAN
    )

    subsidy, year, fee_subsidy = _publish_policies(cast, history)
    return Catalogue(
        bank_a_loan=a_v1,
        bank_b_loan=b_loan,
        subsidy=subsidy,
        subsidy_year=year,
        fee_subsidy=fee_subsidy,
    )


def _publish_policies(cast: Cast, history: History) -> tuple[Policy, int, Policy]:
    # Policies: the IP office's interest subsidy for the year the demo's interest was paid in (the
    # late third instalment of bank A's loan), its risk-compensation pool, and a park policy.
    subsidy_year = history.loan_a_late_payment.year
    subsidy = financing.policy_publish(
        actor=cast.examiner,
        kind="subsidy",
        title=f"示范市{subsidy_year}年度知识产权质押贷款贴息",
        summary="对以知识产权质押方式获得的贷款，按当年实际支付利息的50%给予贴息，"
        "每家企业每年最高10万元；预算用完时按比例核减。",
        conditions={"ip_pledge_loan": True, "sizes": ["micro", "small", "medium"]},
        subsidy_share="0.5",
        cap_per_enterprise="100000.00",
        annual_budget="3000000.00",
        year=subsidy_year,
    )
    financing.policy_publish(
        actor=cast.examiner,
        kind="risk_compensation",
        title="示范市知识产权质押融资风险补偿资金池",
        summary="合作银行的知识产权质押贷款形成不良的，风险补偿资金池按本金损失的40%给予补偿，"
        "单笔最高200万元。",
        conditions={"ip_pledge_loan": True, "banks": "合作银行"},
    )
    # 贴费: the park pays half the guarantee fees its firms paid in the year bank A's loan was
    # disbursed (its guarantee's fee was charged then), at most 20,000.00 a firm.
    fee_year = history.loan_a_disbursed.year
    fee_subsidy = financing.policy_publish(
        actor=cast.park,
        kind="fee_subsidy",
        title=f"园区企业{fee_year}年度融资担保费补贴",
        summary="园区企业以知识产权质押方式获得贷款并由合作担保机构提供担保的，按当年实际支付"
        "担保费的50%给予补贴，每家企业每年最高2万元；预算用完时按比例核减。",
        conditions={"fees": ["guarantee_fee"]},
        subsidy_share="0.5",
        cap_per_enterprise="20000.00",
        annual_budget="500000.00",
        year=fee_year,
    )

    return subsidy, subsidy_year, fee_subsidy
