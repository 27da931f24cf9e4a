"""The portal's pages over the real stack (Django's test client, the real database, data entered
through the services): login and its refusals, each role's home page, the language switch, the
server error page, and pinned query counts of the main pages."""

from __future__ import annotations

import re
from functools import partial

import pytest
from django.test import Client

from ipfin.pledges.tests.factories import approve

pytestmark = pytest.mark.django_db


def _html(resp) -> str:
    return resp.content.decode()


def test_login_then_back_to_the_page_asked_for(bank_a_user):
    client = Client()
    page = client.get("/login/?next=/pledges/new/")
    assert 'name="next" value="/pledges/new/"' in _html(page)
    resp = client.post(
        "/login/", {"username": "bank_a", "password": "pw-for-tests-1", "next": "/pledges/new/"}
    )
    assert resp.status_code == 302
    assert resp["Location"] == "/pledges/new/"


def test_login_refuses_an_offsite_next(bank_a_user):
    resp = Client().post(
        "/login/",
        {"username": "bank_a", "password": "pw-for-tests-1", "next": "https://evil.example/"},
    )
    assert resp.status_code == 302
    assert resp["Location"] == "/"


def test_bank_home_shows_its_pledges_by_state_and_notifications(
    client_for, bank_a_user, pledge, bank_b_user
):
    resp = client_for(bank_a_user).get("/")
    html = _html(resp)
    assert resp.status_code == 200
    assert 'data-testid="home-bank"' in html
    assert f'data-pledge-id="{pledge.pk}"' in html
    assert re.search(r'data-state="submitted">1<', html)
    assert "新建质押登记申请" in html
    other = _html(client_for(bank_b_user).get("/"))
    assert f'data-pledge-id="{pledge.pk}"' not in other


def test_enterprise_home_lists_its_rights_with_status_and_its_pledges(
    client_for, enterprise_a_user, patent, make_pledge
):
    pledge = make_pledge()
    html = _html(client_for(enterprise_a_user).get("/"))
    assert patent.number in html
    assert 'class="badge in_force"' in html
    assert f'data-pledge-id="{pledge.pk}"' in html
    # An enterprise may start the joint application itself (办法 arts. 3, 7), naming its bank.
    assert 'data-testid="nav-pledge-new"' in html
    form = _html(client_for(enterprise_a_user).get("/pledges/new/"))
    assert 'name="pledgee_uscc"' in form and 'name="pledgor_uscc"' not in form
    assert 'data-testid="joint-note"' in form


def test_regulator_home_shows_counts_by_state_and_registered_amount(
    client_for, regulator_user, examiner, make_pledge
):
    registered = make_pledge(debt_amount="12500000.00")
    approve(examiner, registered)
    make_pledge(debt_amount="1000000.00")  # still submitted: not in the registered amount
    html = _html(client_for(regulator_user).get("/"))
    assert 'data-testid="home-regulator"' in html
    assert re.search(r'data-state="registered">1<', html)
    assert re.search(r'data-state="submitted">1<', html)
    assert 'data-testid="registered-amount">1,250.00 万元<' in html
    assert 'data-testid="registered-count">1<' in html


def test_chinese_by_default_and_english_after_switching(bank_a_user):
    client = Client()
    assert "公开查询" in _html(client.get("/public/"))
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/public/"})
    assert resp.status_code == 302
    html = _html(client.get("/public/"))
    assert 'lang="en"' in html
    assert "Public query" in html
    assert "公开查询" not in html


def test_server_error_page_shows_no_traceback(settings, monkeypatch):
    settings.DEBUG = False
    from ipfin.portal import views

    def boom(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.pledge_selectors, "pledges_public_search", boom)
    resp = Client(raise_request_exception=False).get("/public/")
    html = _html(resp)
    assert resp.status_code == 500
    assert "服务器内部错误" in html
    assert "Traceback" not in html and "secret internals" not in html


def test_list_pages_run_the_same_queries_at_two_sizes(
    client_for, bank_a_user, examiner, enterprise_a_user, make_pledge, count_queries
):
    """Constant in the number of rows: each page loads its rows and their relations in a fixed
    number of queries (session and user included), the same with 4 pledges as with 12, and at
    most the pinned figure."""
    bank, exam, firm = client_for(bank_a_user), client_for(examiner), client_for(enterprise_a_user)
    first = make_pledge()
    approve(examiner, first)
    number = first.items.get().right.number
    pages = [
        (bank, "/pledges/", 6),
        # +2 since the joint application (what awaits the bank's confirmation), +5 the risk
        # dashboard (alert counts, annuity timeline, coverage, exposure by industry and by park).
        (bank, "/", 14),
        # The desk (issue 13): both kinds of case in one query (a UNION), their count for the
        # pages, their rights, the banks of the bank filter, the working-day calendar.
        (exam, "/examiner/queue/", 8),
        (exam, "/", 9),  # +1: the last walk of the audit chain
        (firm, "/", 11),  # +2 likewise, for the pledgor
        (bank, f"/pledges/{first.pk}/", 8),  # +1: the loans the release form names (issue 13)
        (Client(), f"/public/?q={number}", 4),
        (Client(), "/public/", 2),
        (Client(), "/rights/?q=测试", 2),
        # +1: the office's calendar, for the next annuity's last day in time (遇节假日顺延).
        (Client(), f"/rights/{number}/", 5),
    ]

    def measure():
        counts = []
        for client, path, _limit in pages:
            counts.append(count_queries(partial(client.get, path)))
            assert client.get(path).status_code == 200, path
        return counts

    for _ in range(3):
        make_pledge()
    small = measure()
    for i in range(8):
        pledge = make_pledge()
        if i % 2 == 0:
            approve(examiner, pledge)
    large = measure()
    assert large == small  # no query per row
    for (_client, path, limit), n in zip(pages, large, strict=True):
        assert n <= limit, (path, n)


@pytest.mark.parametrize(
    ("username", "counted_as"),
    [
        ("bank_a\x00", "bank_a"),  # NUL: PostgreSQL refuses it in any string
        ("b" * 151, "b" * 150),  # longer than the username column
        ("İ" * 150, ("İ" * 150).lower()[:150]),  # longer than the column once lowercased
    ],
)
def test_login_with_a_nul_or_overlong_username_is_an_ordinary_failed_login(
    bank_a_user, username, counted_as
):
    from ipfin.accounts.models import LoginAttempt, LoginOutcome

    resp = Client().post("/login/", {"username": username, "password": "pw-for-tests-1"})
    assert resp.status_code == 401
    assert 'data-testid="login-error"' in _html(resp)
    assert "_auth_user_id" not in Client().session
    failure = LoginAttempt.objects.get()
    assert failure.username == counted_as  # counted for throttling, within the column
    assert failure.outcome == LoginOutcome.FAILED


def test_nul_usernames_count_towards_the_lockout(settings, bank_a_user):
    settings.LOGIN_FAILURE_LIMIT = 2
    client = Client()
    for _attempt in range(2):
        bad = client.post("/login/", {"username": "bank_a\x00", "password": "x"})
        assert bad.status_code == 401
    # bank_a is now locked: even the right password is refused until the window has passed
    locked = client.post("/login/", {"username": "bank_a", "password": "pw-for-tests-1"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_with_a_nul_password_or_next_does_not_crash(bank_a_user):
    resp = Client().post("/login/", {"username": "bank_a", "password": "pw-for-tests-1\x00"})
    assert resp.status_code == 401
    ok = Client().post(
        "/login/", {"username": "bank_a", "password": "pw-for-tests-1", "next": "/pledges/\x00x"}
    )
    assert ok.status_code == 302
    assert ok["Location"] == "/"  # a next with control characters is not followed
