"""The daily jobs read their day the same way: an ISO date, or a clear usage error."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("classify_loans", "--today"),
        ("lapse_pledge_applications", "--today"),
        ("remind_ledger", "--today"),
        ("score_portfolio", "--on"),
    ],
)
def test_a_daily_job_refuses_a_day_that_is_not_an_iso_date(command: str, option: str) -> None:
    with pytest.raises(CommandError, match=r"must be YYYY-MM-DD, got '2026/12/03'"):
        call_command(command, f"{option}=2026/12/03", stdout=StringIO())


def test_a_daily_job_runs_as_of_the_day_given() -> None:
    out = StringIO()
    call_command("classify_loans", "--today=2026-12-03", stdout=out)
    assert out.getvalue().strip().startswith("{")
    out = StringIO()
    call_command("remind_ledger", "--today", "2026-12-03", stdout=out)
    assert out.getvalue().strip() == "reminders sent: 0"
