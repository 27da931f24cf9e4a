"""The examiner's desk: who holds an examination case.

A case is a confirmed application waiting for the office's decision: a pledge registration
(`Pledge`) or a change registration (`PledgeChange`) in state `submitted`. An examiner claims one
for itself (`case_claim`, `Perm.PLEDGE_DECIDE`); an administrator of the office assigns it to an
examiner of the office, or reassigns it (`case_assign`, `Perm.PLEDGE_ASSIGN`); the holder, or an
administrator, gives it back to the queue (`case_claim_release`). While a case is held, only its
holder decides it (`permissions.require_case_holder`, called by the decisions: 409
`case_claimed_by_other`). The holder stays on the case after the decision, as who examined it.

A claim is one conditional UPDATE (`... WHERE assignee IS NULL AND state = 'submitted'`): of two
examiners claiming the same case at once, the database lets exactly one row change and the other
is refused (409 `case_already_claimed`), on SQLite and on PostgreSQL (the second UPDATE waits for
the first's row lock, then finds the row taken). Assignments and releases lock the row. Each
change of holder is audited (`<kind>.claim`, `.assign`, `.claim_release`) with the holder before
and after.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from django.db import transaction
from django.utils import timezone, translation

from ipfin.accounts.models import Notification, User
from ipfin.accounts.permissions import (
    Perm,
    acting_organisation,
    has_perm,
    may_examine,
    require,
    require_case_holder,
)
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, PermissionDenied, invalid
from ipfin.pledges.models import Pledge, PledgeChange

__all__ = [
    "Case",
    "case_assign",
    "case_claim",
    "case_claim_release",
    "release_claim_in_place",
    "require_examinable",
    "seen_token",
]

Case: TypeAlias = Pledge | PledgeChange

SUBMITTED = "submitted"


def _audit_kind(case: Case) -> str:
    return "pledge" if isinstance(case, Pledge) else "pledge_change"


def _label(case: Case) -> tuple[str, str]:
    if isinstance(case, Pledge):
        return f"质押登记申请 #{case.pk}", f"pledge application #{case.pk}"
    return (
        f"质押登记 #{case.pledge_id} 的变更登记申请 #{case.pk}",
        f"change application #{case.pk} of pledge #{case.pledge_id}",
    )


def _holder(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _not_open(case: Case) -> Conflict:
    with translation.override("zh-hans"):
        state_zh = str(case.get_state_display())
    with translation.override("en"):
        state_en = str(case.get_state_display()).lower()
    zh, en = _label(case)
    return Conflict(
        f"{zh} 不在待审查状态（当前：{state_zh}），不能认领或指派。",
        f"{en.capitalize()} is not waiting for examination (it is {state_en}); it cannot be "
        "claimed or assigned.",
        code="case_not_open",
        extra={"state": case.state},
    )


def _refresh(case: Case, *, lock: bool = False) -> Case:
    rows = type(case).objects.select_related("assignee")
    if lock:
        rows = rows.select_for_update(of=("self",))  # the case's row, not its holder's
    found: Case = rows.get(pk=case.pk)
    return found


def case_claim(*, actor: User, case: Case) -> Case:
    """The examiner `actor` takes the case for itself: 409 `case_already_claimed` when someone
    holds it (naming who; also when it is the actor), 409 `case_not_open` when it is not waiting
    for a decision. Audited. Returns the case as stored."""
    require(actor, Perm.PLEDGE_DECIDE)
    model: Any = type(case)
    with transaction.atomic():
        taken = model.objects.filter(pk=case.pk, state=SUBMITTED, assignee__isnull=True).update(
            assignee=actor, assigned_at=timezone.now()
        )
        current = _refresh(case)
        if not taken:
            if current.state != SUBMITTED:
                raise _not_open(current)
            holder = current.assignee
            assert holder is not None  # the UPDATE found the row taken
            zh, en = _label(current)
            if holder.pk == actor.pk:
                mine_zh, mine_en = "您已认领本案", "You already hold this case"
            else:
                mine_zh = f"本案已由审查员 {_name(holder)} 认领"
                mine_en = f"Examiner {_name(holder)} already holds this case"
            raise Conflict(
                f"{zh}：{mine_zh}，不能再次认领。",
                f"{en.capitalize()}: {mine_en}; it cannot be claimed again.",
                code="case_already_claimed",
                extra={"assignee": holder.get_username()},
            )
        audit_record(
            actor=actor,
            action=f"{_audit_kind(current)}.claim",
            obj=current,
            before={"assignee": None},
            after={"assignee": actor.get_username()},
        )
    return current


def case_assign(*, actor: User, case: Case, assignee: User) -> Case:
    """An administrator of the office (`Perm.PLEDGE_ASSIGN`) gives the case to `assignee`, an
    active examiner of its own office (422 `assignee_invalid` otherwise), whoever held it before
    (a reassignment). 409 `case_not_open` when it is not waiting for a decision. Audited with the
    holder before and after; the new holder is told. Assigning it to its holder changes nothing."""
    office = acting_organisation(require(actor, Perm.PLEDGE_ASSIGN))
    if not may_examine(assignee) or assignee.organisation_id != office.pk:
        raise invalid(
            "assignee",
            "assignee_invalid",
            f"{_name(assignee)} 不是本机构在职的审查员，不能承办审查案件。",
            f"{_name(assignee)} is not an active examiner of your office and cannot hold a case.",
        )
    with transaction.atomic():
        locked = _refresh(case, lock=True)
        if locked.state != SUBMITTED:
            raise _not_open(locked)
        before = locked.assignee
        if before is not None and before.pk == assignee.pk:
            return locked
        # An UPDATE, not save(): `updated_at` stays, so that the holder's open decision form is
        # not refused as stale by a change of holder alone.
        type(locked).objects.filter(pk=locked.pk).update(
            assignee=assignee, assigned_at=timezone.now()
        )
        current = _refresh(locked)
        audit_record(
            actor=actor,
            action=f"{_audit_kind(current)}.assign",
            obj=current,
            before={"assignee": _holder(before)},
            after={"assignee": assignee.get_username()},
        )
        zh, en = _label(current)
        Notification.objects.create(
            organisation_id=office.pk,  # the assignee's (checked above)
            user=assignee,
            verb=f"{_audit_kind(current)}.assign",
            message_zh=f"{_name(actor)} 已将{zh}指派给您审查。",
            message_en=f"{_name(actor)} assigned {en} to you for examination.",
            object_type=current._meta.label_lower,
            object_id=str(current.pk),
        )
    return current


def case_claim_release(*, actor: User, case: Case) -> Case:
    """The case goes back to the queue, held by no one: by its holder, or by an administrator of
    the office (`Perm.PLEDGE_ASSIGN`; another examiner: 403 `case_claimed_by_other`). 409
    `case_not_claimed` when no one holds it. Audited."""
    require(actor, Perm.PLEDGE_DECIDE)
    with transaction.atomic():
        locked = _refresh(case, lock=True)
        holder = locked.assignee
        zh, en = _label(locked)
        if holder is None:
            raise Conflict(
                f"{zh} 尚无人认领，无需释放。",
                f"No one holds {en}: there is nothing to release.",
                code="case_not_claimed",
            )
        if holder.pk != actor.pk and not has_perm(actor, Perm.PLEDGE_ASSIGN):
            raise PermissionDenied(
                f"本案由审查员 {_name(holder)} 承办：只有承办审查员本人或管理员可以释放。",
                f"Examiner {_name(holder)} holds this case: only that examiner or an "
                "administrator may release it.",
                code="case_claimed_by_other",
            )
        release_claim_in_place(actor=actor, case=locked, why="released")
    return _refresh(locked)


def release_claim_in_place(*, actor: User, case: Case, why: str) -> None:
    """Inside the caller's transaction, holding the case's row lock: the case is held by no one
    any more, audited (`<kind>.claim_release` with `why`). Used by `case_claim_release` and by the
    maker of a dual-control approval, whose proposal leaves the case for a second examiner to
    claim and approve."""
    before = case.assignee
    if before is None:
        return
    type(case).objects.filter(pk=case.pk).update(assignee=None, assigned_at=None)
    case.assignee, case.assigned_at = None, None
    audit_record(
        actor=actor,
        action=f"{_audit_kind(case)}.claim_release",
        obj=case,
        before={"assignee": _holder(before)},
        after={"assignee": None, "why": why},
    )


def seen_token(case: Case) -> str:
    """What a decision form carries of the case it was made from (a hidden input): the time the
    case was last saved, ISO 8601 to the microsecond. Every service that changes what the
    examiner decides on saves the case (confirmation, correction, a proposal to approve, a
    decision); a change of holder alone does not (`case_assign` updates in place)."""
    return case.updated_at.isoformat()


def require_examinable(actor: User, case: Case, seen: str | None) -> None:
    """Before a decision on `case` (locked by the caller): the form was made from the case as it
    is (`seen`, a `seen_token`; None: not checked, as over the API) — else 409
    `version_conflict`, nothing decided; and `actor` may decide it
    (`permissions.require_case_holder`: 409 `case_claimed_by_other` while another holds it)."""
    if seen is not None and seen != seen_token(case):
        zh, en = _label(case)
        raise Conflict(
            f"{zh} 在您打开页面后已有变化（例如已补正后重新提交、已有审查员提议准予登记或已作出"
            "决定）：本次决定未保存。请重新打开页面，核对最新内容后再作决定。",
            f"{en.capitalize()} changed after you opened the page (corrected and resubmitted, an "
            "approval proposed, or decided): your decision was not saved. Open the page again and "
            "decide on what it now holds.",
            code="version_conflict",
        )
    require_case_holder(actor, case.assignee)
