"""Shared fixtures: organisations, users of each role, API clients that authenticate with a real
bearer token over Django's test client (real HTTP stack, real database), UI clients with a real
session, and the builders every app's tests use: rights in force (ipfin.registry.tests.factories)
and pledge applications (ipfin.pledges.tests.factories), entered through the real services. An
app's conftest adds only what is its own, or overrides one of these with a reason."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import ApiToken, Organisation, OrganisationKind, Role, User
from ipfin.accounts.services import api_token_issue, organisation_create, user_create
from ipfin.common.localnet import url_reachable
from ipfin.pledges.domain import CheckResult
from ipfin.pledges.models import Pledge, PledgeDocument
from ipfin.pledges.samples import contract_file, other_party_confirms
from ipfin.pledges.services import pledge_document_upload, pledge_submit
from ipfin.pledges.tests.factories import file_pledge, signer_for
from ipfin.registry.models import Right
from ipfin.registry.services import right_create
from ipfin.registry.tests import factories as right_factories
from ipfin.registry.tests.factories import PATENT_TYPE_DIGIT, make_patent, next_number, patent_no

_seq = itertools.count(1)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The `postgres_only` marker: those tests need PostgreSQL's row locks and truly concurrent
    transactions, and are skipped with a reason on SQLite."""
    if item.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: row locks and truly concurrent transactions (SQLite serialises "
            f"writers; this run uses {connection.vendor}). "
            "Run with DATABASE_URL=postgres://... to include it."
        )


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


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    """Uploaded files (contracts, reports) go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: the anonymous calculators' rate counts
    (ipfin.accounts.ratelimit) of one test never refuse another's calls."""
    caches["default"].clear()


@pytest.fixture
def make_org(db: Any) -> Callable[..., Organisation]:
    def make(
        kind: str = OrganisationKind.ENTERPRISE, name: str | None = None, **kw: Any
    ) -> Organisation:
        n = next(_seq)
        kw.setdefault("uscc", make_uscc(seq=n * 7919))
        # Through the service the demo and the office use (actor None: the platform's setup).
        return organisation_create(actor=None, kind=kind, name=name or f"{kind}-{n}", **kw)

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
    """A client with a new token of `user` (None: anonymous). The token is marked used now: its
    `last_used_at` is written at most once a minute (ipfin.accounts.auth), so without the mark a
    test's first request would make one query more than its next, and the tests that pin an
    endpoint's number of queries would count that write instead of the endpoint's reads
    (accounts/tests/test_tokens.py tests the minute itself)."""

    def make(user: User | None = None) -> ApiClient:
        if user is None:
            return ApiClient(None)
        raw = api_token_issue(user=user)
        ApiToken.objects.filter(prefix=raw[:8], user=user).update(last_used_at=timezone.now())
        return ApiClient(raw)

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
def count_queries() -> Callable[[Callable[[], object]], int]:
    """The number of SQL queries `fn()` runs on the real database. Query-count tests measure a
    page or a read at two sizes with it: a count that grows with the rows is an N+1."""

    def count(fn: Callable[[], object]) -> int:
        with CaptureQueriesContext(connection) as captured:
            fn()
        return len(captured.captured_queries)

    return count


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A UI test client with `user` logged in (a real session)."""

    def make(user: User) -> Client:
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def office_user(make_user: Callable[..., User], ip_office: Organisation) -> User:
    return make_user("office", ip_office)


@pytest.fixture
def regulator_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user("regulator", make_org(OrganisationKind.REGULATOR, "金融监管局", uscc=None))


@pytest.fixture
def open_case(regulator_user: User) -> Callable[[Organisation], Any]:
    """Open a supervision case of `regulator_user`'s regulator on an organisation: only then
    does the regulator read that organisation's single records."""
    from ipfin.accounts.services import supervision_case_open

    def open_on(subject: Organisation) -> Any:
        assert subject.uscc is not None
        return supervision_case_open(
            actor=regulator_user, subject_uscc=subject.uscc, reason="知识产权质押贷款专项检查"
        )

    return open_on


@pytest.fixture
def enterprise_b(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(OrganisationKind.ENTERPRISE, "乙制造有限公司")


@pytest.fixture
def enterprise_b_user(make_user: Callable[..., User], enterprise_b: Organisation) -> User:
    return make_user("enterprise_b", enterprise_b)


@pytest.fixture
def bank_a_api(api_client: Callable[..., ApiClient], bank_a_user: User) -> ApiClient:
    return api_client(bank_a_user)


@pytest.fixture
def bank_b_api(api_client: Callable[..., ApiClient], bank_b_user: User) -> ApiClient:
    return api_client(bank_b_user)


# --- rights and pledges, through the real services -----------------------------------------------


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def pay_annuities(examiner: User) -> Callable[..., None]:
    """Record every annuity due up to `until` (default today) as paid on its due date."""

    def pay(right: Right, until: date | None = None) -> None:
        right_factories.pay_annuities(right, examiner=examiner, until=until)

    return pay


def owner(org: Organisation, share: str | None = None) -> dict[str, Any]:
    """An owner entry of `right_create` for `org` (its name and credit code)."""
    data: dict[str, Any] = {"name": org.name, "uscc": org.uscc}
    if share is not None:
        data["share"] = share
    return data


@pytest.fixture
def make_right(
    examiner: User, enterprise_a: Organisation, today: date, pay_annuities: Callable[..., None]
) -> Callable[..., Right]:
    """A right in force today, entered by the examiner. Defaults: an invention filed three years
    less a week ago (its fourth year's annuity falls due in six or seven days), granted a year
    ago, wholly owned by enterprise_a, annuities paid up to today.
    `owners` takes Organisations (equal shares) or owner dicts; `paid=False` skips the annuities.

    Why the week: filed exactly 3 × 365 days ago, the fourth year's annuity fell due today or
    tomorrow (a leap day in between), so a request crossing midnight Beijing time read a right
    in its annuity grace period that the fixture had read as fully paid."""

    def make(**kw: Any) -> Right:
        kind = kw.setdefault("kind", "invention")
        filing = kw.setdefault("filing_date", today - timedelta(days=3 * 365 - 7))
        if "number" not in kw:
            kw["number"] = (
                patent_no(kind, filing.year)
                if kind in PATENT_TYPE_DIGIT
                else str(7_000_000 + next_number())
            )
        kw.setdefault(
            "title", "一种测试装置" if kind != "trademark" else kw.get("mark_text", "商标")
        )
        kw.setdefault("grant_date", today - timedelta(days=365))
        owners = kw.pop("owners", [enterprise_a])
        kw["owners"] = [o if isinstance(o, dict) else owner(o) for o in owners]
        paid = kw.pop("paid", True)
        right = right_create(actor=examiner, **kw)
        if paid:
            pay_annuities(right)
        return right

    return make


@pytest.fixture
def right(make_right: Callable[..., Right]) -> Right:
    return make_right()


@pytest.fixture
def make_trademark(make_right: Callable[..., Right]) -> Callable[..., Right]:
    def make(mark_text: str, groups: list[str] | None = None, **kw: Any) -> Right:
        groups = ["0901"] if groups is None else groups
        classes = sorted({int(g[:2]) for g in groups}) or [9]
        return make_right(
            kind="trademark",
            mark_text=mark_text,
            nice_classes=kw.pop("nice_classes", classes),
            similar_groups=groups,
            **kw,
        )

    return make


@pytest.fixture
def patent(examiner: User, enterprise_a: Organisation) -> Right:
    return make_patent(examiner=examiner, owner=enterprise_a)


@pytest.fixture
def submit(
    bank_a_user: User, enterprise_a: Organisation, today: date
) -> Callable[..., tuple[Pledge, list[CheckResult]]]:
    """File an application through the service and, unless `confirm=False`, have the pledgor's
    user confirm it (办法 arts. 3, 7: a joint application), so that it is with the examiner;
    defaults: bank_a for enterprise_a, 5,000,000.00 yuan for two years. Answers the checks too."""

    def do(rights: list[Right], **kw: Any) -> tuple[Pledge, list[CheckResult]]:
        confirm = kw.pop("confirm", True)
        kw.setdefault("actor", bank_a_user)
        kw.setdefault("pledgor_uscc", enterprise_a.uscc)
        kw.setdefault("debt_amount", "5000000.00")
        kw.setdefault("term_start", today)
        kw.setdefault("term_end", today + timedelta(days=2 * 365))
        kw.setdefault("contract_no", f"ZY-{next_number():05d}")
        pledge, checks = pledge_submit(rights=[r.number for r in rights], **kw)
        if confirm:
            signer_for(pledge.pledgor)
            pledge = other_party_confirms(pledge, today=kw.get("today"))
        return pledge, checks

    return do


@pytest.fixture
def make_pledge(
    bank_a_user: User, enterprise_a: Organisation, examiner: User
) -> Callable[..., Pledge]:
    """An application by bank_a for enterprise_a over a new patent (or `rights`), confirmed."""

    def make(**kw: Any) -> Pledge:
        rights = kw.pop("rights", None) or [make_patent(examiner=examiner, owner=enterprise_a)]
        return file_pledge(bank_user=bank_a_user, pledgor=enterprise_a, rights=rights, **kw)

    return make


@pytest.fixture
def pledge(make_pledge: Callable[..., Pledge]) -> Pledge:
    return make_pledge()


@pytest.fixture
def upload_contract(bank_a_user: User) -> Callable[..., PledgeDocument]:
    """Upload a generated contract PDF through the real service, as the pledgee's user (default
    bank_a's): what the bank does before the examiner may approve."""

    def upload(pledge: Pledge, actor: User | None = None) -> PledgeDocument:
        return pledge_document_upload(
            actor=actor or bank_a_user,
            pledge=pledge,
            uploaded_file=contract_file(pledge.contract_no),
        )

    return upload


@pytest.fixture
def process_env(tmp_path: Path) -> Callable[[], dict[str, str]]:
    """The environment for another process of ours (a server, a Celery worker) that must use the
    test database this test uses: its DATABASE_URL (the test database's own name), its own var
    folder. Its rows are visible to that process only once committed: use it with
    `transactional_db`."""

    def env() -> dict[str, str]:
        s = connection.settings_dict
        if connection.vendor == "sqlite":
            url = f"sqlite:///{s['NAME']}"
        else:
            host = s.get("HOST") or "127.0.0.1"
            port = s.get("PORT") or 5432
            url = f"postgres://{s.get('USER') or 'postgres'}@{host}:{port}/{s['NAME']}"
        out = {k: v for k, v in os.environ.items() if k not in ("IPFIN_TEST_DB", "PYTEST_ADDOPTS")}
        out.update(DATABASE_URL=url, IPFIN_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
        return out

    return env


# The brokers Celery may use, as the test machines run them at their standard local ports.
BROKER_URLS = {
    "rabbitmq": os.environ.get("IPFIN_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    "redis": os.environ.get("IPFIN_TEST_REDIS_BROKER_URL", "redis://127.0.0.1:6379/15"),
}


@pytest.fixture
def celery_broker(request: pytest.FixtureRequest) -> str:
    """The broker's URL: RabbitMQ unless a test is parametrized (indirectly) with "redis"."""
    return BROKER_URLS[getattr(request, "param", "rabbitmq")]


@pytest.fixture
def celery_workers(
    process_env: Callable[[], dict[str, str]], tmp_path: Path, celery_broker: str
) -> Any:
    """Real Celery workers (`ipfin celery worker`) on a real broker (RabbitMQ by default, Redis
    with `celery_broker` parametrized; both at their standard ports on CI's and the dev
    machines; IPFIN_TEST_BROKER_URL, IPFIN_TEST_REDIS_BROKER_URL for others), on a queue of this
    test's own, using this test's database. `start(**env)` starts one (its own process group)
    and answers it; `env(**extra)` the environment for a process that sends to them. All are
    killed at the end. Skipped without a broker, except under CI."""
    import subprocess
    import sys
    import uuid

    need(url_reachable(celery_broker), f"no message broker at {celery_broker}")
    queue = f"ipfin-test-{uuid.uuid4().hex[:12]}"
    started: list[subprocess.Popen[bytes]] = []
    ipfin = str(Path(sys.executable).with_name("ipfin"))

    class Workers:
        def env(self, **extra: str) -> dict[str, str]:
            out = process_env()
            out.update(CELERY_BROKER_URL=celery_broker, IPFIN_CELERY_QUEUE=queue, **extra)
            return out

        def start(self, **extra: str) -> subprocess.Popen[bytes]:
            log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
            proc = subprocess.Popen(  # noqa: S603 (our own command)
                [
                    ipfin,
                    "celery",
                    "worker",
                    "-Q",
                    queue,
                    "-c",
                    "1",
                    "-l",
                    "info",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"{queue}-{len(started)}@%h",
                ],
                env=self.env(**extra),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole, children too
            )
            started.append(proc)
            return proc

        def log(self, index: int) -> str:
            return (tmp_path / f"worker-{index}.log").read_text(errors="replace")

        def send(
            self, *args: str, timeout: float, **extra: str
        ) -> subprocess.CompletedProcess[bytes]:
            """`ipfin <args>` run as a process that sends to these workers (its output
            captured), whatever its exit status."""
            return subprocess.run(  # noqa: S603 (our own command)
                [ipfin, *args],
                env=self.env(**extra),
                capture_output=True,
                timeout=timeout,
                check=False,
            )

    yield Workers()
    import signal

    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # The test's queue goes with it (RabbitMQ keeps a declared queue otherwise).
    Workers().send("celery", "purge", "-f", "-Q", queue, timeout=60)
