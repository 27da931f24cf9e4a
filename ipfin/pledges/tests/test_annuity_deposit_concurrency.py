"""Annuity deposits (预缴年费, issue 12) under truly concurrent work (PostgreSQL only: the
`postgres_only` hook skips them on SQLite, whose single writer serialises everything): draws at
once pay each year once; a release during the draws never both pays and refunds a year; two
deposits at once make one. The years are those of 专利法实施细则 2023 r. 115 (专利收费标准 fees)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.common.tests.concurrency import THREADS, run_at_once
from ipfin.pledges.models import AnnuityDeposit, Pledge
from ipfin.pledges.services import (
    annuity_deposit_create,
    annuity_deposit_draw,
    pledge_release,
)
from ipfin.pledges.tests.conftest import DepositCase
from ipfin.registry.models import RightEvent

SPAN = 5  # years 3..7 fall due between the registration and today: 900 + 3 × 1,200 + 2,000


def _deposit(case: DepositCase, actor: User) -> AnnuityDeposit:
    return annuity_deposit_create(
        actor=actor, pledge=case.pledge, right_number=case.right.number, today=case.registered_on
    )


def _paid_years(case: DepositCase) -> list[int]:
    return sorted(
        RightEvent.objects.filter(right=case.right, type="annuity_paid").values_list(
            "payload__year", flat=True
        )
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_draws_at_once_pay_each_year_once_shishi_xize_r115_issue12(
    make_deposit_case: Callable[..., DepositCase], bank_a_user: User
) -> None:
    assert connection.vendor == "postgresql"
    case = make_deposit_case(span=SPAN)
    deposit = _deposit(case, bank_a_user)
    today = timezone.localdate()

    results = run_at_once(lambda i: annuity_deposit_draw(on=today))
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(summary.years for _, summary in results) == SPAN
    assert sum(summary.amount for _, summary in results) == Decimal("6500.00")
    assert _paid_years(case) == [2, 3, 4, 5, 6, 7]  # year 2 before the pledge, then once each
    assert list(deposit.years.order_by("year").values_list("outcome", flat=True)) == [
        "paid",
        "paid",
        "paid",
        "paid",
        "paid",
        "",
    ]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_release_during_the_draws_never_pays_and_refunds_a_year_issue12(
    make_deposit_case: Callable[..., DepositCase], bank_a_user: User
) -> None:
    case = make_deposit_case(span=SPAN)
    deposit = _deposit(case, bank_a_user)
    today = timezone.localdate()

    def work(i: int) -> object:
        if i == 0:
            actor = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
            return pledge_release(actor=actor, pledge=Pledge.objects.get(pk=case.pledge.pk)).state
        return annuity_deposit_draw(on=today)

    results = run_at_once(work)
    assert all(kind == "ok" for kind, _ in results), results
    deposit.refresh_from_db()
    paid = sum(
        (y.amount for y in deposit.years.all() if y.outcome == "paid"), start=Decimal("0.00")
    )
    assert deposit.refund_amount is not None
    assert paid + deposit.refund_amount == deposit.amount == Decimal("8500.00")
    # The release pays what fell due while the pledge was in force if no draw got there first.
    assert paid == Decimal("6500.00") and deposit.refund_amount == Decimal("2000.00")
    assert _paid_years(case) == [2, 3, 4, 5, 6, 7]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_deposits_at_once_make_one_issue12(
    make_deposit_case: Callable[..., DepositCase], bank_a_user: User
) -> None:
    case = make_deposit_case()

    def deposit(i: int) -> int:
        actor = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
        return _deposit(case, actor).pk

    results = run_at_once(deposit)
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes == ["conflict"] * (THREADS - 1) + ["ok"], results
    assert {value for kind, value in results if kind == "conflict"} == {"annuity_deposit_exists"}
    assert AnnuityDeposit.objects.count() == 1
