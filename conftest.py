"""Shared fixtures: organisations, users of each role, and API clients that authenticate with a real
bearer token over Django's test client (real HTTP stack, real database)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, Role, User
from ipfin.accounts.services import api_token_issue, user_create

_seq = itertools.count(1)


def under_ci() -> bool:
    """Whether this run is CI's: `CI` set to true, 1 or yes (any case). Under CI what a test needs
    and lacks (the browser, the real data) is a failure, never a skip."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def need(condition: bool, reason: str) -> None:
    """Skip the test without `condition`, except under CI, where it fails."""
    if condition:
        return
    if under_ci():
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def shared_data() -> Path:
    """The real data sets of ../shared/data (settings.IPFIN_SHARED_DATA_DIR, found relative to the
    project root): required under CI, the test is skipped without them elsewhere."""
    from django.conf import settings

    path = Path(settings.IPFIN_SHARED_DATA_DIR)
    need(path.is_dir(), f"the real data sets are not at {path} (../shared/data beside the project)")
    return path


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 costs ~0.3 s per user on this machine; tests check behaviour, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_org(db: Any) -> Callable[..., Organisation]:
    def make(
        kind: str = OrganisationKind.ENTERPRISE, name: str | None = None, **kw: Any
    ) -> Organisation:
        n = next(_seq)
        kw.setdefault("uscc", make_uscc(seq=n * 7919))
        return Organisation.objects.create(kind=kind, name=name or f"{kind}-{n}", **kw)

    return make


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(username: str, organisation: Organisation | None, role: str = Role.MEMBER) -> User:
        return user_create(
            username=username, password="pw-for-tests-1", organisation=organisation, role=role
        )

    return make


class ApiClient(Client):
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__(headers=headers)

    def post_json(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self.post(path, data or {}, content_type="application/json", **kw)


@pytest.fixture
def api_client() -> Callable[[User | None], ApiClient]:
    def make(user: User | None = None) -> ApiClient:
        return ApiClient(api_token_issue(user=user) if user is not None else None)

    return make


@pytest.fixture
def bank_a(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.BANK, "甲银行")


@pytest.fixture
def bank_b(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.BANK, "乙银行")


@pytest.fixture
def ip_office(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.IP_OFFICE, "知识产权局", uscc=None)


@pytest.fixture
def enterprise_a(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.ENTERPRISE, "甲科技有限公司")


@pytest.fixture
def bank_a_user(make_user: Callable[..., User], bank_a: Organisation) -> User:
    return make_user("bank_a", bank_a)


@pytest.fixture
def bank_b_user(make_user: Callable[..., User], bank_b: Organisation) -> User:
    return make_user("bank_b", bank_b)


@pytest.fixture
def examiner(make_user: Callable[..., User], ip_office: Organisation) -> User:
    return make_user("examiner", ip_office, Role.EXAMINER)


@pytest.fixture
def enterprise_a_user(make_user: Callable[..., User], enterprise_a: Organisation) -> User:
    return make_user("enterprise_a", enterprise_a)


@pytest.fixture
def office_admin(make_user: Callable[..., User], ip_office: Organisation) -> User:
    return make_user("office_admin", ip_office, Role.ADMIN)


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A UI test client with `user` logged in (a real session)."""

    def make(user: User) -> Client:
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        return client

    return make
