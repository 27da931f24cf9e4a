"""The index's pages: the public ranking and each zone's history (anyone, in Chinese and English),
the office's pages to configure, upload (the wrong rows listed next to the file input), compute
and publish (after a confirmation); a bank is refused, an anonymous visitor sent to log in."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.zoneindex import services
from ipfin.zoneindex.models import IndexRun, IndicatorSystem, SystemState, ZoneValue
from ipfin.zoneindex.tests.conftest import UPLOADED, Parks, make_workbook

pytestmark = pytest.mark.django_db

# What no page shows as text (only the indicator code column, labelled 指标代码, shows codes).
CODES = ("minmax", "zscore", "entropy", "industry_base", "loan_amount", "platform", "uploaded",
         "positive", "negative", "draft", "active")  # fmt: skip


def _text(page: str) -> str:
    """What the page shows: its text without tags, attributes, the language menu or scripts."""
    body = page.split("<main", 1)[1]
    return re.sub(r"<[^>]+>", " ", body)


@pytest.fixture
def published(
    three_indicator_system: IndicatorSystem, examiner: User, parks: Parks, park_loans: None
) -> IndexRun:
    year = timezone.localdate().year
    services.zone_values_upload(
        actor=examiner,
        system=three_indicator_system,
        year=year,
        uploaded_file=make_workbook(UPLOADED),
    )
    run = services.index_compute(actor=examiner, system=three_indicator_system, year=year)
    return services.index_publish(actor=examiner, run=run)


def _english(client: Client, url: str) -> str:
    client.post("/i18n/setlang/", {"language": "en", "next": url})
    return client.get(url).content.decode()


def test_the_public_ranking_shows_scores_ranks_and_contributions_issue15(
    published: IndexRun, parks: Parks, client: Client
) -> None:
    response = client.get("/index/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="score-{parks.a.pk}">75.00' in page
    assert f'data-testid="rank-{parks.b.pk}">2' in page
    assert "质押贷款放款额" in page and "产业基础" in page and "权重 50.00%" in page
    # B's contributions: 12.50 (a quarter of A's 50 → a bar of 25), 25.00, 0.00.
    row = page.split(f'data-zone-id="{parks.b.pk}"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<span>([0-9.]+)</span>", row) == ["12.50", "25.00", "0.00"]
    assert 'width="25.00" height="8" fill="#0b5cad"' in row
    assert f'href="/index/zones/{parks.b.pk}/"' in page
    text = _text(page)
    assert not [code for code in (*CODES, "loans", "npl") if re.search(rf"\b{code}\b", text)]


def test_the_public_ranking_in_english(published: IndexRun, parks: Parks, client: Client) -> None:
    page = _english(client, "/index/")
    assert '<html lang="en">' in page
    assert "Pledge loans disbursed" in page and "NPL ratio" in page
    assert f'data-testid="score-{parks.c.pk}">25.00' in page


def test_a_zones_history_shows_its_score_and_rank_each_year_issue15(
    published: IndexRun, parks: Parks, client: Client
) -> None:
    response = client.get(f"/index/zones/{parks.b.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "乙园区" in page
    assert f'data-testid="history-score-{published.pk}">37.50' in page
    assert "第 2 名（共 3 个）" in page
    assert str(published.year) in page
    english = _english(client, f"/index/zones/{parks.b.pk}/")
    assert '<html lang="en">' in english
    assert f'data-testid="history-score-{published.pk}">37.50' in english
    assert client.get(f"/index/zones/{published.computed_by.pk + 10_000}/").status_code == 404


def test_nothing_published_yet_says_so(client: Client) -> None:
    page = client.get("/index/").content.decode()
    assert 'data-testid="no-ranking"' in page


def test_the_office_pages_render_in_chinese_and_english(
    published: IndexRun,
    three_indicator_system: IndicatorSystem,
    examiner: User,
    client_for: Callable[[User], Client],
) -> None:
    system = three_indicator_system
    rd = system.indicators.get(code="rd")
    urls = [
        "/index/systems/",
        "/index/systems/new/",
        f"/index/systems/{system.pk}/",
        f"/index/runs/{published.pk}/",
    ]
    client = client_for(examiner)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(f"/index/systems/{system.pk}/").content.decode()
    assert "指标代码" in detail and ">rd<" in detail  # the code column, labelled
    assert "启用" in detail and 'data-testid="system-activate"' not in detail  # not a draft
    run_page = client.get(f"/index/runs/{published.pk}/").content.decode()
    assert 'data-testid="reproduced"' in run_page
    assert "40.00 万元" in run_page  # A's loans, as an amount
    for url in urls:
        assert '<html lang="en">' in _english(client, url), url
    assert "CNY 400,000.00" in client.get(f"/index/runs/{published.pk}/").content.decode()
    # A draft's pages: the settings and the indicator forms.
    draft = services.system_new_version(actor=examiner, system=system)
    copy_rd = draft.indicators.get(code=rd.code)
    for url in (
        f"/index/systems/{draft.pk}/settings/",
        f"/index/systems/{draft.pk}/indicators/new/",
        f"/index/indicators/{copy_rd.pk}/edit/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_office_configures_a_system_through_the_pages(
    examiner: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(examiner)
    response = client.post(
        "/index/systems/new/", {"name": "页面指数", "method": "minmax", "weighting": "fixed"}
    )
    system = IndicatorSystem.objects.get(name="页面指数")
    assert response.status_code == 302 and response["Location"] == f"/index/systems/{system.pk}/"
    form = {
        "code": "rd", "name_zh": "研发", "name_en": "R&D", "dimension": "ip",
        "source": "uploaded", "platform_metric": "", "direction": "positive", "weight": "",
    }  # fmt: skip
    refused = client.post(f"/index/systems/{system.pk}/indicators/new/", form)
    assert refused.status_code == 422
    assert 'id="id_weight_error"' in refused.content.decode()  # next to the weight
    added = client.post(f"/index/systems/{system.pk}/indicators/new/", {**form, "weight": "2"})
    assert added.status_code == 302
    page = client.get(f"/index/systems/{system.pk}/").content.decode()
    assert "data-confirm=" in page.split('data-testid="system-activate"')[0].rsplit("<form", 1)[1]
    assert client.post(f"/index/systems/{system.pk}/activate/").status_code == 302
    system.refresh_from_db()
    assert system.state == SystemState.ACTIVE


def test_a_workbook_with_wrong_rows_lists_them_next_to_the_file_input_and_stores_nothing(
    three_indicator_system: IndicatorSystem,
    parks: Parks,
    examiner: User,
    client_for: Callable[[User], Client],
) -> None:
    rows = [*UPLOADED[:2], ("丁园区", "rd", 1), ("甲园区", "npl", "x"), *UPLOADED[4:]]
    response = client_for(examiner).post(
        f"/index/systems/{three_indicator_system.pk}/values/",
        {"year": "2025", "file": make_workbook(rows)},
    )
    assert response.status_code == 422
    page = response.content.decode()
    errors = page.split('id="id_file_error"', 1)[1].split("</ul>", 1)[0]
    assert "第 4 行：没有名称或统一社会信用代码为“丁园区”的园区。" in errors
    assert "第 5 行：数值“x”不是数字。" in errors
    assert errors.count("<li>") == 2
    assert not ZoneValue.objects.exists()


def test_the_office_computes_then_publishes_after_a_confirmation_issue15(
    three_indicator_system: IndicatorSystem,
    parks: Parks,
    park_loans: None,
    examiner: User,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(examiner)
    year = timezone.localdate().year
    system = three_indicator_system
    uploaded = client.post(
        f"/index/systems/{system.pk}/values/", {"year": str(year), "file": make_workbook(UPLOADED)}
    )
    assert uploaded.status_code == 302
    computed = client.post(f"/index/systems/{system.pk}/runs/", {"year": str(year)})
    run = IndexRun.objects.get()
    assert computed.status_code == 302 and computed["Location"] == f"/index/runs/{run.pk}/"
    page = client.get(f"/index/runs/{run.pk}/").content.decode()
    publish_form = page.split('data-testid="run-publish"')[0].rsplit("<form", 1)[1]
    assert f'action="/index/runs/{run.pk}/publish/"' in publish_form
    assert "data-confirm=" in publish_form
    assert client.post(f"/index/runs/{run.pk}/publish/").status_code == 302
    run.refresh_from_db()
    assert run.published
    again = client.post(f"/index/runs/{run.pk}/publish/")
    assert again.status_code == 409 and 'data-testid="action-error"' in again.content.decode()


def test_a_year_with_nothing_uploaded_is_said_next_to_the_year(
    three_indicator_system: IndicatorSystem, examiner: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(examiner).post(
        f"/index/systems/{three_indicator_system.pk}/runs/", {"year": "2020"}
    )
    assert response.status_code == 422
    assert 'id="id_year_error"' in response.content.decode()
    assert not IndexRun.objects.exists()


def test_a_bank_is_refused_the_office_pages_and_anonymous_visitors_sent_to_log_in(
    published: IndexRun,
    three_indicator_system: IndicatorSystem,
    bank_a_user: User,
    client_for: Callable[[User], Client],
    client: Client,
) -> None:
    system = three_indicator_system
    bank = client_for(bank_a_user)
    for url in ("/index/systems/", f"/index/systems/{system.pk}/", f"/index/runs/{published.pk}/"):
        assert bank.get(url).status_code == 403, url
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert bank.post(f"/index/systems/{system.pk}/versions/").status_code == 403
    assert IndicatorSystem.objects.count() == 1
    assert bank.get("/index/").status_code == 200


def test_the_ranking_page_takes_the_same_queries_for_one_system_or_two(
    published: IndexRun,
    examiner: User,
    parks: Parks,
    client: Client,
    count_queries: Callable[..., int],
) -> None:
    one = count_queries(lambda: client.get("/index/"))
    other = services.system_create(actor=examiner, name="另一指数", method="minmax",
                                   weighting="fixed")  # fmt: skip
    services.indicator_add(
        actor=examiner, system=other, code="rd", name_zh="研发", name_en="R&D",
        dimension="ip", source="uploaded", direction="positive", weight="1",
    )  # fmt: skip
    services.system_activate(actor=examiner, system=other)
    rows = [row for row in UPLOADED if row[1] == "rd"]
    services.zone_values_upload(
        actor=examiner, system=other, year=2025, uploaded_file=make_workbook(rows)
    )
    services.index_publish(
        actor=examiner, run=services.index_compute(actor=examiner, system=other, year=2025)
    )
    two = count_queries(lambda: client.get("/index/"))
    assert client.get("/index/").content.decode().count('data-testid="published-') == 2
    assert one == two
