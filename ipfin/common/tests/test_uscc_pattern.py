"""The credit-code pattern the OpenAPI document gives every input holding a 统一社会信用代码 (GB
32100-2015) agrees with the service's own check (ipfin.accounts.domain.validate_uscc): nothing the
service accepts is outside the pattern, and what the pattern admits fails, if at all, only on a
check character the pattern cannot express."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.domain import (
    USCC_MAX_INPUT_LENGTH,
    UsccError,
    UsccErrorCode,
    make_uscc,
    validate_uscc,
)
from ipfin.common.schemas import USCC_MAX_LENGTH, USCC_PATTERN
from ipfin.common.tests.openapi_inputs import request_body_schemas

PATTERN = re.compile(USCC_PATTERN)


@given(st.from_regex(PATTERN, fullmatch=True))
def test_gb_32100_what_the_pattern_admits_fails_only_on_a_check_character(text: str) -> None:
    try:
        validate_uscc(text)
    except UsccError as exc:
        if len(text) > USCC_MAX_LENGTH:  # the document's maxLength excludes it as well
            assert exc.code == UsccErrorCode.LENGTH
            return
        assert exc.code in {
            UsccErrorCode.DIVISION,
            UsccErrorCode.ORG_CODE_CHECK,
            UsccErrorCode.CHECK_CHAR,
        }, (text, exc.code)


@st.composite
def _pasted_codes(draw: st.DrawFn) -> str:
    """A valid code as a user may paste it: any letters in lower case, whitespace anywhere."""
    code = make_uscc(seq=draw(st.integers(min_value=0, max_value=10**8 - 1)))
    text = ""
    for char in code:
        text += draw(st.sampled_from(["", " ", "\t", "\u3000", "  "]))
        text += char.lower() if draw(st.booleans()) else char
    return text + draw(st.sampled_from(["", " ", "\n"]))


@given(_pasted_codes())
def test_gb_32100_nothing_the_service_accepts_is_outside_the_pattern(text: str) -> None:
    try:
        validate_uscc(text)
    except UsccError as exc:
        assert len(text) > USCC_MAX_LENGTH and exc.code == UsccErrorCode.LENGTH
    else:
        assert len(text) <= USCC_MAX_LENGTH and PATTERN.fullmatch(text), text


def test_the_document_and_the_service_bound_the_input_alike() -> None:
    assert USCC_MAX_INPUT_LENGTH == USCC_MAX_LENGTH
    padded = " " * (USCC_MAX_LENGTH - 18) + make_uscc(seq=7)
    assert validate_uscc(padded) == make_uscc(seq=7)
    with pytest.raises(UsccError) as too_long:
        validate_uscc(" " + padded)
    assert too_long.value.code == UsccErrorCode.LENGTH


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_gb_32100_every_valid_code_spelled_as_users_paste_it_matches(seq: int) -> None:
    code = make_uscc(seq=seq)
    for spelling in (code, code.lower(), f" {code[:4]} {code[4:8]} {code[8:]}\u3000"):
        assert PATTERN.fullmatch(spelling)
        assert validate_uscc(spelling) == code


@pytest.mark.django_db
def test_every_credit_code_input_of_the_document_carries_the_pattern(api_client: Any) -> None:
    document = api_client().get("/api/schema").json()
    seen = []
    for name, schema in request_body_schemas(document).items():
        for field, spec in schema.get("properties", {}).items():
            if field == "uscc" or field.endswith("_uscc"):
                seen.append((name, field))
                assert "pattern" in spec and spec["maxLength"] == USCC_MAX_LENGTH, (name, field)
                assert re.compile(spec["pattern"]).fullmatch(make_uscc(seq=42)), (name, field)
    assert len(seen) >= 8, seen
