"""Annuity deposits of pledged patents (预缴年费) through the real services and database.

Source: issue 12 (seed 000 is not on disk; the issue states the rule, DOMAIN.md's Annuities rule
gives the dates): "the pledgor or the bank deposits the annuities for the pledge term; on each due
date `risk_scan` records the annuity paid from the deposit; what is left is refunded when the
pledge is released. No annuity_due/grace_period alert for a year that is covered." The years, due
dates and fees are the register's: 专利法实施细则 2023 r. 115 (owed from the grant year, due on
the filing anniversary), r. 116 (6 months' grace), 专利收费标准 (the official fee, full: 费减 is
not modelled). Test names carry `shishi_xize_r115` / `issue12`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, ValidationFailed
from ipfin.pledges.models import AnnuityDeposit, AnnuityDepositYear
from ipfin.pledges.selectors import covered_annuities
from ipfin.pledges.services import (
    DrawSummary,
    annuity_deposit_create,
    annuity_deposit_draw,
    pledge_release,
)
from ipfin.pledges.tests.conftest import DepositCase
from ipfin.registry.domain import TERMINAL_STATUSES
from ipfin.registry.models import Right, RightEvent
from ipfin.registry.selectors import right_status
from ipfin.registry.services import right_event_record

pytestmark = pytest.mark.django_db

D = Decimal
ONE_DAY = timedelta(days=1)


def _deposit(case: DepositCase, actor: User) -> AnnuityDeposit:
    return annuity_deposit_create(
        actor=actor, pledge=case.pledge, right_number=case.right.number, today=case.registered_on
    )


def _paid_events(right: Right) -> list[tuple[int, date, Any]]:
    return sorted(
        (e.payload["year"], e.date, e.payload.get("source"))
        for e in RightEvent.objects.filter(right=right, type="annuity_paid")
    )


def _years(deposit: AnnuityDeposit) -> list[tuple[int, date, Decimal, str, date | None]]:
    return [
        (y.year, y.due_date, y.amount, y.outcome, y.drawn_on)
        for y in AnnuityDepositYear.objects.filter(deposit=deposit).order_by("year")
    ]


def _changed() -> tuple[int, int, int, int]:
    return (
        AnnuityDeposit.objects.count(),
        AnnuityDepositYear.objects.count(),
        AuditRecord.objects.filter(action__startswith="pledge.annuity_deposit").count(),
        Notification.objects.filter(verb__startswith="pledge.annuity_deposit").count(),
    )


# --- making a deposit ----------------------------------------------------------------------------


def test_deposit_covers_the_unpaid_annuities_due_in_the_pledge_term_shishi_xize_r115_issue12(
    deposit_case: DepositCase, bank_a_user: User, bank_a: Organisation, enterprise_a: Organisation
) -> None:
    deposit = _deposit(deposit_case, bank_a_user)
    due = deposit_case.due
    # Year 2 was paid before the registration; years 3 and 4 fall due in the term (the day of the
    # deposit to the term's end, both included), year 5 after it. Invention fees: 900, 1,200.
    assert _years(deposit) == [
        (3, due[3], D("900.00"), "", None),
        (4, due[4], D("1200.00"), "", None),
    ]
    assert deposit.amount == D("2100.00")
    assert deposit.depositor_id == bank_a.pk
    assert deposit.created_on == deposit_case.registered_on
    assert deposit.refunded_on is None and deposit.refund_amount is None
    record = AuditRecord.objects.get(action="pledge.annuity_deposit")
    assert record.actor_id == bank_a_user.pk
    assert record.after["amount"] == "2100.00"
    assert [y["year"] for y in record.after["years"]] == [3, 4]
    told = Notification.objects.get(verb="pledge.annuity_deposit")
    assert told.organisation_id == enterprise_a.pk  # the other party
    assert "2,100.00 元" in told.message_zh and "CNY 2,100.00" in told.message_en
    assert covered_annuities([deposit_case.right.pk]) == {
        (deposit_case.right.pk, 3),
        (deposit_case.right.pk, 4),
    }


def test_the_pledgor_deposits_too_and_is_the_depositor_issue12(
    deposit_case: DepositCase, bank_a: Organisation, enterprise_a: Organisation
) -> None:
    signer = User.objects.filter(organisation=enterprise_a).order_by("pk").first()
    assert signer is not None
    deposit = _deposit(deposit_case, signer)
    assert deposit.depositor_id == enterprise_a.pk
    told = Notification.objects.get(verb="pledge.annuity_deposit")
    assert told.organisation_id == bank_a.pk


def test_a_year_already_paid_is_not_deposited_shishi_xize_r115(
    deposit_case: DepositCase, bank_a_user: User, examiner: User
) -> None:
    # The owner paid year 3 early (any day before its due date is a payment in time).
    right_event_record(
        actor=examiner,
        right=deposit_case.right,
        type="annuity_paid",
        date=deposit_case.registered_on,
        payload={"year": 3},
    )
    deposit = _deposit(deposit_case, bank_a_user)
    assert [y[0] for y in _years(deposit)] == [4]
    assert deposit.amount == D("1200.00")


def test_nothing_to_cover_is_a_409_and_changes_nothing_issue12(
    deposit_case: DepositCase, bank_a_user: User, examiner: User
) -> None:
    for year in (3, 4):
        right_event_record(
            actor=examiner,
            right=deposit_case.right,
            type="annuity_paid",
            date=deposit_case.registered_on,
            payload={"year": year},
        )
    before = _changed()
    with pytest.raises(Conflict) as info:
        _deposit(deposit_case, bank_a_user)
    assert info.value.code == "nothing_to_cover"
    assert _changed() == before


def test_one_live_deposit_per_pledge_and_right_issue12(
    deposit_case: DepositCase, bank_a_user: User, enterprise_a: Organisation
) -> None:
    _deposit(deposit_case, bank_a_user)
    before = _changed()
    signer = User.objects.filter(organisation=enterprise_a).order_by("pk").first()
    for actor in (bank_a_user, signer):
        with pytest.raises(Conflict) as info:
            _deposit(deposit_case, actor)  # type: ignore[arg-type]
        assert info.value.code == "annuity_deposit_exists"
    assert _changed() == before


def test_a_right_not_in_the_pledge_is_a_422_issue12(
    deposit_case: DepositCase, bank_a_user: User, make_right: Callable[..., Right]
) -> None:
    other = make_right()
    before = _changed()
    for number in (other.number, "not a number ④"):
        with pytest.raises(ValidationFailed) as info:
            annuity_deposit_create(
                actor=bank_a_user,
                pledge=deposit_case.pledge,
                right_number=number,
                today=deposit_case.registered_on,
            )
        assert info.value.code == "right_not_in_pledge"
        assert info.value.extra["field"] == "right_number"
    assert _changed() == before


def test_the_right_named_in_another_spelling_is_found(
    deposit_case: DepositCase, bank_a_user: User
) -> None:
    deposit = annuity_deposit_create(
        actor=bank_a_user,
        pledge=deposit_case.pledge,
        right_number=f"ZL{deposit_case.right.number.replace('.', '')}",
        today=deposit_case.registered_on,
    )
    assert deposit.right_id == deposit_case.right.pk


def test_only_the_parties_deposit_others_get_a_404_issue12(
    deposit_case: DepositCase, bank_b_user: User, examiner: User
) -> None:
    before = _changed()
    for stranger in (bank_b_user, examiner):
        with pytest.raises(NotFound):
            _deposit(deposit_case, stranger)
    assert _changed() == before


def test_an_application_not_registered_has_no_deposit_minfadian_art444(
    make_pledge: Callable[..., Any], bank_a_user: User
) -> None:
    # The pledge arises on registration (民法典 art. 444): before it there is nothing to secure.
    pledge = make_pledge()
    before = _changed()
    with pytest.raises(Conflict) as info:
        annuity_deposit_create(
            actor=bank_a_user, pledge=pledge, right_number=pledge.items.get().right.number
        )
    assert info.value.code == "pledge_not_in_force"
    assert _changed() == before


def test_a_released_pledge_has_no_deposit_issue12(
    deposit_case: DepositCase, bank_a_user: User
) -> None:
    pledge_release(actor=bank_a_user, pledge=deposit_case.pledge)
    with pytest.raises(Conflict) as info:
        annuity_deposit_create(
            actor=bank_a_user, pledge=deposit_case.pledge, right_number=deposit_case.right.number
        )
    assert info.value.code == "pledge_not_in_force"
    assert not AnnuityDeposit.objects.exists()


# --- the draw ------------------------------------------------------------------------------------


def test_drawn_on_the_due_date_and_not_before_shishi_xize_r115_issue12(
    deposit_case: DepositCase, bank_a_user: User, bank_a: Organisation
) -> None:
    deposit = _deposit(deposit_case, bank_a_user)
    right, due = deposit_case.right, deposit_case.due
    assert annuity_deposit_draw(on=due[3] - timedelta(days=1)) == DrawSummary()
    assert _paid_events(right) == [(2, due[2], None)]
    summary = annuity_deposit_draw(on=due[3])
    assert summary == DrawSummary(years=1, amount=D("900.00"))
    assert summary.as_dict() == {
        "years": 1,
        "amount": "900.00",
        "paid_otherwise": 0,
        "not_payable": 0,
    }
    # Recorded paid on its due date by the platform (no user), from the deposit: in time, so no
    # grace period and no late fee (r. 116, 专利收费标准).
    assert _paid_events(right) == [(2, due[2], None), (3, due[3], "deposit")]
    event = RightEvent.objects.get(right=right, payload__year=3)
    assert event.recorded_by is None
    assert event.payload["late_fee"] == "0.00" and event.payload["amount"] == "900.00"
    assert _years(deposit)[0] == (3, due[3], D("900.00"), "paid", due[3])
    assert AnnuityDepositYear.objects.get(deposit=deposit, year=3).event_id == event.pk
    assert right_status(right, on=due[3]).status == "in_force"
    draw = AuditRecord.objects.get(action="pledge.annuity_deposit_draw")
    assert draw.actor_id is None and draw.actor_username == "system"
    assert draw.after["source"] == "deposit" and draw.after["year"] == 3
    assert Notification.objects.filter(
        verb="pledge.annuity_deposit_draw", organisation=bank_a
    ).exists()
    assert covered_annuities([right.pk]) == {(right.pk, 4)}


def test_the_draw_is_idempotent_issue12(deposit_case: DepositCase, bank_a_user: User) -> None:
    _deposit(deposit_case, bank_a_user)
    today = timezone.localdate()
    assert annuity_deposit_draw(on=today).years == 1
    events = _paid_events(deposit_case.right)
    audits = AuditRecord.objects.count()
    for on in (today, deposit_case.due[3], today + timedelta(days=400)):
        assert annuity_deposit_draw(on=on) == DrawSummary()
    assert _paid_events(deposit_case.right) == events
    assert AuditRecord.objects.count() == audits


def test_a_draw_as_of_a_later_day_pays_nothing_dated_after_today_issue12(
    deposit_case: DepositCase, bank_a_user: User
) -> None:
    # Year 4 falls due in about a year: a draw "as of" then cannot record a future payment.
    deposit = _deposit(deposit_case, bank_a_user)
    summary = annuity_deposit_draw(on=deposit_case.due[4] + timedelta(days=1))
    assert summary.years == 1  # year 3 only
    assert [y[3] for y in _years(deposit)] == ["paid", ""]
    assert (deposit_case.right.pk, 4) in covered_annuities([deposit_case.right.pk])


def test_a_year_paid_otherwise_is_not_paid_twice_and_is_refunded_issue12(
    deposit_case: DepositCase, bank_a_user: User, examiner: User
) -> None:
    deposit = _deposit(deposit_case, bank_a_user)
    due = deposit_case.due
    right_event_record(
        actor=examiner,
        right=deposit_case.right,
        type="annuity_paid",
        date=due[3] - timedelta(days=3),
        payload={"year": 3},
    )
    summary = annuity_deposit_draw(on=timezone.localdate())
    assert summary == DrawSummary(paid_otherwise=1)
    assert [(y, d, s) for y, d, s in _paid_events(deposit_case.right)] == [
        (2, due[2], None),
        (3, due[3] - timedelta(days=3), None),
    ]
    assert _years(deposit)[0] == (3, due[3], D("900.00"), "paid_otherwise", due[3])
    pledge_release(actor=bank_a_user, pledge=deposit_case.pledge)
    deposit.refresh_from_db()
    assert deposit.refund_amount == D("2100.00")  # year 3 (paid otherwise) and year 4


def test_a_year_the_register_refuses_is_not_payable_and_refunded_shishi_xize_r115(
    deposit_case: DepositCase, bank_a_user: User, examiner: User
) -> None:
    # The patent was declared invalid before year 3 fell due: no annuity is paid for it.
    deposit = _deposit(deposit_case, bank_a_user)
    right_event_record(
        actor=examiner,
        right=deposit_case.right,
        type="invalidated",
        date=deposit_case.due[3] - timedelta(days=5),
        payload={"scope": "whole"},
    )
    assert annuity_deposit_draw(on=timezone.localdate()) == DrawSummary(not_payable=1)
    year = AnnuityDepositYear.objects.get(deposit=deposit, year=3)
    assert (year.outcome, year.refusal, year.event_id) == ("not_payable", "right_terminated", None)
    assert _paid_events(deposit_case.right) == [(2, deposit_case.due[2], None)]
    pledge_release(actor=bank_a_user, pledge=deposit_case.pledge)
    deposit.refresh_from_db()
    assert deposit.refund_amount == D("2100.00")


# --- the refund at the release ---------------------------------------------------------------


def test_release_refunds_what_was_not_paid_to_the_fen_issue12(
    deposit_case: DepositCase, bank_a_user: User, bank_a: Organisation
) -> None:
    deposit = _deposit(deposit_case, bank_a_user)
    annuity_deposit_draw(on=timezone.localdate())
    pledge_release(actor=bank_a_user, pledge=deposit_case.pledge)
    deposit.refresh_from_db()
    assert deposit.refunded_on == timezone.localdate()
    assert deposit.refund_amount == D("1200.00")  # 2,100.00 deposited − 900.00 paid (year 3)
    record = AuditRecord.objects.get(action="pledge.annuity_deposit_refund")
    assert record.actor_id == bank_a_user.pk
    assert record.before["refund_amount"] is None and record.after["refund_amount"] == "1200.00"
    told = Notification.objects.get(verb="pledge.annuity_deposit_refund")
    assert told.organisation_id == bank_a.pk and "1,200.00 元" in told.message_zh
    assert covered_annuities([deposit_case.right.pk]) == set()
    # Refunded: nothing more is ever drawn.
    assert annuity_deposit_draw(on=timezone.localdate() + timedelta(days=800)) == DrawSummary()


def test_release_first_pays_what_fell_due_while_in_force_issue12(
    deposit_case: DepositCase, bank_a_user: User
) -> None:
    # No draw ran since year 3 fell due: the release pays it (the pledge was in force on its due
    # date) before refunding the rest.
    deposit = _deposit(deposit_case, bank_a_user)
    pledge_release(actor=bank_a_user, pledge=deposit_case.pledge)
    deposit.refresh_from_db()
    assert [y[3] for y in _years(deposit)] == ["paid", ""]
    assert deposit.refund_amount == D("1200.00")
    assert (3, deposit_case.due[3], "deposit") in _paid_events(deposit_case.right)


def test_a_pledge_released_before_a_due_date_draws_nothing_after_issue12(
    deposit_case: DepositCase, bank_a_user: User
) -> None:
    deposit = _deposit(deposit_case, bank_a_user)
    released = deposit_case.due[3] - timedelta(days=1)
    pledge_release(actor=bank_a_user, pledge=deposit_case.pledge, today=released)
    deposit.refresh_from_db()
    assert (deposit.refunded_on, deposit.refund_amount) == (released, D("2100.00"))
    assert annuity_deposit_draw(on=timezone.localdate()) == DrawSummary()
    assert _paid_events(deposit_case.right) == [(2, deposit_case.due[2], None)]
    assert [y[3] for y in _years(deposit)] == ["", ""]


# --- the property: Σ paid + refund = deposited, to the fen ----------------------------------------

SPAN = 5  # years 3..7 fall due between the registration and today, year 8 after today


@pytest.fixture
def long_case(make_deposit_case: Callable[..., DepositCase]) -> DepositCase:
    return make_deposit_case(span=SPAN)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    paid_otherwise=st.sets(st.integers(3, 3 + SPAN)),
    draws=st.lists(st.integers(0, 100), max_size=6),
    release=st.integers(0, 100),
    invalidated=st.none() | st.integers(1, 100),
)
@example(paid_otherwise=set(), draws=[], release=100, invalidated=None)  # no draw ever ran
@example(paid_otherwise={4, 6}, draws=[30, 60, 90], release=75, invalidated=None)
@example(paid_otherwise={3, 8}, draws=[100], release=0, invalidated=None)  # released at once
@example(paid_otherwise={5}, draws=[10, 50], release=100, invalidated=40)
def test_paid_and_refunded_make_the_deposit_exactly_issue12(
    paid_otherwise: set[int],
    draws: list[int],
    release: int,
    invalidated: int | None,
    long_case: DepositCase,
    bank_a_user: User,
    examiner: User,
) -> None:
    """Any history — years the owner also paid at the office's desk the day the deposit was made,
    draws on any days, the patent declared invalid on any day, the release on any day from the
    deposit to today —: what was paid from the deposit plus the refund is what was deposited, to
    the fen; each year is paid at most once; a year due while the pledge was in force is paid from
    the deposit unless it was paid otherwise or the register refused it (the patent ended by
    then); nothing is settled for a year due on or after the release. Days are percentages of
    the way from the registration to today; on one day, the draw runs before the release (the
    daily job in the morning, the release during the day)."""
    with transaction.atomic():  # each example rolls back its writes: the pledge is built once
        case = long_case
        start, today = case.registered_on, timezone.localdate()

        def day(percent: int) -> date:
            return start + timedelta(days=(today - start).days * percent // 100)

        released = day(release)
        deposit = _deposit(case, bank_a_user)
        for year in sorted(paid_otherwise):
            right_event_record(
                actor=examiner,
                right=case.right,
                type="annuity_paid",
                date=start,
                payload={"year": year},
            )
        steps: list[tuple[date, int, str]] = [(day(p), 1, "draw") for p in draws]
        if invalidated is not None:
            steps.append((day(invalidated), 0, "invalidated"))
        steps.append((released, 2, "release"))
        for on, _order, what in sorted(steps):
            if what == "draw":
                annuity_deposit_draw(on=on)
            elif what == "release":
                pledge_release(actor=bank_a_user, pledge=case.pledge, today=on)
            else:
                right_event_record(
                    actor=examiner, right=case.right, type="invalidated", date=on, payload={}
                )
        deposit.refresh_from_db()
        years = {y.year: y for y in deposit.years.all()}
        paid = sum((y.amount for y in years.values() if y.outcome == "paid"), D("0.00"))
        assert deposit.refund_amount is not None
        assert paid + deposit.refund_amount == deposit.amount
        assert deposit.amount == D("8500.00")  # 900 + 3 × 1,200 + 2 × 2,000 (years 3..8)
        events = _paid_events(case.right)
        assert len({y for y, _d, _s in events}) == len(events)  # each year paid at most once
        # A draw on the release day runs before the release: the pledge was in force then.
        drawn_until = released if released in {day(p) for p in draws} else released - ONE_DAY
        for year, row in years.items():
            if row.due_date > drawn_until:
                assert row.outcome == "" and row.drawn_on is None, (year, row.outcome)
            elif year in paid_otherwise:
                assert row.outcome == "paid_otherwise", (year, row.outcome)
            elif right_status(case.right, on=row.due_date).status in TERMINAL_STATUSES:
                # Ended by then: invalidated, or lapsed for a year before that the register
                # refused (the invalidation dated on that year's due date: the lapse, effective
                # the same day, is the status the register gives).
                assert row.outcome == "not_payable", (year, row.outcome)
            else:
                assert row.outcome == "paid" and row.event is not None, (year, row.outcome)
                assert (row.event.date, row.event.payload["source"]) == (row.due_date, "deposit")
        transaction.set_rollback(True)
