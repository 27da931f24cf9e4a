"""Annuity deposits (预缴年费) of pledged patents: made, drawn on the due dates, refunded.

Issue 12 (seed 000, not on disk; the issue states it): "the pledgor or the bank deposits the
annuities for the pledge term; on each due date `risk_scan` records the annuity paid from the
deposit; what is left is refunded when the pledge is released. No `annuity_due`/`grace_period`
alert for a year that is covered." The years and fees are the register's (专利法实施细则 2023
r. 115-116, 专利收费标准: `ipfin.pledges.domain.annuity_deposit_years`); 费减 reductions are not
modelled, the full official fee is deposited.

- `annuity_deposit_create`: a party of a registered pledge in force deposits, for one right of
  it, every annuity due from today to the end of the debt term (`term_end`) and not paid yet.
- `annuity_deposit_draw(on=)`: the daily job (the risk scan calls it): every deposited year due on
  or before `on` (and today) is recorded paid in the register on its due date by the platform
  (`registry.services.right_annuity_record_system`, source "deposit"), once; a year the register
  already has paid is settled without a second payment and stays to be refunded.
- `annuity_deposit_refund`: the pledge's release (`pledge_release`, in its transaction) first
  pays what fell due while it was in force and was not drawn yet, then gives back the rest.

Money moves outside the platform (the deposit is held by the office's fee account or the bank's
escrow, as the parties agree): the platform records what was deposited, paid and refunded, to
the fen, and each step is audited and told to the parties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.display import money_pair, yuan_en, yuan_exact
from ipfin.common.errors import Conflict, ValidationFailed, invalid
from ipfin.common.money import money_str
from ipfin.pledges.domain import (
    DepositOutcome,
    PledgeState,
    annuity_deposit_years,
    deposit_refund,
    deposit_total,
)
from ipfin.pledges.models import AnnuityDeposit, AnnuityDepositYear, Pledge, PledgeItem
from ipfin.pledges.services.common import (
    label,
    lock_pledge,
    other_party_id,
    party_org_id,
    require_party,
    today_or,
)
from ipfin.registry.domain import TERMINAL_STATUSES, EventType, RightKind
from ipfin.registry.models import Right, RightEvent
from ipfin.registry.selectors import number_candidates, right_status
from ipfin.registry.services import right_annuity_record_system

__all__ = [
    "DEPOSIT_SOURCE",
    "DrawSummary",
    "annuity_deposit_create",
    "annuity_deposit_draw",
    "annuity_deposit_refund",
]

# The source the register's event and audit record carry for a payment from a deposit.
DEPOSIT_SOURCE = "deposit"
_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class DrawSummary:
    """What one draw settled: the years paid from deposits and their fees, the years found paid
    otherwise and those the register refused (both left to be refunded at release)."""

    years: int = 0
    amount: Decimal = _ZERO
    paid_otherwise: int = 0
    not_payable: int = 0

    def __add__(self, other: DrawSummary) -> DrawSummary:
        return DrawSummary(
            years=self.years + other.years,
            amount=self.amount + other.amount,
            paid_otherwise=self.paid_otherwise + other.paid_otherwise,
            not_payable=self.not_payable + other.not_payable,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "years": self.years,
            "amount": money_str(self.amount),
            "paid_otherwise": self.paid_otherwise,
            "not_payable": self.not_payable,
        }


def deposit_snapshot(deposit: AnnuityDeposit) -> dict[str, Any]:
    """The deposit as the audit record keeps it."""
    return {
        "pledge_id": deposit.pledge_id,
        "right_id": deposit.right_id,
        "depositor_id": deposit.depositor_id,
        "amount": money_str(deposit.amount),
        "created_on": deposit.created_on.isoformat(),
        "years": [
            {
                "year": y.year,
                "due_date": y.due_date.isoformat(),
                "amount": money_str(y.amount),
                "outcome": y.outcome or None,
            }
            for y in deposit.years.order_by("year")
        ],
        "refunded_on": deposit.refunded_on.isoformat() if deposit.refunded_on else None,
        "refund_amount": (
            money_str(deposit.refund_amount) if deposit.refund_amount is not None else None
        ),
    }


# --- making a deposit ----------------------------------------------------------------------------


def _require_in_force(pledge: Pledge, day: date) -> None:
    """A deposit is made for a registered pledge in force on `day` (民法典 art. 444: from its
    registration until its release): 409 `pledge_not_in_force` otherwise."""
    if pledge.state != PledgeState.REGISTERED or (
        pledge.effective_date is None or pledge.effective_date > day
    ):
        raise Conflict(
            "只能为已登记且有效的质押预缴年费。",
            "Annuities are deposited only for a registered pledge in force.",
            code="pledge_not_in_force",
        )


def _pledged_right(pledge: Pledge, right_number: str) -> Right:
    """The right of the pledge named by `right_number` (any accepted spelling); 422
    `right_not_in_pledge` naming the field for a right the pledge does not cover."""
    candidates = number_candidates(str(right_number))
    items = {
        item.right.number: item.right
        for item in PledgeItem.objects.filter(
            pledge=pledge, right__number__in=candidates
        ).select_related("right")
    }
    for candidate in candidates:
        if candidate in items:
            return items[candidate]
    raise invalid(
        "right_number",
        "right_not_in_pledge",
        f"编号为“{right_number}”的知识产权不在该质押登记中。",
        f"The right {right_number!r} is not covered by this pledge.",
    )


def annuity_deposit_create(
    *, actor: User, pledge: Pledge, right_number: str, today: date | None = None
) -> AnnuityDeposit:
    """预缴年费: the pledgor or the pledgee bank (`require_party`: anyone else 404, a party without
    its side's permission 403) deposits the annuities of one right of a registered pledge in force
    (409 `pledge_not_in_force`) that fall due from today to the end of the debt term, both days
    included, and are not paid yet (专利法实施细则 r. 115; the fees of 专利收费标准, full: 费减 is
    not modelled). The depositor is the actor's organisation.

    409 `annuity_deposit_exists` while the pledge has a live deposit for the right (one at a time;
    the database's partial unique index backs it), 409 `right_not_in_force` for a right that has
    ended, 409 `nothing_to_cover` when no annuity falls due in the term (all paid, the term ends
    first, or not a patent); 422 `right_not_in_pledge` for a right the pledge does not cover.
    Audited; the other party is told."""
    party = require_party(actor, pledge)
    day = today_or(today)
    with transaction.atomic():
        locked = lock_pledge(pledge)
        _require_in_force(locked, day)
        right = _pledged_right(locked, right_number)
        if AnnuityDeposit.objects.filter(
            pledge=locked, right=right, refunded_on__isnull=True
        ).exists():
            raise _exists(right)
        status = right_status(right, on=day)
        if status.status in TERMINAL_STATUSES:
            raise Conflict(
                f"知识产权 {right.number} 在 {day} 已终止（{status.status.value}），无需预缴年费。",
                f"The right {right.number} has ended on {day} ({status.status.value}): there is "
                "no annuity to deposit.",
                code="right_not_in_force",
            )
        paid = RightEvent.objects.filter(right=right, type=EventType.ANNUITY_PAID).values_list(
            "payload__year", flat=True
        )
        years = annuity_deposit_years(
            RightKind(right.kind),
            right.filing_date,
            right.grant_date,
            [int(y) for y in paid if y is not None],
            start=day,
            end=locked.term_end,
            expiry=status.expiry_date,  # a term compensation's years included
        )
        if not years:
            raise Conflict(
                f"知识产权 {right.number} 在 {day} 至债务履行期限止日 {locked.term_end} 之间没有"
                "待缴的年费。",
                f"No annuity of {right.number} falls due unpaid between {day} and the end of the "
                f"debt term, {locked.term_end}.",
                code="nothing_to_cover",
            )
        try:
            with transaction.atomic():
                deposit = AnnuityDeposit.objects.create(
                    pledge=locked,
                    right=right,
                    depositor_id=party_org_id(locked, party),
                    amount=deposit_total(y.amount for y in years),
                    created_on=day,
                    created_by=actor,
                )
        except IntegrityError as exc:  # the partial unique index: a concurrent deposit won
            raise _exists(right) from exc
        AnnuityDepositYear.objects.bulk_create(
            [
                AnnuityDepositYear(
                    deposit=deposit, year=y.year, due_date=y.due_date, amount=y.amount
                )
                for y in years
            ]
        )
        audit_record(
            actor=actor,
            action="pledge.annuity_deposit",
            obj=deposit,
            after=deposit_snapshot(deposit),
        )
        label_zh, label_en = label(locked)
        first, last = years[0], years[-1]
        notify_orgs(
            [other_party_id(locked, party)],
            deposit,
            "pledge.annuity_deposit",
            f"{label_zh}：已为知识产权 {right.number} 预缴第 {first.year} 至第 {last.year} 年的"
            f"年费共 {yuan_exact(deposit.amount)}，将于各年缴费期限届至时缴纳。",
            f"{label_en}: the annuities of {right.number} for years {first.year} to {last.year} "
            f"({yuan_en(deposit.amount)}) were deposited and will be paid on their due "
            "dates.",
        )
    return deposit


def _exists(right: Right) -> Conflict:
    return Conflict(
        f"该质押已为知识产权 {right.number} 预缴年费。",
        f"The annuities of {right.number} are already deposited for this pledge.",
        code="annuity_deposit_exists",
    )


# --- the draw ------------------------------------------------------------------------------------


def _paid_in_register() -> Exists:
    """Whether the register has the deposited year paid (by anyone, on any date)."""
    year = Cast(KeyTextTransform("year", "payload"), IntegerField())
    return Exists(
        RightEvent.objects.filter(right_id=OuterRef("deposit__right_id"), type="annuity_paid")
        .annotate(paid_year=year)
        .filter(paid_year=OuterRef("year"))
    )


def _due_years(limit: date, deposit_ids: Sequence[int] | None) -> list[tuple[Any, ...]]:
    """Every year of a live deposit due on or before `limit`, not settled, whose pledge is in force
    on the due date (registered, effective on or before it, not released by then): one query,
    earliest due date first (a right's years in order: a year is payable only after the one
    before it)."""
    years = AnnuityDepositYear.objects.filter(
        drawn_on__isnull=True,
        due_date__lte=limit,
        deposit__refunded_on__isnull=True,
        deposit__pledge__effective_date__lte=F("due_date"),
    ).filter(
        Q(deposit__pledge__state=PledgeState.REGISTERED)
        | Q(
            deposit__pledge__state=PledgeState.RELEASED,
            deposit__pledge__released_on__gt=F("due_date"),
        )
    )
    if deposit_ids is not None:
        years = years.filter(deposit_id__in=list(deposit_ids))
    return list(
        years.annotate(paid_otherwise=_paid_in_register())
        .order_by("due_date", "deposit_id", "year")
        .values_list("pk", "deposit_id", "paid_otherwise")
    )


def _settle(year_id: int, deposit_id: int, paid_otherwise: bool) -> DrawSummary:
    """Settle one due year in its own transaction (a savepoint inside the caller's): under the
    deposit's row lock (the refund takes it too, so a year is never both paid and refunded) and
    only if nobody settled it meanwhile (a second draw at the same time finds it settled)."""
    with transaction.atomic():
        deposit = (
            AnnuityDeposit.objects.select_for_update()
            .filter(pk=deposit_id, refunded_on__isnull=True)
            .first()
        )
        year = (
            AnnuityDepositYear.objects.select_for_update()
            .filter(pk=year_id, drawn_on__isnull=True)
            .first()
        )
        if deposit is None or year is None:
            return DrawSummary()
        right = Right.objects.get(pk=deposit.right_id)
        event: RightEvent | None = None
        refusal = ""
        outcome = DepositOutcome.PAID_OTHERWISE
        if not paid_otherwise:
            try:
                with transaction.atomic():
                    event = right_annuity_record_system(
                        right=right, year=year.year, date=year.due_date, source=DEPOSIT_SOURCE
                    )
                outcome = DepositOutcome.PAID
            except ValidationFailed as exc:  # the register's refusal, nothing recorded
                refusal = exc.code
                if exc.code != "annuity_already_paid":
                    outcome = DepositOutcome.NOT_PAYABLE
        year.drawn_on = year.due_date
        year.outcome = outcome
        year.event = event
        year.refusal = refusal
        year.save(update_fields=["drawn_on", "outcome", "event", "refusal"])
        audit_record(
            actor=None,
            action="pledge.annuity_deposit_draw",
            obj=deposit,
            after={
                "source": DEPOSIT_SOURCE,
                "right_id": right.pk,
                "year": year.year,
                "due_date": year.due_date.isoformat(),
                "amount": money_str(year.amount),
                "outcome": outcome.value,
                "event_id": event.pk if event is not None else None,
                "refusal": refusal or None,
            },
        )
        _tell_depositor(deposit, right, year, outcome)
    if outcome is DepositOutcome.PAID:
        return DrawSummary(years=1, amount=year.amount)
    if outcome is DepositOutcome.PAID_OTHERWISE:
        return DrawSummary(paid_otherwise=1)
    return DrawSummary(not_payable=1)


def _tell_depositor(
    deposit: AnnuityDeposit, right: Right, year: AnnuityDepositYear, outcome: DepositOutcome
) -> None:
    amount_zh, amount_en = money_pair(year.amount)
    if outcome is DepositOutcome.PAID:
        zh = (
            f"已从预缴款中缴纳知识产权 {right.number} 第 {year.year} 年年费 {amount_zh}"
            f"（{year.due_date}）。"
        )
        en = (
            f"The year {year.year} annuity of {right.number} ({amount_en}) was paid from the "
            f"deposit on {year.due_date}."
        )
    elif outcome is DepositOutcome.PAID_OTHERWISE:
        zh = (
            f"知识产权 {right.number} 第 {year.year} 年年费已另行缴纳，未从预缴款中扣缴；"
            f"该年 {amount_zh}将在质押注销时退还。"
        )
        en = (
            f"The year {year.year} annuity of {right.number} was already paid otherwise: "
            f"nothing was taken from the deposit; its {amount_en} is refunded at the release."
        )
    else:
        zh = (
            f"知识产权 {right.number} 第 {year.year} 年年费无法缴纳（{year.refusal}），"
            f"该年 {amount_zh}将在质押注销时退还。"
        )
        en = (
            f"The year {year.year} annuity of {right.number} could not be paid ({year.refusal}); "
            f"its {amount_en} is refunded at the release."
        )
    notify_orgs([deposit.depositor_id], deposit, "pledge.annuity_deposit_draw", zh, en)


def _draw(limit: date, deposit_ids: Sequence[int] | None = None) -> DrawSummary:
    summary = DrawSummary()
    for year_id, deposit_id, paid_otherwise in _due_years(limit, deposit_ids):
        summary += _settle(year_id, deposit_id, bool(paid_otherwise))
    return summary


def annuity_deposit_draw(*, on: date) -> DrawSummary:
    """The daily draw (issue 12: "on each due date `risk_scan` records the annuity paid from the
    deposit"): every year of a live deposit due on or before `on`, not settled yet, whose pledge
    was in force on the due date, is recorded paid in the register by the platform, dated on its
    due date (专利法实施细则 r. 115: due before the patent year starts; no late fee then,
    专利收费标准), and marked settled. A payment is a fact: never dated after today, so a draw as
    of a later day settles only what is due by today.

    Idempotent: a second draw finds nothing to settle; two at once settle each year once (the
    deposit's row lock). A year the register already has paid (an annuity_paid event for it) is
    settled as `paid_otherwise` without a second payment, and a year the register refuses (the
    right ended before its due date, `refusal` the register's code) as `not_payable`: both stay in
    the deposit, to be refunded at the release. One query selects what is due; each year is then
    written in its own transaction. Answers what was settled (the scan's summary)."""
    return _draw(min(on, timezone.localdate()))


# --- the refund ----------------------------------------------------------------------------------


def annuity_deposit_refund(
    *, pledge: Pledge, on: date, actor: User | None = None
) -> list[AnnuityDeposit]:
    """At the pledge's release on `on` (`pledge_release` calls it in its transaction, the pledge
    locked): each live deposit first pays what fell due while the pledge was in force and was not
    drawn yet (due before `on`), then is refunded: the fees of every year not paid from it (not
    due yet, paid otherwise, refused), so that paid + refund = deposited, to the fen. Audited as
    the releasing user; the depositor is told the amount. Answers the deposits refunded."""
    ids = list(
        AnnuityDeposit.objects.select_for_update()
        .filter(pledge=pledge, refunded_on__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    _draw(min(on - timedelta(days=1), timezone.localdate()), deposit_ids=ids)
    refunded = []
    label_zh, label_en = label(pledge)
    for deposit in AnnuityDeposit.objects.select_related("right").filter(pk__in=ids).order_by("pk"):
        before = deposit_snapshot(deposit)
        years = list(deposit.years.values_list("amount", "outcome"))
        deposit.refund_amount = deposit_refund(
            (amount, outcome or None) for amount, outcome in years
        )
        deposit.refunded_on = on
        deposit.save(update_fields=["refund_amount", "refunded_on"])
        audit_record(
            actor=actor,
            action="pledge.annuity_deposit_refund",
            obj=deposit,
            before=before,
            after=deposit_snapshot(deposit),
        )
        refund_zh, refund_en = money_pair(deposit.refund_amount)
        notify_orgs(
            [deposit.depositor_id],
            deposit,
            "pledge.annuity_deposit_refund",
            f"{label_zh} 已注销（{on}）：知识产权 {deposit.right.number} 的预缴年费余额 {refund_zh}"
            "予以退还。",
            f"{label_en} was released on {on}: what is left of the annuity deposit for "
            f"{deposit.right.number}, {refund_en}, is refunded.",
        )
        refunded.append(deposit)
    return refunded
