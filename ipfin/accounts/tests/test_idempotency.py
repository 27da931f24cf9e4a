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
