"""What a receiver or a subscriber may not do to the deliverer (found by review): a malformed
answer or host never stops the run, the address checked is the address called, the timeout
holds for the whole exchange, one long queue does not hold up the others, a replay during a try
is not overwritten, an event told twice is published once."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.feed import sending
from ipfin.feed.domain import EventType, address_public
from ipfin.feed.models import Delivery, DeliveryState, Event
from ipfin.feed.services import (
    DeliveryRun,
    Occurrence,
    _claim_due,
    _try_one,
    event_publish,
    events_publish,
    webhooks_deliver,
)
from ipfin.feed.tests.conftest import Receiver

pytestmark = pytest.mark.django_db
ALL = [t.value for t in EventType]


def _subscribe(client: Any, url: str) -> dict[str, Any]:
    answer = client.post_json("/api/v1/webhooks", {"url": url, "events": ALL})
    assert answer.status_code == 201, answer.content
    return answer.json()


def _one_delivery_owed(client: Any, url: str, user: User) -> dict[str, Any]:
    """A webhook of `user`'s bank at `url`, owed one delivery (fanned out, not yet claimed)."""
    from ipfin.feed.services import deliveries_fan_out

    hook = _subscribe(client, url)
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 1}, [user.organisation_id])
    deliveries_fan_out()
    return hook


def _raw_server(reply: Any) -> Iterator[str]:
    """A TCP server on loopback whose handler `reply(conn)` answers each connection."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                with contextlib.suppress(OSError):
                    reply(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


@pytest.fixture
def garbage_receiver() -> Iterator[str]:
    yield from _raw_server(lambda conn: conn.sendall(b"NOT-HTTP\r\n\r\n"))


@pytest.fixture
def dripping_receiver() -> Iterator[str]:
    def drip(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(30):  # a header byte every 0.2 s: each read is quick, the whole is not
            time.sleep(0.2)
            conn.sendall(b"X")

    yield from _raw_server(drip)


@pytest.mark.usefixtures("local_webhooks")
def test_a_malformed_answer_is_a_failed_try_and_the_others_are_still_delivered(
    garbage_receiver: str,
    receiver: Receiver,
    bank_a_api: Any,
    bank_b_api: Any,
    bank_a_user: User,
    bank_b_user: User,
) -> None:
    bad = _subscribe(bank_a_api, garbage_receiver)
    _subscribe(bank_b_api, receiver.url)
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 1}, [bank_a_user.organisation_id])
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 2}, [bank_b_user.organisation_id])
    run = webhooks_deliver()
    assert (run.tried, run.delivered, run.retrying) == (2, 1, 1)
    assert len(receiver.received) == 1  # bank B's, after bank A's failed
    failed = Delivery.objects.get(webhook_id=bad["id"])
    assert failed.attempts == 1 and failed.state == DeliveryState.PENDING
    assert "BadStatusLine" in failed.tries.get().error


@pytest.mark.usefixtures("local_webhooks")
def test_the_timeout_holds_for_the_whole_exchange(
    dripping_receiver: str, bank_a_api: Any, bank_a_user: User, settings: Any
) -> None:
    settings.IPFIN_WEBHOOK_TIMEOUT = 1
    hook = _subscribe(bank_a_api, dripping_receiver)
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 1}, [bank_a_user.organisation_id])
    started = time.monotonic()
    run = webhooks_deliver()
    assert time.monotonic() - started < 3  # cut off at 1 s, not after the 6 s of dripping
    assert (run.delivered, run.retrying) == (0, 1)
    tried = Delivery.objects.get(webhook_id=hook["id"]).tries.get()
    assert tried.status_code is None and "timed out" in tried.error


@pytest.fixture
def tls_files(tmp_path: Any) -> tuple[str, str]:
    """A self-signed certificate for localhost and its key (made by the system's openssl)."""
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    openssl = shutil.which("openssl")
    assert openssl is not None, "this test needs the system's openssl"
    subprocess.run(  # noqa: S603 - fixed arguments
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_a_tls_handshake_begun_before_the_deadline_is_cut_off_at_it(
    tls_files: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deadline 2 s. The TCP connection takes 1 s (a receiver dropping the first SYN), the
    receiver ends the TLS handshake at 2.5 s, then drips its headers a byte every 0.5 s. The
    watchdog found no TLS socket at 2 s (there is none until the handshake ends) and the try
    ran for 10 s, each dripped byte within the read's own timeout; it ends at the deadline."""
    cert, key = tls_files
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        time.sleep(1.5)  # the handshake ends after the deadline
        with contextlib.suppress(OSError), server_tls.wrap_socket(conn, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            for _ in range(16):
                time.sleep(0.5)
                tls.sendall(b"x")
            tls.sendall(b"\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    connect = socket.create_connection

    def slow_connect(address: Any, timeout: Any = None, *args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)
        return connect(address, timeout, *args, **kwargs)

    default_context = ssl.create_default_context

    def trusting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = default_context(*args, **kwargs)
        context.load_verify_locations(cert)
        return context

    monkeypatch.setattr(sending.socket, "create_connection", slow_connect)
    monkeypatch.setattr(sending.ssl, "create_default_context", trusting)
    started = time.monotonic()
    try:
        outcome = sending.post(
            f"https://localhost:{port}/hook", b"{}", {}, timeout=2, allow_private=True
        )
    finally:
        server.close()
    assert time.monotonic() - started < 3.5
    assert outcome.status is None and "timed out" in outcome.error


@pytest.mark.usefixtures("local_webhooks")
def test_a_name_server_that_does_not_answer_is_cut_off_at_the_timeout(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User, monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:  # fmt: skip
    """The subscriber's name server (outside the platform: stood in for here) takes 5 s to
    answer; the try is cut off at its 1 s deadline, the run goes on, the try is logged."""
    settings.IPFIN_WEBHOOK_TIMEOUT = 1
    released = threading.Event()

    def slow_resolver(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        released.wait(5)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 9))]

    hook = _subscribe(bank_a_api, "http://slow-dns.bank-a.example/ipfin-hook")
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 1}, [bank_a_user.organisation_id])
    monkeypatch.setattr(sending.socket, "getaddrinfo", slow_resolver)
    started = time.monotonic()
    try:
        run = webhooks_deliver()
    finally:
        released.set()
    assert time.monotonic() - started < 3
    assert (run.delivered, run.retrying) == (0, 1)
    tried = Delivery.objects.get(webhook_id=hook["id"]).tries.get()
    assert tried.status_code is None and tried.error == "timed out after 1 s"


def test_hosts_refused_when_subscribing(bank_a_api: Any) -> None:
    for url in (
        "https://127.1/hook",
        "https://2130706433/hook",
        "https://0x7f000001/hook",
        "https://169.254.169.254./latest",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[64:ff9b::7f00:1]/hook",
    ):
        answer = bank_a_api.post_json("/api/v1/webhooks", {"url": url, "events": ALL})
        assert (answer.status_code, answer.json()["code"]) == (422, "webhook_url_not_public"), url
    bad_name = bank_a_api.post_json(
        "/api/v1/webhooks", {"url": "https://a..example/hook", "events": ALL}
    )
    assert (bad_name.status_code, bad_name.json()["code"]) == (422, "webhook_url_invalid")


def test_addresses_inside_ipv6_are_judged_by_the_ipv4_they_carry() -> None:
    assert not address_public("64:ff9b::a9fe:a9fe")  # NAT64 of 169.254.169.254
    assert not address_public("2002:7f00:1::1")  # 6to4 of 127.0.0.1
    assert not address_public("2002:0a00:0001::1")  # 6to4 of 10.0.0.1
    assert address_public("64:ff9b::808:808")  # NAT64 of 8.8.8.8
    assert not address_public("::ffff:0:7f00:1")  # SIIT of 127.0.0.1
    assert address_public("::ffff:0:808:808")  # SIIT of 8.8.8.8


def test_ipv6_outside_global_unicast_is_refused() -> None:
    assert not address_public("64:ff9b:1::a9fe:a9fe")  # local-use NAT64 (RFC 8215)
    assert not address_public("::7f00:1")  # IPv4-compatible ::127.0.0.1
    assert not address_public("fec0::1")  # site-local
    assert address_public("2400:3200::1")  # a public resolver in China, global unicast


@pytest.mark.usefixtures("local_webhooks")
def test_the_connection_goes_to_the_address_checked_not_a_second_lookup(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name is resolved once; the request goes to that address with the name as Host (a DNS
    server answering differently the second time cannot redirect it)."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    lookups: list[str] = []

    def resolver(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    _subscribe(bank_a_api, f"http://hooks.bank-a.example:{port}/ipfin-hook")
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 1}, [bank_a_user.organisation_id])
    monkeypatch.setattr(sending.socket, "getaddrinfo", resolver)
    assert webhooks_deliver().delivered == 1
    # The name once (checked), then the connection to the address it gave, never the name again.
    assert lookups == ["hooks.bank-a.example", "127.0.0.1"]
    assert receiver.received[0].headers["Host"] == f"hooks.bank-a.example:{port}"


@pytest.mark.usefixtures("local_webhooks")
@pytest.mark.parametrize("owed", [20, 300])
def test_one_long_queue_does_not_hold_up_another_webhook(
    owed: int,
    receiver: Receiver,
    bank_a_api: Any,
    bank_b_api: Any,
    bank_a_user: User,
    bank_b_user: User,
) -> None:
    """Bank A's receiver owes `owed` deliveries (300: more than many rounds read, a replay or a
    long outage); bank B's one event, later in the feed, still goes in the first round."""
    _subscribe(bank_a_api, receiver.url + "/a")
    _subscribe(bank_b_api, receiver.url + "/b")
    events_publish(
        [
            Occurrence(EventType.LOAN_CLASSIFIED, {"loan_id": i}, [bank_a_user.organisation_id])
            for i in range(owed)
        ]
    )
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 999}, [bank_b_user.organisation_id])
    webhooks_deliver(limit=4)
    paths = [r.path for r in receiver.received]
    assert "/ipfin-hook/b" in paths  # bank B's one event went in the first four tries
    assert paths.count("/ipfin-hook/a") == 3
    assert sorted(paths) == ["/ipfin-hook/a"] * 3 + ["/ipfin-hook/b"]
    assert Delivery.objects.filter(state=DeliveryState.PENDING).count() == owed + 1 - 4


@pytest.mark.usefixtures("local_webhooks")
def test_one_bank_with_many_webhooks_does_not_hold_up_another_bank(
    receiver: Receiver,
    bank_a_api: Any,
    bank_b_api: Any,
    bank_a_user: User,
    bank_b_user: User,
) -> None:
    """Bank A's four webhooks owe 20 old deliveries each (a replay of its history: any bank may
    have ten webhooks); bank B's one later event still goes in the first round of ten. In feed
    order, A's 4 × 3 took every round, and B's waited for all 80."""
    for i in range(4):
        _subscribe(bank_a_api, receiver.url + f"/a{i}")
    _subscribe(bank_b_api, receiver.url + "/b")
    events_publish(
        [
            Occurrence(EventType.LOAN_CLASSIFIED, {"loan_id": i}, [bank_a_user.organisation_id])
            for i in range(20)
        ]
    )
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 999}, [bank_b_user.organisation_id])
    webhooks_deliver(limit=2)
    paths = [r.path for r in receiver.received]
    # The two banks' first, in the order of their oldest: A's webhook of the first event, B's.
    assert paths == ["/ipfin-hook/a0", "/ipfin-hook/b"], paths
    webhooks_deliver(limit=10)
    # Then A's webhooks in turn: each of the four once before any of them twice.
    later = [r.path for r in receiver.received][2:]
    assert sorted(later[:4]) == [f"/ipfin-hook/a{i}" for i in range(4)], later


@pytest.mark.usefixtures("local_webhooks")
def test_a_delivery_claimed_before_its_webhook_is_deleted_is_not_sent(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    hook = _one_delivery_owed(bank_a_api, receiver.url, bank_a_user)
    token, taken = _claim_due(timezone.now(), 10, set())
    assert len(taken) == 1
    assert bank_a_api.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    run = DeliveryRun()
    _try_one(taken[0], token, run)  # the try of a round claimed before the bank unsubscribed
    assert receiver.received == [] and run.tried == 0
    assert Delivery.objects.get().attempts == 0


@pytest.mark.usefixtures("local_webhooks")
def test_a_chinese_path_is_subscribed_percent_encoded_and_delivered(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    """Accepted as typed, /回调 (or a space) failed every try before anything was sent, and
    was given up a day later."""
    hook = _subscribe(bank_a_api, receiver.url + "/回调 新")
    assert hook["url"] == receiver.url + "/%E5%9B%9E%E8%B0%83%20%E6%96%B0"
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 1}, [bank_a_user.organisation_id])
    assert webhooks_deliver().delivered == 1
    assert receiver.received[0].path == "/ipfin-hook/%E5%9B%9E%E8%B0%83%20%E6%96%B0"
    # A webhook stored as typed before (no way to edit it since) is sent encoded too.
    from ipfin.feed.models import Webhook

    Webhook.objects.filter(pk=hook["id"]).update(url=receiver.url + "/回调 新")
    event_publish(EventType.LOAN_CLASSIFIED, {"loan_id": 2}, [bank_a_user.organisation_id])
    assert webhooks_deliver().delivered == 1
    assert receiver.received[1].path == receiver.received[0].path


@pytest.mark.usefixtures("local_webhooks")
def test_a_replay_during_a_try_is_not_overwritten_by_that_try(
    receiver: Receiver, bank_a_api: Any, bank_a_user: User
) -> None:
    hook = _one_delivery_owed(bank_a_api, receiver.url, bank_a_user)
    Delivery.objects.update(attempts=29, first_try_at=timezone.now() - timedelta(hours=23))
    token, taken = _claim_due(timezone.now(), 10, set())
    assert len(taken) == 1
    replay = bank_a_api.post_json(f"/api/v1/webhooks/{hook['id']}/replay", {"after": 0})
    assert replay.json()["replayed"] == 1
    receiver.script = [500]
    _try_one(taken[0], token, DeliveryRun())  # the try claimed before the replay
    delivery = Delivery.objects.get()
    # The replay's fresh start stands: no attempt counted against it, a new 24-hour window.
    assert (delivery.state, delivery.attempts, delivery.first_try_at, delivery.replays) == (
        DeliveryState.PENDING,
        0,
        None,
        1,
    )


def test_an_event_with_a_key_is_published_once(bank_a_user: User) -> None:
    org = bank_a_user.organisation_id
    first = Occurrence(EventType.RISK_ALERT_RAISED, {"alert_id": 5}, [org], key="risk.alert:5")
    assert events_publish([first]) == 1
    assert events_publish([first, Occurrence(EventType.LOAN_CLASSIFIED, {}, [org])]) == 1
    assert Event.objects.filter(key="risk.alert:5").count() == 1
