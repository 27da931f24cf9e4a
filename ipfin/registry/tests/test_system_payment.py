"""An annuity recorded paid by the platform itself (no user): the payment from a pledge's annuity
deposit (预缴年费, issue 12; seed 000 is not on disk, the issue states the rule), with the checks of
a payment at the office's desk (专利法实施细则 2023 r. 115-116, 专利收费标准)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import ValidationFailed
from ipfin.registry.models import Right, RightEvent
from ipfin.registry.selectors import right_status
from ipfin.registry.services import right_annuity_record_system, right_event_record

pytestmark = pytest.mark.django_db

MakeRight = Callable[..., Right]


def test_system_payment_is_an_annuity_paid_event_of_no_user_audited_as_the_deposit_shishi_xize_r115(
    make_right: MakeRight,
) -> None:
    right = make_right()  # invention filed 2015-03-10, granted 2018-05-20: first annuity year 4
    event = right_annuity_record_system(
        right=right, year=4, date=date(2018, 5, 20), source="deposit"
    )
    event.refresh_from_db()
    assert event.type == "annuity_paid"
    assert event.recorded_by is None
    # Paid on its due date: no late fee (专利收费标准); the full official fee (费减 not applied).
    assert event.payload == {
        "year": 4,
        "due_date": "2018-05-20",
        "amount": "1200.00",
        "late_fee_rate": "0.00",
        "late_fee": "0.00",
        "source": "deposit",
    }
    assert right_status(right, on=date(2018, 6, 1)).status == "in_force"
    record = AuditRecord.objects.get(action="right.event.annuity_paid", object_id=str(right.pk))
    assert record.actor_id is None and record.actor_username == "system"
    assert record.after["source"] == "deposit"
    assert record.after["event"]["year"] == 4


def test_system_payment_of_a_year_already_paid_is_refused_like_the_desks_shishi_xize_r115(
    examiner: User, make_right: MakeRight
) -> None:
    right = make_right()
    right_event_record(
        actor=examiner,
        right=right,
        type="annuity_paid",
        date=date(2018, 5, 1),
        payload={"year": 4},
    )
    with pytest.raises(ValidationFailed) as info:
        right_annuity_record_system(right=right, year=4, date=date(2018, 5, 20), source="deposit")
    assert info.value.code == "annuity_already_paid"
    assert RightEvent.objects.filter(right=right, type="annuity_paid").count() == 1


def test_system_payment_after_the_grace_period_is_refused_shishi_xize_r116(
    make_right: MakeRight,
) -> None:
    right = make_right()
    # Year 4 due 2018-05-20: its 6 months' grace ends 2018-11-20 (r. 116); the patent lapsed.
    with pytest.raises(ValidationFailed) as info:
        right_annuity_record_system(right=right, year=4, date=date(2018, 11, 21), source="deposit")
    assert info.value.code == "annuity_too_late"
    assert not RightEvent.objects.filter(right=right).exists()


def test_system_payment_names_a_known_source(make_right: MakeRight) -> None:
    right = make_right()
    with pytest.raises(ValueError, match="source"):
        right_annuity_record_system(right=right, year=4, date=date(2018, 5, 20), source="desk")
    assert not RightEvent.objects.filter(right=right).exists()
