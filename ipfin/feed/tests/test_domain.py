"""The change feed's pure rules: signatures, retry waits, addresses."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ipfin.feed.domain import (
    MAX_RETIRED_SECRETS,
    MAX_RETRY_WAIT,
    RETRY_WINDOW,
    ROTATION_GRACE,
    RetiredSecret,
    TooManyRotations,
    UrlProblem,
    address_public,
    next_try,
    retire,
    retry_wait,
    secrets_in_force,
    signature,
    signature_header,
    signature_valid,
    url_as_sent,
    url_problem,
)


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # As the issue gives it: hex HMAC-SHA256 of "<t>.<raw body>" with the secret.
    expected = hmac.new(b"s3cret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert signature("s3cret", 1700000000, b'{"a":1}') == expected
    assert signature_header(["s3cret"], 1700000000, b'{"a":1}') == f"t=1700000000,v1={expected}"


@given(body=st.binary(max_size=200), t=st.integers(0, 2**40))
def test_a_signature_checks_with_its_secret_and_not_with_another_or_another_body(
    body: bytes, t: int
) -> None:
    header = signature_header(["new-secret", "old-secret"], t, body)
    assert signature_valid("new-secret", header, body)
    assert signature_valid("old-secret", header, body)  # rotation: both sign during the grace
    assert not signature_valid("other", header, body)
    assert not signature_valid("new-secret", header, body + b"x")


def test_a_header_without_one_timestamp_is_invalid() -> None:
    body = b"{}"
    good = signature_header(["k"], 5, body)
    assert not signature_valid("k", good.replace("t=5,", ""), body)
    assert not signature_valid("k", "t=5,t=6," + good.split(",", 1)[1], body)
    assert not signature_valid("k", good.replace("t=5", "t=x"), body)


@given(attempts=st.integers(1, 10_000), first=st.integers(0, 3600))
def test_the_wait_doubles_and_never_exceeds_an_hour(attempts: int, first: int) -> None:
    wait = retry_wait(attempts, timedelta(seconds=first))
    assert timedelta(0) <= wait <= MAX_RETRY_WAIT
    assert retry_wait(attempts + 1, timedelta(seconds=first)) >= wait
    if first and attempts < 5:
        assert wait == min(timedelta(seconds=first * 2 ** (attempts - 1)), MAX_RETRY_WAIT)


def test_no_try_after_the_24_hour_window() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    assert next_try(now=start, first_try=start, attempts=1, first_wait=timedelta(seconds=30)) == (
        start + timedelta(seconds=30)
    )
    late = start + RETRY_WINDOW - timedelta(minutes=10)
    wait = timedelta(seconds=30)
    assert next_try(now=late, first_try=start, attempts=20, first_wait=wait) is None


def test_url_problems() -> None:
    assert url_problem("https://bank.example.com/hook", allow_http=False) is None
    assert url_problem("http://bank.example.com/hook", allow_http=False) is (
        UrlProblem.HTTP_NOT_ALLOWED
    )
    assert url_problem("http://bank.example.com/hook", allow_http=True) is None
    assert url_problem("ftp://bank.example.com/", allow_http=True) is UrlProblem.NOT_HTTP
    assert url_problem("https:///nohost", allow_http=False) is UrlProblem.NO_HOST
    assert url_problem("https://u:p@bank.example.com/", allow_http=False) is UrlProblem.CREDENTIALS
    assert url_problem("https://bank.example.com:99999/", allow_http=False) is UrlProblem.NO_HOST


def test_a_url_is_kept_as_an_http_request_line_carries_it() -> None:
    assert url_as_sent("https://bank.example.com/回调?k=值 1") == (
        "https://bank.example.com/%E5%9B%9E%E8%B0%83?k=%E5%80%BC%201"
    )
    plain = "https://bank.example.com:8443/a/b;v=1?x=1&y=%2F#f"
    assert url_as_sent(plain) == plain  # escapes and reserved characters stay
    assert url_as_sent(url_as_sent("https://b.example/a b")) == "https://b.example/a%20b"


@given(st.text(max_size=40))
def test_a_url_as_sent_is_ascii_without_spaces(path: str) -> None:
    sent = url_as_sent("https://bank.example.com/" + path.replace("#", "").replace("?", ""))
    assert sent.isascii() and not any(c.isspace() or ord(c) < 32 for c in sent)


def test_only_public_addresses_may_be_called() -> None:
    for private in (
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "0.0.0.0",  # noqa: S104 (an address refused, not bound)
        "::1",
        "fc00::1",
        "fe80::1%eth0",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "not-an-address",
    ):
        assert not address_public(private), private
    assert address_public("8.8.8.8")
    assert address_public("2001:4860:4860::8888")


@given(st.lists(st.integers(min_value=0, max_value=3 * 24 * 60), min_size=1, max_size=12))
def test_every_replaced_secret_signs_for_24_hours_after_it_was_replaced(
    gaps_in_minutes: list[int],
) -> None:
    """However often a webhook is rotated, each secret a rotation replaced signs until 24 hours
    after that rotation, and not after; a rotation is refused only while MAX_RETIRED_SECRETS
    replaced secrets still sign (and then changes nothing)."""
    start = datetime(2026, 12, 5, tzinfo=UTC)
    now, current, retired = start, "s0", []
    replaced_at: dict[str, datetime] = {}
    for n, gap in enumerate(gaps_in_minutes, start=1):
        now += timedelta(minutes=gap)
        live = [name for name, at in replaced_at.items() if now < at + ROTATION_GRACE]
        try:
            retired = retire(current, retired, now)
        except TooManyRotations:
            assert len(live) == MAX_RETIRED_SECRETS
            continue
        assert len(live) < MAX_RETIRED_SECRETS
        replaced_at[current] = now
        current = f"s{n}"
        signing = secrets_in_force(current, retired, now)
        assert signing[0] == current
        assert set(signing[1:]) == {
            name for name, at in replaced_at.items() if now < at + ROTATION_GRACE
        }
    later = now + ROTATION_GRACE
    assert secrets_in_force(current, retired, later) == [current]


def test_the_most_recently_replaced_secret_signs_first_after_the_current_one() -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    retired = [
        RetiredSecret("a", now + timedelta(hours=1)),
        RetiredSecret("b", now + timedelta(hours=20)),
        RetiredSecret("c", now - timedelta(seconds=1)),
    ]
    assert secrets_in_force("new", retired, now) == ["new", "b", "a"]
