"""A pool of several banks' loans (issue 16: "IP-pledge loans of one or several banks"): the
arranging bank invites others, each bank decides whether its loans join, and only then do they
enter the arranger's pool previews; nobody else previews the programme's pools."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.loans.models import Loan
from ipfin.securitisation.tests.test_pool_api import body, book  # noqa: F401 - the loan book

pytestmark = pytest.mark.django_db
URL = "/api/v1/abs/programmes"
PREVIEW = "/api/v1/abs/pools/preview"
LOOSE = {"max_obligor_share": "1", "max_industry_share": "1"}


def test_an_invited_banks_loans_join_the_arrangers_pool_once_it_accepts_issue16(
    book: dict[str, Loan],  # noqa: F811
    bank_a_user: User,
    bank_b_user: User,
    api_client: Callable[..., Any],
) -> None:
    arranger, invited = api_client(bank_a_user), api_client(bank_b_user)
    made = arranger.post_json(
        URL, {"name": "知识产权质押贷款资产支持专项计划", "bank_ids": [bank_b_user.organisation_id]}
    )
    assert made.status_code == 201, made.content
    pid = made.json()["id"]
    assert [m["state"] for m in made.json()["members"]] == ["invited"]
    pooled = arranger.post_json(PREVIEW, body(programme_id=pid, rules=LOOSE)).json()
    mine = sorted(book[k].pk for k in ("a1", "a2", "a3"))
    assert sorted(pooled["loans"]) == mine  # bank B has not accepted yet
    # Bank B may not preview the programme's pools; it answers, once.
    refused = invited.post_json(PREVIEW, body(programme_id=pid, rules=LOOSE))
    assert (refused.status_code, refused.json()["field"]) == (422, "programme_id")
    answered = invited.post_json(f"{URL}/{pid}/answer", {"decision": "accept"})
    assert answered.json()["members"][0]["state"] == "accepted"
    again = invited.post_json(f"{URL}/{pid}/answer", {"decision": "decline"})
    assert (again.status_code, again.json()["code"]) == (409, "programme_answered")
    pooled = arranger.post_json(PREVIEW, body(programme_id=pid, rules=LOOSE)).json()
    assert sorted(pooled["loans"]) == sorted([*mine, book["b1"].pk])
    assert pooled["balance"] == "1000000.00"  # 400,000 + 300,000 + 200,000 + bank B's 100,000
    assert [p["id"] for p in invited.get(URL).json()] == [pid]
    assert {"abs.programme_create", "abs.programme_answer"} <= set(
        AuditRecord.objects.values_list("action", flat=True)
    )


def test_a_programme_invites_other_banks_once_and_pools_loans_only(
    book: dict[str, Loan],  # noqa: F811
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    api_client: Callable[..., Any],
) -> None:
    arranger = api_client(bank_a_user)
    for wrong in (
        [bank_a_user.organisation_id],  # itself
        [enterprise_a_user.organisation_id],  # not a bank
        [bank_b_user.organisation_id, bank_b_user.organisation_id],
    ):
        refused = arranger.post_json(URL, {"name": "计划", "bank_ids": wrong})
        assert (refused.status_code, refused.json()["field"]) == (422, "bank_ids"), wrong
    pid = arranger.post_json(
        URL, {"name": "计划", "bank_ids": [bank_b_user.organisation_id]}
    ).json()["id"]
    royalties = arranger.post_json(PREVIEW, body(programme_id=pid, assets="royalties"))
    assert (royalties.status_code, royalties.json()["code"]) == (422, "programme_loans_only")
    stranger = api_client(enterprise_a_user).post_json(
        f"{URL}/{pid}/answer", {"decision": "accept"}
    )
    assert stranger.status_code == 403
    assert arranger.post_json(f"{URL}/{pid}/answer", {"decision": "accept"}).status_code == 404
    # A bank neither arranging nor invited sees nothing of it.
    other = make_user("bank_c_staff", make_org(OrganisationKind.BANK, "丙银行"))
    assert api_client(other).get(URL).json() == []
    assert (
        api_client(other).post_json(f"{URL}/{pid}/answer", {"decision": "accept"}).status_code
        == 404
    )
