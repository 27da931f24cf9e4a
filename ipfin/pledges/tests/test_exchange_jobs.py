"""The files for the national platforms built in the background (the IP office's 数据交换 page,
POST /exports/…/jobs): the period checked at once, the file made by the run and downloaded from
it (the same bytes the direct export answers), by its requester only."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, User
from ipfin.jobs.models import JobFile, JobRun, JobState
from ipfin.pledges.models import Pledge
from ipfin.pledges.tests.factories import approve, file_demand

pytestmark = pytest.mark.django_db


def test_the_registrations_file_is_made_by_a_run_and_is_the_direct_exports(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    api_client: Callable[..., Any],
    office_user: User,
    bank_a_user: User,
    today: Any,
) -> None:
    approve(examiner, make_pledge())
    approve(examiner, make_pledge())
    office = api_client(office_user)
    period = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    sent = office.post_json("/api/v1/exports/pledge-registrations/jobs", period)
    assert sent.status_code == 202, sent.content
    body = sent.json()
    assert (body["state"], body["result"]["rows_exported"]) == ("done", 2)
    download = office.get(f"{sent['Location']}/file")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert download["Content-Disposition"] == (
        f'attachment; filename="ipfin-pledge-registrations-{period["start"]}-{period["end"]}.csv"'
    )
    direct = office.get(
        f"/api/v1/exports/pledge-registrations.csv?start={period['start']}&end={period['end']}"
    )
    assert download.content == direct.content
    # Another organisation's user reaches neither the run nor its file.
    other = api_client(bank_a_user)
    assert other.get(f"{sent['Location']}/file").status_code == 404
    assert other.post_json("/api/v1/exports/pledge-registrations/jobs", period).status_code == 403


def test_a_period_too_long_is_refused_before_anything_is_queued(
    api_client: Callable[..., Any], office_user: User, today: Any
) -> None:
    office = api_client(office_user)
    for path in ("/api/v1/exports/pledge-registrations/jobs", "/api/v1/exports/demands/jobs"):
        too_long = {"start": (today - timedelta(days=400)).isoformat(), "end": today.isoformat()}
        refused = office.post_json(path, too_long)
        assert (refused.status_code, refused.json()["code"]) == (422, "period_invalid")
    assert not JobRun.objects.exists()


def test_the_demands_file_is_the_interchange_json(
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a_user: User,
    enterprise_a: Organisation,
    right: Any,
    today: Any,
) -> None:
    file_demand(api_client(enterprise_a_user), enterprise_a, right)
    office = api_client(office_user)
    period = {"start": today.isoformat(), "end": today.isoformat()}
    sent = office.post_json("/api/v1/exports/demands/jobs", period)
    assert sent.status_code == 202 and sent.json()["result"]["rows_exported"] == 1
    made = json.loads(office.get(f"{sent['Location']}/file").content)
    direct = office.get(f"/api/v1/exports/demands.json?start={today}&end={today}").json()
    made.pop("generated_at"), direct.pop("generated_at")
    assert made == direct


def test_the_office_exports_from_its_page_and_downloads_from_the_runs_page(
    client_for: Callable[[User], Client],
    office_user: User,
    bank_a_user: User,
    make_pledge: Callable[..., Pledge],
    examiner: User,
    today: Any,
) -> None:
    approve(examiner, make_pledge())
    client = client_for(office_user)
    assert "数据交换" in client.get("/exchange/").content.decode()
    period = {"start": (today - timedelta(days=7)).isoformat(), "end": today.isoformat()}
    answer = client.post("/exchange/", {**period, "export": "pledges"})
    run = JobRun.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/jobs/{run.pk}/"
    html = client.get(answer["Location"]).content.decode()
    assert run.state == JobState.DONE and "导出行数 1" in html
    assert f'href="/jobs/{run.pk}/file"' in html
    download = client.get(f"/jobs/{run.pk}/file")
    assert download.status_code == 200 and download.content.startswith("\ufeff".encode())
    listed = client.get("/exchange/").content.decode()
    assert f'href="/jobs/{run.pk}/"' in listed
    # The period's errors next to their inputs; no choice of file, a refusal above the form.
    backwards = client.post(
        "/exchange/", {"start": "2026-02-01", "end": "bad", "export": "pledges"}
    )
    assert backwards.status_code == 400 and 'id="id_end_error"' in backwards.content.decode()
    unknown = client.post("/exchange/", {**period, "export": "drop"})
    assert unknown.status_code == 422 and JobRun.objects.count() == 1
    # A bank has no such page, nor the office's file.
    bank = client_for(bank_a_user)
    assert bank.get("/exchange/").status_code == 403
    assert bank.get(f"/jobs/{run.pk}/file").status_code == 404
    assert JobFile.objects.filter(run=run, role="output").count() == 1
