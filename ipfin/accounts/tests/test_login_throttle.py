"""The login throttle (ipfin.accounts.throttle) over the real login page: attempts counted before
the password is checked, the failure history kept through a success, the client address behind
trusted proxies, and an address's limit that does not lock out a colleague's right password."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from ipfin.accounts.models import LoginAttempt, LoginOutcome, User
from ipfin.accounts.throttle import client_address
from ipfin.audit.models import AuditRecord

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests-1"


def _login(client: Client, username: str, password: str, **extra: str) -> int:
    return client.post("/login/", {"username": username, "password": password}, **extra).status_code


def _outcomes(username: str) -> list[str]:
    return list(
        LoginAttempt.objects.filter(username=username)
        .order_by("id")
        .values_list("outcome", flat=True)
    )


def test_an_attempt_is_counted_while_its_password_is_still_being_checked(
    examiner: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race, made deterministic: a second login arrives while the first one's password is being
    # checked. With a limit of 1, the first attempt already holds the only place.
    settings.LOGIN_FAILURE_LIMIT = 1
    during_the_check: list[int] = []
    checked: list[str] = []

    def slow_check(request: Any, **credentials: Any) -> Any:
        checked.append(credentials["password"])
        if len(checked) == 1:
            during_the_check.append(_login(Client(), "examiner", "another-guess"))
        return authenticate(request, **credentials)

    monkeypatch.setattr("ipfin.portal.views.authenticate", slow_check)
    assert _login(Client(), "examiner", "first-guess") == 401
    assert during_the_check == [429]
    assert checked == ["first-guess"]  # the second attempt's password was never checked
    assert _outcomes("examiner") == [LoginOutcome.FAILED, LoginOutcome.REFUSED]


def test_a_successful_login_keeps_the_failure_history(examiner: User) -> None:
    client = Client()
    assert _login(client, "examiner", "wrong-1") == 401
    assert _login(client, "examiner", "wrong-2") == 401
    assert _login(client, "examiner", RIGHT) == 302
    assert LoginAttempt.objects.filter(username="examiner").count() == 3
    assert _outcomes("examiner") == [
        LoginOutcome.FAILED,
        LoginOutcome.FAILED,
        LoginOutcome.SUCCEEDED,
    ]


def test_a_success_frees_only_its_own_place_and_earlier_failures_keep_counting(
    examiner: User, settings: Any
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    # Logging in again and again never locks a user out: each success frees its place.
    assert [_login(Client(), "examiner", RIGHT) for _ in range(5)] == [302] * 5
    assert [_login(Client(), "examiner", p) for p in ("wrong-1", "wrong-2", RIGHT)] == [
        401,
        401,
        302,
    ]
    # The success did not clear the two failures: one more reaches the limit of 3.
    assert _login(Client(), "examiner", "wrong-3") == 401
    client = Client()
    assert _login(client, "examiner", RIGHT) == 429
    assert "_auth_user_id" not in client.session


def test_trusted_proxy_count_picks_the_client_address_from_x_forwarded_for(settings: Any) -> None:
    def address(forwarded: str | None, remote: str = "10.0.0.9") -> str:
        extra = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_address(RequestFactory().post("/login/", **extra))

    settings.IPFIN_TRUSTED_PROXY_COUNT = 0  # no proxy: the header is the client's say, ignored
    assert address("203.0.113.7") == "10.0.0.9"
    settings.IPFIN_TRUSTED_PROXY_COUNT = 1  # our proxy appends the address it was reached from
    assert address("203.0.113.7") == "203.0.113.7"
    assert address("1.2.3.4, 5.6.7.8, 203.0.113.7") == "203.0.113.7"  # spoofed entries ignored
    assert address(None) == "10.0.0.9"  # did not come through the proxy
    assert address("2001:DB8:0:0::1") == "2001:db8::1"  # one spelling per address
    settings.IPFIN_TRUSTED_PROXY_COUNT = 2  # client → proxy 1 → proxy 2 → us
    assert address("1.2.3.4, 203.0.113.7, 10.0.0.5") == "203.0.113.7"
    assert address("10.0.0.5") == "10.0.0.9"  # fewer entries than proxies


def test_clients_behind_one_proxy_are_counted_by_their_own_address(
    examiner: User, settings: Any
) -> None:
    settings.IPFIN_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert _login(Client(), "nobody", "x", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy) == 401
    spoofed = "9.9.9.9, 198.51.100.2"  # the client wrote 9.9.9.9; our proxy appended the rest
    assert _login(Client(), "examiner", RIGHT, HTTP_X_FORWARDED_FOR=spoofed, **proxy) == 302
    assert list(LoginAttempt.objects.order_by("id").values_list("ip_address", flat=True)) == [
        "203.0.113.7",
        "198.51.100.2",
    ]


def test_made_up_usernames_failing_from_one_address_do_not_lock_out_the_examiners_password(
    examiner: User, settings: Any
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 5
    office = {"REMOTE_ADDR": "192.0.2.10"}  # a shared office NAT, or a proxy not configured
    for i in range(20):
        assert _login(Client(), f"made-up-{i}", "guess", **office) == 401

    client = Client()
    assert _login(client, "examiner", RIGHT, **office) == 302
    assert "_auth_user_id" in client.session
    assert AuditRecord.objects.filter(action="login.address_limited").count() == 1
    # The limited address gets no second guess at a name it has already failed.
    assert _login(Client(), "made-up-0", "guess-2", **office) == 429
    assert _outcomes("made-up-0") == [LoginOutcome.FAILED, LoginOutcome.REFUSED]


def test_a_brute_force_on_one_username_from_one_address_is_still_locked(
    examiner: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 5
    checked: list[str] = []

    def counted(request: Any, **credentials: Any) -> Any:
        checked.append(credentials["password"])
        return authenticate(request, **credentials)

    monkeypatch.setattr("ipfin.portal.views.authenticate", counted)
    office = {"REMOTE_ADDR": "192.0.2.10"}
    statuses = [_login(Client(), "examiner", f"guess-{i}", **office) for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    client = Client()
    assert _login(client, "examiner", RIGHT, **office) == 429
    assert "_auth_user_id" not in client.session
    assert len(checked) == 5  # neither the later guesses nor the right password were checked

    locked = AuditRecord.objects.get(action="login.locked")
    assert locked.actor_username == "system"
    assert locked.after == {
        "username": "examiner",
        "ip_address": "192.0.2.10",
        "failures": 5,
        "window_seconds": settings.LOGIN_LOCKOUT_SECONDS,
    }
    assert _outcomes("examiner") == [LoginOutcome.FAILED] * 5 + [LoginOutcome.REFUSED] * 4
