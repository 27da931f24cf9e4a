"""The anonymous calculators' rate limit (ipfin.accounts.ratelimit) over the real API: per client
address, IPFIN_ANON_CALCULATOR_RATE (30/m) for POST /valuations/preview and POST /schedules/preview
together; the 31st call of a minute is 429 `rate_limited` with Retry-After, before the body is
read; logged-in callers (a bearer token, a session) are not counted; the document declares it."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from ipfin.accounts import ratelimit
from ipfin.accounts.models import User

pytestmark = pytest.mark.django_db

VALUATION = "/api/v1/valuations/preview"
SCHEDULE = "/api/v1/schedules/preview"
INCOME = {
    "method": "income",
    "revenues": ["1000000"] * 3,
    "share_rate": "0.25",
    "tax_rate": "0.25",
    "discount_rate": "0.10",
    "life_years": "3",
}
TERMS = {
    "principal": "12000",
    "annual_rate": "0.12",
    "months": 3,
    "method": "annuity",
    "start_date": "2025-01-31",
}
# 20 seconds into a minute (1,000,020 is a multiple of 60): 40 seconds until the next one.
START = 1_000_040.0


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The rate limit's clock, held still at START; the test moves it by setting now[0]."""
    held = [START]
    monkeypatch.setattr(ratelimit, "clock", lambda: held[0])
    return held


def _post(client: Client, path: str, body: dict[str, Any], **extra: Any) -> Any:
    return client.post(path, body, content_type="application/json", **extra)


def _anonymous(address: str = "192.0.2.10") -> Client:
    return Client(REMOTE_ADDR=address)


def test_the_31st_anonymous_call_in_a_minute_is_429_with_retry_after(now: list[float]) -> None:
    client = _anonymous()
    for i in range(30):
        response = _post(client, VALUATION, INCOME)
        assert response.status_code == 200, (i, response.json())
    refused = _post(client, VALUATION, INCOME)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["retry_after"] == 40
    assert refused.json()["detail"]
    # Refused before the body is read: a body that is not even JSON gets the same answer.
    broken = client.post(VALUATION, "{not json", content_type="application/json")
    assert broken.status_code == 429
    # The next minute admits the address again.
    now[0] = START + 40
    assert _post(client, VALUATION, INCOME).status_code == 200


def test_the_two_calculators_share_one_count_per_address(now: list[float]) -> None:
    client = _anonymous()
    for _ in range(15):
        assert _post(client, VALUATION, INCOME).status_code == 200
        assert _post(client, SCHEDULE, TERMS).status_code == 200
    assert _post(client, SCHEDULE, TERMS).status_code == 429
    assert _post(client, VALUATION, INCOME).status_code == 429


def test_another_address_is_counted_apart_and_a_forged_forwarded_for_is_not(
    now: list[float],
) -> None:
    limited = _anonymous("192.0.2.10")
    for _ in range(30):
        assert _post(limited, SCHEDULE, TERMS).status_code == 200
    assert _post(limited, SCHEDULE, TERMS).status_code == 429
    # No proxy of ours in front (IPFIN_TRUSTED_PROXY_COUNT = 0): the header is the client's say.
    forged = _post(limited, SCHEDULE, TERMS, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert forged.status_code == 429
    assert _post(_anonymous("192.0.2.11"), SCHEDULE, TERMS).status_code == 200


def test_an_ipv6_address_counts_as_its_64(now: list[float]) -> None:
    for i in range(30):
        client = _anonymous(f"2001:db8:0:1::{i + 1:x}")
        assert _post(client, SCHEDULE, TERMS).status_code == 200
    assert _post(_anonymous("2001:db8:0:1::ffff"), SCHEDULE, TERMS).status_code == 429
    assert _post(_anonymous("2001:db8:0:2::1"), SCHEDULE, TERMS).status_code == 200


def test_authenticated_callers_are_not_limited(
    now: list[float],
    api_client: Callable[..., Any],
    bank_a_user: User,
    enterprise_a_user: User,
) -> None:
    token = api_client(bank_a_user)
    session = Client()
    session.force_login(enterprise_a_user)
    for i in range(35):
        assert token.post_json(VALUATION, INCOME).status_code == 200, i
        assert _post(session, SCHEDULE, TERMS).status_code == 200, i
    # Their calls took nothing from the address's anonymous count.
    assert _post(_anonymous("127.0.0.1"), SCHEDULE, TERMS).status_code == 200


def test_the_rate_is_a_setting(now: list[float], settings: Any) -> None:
    settings.IPFIN_ANON_CALCULATOR_RATE = "2/h"
    client = _anonymous()
    assert _post(client, SCHEDULE, TERMS).status_code == 200
    assert _post(client, SCHEDULE, TERMS).status_code == 200
    refused = _post(client, SCHEDULE, TERMS)
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(3600 - int(START) % 3600)


@pytest.mark.parametrize(
    ("text", "rate"), [("30/m", (30, 60)), ("1/s", (1, 1)), (" 500 / h ", (500, 3600))]
)
def test_parse_rate(text: str, rate: tuple[int, int]) -> None:
    assert ratelimit.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["30", "30/minute", "0/m", "-1/m", "30/5m", ""])
def test_a_malformed_rate_is_a_configuration_error_naming_the_setting(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="IPFIN_ANON_CALCULATOR_RATE"):
        ratelimit.parse_rate(text)


def test_the_document_declares_429_with_retry_after_on_the_throttled_operations_only(
    api_client: Callable[..., Any],
) -> None:
    document = api_client().get("/api/schema").json()
    limited = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, op in operations.items()
        if "429" in op["responses"]
    }
    assert limited == {
        ("post", VALUATION),
        ("post", SCHEDULE),
        ("post", "/api/v1/risk/compensation/preview"),
        ("post", "/api/v1/risk/npl-tolerance/preview"),
        ("post", "/api/v1/index/preview"),
        ("post", "/api/v1/abs/waterfall/preview"),
        ("get", "/api/v1/rights/{number}/score"),
        ("get", "/api/v1/rights"),  # the public search
        ("get", "/api/v1/pledges/public"),  # the public search of the registered pledges
        ("get", "/api/v1/index/published"),  # the public reads over many rows
        ("get", "/api/v1/index/zones/{zone_id}/history"),
        ("get", "/api/v1/trading/stats"),
        ("get", "/api/v1/rights/{number}/comparables"),
    }
    response = document["paths"][VALUATION]["post"]["responses"]["429"]
    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert response["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}


def test_the_score_counts_only_when_it_computes(
    now: list[float], make_right: Callable[..., Any]
) -> None:
    """GET /rights/{n}/score reads the stored score uncounted, however often; it computes over
    the right's cohort, counted with the calculators, when weights or expert assessments are
    given, or when the right has no stored score (added since the last run). That last case had
    gone uncounted: every plain call read and ranked a cohort."""
    from django.core.management import call_command

    scored = make_right()
    call_command("score_portfolio", stdout=io.StringIO())
    unscored = make_right()  # registered after the run: no stored score
    client = _anonymous()
    path = f"/api/v1/rights/{scored.number}/score"
    for _ in range(40):
        read = client.get(path)
        assert read.status_code == 200 and read.json()["stored"] is True
    for _ in range(20):
        assert _post(client, VALUATION, INCOME).status_code == 200
    for i in range(5):
        response = client.get(path, {"expert_legal": "80"})
        assert response.status_code == 200, (i, response.json())
    for i in range(5):
        computed = client.get(f"/api/v1/rights/{unscored.number}/score")
        assert computed.status_code == 200 and computed.json()["stored"] is False, i
    refused = client.get(f"/api/v1/rights/{unscored.number}/score")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    refused = client.get(path, {"legal": "0.5", "technical": "0.25", "economic": "0.25"})
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert client.get(path).status_code == 200  # reading the stored score: still allowed


def test_anonymous_searches_of_the_register_have_their_own_count_api_and_page(
    now: list[float], settings: Any, api_client: Callable[..., Any], bank_a_user: User
) -> None:
    """Each public search reads every matching right (and the list counts them: most of the
    register for a common word); an address past IPFIN_ANON_SEARCH_RATE is refused before any
    is read, on the API (429 `rate_limited`, Retry-After, declared) and on the 公开查询 and the
    登记簿查询 pages (429, the reason in words). A bank's system with its token is not counted,
    nor the calculators' count touched."""
    settings.IPFIN_ANON_SEARCH_RATE = "3/m"
    client = _anonymous()
    for _ in range(2):
        assert client.get("/api/v1/rights", {"q": "装置"}).status_code == 200
    assert client.get("/public/", {"q": "装置"}).status_code == 200
    refused = client.get("/api/v1/rights")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert refused["Retry-After"] == "40"
    page = client.get("/public/", {"q": "装置"})
    assert page.status_code == 429 and page["Retry-After"] == "40"
    html = page.content.decode()
    assert "查询过于频繁，请 40 秒后再试" in html and 'data-testid="public-rights"' not in html
    assert client.get("/public/").status_code == 200  # the page itself, no search: not counted
    # The register's own search page, by a word or by a kind, is the same search: refused too.
    for query in ({"q": "装置"}, {"kind": "invention"}):
        register = client.get("/rights/", query)
        assert register.status_code == 429 and register["Retry-After"] == "40"
        assert "查询过于频繁" in register.content.decode()
    assert client.get("/rights/").status_code == 200
    assert _post(client, SCHEDULE, TERMS).status_code == 200  # the calculators' own count
    bank = api_client(bank_a_user)
    for _ in range(5):
        assert bank.get("/api/v1/rights", {"q": "装置"}).status_code == 200
    now[0] += 60  # the next minute
    assert client.get("/api/v1/rights", {"q": "装置"}).status_code == 200


def test_the_public_pledge_search_counts_with_the_register_s_searches(
    now: list[float], settings: Any
) -> None:
    """GET /pledges/public matches its text over every registration: an anonymous address shares
    the register's search count (IPFIN_ANON_SEARCH_RATE)."""
    settings.IPFIN_ANON_SEARCH_RATE = "2/m"
    client = _anonymous()
    assert client.get("/api/v1/pledges/public", {"q": "装置"}).status_code == 200
    assert client.get("/api/v1/rights", {"q": "装置"}).status_code == 200
    for path in ("/api/v1/pledges/public", "/api/v1/rights"):
        refused = client.get(path, {"q": "装置"})
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited", path
        assert refused["Retry-After"] == "40"


def test_anonymous_public_reads_over_many_rows_have_their_own_count_api_and_pages(
    now: list[float],
    settings: Any,
    api_client: Callable[..., Any],
    bank_a_user: User,
    make_org: Callable[..., Any],
    make_right: Callable[..., Any],
) -> None:
    """The index's ranking and a zone's history read every published run's results, the trading
    figures aggregate every listing and deal, the comparables rank the register's priced
    transfers: an address past IPFIN_ANON_READ_RATE is refused before anything is read, on the
    API (429 `rate_limited`, Retry-After, declared) and on the two index pages (429, the reason
    in words). A bank's system with its token is not counted, nor the searches' count touched."""
    from ipfin.accounts.models import OrganisationKind

    settings.IPFIN_ANON_READ_RATE = "4/m"
    zone = make_org(OrganisationKind.PARK)
    right = make_right()
    reads = [
        "/api/v1/index/published",
        f"/api/v1/index/zones/{zone.pk}/history",
        "/api/v1/trading/stats",
        f"/api/v1/rights/{right.number}/comparables",
    ]
    client = _anonymous()
    for path in reads:
        assert client.get(path).status_code == 200, path
    for path in reads:
        refused = client.get(path)
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited", path
        assert refused["Retry-After"] == "40"
    # The pages say why, not that nothing was published.
    for page, instead in (
        ("/index/", "尚未发布示范区指数"),
        (f"/index/zones/{zone.pk}/", "该示范区尚未出现在已发布的指数中"),
    ):
        answer = client.get(page)
        assert answer.status_code == 429 and answer["Retry-After"] == "40", page
        html = answer.content.decode()
        assert "查询过于频繁，请 40 秒后再试" in html and instead not in html, page
    # The trading board's page shows its listings, not its figures (they aggregate every deal).
    board = client.get("/trading/")
    assert board.status_code == 200
    html = board.content.decode()
    assert "查询过于频繁，请 40 秒后再试" in html and "暂无交易" not in html
    assert client.get("/api/v1/rights", {"q": "装置"}).status_code == 200  # the searches' count
    bank = api_client(bank_a_user)
    for path in reads * 2:
        assert bank.get(path).status_code == 200, path
    now[0] += 60  # the next minute
    assert client.get("/index/").status_code == 200
    assert client.get(reads[1]).status_code == 200
    assert "暂无交易" in client.get("/trading/").content.decode()
