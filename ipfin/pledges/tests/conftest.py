"""Pledge fixtures of their own: the examiner's API client. The rights and applications the pledge
tests build come from the root conftest (entered through the real registry and pledge services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ipfin.accounts.models import User


@pytest.fixture
def examiner_api(api_client: Callable[..., Any], examiner: User) -> Any:
    return api_client(examiner)
