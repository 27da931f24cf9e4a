"""The demo's financing side: a park with enterprise A as a member, an insurer and a guarantor,
the banks' loan products (bank A's in two versions), the IP office's policies, credit profiles, a
demand answered by both banks and an overdue one, a loan in each stage and a subsidy claim — all
written through the services (each with its audit trail), in an order of dates that holds."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from ipfin.accounts.models import Notification, Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.demo.loader import DEMO_PASSWORD, ENTERPRISES
from ipfin.financing.models import Demand, Policy, Product, ProductKind
from ipfin.financing.selectors import ledger_list, lpr_rate
from ipfin.loans.models import Loan, SubsidyClaim
from ipfin.loans.selectors import other_loans_on_pledge
from ipfin.valuation.models import EnterpriseCreditProfile
from ipfin.valuation.selectors import credit_score_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_output() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_parties_park_insurer_guarantor_sizes_and_profiles(demo_output):
    for username, kind in [
        ("park", OrganisationKind.PARK),
        ("insurer", OrganisationKind.INSURER),
        ("guarantor", OrganisationKind.GUARANTOR),
        ("agency", OrganisationKind.VALUATION_AGENCY),
    ]:
        assert f"  {username} " in demo_output  # in the printed list of logins
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None and user.organisation.kind == kind
    firm_a = User.objects.get(username="enterprise_a").organisation
    assert firm_a.park == User.objects.get(username="park").organisation
    firms = Organisation.objects.filter(
        kind=OrganisationKind.ENTERPRISE, name__in=[name for name, *_ in ENTERPRISES]
    )
    assert firms.count() == len(ENTERPRISES)
    assert all(f.size and f.industry for f in firms)
    # every demo enterprise has its "IP + credit" profile, and the scorecard reads it
    assert EnterpriseCreditProfile.objects.filter(organisation__in=firms).count() == len(firms)
    # (read by the office: a bank reads only its customers' scorecards; bank A, enterprise A's)
    examiner = User.objects.get(username="examiner")
    for firm in firms:
        card = credit_score_get(actor=examiner, uscc=firm.uscc)
        assert 0 <= card["total"] <= 100
    bank_a = User.objects.get(username="bank_a")
    assert credit_score_get(actor=bank_a, uscc=firm_a.uscc)["name"] == firm_a.name


def test_demo_catalogue_and_policies(demo_output):
    kinds = set(Product.objects.values_list("provider__kind", "kind"))
    assert kinds == {
        (OrganisationKind.BANK, ProductKind.LOAN),
        (OrganisationKind.INSURER, ProductKind.INSURANCE),
        (OrganisationKind.GUARANTOR, ProductKind.GUARANTEE),
    }
    loans = Product.objects.filter(kind=ProductKind.LOAN)
    assert set(loans.values_list("provider__users__username", flat=True)) == {"bank_a", "bank_b"}
    bank_a_product = loans.get(provider__users__username="bank_a")
    v2, v1 = bank_a_product.versions.order_by("-version")
    assert (v1.version, v2.version) == (1, 2)
    assert v1.rate_spread_bp != v2.rate_spread_bp
    bank_b_product = loans.get(provider__users__username="bank_b")
    assert bank_b_product.versions.get().accepted_right_kinds != v2.accepted_right_kinds
    subsidy = Policy.objects.get(kind="subsidy")
    assert subsidy.issuer.kind == OrganisationKind.IP_OFFICE
    assert (subsidy.subsidy_share, subsidy.cap_per_enterprise) == (
        Decimal("0.5"),
        Decimal("100000.00"),
    )
    assert subsidy.annual_budget > 0
    assert Policy.objects.filter(kind="risk_compensation", issuer=subsidy.issuer).exists()
    assert Policy.objects.filter(issuer__kind=OrganisationKind.PARK).exists()


def test_demo_demands_answered_and_overdue(demo_output):
    today = timezone.localdate()
    examiner = User.objects.get(username="examiner")
    rows = list(ledger_list(actor=examiner, today=today))
    answered = Demand.objects.get(filed_by_org__kind=OrganisationKind.ENTERPRISE)
    answers = {r.bank.users.get().username: r for r in rows if r.demand_id == answered.pk}
    assert (answers["bank_a"].response, answers["bank_b"].response) == ("interested", "declined")
    assert answers["bank_b"].reason  # a decline gives its reason
    overdue = [r for r in rows if r.overdue]
    assert len(overdue) == 1
    assert overdue[0].demand.filed_by_org.kind == OrganisationKind.PARK  # filed by the park
    assert overdue[0].due_date < today and overdue[0].reminder_count == 1
    for demand in Demand.objects.all():
        assert AuditRecord.objects.filter(action="demand.push", object_id=str(demand.pk)).exists()


def test_demo_loans_in_each_stage_and_the_subsidy_claim(demo_output):
    today = timezone.localdate()
    assert set(Loan.objects.values_list("state", flat=True)) == {"approved", "repaying", "closed"}
    for loan in Loan.objects.exclude(state="applied"):
        # the history holds: registered, then valued, then approved; LPR + spread as published
        assert loan.pledge.effective_date <= loan.valuation.valuation_date <= loan.approved_on
        version = loan.product_version
        assert loan.lpr_rate == lpr_rate(tenor=version.lpr_tenor, on=loan.approved_on)
        assert loan.annual_rate == loan.lpr_rate + Decimal(version.rate_spread_bp) / 10_000
        assert loan.pledge_rate == (loan.principal / loan.valuation_value).quantize(
            Decimal("0.000001")
        )
        assert AuditRecord.objects.filter(action="loan.approve", object_id=str(loan.pk)).exists()

    # Approved, from the answered demand, on version 2 of bank A's product.
    approved = Loan.objects.get(state="approved")
    assert approved.demand is not None and approved.product_version.version == 2
    assert approved.demand.responses.get(bank=approved.bank).response == "interested"

    # Disbursed on version 1, one instalment paid late (penalty), one overdue now: 关注.
    repaying = Loan.objects.get(state="repaying")
    assert repaying.product_version.version == 1
    assert repaying.disbursed_on < today
    assert repaying.repayments.filter(penalty_part__gt=0).count() == 1
    assert 0 < repaying.days_past_due <= 90
    assert repaying.get_classification_display() == "关注"

    # Closed: settled early, the pledgee asked to release the registration, still registered.
    closed = Loan.objects.get(state="closed")
    assert closed.repayments.filter(full_repayment=True).count() == 1
    assert closed.pledge.state == "registered" and other_loans_on_pledge(closed) == []
    ask = Notification.objects.get(verb="loan.release_request")
    assert (ask.organisation_id, ask.object_id) == (closed.bank_id, str(closed.pledge_id))

    # Enterprise A's claim: the interest it paid in the policy's year, from the repayments.
    claim = SubsidyClaim.objects.get(basis="interest")
    assert claim.state == "submitted" and claim.enterprise == repaying.enterprise
    paid = repaying.repayments.filter(paid_on__year=claim.year).aggregate(s=Sum("interest_part"))
    assert claim.interest_paid == paid["s"].quantize(Decimal("0.01")) > 0
    assert list(claim.loans.all()) == [repaying]
    # And the park's guarantee-fee subsidy (贴费): the fee charged when the loan was disbursed.
    fees = SubsidyClaim.objects.get(basis="fees")
    guarantee = repaying.guarantees.get()
    assert fees.enterprise == repaying.enterprise and fees.policy.kind == "fee_subsidy"
    assert fees.fees_paid == guarantee.fee > 0
    assert [f["ref"] for f in fees.fees] == [f"guarantee:{guarantee.pk}"]
    # The approval recorded the guarantee it rests on (issued on the application).
    assert [s["ref"] for s in repaying.securities] == [f"guarantee:{guarantee.pk}"]


def test_demo_second_run_adds_no_financing(demo_output):
    counts = (Loan.objects.count(), Demand.objects.count(), Product.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert counts == (Loan.objects.count(), Demand.objects.count(), Product.objects.count())


def test_demo_financing_pages_render_for_every_login(demo_output, client):
    from ipfin.financing.selectors import demand_list
    from ipfin.loans.selectors import loan_list

    lists = ["/financing/products/", "/financing/policies/", "/loans/subsidies/", "/"]
    for username in ("bank_a", "bank_b", "enterprise_a", "park", "examiner", "regulator"):
        user = User.objects.get(username=username)
        client.force_login(user)
        pages = [*lists, "/loans/", "/financing/demands/", "/financing/ledger/"]
        pages += [f"/loans/{pk}/" for pk in loan_list(actor=user).values_list("pk", flat=True)]
        pages += [
            f"/financing/demands/{pk}/"
            for pk in demand_list(actor=user).values_list("pk", flat=True)
        ]
        assert len(pages) > 7 or username == "bank_b"  # bank B: its own closed loan at least
        for page in pages:
            assert client.get(page).status_code == 200, (username, page)
    # what the bank sees on its closed loan: the prompt to release the registration
    client.force_login(User.objects.get(username="bank_b"))
    closed = Loan.objects.get(state="closed")
    page = client.get(f"/loans/{closed.pk}/").content.decode()
    assert 'data-testid="release-prompt"' in page and closed.pledge.registration_no in page
