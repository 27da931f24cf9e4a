from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import ApiToken, Organisation, hash_token
from ipfin.audit.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_me_requires_authentication(api_client):
    resp = api_client().get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_bad_bearer_token_is_401_not_anonymous(api_client):
    from conftest import ApiClient

    resp = ApiClient("not-a-token").get("/api/v1/me")
    assert resp.status_code == 401


def test_me_with_token(api_client, bank_a_user):
    resp = api_client(bank_a_user).get("/api/v1/me")
    assert resp.status_code == 200
    body = resp.json()
    assert body["username"] == "bank_a"
    assert body["organisation_kind"] == "bank"
    assert "pledge.apply" in body["permissions"]
    assert "pledge.decide" not in body["permissions"]


def test_me_tells_an_integrating_system_its_organisation_and_credit_code(
    api_client, bank_a_user, examiner
):
    body = api_client(bank_a_user).get("/api/v1/me").json()
    assert body["organisation_id"] == bank_a_user.organisation_id
    assert body["organisation_uscc"] == bank_a_user.organisation.uscc
    assert len(body["organisation_uscc"]) == 18
    office = api_client(examiner).get("/api/v1/me").json()
    assert office["organisation_id"] == examiner.organisation_id
    assert office["organisation_uscc"] is None  # the IP office has no credit code here


def test_issue_token_command_prints_a_working_token(bank_a_user, api_client):
    out = StringIO()
    call_command("issue_token", "bank_a", stdout=out)
    raw = out.getvalue().strip()
    assert len(raw) >= 40
    # only the hash is stored
    assert ApiToken.objects.filter(token_hash=hash_token(raw)).exists()
    assert not ApiToken.objects.filter(token_hash=raw).exists()
    from conftest import ApiClient

    assert ApiClient(raw).get("/api/v1/me").json()["username"] == "bank_a"


def test_revoked_token_is_refused(bank_a_user):
    from django.utils import timezone

    from conftest import ApiClient
    from ipfin.accounts.services import api_token_issue

    raw = api_token_issue(user=bank_a_user)
    ApiToken.objects.filter(token_hash=hash_token(raw)).update(revoked_at=timezone.now())
    assert ApiClient(raw).get("/api/v1/me").status_code == 401


def test_organisation_with_bad_uscc_is_422_and_nothing_stored(api_client, examiner):
    before = Organisation.objects.count()
    good = make_uscc(seq=42)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    resp = api_client(examiner).post_json(
        "/api/v1/organisations", {"kind": "enterprise", "name": "坏代码公司", "uscc": bad}
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "uscc_check_char"
    assert Organisation.objects.count() == before


@pytest.mark.parametrize("raw", ["", "123", "91110108MA01ABCDE!", "I" * 18, "x" * 300])
def test_organisation_with_malformed_uscc_never_500(api_client, examiner, raw):
    resp = api_client(examiner).post_json(
        "/api/v1/organisations", {"kind": "enterprise", "name": "某公司", "uscc": raw}
    )
    assert resp.status_code == 422
    assert resp.json()["code"].startswith("uscc_")


def test_organisation_create_audited(api_client, examiner):
    code = make_uscc(seq=4242)
    resp = api_client(examiner).post_json(
        "/api/v1/organisations", {"kind": "enterprise", "name": "新企业", "uscc": code.lower()}
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["uscc"] == code
    rec = AuditRecord.objects.get(action="organisation.create", object_id=str(resp.json()["id"]))
    assert rec.actor == examiner
    assert rec.organisation_id == examiner.organisation_id
    assert rec.after["uscc"] == code


def test_bank_cannot_register_organisations(api_client, bank_a_user):
    resp = api_client(bank_a_user).post_json(
        "/api/v1/organisations", {"kind": "enterprise", "name": "X", "uscc": make_uscc(seq=7)}
    )
    assert resp.status_code == 403
    assert not Organisation.objects.filter(name="X").exists()


@pytest.mark.parametrize(
    "kind", ["bank", "insurer", "guarantor", "valuation_agency", "park", "ip_office", "regulator"]
)
def test_an_examiner_registers_right_holders_only_the_office_admin_the_rest(
    api_client, examiner, office_admin, kind
):
    """An examiner registers enterprises (the register's right holders); a bank, an insurer, an
    office or a regulator acts on the platform through its users: only an office administrator
    registers one. Refused: 403, nothing registered, nothing audited."""
    body = {"kind": kind, "name": f"新{kind}", "uscc": make_uscc(seq=41)}
    audited = AuditRecord.objects.filter(action="organisation.create")
    before = audited.count()
    refused = api_client(examiner).post_json("/api/v1/organisations", body)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert not Organisation.objects.filter(name=f"新{kind}").exists()
    assert audited.count() == before
    made = api_client(office_admin).post_json("/api/v1/organisations", body)
    assert made.status_code == 201, made.content
    assert Organisation.objects.get(pk=made.json()["id"]).kind == kind
    assert audited.get(object_id=str(made.json()["id"])).actor == office_admin


def test_unknown_organisation_kind_is_422(api_client, examiner):
    resp = api_client(examiner).post_json("/api/v1/organisations", {"kind": "pirate", "name": "X"})
    assert resp.status_code == 422


def test_enterprise_without_credit_code_is_422(api_client, examiner):
    resp = api_client(examiner).post_json(
        "/api/v1/organisations", {"kind": "enterprise", "name": "无代码企业"}
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "uscc_required"
    assert not Organisation.objects.filter(name="无代码企业").exists()


def test_organisation_name_required(api_client, office_admin):
    resp = api_client(office_admin).post_json(
        "/api/v1/organisations", {"kind": "bank", "name": "   ", "uscc": make_uscc(seq=99)}
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "name_required"


def test_organisation_create_service_checks_permission_itself(bank_a_user):
    from ipfin.accounts.services import organisation_create
    from ipfin.common.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        organisation_create(actor=bank_a_user, kind="bank", name="自封银行")
    assert not Organisation.objects.filter(name="自封银行").exists()


def test_the_platforms_setup_registers_organisations_and_logins_audited_as_system(db):
    """load_demo and a deployment's first office register without a user (actor None); the
    trail still says who: "system"."""
    from ipfin.accounts.models import EnterpriseSize
    from ipfin.accounts.services import organisation_create, user_create

    park = organisation_create(actor=None, kind="park", name="示范园区", uscc=make_uscc(seq=41))
    firm = organisation_create(
        actor=None, kind="enterprise", name="园区企业", uscc=make_uscc(seq=42),
        size=EnterpriseSize.SMALL, park=park,
    )  # fmt: skip
    assert (firm.park, firm.size) == (park, "small")
    user = user_create(username="firm_user", password="pw-for-tests-1", organisation=firm)
    records = AuditRecord.objects.filter(actor_username="system").order_by("pk")
    assert [(r.action, r.object_id) for r in records] == [
        ("organisation.create", str(park.pk)),
        ("organisation.create", str(firm.pk)),
        ("user.create", str(user.pk)),
    ]
    assert records[1].after["park"] == park.pk
    assert records[2].after == {"username": "firm_user", "organisation": firm.pk, "role": "member"}
