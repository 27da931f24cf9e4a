"""Concurrent logins for one username through the real login page: each attempt is counted before
its password is checked, so a burst gets at most LOGIN_FAILURE_LIMIT wrong-password checks.

PostgreSQL only (the `postgres_only` hook in conftest.py skips these on SQLite, whose single writer
serialises the transactions anyway)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client

from ipfin.accounts.models import LoginAttempt, LoginOutcome, User
from ipfin.audit.models import AuditRecord
from ipfin.common.tests.concurrency import all_at_once

LIMIT = 5
RIGHT = "pw-for-tests-1"


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the login page checks (its `authenticate`), with the time a real hasher
    takes (the tests use MD5), so that concurrent checks really overlap."""
    checked: list[str] = []

    def counted(request: Any, **credentials: Any) -> Any:
        checked.append(credentials.get("password", ""))  # list.append is atomic under the GIL
        time.sleep(0.05)
        return authenticate(request, **credentials)

    monkeypatch.setattr("ipfin.portal.views.authenticate", counted)
    return checked


def logins_at_once(username: str, passwords: list[str]) -> list[tuple[int, bool]]:
    """POST /login/ once per password, each from its own thread (own Client, own connection),
    released together. Returns (status, logged in) per attempt."""

    def attempt(i: int) -> tuple[int, bool]:
        client = Client()
        resp = client.post("/login/", {"username": username, "password": passwords[i]})
        return resp.status_code, "_auth_user_id" in client.session

    return all_at_once(len(passwords), attempt)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_29_concurrent_wrong_passwords_get_at_most_limit_checks_then_the_right_one_is_refused(
    examiner: User, password_checks: list[str], settings: Any
) -> None:
    assert connection.vendor == "postgresql"
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    burst = logins_at_once("examiner", [f"guess-{i}" for i in range(29)])

    assert len(password_checks) == LIMIT, f"{len(password_checks)} passwords checked"
    assert sorted(status for status, _ in burst) == [401] * LIMIT + [429] * (29 - LIMIT)
    client = Client()
    right = client.post("/login/", {"username": "examiner", "password": RIGHT})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert len(password_checks) == LIMIT  # the right password was not even checked
    outcomes = list(LoginAttempt.objects.values_list("outcome", flat=True))
    assert sorted(outcomes) == [LoginOutcome.FAILED] * LIMIT + [LoginOutcome.REFUSED] * (30 - LIMIT)
    assert AuditRecord.objects.filter(action="login.locked").count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_30_concurrent_logins_with_the_right_one_among_them_check_at_most_limit_wrong_passwords(
    examiner: User, password_checks: list[str], settings: Any
) -> None:
    assert connection.vendor == "postgresql"
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    passwords = [f"guess-{i}" for i in range(29)] + [RIGHT]
    burst = logins_at_once("examiner", passwords)

    wrong_checks = [p for p in password_checks if p != RIGHT]
    assert len(wrong_checks) <= LIMIT, f"{len(wrong_checks)} wrong passwords checked"
    right_status, right_logged_in = burst[-1]
    # The right password logs in only if it was admitted before the limit was reached.
    assert (right_status, right_logged_in) in {(302, True), (429, False)}
    assert right_logged_in == (RIGHT in password_checks)
    assert len(password_checks) <= LIMIT + 1
    attempts = LoginAttempt.objects.filter(username="examiner")
    assert attempts.count() == 30  # every attempt recorded, checked or refused
    assert attempts.filter(outcome=LoginOutcome.FAILED).count() == len(wrong_checks)
    assert not attempts.filter(outcome=LoginOutcome.PENDING).exists()
