"""The register's pages over the real stack: the right search, the right's page with its status,
timeline, owners and public pledges, the term's end, the annuity caveat of imported rights, and bad
input as form errors or 404s, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ipfin.pledges.tests.factories import approve, file_pledge
from ipfin.registry.domain import RightKind, annuity_due_date, annuity_schedule
from ipfin.registry.services import right_event_record
from ipfin.registry.tests.factories import make_patent

pytestmark = pytest.mark.django_db

# An imported source that records only the grant-year annuity: the status is inferred.
IMPORTED = "cn-patents-cnipr-export/cnipr_export_199.csv"


def _time(day) -> str:
    """A date as the pages print it: in a <time> element (ipfin_web's `day` filter)."""
    return f'<time datetime="{day:%Y-%m-%d}">{day:%Y-%m-%d}</time>'


def _html(resp) -> str:
    return resp.content.decode()


def test_right_search_finds_by_number_and_shows_status(patent):
    resp = Client().get("/rights/", {"q": patent.number, "kind": "invention"})
    html = _html(resp)
    assert resp.status_code == 200
    assert f'data-right="{patent.number}"' in html
    assert 'data-status="in_force"' in html
    none = _html(Client().get("/rights/", {"q": patent.number, "kind": "trademark"}))
    assert f'data-right="{patent.number}"' not in none


def test_right_page_shows_status_timeline_owners_and_public_pledges(
    client_for, patent, enterprise_a, examiner, bank_a_user
):
    pledge = file_pledge(bank_user=bank_a_user, pledgor=enterprise_a, rights=[patent])
    approve(examiner, pledge)
    pledge.refresh_from_db()
    resp = Client().get(f"/rights/{patent.number}/")
    html = _html(resp)
    assert resp.status_code == 200
    assert 'data-testid="right-status" data-status="in_force"' in html
    assert "缴纳年费" in html and "第 " in html  # the annuity events in the timeline
    assert "期限届满失效" in html  # the term's end, ahead
    assert enterprise_a.name in html and "现权利人" in html
    assert f'data-registration-no="{pledge.registration_no}"' in html
    assert "5,000,000" not in html and "500.00 万元" not in html  # no debt amount in public


def test_timeline_shows_a_lapse_from_the_unpaid_due_date(examiner, enterprise_a):
    today = timezone.localdate()
    filing, grant = today - timedelta(days=6 * 365), today - timedelta(days=4 * 365)
    patent = make_patent(
        examiner=examiner, owner=enterprise_a, filing_date=filing, grant_date=grant, paid=False
    )
    first_year, _due = annuity_schedule(RightKind.INVENTION, filing, grant)[0]
    right_event_record(
        actor=examiner, right=patent, type="annuity_paid", date=grant, payload={"year": first_year}
    )
    unpaid_due = annuity_due_date(filing, grant, first_year + 1)
    html = _html(Client().get(f"/rights/{patent.number}/"))
    assert 'data-testid="right-status" data-status="lapsed"' in html
    timeline = html[html.index('data-testid="right-timeline"') :]
    row = re.search(rf"<td>{_time(unpaid_due)}</td>.*?</tr>", timeline, re.S).group(0)
    assert 'class="badge lapsed"' in row
    assert "终止（未缴年费）" in row


def test_right_page_for_an_unknown_number_is_a_friendly_404():
    resp = Client().get("/rights/202110999999.9/")
    assert resp.status_code == 404
    assert 'data-testid="error-page"' in _html(resp)


@pytest.mark.parametrize("number", ["a%00b", "2021%001000001.2", "1" * 300])
def test_right_page_for_a_nul_or_overlong_number_is_a_404(number):
    resp = Client().get(f"/rights/{number}/")
    assert resp.status_code == 404
    assert 'data-testid="error-page"' in _html(resp)


@pytest.mark.parametrize("path", ["/rights/", "/public/"])
@pytest.mark.parametrize("q", ["a\x00b", "x" * 201])
def test_search_with_a_nul_or_overlong_query_shows_a_form_error(patent, path, q):
    resp = Client().get(path, {"q": q, "kind": "invention"})
    html = _html(resp)
    assert resp.status_code == 400
    assert 'data-testid="search-error"' in html
    assert f'data-right="{patent.number}"' not in html  # nothing searched


def test_right_search_with_an_unknown_kind_shows_a_form_error(patent):
    resp = Client().get("/rights/", {"q": patent.number, "kind": "x\x00"})
    assert resp.status_code == 400
    assert 'data-testid="search-error"' in _html(resp)


def test_right_page_shows_the_last_day_of_protection_and_the_day_the_term_ends(patent):
    from ipfin.registry.selectors import right_status

    expiry = right_status(patent, on=timezone.localdate()).expiry_date  # first day not in force
    last_day = expiry - timedelta(days=1)
    html = _html(Client().get(f"/rights/{patent.number}/"))
    summary = html[html.index('data-testid="right-summary"') : html.index("right-timeline")]
    assert re.search(
        rf'<dt>保护期限至</dt><dd data-testid="protected-until">{last_day:%Y-%m-%d}</dd>', summary
    )
    assert "保护期限届满日" not in html  # no label a reader could take for the last day in force
    timeline = html[html.index('data-testid="right-timeline"') :]
    row = re.search(rf"<td>{_time(expiry)}</td>.*?</tr>", timeline, re.S).group(0)
    assert "期限届满失效" in row
    assert f"保护期限至 {last_day:%Y-%m-%d}" in row
    assert 'class="badge expired"' in row


def test_english_right_page_says_protected_until(patent):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = _html(client.get(f"/rights/{patent.number}/"))
    assert "<dt>Protected until</dt>" in html
    assert "Term expired: no longer in force" in html


def _imported_lapsed_patent(examiner, enterprise_a, source=IMPORTED):
    """An imported patent the source records only the grant-year annuity for (as the importer
    does), granted four years ago: lapsed from its second patent year by inference."""
    today = timezone.localdate()
    filing, grant = today - timedelta(days=6 * 365), today - timedelta(days=4 * 365)
    patent = make_patent(
        examiner=examiner,
        owner=enterprise_a,
        filing_date=filing,
        grant_date=grant,
        paid=False,
        source=source,
    )
    first_year, _due = annuity_schedule(RightKind.INVENTION, filing, grant)[0]
    right_event_record(
        actor=examiner, right=patent, type="annuity_paid", date=grant, payload={"year": first_year}
    )
    return patent, first_year


def test_an_imported_lapsed_right_carries_the_annuity_caveat(examiner, enterprise_a):
    patent, first_year = _imported_lapsed_patent(examiner, enterprise_a)
    html = _html(Client().get(f"/rights/{patent.number}/"))
    assert 'data-status="lapsed"' in html  # the status is the register's, unchanged
    assert 'data-testid="annuity-caveat"' in html
    assert (
        f"年费缴纳信息来自数据源：数据源未载明第 {first_year} 年之后的年费缴纳记录，"
        "状态按未缴推定。" in html
    )
    search = _html(Client().get("/rights/", {"q": patent.number}))
    row = re.search(rf'<tr data-right="{patent.number}">.*?</tr>', search, re.S).group(0)
    assert 'data-status="lapsed"' in row
    assert 'data-testid="annuity-caveat"' in row and "年费按未缴推定" in row


def test_the_annuity_caveat_in_english(examiner, enterprise_a):
    patent, first_year = _imported_lapsed_patent(examiner, enterprise_a)
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = _html(client.get(f"/rights/{patent.number}/"))
    assert (
        "Annuity payments come from the imported source, which records none after year "
        f"{first_year}; the status assumes they were not paid." in html
    )


@pytest.mark.parametrize("source", ["", "demo", "api"])
def test_no_annuity_caveat_for_rights_kept_in_the_register_itself(examiner, enterprise_a, source):
    patent, _year = _imported_lapsed_patent(examiner, enterprise_a, source=source)
    html = _html(Client().get(f"/rights/{patent.number}/"))
    assert 'data-status="lapsed"' in html
    assert "annuity-caveat" not in html
    search = _html(Client().get("/rights/", {"q": patent.number}))
    assert "annuity-caveat" not in search


def test_no_annuity_caveat_for_an_imported_right_in_force(examiner, enterprise_a):
    patent = make_patent(examiner=examiner, owner=enterprise_a, source=IMPORTED)
    html = _html(Client().get(f"/rights/{patent.number}/"))
    assert 'data-status="in_force"' in html
    assert "annuity-caveat" not in html


def test_an_expired_right_has_one_timeline_entry_for_the_end_of_its_term(examiner, enterprise_a):
    today = timezone.localdate()
    filing = today - timedelta(days=21 * 365)
    patent = make_patent(
        examiner=examiner,
        owner=enterprise_a,
        kind="utility_model",  # 10 years
        filing_date=filing,
        grant_date=filing + timedelta(days=400),
    )
    from ipfin.registry.selectors import right_status

    status = right_status(patent, on=today)
    assert status.status.value == "expired" and status.since == status.expiry_date
    html = _html(Client().get(f"/rights/{patent.number}/"))
    timeline = html[html.index('data-testid="right-timeline"') :]
    rows = re.findall(rf"<td>{_time(status.expiry_date)}</td>.*?</tr>", timeline, re.S)
    assert len(rows) == 1  # not also a bare "期限届满" on the same day
    assert "期限届满失效" in rows[0] and 'class="badge expired"' in rows[0]
    last_day = status.expiry_date - timedelta(days=1)
    assert f'data-testid="protected-until">{last_day:%Y-%m-%d}<' in html


def test_the_next_annuity_due_on_a_rest_day_shows_its_last_day_in_time_shishi_xize_r6(
    examiner, enterprise_a
):
    """An annuity falling due on a weekend or holiday is paid in time on the first working day
    after (专利法实施细则 2023 r. 6 ¶1): the right's page says to which day, next to the due
    date, and the status API gives it as `payable_until`; a due date on a working day has no
    note and is its own last day."""
    from ipfin.holidays.selectors import working_calendar
    from ipfin.registry.domain import add_years

    today = timezone.localdate()
    calendar = working_calendar()
    days = [today + timedelta(days=k) for k in range(8, 60)]
    rest = next(d for d in days if not calendar.is_working_day(d) and d.month != 2)
    work = next(d for d in days if calendar.is_working_day(d) and d.month != 2)
    moved = calendar.working_day_from(rest)
    assert moved > rest
    on_rest_day = make_patent(
        examiner=examiner, owner=enterprise_a, filing_date=add_years(rest, -3)
    )
    html = _html(Client().get(f"/rights/{on_rest_day.number}/"))
    assert f"第 4 年，{rest:%Y-%m-%d} 前缴纳" in html
    note = re.search(r'data-testid="annuity-payable-until">(.*?)</small>', html, re.S)
    assert note is not None and _time(moved) in note.group(1) and "顺延至" in note.group(1)
    api = Client().get(f"/api/v1/rights/{on_rest_day.number}/status").json()["next_annuity"]
    assert (api["year"], api["due_date"], api["payable_until"]) == (
        4,
        rest.isoformat(),
        moved.isoformat(),
    )
    on_work_day = make_patent(
        examiner=examiner, owner=enterprise_a, filing_date=add_years(work, -3)
    )
    html = _html(Client().get(f"/rights/{on_work_day.number}/"))
    assert f"{work:%Y-%m-%d} 前缴纳" in html and "annuity-payable-until" not in html
    api = Client().get(f"/api/v1/rights/{on_work_day.number}/status").json()["next_annuity"]
    assert api["payable_until"] == api["due_date"] == work.isoformat()
