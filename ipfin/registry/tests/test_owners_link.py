"""The office links a registered organisation to the register's owner rows recorded under its name
(the national sources carry names, not credit codes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import PermissionDenied, ValidationFailed
from ipfin.registry.models import Right, RightOwner
from ipfin.registry.services import owners_link, right_event_record

pytestmark = pytest.mark.django_db

NAME = "示范大学"


def test_owners_link_links_the_open_unlinked_rows_under_the_name_and_audits(
    examiner: User, make_right: Callable[..., Right], make_org: Callable[..., Organisation], today
) -> None:
    first = make_right(owners=[{"name": NAME}])
    second = make_right(owners=[{"name": NAME}, {"name": "另一人"}])
    sold = make_right(owners=[{"name": NAME}])
    # Transferred away: NAME's row on `sold` is closed and stays as it was.
    right_event_record(
        actor=examiner, right=sold, type="transfer", date=today - timedelta(days=1),
        payload={"owners": [{"name": "受让人"}]},
    )  # fmt: skip
    org = make_org(name=NAME)
    assert owners_link(actor=examiner, organisation=org, name=f" {NAME} ") == 2
    linked = RightOwner.objects.filter(organisation=org)
    assert {o.right_id for o in linked} == {first.pk, second.pk}
    assert {o.uscc for o in linked} == {org.uscc}
    assert not RightOwner.objects.filter(right=sold, organisation=org).exists()
    assert RightOwner.objects.get(right=second, name="另一人").organisation_id is None
    record = AuditRecord.objects.get(action="right_owner.link")
    assert record.after == {"name": NAME, "owner_rows": 2}
    # A second run finds nothing left to link.
    assert owners_link(actor=examiner, organisation=org, name=NAME) == 0


def test_owners_link_is_the_offices_task(
    bank_a_user: User, make_org: Callable[..., Organisation]
) -> None:
    with pytest.raises(PermissionDenied):
        owners_link(actor=bank_a_user, organisation=make_org(name=NAME), name=NAME)


def test_owners_link_needs_the_organisations_credit_code(
    examiner: User, make_org: Callable[..., Organisation], make_right: Callable[..., Right]
) -> None:
    make_right(owners=[{"name": NAME}])
    no_code = make_org(OrganisationKind.PARK, name=NAME, uscc=None)
    with pytest.raises(ValidationFailed) as refused:
        owners_link(actor=examiner, organisation=no_code, name=NAME)
    assert refused.value.code == "uscc_required"
    assert not RightOwner.objects.filter(organisation__isnull=False, name=NAME).exists()
