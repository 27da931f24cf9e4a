"""A listing of a bank on the trading board, built through the real services on any data set
(the tenancy sweep's demo has none): a new patent of an enterprise that already pledges to the
bank, pledged to it, a loan over it disbursed today and classified 次级 by the bank's own
assessment, listed today on the bank's valuation of the right."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.disposals.models import Disposal
from ipfin.disposals.selectors import opens_at
from ipfin.disposals.services import disposal_create
from ipfin.loans.services import (
    loan_apply,
    loan_approve,
    loan_classify_manual,
    loan_disburse,
)
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import file_pledge
from ipfin.pledges.services import pledge_decide
from ipfin.registry.tests.factories import make_patent
from ipfin.valuation.services.valuations import valuation_create, valuation_issue


def bank_a_listing(*, bank: User, examiner: User) -> Disposal:
    """`bank`'s listing of its pledge of a defaulted loan to one of its pledgors (an enterprise
    with a registered pledge to it)."""
    today = timezone.localdate()
    firm = Organisation.objects.filter(
        kind=OrganisationKind.ENTERPRISE,
        pk__in=Pledge.objects.filter(pledgee_id=bank.organisation_id).values("pledgor"),
    ).order_by("pk")[0]
    right = make_patent(examiner=examiner, owner=firm, title="一种处置挂牌测试装置")
    application = file_pledge(
        filer=bank,
        pledgor=firm,
        rights=[right],
        contract=True,
        debt_amount="500000.00",
        term_start=today,
        term_end=today + timedelta(days=730),
        contract_no=f"ZY-DISPOSAL-{right.pk}",
    )
    pledge = pledge_decide(actor=examiner, pledge=application, decision="approve")
    valuation = valuation_issue(
        actor=bank,
        valuation=valuation_create(
            actor=bank,
            rights=[right.number],
            method="cost",
            inputs={"cost": "1000000", "profit_rate": "0.1", "used_years": "2",
                    "remaining_years": "8"},
        ),
    )  # fmt: skip
    loan = loan_apply(
        actor=bank,
        enterprise_uscc=firm.uscc or "",
        product_version_id=None,
        amount="300000",
        months=12,
        method="equal_principal",
    )
    loan = loan_approve(
        actor=bank,
        loan=loan,
        principal="300000",
        months=12,
        pledge_id=pledge.pk,
        valuation_id=valuation.pk,
        annual_rate="0.05",
    )
    loan = loan_disburse(actor=bank, loan=loan)
    loan_classify_manual(actor=bank, loan=loan, category="substandard", reason="经营困难，停产")
    return disposal_create(
        actor=bank,
        pledge_id=pledge.pk,
        method="auction",
        reserve_price="616000.00",
        increment="10000.00",
        listed_on=today,
        closes_at=opens_at(today) + timedelta(days=2),
        valuation_id=valuation.pk,
    )
