"""Registry fixtures: valid numbers and rights created through the real service."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ipfin.accounts.models import User
from ipfin.registry.domain import cn_application_check_digit
from ipfin.registry.models import Right
from ipfin.registry.services import right_create

_seq = itertools.count(1)
_TYPE_DIGIT = {"invention": "1", "utility_model": "2", "design": "3"}


def patent_no(kind: str = "invention", year: int = 2015, seq: int | None = None) -> str:
    """A canonical CN application number with a correct check digit, unique per call."""
    body = f"{year:04d}{_TYPE_DIGIT[kind]}{(seq if seq is not None else next(_seq)):07d}"
    return f"{body}.{cn_application_check_digit(body)}"


# A real utility-model number (the example) and its check digit.
REAL_UTILITY_MODEL_NO = "201220249767.4"


@pytest.fixture
def make_right(examiner: User) -> Callable[..., Right]:
    """Create a right through `right_create` (as the IP office's examiner). Defaults: an invention
    filed 2015-03-10, granted 2018-05-20, wholly owned by one company without a credit code."""

    def make(**kw: Any) -> Right:
        kw.setdefault("kind", "invention")
        if "number" not in kw:
            kw["number"] = (
                patent_no(kw["kind"]) if kw["kind"] in _TYPE_DIGIT else str(100000 + next(_seq))
            )
        kw.setdefault("title", "一种测试装置")
        kw.setdefault("filing_date", date(2015, 3, 10))
        kw.setdefault("grant_date", date(2018, 5, 20))
        kw.setdefault("owners", [{"name": "甲科技有限公司"}])
        return right_create(actor=kw.pop("actor", examiner), **kw)

    return make


@pytest.fixture
def office(api_client: Callable[..., Any], examiner: User) -> Any:
    """The IP office's API client (an examiner)."""
    return api_client(examiner)


@pytest.fixture
def public(api_client: Callable[..., Any]) -> Any:
    """An anonymous API client: what the register publishes."""
    return api_client()
