"""The change feed from the real services: what each step publishes, who reads it, in order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.feed.domain import EventType
from ipfin.feed.models import Event
from ipfin.feed.services import Occurrence, events_publish
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import pledge_release
from ipfin.pledges.tests.factories import approve
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record

pytestmark = pytest.mark.django_db


def _types(page: dict[str, Any], prefix: str = "") -> list[str]:
    return [item["type"] for item in page["items"] if item["type"].startswith(prefix)]


def test_a_pledge_s_steps_reach_its_parties_feed_and_not_another_bank_s(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_user: User,
    bank_a_api: Any,
    bank_b_api: Any,
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a_user: User,
) -> None:
    pledge = make_pledge()  # filed by bank_a, confirmed by enterprise_a: with the examiner
    approve(examiner, pledge)
    pledge_release(actor=bank_a_user, pledge=Pledge.objects.get(pk=pledge.pk))

    page = bank_a_api.get("/api/v1/events").json()
    assert _types(page) == ["pledge.submitted", "pledge.decided", "pledge.released"]
    decided = page["items"][1]["data"]
    assert decided["pledge_id"] == pledge.pk and decided["decision"] == "approve"
    assert decided["registration_no"] and decided["debt_amount"] == "5000000.00"
    ids = [item["id"] for item in page["items"]]
    assert ids == sorted(ids) and page["next"] == ids[-1]

    # The pledgor reads its own pledge's events (and its right's, entered and paid up by the
    # examiner before); another bank reads none; the office all.
    pledgor_page = api_client(enterprise_a_user).get("/api/v1/events").json()
    assert _types(pledgor_page, "pledge.") == _types(page)
    assert bank_b_api.get("/api/v1/events").json() == {"items": [], "next": 0}
    assert _types(api_client(office_user).get("/api/v1/events").json(), "pledge.") == _types(page)

    # Paging: after=the first id gives the rest; after=next gives nothing, next unchanged.
    rest = bank_a_api.get(f"/api/v1/events?after={ids[0]}&limit=1").json()
    assert [i["id"] for i in rest["items"]] == [ids[1]] and rest["next"] == ids[1]
    assert bank_a_api.get(f"/api/v1/events?after={ids[-1]}").json() == {
        "items": [],
        "next": ids[-1],
    }


def test_a_refused_step_publishes_nothing(
    make_pledge: Callable[..., Pledge], examiner: User, bank_a_api: Any
) -> None:
    """The event is written in the step's transaction: a decision refused (no contract
    uploaded) leaves no `pledge.decided`."""
    from ipfin.common.errors import ValidationFailed
    from ipfin.pledges.services import pledge_decide

    pledge = make_pledge()
    with pytest.raises(ValidationFailed):
        pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    assert _types(bank_a_api.get("/api/v1/events").json()) == ["pledge.submitted"]


def test_a_status_change_reaches_the_owner_and_the_pledgee(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_api: Any,
    bank_b_api: Any,
    today: date,
) -> None:
    pledge = make_pledge()
    approve(examiner, pledge)
    right = pledge.items.get().right
    after = bank_a_api.get("/api/v1/events").json()["next"]
    right_event_record(
        actor=examiner, right=right, type="invalidation_requested", date=today - timedelta(days=1)
    )
    page = bank_a_api.get(f"/api/v1/events?after={after}").json()
    assert _types(page) == ["right.status_changed"]
    data = page["items"][0]["data"]
    assert data["right_number"] == right.number
    assert data["before"]["invalidation_pending"] is False
    assert data["after"]["invalidation_pending"] is True
    assert data["event"]["type"] == "invalidation_requested"
    assert bank_b_api.get("/api/v1/events").json()["items"] == []


def test_an_event_that_changes_no_status_is_not_a_status_change(
    right: Right, examiner: User, api_client: Callable[..., Any], office_user: User
) -> None:
    """A licence recorded on a right in force changes its facts, not its legal status."""
    office = api_client(office_user)
    after = office.get("/api/v1/events").json()["next"]
    right_event_record(
        actor=examiner,
        right=right,
        type="licence",
        date=right.grant_date + timedelta(days=1),
        payload={"licensee": "某公司", "licence_type": "ordinary"},
    )
    assert office.get(f"/api/v1/events?after={after}").json()["items"] == []


def test_the_feed_needs_the_permission_and_bounds_its_page(
    api_client: Callable[..., Any],
    enterprise_a_user: User,
    make_user: Callable[..., User],
    make_org: Callable[..., Organisation],
) -> None:
    guarantor = make_user("g-feed", make_org("guarantor"))
    assert api_client(guarantor).get("/api/v1/events").status_code == 403
    assert api_client(None).get("/api/v1/events").status_code == 401
    client = api_client(enterprise_a_user)
    assert client.get("/api/v1/events?limit=0").status_code == 422
    assert client.get("/api/v1/events?limit=1001").status_code == 422
    assert client.get("/api/v1/events?after=-1").status_code == 422


def test_publishing_is_set_based_and_places_in_order(
    count_queries: Callable[[Callable[[], object]], int], bank_a: Organisation
) -> None:
    occurrences = [
        Occurrence(EventType.LOAN_CLASSIFIED, {"loan_id": i}, [bank_a.pk]) for i in range(300)
    ]
    queries = count_queries(lambda: events_publish(occurrences))
    assert queries <= 8  # the head, the events, the recipients, the head again: not 300 of each
    positions = list(Event.objects.order_by("pk").values_list("position", flat=True))
    assert positions == list(range(positions[0], positions[0] + 300))


def test_a_term_fact_that_ends_a_copyright_is_a_status_change_for_its_owner_zzf_art23(
    make_right: Callable[..., Right], examiner: User, enterprise_a: Organisation
) -> None:
    """The office records the author's death (著作权法 art. 23: the author's life and 50 years,
    to 31 December of the 50th year): a work whose author died in 1970 is no longer protected,
    and its owner's systems hear of it as of any other change of legal status."""
    from ipfin.registry.services import right_term_facts_set

    work = make_right(
        kind="copyright", number="国作登字-2019-F-00654321", filing_date=date(2019, 5, 20),
        grant_date=date(2019, 6, 1), author_kind="person", created_on=date(1960, 1, 1),
    )  # fmt: skip
    right_term_facts_set(
        actor=examiner, right=work, version=work.version, author_died_on=date(1970, 3, 1)
    )
    (event,) = Event.objects.filter(type="right.status_changed")
    assert (event.data["before"]["status"], event.data["after"]["status"]) == (
        "in_force",
        "expired",
    )
    assert event.data["event"] is None
    assert event.data["term_facts"]["author_died_on"] == "1970-03-01"
    assert list(event.recipients.values_list("organisation_id", flat=True)) == [enterprise_a.pk]
    # A correction that changes no status tells nothing.
    work.refresh_from_db()
    right_term_facts_set(
        actor=examiner, right=work, version=work.version, author_died_on=date(1970, 4, 1)
    )
    assert Event.objects.filter(type="right.status_changed").count() == 1


def test_a_change_decided_and_a_withdrawal_reach_the_parties_feed(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_user: User,
    enterprise_a_user: User,
    bank_a_api: Any,
    bank_b_api: Any,
    today: date,
) -> None:
    """A bank mirroring its pledges reads the registered debt and term as they now stand after a
    change registration (变更登记), and learns that an application it was told of was withdrawn."""
    from ipfin.pledges.services import (
        pledge_change,
        pledge_change_confirm,
        pledge_change_decide,
        pledge_withdraw,
    )

    pledge = approve(examiner, make_pledge())
    after = bank_a_api.get("/api/v1/events").json()["next"]
    change = pledge_change(
        actor=bank_a_user, pledge=pledge, debt_amount="6000000", reason="展期", today=today
    )
    change = pledge_change_confirm(actor=enterprise_a_user, change=change, today=today)
    pledge_change_decide(actor=examiner, change=change, decision="approve", today=today)
    other = make_pledge()
    pledge_withdraw(actor=bank_a_user, pledge=other)
    page = bank_a_api.get(f"/api/v1/events?after={after}").json()
    assert _types(page) == ["pledge.decided", "pledge.submitted", "pledge.withdrawn"]
    decided, withdrawn = page["items"][0]["data"], page["items"][2]["data"]
    assert (decided["pledge_id"], decided["decision"], decided["debt_amount"]) == (
        pledge.pk,
        "approve",
        "6000000.00",
    )
    assert decided["change"] == {
        "id": change.pk,
        "after": {"debt_amount": "6000000.00"},
        "effective_date": today.isoformat(),
    }
    assert (withdrawn["pledge_id"], withdrawn["state"], withdrawn["withdrawn_by"]) == (
        other.pk,
        "withdrawn",
        "pledgee",
    )
    assert bank_b_api.get(f"/api/v1/events?after={after}").json()["items"] == []


def _status_changes(client: Any, after: int = 0) -> list[dict[str, Any]]:
    page = client.get(f"/api/v1/events?after={after}&limit=1000").json()
    return [item["data"] for item in page["items"] if item["type"] == "right.status_changed"]


def _age(right: Right, days: int) -> None:
    """The register as it will stand `days` later: every date of the right, its events and its
    owners moved that many days back (the scan of the day reads the register as it now stands,
    and these tests cannot move the clock)."""
    from ipfin.registry.models import RightEvent, RightOwner

    back = timedelta(days=days)
    right.refresh_from_db()
    right.filing_date -= back
    right.grant_date = right.grant_date - back if right.grant_date else None
    right.save(update_fields=["filing_date", "grant_date"])
    for event in RightEvent.objects.filter(right=right):
        event.date -= back
        event.save(update_fields=["date"])
    for owner in RightOwner.objects.filter(right=right):
        owner.valid_from -= back
        owner.save(update_fields=["valid_from"])


def _next_due(right: Right) -> date:
    from ipfin.registry.domain import annuity_due_date
    from ipfin.registry.models import RightEvent

    paid = RightEvent.objects.filter(right=right, type="annuity_paid")
    year = max(e.payload["year"] for e in paid) + 1
    right.refresh_from_db()
    return annuity_due_date(right.filing_date, right.grant_date, year)


def _with_next_due(right: Right, due: date, year: int = 4) -> date:
    """The same patent with its dates set by the calendar so that annuity `year` falls due on
    `due` (a filing anniversary) and every year before it was paid on its own due day: the
    register as it will stand on a later day, built from that day, not by counting days back
    (due days move by years, grace periods by months). Answers the due day the register now
    computes (a day earlier than `due` only for a 29 February that a filing anniversary lacks)."""
    from ipfin.registry.domain import add_years, annuity_due_date, first_annuity_year
    from ipfin.registry.models import RightEvent, RightOwner

    filing = add_years(due, -(year - 1))
    grant = add_years(filing, 1)
    Right.objects.filter(pk=right.pk).update(filing_date=filing, grant_date=grant)
    RightOwner.objects.filter(right=right).update(valid_from=filing)
    RightEvent.objects.filter(right=right).delete()
    for paid in range(first_annuity_year(filing, grant), year):
        RightEvent.objects.create(
            right=right, type="annuity_paid", date=annuity_due_date(filing, grant, paid),
            payload={"year": paid},
        )  # fmt: skip
    right.refresh_from_db()
    return annuity_due_date(filing, grant, year)


def test_a_grace_period_and_a_lapse_the_days_bring_reach_the_pledgee_sxfxz_r116_zlf_art44(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_api: Any,
    bank_b_api: Any,
    api_client: Callable[..., Any],
    enterprise_a_user: User,
    today: date,
) -> None:
    """No event is recorded when an annuity goes unpaid (专利法实施细则 2023 r. 116: six months'
    grace) nor when the grace period ends with it unpaid (专利法 art. 44 ¶1 (1): the patent ends
    on the due day): the scan of the day tells the feed, once each, the pledgee bank and the
    owner; the due day itself is no grace yet (a payment that day is in time)."""
    from ipfin.holidays.selectors import working_calendar
    from ipfin.registry.domain import add_months, grace_end
    from ipfin.risk.services import risk_scan

    pledge = approve(examiner, make_pledge())
    right = pledge.items.get().right
    start = bank_a_api.get("/api/v1/events").json()["next"]
    due = _next_due(right)
    # A scan of another day than today tells nothing: the register as it stands is today's.
    risk_scan(on=due + timedelta(days=3))
    risk_scan(on=grace_end(due) + timedelta(days=1))
    assert _status_changes(bank_a_api, start) == []

    if _with_next_due(right, today) == today:  # (no such day on 29 February but every 4 years)
        risk_scan(on=today)  # today is the due day, unpaid
        assert _status_changes(bank_a_api, start) == []
    # Three days or more past a due day on a working day (its own last day in time), unpaid.
    due = _with_next_due(right, working_calendar().working_day_before(today - timedelta(days=2)))
    risk_scan(on=today)
    risk_scan(on=today)  # the same day again
    (grace,) = _status_changes(bank_a_api, start)
    assert grace["right_number"] == right.number and grace["event"] is None
    assert (grace["before"]["status"], grace["after"]["status"]) == ("in_force", "grace_period")
    assert grace["since"] == due.isoformat()

    # The grace period over some weeks ago (the scans of those days missed), still unpaid.
    due = _with_next_due(right, add_months(today, -7))
    assert grace_end(due) < today
    risk_scan(on=today)
    risk_scan(on=today)
    changes = _status_changes(bank_a_api, start)
    assert len(changes) == 2
    assert (changes[1]["before"]["status"], changes[1]["after"]["status"]) == (
        "grace_period",
        "lapsed",
    )
    assert changes[1]["since"] == due.isoformat()  # ended on the due day
    # The owner reads the same events; another bank none.
    assert _status_changes(api_client(enterprise_a_user), start) == changes
    assert _status_changes(bank_b_api) == []


def test_an_annuity_due_on_a_holiday_is_no_grace_period_before_the_next_working_day_shishi_xize_r6(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    office_admin: User,
    bank_a_api: Any,
    today: date,
) -> None:
    """An annuity due on a rest day is paid in time up to the first working day after (专利法实施
    细则 2023 r. 6 ¶1, `registry.domain.annuity_last_day`): the days between are no grace
    period, so the scan tells the feed nothing and raises no grace alert, only the annuity due
    with its last day. The office enters the three days before today and today as holidays
    (the scan reads the office's calendar; these tests cannot move the clock)."""
    from ipfin.holidays.domain import ArrangementDay, DayKind
    from ipfin.holidays.selectors import working_calendar, year_view
    from ipfin.holidays.services import arrangement_save
    from ipfin.registry.selectors import right_status
    from ipfin.risk.models import RiskAlert
    from ipfin.risk.services import risk_scan

    pledge = approve(examiner, make_pledge())
    right = pledge.items.get().right
    start = bank_a_api.get("/api/v1/events").json()["next"]
    rest = [today - timedelta(days=k) for k in range(3, -1, -1)]
    for year in sorted({day.year for day in rest}):
        arrangement_save(
            actor=office_admin,
            year=year,
            version=year_view(year).version,
            notice="国务院办公厅关于部分节假日安排的通知（测试）",
            published_on=None,
            days=[ArrangementDay(day, DayKind.HOLIDAY, "测试") for day in rest if day.year == year],
        )
    due = _with_next_due(right, rest[0])
    last_day = working_calendar().working_day_from(due)
    assert last_day > today
    assert right_status(right, on=today).status.value == "in_force"
    risk_scan(on=today)
    assert _status_changes(bank_a_api, start) == []
    kinds = set(RiskAlert.objects.filter(right_id=right.pk).values_list("kind", flat=True))
    assert "grace_period" not in kinds
    alert = RiskAlert.objects.get(right_id=right.pk, kind="annuity_due")
    assert alert.date == last_day


def test_a_trademark_s_term_run_out_reaches_the_pledgee_sbf_art40(
    count_queries: Callable[[Callable[[], object]], int],
    bank_a: Organisation,
    make_trademark: Callable[..., Right],
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_api: Any,
    today: date,
) -> None:
    """A registered mark's ten years run out (商标法 art. 39) into six months' renewal grace, then,
    unrenewed, it ends (art. 40): two changes of legal status with no event recorded, each told
    once by the scan of the day (the second after scans were missed: `before` is still the
    grace period), and nothing for a pledged mark still in its term."""
    from ipfin.registry.domain import add_years
    from ipfin.registry.services import rights_time_status_publish
    from ipfin.risk.services import risk_scan

    granted = add_years(today, -10) + timedelta(days=10)
    mark = make_trademark("到期", filing_date=granted - timedelta(days=300), grant_date=granted)
    fresh = make_trademark("未到期")
    # A debt due before the mark's term ends (the pre-check refuses a longer one).
    expiry = add_years(granted, 10)
    approve(examiner, make_pledge(rights=[mark, fresh], term_end=expiry - timedelta(days=1)))
    start = bank_a_api.get("/api/v1/events").json()["next"]

    risk_scan(on=today)
    assert _status_changes(bank_a_api, start) == []
    _age(mark, 20)  # its term ended ten days ago
    risk_scan(on=today)
    (grace,) = _status_changes(bank_a_api, start)
    assert grace["right_number"] == mark.number
    assert (grace["before"]["status"], grace["after"]["status"]) == ("in_force", "grace_period")

    _age(mark, 365)  # past the six months' grace, with no renewal filed
    risk_scan(on=today)
    risk_scan(on=today)
    changes = _status_changes(bank_a_api, start)
    assert [c["right_number"] for c in changes] == [mark.number, mark.number]
    assert (changes[1]["before"]["status"], changes[1]["after"]["status"]) == (
        "grace_period",
        "expired",
    )
    mark.refresh_from_db()
    assert mark.grant_date is not None
    assert changes[1]["since"] == add_years(mark.grant_date, 10).isoformat()
    # A change told already costs the next scan no query of its own.
    watched = {mark.pk: [bank_a.pk], fresh.pk: [bank_a.pk]}
    assert count_queries(lambda: rights_time_status_publish(watched, on=today)) <= 3


def test_a_copyright_s_term_run_out_reaches_the_pledgee_zzf_art23(
    make_right: Callable[..., Right],
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_api: Any,
    today: date,
) -> None:
    """A work's term is its author's life and fifty years, to 31 December of the fiftieth year
    (著作权法 art. 23): the scan computes no copyright term in columns, so it looks at every
    pledged work, and tells the day after the term ends."""
    from ipfin.risk.services import risk_scan

    # Protected through 31 December of next year, whatever today's date (a pledge's debt must
    # end before the term does).
    died = date(today.year - 49, 3, 1)
    work = make_right(
        kind="copyright", number="国作登字-2019-F-00654322", filing_date=date(2019, 5, 20),
        grant_date=date(2019, 6, 1), author_kind="person", created_on=date(1960, 1, 1),
        author_died_on=died,
    )  # fmt: skip
    approve(examiner, make_pledge(rights=[work], term_end=date(today.year + 1, 12, 30)))
    start = bank_a_api.get("/api/v1/events").json()["next"]
    risk_scan(on=today)
    assert _status_changes(bank_a_api, start) == []
    # The days pass: the same work, its author dead three years longer, ended on the first of
    # January of last year (a day before today even on New Year's Day).
    Right.objects.filter(pk=work.pk).update(author_died_on=died.replace(year=died.year - 3))
    risk_scan(on=today)
    (ended,) = _status_changes(bank_a_api, start)
    assert (ended["before"]["status"], ended["after"]["status"]) == ("in_force", "expired")
    assert ended["since"] == date(today.year - 1, 1, 1).isoformat()
