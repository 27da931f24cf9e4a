"""The monitoring report built in the background (POST /stats/reports/jobs, the dashboard's
buttons): over the requester's own scope, read by the requester alone, the period and format
checked before anything is queued."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from ipfin.accounts.models import User
from ipfin.jobs.models import JobRun, JobState
from ipfin.stats.tests.conftest import Book

pytestmark = pytest.mark.django_db
JOBS = "/api/v1/stats/reports/jobs"


def test_a_banks_report_is_built_over_its_own_loans_and_read_by_the_requester_alone(
    book: Book,
    bank_a_user: User,
    bank_b_user: User,
    make_user: Callable[..., User],
    api_client: Callable[..., Any],
    bank_b: Any,
) -> None:
    client = api_client(bank_a_user)
    sent = client.post_json(JOBS, {"period": "2025q1", "format": "xlsx"})
    assert sent.status_code == 202, sent.content
    assert sent.json()["state"] == "done"
    made = client.get(f"{sent['Location']}/file")
    assert made.status_code == 200
    assert 'filename="ipfin-monitoring-2025Q1.xlsx"' in made["Content-Disposition"]
    wb = load_workbook(io.BytesIO(made.content))
    overview = {row[0]: row[1] for row in wb["总体情况"].iter_rows(values_only=True)}
    assert Decimal(str(overview["贷款余额（万元）"])) == Decimal("26.67")  # bank A's own
    assert bank_b.name not in [row[0] for row in wb["分银行"].iter_rows(values_only=True)]
    # Its scope is the requester's: not even a colleague reads it; nor another bank.
    colleague = make_user("bank_a_colleague", bank_a_user.organisation)
    assert api_client(colleague).get(sent["Location"]).status_code == 404
    assert api_client(bank_b_user).get(f"{sent['Location']}/file").status_code == 404


def test_the_period_and_the_format_are_checked_before_anything_is_queued(
    book: Book, regulator_user: User, enterprise_a_user: User, api_client: Callable[..., Any]
) -> None:
    client = api_client(regulator_user)
    bad = client.post_json(JOBS, {"period": "2025Q5", "format": "pdf"})
    assert (bad.status_code, bad.json()["code"]) == (422, "period_invalid")
    assert client.post_json(JOBS, {"period": "2025Q1", "format": "doc"}).status_code == 422
    assert api_client(enterprise_a_user).post_json(
        JOBS, {"period": "2025Q1", "format": "pdf"}
    ).status_code in (403, 401)
    assert not JobRun.objects.exists()
    pdf = client.post_json(JOBS, {"period": "2025Q1", "format": "pdf"})
    assert client.get(f"{pdf['Location']}/file").content.startswith(b"%PDF")


def test_the_dashboard_builds_the_report_in_the_background(
    book: Book, client_for: Callable[[User], Client], regulator_user: User
) -> None:
    client = client_for(regulator_user)
    page = client.get("/stats/?period=2025Q1").content.decode()
    assert 'data-testid="report-job-pdf"' in page
    answer = client.post("/stats/report/", {"period": "2025Q1", "format": "pdf"})
    run = JobRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/jobs/{run.pk}/"
    assert run.state == JobState.DONE
    html = client.get(answer["Location"]).content.decode()
    assert f'href="/jobs/{run.pk}/file"' in html and "季度监测报告生成" in html
    refused = client.post("/stats/report/", {"period": "2025Q9", "format": "pdf"}, follow=True)
    assert "统计期" in refused.content.decode() and JobRun.objects.count() == 1


def test_a_report_is_built_and_read_only_under_the_scope_it_was_asked_for(
    book: Book,
    bank_a_user: User,
    bank_b: Any,
    make_user: Callable[..., User],
    api_client: Callable[..., Any],
) -> None:
    from ipfin.common.errors import PermissionDenied
    from ipfin.jobs.services import job_launch
    from ipfin.stats.reports import REPORT_EXPORT_JOB, monitoring_report_file, scope_key

    # A run whose requester's scope changed before it ran builds nothing.
    with pytest.raises(PermissionDenied) as refused:
        monitoring_report_file(
            actor=bank_a_user, period="2025Q1", fmt="pdf", requested_scope="bank:999999"
        )
    assert refused.value.code == "stats_scope_changed"
    assert scope_key(bank_a_user) == f"bank:{bank_a_user.organisation_id}"
    client = api_client(bank_a_user)
    sent = client.post_json(JOBS, {"period": "2025Q1", "format": "xlsx"})
    assert client.get(f"{sent['Location']}/file").status_code == 200
    # Moved to bank B, the requester no longer reads bank A's figures.
    User.objects.filter(pk=bank_a_user.pk).update(organisation=bank_b)
    moved = api_client(User.objects.get(pk=bank_a_user.pk))
    assert moved.get(f"{sent['Location']}/file").status_code == 404
    # One live report per user, not per bank: a colleague is not kept waiting by it.
    colleague = make_user("bank_b_colleague", bank_b)
    job_launch(REPORT_EXPORT_JOB, {}, scope=f"user:{bank_a_user.pk}", send=False)
    other = api_client(colleague).post_json(JOBS, {"period": "2025Q1", "format": "pdf"})
    assert other.status_code == 202, other.content
