"""`Idempotency-Key` on the API's POSTs: a retry replays the first answer and the write happens
once; the same key for another request is refused; keys are per client and kept 24 hours."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from ipfin.accounts.models import IdempotentRequest, Organisation, User
from ipfin.financing.models import Demand
from ipfin.registry.models import Right

pytestmark = pytest.mark.django_db

DEMANDS = "/api/v1/demands"


def _body(enterprise: Organisation, right: Right, amount: str = "1000000.00") -> dict[str, Any]:
    return {
        "enterprise_uscc": enterprise.uscc,
        "amount": amount,
        "term_months": 12,
        "purpose": "研发",
        "rights": [right.number],
    }


def _key(value: str) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": value}


def test_a_retry_replays_the_first_answer_and_files_once(
    api_client: Callable[..., Any], enterprise_a_user: User, enterprise_a: Organisation,
    right: Right,
) -> None:  # fmt: skip
    client = api_client(enterprise_a_user)
    first = client.post_json(DEMANDS, _body(enterprise_a, right), **_key("demand-0001"))
    again = client.post_json(DEMANDS, _body(enterprise_a, right), **_key("demand-0001"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Demand.objects.count() == 1
    # Without the header each POST is a new request.
    assert client.post_json(DEMANDS, _body(enterprise_a, right)).status_code == 201
    assert Demand.objects.count() == 2


def test_the_same_key_for_another_body_is_refused_and_changes_nothing(
    api_client: Callable[..., Any], enterprise_a_user: User, enterprise_a: Organisation,
    right: Right,
) -> None:  # fmt: skip
    client = api_client(enterprise_a_user)
    client.post_json(DEMANDS, _body(enterprise_a, right), **_key("k-1"))
    other = client.post_json(DEMANDS, _body(enterprise_a, right, "2000000.00"), **_key("k-1"))
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert (
        list(Demand.objects.values_list("amount", flat=True)) == [Demand.objects.get().amount]
        and str(Demand.objects.get().amount) == "1000000.00"
    )


def test_a_refusal_is_an_answer_too_and_is_replayed(
    api_client: Callable[..., Any], enterprise_a_user: User, enterprise_a: Organisation,
    right: Right,
) -> None:  # fmt: skip
    client = api_client(enterprise_a_user)
    bad = _body(enterprise_a, right, "-5")
    first = client.post_json(DEMANDS, bad, **_key("k-refused"))
    again = client.post_json(DEMANDS, bad, **_key("k-refused"))
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


def test_keys_are_per_client(
    api_client: Callable[..., Any], enterprise_a_user: User, make_user: Callable[..., User],
    enterprise_a: Organisation, right: Right,
) -> None:  # fmt: skip
    colleague = make_user("enterprise_a_finance_2", enterprise_a)
    a = api_client(enterprise_a_user).post_json(DEMANDS, _body(enterprise_a, right), **_key("x"))
    b = api_client(colleague).post_json(DEMANDS, _body(enterprise_a, right), **_key("x"))
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"] and "Idempotent-Replayed" not in b


def test_a_key_older_than_24_hours_is_a_new_request(
    api_client: Callable[..., Any], enterprise_a_user: User, enterprise_a: Organisation,
    right: Right,
) -> None:  # fmt: skip
    client = api_client(enterprise_a_user)
    client.post_json(DEMANDS, _body(enterprise_a, right), **_key("old"))
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))
    later = client.post_json(DEMANDS, _body(enterprise_a, right), **_key("old"))
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert Demand.objects.count() == 2


def test_a_client_s_keys_past_24_hours_are_deleted_when_it_claims_another(
    api_client: Callable[..., Any], enterprise_a_user: User, enterprise_a: Organisation,
    right: Right,
) -> None:  # fmt: skip
    client = api_client(enterprise_a_user)
    for key in ("k1", "k2"):
        client.post_json(DEMANDS, _body(enterprise_a, right), **_key(key))
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    client.post_json(DEMANDS, _body(enterprise_a, right), **_key("k3"))
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["k3"]


def test_an_answer_showing_a_secret_once_is_not_kept_for_a_replay(
    api_client: Callable[..., Any], bank_a_user: User, settings: Any
) -> None:
    """A bearer token (stored hashed) and a webhook's signing secret were kept in the clear in
    the idempotency table for good: the retry is answered 409 with the object's id, and the
    write still happens once."""
    from ipfin.accounts.models import ApiToken
    from ipfin.feed.models import Webhook

    settings.IPFIN_WEBHOOK_ALLOW_PRIVATE = True
    client = api_client(bank_a_user)
    issued = client.post_json("/api/v1/tokens", {"name": "核心系统"}, **_key("t1"))
    assert issued.status_code == 201 and issued.json()["token"]
    tokens = ApiToken.objects.filter(user=bank_a_user).count()
    hook = {"url": "https://hooks.bank-a.example/ipfin", "events": ["loan.classified"]}
    made = client.post_json("/api/v1/webhooks", hook, **_key("w1"))
    assert made.status_code == 201 and made.json()["secret"]
    rotated = client.post(f"/api/v1/webhooks/{made.json()['id']}/rotate", **_key("r1"))
    assert rotated.status_code == 200 and rotated.json()["secret"]
    for body in IdempotentRequest.objects.values_list("body", flat=True):
        text = bytes(body).decode()
        for secret in (issued.json()["token"], made.json()["secret"], rotated.json()["secret"]):
            assert secret not in text
    again = client.post_json("/api/v1/tokens", {"name": "核心系统"}, **_key("t1"))
    assert (again.status_code, again.json()["code"]) == (409, "idempotency_answer_not_kept")
    assert again.json()["id"] == issued.json()["id"] and "token" not in again.json()
    assert again["Idempotent-Replayed"] == "true"
    retried = client.post_json("/api/v1/webhooks", hook, **_key("w1"))
    assert (retried.status_code, retried.json()["id"]) == (409, made.json()["id"])
    assert ApiToken.objects.filter(user=bank_a_user).count() == tokens
    assert Webhook.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "键", "with space"])
def test_a_malformed_key_is_422(
    api_client: Callable[..., Any], enterprise_a_user: User, enterprise_a: Organisation,
    right: Right, key: str,
) -> None:  # fmt: skip
    response = api_client(enterprise_a_user).post_json(
        DEMANDS, _body(enterprise_a, right), **_key(key)
    )
    assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_invalid")
    assert Demand.objects.count() == 0


def test_an_anonymous_call_ignores_the_key(api_client: Callable[..., Any]) -> None:
    response = api_client().post_json(DEMANDS, {}, **_key("anon"))
    assert response.status_code == 401
    assert not IdempotentRequest.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_ten_retries_at_once_file_once_and_all_get_the_first_answer(
    api_client: Callable[..., Any], enterprise_a_user: User, enterprise_a: Organisation,
    right: Right,
) -> None:  # fmt: skip
    assert connection.vendor == "postgresql"
    client_token = api_client(enterprise_a_user)
    barrier, answers = threading.Barrier(10), []
    body = _body(enterprise_a, right)

    def send() -> None:
        try:
            barrier.wait()
            response = client_token.post_json(DEMANDS, body, **_key("burst-1"))
            answers.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 10
    assert {status for status, _ in answers} == {201}
    assert len({content for _, content in answers}) == 1
    assert Demand.objects.count() == 1


def test_the_migration_deletes_kept_answers_that_hold_a_secret(bank_a_user: User) -> None:
    """Answers kept before `shown_once`: those with a token or a secret go, and every key past
    its 24 hours; the others stay."""
    import importlib

    from django.apps import apps

    scrub = importlib.import_module(
        "ipfin.accounts.migrations.0008_idempotency_secrets_scrubbed"
    ).scrub
    rows = {
        "token": b'{"id": 1, "token": "ipf_abc"}',
        "secret": b'{"id": 2, "secret": "f00"}',
        "demand": b'{"id": 3, "amount": "1.00"}',
        "old": b'{"id": 4}',
    }
    for key, body in rows.items():
        IdempotentRequest.objects.create(
            user=bank_a_user, key=key, fingerprint="x", status=201, body=body
        )
    IdempotentRequest.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    scrub(apps, None)
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["demand"]
