"""The calendar's pages and the office home page's warning (real sessions, real templates)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ipfin.common.workdays import covered_years
from ipfin.holidays.models import HolidayArrangement

pytestmark = pytest.mark.django_db

NEXT = covered_years().stop


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_calendar_list_is_public_and_names_each_source() -> None:
    response = Client().get("/calendar/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-year="2026" data-source="office"' in html
    assert 'data-year="2025" data-source="package"' in html
    assert "知识产权局录入的国务院通知" in html and "日历数据包" in html
    assert "/edit/" not in html  # nothing to edit for the public


def test_calendar_year_page_lists_days_with_weekday_and_festival() -> None:
    html = Client().get("/calendar/2026/").content.decode()
    assert "2026-02-14" in html and "春节" in html and "星期六" in html
    assert "calendar-edit" not in html  # anonymous: no edit button
    assert Client().get("/calendar/1999/").status_code == 404


def test_edit_form_is_prefilled_from_the_package_in_ranges(office_admin: Any) -> None:
    response = _login(office_admin).get("/calendar/2025/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    # National Day 2025 with Mid-Autumn on 10-06 inside it: three lines, each its festival.
    assert (
        "2025-10-01 至 2025-10-05 国庆节\n2025-10-06 中秋节\n2025-10-07 至 2025-10-08 国庆节"
        in html
    )
    assert "calendar-prefilled" in html


def test_edit_form_errors_sit_next_to_their_field(office_admin: Any) -> None:
    client = _login(office_admin)
    monday = next(date(NEXT, 1, d) for d in range(1, 8) if date(NEXT, 1, d).weekday() == 0)
    response = client.post(
        f"/calendar/{NEXT}/edit/",
        {
            "notice": "通知",
            "holidays": f"{NEXT}-01-01 元旦\n1月2日",
            "workdays": "",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "第 2 行" in form.errors["holidays"][0]
    response = client.post(
        f"/calendar/{NEXT}/edit/",
        {
            "notice": "通知",
            "holidays": f"{NEXT}-01-01 元旦",
            "workdays": f"{monday} 元旦",
            "version": "0",
        },
    )
    assert response.status_code == 422
    assert "星期一" in response.context["form"].errors["workdays"][0]
    assert not HolidayArrangement.objects.filter(year=NEXT).exists()


def test_edit_form_saves_and_shows_the_year(office_admin: Any) -> None:
    response = _login(office_admin).post(
        f"/calendar/{NEXT}/edit/",
        {
            "notice": "通知（测试）",
            "published_on": f"{NEXT - 1}-11-04",
            "holidays": f"{NEXT}-01-01 元旦",
            "version": "0",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/calendar/{NEXT}/"
    assert HolidayArrangement.objects.get(year=NEXT).notice == "通知（测试）"


def test_edit_form_is_for_office_administrators_only(examiner: Any, bank_a_user: Any) -> None:
    assert _login(examiner).get(f"/calendar/{NEXT}/edit/").status_code == 403
    assert _login(bank_a_user).get(f"/calendar/{NEXT}/edit/").status_code == 403
    assert Client().get(f"/calendar/{NEXT}/edit/").status_code == 302  # to the login page


@pytest.mark.parametrize(("today", "shown"), [((12, 14), False), ((12, 15), True)])
def test_office_home_warns_of_a_missing_next_year_from_15_december(
    monkeypatch: pytest.MonkeyPatch, office_admin: Any, examiner: Any, today: Any, shown: bool
) -> None:
    fixed = date(NEXT - 1, *today)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: fixed)
    admin_page = _login(office_admin).get("/").content.decode()
    examiner_page = _login(examiner).get("/").content.decode()
    assert ('data-testid="calendar-missing"' in admin_page) is shown
    assert ('data-testid="calendar-missing"' in examiner_page) is shown
    assert (f"/calendar/{NEXT}/edit/" in admin_page) is shown  # the administrator can enter it
    assert f"/calendar/{NEXT}/edit/" not in examiner_page


def test_bank_home_never_shows_the_calendar_warning(
    monkeypatch: pytest.MonkeyPatch, bank_a_user: Any
) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(NEXT - 1, 12, 20))
    assert 'data-testid="calendar-missing"' not in _login(bank_a_user).get("/").content.decode()
