"""Period-end positions (ipfin.stats.models.PositionSnapshot): the statistics read a quarter's
balances and NPL from the snapshot of its last day when one is fresh, and they are the figures the
loans' history gives; anything recorded afterwards that touches the day makes the snapshot stale,
and the history answers again until the daily job takes it anew."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ipfin.accounts.models import User
from ipfin.common.errors import ValidationFailed
from ipfin.loans import services as loans
from ipfin.loans.models import LoanClassification
from ipfin.stats.models import LoanPosition, PositionSnapshot
from ipfin.stats.selectors import positions_snapshot_is_fresh
from ipfin.stats.services import positions_snapshot_take, positions_snapshots_refresh
from ipfin.stats.tests.conftest import Book, _lend, _pledge

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/indicators"
CUTS = ("bank", "park", "region", "size", "right_kind", "product", "quarter")
Q1 = {"from": "2025-01-01", "to": "2025-03-31"}
Q2 = {"from": "2025-04-01", "to": "2025-06-30"}


def _bodies(client: Any, period: dict[str, str]) -> dict[str, Any]:
    out = {}
    for by in CUTS:
        response = client.get(URL, {**period, "by": by})
        assert response.status_code == 200, response.content
        out[by] = response.json()
    return out


def test_every_cut_reads_the_same_figures_from_a_snapshot_as_from_the_history(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    client = api_client(regulator_user)
    for period in (Q1, Q2):
        live = _bodies(client, period)
        snapshot = positions_snapshot_take(
            as_of=date.fromisoformat(period["to"]), today=date(2025, 7, 1)
        )
        assert positions_snapshot_is_fresh(snapshot.as_of)
        assert _bodies(client, period) == live, period["to"]
    # On 30 June: L1 (266,666.67, 107 days past due), L3 (300,000.00, 次级) and L2, repaid in
    # full but not closed, are on the books.
    positions = LoanPosition.objects.filter(snapshot__as_of=date(2025, 6, 30))
    assert {(p.loan_id, p.balance_fen, p.npl) for p in positions} == {
        (book.l1.pk, 26_666_667, 1),
        (book.l2.pk, 0, 0),
        (book.l3.pk, 30_000_000, 1),
    }


def test_the_figures_come_from_the_snapshot_when_it_is_fresh(
    book: Book, regulator_user: User, api_client: Callable[..., Any]
) -> None:
    """Proof that the snapshot is what is read: a position changed by hand shows in the figures
    (nothing but this test ever writes a position)."""
    positions_snapshot_take(as_of=date(2025, 3, 31), today=date(2025, 4, 1))
    LoanPosition.objects.filter(loan_id=book.l3.pk).update(balance_fen=12_345)
    body = api_client(regulator_user).get(URL, Q1).json()
    assert body["total"]["balance"] == "266790.12"  # 266,666.67 + 123.45


def test_a_repayment_recorded_later_for_a_day_on_or_before_makes_it_stale(
    book: Book, regulator_user: User, api_client: Callable[..., Any], bank_a_user: User
) -> None:
    client = api_client(regulator_user)
    positions_snapshot_take(as_of=date(2025, 6, 30), today=date(2025, 7, 1))
    loans.loan_repay(
        actor=bank_a_user, loan=book.l1, amount="150000.00", paid_on=date(2025, 6, 1),
        today=date(2025, 7, 5),
    )  # fmt: skip
    assert not positions_snapshot_is_fresh(date(2025, 6, 30))
    body = client.get(URL, Q2).json()
    # Penalty and interest come first, the rest repays principal: the balance is the history's,
    # below the snapshot's 566,666.67.
    assert Decimal(body["total"]["balance"]) < Decimal("566666.67")
    positions_snapshot_take(as_of=date(2025, 6, 30), today=date(2025, 7, 5))
    assert positions_snapshot_is_fresh(date(2025, 6, 30))
    assert client.get(URL, Q2).json() == body


def test_a_repayment_dated_after_the_day_leaves_it_fresh(book: Book, bank_a_user: User) -> None:
    positions_snapshot_take(as_of=date(2025, 3, 31), today=date(2025, 4, 1))
    loans.loan_repay(
        actor=bank_a_user, loan=book.l1, amount="1000.00", paid_on=date(2025, 4, 20),
        today=date(2025, 4, 20),
    )  # fmt: skip
    assert positions_snapshot_is_fresh(date(2025, 3, 31))


def test_a_classification_effective_on_or_before_the_day_makes_it_stale(
    book: Book, bank_a_user: User
) -> None:
    positions_snapshot_take(as_of=date(2025, 6, 30), today=date(2025, 7, 1))
    loans.loan_classify_manual(
        actor=bank_a_user, loan=book.l1, category="doubtful", reason="借款人停产，无力偿还",
        today=date(2025, 6, 20),
    )  # fmt: skip
    assert not positions_snapshot_is_fresh(date(2025, 6, 30))


def test_a_loan_disbursed_later_with_an_earlier_date_makes_it_stale(
    book: Book,
    bank_a_user: User,
    examiner: User,
    make_right: Callable[..., Any],
    upload_contract: Callable[..., Any],
    today: date,
) -> None:
    positions_snapshot_take(as_of=date(2025, 6, 30), today=date(2025, 7, 1))
    kw = {"examiner": examiner, "make_right": make_right, "upload_contract": upload_contract}
    pledge, right = _pledge(bank_user=bank_a_user, enterprise=book.e_b, today=today, **kw)
    assert positions_snapshot_is_fresh(date(2025, 6, 30))  # a pledge alone changes no position
    _lend(
        bank_a_user, book.e_b, pledge, right, principal="50000.00", rate="0.05", months=6,
        start=date(2025, 6, 15),
    )  # fmt: skip
    assert not positions_snapshot_is_fresh(date(2025, 6, 30))


def test_only_a_day_that_is_over_can_be_snapshotted(book: Book) -> None:
    with pytest.raises(ValidationFailed) as caught:
        positions_snapshot_take(as_of=date(2025, 7, 1), today=date(2025, 7, 1))
    assert caught.value.extra == {"field": "as_of"}
    assert not PositionSnapshot.objects.exists()
    with pytest.raises(CommandError, match="not over"):
        call_command("snapshot_positions", "--as-of", "2025-07-01", "--today", "2025-07-01")


def test_the_daily_job_takes_each_quarter_end_once_and_again_when_stale(
    book: Book, bank_a_user: User
) -> None:
    # The first loan was disbursed on 2024-11-20: quarters 2024Q4 to 2025Q2 are over on 1 July.
    taken = positions_snapshots_refresh(today=date(2025, 7, 1))
    assert [s.as_of for s in taken] == [date(2024, 12, 31), date(2025, 3, 31), date(2025, 6, 30)]
    assert [s.loans for s in taken] == [1, 3, 3]  # L3; then L1 and L2 (repaid, not closed) too
    assert positions_snapshots_refresh(today=date(2025, 7, 1)) == []
    loans.loan_repay(
        actor=bank_a_user, loan=book.l1, amount="1000.00", paid_on=date(2025, 6, 1),
        today=date(2025, 7, 2),
    )  # fmt: skip
    out = StringIO()
    call_command("snapshot_positions", "--today", "2025-07-02", stdout=out)
    assert json.loads(out.getvalue()) == {"taken": [{"as_of": "2025-06-30", "loans": 3}]}
    assert PositionSnapshot.objects.count() == 3


def test_no_loan_disbursed_no_snapshot(db: Any) -> None:
    assert positions_snapshots_refresh(today=date(2025, 7, 1)) == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_write_in_flight_is_waited_for_never_missed(book: Book) -> None:
    """Ids are handed out before their rows commit. A classification in flight (id n) while a
    later one (id n + 1) commits: without the snapshot's table lock the marks would pass n, the
    snapshot would miss row n and still be read as fresh. With it, the snapshot waits for the
    writer in flight and holds its row."""
    from django.db import connection, transaction

    in_flight, commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                LoanClassification.objects.create(
                    loan_id=book.l1.pk, effective_on=date(2025, 3, 20), category="doubtful"
                )
                in_flight.set()
                commit.wait(10)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)
            in_flight.set()
        finally:
            connection.close()

    taken: list[PositionSnapshot] = []

    def snapshot() -> None:
        try:
            taken.append(positions_snapshot_take(as_of=date(2025, 3, 31), today=date(2025, 4, 1)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=writer)
    first.start()
    assert in_flight.wait(10)
    LoanClassification.objects.create(  # a later id, committed first
        loan_id=book.l2.pk, effective_on=date(2025, 3, 20), category="special_mention"
    )
    taker = threading.Thread(target=snapshot)
    taker.start()
    taker.join(1.5)
    assert taker.is_alive(), "the snapshot did not wait for the write in flight"
    commit.set()
    first.join(10)
    taker.join(30)
    assert not errors and len(taken) == 1
    assert positions_snapshot_is_fresh(date(2025, 3, 31))
    l1 = LoanPosition.objects.get(snapshot=taken[0], loan_id=book.l1.pk)
    assert l1.npl == 1  # 可疑 since 20 March: the row in flight is in the snapshot


def test_async_as_of_takes_that_day_in_the_background_run(book: Book) -> None:
    """`--async --as-of` was run as the daily refresh: the day asked for was never taken."""
    out = StringIO()
    call_command(
        "snapshot_positions", "--async", "--wait", "30", "--as-of", "2025-03-31",
        "--today", "2025-07-01", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue())["result"]["as_of"] == ["2025-03-31"]
    assert list(PositionSnapshot.objects.values_list("as_of", flat=True)) == [date(2025, 3, 31)]


def test_the_snapshot_job_runs_for_the_day_it_was_queued(book: Book) -> None:
    """Queued on 1 July 2025 and reached by a worker later: the quarters over by 1 July are
    taken, not those over by the day the worker runs (2025Q3 and later)."""
    from ipfin.jobs.registry import QUEUED_ON_KEY, RUN_KEY, job_spec

    result = job_spec("snapshot_positions").run({QUEUED_ON_KEY: "2025-07-01", RUN_KEY: 0}, 0, 0)
    assert result["as_of"] == ["2024-12-31", "2025-03-31", "2025-06-30"]


def test_an_edit_of_the_holiday_arrangements_since_makes_it_stale_minfadian_art_203(
    book: Book, office_admin: User
) -> None:
    """An instalment is late from the day after its payable day, the due date moved past rest
    days on the office's calendar: an arrangement entered or corrected after the snapshot may
    move a payable day, so the snapshot is read again from the history."""
    from ipfin.holidays.domain import ArrangementDay, DayKind
    from ipfin.holidays.selectors import year_view
    from ipfin.holidays.services import arrangement_save

    positions_snapshot_take(as_of=date(2025, 6, 30), today=date(2025, 7, 1))
    assert positions_snapshot_is_fresh(date(2025, 6, 30))
    arrangement_save(
        actor=office_admin,
        year=2031,
        version=year_view(2031).version,
        notice="国务院办公厅关于2031年部分节假日安排的通知（测试）",
        published_on=None,
        days=[ArrangementDay(date(2031, 1, 1), DayKind.HOLIDAY, "元旦")],
    )
    assert not positions_snapshot_is_fresh(date(2025, 6, 30))
