"""Pledge fixtures: rights entered through the real registry services (annuities paid up to today,
so that they are in force), and applications filed through the real pledge service.

Also the `postgres_only` marker's hook: those tests need PostgreSQL's row locks and truly
concurrent transactions, and are skipped with a reason on SQLite.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.pledges.domain import CheckResult
from ipfin.pledges.models import Pledge, PledgeDocument
from ipfin.pledges.samples import contract_file, other_party_confirms
from ipfin.pledges.services import pledge_document_upload, pledge_submit
from ipfin.registry.domain import RightKind, annuity_schedule, cn_application_check_digit
from ipfin.registry.models import Right
from ipfin.registry.services import right_create, right_event_record


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: row locks and truly concurrent transactions (SQLite serialises "
            f"writers; this run uses {connection.vendor}). "
            "Run with DATABASE_URL=postgres://... to include it."
        )


_seq = itertools.count(1)
_TYPE_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}


def patent_no(kind: str = "invention", year: int = 2021) -> str:
    body = f"{year:04d}{_TYPE_DIGIT[kind]}{6_000_000 + next(_seq):07d}"
    return f"{body}.{cn_application_check_digit(body)}"


def owner(org: Organisation, share: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"name": org.name, "uscc": org.uscc}
    if share is not None:
        data["share"] = share
    return data


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    """Uploaded contracts go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def pay_annuities(examiner: User, today: date) -> Callable[..., None]:
    """Record every annuity due up to `until` (default today) as paid on its due date."""

    def pay(right: Right, until: date | None = None) -> None:
        if right.kind not in ("invention", "utility_model", "design") or right.grant_date is None:
            return
        limit = until or today
        schedule = annuity_schedule(RightKind(right.kind), right.filing_date, right.grant_date)
        for year, due in schedule:
            if due <= limit:
                right_event_record(
                    actor=examiner,
                    right=right,
                    type="annuity_paid",
                    date=due,
                    payload={"year": year},
                )

    return pay


@pytest.fixture
def make_right(
    examiner: User, enterprise_a: Organisation, today: date, pay_annuities: Callable[..., None]
) -> Callable[..., Right]:
    """A right in force today, entered by the examiner. Defaults: an invention filed three years
    ago, granted a year ago, wholly owned by enterprise_a, annuities paid up to today.
    `owners` takes Organisations (equal shares) or owner dicts; `paid=False` skips the annuities."""

    def make(**kw: Any) -> Right:
        kind = kw.setdefault("kind", "invention")
        filing = kw.setdefault("filing_date", today - timedelta(days=3 * 365))
        if "number" not in kw:
            kw["number"] = (
                patent_no(kind, filing.year) if kind in _TYPE_DIGIT else str(7_000_000 + next(_seq))
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
def submit(
    bank_a_user: User, enterprise_a: Organisation, today: date, make_user: Callable[..., User]
) -> Callable[..., tuple[Pledge, list[CheckResult]]]:
    """File an application through the service and, unless `confirm=False`, have the pledgor's
    user confirm it (办法 arts. 3, 7: a joint application), so that it is with the examiner;
    defaults: bank_a for enterprise_a, 5,000,000.00 yuan for two years."""

    def do(rights: list[Right], **kw: Any) -> tuple[Pledge, list[CheckResult]]:
        confirm = kw.pop("confirm", True)
        kw.setdefault("actor", bank_a_user)
        kw.setdefault("pledgor_uscc", enterprise_a.uscc)
        kw.setdefault("debt_amount", "5000000.00")
        kw.setdefault("term_start", today)
        kw.setdefault("term_end", today + timedelta(days=2 * 365))
        kw.setdefault("contract_no", f"ZY-{next(_seq):05d}")
        pledge, checks = pledge_submit(rights=[r.number for r in rights], **kw)
        if confirm:
            signer_for(pledge.pledgor, make_user)
            pledge = other_party_confirms(pledge, today=kw.get("today"))
        return pledge, checks

    return do


def signer_for(org: Organisation, make_user: Callable[..., User]) -> User:
    """A user of `org` to sign for it: its first, or a new one."""
    existing = User.objects.filter(organisation=org).order_by("pk").first()
    return existing or make_user(f"signer-{org.pk}", org)


@pytest.fixture
def right(make_right: Callable[..., Right]) -> Right:
    return make_right()


@pytest.fixture
def enterprise_b(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org("enterprise", "乙制造有限公司")


@pytest.fixture
def enterprise_b_user(make_user: Callable[..., User], enterprise_b: Organisation) -> User:
    return make_user("enterprise_b", enterprise_b)


@pytest.fixture
def bank_a_api(api_client: Callable[..., Any], bank_a_user: User) -> Any:
    return api_client(bank_a_user)


@pytest.fixture
def bank_b_api(api_client: Callable[..., Any], bank_b_user: User) -> Any:
    return api_client(bank_b_user)


@pytest.fixture
def examiner_api(api_client: Callable[..., Any], examiner: User) -> Any:
    return api_client(examiner)


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
