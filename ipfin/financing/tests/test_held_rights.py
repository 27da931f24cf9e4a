"""Matching does not offer a right that cannot be pledged (issue 13): one held by a registered
pledge or a pending application — whoever the pledgor, a co-owner's pledge too — is left out of
the match (its kind, its valuation), named in the facts, and a demand with nothing else left has
no eligible product (专利权质押登记办法 art. 12: a right already pledged is not registered again).
Set-based: one EXISTS subquery, the same number of queries for one right or several."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import owner
from ipfin.accounts.models import Organisation, User
from ipfin.common.errors import ValidationFailed
from ipfin.financing.domain.matching import DemandFacts, ProductTerms, Rule, check_rules
from ipfin.financing.models import Demand, ProductVersion
from ipfin.financing.selectors import demand_matches
from ipfin.financing.services import demand_push
from ipfin.pledges.services import pledge_release
from ipfin.pledges.tests.factories import approve, file_pledge
from ipfin.registry.models import Right

D = Decimal
FACTS = DemandFacts(amount=D("1000000"), term_months=12, right_kinds=("invention",))
PRODUCT = ProductTerms(product_id=1, version_id=1, provider_id=1, kind="loan", active=True)


def _free_rule(facts: DemandFacts) -> Any:
    (result,) = [r for r in check_rules(facts, PRODUCT) if r.rule is Rule.RIGHTS_FREE]
    return result


# --- the pure rule --------------------------------------------------------------------------------


def test_no_right_held_passes() -> None:
    result = _free_rule(FACTS)
    assert result.passed and "均未质押" in result.message_zh


def test_some_rights_held_are_left_out_and_the_rest_matched_banfa_art12() -> None:
    facts = dataclasses.replace(FACTS, held_rights=("202310000001.5",))
    result = _free_rule(facts)
    assert result.passed
    assert "202310000001.5 已质押或正在办理质押登记，不计入匹配" in result.message_zh
    assert result.message_en.endswith("the other right is matched.")


def test_every_right_held_fails_every_product_banfa_art12() -> None:
    facts = dataclasses.replace(FACTS, right_kinds=(), held_rights=("A", "B"))
    result = _free_rule(facts)
    assert not result.passed and "（A、B）均已质押" in result.message_zh
    assert "Every offered right (A, B)" in result.message_en


# --- through the database -------------------------------------------------------------------------


@pytest.fixture
def two_rights(make_right: Callable[..., Right], enterprise_a: Organisation) -> list[Right]:
    return [make_right(owners=[enterprise_a]), make_right(owners=[enterprise_a])]


def test_a_registered_pledge_takes_its_right_out_of_matching_banfa_art12(
    two_rights: list[Right],
    file_demand: Callable[..., Demand],
    bank_a_user: User,
    bank_a_loan: ProductVersion,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    examiner: User,
    valuation_of: Callable[..., Any],
) -> None:
    free, pledged = two_rights
    valuation_of([free], "1000000")  # 880,000.00
    valuation_of([pledged], "2000000")  # 1,760,000.00, not counted once pledged
    approve(examiner, file_pledge(bank_user=bank_a_user, pledgor=enterprise_a, rights=[pledged]))
    demand = file_demand(rights=[free.number, pledged.number], amount="200000.00")
    report = demand_matches(actor=enterprise_a_user, demand=demand, on=timezone.localdate())
    assert report.facts.held_rights == (pledged.number,)
    assert report.facts.right_kinds == (free.kind,)
    assert report.valuation.value == D("880000.00") and report.valuation.rights_total == 1
    (match,) = report.eligible
    rule = next(r for r in match.rules if r.rule is Rule.RIGHTS_FREE)
    assert rule.passed and pledged.number in rule.message_zh
    # The demand's page names the right left out; the API lists it.
    client = Client()
    client.force_login(enterprise_a_user)
    page = client.get(f"/financing/demands/{demand.pk}/").content.decode()
    assert f'data-testid="right-held" data-number="{pledged.number}"' in page
    assert f'data-number="{free.number}"' not in page
    body = client.get(f"/api/v1/demands/{demand.pk}/matches").json()
    assert body["held_rights"] == [pledged.number]
    # Released, the right is offered again.
    pledge = pledged.pledge_items.get(active=True).pledge
    pledge_release(actor=bank_a_user, pledge=pledge)
    report = demand_matches(actor=enterprise_a_user, demand=demand, on=timezone.localdate())
    assert report.facts.held_rights == () and len(report.facts.right_kinds) == 2


def test_a_pending_application_holds_its_right_too_banfa_art12(
    two_rights: list[Right],
    file_demand: Callable[..., Demand],
    bank_b_user: User,
    bank_a_loan: ProductVersion,
    enterprise_a: Organisation,
    enterprise_a_user: User,
) -> None:
    """Not yet confirmed by the enterprise, nor decided: the right is held all the same."""
    free, applied = two_rights
    file_pledge(bank_user=bank_b_user, pledgor=enterprise_a, rights=[applied], confirm=False)
    demand = file_demand(rights=[free.number, applied.number])
    report = demand_matches(actor=enterprise_a_user, demand=demand, on=timezone.localdate())
    assert report.facts.held_rights == (applied.number,)


def test_a_co_owners_pledge_holds_the_right_for_every_owner_banfa_art12(
    make_right: Callable[..., Right],
    file_demand: Callable[..., Demand],
    bank_b_user: User,
    bank_a_loan: ProductVersion,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    enterprise_a_user: User,
    examiner: User,
) -> None:
    """A right co-owned by enterprises A and B, pledged by B (with A's consent on record): A may
    not offer it; the only right of A's demand, nothing is left to match or to push."""
    shared = make_right(owners=[owner(enterprise_a, "0.6"), owner(enterprise_b, "0.4")])
    demand = file_demand(rights=[shared.number])
    pledge = file_pledge(
        bank_user=bank_b_user, pledgor=enterprise_b, rights=[shared], co_owner_consent=True
    )
    approve(examiner, pledge)
    report = demand_matches(actor=enterprise_a_user, demand=demand, on=timezone.localdate())
    assert report.facts.held_rights == (shared.number,) and report.facts.right_kinds == ()
    assert report.eligible == []
    assert all(
        Rule.RIGHTS_FREE in {r.rule for r in m.failures}
        for m in report.matches
        if m.product.kind == "loan"
    )
    with pytest.raises(ValidationFailed) as err:
        demand_push(actor=enterprise_a_user, demand=demand)
    assert err.value.code == "no_eligible_product"
    # Nor does the demand form list it among A's rights to offer.
    client = Client()
    client.force_login(enterprise_a_user)
    form = client.get("/financing/demands/new/").content.decode()
    assert shared.number not in form


def test_the_held_rights_are_read_set_based(
    make_right: Callable[..., Right],
    file_demand: Callable[..., Demand],
    bank_a_user: User,
    bank_a_loan: ProductVersion,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    """The same number of queries for a demand of one right as for one of four, two of them held:
    the held rights are marked by one EXISTS subquery, never a query per right."""
    one = file_demand(rights=[make_right(owners=[enterprise_a]).number])
    rights = [make_right(owners=[enterprise_a]) for _ in range(4)]
    for right in rights[:2]:
        file_pledge(bank_user=bank_a_user, pledgor=enterprise_a, rights=[right])
    four = file_demand(rights=[r.number for r in rights])
    today = timezone.localdate()

    def read(demand: Demand) -> Callable[[], object]:
        return lambda: demand_matches(actor=enterprise_a_user, demand=demand, on=today)

    assert count_queries(read(one)) == count_queries(read(four))
    report = demand_matches(actor=enterprise_a_user, demand=four, on=today)
    assert set(report.facts.held_rights) == {r.number for r in rights[:2]}
