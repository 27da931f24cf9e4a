"""Writes of a disbursed loan: disbursement, repayments, closure and the daily classification."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, invalid
from ipfin.common.inputs import amount_in
from ipfin.common.money import money_str
from ipfin.feed.domain import EventType as FeedEventType
from ipfin.feed.services import Occurrence, events_publish
from ipfin.financing.services import demand_mark_financed
from ipfin.holidays.selectors import working_calendar
from ipfin.loans.domain import apply_repayment, oldest_unpaid_due_date, outstanding_principal
from ipfin.loans.domain.schedules import repayment_schedule
from ipfin.loans.domain.status import (
    NON_PERFORMING,
    LoanAction,
    LoanState,
    RiskCategory,
    classify,
    days_past_due,
    is_non_performing,
    release_due,
)
from ipfin.loans.models import Installment, Loan, LoanClassification, Repayment
from ipfin.loans.selectors import instalment_states, loan_terms, other_loans_on_pledge
from ipfin.loans.services._common import today_or, transition
from ipfin.loans.services._loan import (
    _label,
    _lock,
    _npl_held,
    _record_classification,
    _require_bank,
    _snapshot,
)
from ipfin.loans.signals import loan_disbursed
from ipfin.pledges.models import Pledge, PledgeStateChoices

__all__ = [
    "loan_classify",
    "loan_close",
    "loan_disburse",
    "loan_repay",
]


def loan_disburse(
    *, actor: User, loan: Loan, disbursed_on: date | None = None, today: date | None = None
) -> Loan:
    """Disbursement (放款): the schedule is made from the approved terms, starting on the
    disbursement day (`repayment_schedule`); a loan from a demand marks the demand financed."""
    _require_bank(actor, loan)
    day = today_or(today)
    with transaction.atomic():
        locked = _lock(loan)
        new_state = transition(locked.state, LoanAction.DISBURSE)
        start = disbursed_on or day
        assert locked.approved_on is not None and locked.principal is not None
        if not locked.approved_on <= start <= day:
            raise invalid(
                "disbursed_on",
                "disbursed_on_invalid",
                f"放款日应在审批日 {locked.approved_on} 与今日 {day} 之间。",
                f"The disbursement date must be between the approval on {locked.approved_on} "
                f"and today {day}.",
            )
        pledge = (
            Pledge.objects.filter(pk=locked.pledge_id).first()
            if locked.pledge_id is not None
            else None
        )
        if pledge is None or pledge.state != PledgeStateChoices.REGISTERED:
            raise Conflict(
                "贷款所依赖的质押登记已不再有效，不能放款。",
                "The pledge registration the loan relies on is no longer in force.",
                code="pledge_not_registered",
            )
        before = _snapshot(locked)
        assert locked.annual_rate is not None and locked.months is not None
        schedule = repayment_schedule(
            principal=Decimal(locked.principal),
            annual_rate=Decimal(locked.annual_rate),
            months=locked.months,
            method=locked.method,
            start_date=start,
            day_count=locked.day_count,
        )
        maturity = schedule.installments[-1].due_date
        if maturity > pledge.term_end:
            # Disbursed later than approved, the schedule ends later: still within the debt term
            # the registration secures (民法典 art. 427), or the registration is amended first.
            raise Conflict(
                f"按放款日 {start} 计，贷款到期日 {maturity} 晚于质押登记的债务履行期限 "
                f"{pledge.term_end}（民法典第四百二十七条），请先办理质押变更登记。",
                f"Disbursed on {start}, the loan would fall due on {maturity}, after the term of "
                f"the debt the pledge registration secures ({pledge.term_end}; Civil Code art. "
                "427): amend the registration first.",
                code="pledge_term_exceeded",
            )
        Installment.objects.bulk_create(
            [
                Installment(
                    loan=locked,
                    n=row.n,
                    due_date=row.due_date,
                    principal=row.principal,
                    interest=row.interest,
                )
                for row in schedule.installments
            ]
        )
        locked.state = new_state
        locked.disbursed_on = start
        locked.maturity_date = schedule.installments[-1].due_date
        locked.outstanding_principal = locked.principal
        locked.days_past_due = 0
        locked.classification = RiskCategory.NORMAL
        locked.classified_on = day
        locked.disbursed_by = actor
        locked.save()
        demand = locked.demand  # None (no query) when the loan came from no demand
        if demand is not None:
            demand_mark_financed(demand=demand, loan_id=locked.pk, actor=actor)
        audit_record(
            actor=actor,
            action="loan.disburse",
            obj=locked,
            before=before,
            after={**_snapshot(locked), "total_interest": money_str(schedule.total_interest)},
        )
        loan_disbursed.send(sender=Loan, loan=locked, actor=actor)
        label_zh, label_en = _label(locked)
        first = schedule.installments[0]
        notify_orgs(
            [locked.enterprise_id],
            locked,
            "loan.disburse",
            f"{label_zh} 已放款 {money_str(locked.principal)} 元；首期 {first.due_date} 应还 "
            f"{money_str(first.payment)} 元。",
            f"{label_en}: {money_str(locked.principal)} yuan disbursed; the first instalment of "
            f"{money_str(first.payment)} yuan is due on {first.due_date}.",
        )
    return locked


def _line_json(line: Any) -> dict[str, Any]:
    return {
        "n": line.n,
        "penalty": money_str(line.penalty),
        "interest": money_str(line.interest),
        "principal": money_str(line.principal),
    }


def loan_repay(
    *,
    actor: User,
    loan: Loan,
    amount: Decimal | str | int,
    paid_on: date | None = None,
    today: date | None = None,
) -> Repayment:
    """Record a repayment received on `paid_on` (default today) and allocate it: penalty →
    interest → principal, oldest first; the rest is an early repayment (`ipfin.loans.domain`).
    Repayments are recorded in date order; the loan's days past due and classification are
    brought up to today."""
    _require_bank(actor, loan)
    day = today_or(today)
    value = amount_in(amount, "amount")
    with transaction.atomic():
        locked = _lock(loan)
        new_state = transition(locked.state, LoanAction.REPAY)
        on = paid_on or day
        assert locked.disbursed_on is not None
        last = (
            Repayment.objects.filter(loan=locked)
            .order_by("-paid_on")
            .values_list("paid_on", flat=True)
        ).first()
        lower = max(locked.disbursed_on, last) if last is not None else locked.disbursed_on
        if not lower <= on <= day:
            raise invalid(
                "paid_on",
                "paid_on_invalid",
                f"还款日应在 {lower} 与今日 {day} 之间（还款按日期顺序登记）。",
                f"paid_on must be between {lower} and today {day} (repayments are recorded in "
                "date order).",
            )
        before = _snapshot(locked)
        rows = list(Installment.objects.select_for_update().filter(loan=locked).order_by("n"))
        calendar = working_calendar()
        states = instalment_states(rows, calendar)
        allocation = apply_repayment(states, loan_terms(locked), value, on)
        for row, state in zip(rows, states, strict=True):
            row.principal = state.principal
            row.interest = state.interest
            row.principal_paid = state.principal_paid
            row.interest_paid = state.interest_paid
            row.penalty = state.penalty
            row.penalty_paid = state.penalty_paid
            row.penalty_through = state.penalty_through
            row.settled_on = state.settled_on
        Installment.objects.bulk_update(
            rows,
            [
                "principal",
                "interest",
                "principal_paid",
                "interest_paid",
                "penalty",
                "penalty_paid",
                "penalty_through",
                "settled_on",
            ],
        )
        repayment = Repayment.objects.create(
            loan=locked,
            paid_on=on,
            amount=allocation.amount,
            penalty_part=allocation.penalty,
            interest_part=allocation.interest,
            principal_part=allocation.principal,
            prepaid_principal=allocation.prepaid_principal,
            full_repayment=allocation.full_repayment,
            lines=[_line_json(line) for line in allocation.lines],
            recorded_by=actor,
        )
        dpd = days_past_due(oldest_unpaid_due_date(states), day, calendar)
        previous = locked.classification
        # A non-performing loan goes back to 正常 or 关注 only after its arrears are paid AND six
        # months and two instalments paid on time (`npl_hold`), not on the day they are paid.
        schedule = [(row.due_date, row.settled_on) for row in rows]
        held = _npl_held(locked, dpd, day, calendar, schedule)
        locked.state = new_state
        locked.outstanding_principal = outstanding_principal(states)
        locked.days_past_due = dpd
        locked.classification = classify(
            dpd, assessed=locked.assessed_classification or None, held=held
        ).value
        locked.classified_on = day
        locked.save()
        _record_classification(locked, previous, day)
        audit_record(
            actor=actor,
            action="loan.repay",
            obj=locked,
            before=before,
            after={
                **_snapshot(locked),
                "repayment_id": repayment.pk,
                "paid_on": on.isoformat(),
                "amount": money_str(allocation.amount),
                "penalty": money_str(allocation.penalty),
                "interest": money_str(allocation.interest),
                "principal": money_str(allocation.principal),
                "prepaid_principal": money_str(allocation.prepaid_principal),
                "full_repayment": allocation.full_repayment,
            },
        )
        label_zh, label_en = _label(locked)
        done_zh = "，贷款已全部还清，待银行办理结清" if allocation.full_repayment else ""
        done_en = (
            "; the loan is repaid in full, to be closed by the bank"
            if (allocation.full_repayment)
            else ""
        )
        notify_orgs(
            [locked.enterprise_id],
            locked,
            "loan.repay",
            f"{label_zh} 收到还款 {money_str(allocation.amount)} 元（{on}）：罚息 "
            f"{money_str(allocation.penalty)}、利息 {money_str(allocation.interest)}、本金 "
            f"{money_str(allocation.principal)}{done_zh}。",
            f"{label_en}: {money_str(allocation.amount)} yuan received on {on} (penalty "
            f"{money_str(allocation.penalty)}, interest {money_str(allocation.interest)}, "
            f"principal {money_str(allocation.principal)}){done_en}.",
        )
    return repayment


def loan_close(*, actor: User, loan: Loan, today: date | None = None) -> Loan:
    """Closure (结清) of a loan repaid in full: every instalment settled, no principal left. Asks
    the pledgee to release the pledge (see the module doc): a notification to the bank whose
    object is the pledge, unless another active loan still relies on the registration."""
    _require_bank(actor, loan)
    day = today_or(today)
    with transaction.atomic():
        locked = _lock(loan)
        new_state = transition(locked.state, LoanAction.CLOSE)
        unsettled = Installment.objects.filter(loan=locked, settled_on__isnull=True).count()
        if unsettled or locked.outstanding_principal != 0:
            raise Conflict(
                f"贷款尚未还清（{unsettled} 期未结清，剩余本金 "
                f"{money_str(locked.outstanding_principal)} 元），不能结清。",
                f"The loan is not repaid ({unsettled} instalments open, "
                f"{money_str(locked.outstanding_principal)} yuan principal outstanding).",
                code="loan_not_repaid",
            )
        before = _snapshot(locked)
        previous = locked.classification
        locked.state = new_state
        locked.closed_on = day
        locked.closed_by = actor
        locked.days_past_due = 0
        locked.classification = RiskCategory.NORMAL
        locked.classified_on = day
        locked.save()
        _record_classification(locked, previous, day)
        others = other_loans_on_pledge(locked)
        pledge = (
            Pledge.objects.filter(pk=locked.pledge_id).first()
            if locked.pledge_id is not None
            else None
        )
        release_requested = release_due(
            locked.state, pledge.state if pledge is not None else None, others
        )
        audit_record(
            actor=actor,
            action="loan.close",
            obj=locked,
            before=before,
            after={
                **_snapshot(locked),
                "release_requested": release_requested,
                "other_loans_on_pledge": others,
            },
        )
        label_zh, label_en = _label(locked)
        if pledge is not None and release_requested:
            reg = pledge.registration_no
            notify_orgs(
                [locked.bank_id],
                pledge,
                "loan.release_request",
                f"{label_zh} 已结清：请办理质押登记 {reg} 的注销登记。",
                f"{label_en} is closed: please release pledge registration {reg}.",
            )
        elif pledge is not None and others:
            notify_orgs(
                [locked.bank_id],
                pledge,
                "loan.close",
                f"{label_zh} 已结清；质押登记 {pledge.registration_no} 仍为贷款 "
                f"{'、'.join(f'#{pk}' for pk in others)} 提供担保，暂不注销。",
                f"{label_en} is closed; pledge {pledge.registration_no} still secures loan(s) "
                f"{', '.join(f'#{pk}' for pk in others)}: not to be released yet.",
            )
        notify_orgs(
            [locked.enterprise_id],
            locked,
            "loan.close",
            f"{label_zh} 已结清（{day}）"
            + ("，已通知质权人办理质押注销登记。" if release_requested else "。"),
            f"{label_en} is closed ({day})"
            + ("; the pledgee was asked to release the pledge." if release_requested else "."),
        )
    return locked


def loans_to_classify() -> QuerySet[Loan]:
    """The loans the daily classification brings up to the day: those disbursed and not closed."""
    return Loan.objects.filter(state__in=[LoanState.DISBURSED, LoanState.REPAYING])


def _npl_schedules(loans: QuerySet[Loan]) -> dict[int, list[tuple[date, date | None]]]:
    """The instalments' (due day, settlement day) of those of `loans` stored as non-performing,
    by loan, in one query (what `npl_hold` reads), in the order `_npl_held` reads one loan's.

    Why one: the daily classification had read each such loan's schedule with a query of its
    own, a query per non-performing loan of the register every night. A subquery, not a list
    of ids: the direct command classifies every loan at once."""
    npl = loans.filter(classification__in=[c.value for c in NON_PERFORMING]).values("pk")
    rows = (
        Installment.objects.filter(loan_id__in=npl)
        .order_by("loan_id", "n")
        .values_list("loan_id", "due_date", "settled_on")
    )
    schedules: dict[int, list[tuple[date, date | None]]] = {}
    for loan_id, due, settled in rows.iterator(chunk_size=10_000):
        schedules.setdefault(loan_id, []).append((due, settled))
    return schedules


def loan_classify(
    *, today: date | None = None, ids: tuple[int, int] | None = None
) -> dict[str, int]:
    """Bring every disbursed loan's days past due and five-category classification up to `today`
    (the system's daily job, `ipfin classify_loans`). One query reads each active loan's oldest
    unsettled due date; only the loans whose figures change are written, in one bulk update, and
    each change of category is audited. `ids` (lo, hi): only the loans with ids in that closed
    range (one chunk of the background job, ipfin.loans.jobs). Idempotent: a second run on the
    same day changes nothing. Returns counts: checked, changed, non_performing."""
    day = today_or(today)
    rows = loans_to_classify()
    if ids is not None:
        rows = rows.filter(pk__gte=ids[0], pk__lte=ids[1])
    active = (
        rows.annotate(
            oldest_unpaid=Min(
                "installments__due_date", filter=Q(installments__settled_on__isnull=True)
            )
        )
        .only(
            "pk",
            "bank",
            "days_past_due",
            "classification",
            "classified_on",
            "assessed_classification",
        )
        .order_by("pk")
    )
    changed: list[Loan] = []
    history: list[LoanClassification] = []
    told: list[Occurrence] = []  # the change feed's events (ipfin.feed), one insert at the end
    checked = non_performing = 0
    calendar = working_calendar()  # days past due count from the payable day (民法典 art. 203)
    with transaction.atomic():
        # The chunk's loans locked before they are read (in id order, as everyone locks one):
        # a repayment committing between this read and the bulk update below would otherwise be
        # overwritten with the category and days past due read before it, and a stale change
        # told to the bank. A repayment running now finishes first; one starting now waits.
        list(rows.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
        schedules = _npl_schedules(rows)
        for loan in active:
            checked += 1
            dpd = days_past_due(loan.oldest_unpaid, day, calendar)
            # The effective category: the worse of the overdue floor, the bank's own and, for a
            # non-performing loan not yet to be upgraded, 次级 (`npl_hold`, over the schedules
            # read above for such loans only).
            held = _npl_held(loan, dpd, day, calendar, schedules.get(loan.pk, []))
            category = classify(dpd, assessed=loan.assessed_classification or None, held=held).value
            non_performing += is_non_performing(category)
            if loan.days_past_due == dpd and loan.classification == category:
                continue
            if loan.classification != category:
                audit_record(
                    actor=None,
                    action="loan.classify",
                    obj=loan,
                    before={
                        "classification": loan.classification,
                        "days_past_due": loan.days_past_due,
                    },
                    after={
                        "classification": category,
                        "days_past_due": dpd,
                        "assessed_classification": loan.assessed_classification,
                        "on": day.isoformat(),
                    },
                )
                history.append(LoanClassification(loan=loan, effective_on=day, category=category))
                told.append(
                    Occurrence(
                        FeedEventType.LOAN_CLASSIFIED,
                        {
                            "loan_id": loan.pk,
                            "before": loan.classification,
                            "classification": category,
                            "days_past_due": dpd,
                            "on": day,
                        },
                        [loan.bank_id],
                    )
                )
            loan.days_past_due = dpd
            loan.classification = category
            loan.classified_on = day
            changed.append(loan)
        Loan.objects.bulk_update(
            changed, ["days_past_due", "classification", "classified_on"], batch_size=1000
        )
        LoanClassification.objects.bulk_create(history, batch_size=1000)
        events_publish(told)
        if changed:
            Loan.objects.filter(pk__in=[loan.pk for loan in changed]).update(
                updated_at=timezone.now()
            )
    return {"checked": checked, "changed": len(changed), "non_performing": non_performing}
