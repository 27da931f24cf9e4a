"""Scenario 6: lending. Each bank values its registered pledge the day after registration (the
valuation its loan is approved on); bank A's loan to enterprise A is disbursed with instalments 1
and 2 paid on their days, 3 paid 9 days late (penalty interest) and 4 unpaid (关注); bank B's loan
to enterprise B is settled early and closed, its pledge waiting for release; enterprise A's demand
is answered by both banks and a loan from it approved; the park's demand is overdue and reminded;
enterprise A claims the interest subsidy and the park's guarantee-fee subsidy (贴费)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.services import supervision_case_open
from ipfin.demo.scenarios.base import History, demo_right
from ipfin.demo.scenarios.catalogue import BANK_A_LOAN_V2, Catalogue
from ipfin.demo.scenarios.parties import Cast
from ipfin.financing import services as financing
from ipfin.financing.models import ProductVersion
from ipfin.guarantees import services as guarantees
from ipfin.insurance import services as insurance
from ipfin.loans import selectors as loan_selectors
from ipfin.loans import services as loans
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.registry.domain import add_months
from ipfin.registry.models import Right
from ipfin.securitisation import services as securitisation
from ipfin.valuation import services as valuations
from ipfin.valuation.models import Valuation


@dataclass(frozen=True)
class Collateral:
    """A registered pledge and the bank's own valuation a loan on it is approved on."""

    pledge: Pledge
    valuation: Valuation


def _pay_due(loan: Loan, bank: User, on: date, today: date) -> None:
    """The bank records the enterprise paying what is due on `on` (penalties included)."""
    loan.refresh_from_db()
    position = loan_selectors.loan_position(loan, on)
    assert position is not None and position.amount_due > 0
    loans.loan_repay(actor=bank, loan=loan, amount=position.amount_due, paid_on=on, today=today)


def _cost_valuation(bank: User, rights: list[Right], cost: str, on: date) -> Valuation:
    """The bank's own cost-approach valuation on `on` (profit 10 %, 2 of 10 years used)."""
    valuation = valuations.valuation_create(
        actor=bank,
        rights=[r.number for r in rights],
        method="cost",
        inputs={"cost": cost, "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
        valuation_date=on,
    )
    return valuations.valuation_issue(actor=bank, valuation=valuation)


def _collateral(bank: User, pledgor: Organisation, valuation: Valuation) -> Collateral:
    pledge = Pledge.objects.get(
        state="registered", pledgee_id=bank.organisation_id, pledgor=pledgor
    )
    return Collateral(pledge, valuation)


def lend(cast: Cast, catalogue: Catalogue, history: History) -> None:
    firm_a, firm_b = cast.firms[0], cast.firms[1]
    chip = demo_right("一种低功耗存算一体芯片及其制备方法")
    bus = demo_right("片上网络路由仲裁方法")
    graphene = demo_right("高导热石墨烯复合膜及其制备方法")
    # 3,500,000 × 1.1 × 8/10 = 3,080,000.00
    a = _collateral(
        cast.bank_a, firm_a, _cost_valuation(cast.bank_a, [chip, bus], "3500000", history.valued)
    )
    # 1,500,000 × 1.1 × 8/10 = 1,320,000.00
    b = _collateral(
        cast.bank_b, firm_b, _cost_valuation(cast.bank_b, [graphene], "1500000", history.valued)
    )
    _bank_a_loan(cast, catalogue.bank_a_loan, a, history)
    # Bank A lowers its spread: version 2. Loan 1 keeps the terms of version 1.
    a_v2 = financing.product_publish(
        actor=cast.bank_a, code="ZC-IPL", kind="loan", name="知识产权质押贷", terms=BANK_A_LOAN_V2
    )
    _bank_b_loan(cast, catalogue.bank_b_loan, b, history)
    _demands(cast, a_v2, a, [demo_right("存算一体芯片的编译优化方法")], history.today)
    loans.subsidy_claim_submit(
        actor=cast.enterprise_a,
        policy_id=catalogue.subsidy.pk,
        year=catalogue.subsidy_year,
        today=history.today,
    )
    # 贴费: enterprise A claims the park's subsidy of the guarantee fee it paid on its loan.
    loans.subsidy_claim_submit(
        actor=cast.enterprise_a,
        policy_id=catalogue.fee_subsidy.pk,
        year=history.loan_a_disbursed.year,
        today=history.today,
    )
    # Securitisation: bank A arranges a programme of several banks' IP-pledge loans and invites
    # bank B, whose answer is pending.
    bank_b_org = cast.bank_b.organisation
    assert bank_b_org is not None
    securitisation.programme_create(
        actor=cast.bank_a,
        name="示范市知识产权质押贷款资产支持专项计划（第一期）",
        bank_ids=[bank_b_org.pk],
    )
    # The regulator reads single records only under a case: one open on bank A, so that the
    # demo's regulator sees what a supervised bank's loans look like (and its reads audited).
    bank_a_org = cast.bank_a.organisation
    assert bank_a_org is not None and bank_a_org.uscc is not None
    supervision_case_open(
        actor=cast.regulator, subject_uscc=bank_a_org.uscc, reason="知识产权质押融资业务专项检查"
    )


def _approved(
    bank: User, loan: Loan, principal: str, months: int, on: Collateral, today: date
) -> Loan:
    return loans.loan_approve(
        actor=bank,
        loan=loan,
        principal=principal,
        months=months,
        pledge_id=on.pledge.pk,
        valuation_id=on.valuation.pk,
        today=today,
    )


def _bank_a_loan(cast: Cast, product: ProductVersion, on: Collateral, history: History) -> None:
    """Enterprise A's application on version 1, disbursed four months ago: instalments 1 and 2
    paid on their days, 3 paid 9 days late (penalty interest), 4 unpaid → 关注."""
    d0, today = history.loan_a_disbursed, history.today
    loan = loans.loan_apply(
        actor=cast.enterprise_a,
        enterprise_uscc=cast.firms[0].uscc or "",
        product_version_id=product.pk,
        amount="1000000",
        months=12,
        method="annuity",
        purpose="流片及量产备货",
    )
    # 质押+担保: on the application, the guarantor covers half the loss up to 400,000.00 for
    # 1.5 % a year; the approval records the guarantee it rests on, and the fee (15,000.00) is
    # charged when the loan is disbursed.
    asked = guarantees.guarantee_request(
        actor=cast.bank_a,
        loan_id=loan.pk,
        guarantor_id=cast.guarantor.organisation_id,
        share="0.5",
        cap="400000.00",
        fee_rate="0.015",
    )
    guarantees.guarantee_decide(actor=cast.guarantor, guarantee=asked, decision="issue")
    _approved(cast.bank_a, loan, "1000000", 12, on, d0)
    loans.loan_disburse(actor=cast.bank_a, loan=loan, today=d0)
    # 质押融资保证保险 on the same loan: 30 % of the bank's loss, up to 300,000.00, at 1 %.
    policy = insurance.policy_issue(
        actor=cast.insurer,
        data={
            "kind": "pledge_guarantee",
            "loan_id": loan.pk,
            "policyholder_id": loan.enterprise_id,
            "beneficiary_id": loan.bank_id,
            "loss_share": "0.3",
            "sum_insured": "300000.00",
            "rate": "0.01",
            "starts_on": d0,
            "ends_on": add_months(d0, 12),
        },
    )
    # The bank accepts it: from then on it shares the loan's loss.
    insurance.policy_accept(actor=cast.bank_a, policy_id=policy.pk)
    for n in (1, 2):
        _pay_due(loan, cast.bank_a, add_months(d0, n), today)
    _pay_due(loan, cast.bank_a, history.loan_a_late_payment, today)
    # The fourth instalment is unpaid: the bank gives the insurer notice (报案), as the policy
    # asks it to once the borrower is overdue.
    insurance.claim_notify(
        actor=cast.bank_a,
        policy_id=policy.pk,
        amount="300000.00",
        description="借款人第 4 期还款逾期，依保单约定报案，待质物处置后核定损失。",
        today=today,
    )


def _bank_b_loan(cast: Cast, product: ProductVersion, on: Collateral, history: History) -> None:
    """Bank B's loan to enterprise B (recorded by the bank): two instalments paid, settled early
    last week, closed today; the registration is no longer needed: the release prompt."""
    d0, today = history.loan_b_disbursed, history.today
    loan = loans.loan_apply(
        actor=cast.bank_b,
        enterprise_uscc=cast.firms[1].uscc or "",
        product_version_id=product.pk,
        amount="500000",
        months=6,
        method="equal_principal",
        purpose="石墨烯导热膜产线技改",
    )
    _approved(cast.bank_b, loan, "500000", 6, on, d0)
    loans.loan_disburse(actor=cast.bank_b, loan=loan, today=d0)
    for n in (1, 2):
        _pay_due(loan, cast.bank_b, add_months(d0, n), today)
    settle_on = today - timedelta(days=6)
    loan.refresh_from_db()
    position = loan_selectors.loan_position(loan, settle_on)
    assert position is not None
    loans.loan_repay(
        actor=cast.bank_b,
        loan=loan,
        amount=position.amount_to_settle,
        paid_on=settle_on,
        today=today,
    )
    loans.loan_close(actor=cast.bank_b, loan=loan, today=today)


def _demands(
    cast: Cast, product: ProductVersion, on: Collateral, rights: list[Right], today: date
) -> None:
    """Enterprise A's demand for 1,200,000 over its compiler patent, free of any pledge (its chip
    patents, pledged to bank A, may not be offered: matching leaves a pledged right out), pushed
    to both banks (not yet valued: the pledge rate is checked when a valuation is issued): bank
    A is interested and lends under its registered pledge of the chip patents, bank B declines;
    the loan from it is approved for 1,000,000.00 (the registration's value is shared with loan 1).
    The park's demand for enterprise A over its "芯途" trademark, pushed two weeks ago: bank A (the
    only product taking trademarks) has not answered by the deadline; reminded today."""
    firm_a = cast.firms[0]
    demand = financing.demand_file(
        actor=cast.enterprise_a,
        enterprise_uscc=firm_a.uscc or "",
        amount="1200000",
        term_months=12,
        purpose="新一代存算一体芯片研发及设备采购",
        rights=[r.number for r in rights],
        today=today,
    )
    assert cast.bank_a.organisation_id is not None and cast.bank_b.organisation_id is not None
    rows = {
        row.bank_id: row
        for row in financing.demand_push(actor=cast.enterprise_a, demand=demand, today=today)
    }
    financing.demand_respond(
        actor=cast.bank_a,
        response_id=rows[cast.bank_a.organisation_id].pk,
        response="interested",
        reason="可在本行已登记的最高额质押项下追加授信，请提交近两年财务报表。",
    )
    financing.demand_respond(
        actor=cast.bank_b,
        response_id=rows[cast.bank_b.organisation_id].pk,
        response="declined",
        reason="企业主要专利已在他行质押，本行暂不受理。",
    )
    loan = loans.loan_apply(
        actor=cast.enterprise_a,
        enterprise_uscc=firm_a.uscc or "",
        product_version_id=product.pk,
        amount="1200000",
        months=12,
        method="annuity",
        demand_id=demand.pk,
    )
    # 1,000,000.00 of the 1,200,000 asked: with what loan 1 still owes on the same registration
    # the two stay within version 2's 60 % of the chip patents' 3,080,000.00 (1,848,000.00).
    _approved(cast.bank_a, loan, "1000000", 12, on, today)
    overdue = financing.demand_file(
        actor=cast.park,
        enterprise_uscc=firm_a.uscc or "",
        amount="800000",
        term_months=6,
        purpose="园区代报：补充流动资金",
        rights=[Right.objects.get(source="demo", mark_text="芯途").number],
        today=today,
    )
    financing.demand_push(actor=cast.park, demand=overdue, today=today - timedelta(days=14))
    financing.ledger_remind(today=today)
