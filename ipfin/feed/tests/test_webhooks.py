"""Webhooks against a real HTTP receiver on a loopback port: subscription, signatures, retries
with backoff after failures, the delivery log, replay, rotation, and what a subscriber may not
make the platform call."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.feed.domain import EventType, signature_valid
from ipfin.feed.models import Delivery, DeliveryState, Webhook
from ipfin.feed.services import (
    WEBHOOK_LIMIT,
    Occurrence,
    event_publish,
    events_publish,
    webhooks_deliver,
)
from ipfin.feed.tests.conftest import Receiver

pytestmark = pytest.mark.django_db

ALL = [t.value for t in EventType]


def _subscribe(client: Any, url: str, events: list[str] | None = None) -> dict[str, Any]:
    answer = client.post_json("/api/v1/webhooks", {"url": url, "events": events or ALL})
    assert answer.status_code == 201, answer.content
    return answer.json()


def _classified(bank_id: int, loan_id: int = 1) -> None:
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": loan_id}, [bank_id])


@pytest.mark.usefixtures("local_webhooks")
def test_a_receiver_failing_twice_gets_the_event_on_the_third_try_signed(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    hook = _subscribe(bank_a_api, receiver.url)
    assert len(hook["secret"]) == 64
    _classified(bank_a_user.organisation_id, 7)
    receiver.script = [500, 503]

    runs = [webhooks_deliver().as_dict() for _ in range(3)]
    assert [r["tried"] for r in runs] == [1, 1, 1]
    assert [r["delivered"] for r in runs] == [0, 0, 1]
    assert runs[0]["fanned_out"] == 1 and runs[1]["fanned_out"] == 0
    assert webhooks_deliver().tried == 0  # delivered: never again

    assert len(receiver.received) == 3
    got = receiver.received[-1]
    body = json.loads(got.body)
    assert body["type"] == "loan.classified" and body["data"] == {"loan_id": 7}
    assert set(body) == {"id", "type", "occurred_at", "data"}
    assert got.headers["X-Ipfin-Event-Id"] == str(body["id"])
    assert signature_valid(hook["secret"], got.headers["X-Ipfin-Signature"], got.body)
    assert not signature_valid("x" * 64, got.headers["X-Ipfin-Signature"], got.body)
    # The same event id on every try: the receiver de-duplicates by it.
    assert {r.headers["X-Ipfin-Event-Id"] for r in receiver.received} == {str(body["id"])}

    log = bank_a_api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()
    assert len(log) == 1 and log[0]["state"] == "delivered" and log[0]["attempts"] == 3
    assert [t["status_code"] for t in log[0]["tries"]] == [500, 503, 200]
    assert log[0]["tries"][0]["error"] == "HTTP 500"
    assert log[0]["event_id"] == body["id"] and log[0]["next_try_at"] is None


@pytest.mark.usefixtures("local_webhooks")
def test_the_wait_grows_after_each_failure_and_the_delivery_ends_after_24_hours(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User, settings: Any
) -> None:
    settings.IPFIN_WEBHOOK_FIRST_RETRY_SECONDS = 30
    _subscribe(bank_a_api, receiver.url)
    _classified(bank_a_user.organisation_id)
    receiver.script = [500, 500, 500]
    before = timezone.now()
    assert webhooks_deliver().retrying == 1
    delivery = Delivery.objects.get()
    wait = delivery.next_try_at - before
    assert timedelta(seconds=29) < wait < timedelta(seconds=40)
    assert webhooks_deliver().tried == 0  # not due yet

    Delivery.objects.update(next_try_at=timezone.now())
    webhooks_deliver()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_try_at - timezone.now() > timedelta(seconds=55)  # doubled: 60 s

    # Past its 24 hours the next failure gives the delivery up.
    Delivery.objects.update(
        next_try_at=timezone.now(), first_try_at=timezone.now() - timedelta(hours=24)
    )
    assert webhooks_deliver().given_up == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 3
    assert webhooks_deliver().tried == 0


@pytest.mark.usefixtures("local_webhooks")
def test_a_slow_receiver_is_a_failed_try_with_the_reason(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User, settings: Any
) -> None:
    settings.IPFIN_WEBHOOK_TIMEOUT = 0.3
    hook = _subscribe(bank_a_api, receiver.url)
    _classified(bank_a_user.organisation_id)
    receiver.delay = 1.0
    run = webhooks_deliver()
    assert (run.tried, run.delivered, run.retrying) == (1, 0, 1)
    tries = bank_a_api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()[0]["tries"]
    assert tries[0]["status_code"] is None and "timed out" in tries[0]["error"].lower()


@pytest.mark.usefixtures("local_webhooks")
def test_the_log_shows_a_delivery_s_last_tries_and_how_many_it_had(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    """Replays start a delivery's tries afresh: replayed again and again to a failing receiver,
    it had no bound on the tries the log answered."""
    from ipfin.feed.models import DeliveryAttempt
    from ipfin.feed.selectors import TRIES_SHOWN

    hook = _subscribe(bank_a_api, receiver.url)
    _classified(bank_a_user.organisation_id)
    receiver.script = [500]
    webhooks_deliver()
    delivery = Delivery.objects.get()
    start = timezone.now()
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(delivery=delivery, at=start + timedelta(seconds=i), status_code=503)
        for i in range(1, 60)
    )
    [row] = bank_a_api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()
    assert row["tries_total"] == 60 and len(row["tries"]) == TRIES_SHOWN
    shown = [t["at"] for t in row["tries"]]
    assert shown == sorted(shown)  # oldest first
    last = DeliveryAttempt.objects.order_by("-pk").first()
    assert last is not None
    newest = dt.datetime.fromisoformat(row["tries"][-1]["at"].replace("Z", "+00:00"))
    assert abs(newest - last.at) < timedelta(milliseconds=1)  # the answer keeps milliseconds


@pytest.mark.usefixtures("local_webhooks")
def test_a_redirect_is_not_followed(receiver: Receiver, bank_a_api: Any, bank_a_user: User) -> None:
    _subscribe(bank_a_api, receiver.url)
    _classified(bank_a_user.organisation_id)
    receiver.script = [302]
    run = webhooks_deliver()
    assert (run.delivered, run.retrying) == (0, 1)
    assert len(receiver.received) == 1
    assert Delivery.objects.get().tries.get().status_code == 302


@pytest.mark.usefixtures("local_webhooks")
def test_a_bank_receives_only_its_own_events_and_the_types_it_chose(
    receiver: Receiver,
    bank_a_api: Any,
    bank_a_user: User,
    bank_b_user: User,
    api_client: Callable[..., Any],
    office_user: User,
) -> None:
    _subscribe(bank_a_api, receiver.url, ["loan.classified"])
    office_hook = _subscribe(api_client(office_user), receiver.url + "/office", ["pledge.decided"])
    assert office_hook["sees_all"] is True
    events_publish(
        [
            Occurrence(EventType.LOAN_CLASSIFIED, {"loan_id": 1}, [bank_a_user.organisation_id]),
            Occurrence(EventType.LOAN_CLASSIFIED, {"loan_id": 2}, [bank_b_user.organisation_id]),
            Occurrence(EventType.PLEDGE_DECIDED, {"pledge_id": 3}, [bank_a_user.organisation_id]),
            Occurrence(EventType.PLEDGE_DECIDED, {"pledge_id": 4}, [bank_b_user.organisation_id]),
        ]
    )
    assert webhooks_deliver().delivered == 3
    by_path: dict[str, list[dict[str, Any]]] = {}
    for r in receiver.received:
        by_path.setdefault(r.path, []).append(json.loads(r.body)["data"])
    assert by_path == {
        "/ipfin-hook": [{"loan_id": 1}],
        "/ipfin-hook/office": [{"pledge_id": 3}, {"pledge_id": 4}],
    }


@pytest.mark.usefixtures("local_webhooks")
def test_a_webhook_receives_what_happens_after_it_and_replay_sends_the_past_again(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    org = bank_a_user.organisation_id
    _classified(org, 1)  # before the subscription: not sent
    hook = _subscribe(bank_a_api, receiver.url)
    _classified(org, 2)
    _classified(org, 3)
    webhooks_deliver()
    assert [json.loads(r.body)["data"]["loan_id"] for r in receiver.received] == [2, 3]

    replay = bank_a_api.post_json(f"/api/v1/webhooks/{hook['id']}/replay", {"after": 0})
    assert replay.status_code == 200
    ids = [json.loads(r.body)["id"] for r in receiver.received]
    assert replay.json() == {"replayed": 3, "through": ids[-1]}
    webhooks_deliver()
    sent = [json.loads(r.body)["data"]["loan_id"] for r in receiver.received]
    assert sent == [2, 3, 1, 2, 3]  # the replay in the feed's order
    log = bank_a_api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()
    assert [(d["state"], d["replays"]) for d in log] == [("delivered", 1)] * 3
    assert [len(d["tries"]) for d in log] == [2, 2, 1]  # the log keeps the first tries too
    assert AuditRecord.objects.filter(action="feed.webhook_replay").count() == 1


@pytest.mark.usefixtures("local_webhooks")
def test_rotation_signs_with_both_secrets_for_24_hours(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    hook = _subscribe(bank_a_api, receiver.url)
    rotated = bank_a_api.post_json(f"/api/v1/webhooks/{hook['id']}/rotate")
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["secret"] != hook["secret"] and new["previous_secret_until"]
    _classified(bank_a_user.organisation_id)
    webhooks_deliver()
    header = receiver.received[-1].headers["X-Ipfin-Signature"]
    body = receiver.received[-1].body
    assert signature_valid(new["secret"], header, body)
    assert signature_valid(hook["secret"], header, body)
    # After the grace, the old secret no longer signs.
    _end_grace(Webhook.objects.get(pk=hook["id"]), hook["secret"])
    _classified(bank_a_user.organisation_id)
    webhooks_deliver()
    header, body = receiver.received[-1].headers["X-Ipfin-Signature"], receiver.received[-1].body
    assert signature_valid(new["secret"], header, body)
    assert not signature_valid(hook["secret"], header, body)
    # The list never shows a secret.
    listed = bank_a_api.get("/api/v1/webhooks").json()
    assert [set(h) & {"secret"} for h in listed] == [set()]


def _end_grace(webhook: Webhook, secret: str) -> None:
    """The replaced `secret`'s 24 hours over (as if a day had passed for it alone)."""
    past = (timezone.now() - timedelta(seconds=1)).isoformat()
    webhook.retired_secrets = [
        {**r, "until": past} if r["secret"] == secret else r for r in webhook.retired_secrets
    ]
    webhook.save(update_fields=["retired_secrets"])


def _signers(receiver: Receiver, *secrets: str) -> list[bool]:
    header = receiver.received[-1].headers["X-Ipfin-Signature"]
    return [signature_valid(s, header, receiver.received[-1].body) for s in secrets]


@pytest.mark.usefixtures("local_webhooks")
def test_a_second_rotation_within_24_hours_keeps_the_first_secret_signing(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    """The bank rotated, lost the answer and rotated again: the secret its receiver still checks
    keeps its 24 hours, beside the two new ones; each replaced secret's grace ends on its own."""
    hook = _subscribe(bank_a_api, receiver.url)
    path = f"/api/v1/webhooks/{hook['id']}/rotate"
    first = bank_a_api.post_json(path).json()
    second = bank_a_api.post_json(path).json()
    _classified(bank_a_user.organisation_id)
    webhooks_deliver()
    assert _signers(receiver, hook["secret"], first["secret"], second["secret"]) == [True] * 3
    _end_grace(Webhook.objects.get(pk=hook["id"]), hook["secret"])
    _classified(bank_a_user.organisation_id)
    webhooks_deliver()
    assert _signers(receiver, hook["secret"], first["secret"], second["secret"]) == [
        False, True, True,
    ]  # fmt: skip
    # At most four replaced secrets sign at once: the sixth rotation within the day waits.
    for _ in range(3):
        assert bank_a_api.post_json(path).status_code == 200
    refused = bank_a_api.post_json(path)
    assert (refused.status_code, refused.json()["code"]) == (409, "rotation_limit")
    assert AuditRecord.objects.filter(action="feed.webhook_rotate").count() == 5


@pytest.mark.usefixtures("local_webhooks")
def test_a_deleted_webhook_is_not_called_and_another_bank_cannot_touch_one(
    receiver: Receiver, bank_a_api: Any, bank_b_api: Any, bank_a_user: User
) -> None:
    hook = _subscribe(bank_a_api, receiver.url)
    path = f"/api/v1/webhooks/{hook['id']}"
    assert bank_b_api.delete(path).status_code == 404
    assert bank_b_api.post_json(path + "/rotate").status_code == 404
    assert bank_b_api.post_json(path + "/replay", {"after": 0}).status_code == 404
    assert bank_b_api.get(path + "/deliveries").status_code == 404
    assert bank_b_api.get("/api/v1/webhooks").json() == []
    assert bank_a_api.delete(path).status_code == 204
    assert bank_a_api.delete(path).status_code == 404
    _classified(bank_a_user.organisation_id)
    assert webhooks_deliver().tried == 0 and receiver.received == []
    assert bank_a_api.get(path + "/deliveries").status_code == 200  # the log stays readable


def test_addresses_a_subscriber_may_not_give(bank_a_api: Any) -> None:
    """By default: https only, public hosts only (no loopback, private network or the cloud's
    metadata address), no credentials in the address, known event types only."""
    cases = {
        "http://bank.example.com/hook": "webhook_url_invalid",
        "https://127.0.0.1/hook": "webhook_url_not_public",
        "https://localhost/hook": "webhook_url_not_public",
        "https://169.254.169.254/latest/meta-data": "webhook_url_not_public",
        "https://[::1]/hook": "webhook_url_not_public",
        "https://10.0.0.8/hook": "webhook_url_not_public",
        "https://u:p@bank.example.com/hook": "webhook_url_invalid",
        "file:///etc/passwd": "webhook_url_invalid",
    }
    for url, code in cases.items():
        answer = bank_a_api.post_json("/api/v1/webhooks", {"url": url, "events": ALL})
        assert answer.status_code == 422, url
        assert answer.json()["code"] == code, url
    unknown = bank_a_api.post_json(
        "/api/v1/webhooks", {"url": "https://bank.example.com/h", "events": ["loan.deleted"]}
    )
    assert unknown.status_code == 422
    empty = bank_a_api.post_json(
        "/api/v1/webhooks", {"url": "https://bank.example.com/h", "events": []}
    )
    assert empty.status_code == 422
    assert Webhook.objects.count() == 0


def test_a_name_resolving_to_a_private_address_is_refused_when_called(
    bank_a_api: Any, bank_a_user: User, settings: Any
) -> None:
    """A public-looking name that resolves to loopback (localhost.example names, DNS rebinding)
    is checked again at each try: no request leaves, the try records why."""
    hook = _subscribe(bank_a_api, "https://localtest.me/hook")  # resolves to 127.0.0.1
    _classified(bank_a_user.organisation_id)
    run = webhooks_deliver()
    assert (run.tried, run.delivered) == (1, 0)
    error = Delivery.objects.get(webhook_id=hook["id"]).tries.get().error
    assert "not public" in error or "not resolved" in error


def test_at_most_ten_webhooks_per_organisation(bank_a_api: Any) -> None:
    for n in range(WEBHOOK_LIMIT):
        _subscribe(bank_a_api, f"https://bank.example.com/h{n}")
    answer = bank_a_api.post_json(
        "/api/v1/webhooks", {"url": "https://bank.example.com/more", "events": ALL}
    )
    assert answer.status_code == 409 and answer.json()["code"] == "webhook_limit"


@pytest.mark.usefixtures("local_webhooks")
def test_the_command_delivers_and_prints_its_counts(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    _subscribe(bank_a_api, receiver.url)
    _classified(bank_a_user.organisation_id)
    out = StringIO()
    call_command("deliver_webhooks", stdout=out)
    assert json.loads(out.getvalue()) == {
        "fanned_out": 1,
        "tried": 1,
        "delivered": 1,
        "retrying": 0,
        "given_up": 0,
    }
    assert len(receiver.received) == 1


@pytest.mark.usefixtures("local_webhooks")
def test_the_deliverer_stopped_at_its_time_limit_stops_and_blames_no_receiver(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    """Celery stops a task at its soft time limit by raising SoftTimeLimitExceeded from a
    signal, wherever the task stands: here in the middle of a call to a slow receiver. The
    deliverer stops (it is not caught as that receiver's failure, the loop does not go on to the
    hard limit's kill) and the try is not logged against the receiver."""
    import signal

    from celery.exceptions import SoftTimeLimitExceeded

    hook = _subscribe(bank_a_api, receiver.url)
    _classified(bank_a_user.organisation_id)
    receiver.delay = 2.0

    def stop(signum: int, frame: Any) -> None:
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(SoftTimeLimitExceeded):
            webhooks_deliver()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    log = bank_a_api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()
    assert log[0]["state"] == "pending" and log[0]["tries"] == []
