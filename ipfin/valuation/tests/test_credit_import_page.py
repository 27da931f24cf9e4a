"""The IP office's page for credit data files (信用数据导入): the file sent from it is imported
in the background and its run's page shows the outcome, every problem of a refused file by row
and column; errors of the form next to their inputs; nobody else reaches it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ipfin.accounts.models import Organisation, User
from ipfin.jobs.models import JobRun, JobState
from ipfin.valuation.models import CreditDataImport

pytestmark = pytest.mark.django_db
PAGE = "/valuations/credit-imports/"
HEADER = "统一社会信用代码,评价年度,信用等级\n"


def _form(body: str, **fields: str) -> dict[str, object]:
    return {
        "kind": "tax_grade",
        "source": "国家税务总局某省税务局 2025 年度纳税信用等级",
        "as_of": "2026-04-30",
        "file": SimpleUploadedFile("grades.csv", (HEADER + body).encode(), "text/csv"),
        **fields,
    }


def test_a_file_sent_from_the_page_is_imported_and_its_run_shows_the_counts(
    client_for: Callable[[User], Client], office_user: User, enterprise_a: Organisation
) -> None:
    client = client_for(office_user)
    page = client.get(PAGE)
    assert page.status_code == 200 and "信用数据导入" in page.content.decode()
    answer = client.post(PAGE, _form(f"{enterprise_a.uscc},2025,A\n91350100M000100Y43,2025,B\n"))
    run = JobRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/jobs/{run.pk}/"
    html = client.get(answer["Location"]).content.decode()
    assert run.state == JobState.DONE and "已完成" in html
    assert "数据行数 2" in html and "入库行数 1" in html and "跳过行数 1" in html
    assert 'hx-trigger="every 2s"' not in html  # over: nothing to refresh
    assert 'href="/valuations/credit-imports/"' in html
    listed = client.get(PAGE).content.decode()
    assert "grades.csv" in listed and CreditDataImport.objects.count() == 1


def test_a_refused_file_lists_every_problem_on_its_runs_page(
    client_for: Callable[[User], Client], office_user: User, enterprise_a: Organisation
) -> None:
    client = client_for(office_user)
    answer = client.post(PAGE, _form(f"{enterprise_a.uscc},2031,E\n"))
    html = client.get(answer["Location"]).content.decode()
    assert "文件有 2 处问题，未导入任何数据" in html
    assert "信用等级" in html and "评价年度" in html and '<td class="money">2</td>' in html
    assert "credit_file_invalid" not in html  # no code on screen
    client.cookies["ipfin_language"] = "en"
    english = client.get(answer["Location"]).content.decode()
    assert "The file has 2 problems" in english and "Credit data file import" in english
    assert CreditDataImport.objects.count() == 0


def test_the_forms_errors_are_next_to_their_inputs_and_nothing_is_queued(
    client_for: Callable[[User], Client], office_user: User
) -> None:
    client = client_for(office_user)
    future = client.post(PAGE, _form("", as_of="2999-01-01"))
    assert future.status_code == 422
    assert 'id="id_as_of_error"' in future.content.decode()
    wrong = _form("")
    wrong["file"] = SimpleUploadedFile("grades.txt", b"x", "text/plain")
    refused = client.post(PAGE, wrong)
    html = refused.content.decode()
    assert refused.status_code == 422 and 'id="id_file_error"' in html and "须为 CSV" in html
    assert JobRun.objects.count() == 0


def test_a_live_run_refreshes_and_only_its_requester_sees_it(
    client_for: Callable[[User], Client], office_user: User, bank_a_user: User, office_admin: User
) -> None:
    run = JobRun.objects.create(
        name="credit_import",
        scope=f"org:{office_user.organisation_id}",
        state=JobState.RUNNING,
        requested_by=office_user,
    )
    html = client_for(office_user).get(f"/jobs/{run.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in html and "运行中" in html
    assert client_for(bank_a_user).get(f"/jobs/{run.pk}/").status_code == 404
    assert client_for(office_admin).get(f"/jobs/{run.pk}/").status_code == 200
    assert client_for(bank_a_user).get(PAGE).status_code == 403
