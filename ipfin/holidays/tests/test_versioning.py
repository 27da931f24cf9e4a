"""No lost updates on a year's holiday arrangement (ipfin.common.versioning): the API's reads
answer `version` and the ETag, a write names its version in If-Match (a stale one is a 409
`version_conflict` that changes nothing, none a 428); the edit page carries the version in a
hidden input and shows a stale form's refusal in the form. PostgreSQL: eight first saves of one
year at once, exactly one wins."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from ipfin.accounts.models import Role, User
from ipfin.audit.models import AuditRecord
from ipfin.common.tests.concurrency import THREADS, run_at_once
from ipfin.common.workdays import covered_years
from ipfin.holidays.domain import ArrangementDay, DayKind
from ipfin.holidays.models import HolidayArrangement
from ipfin.holidays.services import arrangement_save

NEXT = covered_years().stop
URL = f"/api/v1/calendar/{NEXT}"
EDIT = f"/calendar/{NEXT}/edit/"


def _body(notice: str, day: int = 1) -> dict[str, Any]:
    return {"notice": notice, "holidays": [{"date": f"{NEXT}-01-{day:02d}", "festival": "元旦"}]}


def _put(client: Any, body: dict[str, Any], if_match: str | None) -> Any:
    headers = {"HTTP_IF_MATCH": if_match} if if_match is not None else {}
    return client.put(URL, body, content_type="application/json", **headers)


def _days_saved() -> list[date]:
    record = HolidayArrangement.objects.get(year=NEXT)
    return list(record.days.values_list("day", flat=True))


@pytest.mark.django_db
def test_the_year_is_read_and_written_with_its_version_and_etag(
    api_client: Callable[..., Any], office_admin: User
) -> None:
    public = api_client()
    read = public.get(URL)
    assert (read.json()["version"], read["ETag"]) == (0, '"0"')  # nothing recorded yet
    assert public.get("/api/v1/calendar/2026")["ETag"] == '"1"'  # the seeded notice
    admin = api_client(office_admin)
    written = _put(admin, _body("通知一"), read["ETag"])
    assert (written.status_code, written.json()["version"], written["ETag"]) == (200, 1, '"1"')
    again = _put(admin, _body("通知二"), written["ETag"])
    assert (again.status_code, again.json()["version"], again["ETag"]) == (200, 2, '"2"')
    assert public.get(URL)["ETag"] == '"2"'


@pytest.mark.django_db
def test_a_stale_year_is_409_and_changes_nothing(
    api_client: Callable[..., Any], office_admin: User, make_user: Callable[..., User]
) -> None:
    first = api_client(office_admin)
    second = api_client(make_user("office_admin_2", office_admin.organisation, Role.ADMIN))
    assert _put(first, _body("通知一", day=1), '"0"').status_code == 200
    refused = _put(second, _body("通知二", day=2), '"0"')  # made from the year before the save
    assert refused.status_code == 409
    assert {k: v for k, v in refused.json().items() if k != "detail"} == {
        "code": "version_conflict",
        "current_version": 1,
    }
    record = HolidayArrangement.objects.get(year=NEXT)
    assert (record.notice, record.version, _days_saved()) == ("通知一", 1, [date(NEXT, 1, 1)])
    assert AuditRecord.objects.filter(action="calendar.arrangement_save").count() == 1
    missing = _put(second, _body("通知二", day=2), None)
    assert (missing.status_code, missing.json()["code"]) == (428, "version_required")
    assert HolidayArrangement.objects.get(year=NEXT).notice == "通知一"


@pytest.mark.django_db
def test_a_stale_edit_form_shows_the_conflict_in_the_form_and_saves_nothing(
    client_for: Callable[[User], Client], api_client: Callable[..., Any], office_admin: User
) -> None:
    client = client_for(office_admin)
    page = client.get(EDIT).content.decode()
    assert '<input type="hidden" name="version" value="0"' in page
    # Someone else records the year while the form is open.
    assert _put(api_client(office_admin), _body("他人的通知"), '"0"').status_code == 200
    stale = client.post(
        EDIT, {"notice": "我的通知", "holidays": f"{NEXT}-01-02 元旦", "version": "0"}
    )
    assert stale.status_code == 409
    form = stale.context["form"]
    assert "当前版本 1" in form.non_field_errors()[0]
    assert "当前版本 1" in html.unescape(stale.content.decode())
    assert form["notice"].value() == "我的通知"  # what was typed is kept, to copy over
    assert (HolidayArrangement.objects.get(year=NEXT).notice, _days_saved()) == (
        "他人的通知",
        [date(NEXT, 1, 1)],
    )
    fresh = client.get(EDIT).content.decode()
    assert '<input type="hidden" name="version" value="1"' in fresh
    saved = client.post(
        EDIT, {"notice": "我的通知", "holidays": f"{NEXT}-01-02 元旦", "version": "1"}
    )
    assert saved.status_code == 302
    assert HolidayArrangement.objects.get(year=NEXT).version == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_saves_of_a_year_exactly_one_wins(office_admin: User) -> None:
    """Every thread records the year from version 0 (none recorded): one creates it, the others
    wait on the unique year, find it and are refused as stale — no IntegrityError."""
    assert connection.vendor == "postgresql"

    def save(i: int) -> str:
        actor = User.objects.select_related("organisation").get(pk=office_admin.pk)
        arrangement_save(
            actor=actor,
            year=NEXT,
            version=0,
            notice=f"通知 {i}",
            published_on=None,
            days=[ArrangementDay(date(NEXT, 1, 1 + i), DayKind.HOLIDAY, "元旦")],
        )
        return f"通知 {i}"

    results = run_at_once(save)
    winners = [value for outcome, value in results if outcome == "ok"]
    assert len(winners) == 1, results
    assert [r for r in results if r[0] != "ok"] == [("conflict", "version_conflict")] * (
        THREADS - 1
    ), results
    record = HolidayArrangement.objects.get(year=NEXT)
    assert (record.notice, record.version, record.days.count()) == (winners[0], 1, 1)
