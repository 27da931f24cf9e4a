"""UI fixtures: logged-in test clients per role and data entered through the real services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.pledges.models import Pledge
from ipfin.registry.models import Right
from ipfin.web.tests.factories import file_pledge, make_patent


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    """Uploaded contracts go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def regulator_user(make_org: Callable[..., Organisation], make_user: Callable[..., User]) -> User:
    return make_user("regulator", make_org(OrganisationKind.REGULATOR, "金融监管局", uscc=None))


@pytest.fixture
def patent(examiner: User, enterprise_a: Organisation) -> Right:
    return make_patent(examiner=examiner, owner=enterprise_a)


@pytest.fixture
def make_pledge(
    bank_a_user: User, enterprise_a: Organisation, examiner: User
) -> Callable[..., Pledge]:
    def make(**kw: Any) -> Pledge:
        rights = kw.pop("rights", None) or [make_patent(examiner=examiner, owner=enterprise_a)]
        return file_pledge(bank_user=bank_a_user, pledgor=enterprise_a, rights=rights, **kw)

    return make


@pytest.fixture
def pledge(make_pledge: Callable[..., Pledge]) -> Pledge:
    return make_pledge()
