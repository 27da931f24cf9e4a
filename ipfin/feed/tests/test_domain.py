"""The change feed's pure rules: signatures, retry waits, addresses."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ipfin.feed.domain import (
    MAX_RETRY_WAIT,
    RETRY_WINDOW,
    UrlProblem,
    address_public,
    next_try,
    retry_wait,
    signature,
    signature_header,
    signature_valid,
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
