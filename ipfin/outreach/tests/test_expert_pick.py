"""Picking experts for a review (e.g. a valuation's recheck, issue 15: "to pick experts for
valuation reviews"): the active experts of the expert pool whose fields include the field, the
least recently picked first — never picked before all, then the oldest pick, then by number —
and every pick recorded, so that repeated picks go round the pool."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import ValidationFailed
from ipfin.outreach.models import Expert, ExpertPick
from ipfin.outreach.services import expert_deactivate, expert_pick
from ipfin.outreach.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def _names(experts: list[Expert]) -> list[str]:
    return [x.name for x in experts]


def test_the_never_picked_first_in_order_of_entry_then_the_least_recently_picked(
    office_user: User, make_expert: Callable[..., Expert]
) -> None:
    for name in ("甲", "乙", "丙", "丁"):
        make_expert(name, ["G06F"])
    first = expert_pick(actor=office_user, field="G06F", count=2, purpose="评估复核 #1", now=NOW)
    assert _names(first) == ["甲", "乙"]
    second = expert_pick(actor=office_user, field="g06f", count=2, now=NOW + timedelta(hours=1))
    assert _names(second) == ["丙", "丁"]
    # Everyone picked once: the oldest picks come round first (甲, 乙 at NOW).
    third = expert_pick(actor=office_user, field="G06F", count=3, now=NOW + timedelta(hours=2))
    assert _names(third) == ["甲", "乙", "丙"]
    fourth = expert_pick(actor=office_user, field="G06F", count=1, now=NOW + timedelta(hours=3))
    assert _names(fourth) == ["丁"]


def test_each_pick_is_recorded_on_the_expert_and_in_the_trail(
    office_user: User, make_expert: Callable[..., Expert]
) -> None:
    a = make_expert("甲", ["H01L"])
    picked = expert_pick(actor=office_user, field="H01L", count=1, purpose="评估报告复核", now=NOW)
    assert [x.pk for x in picked] == [a.pk]
    a.refresh_from_db()
    assert (a.last_picked_at, a.pick_count) == (NOW, 1)
    row = ExpertPick.objects.get()
    assert (row.expert_id, row.field, row.purpose, row.picked_at, row.picked_by_id) == (
        a.pk,
        "H01L",
        "评估报告复核",
        NOW,
        office_user.pk,
    )
    audit = AuditRecord.objects.get(action="expert.pick")
    assert audit.after == {
        "field": "H01L",
        "count": 1,
        "purpose": "评估报告复核",
        "experts": [a.pk],
    }


def test_only_active_experts_of_the_expert_pool_with_exactly_the_field(
    office_user: User, make_expert: Callable[..., Expert]
) -> None:
    wanted = make_expert("对口", ["G06F", "新材料"])
    make_expert("大类", ["G"])  # section G is not subclass G06F
    make_expert("人才", ["G06F"], pool="talent")
    expert_deactivate(actor=office_user, expert=make_expert("出库", ["G06F"]))
    make_expert("他领域", ["H01L"])
    assert _names(expert_pick(actor=office_user, field="G06F", count=1, now=NOW)) == [wanted.name]
    assert _names(expert_pick(actor=office_user, field="新材料", count=1, now=NOW)) == ["对口"]


def test_fewer_candidates_than_asked_is_refused_and_nothing_recorded(
    office_user: User, make_expert: Callable[..., Expert]
) -> None:
    make_expert("甲", ["G06F"])
    make_expert("乙", ["G06F"])
    audits = AuditRecord.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        expert_pick(actor=office_user, field="G06F", count=3, now=NOW)
    assert (exc.value.code, exc.value.extra["available"], exc.value.extra["field"]) == (
        "not_enough_experts",
        2,
        "count",
    )
    assert not ExpertPick.objects.exists()
    assert set(Expert.objects.values_list("pick_count", flat=True)) == {0}
    assert AuditRecord.objects.count() == audits
    for count in (0, 21, "2", True):
        with pytest.raises(ValidationFailed) as bad:
            expert_pick(actor=office_user, field="G06F", count=count, now=NOW)
        assert bad.value.code == "count_invalid"
    with pytest.raises(ValidationFailed) as blank:
        expert_pick(actor=office_user, field=" ", count=1, now=NOW)
    assert blank.value.extra["field"] == "field"
