"""The one place of permission checks: who is let through, as whom, acting for which body."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, acting_organisation, require, require_login
from ipfin.common.errors import NotAuthenticated, PermissionDenied
from ipfin.whitelist.models import ScreeningRule
from ipfin.whitelist.services import rule_create

pytestmark = pytest.mark.django_db


def test_require_answers_the_user_it_lets_through(bank_a_user: User) -> None:
    assert require(bank_a_user, Perm.PLEDGE_APPLY) is bank_a_user
    assert require_login(bank_a_user) is bank_a_user


@pytest.mark.parametrize("nobody", [None, AnonymousUser()])
def test_nobody_is_not_authenticated(nobody: object) -> None:
    with pytest.raises(NotAuthenticated):
        require(nobody, Perm.PLEDGE_APPLY)


def test_a_user_without_the_permission_is_refused(enterprise_a_user: User) -> None:
    with pytest.raises(PermissionDenied):
        require(enterprise_a_user, Perm.PLEDGE_APPLY)


def test_an_account_of_no_organisation_acts_for_none_even_as_superuser() -> None:
    admin = User.objects.create_superuser("root-admin", password="pw-for-tests-1")
    with pytest.raises(PermissionDenied) as exc:
        acting_organisation(admin)
    assert exc.value.code == "no_organisation"
    # A service that needs the acting bank: a 403 saying why, not a crash (was an integrity error).
    with pytest.raises(PermissionDenied) as exc:
        rule_create(actor=admin, name="全部企业", min_credit_score=0)
    assert exc.value.code == "no_organisation"
    assert not ScreeningRule.objects.exists()
