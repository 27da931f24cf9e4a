"""Reading the audit trail: the office and the regulator, over the API and on their page."""

from __future__ import annotations

from typing import Any

import pytest

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db


def test_the_office_pages_through_the_trail_newest_first_with_its_hashes(
    api_client: Any, examiner: User, bank_a_user: User
) -> None:
    for i in range(3):
        audit_record(actor=bank_a_user, action="loan.approve", object_type="loans.loan",
                     object_id=i, after={"principal": "1000000.00"})  # fmt: skip
    client = api_client(examiner)
    body = client.get("/api/v1/audit", {"action": "loan.approve", "limit": 2}).json()
    assert (body["total"], body["limit"], len(body["items"])) == (3, 2, 2)
    first, second = body["items"]
    assert first["seq"] == second["seq"] + 1 and first["prev_hash"] == second["hash"]
    assert (first["actor"], first["object_id"], first["after"]) == (
        "bank_a", "2", {"principal": "1000000.00"},
    )  # fmt: skip
    one = client.get("/api/v1/audit", {"object_type": "loans.loan", "object_id": "0"}).json()
    assert [i["object_id"] for i in one["items"]] == ["0"]
    assert client.get("/api/v1/audit", {"limit": 0}).status_code == 422


def test_only_the_office_and_the_regulator_read_the_trail(
    api_client: Any, bank_a_user: User, regulator_user: User, enterprise_a_user: User
) -> None:
    assert api_client().get("/api/v1/audit").status_code == 401
    assert api_client(bank_a_user).get("/api/v1/audit").status_code == 403
    assert api_client(enterprise_a_user).get("/api/v1/audit/verification").status_code == 403
    assert api_client(regulator_user).get("/api/v1/audit").status_code == 200


def test_the_last_verification_is_null_then_says_what_the_walk_found(
    api_client: Any, examiner: User
) -> None:
    client = api_client(examiner)
    assert client.get("/api/v1/audit/verification").json() is None
    audit_verify()
    body = client.get("/api/v1/audit/verification").json()
    assert (body["intact"], body["checked"], body["reason"]) == (
        True, AuditRecord.objects.count(), None,
    )  # fmt: skip


def test_the_offices_home_and_audit_page_show_the_chain_check(
    client_for: Any, examiner: User, bank_a_user: User
) -> None:
    client = client_for(examiner)
    assert 'data-testid="audit-check-none"' in client.get("/").content.decode()
    audit_verify()
    home = client.get("/").content.decode()
    assert 'data-testid="audit-check-intact"' in home and "审计日志哈希链完整" in home
    page = client.get("/audit/", {"action": "user.create"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="audit-table"' in html
    assert html.count("<tr data-seq=") == AuditRecord.objects.filter(action="user.create").count()
    assert client_for(bank_a_user).get("/audit/").status_code == 403
