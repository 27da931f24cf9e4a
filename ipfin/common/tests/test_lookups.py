"""`field__any_of`: the same rows as `__in`, with the list sent as one value on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from ipfin.registry.models import Right, RightOwner

pytestmark = pytest.mark.django_db


def test_any_of_finds_what_in_finds_on_text_and_on_a_relation(
    make_right: Callable[..., Any],
) -> None:
    rights = [make_right() for _ in range(3)]
    numbers = [rights[0].number, rights[2].number, "209912345678.9"]
    by_in = set(Right.objects.filter(number__in=numbers).values_list("pk", flat=True))
    by_any = set(Right.objects.filter(number__any_of=numbers).values_list("pk", flat=True))
    assert by_any == by_in == {rights[0].pk, rights[2].pk}
    ids = [rights[1].pk, rights[2].pk]
    owners = RightOwner.objects.filter(right_id__any_of=ids)
    assert {o.right_id for o in owners} == set(ids)
    assert set(owners) == set(RightOwner.objects.filter(right_id__in=ids))


def test_any_of_an_empty_list_matches_nothing(make_right: Callable[..., Any]) -> None:
    make_right()
    assert not Right.objects.filter(number__any_of=[]).exists()
    assert Right.objects.exclude(number__any_of=[]).count() == Right.objects.count() == 1


def test_any_of_sends_the_list_as_one_parameter_on_postgresql(
    make_right: Callable[..., Any],
) -> None:
    """The point of the look-up: thousands of numbers are not thousands of placeholders."""
    right = make_right()
    numbers = [right.number, *(f"2099{i:08d}.0" for i in range(2000))]
    query = Right.objects.filter(number__any_of=numbers).values_list("pk", flat=True)
    assert list(query) == [right.pk]
    sql, params = query.query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(%s)" in sql
        assert list(params) == [numbers]
    else:
        assert len(params) == len(numbers)


def test_any_of_drops_none_as_in_does_and_takes_only_plain_values(
    make_right: Callable[..., Any],
) -> None:
    kept, other = make_right(), make_right()
    assert list(Right.objects.exclude(number__any_of=[kept.number, None])) == [other]
    assert list(Right.objects.filter(number__any_of=[None])) == []
    with pytest.raises(TypeError):
        list(Right.objects.filter(number__any_of=Right.objects.values("number")))
    with pytest.raises(TypeError):
        list(RightOwner.objects.filter(right_id__any_of=[kept]))
