"""Conversion figures, exact on a crafted data set (the arithmetic is in the comments), in a fixed
number of queries, limited to a bank's own pairs.

Batch 1 (E1, E2, E3) is pushed to banks A and B; batch 2 (E1, E4) to bank A only.
Follow-ups, oldest first per pair:
  B1·A·E1  contacted → credit granted 500,000 → disbursed 400,000      latest: disbursed
  B1·A·E2  credit granted 300,000 → credit granted 350,000 (corrected)  latest: granted 350,000
  B1·A·E3  contacted → declined                                         latest: declined
  B1·B·E1  disbursed 200,000 (no granted row: granted = disbursed)      latest: disbursed
  B1·B·E2  credit granted 100,000 → declined (the enterprise withdrew)  latest: declined
  B1·B·E3  —
  B2·A·E1  contacted                                                    latest: contacted
  B2·A·E4  —
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.whitelist import selectors, services
from ipfin.whitelist.models import ScreeningRule, WhitelistBatch, WhitelistEntry

D = Decimal


@pytest.fixture
def crafted(
    office_user: User,
    bank_a_user: User,
    bank_b_user: User,
    bank_a: Organisation,
    bank_b: Organisation,
    make_enterprise: Callable[..., Organisation],
    make_rule: Callable[..., ScreeningRule],
) -> dict[str, Any]:
    e1 = make_enterprise("E1", {}, industry="甲")
    e2 = make_enterprise("E2", {}, industry="甲")
    e3 = make_enterprise("E3", {}, industry="甲")
    make_enterprise("E4", {}, industry="乙")
    b1 = services.batch_create(actor=office_user, rule=make_rule(industries=["甲"]), title="B1")
    b2 = services.batch_create(actor=office_user, rule=make_rule(industries=["乙"]), title="B2")
    services.recommendation_decide(
        actor=office_user,
        recommendation=services.recommendation_create(
            actor=bank_a_user, enterprise_uscc=e1.uscc or "", reason="老客户"
        ),
        decision="accept",
        batch=b2,
    )
    for batch in (b1, b2):
        services.batch_publish(actor=office_user, batch=batch)
    services.batch_push(actor=office_user, batch=b1, bank_ids=[bank_a.pk, bank_b.pk])
    services.batch_push(actor=office_user, batch=b2, bank_ids=[bank_a.pk])

    def entry(batch: WhitelistBatch, org: Organisation) -> Any:
        return batch.entries.get(enterprise=org)

    def record(
        user: User, batch: WhitelistBatch, org: Organisation, status: str, **kw: Any
    ) -> None:
        services.follow_up_record(actor=user, entry=entry(batch, org), status=status, **kw)

    a, b = bank_a_user, bank_b_user
    record(a, b1, e1, "contacted")
    record(a, b1, e1, "credit_granted", amount="500000")
    record(a, b1, e1, "loan_disbursed", amount="400000")
    record(a, b1, e2, "credit_granted", amount="300000")
    record(a, b1, e2, "credit_granted", amount="350000")
    record(a, b1, e3, "contacted")
    record(a, b1, e3, "declined", reason="资质不足")
    record(b, b1, e1, "loan_disbursed", amount="200000")
    record(b, b1, e2, "credit_granted", amount="100000")
    record(b, b1, e2, "declined", reason="企业放弃")
    record(a, b2, e1, "contacted")
    return {"b1": b1, "b2": b2, "bank_a": bank_a, "bank_b": bank_b}


def _plain(row: dict[str, Any]) -> tuple[Any, ...]:
    r = row["rates"]
    return (
        row["pushed"],
        row["contacted"],
        row["credit_granted"],
        row["credit_granted_amount"],
        row["loan_disbursed"],
        row["loan_disbursed_amount"],
        row["declined"],
        r.contacted,
        r.credit_granted,
        r.loan_disbursed,
        r.declined,
    )


def test_figures_per_batch_and_bank(office_user: User, crafted: dict[str, Any]) -> None:
    rows = {
        (r["batch"], r["bank"]): _plain(r)
        for r in selectors.conversion_figures(actor=office_user, by=("batch", "bank"))
    }
    b1, b2 = crafted["b1"].pk, crafted["b2"].pk
    a, b = crafted["bank_a"].pk, crafted["bank_b"].pk
    assert rows == {
        # 3 pairs; all 3 contacted; granted E1 (500,000, its latest granted row) + E2 (350,000,
        # the correction) = 850,000; disbursed E1 400,000; declined E3. Rates: 3/3, 2/3, 1/3, 1/3.
        (b1, a): (3, 3, 2, D("850000.00"), 1, D("400000.00"), 1,
                  D("1.0000"), D("0.6667"), D("0.3333"), D("0.3333")),
        # 3 pairs; E1, E2 contacted; granted only E1 (latest of E2 is the decline) with the
        # disbursed amount 200,000 as no granted row exists; rates 2/3, 1/3, 1/3, 1/3.
        (b1, b): (3, 2, 1, D("200000.00"), 1, D("200000.00"), 1,
                  D("0.6667"), D("0.3333"), D("0.3333"), D("0.3333")),
        # 2 pairs (E4 and the recommended E1); E1 contacted: 1/2.
        (b2, a): (2, 1, 0, D("0.00"), 0, D("0.00"), 0,
                  D("0.5000"), D("0.0000"), D("0.0000"), D("0.0000")),
    }  # fmt: skip


def test_figures_per_batch_per_bank_and_total(office_user: User, crafted: dict[str, Any]) -> None:
    by_batch = {r["batch_name"]: _plain(r) for r in selectors.conversion_figures(actor=office_user)}
    assert by_batch == {
        # B1 = (B1, A) + (B1, B): 6 pushed, 5 contacted, 3 granted 1,050,000, 2 disbursed
        # 600,000, 2 declined; 5/6 = 0.8333, 3/6 = 0.5, 2/6 = 0.3333.
        "B1": (6, 5, 3, D("1050000.00"), 2, D("600000.00"), 2,
               D("0.8333"), D("0.5000"), D("0.3333"), D("0.3333")),
        "B2": (2, 1, 0, D("0.00"), 0, D("0.00"), 0,
               D("0.5000"), D("0.0000"), D("0.0000"), D("0.0000")),
    }  # fmt: skip
    by_bank = {
        r["bank_name"]: _plain(r)
        for r in selectors.conversion_figures(actor=office_user, by=("bank",))
    }
    assert by_bank == {
        # A = (B1, A) + (B2, A): 5 pushed, 4 contacted, 2 granted 850,000, 1 disbursed 400,000,
        # 1 declined; 4/5 = 0.8, 2/5 = 0.4, 1/5 = 0.2.
        "甲银行": (5, 4, 2, D("850000.00"), 1, D("400000.00"), 1,
                   D("0.8000"), D("0.4000"), D("0.2000"), D("0.2000")),
        "乙银行": (3, 2, 1, D("200000.00"), 1, D("200000.00"), 1,
                   D("0.6667"), D("0.3333"), D("0.3333"), D("0.3333")),
    }  # fmt: skip
    (total,) = selectors.conversion_figures(actor=office_user, by=())
    # 8 pushed, 6 contacted, 3 granted 1,050,000, 2 disbursed 600,000, 2 declined:
    # 6/8 = 0.75, 3/8 = 0.375, 2/8 = 0.25.
    assert _plain(total) == (8, 6, 3, D("1050000.00"), 2, D("600000.00"), 2,
                             D("0.7500"), D("0.3750"), D("0.2500"), D("0.2500"))  # fmt: skip
    (only_b2,) = selectors.conversion_figures(actor=office_user, by=(), batch_id=crafted["b2"].pk)
    assert _plain(only_b2)[:2] == (2, 1)


def test_a_bank_sees_its_own_figures_only(bank_b_user: User, crafted: dict[str, Any]) -> None:
    rows = selectors.conversion_figures(actor=bank_b_user, by=("batch",))
    assert [r["batch_name"] for r in rows] == ["B1"]
    (total,) = selectors.conversion_figures(actor=bank_b_user, by=())
    assert _plain(total)[:7] == (3, 2, 1, D("200000.00"), 1, D("200000.00"), 1)


def test_recommendation_figures(office_user: User, crafted: dict[str, Any]) -> None:
    (row,) = selectors.recommendation_figures(actor=office_user)
    assert (row["bank__name"], row["received"], row["accepted"], row["declined"], row["open"]) == (
        "甲银行", 1, 1, 0, 0,
    )  # fmt: skip


def test_figures_take_the_same_queries_at_two_sizes(
    office_user: User,
    bank_a_user: User,
    crafted: dict[str, Any],
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    # Pushed counts, follow-up aggregates, the batch and bank names: the same queries however many
    # rows there are (no loop over follow-ups in Python).
    def figures() -> object:
        return selectors.conversion_figures(actor=office_user, by=("batch", "bank"))

    small = count_queries(figures)
    for entry in WhitelistEntry.objects.all():
        services.follow_up_record(actor=bank_a_user, entry=entry, status="contacted")
    assert count_queries(figures) == small <= 4
