"""No lost updates on a right's term facts (ipfin.common.versioning): the right's reads answer
`version` and the ETag, PATCH names the version in If-Match (a stale one is a 409
`version_conflict` that changes nothing, none a 428), the right's page carries it in a hidden
input and shows a stale form's refusal in the form, and an import that changes a right makes a
new version of it. PostgreSQL: eight edits of one version at once, exactly one wins."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.common.tests.concurrency import THREADS, run_at_once
from ipfin.registry.models import Right
from ipfin.registry.services import right_term_facts_set
from ipfin.registry.tests.test_import import cnipr_row, run, write_cnipr

MakeRight = Callable[..., Right]


def _work(make_right: MakeRight) -> Right:
    """A copyright, whose term rests on facts the office records (著作权法 art. 23)."""
    return make_right(
        kind="copyright",
        number="2019SR0111111",
        filing_date=date(2019, 5, 20),
        grant_date=date(2019, 6, 1),
    )


def _patch(client: Any, right: Right, body: dict[str, Any], if_match: str | None) -> Any:
    headers = {"HTTP_IF_MATCH": if_match} if if_match is not None else {}
    return client.patch(
        f"/api/v1/rights/{right.number}", body, content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_the_right_is_read_and_corrected_with_its_version_and_etag(
    make_right: MakeRight, office: Any, public: Any
) -> None:
    work = _work(make_right)
    read = public.get(f"/api/v1/rights/{work.number}")
    assert (read.json()["version"], read["ETag"]) == (1, '"1"')
    written = _patch(office, work, {"author_kind": "person"}, read["ETag"])
    assert (written.status_code, written.json()["version"], written["ETag"]) == (200, 2, '"2"')
    assert public.get(f"/api/v1/rights/{work.number}")["ETag"] == '"2"'


@pytest.mark.django_db
def test_a_stale_correction_is_409_and_changes_nothing(
    make_right: MakeRight, office: Any, api_client: Callable[..., Any], examiner: User
) -> None:
    work = _work(make_right)
    other = api_client(examiner)
    assert _patch(office, work, {"author_kind": "organisation"}, '"1"').status_code == 200
    refused = _patch(other, work, {"author_kind": "person", "created_on": "2018-01-01"}, '"1"')
    assert refused.status_code == 409
    assert {k: v for k, v in refused.json().items() if k != "detail"} == {
        "code": "version_conflict",
        "current_version": 2,
    }
    work.refresh_from_db()
    assert (work.version, work.author_kind, work.created_on) == (2, "organisation", None)
    assert AuditRecord.objects.filter(action="right.term_facts").count() == 1
    missing = _patch(other, work, {"created_on": "2018-01-01"}, None)
    assert (missing.status_code, missing.json()["code"]) == (428, "version_required")
    bad = _patch(other, work, {"created_on": "2018-01-01"}, "latest")
    assert (bad.status_code, bad.json()["code"]) == (422, "if_match_invalid")
    work.refresh_from_db()
    assert (work.version, work.created_on) == (2, None)


@pytest.mark.django_db
def test_a_stale_term_facts_form_shows_the_conflict_in_the_form_and_saves_nothing(
    make_right: MakeRight, client_for: Callable[[User], Client], office: Any, examiner: User
) -> None:
    work = _work(make_right)
    client = client_for(examiner)
    page = client.get(f"/rights/{work.number}/").content.decode()
    assert '<input type="hidden" name="terms-version" value="1"' in page
    # Another examiner records the author while the page is open.
    assert _patch(office, work, {"author_kind": "organisation"}, '"1"').status_code == 200
    stale = client.post(
        f"/rights/{work.number}/",
        {"form": "term_facts", "terms-author_kind": "person", "terms-version": "1"},
    )
    assert stale.status_code == 409
    form = stale.context["terms_form"]
    assert "当前版本 2" in form.non_field_errors()[0]
    assert "当前版本 2" in html.unescape(stale.content.decode())
    work.refresh_from_db()
    assert (work.version, work.author_kind) == (2, "organisation")
    saved = client.post(
        f"/rights/{work.number}/",
        {"form": "term_facts", "terms-author_kind": "person", "terms-version": "2"},
    )
    assert saved.status_code == 302
    work.refresh_from_db()
    assert (work.version, work.author_kind) == (3, "person")


@pytest.mark.django_db
def test_an_import_that_changes_a_right_makes_a_new_version(tmp_path: Path) -> None:
    run(write_cnipr(tmp_path / "a" / "v1.csv", [cnipr_row("CN201220249767.4")]))
    assert Right.objects.get().version == 1
    run(write_cnipr(tmp_path / "a" / "v1b.csv", [cnipr_row("CN201220249767.4")]))  # same facts
    assert Right.objects.get().version == 1
    run(write_cnipr(tmp_path / "a" / "v2.csv", [cnipr_row("CN201220249767.4", "新名称")]))
    assert (Right.objects.get().title, Right.objects.get().version) == ("新名称", 2)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_corrections_of_one_version_exactly_one_wins(
    make_right: MakeRight, examiner: User
) -> None:
    assert connection.vendor == "postgresql"
    work = _work(make_right)
    days = [date(2018, 1, 1 + i) for i in range(THREADS)]

    def correct(i: int) -> date:
        actor = User.objects.select_related("organisation").get(pk=examiner.pk)
        right_term_facts_set(actor=actor, right=work, version=1, created_on=days[i])
        return days[i]

    results = run_at_once(correct)
    winners = [value for outcome, value in results if outcome == "ok"]
    assert len(winners) == 1, results
    assert [r for r in results if r[0] != "ok"] == [("conflict", "version_conflict")] * (
        THREADS - 1
    ), results
    work.refresh_from_db()
    assert (work.version, work.created_on) == (2, winners[0])
    assert AuditRecord.objects.filter(action="right.term_facts").count() == 1
