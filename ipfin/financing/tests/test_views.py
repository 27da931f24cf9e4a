"""The financing pages: they render for every role (and anonymously where public), the forms work
end to end (publish, file, push, answer), another tenant's demand is a 404, overdue rows are
highlighted, and the list pages' query counts are pinned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.services import supervision_case_open
from ipfin.financing.models import Demand, DemandResponse, Policy, Product, ProductVersion
from ipfin.financing.services import demand_push
from ipfin.registry.models import Right

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def users(
    enterprise_a_user: User,
    park_user: User,
    bank_a_user: User,
    office_user: User,
    regulator_user: User,
    insurer_user: User,
) -> list[User]:
    return [enterprise_a_user, park_user, bank_a_user, office_user, regulator_user, insurer_user]


def test_public_pages_render_for_everyone(
    users: list[User], bank_a_loan: ProductVersion, bank_b_loan: ProductVersion
) -> None:
    a, b = bank_a_loan.product_id, bank_b_loan.product_id
    for user in [None, *users]:
        client = client_for(user)
        page = client.get("/financing/products/")
        assert page.status_code == 200
        assert f'data-product-id="{a}"' in page.content.decode()
        assert client.get(f"/financing/products/{a}/").status_code == 200
        compare = client.get(f"/financing/products/compare/?ids={a}&ids={b}")
        assert compare.status_code == 200 and 'data-row="rate"' in compare.content.decode()
        assert client.get("/financing/policies/").status_code == 200
    assert client_for(None).get(f"/financing/products/compare/?ids={a}").status_code == 422
    assert client_for(None).get("/financing/products/999999/").status_code == 404


def test_catalogue_filters_and_query_count(
    bank_a_loan: ProductVersion,
    bank_b_user: User,
    publish: Callable[..., ProductVersion],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    client = client_for(None)
    url = "/financing/products/?amount=1000000&kind=loan"
    listed = "/financing/products/"
    sizes = []
    for start, stop in ((0, 2), (2, 10)):  # 3 products, then 11: the same queries
        for i in range(start, stop):
            publish(bank_b_user, f"B-{i}", amount_min="3000000")
        sizes.append(
            (count_queries(partial(client.get, url)), count_queries(partial(client.get, listed)))
        )
    assert sizes[0] == sizes[1] and max(sizes[1]) <= 8
    page = client.get(url).content.decode()
    assert f'data-product-id="{bank_a_loan.product_id}"' in page
    assert page.count("data-product-id=") == 1
    assert client.get(listed).content.decode().count("data-product-id=") == 11
    assert client.get("/financing/products/?amount=-3").status_code == 400


def test_bank_publishes_through_the_form(bank_a_user: User) -> None:
    client = client_for(bank_a_user)
    assert client.get("/financing/products/new/").status_code == 200
    form = {
        "code": "WEB-1",
        "kind": "loan",
        "name": "网页发布",
        "amount_max": "3000000",
        "term_min_months": "6",
        "term_max_months": "24",
        "lpr_tenor": "1y",
        "rate_spread_bp": "60",
        "max_pledge_rate": "0.4",
        "accepted_right_kinds": ["invention", "trademark"],
        "package_allowed": "on",
        "repayment_methods": ["annuity"],
        "regions": "江苏省，浙江省",
    }
    response = client.post("/financing/products/new/", form)
    assert response.status_code == 302
    version = ProductVersion.objects.get()
    assert version.regions == ["江苏省", "浙江省"] and version.rate_spread_bp == 60
    page = client.get(f"/financing/products/{version.product_id}/?x=1").content.decode()
    assert "1年期LPR + 60bp" in page and 'data-testid="product-withdraw"' in page
    prefilled = client.get(f"/financing/products/new/?from={version.product_id}").content.decode()
    assert 'value="WEB-1"' in prefilled
    response = client.post("/financing/products/new/", {**form, "rate_spread_bp": "70"})
    assert response.status_code == 302
    assert sorted(ProductVersion.objects.values_list("version", "rate_spread_bp")) == [
        (1, 60),
        (2, 70),
    ]
    # A rule the service enforces comes back as a message with its status; nothing stored.
    response = client.post("/financing/products/new/", {**form, "code": "WEB-2", "lpr_tenor": ""})
    assert response.status_code == 422 and Product.objects.count() == 1
    page = response.content.decode()
    assert 'data-testid="action-error"' in page and 'value="WEB-2"' in page  # the form kept
    client.post(f"/financing/products/{version.product_id}/withdraw/")
    assert not Product.objects.get().is_active


def test_publishing_pages_refuse_others(enterprise_a_user: User, bank_a_user: User) -> None:
    assert client_for(enterprise_a_user).get("/financing/products/new/").status_code == 403
    assert client_for(bank_a_user).get("/financing/policies/new/").status_code == 403
    assert client_for(None).get("/financing/products/new/").status_code == 302  # to the login


def test_office_publishes_a_policy(office_user: User) -> None:
    client = client_for(office_user)
    assert client.get("/financing/policies/new/").status_code == 200
    response = client.post(
        "/financing/policies/new/",
        {
            "kind": "subsidy",
            "title": "2026年度贴息",
            "subsidy_share": "0.5",
            "cap_per_enterprise": "100000",
            "annual_budget": "5000000",
            "year": "2026",
        },
    )
    assert response.status_code == 302
    assert Policy.objects.get().annual_budget == 5_000_000
    assert "2026年度贴息" in client.get("/financing/policies/").content.decode()


def test_demand_pages_for_each_role(
    users: list[User],
    enterprise_a_user: User,
    bank_a_loan: ProductVersion,
    file_demand: Callable[..., Demand],
) -> None:
    demand = file_demand()
    demand_push(actor=enterprise_a_user, demand=demand)
    regulator = next(user for user in users if user.username == "regulator")
    assert client_for(regulator).get(f"/financing/demands/{demand.pk}/").status_code == 404
    supervision_case_open(
        actor=regulator, subject_uscc=enterprise_a_user.organisation.uscc, reason="融资需求专项检查"
    )
    for user in users:
        client = client_for(user)
        assert client.get("/financing/demands/").status_code == 200, user
        assert client.get("/financing/ledger/").status_code == 200, user
        detail = client.get(f"/financing/demands/{demand.pk}/")
        # The insurer sees nothing; the regulator what its case opens (enterprise A's demand).
        expected = 404 if user.username == "insurer" else 200
        assert detail.status_code == expected, user
    anonymous = client_for(None)
    assert anonymous.get("/financing/demands/").status_code == 302
    assert anonymous.get("/financing/ledger/").status_code == 302


def test_enterprise_files_sees_matches_and_pushes(
    enterprise_a_user: User,
    enterprise_a: Organisation,
    right: Right,
    bank_a_loan: ProductVersion,
    insurer_user: User,
    publish: Callable[..., ProductVersion],
    bank_b_user: User,
) -> None:
    publish(insurer_user, "INS", kind="insurance")
    publish(bank_b_user, "SMALL", amount_max="500000")
    client = client_for(enterprise_a_user)
    page = client.get("/financing/demands/new/").content.decode()
    assert right.number in page  # the enterprise's own rights are listed
    response = client.post(
        "/financing/demands/new/",
        {
            "enterprise_uscc": enterprise_a.uscc,
            "amount": "1000000",
            "term_months": "12",
            "purpose": "研发投入",
            "rights": right.number,
        },
    )
    assert response.status_code == 302
    demand = Demand.objects.get()
    page = client.get(f"/financing/demands/{demand.pk}/").content.decode()
    assert f'data-product-id="{bank_a_loan.product_id}" data-rank="1"' in page
    assert 'data-component="enterprise_score"' in page and "中性分" in page
    assert 'data-rule="product_kind_loan"' in page  # why the insurance does not match
    assert 'data-rule="amount_in_range"' in page  # why bank_b's small loan does not
    response = client.post(f"/financing/demands/{demand.pk}/push/", follow=True)
    assert "已推送至 1 家银行" in response.content.decode()
    assert DemandResponse.objects.get().bank_id == bank_a_loan.product.provider_id
    # A second push adds nothing and says so.
    response = client.post(f"/financing/demands/{demand.pk}/push/", follow=True)
    assert DemandResponse.objects.count() == 1
    assert "未新增推送" in response.content.decode()


def test_park_files_for_a_member(park_user: User, enterprise_a: Organisation, right: Right) -> None:
    client = client_for(park_user)
    page = client.get("/financing/demands/new/").content.decode()
    assert enterprise_a.name in page
    response = client.post(
        "/financing/demands/new/",
        {
            "enterprise_uscc": enterprise_a.uscc,
            "amount": "500000",
            "term_months": "6",
            "purpose": "流动资金",
            "rights": right.number,
        },
    )
    assert response.status_code == 302
    assert Demand.objects.get().filed_by_org_id == park_user.organisation_id
    # A refused filing (a right that does not exist) is a message, nothing stored.
    response = client.post(
        "/financing/demands/new/",
        {
            "enterprise_uscc": enterprise_a.uscc,
            "amount": "500000",
            "term_months": "6",
            "purpose": "流动资金",
            "rights": "CN0000",
        },
    )
    assert response.status_code == 422 and Demand.objects.count() == 1


def test_bank_answers_in_the_ledger_and_overdue_is_highlighted(
    enterprise_a_user: User,
    bank_a_user: User,
    bank_b_user: User,
    bank_a_loan: ProductVersion,
    file_demand: Callable[..., Demand],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    demand = file_demand()
    (row,) = demand_push(actor=enterprise_a_user, demand=demand, today=date(2025, 6, 3))
    bank = client_for(bank_a_user)
    one_row = count_queries(partial(bank.get, "/financing/ledger/"))
    for amount in ("200000", "300000", "400000"):
        more = file_demand(amount=amount)
        demand_push(actor=enterprise_a_user, demand=more, today=date(2025, 6, 3))
    assert count_queries(partial(bank.get, "/financing/ledger/")) == one_row <= 12
    page = bank.get("/financing/ledger/").content.decode()
    assert f'data-ledger-id="{row.pk}" data-overdue="1" class="overdue-row"' in page
    assert 'data-testid="respond-form"' in page
    # A decline without a reason is refused: the ledger again, the refusal in place, at 422.
    response = bank.post(
        f"/financing/ledger/{row.pk}/respond/", {"response": "declined", "reason": ""}
    )
    assert DemandResponse.objects.get(pk=row.pk).response == ""
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="action-error"' in page and f'data-ledger-id="{row.pk}"' in page
    # The same refusal from the demand's page shows the demand's page again.
    response = bank.post(
        f"/financing/ledger/{row.pk}/respond/",
        {"response": "declined", "reason": "", "next": f"/financing/demands/{demand.pk}/"},
    )
    assert response.status_code == 422
    assert 'data-testid="demand-state"' in response.content.decode()
    # No answer chosen at all: the form's own mistake, 400.
    response = bank.post(f"/financing/ledger/{row.pk}/respond/", {"response": ""})
    assert response.status_code == 400 and "请选择反馈" in response.content.decode()
    bank.post(
        f"/financing/ledger/{row.pk}/respond/",
        {"response": "interested", "next": f"/financing/demands/{demand.pk}/"},
    )
    assert DemandResponse.objects.get(pk=row.pk).response == "interested"
    page = bank.get("/financing/ledger/").content.decode()
    assert 'data-overdue="0"' in page
    # Another bank: no row, no form, and a 404 when it tries anyway.
    other = client_for(bank_b_user)
    assert "data-ledger-id" not in other.get("/financing/ledger/").content.decode()
    response = other.post(f"/financing/ledger/{row.pk}/respond/", {"response": "declined"})
    assert response.status_code == 404
    assert client_for(bank_b_user).get(f"/financing/demands/{demand.pk}/").status_code == 404


def test_withdraw_from_the_page(
    enterprise_a_user: User, file_demand: Callable[..., Demand]
) -> None:
    demand = file_demand()
    client = client_for(enterprise_a_user)
    assert (
        'data-testid="demand-withdraw"'
        in client.get(f"/financing/demands/{demand.pk}/").content.decode()
    )
    client.post(f"/financing/demands/{demand.pk}/withdraw/")
    assert Demand.objects.get().state == "withdrawn"


def test_nav_links(enterprise_a_user: User, bank_a_user: User) -> None:
    page = client_for(None).get("/financing/products/").content.decode()
    assert 'data-testid="nav-products"' in page and 'data-testid="nav-demands"' not in page
    for user in (enterprise_a_user, bank_a_user):
        page = client_for(user).get("/financing/policies/").content.decode()
        assert 'data-testid="nav-demands"' in page and 'data-testid="nav-ledger"' in page


def test_enterprise_applies_for_a_loan_after_an_interested_answer(
    enterprise_a_user: User,
    bank_a_user: User,
    bank_a_loan: ProductVersion,
    file_demand: Callable[..., Demand],
) -> None:
    from ipfin.financing.services import demand_respond
    from ipfin.loans.models import Loan

    demand = file_demand()
    (row,) = demand_push(actor=enterprise_a_user, demand=demand)
    client = client_for(enterprise_a_user)
    url = f"/financing/demands/{demand.pk}/"
    assert 'data-testid="demand-apply"' not in client.get(url).content.decode()
    apply_url = f"/loans/from-demand/{demand.pk}/"  # the loans app's page, from the demand
    refused = client.post(apply_url, {"row": row.pk})  # not answered yet: refused
    assert not Loan.objects.exists()
    assert refused.status_code == 422 and 'data-testid="action-error"' in refused.content.decode()
    demand_respond(actor=bank_a_user, response_id=row.pk, response="interested")
    page = client.get(url).content.decode()
    assert 'data-testid="demand-apply"' in page and f'action="{apply_url}"' in page
    response = client.post(apply_url, {"row": row.pk})
    loan = Loan.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/loans/{loan.pk}/")
    assert (loan.demand_id, loan.product_version_id) == (demand.pk, bank_a_loan.pk)
    assert loan.requested_amount == demand.amount and loan.requested_months == 12
    assert loan.method == "annuity"  # the product's first repayment method


def test_the_comparison_heads_each_row_and_names_the_parks(
    bank_a_user: User,
    bank_b_user: User,
    park: Organisation,
    publish: Callable[..., ProductVersion],
    bank_a_loan: ProductVersion,
) -> None:
    """Every row of the product comparison is headed by its term, in Chinese and in English, and
    the parks a product is for are named. The rows' headings had come out empty (the labels
    read off a dict with getattr) and the parks as their database ids."""
    import re

    parked = publish(bank_b_user, "B-PARK", park_ids=[park.pk])
    path = f"/financing/products/compare/?ids={bank_a_loan.product_id},{parked.product_id}"
    client = client_for(bank_a_user)
    html = client.get(path).content.decode()
    headings = dict(re.findall(r'<tr data-row="(\w+)"><th scope="row">(.*?)</th>', html))
    assert headings["max_pledge_rate"] == "最高质押率" and headings["park_ids"] == "适用园区"
    assert all(label.strip() for label in headings.values()), headings
    parks = re.search(r'<tr data-row="park_ids">(.*?)</tr>', html, re.S)
    assert parks is not None and park.name in parks.group(1)
    assert f"<td>{park.pk}</td>" not in parks.group(1)
    client.cookies["ipfin_language"] = "en"
    english = client.get(path).content.decode()
    headings = dict(re.findall(r'<tr data-row="(\w+)"><th scope="row">(.*?)</th>', english))
    assert headings["max_pledge_rate"] == "Max pledge rate"
    # An unknown product among those compared: a 404, declared (the ids are a query parameter).
    unknown = client.get(f"/api/v1/products/compare?ids={bank_a_loan.product_id},999999")
    assert unknown.status_code == 404
    document = Client().get("/api/schema").json()
    assert "404" in document["paths"]["/api/v1/products/compare"]["get"]["responses"]
