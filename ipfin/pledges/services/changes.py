"""Change registration (变更登记) of a registered pledge: the office's act on the parties' joint
application (专利权质押登记办法 art. 3; ipfin.pledges.domain.CHANGE_TRANSITIONS).

Either party files the change (debt amount, term end, scope), the other confirms it, the examiner
approves, rejects or asks for a correction. The registered terms change only on approval, with the
approval day as the change's effective date; until then they stand, and they are what the public
register shows. One open change application per pledge at a time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.selectors import ip_office_ids
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed, invalid
from ipfin.common.money import money_str
from ipfin.feed.domain import EventType
from ipfin.pledges.domain import (
    ChangeState,
    PledgeAction,
    blocking_failures,
    check_debt_term,
    needs_second_examiner,
    term_checks,
)
from ipfin.pledges.models import OPEN_CHANGE_STATES, Pledge, PledgeChange
from ipfin.pledges.selectors import pledge_facts
from ipfin.pledges.services.assignment import release_claim_in_place, require_examinable
from ipfin.pledges.services.common import (
    active_rights,
    change_transition,
    checks_json,
    clean_debt,
    confirmation_deadline,
    decision_action,
    examination_deadline,
    feed_pledge,
    label,
    lock_pledge,
    other_party_id,
    party_org_id,
    require_other_party,
    require_party,
    snapshot,
    today_or,
    transition,
)

__all__ = [
    "pledge_change",
    "pledge_change_confirm",
    "pledge_change_decide",
    "pledge_change_decline",
    "pledge_change_withdraw",
    "pledge_changes_lapse_unconfirmed",
]

_FIELDS_ZH = {
    "debt_amount": "被担保主债权数额",
    "term_end": "债务履行期限止日",
    "scope": "担保范围",
}


def _lock_change(change: PledgeChange) -> PledgeChange:
    """The change and its pledge, locked in the order every writer of both takes them: the
    pledge first (a release locks the pledge, then closes its open changes). Locked change
    first, a decision and a release at once deadlocked on PostgreSQL."""
    Pledge.objects.select_for_update().filter(pk=change.pledge_id).first()
    return (
        PledgeChange.objects.select_for_update(of=("self",))
        .select_related("pledge")
        .get(pk=change.pk)
    )


def _require_registered(change: PledgeChange) -> None:
    """A change application concerns a registered pledge: 409 once it is released."""
    transition(change.pledge.state, PledgeAction.CHANGE)


def _term_refusal(pledge: Pledge, term_end: date, day: date) -> None:
    """A new term end must still fall within every pledged right's term (办法 art. 12)."""
    facts, _marks = pledge_facts(
        pledgor_uscc=pledge.pledgor.uscc or "",
        rights=active_rights(pledge),
        on=day,
        exclude_pledge_id=pledge.pk,
    )
    checks = term_checks(term_end, facts)
    failures = blocking_failures(checks)
    if failures:
        raise ValidationFailed(
            "变更后的债务履行期限超过权利有效期：" + "；".join(c.message_zh for c in failures),
            "The changed debt term runs past a right's term: "
            + " ".join(c.message_en for c in failures),
            code="precheck_failed",
            extra={"checks": checks_json(checks)},
        )


_FIELDS_EN = {"debt_amount": "secured debt", "term_end": "end of the debt term", "scope": "scope"}


def _describe(after: dict[str, Any]) -> tuple[str, str]:
    zh = "，".join(f"{_FIELDS_ZH[k]}改为 {v}" for k, v in after.items())
    en = ", ".join(f"{_FIELDS_EN[k]} to {v}" for k, v in after.items())
    return zh, en


def pledge_change(
    *,
    actor: User,
    pledge: Pledge,
    reason: str,
    debt_amount: Decimal | str | int | None = None,
    term_end: date | None = None,
    scope: str | None = None,
    today: date | None = None,
) -> PledgeChange:
    """A party files a change of a registered pledge's secured debt, term end or scope. It awaits
    the other party's confirmation; the registered terms do not change yet. A new term end must
    fall within every right's term (422 with the checks). 409 when the pledge is not registered
    or another change application is open."""
    party = require_party(actor, pledge)
    reason = (reason or "").strip()
    day = today_or(today)
    with transaction.atomic():
        locked = lock_pledge(pledge)
        transition(locked.state, PledgeAction.CHANGE)  # 409 unless registered
        if not reason:
            raise invalid(
                None, "reason_required", "请说明变更理由。", "A reason for the change is required."
            )
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if debt_amount is not None:
            amount = clean_debt(debt_amount)
            if amount != locked.debt_amount:
                before["debt_amount"] = money_str(locked.debt_amount)
                after["debt_amount"] = money_str(amount)
        if term_end is not None and term_end != locked.term_end:
            check_debt_term(locked.term_start, term_end, filed_on=day)
            _term_refusal(locked, term_end, day)
            before["term_end"] = locked.term_end.isoformat()
            after["term_end"] = term_end.isoformat()
        if scope is not None and scope.strip() != locked.scope:
            before["scope"] = locked.scope
            after["scope"] = scope.strip()
        if not after:
            raise invalid(
                None, "nothing_to_change", "没有需要变更的内容。", "Nothing would change."
            )
        if PledgeChange.objects.filter(pledge=locked, state__in=OPEN_CHANGE_STATES).exists():
            raise Conflict(
                "该质押登记已有未办结的变更申请。",
                "A change application of this pledge is still open.",
                code="change_pending",
            )
        change = PledgeChange(
            pledge=locked,
            state=change_transition(None, PledgeAction.CHANGE),
            initiator=party,
            changed_on=day,
            before=before,
            after=after,
            reason=reason,
            changed_by=actor,
            confirm_by=confirmation_deadline(day),
        )
        try:
            with transaction.atomic():
                change.save()
        except IntegrityError:  # a concurrent change took the one open slot (no row locks)
            raise Conflict(
                "该质押登记已有未办结的变更申请。",
                "A change application of this pledge is still open.",
                code="change_pending",
            ) from None
        audit_record(
            actor=actor,
            action="pledge.change_file",
            obj=change,
            before={"pledge_id": locked.pk, **before},
            after={"pledge_id": locked.pk, "state": change.state, **after, "reason": reason},
        )
        label_zh, label_en = label(locked)
        what_zh, what_en = _describe(after)
        notify_orgs(
            [other_party_id(locked, party)],
            locked,
            "pledge.change_file",
            f"{label_zh} 的变更登记申请（{what_zh}）待您于 {change.confirm_by} 前确认。",
            f"A change of {label_en} ({what_en}) awaits your confirmation by {change.confirm_by}.",
        )
    return change


def pledge_change_confirm(
    *, actor: User, change: PledgeChange, today: date | None = None
) -> PledgeChange:
    """The other party signs the change application: it goes to the examiner."""
    require_other_party(actor, change.initiator, change.pledge)
    day = today_or(today)
    pledge_changes_lapse_unconfirmed(on=day, change_ids=[change.pk])
    with transaction.atomic():
        locked = _lock_change(change)
        require_other_party(actor, locked.initiator, locked.pledge)
        _require_registered(locked)
        new_state = change_transition(locked.state, PledgeAction.CONFIRM)
        locked.state = new_state
        locked.confirmed_by = actor
        locked.confirmed_at = timezone.now()
        locked.deadline = examination_deadline(day)
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.change_confirm",
            obj=locked,
            before={"state": ChangeState.AWAITING_CONFIRMATION.value},
            after={"state": locked.state, "deadline": locked.deadline.isoformat()},
        )
        label_zh, label_en = label(locked.pledge)
        notify_orgs(
            ip_office_ids(),
            locked.pledge,
            "pledge.change_confirm",
            f"{label_zh} 的变更登记申请 #{locked.pk} 待审查，审查期限 {locked.deadline}。",
            f"Change application #{locked.pk} of {label_en} to examine by {locked.deadline}.",
        )
    return locked


def pledge_change_decline(*, actor: User, change: PledgeChange, reason: str = "") -> PledgeChange:
    require_other_party(actor, change.initiator, change.pledge)
    with transaction.atomic():
        locked = _lock_change(change)
        require_other_party(actor, locked.initiator, locked.pledge)
        locked.state = change_transition(locked.state, PledgeAction.DECLINE)
        locked.decision_reason = (reason or "").strip()
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.change_decline",
            obj=locked,
            before={"state": ChangeState.AWAITING_CONFIRMATION.value},
            after={"state": locked.state, "reason": locked.decision_reason},
        )
        notify_orgs(
            [party_org_id(locked.pledge, locked.initiator)],
            locked.pledge,
            "pledge.change_decline",
            f"变更登记申请 #{locked.pk} 被对方拒绝确认。",
            f"Change application #{locked.pk} was declined by the other party.",
        )
    return locked


def pledge_change_withdraw(*, actor: User, change: PledgeChange) -> PledgeChange:
    """Either party withdraws a change application not yet decided."""
    party = require_party(actor, change.pledge)
    with transaction.atomic():
        locked = _lock_change(change)
        before = locked.state
        locked.state = change_transition(locked.state, PledgeAction.WITHDRAW)
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.change_withdraw",
            obj=locked,
            before={"state": before},
            after={"state": locked.state},
        )
        notify_orgs(
            [other_party_id(locked.pledge, party)],
            locked.pledge,
            "pledge.change_withdraw",
            f"变更登记申请 #{locked.pk} 已撤回。",
            f"Change application #{locked.pk} was withdrawn.",
        )
    return locked


def pledge_change_decide(
    *,
    actor: User,
    change: PledgeChange,
    decision: str,
    reason: str = "",
    today: date | None = None,
    seen: str | None = None,
) -> PledgeChange:
    """The examiner decides a confirmed change application. Approval applies the new terms to the
    registered pledge from the decision day (the change's effective date); the term end is checked
    again against today's register. Rejection and a correction request need a reason and leave
    the registered terms as they are. As for an application (`pledge_decide`): 409
    `case_claimed_by_other` while another examiner holds it, 409 `version_conflict` for a
    decision made from a page that is no longer current (`seen`)."""
    require(actor, Perm.PLEDGE_DECIDE)
    action = decision_action(decision, "准予变更")
    reason = (reason or "").strip()
    day = today_or(today)
    with transaction.atomic():
        locked = _lock_change(change)
        new_state = change_transition(locked.state, action)
        require_examinable(actor, locked, seen)
        if action is not PledgeAction.APPROVE and not reason:
            raise invalid(
                "reason",
                "reason_required",
                "不予变更或要求补正时须说明理由。",
                "A reason is required to reject or to request a correction.",
            )
        pledge = lock_pledge(locked.pledge)
        pledge_before = snapshot(pledge)
        transition(pledge.state, PledgeAction.CHANGE)  # 409 unless still registered
        after = locked.after
        term_end = date.fromisoformat(after["term_end"]) if "term_end" in after else None
        if action is PledgeAction.APPROVE and term_end is not None:
            # Before a proposal too: the maker proposes only what the register allows.
            _term_refusal(pledge, term_end, day)
        if action is PledgeAction.APPROVE and _needs_second_examiner(locked):
            if locked.approval_proposed_by_id is None:
                return _propose_change_approval(actor, locked, pledge)
            if locked.approval_proposed_by_id == actor.pk:
                raise PermissionDenied(
                    "变更后的担保债权超过双人复核限额：您已提议准予变更，须由另一名审查员复核批准。",
                    "The changed secured debt is above the dual-control threshold: you proposed "
                    "the approval, a second examiner must approve it.",
                    code="checker_is_maker",
                )
        if action is not PledgeAction.APPROVE:
            # A rejection or a correction request ends an open proposal to approve.
            locked.approval_proposed_by, locked.approval_proposed_at = None, None
        if action is PledgeAction.APPROVE:
            if term_end is not None:
                pledge.term_end = term_end
            if "debt_amount" in after:
                pledge.debt_amount = Decimal(after["debt_amount"])
            if "scope" in after:
                pledge.scope = after["scope"]
            pledge.save()
            locked.effective_date = day
        locked.state = new_state
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.save()
        audit_record(
            actor=actor,
            action=f"pledge.change_{action.value}",
            obj=pledge,
            before=pledge_before,
            after={
                **snapshot(pledge, pledge_before["rights"]),
                "change_id": locked.pk,
                "change_state": locked.state,
                "reason": reason,
            },
        )
        # The decision on a change is the office's decision on the pledge: the banks' systems
        # that mirror its debt amount and term read the pledge as it now stands.
        feed_pledge(
            pledge,
            EventType.PLEDGE_DECIDED,
            pledge_before["rights"],
            decision=action.value,
            reason=reason,
            change={
                "id": locked.pk,
                "after": locked.after,
                "effective_date": locked.effective_date,
            },
        )
        label_zh, label_en = label(pledge)
        if action is PledgeAction.APPROVE:
            what_zh, what_en = _describe(locked.after)
            zh = f"{label_zh} 已办理变更登记（{what_zh}），自 {day} 起生效。"
            en = f"A change of {label_en} is registered ({what_en}), effective {day}."
        elif action is PledgeAction.REJECT:
            zh = f"{label_zh} 的变更登记申请不予变更：{reason}"
            en = f"The change of {label_en} was refused: {reason}"
        else:
            zh = f"{label_zh} 的变更登记申请需要补正：{reason}"
            en = f"The change of {label_en} needs a correction: {reason}"
        notify_orgs(
            [pledge.pledgee_id, pledge.pledgor_id], pledge, f"pledge.change_{action.value}", zh, en
        )
    return locked


def _needs_second_examiner(change: PledgeChange) -> bool:
    """A change whose secured debt after it is above the dual-control threshold: registered at
    or below it, a pledge could otherwise be raised past it by one examiner's approval."""
    debt = change.after.get("debt_amount")
    return debt is not None and needs_second_examiner(
        Decimal(debt), settings.IPFIN_DUAL_CONTROL_ABOVE
    )


def _propose_change_approval(actor: User, change: PledgeChange, pledge: Pledge) -> PledgeChange:
    """The maker's half of a dual-control approval of a change (as `_propose_approval` of an
    application): recorded and audited, the change stays confirmed, the case left for a second
    examiner to claim and approve; the pages open on it are stale (updated_at moves)."""
    change.approval_proposed_by = actor
    change.approval_proposed_at = timezone.now()
    change.save(update_fields=["approval_proposed_by", "approval_proposed_at", "updated_at"])
    release_claim_in_place(actor=actor, case=change, why="approval_proposed")
    audit_record(
        actor=actor,
        action="pledge.change_approve_proposed",
        obj=pledge,
        after={"change_id": change.pk, "after": change.after},
    )
    return change


def pledge_changes_lapse_unconfirmed(
    *, on: date | None = None, change_ids: list[int] | None = None
) -> int:
    """Change applications left unconfirmed past their deadline lapse (idempotent)."""
    day = today_or(on)
    overdue = PledgeChange.objects.filter(
        state=ChangeState.AWAITING_CONFIRMATION, confirm_by__lt=day
    )
    if change_ids is not None:
        overdue = overdue.filter(pk__in=change_ids)
    lapsed = 0
    for change_id in list(overdue.order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            locked = PledgeChange.objects.select_for_update().get(pk=change_id)
            if locked.state != ChangeState.AWAITING_CONFIRMATION:
                continue
            locked.state = change_transition(locked.state, PledgeAction.LAPSE)
            locked.save(update_fields=["state"])
            audit_record(
                actor=None,
                action="pledge.change_lapse",
                obj=locked,
                before={"state": ChangeState.AWAITING_CONFIRMATION.value},
                after={"state": locked.state},
            )
            notify_orgs(
                [locked.pledge.pledgee_id, locked.pledge.pledgor_id],
                locked.pledge,
                "pledge.change_lapse",
                f"变更登记申请 #{locked.pk} 未在 {locked.confirm_by} 前经对方确认，已失效。",
                f"Change application #{locked.pk} was not confirmed by {locked.confirm_by} and "
                "lapsed.",
            )
            lapsed += 1
    return lapsed
