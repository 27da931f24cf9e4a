"""Registry fixtures: valid numbers and rights created through the real service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from ipfin.accounts.models import User
from ipfin.registry.models import Right
from ipfin.registry.services import right_create
from ipfin.registry.tests.factories import PATENT_TYPE_DIGIT, next_number, patent_no

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
                patent_no(kw["kind"], 2015)
                if kw["kind"] in PATENT_TYPE_DIGIT
                else str(100000 + next_number())
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
