"""The optimistic-locking rule (ipfin.common.versioning), pure: the If-Match header read one way,
the version compared one way, for every record edited in place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.errors import Conflict, PreconditionRequired, ValidationFailed
from ipfin.common.versioning import (
    check_version,
    etag,
    if_match_version,
    openapi_read,
    openapi_write,
)

VERSIONS = st.integers(min_value=0, max_value=2_147_483_647)


@given(VERSIONS)
def test_the_etag_read_is_the_if_match_taken(version: int) -> None:
    assert if_match_version(etag(version)) == version
    assert if_match_version(f" {etag(version)} ") == version
    assert if_match_version(str(version)) == version  # the bare number, as typed on a console
    assert if_match_version(f"W/{etag(version)}") == version  # weakened by a compressing proxy


@pytest.mark.parametrize("header", [None, "", "   "])
def test_no_if_match_is_no_version(header: str | None) -> None:
    assert if_match_version(header) is None


@pytest.mark.parametrize(
    "header", ["*", '"1", "2"', '"abc"', '"-1"', '"3', "3.0", '"12345678901"', '""', 'w/"3"', "W/3"]
)
def test_a_wildcard_a_list_or_garbage_is_422(header: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        if_match_version(header)
    assert caught.value.code == "if_match_invalid"
    assert caught.value.extra["field"] == "If-Match"


@given(VERSIONS)
def test_the_current_version_passes(version: int) -> None:
    check_version(current=version, expected=version)


@given(VERSIONS, VERSIONS)
def test_another_version_is_a_409_naming_the_current_one(current: int, expected: int) -> None:
    if current == expected:
        return
    with pytest.raises(Conflict) as caught:
        check_version(current=current, expected=expected)
    assert (caught.value.status, caught.value.code) == (409, "version_conflict")
    assert caught.value.extra == {"current_version": current}


def test_no_version_is_a_428_that_does_not_hand_out_the_current_one() -> None:
    with pytest.raises(PreconditionRequired) as caught:
        check_version(current=4, expected=None)
    assert (caught.value.status, caught.value.code) == (428, "version_required")
    assert "current_version" not in caught.value.extra  # read the record, do not overwrite blind


def test_the_document_fragments_are_fresh_copies() -> None:
    write = openapi_write()
    (header,) = write["parameters"]
    assert (header["name"], header["in"], header["required"]) == ("If-Match", "header", True)
    header["required"] = False
    assert openapi_write()["parameters"][0]["required"] is True
    assert "ETag" in openapi_read()["responses"][200]["headers"]
