"""Dealings with a pledged right need the pledgee's consent on record.

民法典 art. 444 ¶2: 知识产权中的财产权出质后，出质人不得转让或者许可他人使用，但是出质人与质权人
协商同意的除外. For surrender, the 专利审查指南: a pledged patent is not surrendered without the
pledgee's agreement. A right under a registered pledge is transferred, licensed or surrendered only
with `pledgee_consent` true and a `consent_document` named; otherwise a 409
`pledgee_consent_required` naming the pledge, and nothing changes.

The registered pledge is written with the ORM (not through the pledge services, whose workflow is
changing): these tests are about the register's rule, not about how a pledge comes to be.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, ValidationFailed
from ipfin.pledges.models import Pledge, PledgeItem
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.registry.services import right_event_record

pytestmark = pytest.mark.django_db

MakeRight = Callable[..., Right]
RIGHTS = "/api/v1/rights"
REG_NO = "Y2026000000999"
# The default right (make_right) is in force on this day: granted 2018-05-20, annuities not yet due.
ON = date(2018, 6, 1)
CONSENT = {"pledgee_consent": True, "consent_document": "甲银行质权人同意函〔2026〕12号"}
# What each dealing needs besides the consent.
DEALINGS: dict[str, dict[str, Any]] = {
    "transfer": {"owners": [{"name": "乙科技有限公司"}]},
    "licence": {"licence_type": "ordinary", "licensee": "丙公司"},
    "surrender": {},
}


@pytest.fixture
def pledge_right(
    bank_a: Organisation, bank_a_user: User, enterprise_a: Organisation
) -> Callable[..., Pledge]:
    """Put `right` under a pledge of bank_a (甲银行) in `state`; registered by default."""

    def make(right: Right, *, state: str = "registered", registration_no: str = REG_NO) -> Pledge:
        released = state == "released"
        pledge = Pledge.objects.create(
            state=state,
            registration_no=registration_no if state in ("registered", "released") else None,
            pledgee=bank_a,
            pledgor=enterprise_a,
            debt_amount=Decimal("5000000.00"),
            term_start=date(2026, 1, 5),
            term_end=date(2029, 1, 5),
            contract_no="C-1",
            created_by=bank_a_user,
            # Registered a week before the dealings (ON); a released one ended before them.
            effective_date=date(2018, 5, 25) if state != "submitted" else None,
            released_on=date(2018, 5, 30) if released else None,
        )
        PledgeItem.objects.create(pledge=pledge, right=right, active=not released)
        return pledge

    return make


def _record(examiner: User, right: Right, type: str, **payload: Any) -> RightEvent:
    return right_event_record(actor=examiner, right=right, type=type, date=ON, payload=payload)


def _snapshot(right: Right) -> dict[str, Any]:
    """What a refused dealing must leave as it was."""
    return {
        "owners": list(
            RightOwner.objects.filter(right=right)
            .order_by("id")
            .values_list("name", "valid_from", "valid_to")
        ),
        "events": RightEvent.objects.filter(right=right).count(),
        "audit": AuditRecord.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _refusal(examiner: User, right: Right, type: str, **payload: Any) -> Conflict:
    before = _snapshot(right)
    with pytest.raises(Conflict) as info:
        _record(examiner, right, type, **payload)
    assert _snapshot(right) == before
    return info.value


# --- the service ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dealing", ["transfer", "licence", "surrender"])
@pytest.mark.parametrize(
    "consent",
    [
        {},
        {"pledgee_consent": True},  # no consent letter named
        {"pledgee_consent": True, "consent_document": "   "},  # a blank one
        {"pledgee_consent": False, "consent_document": "同意函〔2026〕12号"},  # not agreed
    ],
)
def test_dealing_with_a_pledged_right_without_consent_is_refused_minfadian_art444(
    examiner: User,
    make_right: MakeRight,
    pledge_right: Callable[..., Pledge],
    dealing: str,
    consent: dict[str, Any],
) -> None:
    right = make_right()
    pledge_right(right)
    error = _refusal(examiner, right, dealing, **DEALINGS[dealing], **consent)
    assert (error.status, error.code) == (409, "pledgee_consent_required")
    assert error.extra == {"pledges": [REG_NO]}
    # Both languages name the registration number and the pledgee bank.
    for text in (error.detail_zh, error.detail_en):
        assert REG_NO in text and "甲银行" in text
    if dealing == "surrender":
        assert "专利审查指南" in error.detail_zh
        assert "Patent Examination Guidelines" in error.detail_en
    else:
        assert "《民法典》第四百四十四条第二款" in error.detail_zh
        assert "Civil Code art. 444 ¶2" in error.detail_en


def test_transfer_with_consent_is_recorded_with_it_minfadian_art444(
    examiner: User, make_right: MakeRight, pledge_right: Callable[..., Pledge]
) -> None:
    right = make_right()
    pledge_right(right)
    event = _record(examiner, right, "transfer", **DEALINGS["transfer"], **CONSENT)
    assert event.payload["pledgee_consent"] is True
    assert event.payload["consent_document"] == CONSENT["consent_document"]
    assert [o.name for o in RightOwner.objects.filter(right=right, valid_to__isnull=True)] == [
        "乙科技有限公司"
    ]
    audit = AuditRecord.objects.get(action="right.event.transfer")
    assert audit.after["event"]["pledgee_consent"] is True
    assert audit.after["event"]["consent_document"] == CONSENT["consent_document"]


def test_licence_with_consent_is_recorded_with_it_minfadian_art444(
    examiner: User, make_right: MakeRight, pledge_right: Callable[..., Pledge]
) -> None:
    right = make_right()
    pledge_right(right)
    # The consent letter's number is stored as given, without surrounding blanks.
    event = _record(
        examiner,
        right,
        "licence",
        **DEALINGS["licence"],
        pledgee_consent=True,
        consent_document="  同意函 12 号 ",
    )
    assert event.payload == {
        "licence_type": "ordinary",
        "licensee": "丙公司",
        "pledgee_consent": True,
        "consent_document": "同意函 12 号",
    }


def test_surrender_with_consent_is_recorded_with_it_zhuanli_shencha_zhinan(
    examiner: User, make_right: MakeRight, pledge_right: Callable[..., Pledge]
) -> None:
    right = make_right()
    pledge_right(right)
    event = _record(examiner, right, "surrender", **CONSENT)
    assert event.payload == CONSENT
    assert RightEvent.objects.filter(right=right, type="surrender").count() == 1


@pytest.mark.parametrize("state", ["released", "submitted"])
@pytest.mark.parametrize("dealing", ["transfer", "licence", "surrender"])
def test_a_released_or_pending_pledge_needs_no_consent_minfadian_art444(
    examiner: User,
    make_right: MakeRight,
    pledge_right: Callable[..., Pledge],
    state: str,
    dealing: str,
) -> None:
    """Released: the pledge right is gone. Submitted: not yet registered, so no pledge right
    exists yet (质权自登记时设立, 民法典 art. 444 ¶1); the pledge's pre-check deals with the
    application."""
    right = make_right()
    pledge_right(right, state=state)
    event = _record(examiner, right, dealing, **DEALINGS[dealing])
    assert "pledgee_consent" not in event.payload and "consent_document" not in event.payload


@pytest.mark.parametrize("dealing", ["transfer", "licence", "surrender"])
def test_an_unpledged_right_takes_consent_fields_optionally_minfadian_art444(
    examiner: User, make_right: MakeRight, dealing: str
) -> None:
    plain = _record(examiner, make_right(), dealing, **DEALINGS[dealing])
    assert "pledgee_consent" not in plain.payload
    given = _record(examiner, make_right(), dealing, **DEALINGS[dealing], **CONSENT)
    assert given.payload["pledgee_consent"] is True
    assert given.payload["consent_document"] == CONSENT["consent_document"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"pledgee_consent": "yes"}, "pledgee_consent_invalid"),
        ({"pledgee_consent": 1}, "pledgee_consent_invalid"),
        ({"consent_document": "函" * 201}, "consent_document_invalid"),
        ({"consent_document": 12}, "consent_document_invalid"),
    ],
)
def test_consent_fields_are_checked_for_shape_minfadian_art444(
    examiner: User, make_right: MakeRight, payload: dict[str, Any], code: str
) -> None:
    right = make_right()
    before = _snapshot(right)
    with pytest.raises(ValidationFailed) as info:
        _record(examiner, right, "transfer", **DEALINGS["transfer"], **payload)
    assert info.value.code == code
    assert _snapshot(right) == before
    # 200 characters is the limit, not beyond it.
    event = _record(examiner, right, "licence", **DEALINGS["licence"], consent_document="函" * 200)
    assert len(event.payload["consent_document"]) == 200


def test_only_dealings_take_consent_fields_minfadian_art444(
    examiner: User, make_right: MakeRight
) -> None:
    with pytest.raises(ValidationFailed) as info:
        _record(examiner, make_right(), "dispute", **CONSENT)
    assert info.value.code == "event_field_not_allowed"


# --- the API -------------------------------------------------------------------------------------


def test_api_refuses_a_dealing_without_consent_with_409_minfadian_art444(
    office: Any, make_right: MakeRight, pledge_right: Callable[..., Pledge]
) -> None:
    right = make_right()
    pledge_right(right)
    url = f"{RIGHTS}/{right.number}/events"
    body = {"type": "transfer", "date": ON.isoformat(), **DEALINGS["transfer"]}
    before = _snapshot(right)
    refused = office.post_json(url, body)
    assert refused.status_code == 409, refused.content
    data = refused.json()
    assert data["code"] == "pledgee_consent_required"
    assert data["pledges"] == [REG_NO]
    assert REG_NO in data["detail"] and "甲银行" in data["detail"]
    assert _snapshot(right) == before
    # The consent letter is at most 200 characters (the schema's limit, a 422).
    too_long = office.post_json(url, {**body, **CONSENT, "consent_document": "函" * 201})
    assert too_long.status_code == 422
    assert _snapshot(right) == before
    done = office.post_json(url, {**body, **CONSENT})
    assert done.status_code == 201, done.content
    assert done.json()["payload"]["pledgee_consent"] is True
    assert done.json()["payload"]["consent_document"] == CONSENT["consent_document"]


def test_api_documents_the_409_minfadian_art444(public: Any) -> None:
    schema = public.get("/api/schema").json()
    operation = schema["paths"][f"{RIGHTS}/{{number}}/events"]["post"]
    assert "409" in operation["responses"]
    fields = schema["components"]["schemas"]["EventIn"]["properties"]
    assert {"pledgee_consent", "consent_document"} <= set(fields)


# --- the examiner's form on the right's page -----------------------------------------------------


def _page(client: Client, right: Right) -> str:
    response = client.get(f"/rights/{right.number}/")
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def test_examiner_form_refuses_a_transfer_without_consent_minfadian_art444(
    examiner: User, make_right: MakeRight, pledge_right: Callable[..., Pledge]
) -> None:
    right = make_right()
    pledge_right(right)
    client = Client()
    client.force_login(examiner)
    page = _page(client, right)
    assert "质权人已书面同意" in page and "同意文件编号" in page
    assert 'data-testid="pledgee-consent-note"' in page
    form = {
        "type": "transfer",
        "date": (ON + timedelta(days=1)).isoformat(),
        "owner_name": "乙科技有限公司",
    }
    before = _snapshot(right)
    refused = client.post(f"/rights/{right.number}/", form)
    assert refused.status_code == 409  # the page again, at the refusal's status
    text = html_lib.unescape(refused.content.decode())
    # The refusal, above the form (the public register below names the pledge too).
    assert 'data-testid="action-error"' in text
    assert f"该知识产权已出质（质押登记号 {REG_NO}，质权人 甲银行），登记转让须经质权人同意" in text
    assert _snapshot(right) == before
    done = client.post(
        f"/rights/{right.number}/",
        {**form, "pledgee_consent": "on", "consent_document": CONSENT["consent_document"]},
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    event = RightEvent.objects.get(right=right, type="transfer")
    assert event.payload["pledgee_consent"] is True
    assert event.payload["consent_document"] == CONSENT["consent_document"]


def test_examiner_form_licenses_an_unpledged_right_without_consent_minfadian_art444(
    examiner: User, make_right: MakeRight
) -> None:
    right = make_right()
    client = Client()
    client.force_login(examiner)
    assert 'data-testid="pledgee-consent-note"' not in _page(client, right)
    done = client.post(
        f"/rights/{right.number}/",
        {
            "type": "licence",
            "date": ON.isoformat(),
            "licence_type": "ordinary",
            "licensee": "丙公司",
        },
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    event = RightEvent.objects.get(right=right, type="licence")
    assert "pledgee_consent" not in event.payload and "consent_document" not in event.payload


def test_a_dealing_dated_while_the_pledge_held_needs_consent_even_after_release_minfadian_art444(
    make_right: MakeRight, examiner: User, pledge_right: Callable[..., Pledge]
) -> None:
    """Consent is a matter of the dealing's date: a licence dated while the pledge held the right
    needs the pledgee's consent even when it is recorded after the release."""
    right = make_right()
    pledge = pledge_right(right, state="released")  # registered 2018-05-25, released 2018-05-30
    inside = date(2018, 5, 28)
    with pytest.raises(Conflict) as info:
        right_event_record(
            actor=examiner,
            right=right,
            type="licence",
            date=inside,
            payload={"licence_type": "ordinary", "licensee": "丙公司"},
        )
    assert info.value.code == "pledgee_consent_required"
    assert info.value.extra["pledges"] == [pledge.registration_no]
