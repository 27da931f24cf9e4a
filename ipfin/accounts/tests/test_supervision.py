"""A regulator reads aggregates; single records only of the organisations its open supervision
cases name, each request through a case audited (DOMAIN.md, Roles: the regulator "reads
statistics, NPL tolerance, anomaly signals" — "aggregates across banks"). Issue 11's decision,
over the real API, the pages and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, OrganisationKind, SupervisionCase, User
from ipfin.accounts.services import supervision_case_close, supervision_case_open
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

CASES = "/api/v1/supervision/cases"


@pytest.fixture
def other_regulator(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user("regulator_2", make_org(OrganisationKind.REGULATOR, "另一监管局", uscc=None))


def _credit(client: Any, org: Organisation) -> int:
    return int(client.get(f"/api/v1/enterprises/{org.uscc}/credit-score").status_code)


def test_domain_roles_a_regulator_reads_an_enterprise_only_under_a_case_each_read_audited(
    api_client: Callable[..., Any], regulator_user: User, enterprise_a: Organisation
) -> None:
    api = api_client(regulator_user)
    assert _credit(api, enterprise_a) == 404
    assert not AuditRecord.objects.filter(action="supervision.read").exists()

    opened = api.post_json(CASES, {"subject_uscc": enterprise_a.uscc, "reason": "质押融资专项检查"})
    assert opened.status_code == 201, opened.content
    case_id = opened.json()["id"]
    assert opened.json()["subject"]["name"] == enterprise_a.name and opened.json()["open"]
    assert _credit(api, enterprise_a) == 200
    reads = AuditRecord.objects.filter(action="supervision.read", object_id=str(case_id))
    assert reads.count() == 1
    assert reads.get().after["path"] == f"/api/v1/enterprises/{enterprise_a.uscc}/credit-score"
    assert reads.get().after["status"] == 200
    assert reads.get().actor_id == regulator_user.pk

    closed = api.post_json(f"{CASES}/{case_id}/close", {"note": "检查完毕"})
    assert closed.status_code == 200 and not closed.json()["open"]
    assert _credit(api, enterprise_a) == 404
    assert reads.count() == 1  # a read outside any case reads nothing and is not a case's
    assert (
        AuditRecord.objects.filter(action__in=["supervision.open", "supervision.close"]).count()
        == 2
    )


def test_one_open_case_per_subject_a_reason_and_a_supervised_kind(
    regulator_user: User, enterprise_a: Organisation, bank_a: Organisation, ip_office: Organisation
) -> None:
    supervision_case_open(
        actor=regulator_user, subject_uscc=enterprise_a.uscc or "", reason="专项检查"
    )
    with pytest.raises(Conflict) as again:
        supervision_case_open(
            actor=regulator_user, subject_uscc=enterprise_a.uscc or "", reason="再次专项检查"
        )
    assert again.value.code == "supervision_case_open"
    with pytest.raises(ValidationFailed) as no_reason:
        supervision_case_open(actor=regulator_user, subject_uscc=bank_a.uscc or "", reason="  查 ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(ValidationFailed) as bad_code:
        supervision_case_open(actor=regulator_user, subject_uscc="9111", reason="专项检查")
    assert bad_code.value.code == "uscc_length"
    assert SupervisionCase.objects.count() == 1


def test_only_regulators_open_cases_and_a_case_is_its_regulators_own(
    api_client: Callable[..., Any],
    regulator_user: User,
    other_regulator: User,
    bank_a_user: User,
    examiner: User,
    enterprise_a: Organisation,
) -> None:
    for outsider in (bank_a_user, examiner):
        with pytest.raises(PermissionDenied):
            supervision_case_open(
                actor=outsider, subject_uscc=enterprise_a.uscc or "", reason="查看"
            )
        assert api_client(outsider).get(CASES).status_code == 403
    case = supervision_case_open(
        actor=regulator_user, subject_uscc=enterprise_a.uscc or "", reason="专项检查"
    )
    other = api_client(other_regulator)
    assert other.get(CASES).json() == []
    assert other.post_json(f"{CASES}/{case.pk}/close", {}).status_code == 404
    with pytest.raises(NotFound):
        supervision_case_close(actor=other_regulator, case=case)
    # The other regulator's reads are not opened by this regulator's case.
    assert _credit(other, enterprise_a) == 404
    assert api_client().get(CASES).status_code == 401


def test_the_api_refuses_an_unknown_organisation_and_a_short_reason(
    api_client: Callable[..., Any], regulator_user: User, ip_office: Organisation
) -> None:
    api = api_client(regulator_user)
    from ipfin.accounts.domain import make_uscc

    unknown = api.post_json(CASES, {"subject_uscc": make_uscc(seq=999_999), "reason": "专项检查"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "organisation_not_found"
    declared = api.get("/api/schema").json()["paths"]["/api/v1/supervision/cases"]["post"]
    assert "404" in declared["responses"]  # the document says so (found by .ci/api_fuzz)
    short = api.post_json(CASES, {"subject_uscc": make_uscc(seq=1), "reason": "查"})
    assert short.status_code == 422


def test_the_regulators_page_opens_and_closes_with_a_confirmation(
    regulator_user: User, bank_a: Organisation
) -> None:
    client = Client()
    client.force_login(regulator_user)
    page = client.get("/supervision/")
    assert page.status_code == 200 and 'data-testid="case-open-form"' in page.content.decode()
    refused = client.post("/supervision/", {"subject_uscc": "123", "reason": "专项检查"})
    assert refused.status_code == 422
    assert "统一社会信用代码应为18位" in refused.content.decode()
    opened = client.post("/supervision/", {"subject_uscc": bank_a.uscc, "reason": "专项检查"})
    assert opened.status_code == 302
    case = SupervisionCase.objects.get()
    client.post(f"/supervision/{case.pk}/close/", {"note": "完毕"})  # not confirmed
    case.refresh_from_db()
    assert case.closed_at is None
    client.post(f"/supervision/{case.pk}/close/", {"note": "完毕", "confirm": "on"})
    case.refresh_from_db()
    assert case.closed_at is not None and case.close_note == "完毕"
