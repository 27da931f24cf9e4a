"""Registry reads against the real database: lookups by any spelling, status in bulk, owners."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import User
from ipfin.common.errors import NotFound, ValidationFailed
from ipfin.registry.domain import EventType
from ipfin.registry.models import Right, RightEvent
from ipfin.registry.selectors import (
    current_owners,
    number_candidates,
    owner_rights,
    right_facts,
    right_get,
    right_status,
    rights_search,
    rights_status_bulk,
)
from ipfin.registry.services import right_event_record
from ipfin.registry.tests.conftest import REAL_UTILITY_MODEL_NO

pytestmark = pytest.mark.django_db

MakeRight = Callable[..., Right]


@pytest.mark.parametrize(
    "spelling",
    [
        REAL_UTILITY_MODEL_NO,
        "CN201220249767.4",
        "ZL201220249767.4",
        "2012202497674",
        " ZL 2012 2024 9767.4 ",
        "２０１２２０２４９７６７．４",  # full-width, as pasted from a Chinese document
        "cn2012202497674",
    ],
)
def test_right_get_accepts_non_canonical_numbers(make_right: MakeRight, spelling: str):
    right = make_right(
        number=REAL_UTILITY_MODEL_NO, kind="utility_model", filing_date=date(2012, 5, 28)
    )
    assert right_get(number=spelling).pk == right.pk


@pytest.mark.parametrize("spelling", ["201220249767.5", "201220249767", "", "12345"])
def test_right_get_not_found(make_right: MakeRight, spelling: str):
    make_right(number=REAL_UTILITY_MODEL_NO, kind="utility_model", filing_date=date(2012, 5, 28))
    with pytest.raises(NotFound) as info:
        right_get(number=spelling)
    assert info.value.status == 404
    assert info.value.code == "right_not_found"


def test_right_get_trademark_spellings(make_right: MakeRight):
    mark = make_right(kind="trademark", number="12345", grant_date=date(2016, 1, 1))
    assert right_get(number="第12345号").pk == mark.pk
    assert right_get(number="0012345").pk == mark.pk


def test_number_candidates():
    assert number_candidates("CN2012202497674") == [REAL_UTILITY_MODEL_NO, "CN2012202497674"]
    assert number_candidates("2019SR0123456") == ["2019SR0123456"]
    assert number_candidates("  ") == []


def test_right_facts_and_status_ignore_later_events(examiner: User, make_right: MakeRight):
    right = make_right()  # granted 2018-05-20, first annuity year 4
    right_event_record(
        actor=examiner,
        right=right,
        type="annuity_paid",
        date=date(2018, 5, 20),
        payload={"year": 4},
    )
    right_event_record(actor=examiner, right=right, type="surrender", date=date(2019, 6, 1))
    facts = right_facts(right, on=date(2019, 5, 31))
    assert [e.type for e in facts.events] == [EventType.ANNUITY_PAID]
    assert facts.events[0].year == 4
    assert len(right_facts(right).events) == 2
    # Year 5 due 2019-03-10 unpaid: in grace on 2019-05-31, surrendered from 2019-06-01.
    on_d = right_status(right, on=date(2019, 5, 31))
    assert (on_d.status, on_d.since, on_d.unpaid_year) == ("grace_period", date(2019, 3, 10), 5)
    assert on_d.grace_until == date(2019, 9, 10)
    later = right_status(right, on=date(2019, 6, 1))
    assert (later.status, later.since) == ("surrendered", date(2019, 6, 1))


def test_stored_events_the_domain_cannot_read_are_skipped(make_right: MakeRight):
    right = make_right()
    # Imported data may carry odd payloads: they must not break the status (never a 500).
    RightEvent.objects.create(right=right, type="annuity_paid", date=date(2018, 5, 20), payload={})
    RightEvent.objects.create(right=right, type="gazette_note", date=date(2018, 5, 21))
    RightEvent.objects.create(
        right=right, type="invalidated", date=date(2018, 5, 22), payload={"scope": "odd"}
    )
    facts = right_facts(right)
    assert [(e.type, e.scope) for e in facts.events] == [(EventType.INVALIDATED, None)]


def test_rights_status_bulk_reads_in_a_fixed_number_of_queries(
    examiner: User, make_right: MakeRight, django_assert_num_queries, today: date
):
    rights = [make_right() for _ in range(5)]
    right_event_record(
        actor=examiner, right=rights[0], type="annuity_paid", date=date(2018, 5, 20),
        payload={"year": 4},
    )  # fmt: skip
    right_event_record(actor=examiner, right=rights[1], type="surrender", date=date(2018, 5, 21))
    on = date(2018, 6, 1)
    # One for all the rights' events; one for the office's holiday calendar, since the rights
    # in their grace period need its last day (moved past rest days: 专利法实施细则 r. 6).
    with django_assert_num_queries(2):
        bulk = rights_status_bulk(rights, on=on)
    assert set(bulk) == {r.pk for r in rights}
    for right in rights:
        assert bulk[right.pk] == right_status(right, on=on)
    assert [bulk[r.pk].status for r in rights] == [
        "in_force",
        "surrendered",
        "grace_period",
        "grace_period",
        "grace_period",
    ]
    with django_assert_num_queries(0):
        assert rights_status_bulk([], on=on) == {}
    # Today these rights lapsed long ago: no grace period's last day near, the calendar is not
    # read.
    with django_assert_num_queries(1):
        assert {s.status for s in rights_status_bulk(rights[2:], on=today).values()} == {"lapsed"}


def test_current_owners_and_owner_rights(examiner: User, make_right: MakeRight):
    seller, buyer, partner = make_uscc(seq=11), make_uscc(seq=12), make_uscc(seq=13)
    sold = make_right(owners=[{"name": "甲", "uscc": seller}])
    shared = make_right(
        owners=[
            {"name": "甲", "uscc": seller, "share": "0.5"},
            {"name": "丙", "uscc": partner, "share": "0.5"},
        ]
    )
    mark = make_right(
        kind="trademark", grant_date=date(2016, 1, 1), owners=[{"name": "甲", "uscc": seller}]
    )
    right_event_record(
        actor=examiner, right=sold, type="transfer", date=date(2020, 1, 1),
        payload={"owners": [{"name": "乙", "uscc": buyer}]},
    )  # fmt: skip

    assert [o.uscc for o in current_owners(sold, on=date(2019, 12, 31))] == [seller]
    assert [o.uscc for o in current_owners(sold, on=date(2020, 1, 1))] == [buyer]
    assert current_owners(sold, on=date(2015, 3, 9)) == []  # before the filing date

    def owned(uscc: str, on: date, kind: str | None = None) -> set[int]:
        return set(owner_rights(uscc=uscc, on=on, kind=kind).values_list("pk", flat=True))

    assert owned(seller, date(2019, 12, 31)) == {sold.pk, shared.pk, mark.pk}
    assert owned(seller, date(2020, 1, 1)) == {shared.pk, mark.pk}  # partly owned counts
    assert owned(seller.lower(), date(2020, 1, 1), "trademark") == {mark.pk}
    assert owned(buyer, date(2020, 1, 1)) == {sold.pk}
    assert owned(buyer, date(2019, 12, 31)) == set()
    assert owned(partner, date(2020, 1, 1), "invention") == {shared.pk}
    with pytest.raises(ValidationFailed):
        owned(seller, date(2020, 1, 1), "plant")


def test_rights_search(examiner: User, make_right: MakeRight):
    code = make_uscc(seq=21)
    um = make_right(
        number=REAL_UTILITY_MODEL_NO, kind="utility_model", filing_date=date(2012, 5, 28),
        title="一种散热器", publication_no="CN202999888U",
        owners=[{"name": "深圳青松电子有限公司", "uscc": code, "share": "0.5"},
                {"name": "深圳青松研究院", "share": "0.5"}],
    )  # fmt: skip
    inv = make_right(title="一种电池管理方法", owners=[{"name": "北京白杨科技有限公司"}])
    mark = make_right(kind="trademark", number="778899", title="青松", mark_text="青松")

    def found(**kw: str) -> list[int]:
        return list(rights_search(**kw).values_list("pk", flat=True))

    assert found(q="CN2012202497674") == [um.pk]
    assert found(q="202999888") == [um.pk]
    assert found(q="散热") == [um.pk]
    assert found(q="青松") == [um.pk, mark.pk]  # owner names match once, not per co-owner
    assert found(q="青松", kind="trademark") == [mark.pk]
    assert found(q="白杨") == [inv.pk]
    assert found(owner_uscc=code) == [um.pk]
    assert found() == sorted(
        [um.pk, inv.pk, mark.pk], key=lambda pk: Right.objects.get(pk=pk).number
    )
    with pytest.raises(ValidationFailed):
        found(kind="nonsense")
