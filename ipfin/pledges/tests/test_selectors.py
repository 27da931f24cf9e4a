"""Pledge reads: tenant scope, the examiner's queue, the public register, live pre-check."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.common.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from ipfin.pledges.models import Pledge, PledgeItem
from ipfin.pledges.selectors import (
    _SHARE_PLACES,
    examiner_queue,
    pledge_get,
    pledge_list,
    pledge_page,
    pledge_precheck,
    pledges_public_for_right,
    pledges_public_search,
    register_reads,
)
from ipfin.pledges.services import pledge_decide, pledge_release
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.registry.selectors import current_owners_bulk, rights_events_bulk

Submit = Callable[..., tuple[Pledge, list[Any]]]


def test_pledge_list_is_limited_to_the_tenant(
    submit: Submit,
    make_right: Callable[..., Right],
    bank_a_user: User,
    bank_b_user: User,
    examiner: User,
    enterprise_a_user: User,
    enterprise_b_user: User,
    enterprise_b: Organisation,
) -> None:
    mine, _ = submit([make_right()])
    theirs, _ = submit(
        [make_right(owners=[enterprise_b])], actor=bank_b_user, pledgor_uscc=enterprise_b.uscc
    )
    assert list(pledge_list(actor=bank_a_user)) == [mine]
    assert list(pledge_list(actor=bank_b_user)) == [theirs]
    assert list(pledge_list(actor=enterprise_a_user)) == [mine]
    assert list(pledge_list(actor=enterprise_b_user)) == [theirs]
    assert set(pledge_list(actor=examiner)) == {mine, theirs}
    assert list(pledge_list(actor=examiner, state="registered")) == []
    with pytest.raises(ValidationFailed):
        pledge_list(actor=examiner, state="nonsense")


def test_pledge_get_hides_other_tenants(
    submit: Submit, right: Right, bank_a_user: User, bank_b_user: User, examiner: User
) -> None:
    pledge, _ = submit([right])
    assert pledge_get(actor=bank_a_user, pledge_id=pledge.pk) == pledge
    assert pledge_get(actor=examiner, pledge_id=pledge.pk) == pledge
    with pytest.raises(NotFound):
        pledge_get(actor=bank_b_user, pledge_id=pledge.pk)
    with pytest.raises(NotFound):
        pledge_get(actor=bank_a_user, pledge_id=pledge.pk + 1000)


def test_anonymous_reads_nothing(submit: Submit, right: Right) -> None:
    from django.contrib.auth.models import AnonymousUser

    submit([right])
    with pytest.raises(NotAuthenticated):
        pledge_list(actor=AnonymousUser())


def test_pledge_page_counts_the_tenants_rows_only(
    submit: Submit,
    make_right: Callable[..., Right],
    bank_a_user: User,
    bank_b_user: User,
    examiner: User,
) -> None:
    mine = [submit([make_right()])[0] for _ in range(3)]
    theirs, _ = submit([make_right()], actor=bank_b_user)
    assert pledge_page(actor=bank_a_user, limit=2, offset=0) == (3, [mine[2], mine[1]])
    assert pledge_page(actor=bank_a_user, limit=2, offset=2) == (3, [mine[0]])
    assert pledge_page(actor=bank_a_user, limit=2, offset=3) == (3, [])
    assert pledge_page(actor=bank_b_user, limit=50, offset=0) == (1, [theirs])
    assert pledge_page(actor=examiner, limit=1, offset=0) == (4, [theirs])
    assert pledge_page(actor=examiner, state="registered", limit=5, offset=0) == (0, [])


def test_examiner_queue_orders_by_deadline_and_holds_only_submitted(
    submit: Submit, make_right: Callable[..., Right], examiner: User, bank_a_user: User, today: date
) -> None:
    later, _ = submit([make_right()], today=today)
    sooner, _ = submit([make_right()], today=today - timedelta(days=14))
    decided, _ = submit([make_right()])
    pledge_decide(actor=examiner, pledge=decided, decision="correct", reason="补正")
    assert list(examiner_queue(actor=examiner)) == [sooner, later]
    with pytest.raises(PermissionDenied):
        examiner_queue(actor=bank_a_user)


def test_public_register_shows_registered_and_released_only(
    submit: Submit,
    make_right: Callable[..., Right],
    examiner: User,
    bank_a_user: User,
    today: date,
    upload_contract: Callable[..., Any],
) -> None:
    right = make_right()
    first, _ = submit([right])
    upload_contract(first)
    first = pledge_decide(actor=examiner, pledge=first, decision="approve")
    assert [row["registration_no"] for row in pledges_public_for_right(right)] == [
        first.registration_no
    ]
    pledge_release(actor=bank_a_user, pledge=first)
    pending, _ = submit([right])  # a pending application is not published
    rows = pledges_public_for_right(right)
    assert rows == [
        {
            "registration_no": first.registration_no,
            "state": "released",
            "effective_date": today,
            "released_on": today,
            "pledgee": "甲银行",
            "pledgor": "甲科技有限公司",
        }
    ]
    assert pending.state == "submitted"


def test_public_search(
    submit: Submit,
    make_right: Callable[..., Right],
    examiner: User,
    upload_contract: Callable[..., Any],
) -> None:
    right, other = make_right(), make_right()
    pledge, _ = submit([right])
    upload_contract(pledge)
    pledge = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    submit([other])  # pending: never found
    assert pledge.registration_no is not None
    for q in (
        pledge.registration_no,
        pledge.registration_no.lower(),
        right.number,
        "CN" + right.number,
        "甲科技",
        "甲银行",
    ):
        rows = pledges_public_search(q=q)
        assert [r["registration_no"] for r in rows] == [pledge.registration_no], q
        assert [r["number"] for r in rows[0]["rights"]] == [right.number]
        assert "debt_amount" not in rows[0]
    assert pledges_public_search(q=other.number) == []
    assert pledges_public_search(q="无此企业") == []
    assert len(pledges_public_search(q="")) == 1


def test_live_precheck_runs_the_rules_without_filing(
    right: Right,
    examiner: User,
    bank_a_user: User,
    enterprise_a: Organisation,
    enterprise_a_user: User,
    today: date,
) -> None:
    checks = pledge_precheck(
        actor=bank_a_user,
        pledgor_uscc=(enterprise_a.uscc or "").lower(),
        rights=[right.number],
        term_start=today,
        term_end=today + timedelta(days=40 * 365),
        forfeiture_clause=True,
        today=today,
    )
    assert [c.rule for c in checks if c.blocks] == ["term_within_right"]
    assert "no_forfeiture_clause" in [c.rule for c in checks if not c.passed]  # a warning
    assert Pledge.objects.count() == 0
    # An enterprise checks a draft for itself as pledgor, whatever code it sends.
    own = pledge_precheck(
        actor=enterprise_a_user,
        pledgor_uscc="",
        rights=[right.number],
        term_start=today,
        term_end=today,
        today=today,
    )
    assert not [c for c in own if c.blocks]
    with pytest.raises(PermissionDenied):
        pledge_precheck(
            actor=examiner,
            pledgor_uscc=enterprise_a.uscc or "",
            rights=[right.number],
            term_start=today,
            term_end=today,
            today=today,
        )


def test_register_reads_equal_the_three_orm_reads_on_this_database(
    make_right: Callable[..., Right],
    submit: Submit,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    today: date,
) -> None:
    """`register_reads` (one query) answers exactly what `rights_events_bulk`,
    `current_owners_bulk` and the active PledgeItems answer in three: every field of every
    right, the events dated on or before the day (payloads as stored, oldest first), the owners
    holding on the day (shares to their six places, closed and future holdings left out), the
    rights a pledge holds but the one left out; on SQLite and on PostgreSQL (each CI run)."""
    rng = random.Random(20261206)
    # Four with random events, three in force (annuities paid) to be pledged, one co-owned.
    rights = [make_right(paid=False) for _ in range(4)] + [make_right() for _ in range(3)]
    rights.append(make_right(owners=[enterprise_a, enterprise_b, {"name": "某研究所"}], paid=False))
    # Every kind of column the ORM converts on one database or the other: JSON lists (a mark's
    # classes and groups), dates (a work's creation, first publication), times (created_at).
    rights.append(
        make_right(
            kind="trademark",
            mark_text="测试标",
            nice_classes=[9, 42],
            similar_groups=["0901", "4220"],
            paid=False,
        )
    )
    rights.append(
        make_right(
            kind="copyright",
            number="国作登字-2019-F-00654399",
            filing_date=date(2019, 5, 20),
            grant_date=date(2019, 6, 1),
            author_kind="person",
            created_on=date(1990, 1, 1),
            first_published_on=date(1991, 2, 3),
            paid=False,
        )
    )
    payloads: list[dict[str, Any]] = [
        {},
        {"year": 3, "amount": "900.00"},
        {"licence_type": "exclusive", "parties": ["甲公司", "乙公司"], "ratio": 0.1},
        {"scope": "partial", "nested": {"big": 10**20, "flag": True, "none": None}},
    ]
    for right in rights[:4]:
        for _ in range(rng.randint(1, 5)):
            RightEvent.objects.create(
                right=right,
                type=rng.choice(["licence", "annuity_paid", "transfer", "preservation"]),
                date=today + timedelta(days=rng.randint(-900, 30)),
                payload=rng.choice(payloads),
                source=rng.choice(["", "CNIPA 公报"]),
            )
    # A holding closed before the day, one closed after it, one not begun.
    RightOwner.objects.filter(right=rights[1]).update(valid_to=today - timedelta(days=3))
    RightOwner.objects.create(
        right=rights[1], name="后手公司", share="0.5", valid_from=today - timedelta(days=3)
    )
    RightOwner.objects.filter(right=rights[2]).update(valid_to=today + timedelta(days=3))
    RightOwner.objects.create(
        right=rights[3], name="将来公司", share="1", valid_from=today + timedelta(days=1)
    )
    kept, _ = submit([rights[4]])
    left_out, _ = submit([rights[5]])
    withdrawn, _ = submit([rights[6]])
    PledgeItem.objects.filter(pledge=withdrawn).update(active=False)

    def owners_of(found: Mapping[int, list[RightOwner]]) -> dict[int, list[tuple[Any, ...]]]:
        return {
            pk: [
                (o.pk, o.right_id, o.name, o.uscc, str(o.share), o.valid_from, o.valid_to,
                 o.organisation_id)
                for o in holders
            ]
            for pk, holders in found.items()
        }  # fmt: skip

    def events_of(found: Mapping[int, list[RightEvent]]) -> dict[int, list[tuple[Any, ...]]]:
        return {
            pk: [(e.pk, e.right_id, e.type, e.date, e.payload, e.source) for e in events]
            for pk, events in found.items()
        }

    def fields_of(right: Right) -> dict[str, Any]:
        return {f.attname: getattr(right, f.attname) for f in Right._meta.concrete_fields}

    stored = list(Right.objects.filter(pk__in=[r.pk for r in rights]))
    assert {r.kind for r in stored} >= {"trademark", "copyright", "invention"}
    for day in (today - timedelta(days=400), today, today + timedelta(days=2)):
        for exclude in (None, int(left_out.pk)):
            reads = register_reads(
                on=day, numbers=[r.number for r in rights], exclude_pledge_id=exclude
            )
            by_id = register_reads(on=day, ids=[r.pk for r in rights], exclude_pledge_id=exclude)
            expected_held = set(
                PledgeItem.objects.filter(active=True)
                .exclude(pledge_id=exclude or 0)
                .values_list("right_id", flat=True)
            )
            for answer in (reads, by_id):
                assert sorted(map(fields_of, answer.rights), key=lambda f: f["id"]) == sorted(
                    map(fields_of, stored), key=lambda f: f["id"]
                )
                assert events_of(answer.events) == events_of(rights_events_bulk(stored, on=day))
                assert owners_of(answer.owners) == owners_of(
                    current_owners_bulk(stored, on=day, organisation=False)
                )
                assert answer.held == expected_held
                assert (rights[4].pk in answer.held) is True
                assert (rights[5].pk in answer.held) is (exclude is None)
                assert rights[6].pk not in answer.held
    assert register_reads(on=today, numbers=[]) == ([], {}, {}, set())
    assert register_reads(on=today, numbers=["CN-NO-SUCH"]).rights == []
    assert kept.pk != left_out.pk
    assert RightOwner._meta.get_field("share").decimal_places == _SHARE_PLACES
