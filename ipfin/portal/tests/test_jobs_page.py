"""The background jobs' page (后台任务): the IP office's administrators see each run's progress
and start a daily job now; nobody else reaches it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.jobs.models import JobRun, JobState
from ipfin.jobs.services import job_launch

pytestmark = pytest.mark.django_db


def test_an_administrator_starts_a_job_and_sees_it_done_with_its_counts(
    client_for: Callable[[User], Client], office_admin: User
) -> None:
    client = client_for(office_admin)
    page = client.get("/jobs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "后台任务" in html and "贷款五级分类" in html  # the jobs by what they do
    assert "classify_loans" not in html.replace('value="classify_loans"', "")  # no code shown

    answer = client.post("/jobs/", {"name": "audit_verify"})
    assert answer.status_code == 302
    run = JobRun.objects.get()
    assert (run.name, run.state, run.requested_by_id) == (
        "audit_verify",
        JobState.DONE,
        office_admin.pk,
    )
    record = AuditRecord.objects.get(action="jobs.launch")
    assert record.after == {"name": "audit_verify"} and record.actor_id == office_admin.pk

    html = client.get("/jobs/").content.decode()
    checked = run.result["checked"]  # type: ignore[index]
    assert checked >= 1 and "已完成" in html and f"检查 {checked}" in html
    assert "审计日志哈希链校验" in html
    assert 'hx-trigger="every 3s"' not in html  # nothing live: no refreshing


def test_a_live_run_shows_its_progress_and_the_page_refreshes(
    client_for: Callable[[User], Client], office_admin: User
) -> None:
    JobRun.objects.create(
        name="score_portfolio", state=JobState.RUNNING, chunks_total=4, chunks_done=1
    )
    html = client_for(office_admin).get("/jobs/").content.decode()
    assert 'hx-trigger="every 3s"' in html
    assert '<progress max="4" value="1"' in html and "1 / 4" in html
    assert "全量知识产权价值度评分" in html and "运行中" in html


def test_an_unknown_job_is_refused_next_to_the_field(
    client_for: Callable[[User], Client], office_admin: User
) -> None:
    answer = client_for(office_admin).post("/jobs/", {"name": "drop_tables"})
    assert answer.status_code == 400
    assert JobRun.objects.count() == 0


def test_the_page_is_the_administrators_only(
    client_for: Callable[[User], Client], examiner: User, bank_a_user: User
) -> None:
    for user in (examiner, bank_a_user):
        client = client_for(user)
        assert client.get("/jobs/").status_code == 403
        assert client.post("/jobs/", {"name": "classify_loans"}).status_code == 403
    assert JobRun.objects.count() == 0
    assert Client().get("/jobs/").status_code == 302  # to the login


def test_the_page_speaks_english_on_request(
    client_for: Callable[[User], Client], office_admin: User, settings: Any
) -> None:
    job_launch("audit_verify")
    client = client_for(office_admin)
    client.cookies["ipfin_language"] = "en"
    html = client.get("/jobs/").content.decode()
    assert "Background jobs" in html and "Done" in html
    assert "后台任务" not in html


def test_a_run_waiting_for_the_classification_says_so_in_either_language(
    client_for: Callable[[User], Client], office_admin: User
) -> None:
    """A risk scan sent to the workers while the classification runs stays queued
    (JobSpec.after): the administrator reads why, by what the jobs do, not their names."""
    JobRun.objects.create(name="classify_loans", state=JobState.RUNNING, on_workers=True)
    scan = JobRun.objects.create(name="risk_scan", on_workers=True)
    client = client_for(office_admin)
    waiting = "等待“贷款五级分类”完成后开始"
    assert waiting in client.get("/jobs/").content.decode()
    assert waiting in client.get(f"/jobs/{scan.pk}/").content.decode()
    client.cookies["ipfin_language"] = "en"
    english = client.get(f"/jobs/{scan.pk}/").content.decode()
    assert "Begins once “" in english and "classify_loans" not in english
    JobRun.objects.filter(name="classify_loans").update(state=JobState.DONE)
    assert "Begins once" not in client.get(f"/jobs/{scan.pk}/").content.decode()
