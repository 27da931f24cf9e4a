"""The joint application and its registration: one service per transition of the pledge's state
machine (ipfin.pledges.domain.TRANSITIONS).

专利权质押登记办法 arts. 3 and 7: the pledgor and the pledgee apply jointly. Either party files
(`pledge_submit`: the bank names the pledgor, the enterprise names the pledgee bank); the other
party reads the pre-check and confirms (`pledge_confirm`) or declines (`pledge_decline`). Only a
confirmed application reaches the examiner (state submitted) and starts the working-day deadline;
an unconfirmed one holds its rights for CONFIRMATION_WORKING_DAYS working days, then lapses
(`pledges_lapse_unconfirmed`). 民法典 art. 444: the pledge arises on registration, so the
effective date is the day of the examiner's approval, never earlier.

Each service: checks the permission, locks the rows it changes, asks the pure domain, saves,
appends the audit record ("pledge.<action>", the pledge before and after) and notifies the other
side. A refused action changes nothing. Never two active pledges or pending applications on one
right (办法 art. 12): the Right rows are locked (in id order) before the active PledgeItems are
looked up, and the partial unique index `one_active_pledge_per_right` backs this up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipfin.accounts.models import OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, has_perm, require, require_login
from ipfin.accounts.selectors import ip_office_ids
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, PermissionDenied, invalid
from ipfin.common.money import money_str
from ipfin.feed.domain import EventType
from ipfin.pledges.domain import (
    CheckResult,
    PledgeAction,
    PledgeState,
    check_debt_term,
    format_registration_no,
    needs_second_examiner,
)
from ipfin.pledges.models import (
    Pledge,
    PledgeDocument,
    PledgeItem,
    RegistrationCounter,
    ReleaseBasisChoices,
)
from ipfin.pledges.notices import REFUSAL, REGISTRATION
from ipfin.pledges.securing import SecuredLoan, record_waiver
from ipfin.pledges.selectors import resolve_rights
from ipfin.pledges.services.assignment import release_claim_in_place, require_examinable
from ipfin.pledges.services.changes_close import close_open_changes
from ipfin.pledges.services.common import (
    DECISIONS,
    PARTY_ZH,
    PLEDGEE,
    PLEDGOR,
    checks_json,
    clean_contract_no,
    clean_debt,
    clean_party_org,
    confirmation_deadline,
    decision_action,
    examination_deadline,
    feed_pledge,
    insert_items,
    label,
    lock_pledge,
    lock_rights,
    other_party_id,
    party_org_id,
    precheck,
    refuse_if_blocked,
    release_items,
    require_other_party,
    require_party,
    require_pledgee,
    snapshot,
    today_or,
    transition,
)
from ipfin.pledges.services.deposits import annuity_deposit_refund
from ipfin.pledges.services.documents import CONTRACT
from ipfin.pledges.services.notices import pledge_notice_store
from ipfin.pledges.services.security import secured_loans_or_waiver

__all__ = [
    "DECISIONS",
    "pledge_confirm",
    "pledge_decide",
    "pledge_decline",
    "pledge_release",
    "pledge_release_request",
    "pledge_resubmit",
    "pledge_submit",
    "pledge_withdraw",
    "pledges_lapse_unconfirmed",
]


def _next_registration_no(year: int) -> str:
    """The next registration number of the year, from a counter row taken under a row lock."""
    RegistrationCounter.objects.get_or_create(year=year)
    counter = RegistrationCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return format_registration_no(year, counter.last)


def _taken_conflict(checks: list[CheckResult]) -> Conflict:
    return Conflict(
        "知识产权已被其他申请占用，请稍后重试。",
        "A right was taken by another application; please try again.",
        code="right_already_pledged",
        extra={"checks": checks_json(checks)},
    )


# --- lapse of unconfirmed applications -----------------------------------------------------------


def _lapse(pledge: Pledge, day: date) -> None:
    """An unconfirmed application past its confirmation deadline lapses: its rights are free, both
    parties are told. Called inside a transaction with the pledge locked."""
    before = snapshot(pledge)
    release_items(pledge)
    pledge.state = transition(pledge.state, PledgeAction.LAPSE)
    pledge.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=None, action="pledge.lapse", obj=pledge, before=before, after=snapshot(pledge)
    )
    notify_orgs(
        [pledge.pledgee_id, pledge.pledgor_id],
        pledge,
        "pledge.lapse",
        f"质押登记申请 #{pledge.pk} 未在 {pledge.confirm_by} 前经对方确认，已于 {day} 失效，"
        "所涉知识产权不再被占用。",
        f"Pledge application #{pledge.pk} was not confirmed by the other party by "
        f"{pledge.confirm_by} and lapsed on {day}; its rights are free again.",
    )


def pledges_lapse_unconfirmed(*, on: date | None = None, right_ids: Sequence[int] = ()) -> int:
    """Lapse every application still awaiting the other party's confirmation after its deadline
    (办法 arts. 3, 7: it never became a joint application). Idempotent: a lapsed application is
    not touched again. `right_ids` limits it to the applications holding those rights (the
    submission of a new application for them). Returns how many lapsed."""
    day = today_or(on)
    overdue = Pledge.objects.filter(
        state=PledgeState.AWAITING_CONFIRMATION, confirm_by__lt=day
    ).order_by("pk")
    if right_ids:
        overdue = overdue.filter(items__right_id__in=list(right_ids), items__active=True)
    lapsed = 0
    for pledge_id in list(overdue.values_list("pk", flat=True).distinct()):
        with transaction.atomic():
            locked = Pledge.objects.select_for_update().get(pk=pledge_id)
            if locked.state != PledgeState.AWAITING_CONFIRMATION:
                continue  # confirmed or withdrawn meanwhile
            _lapse(locked, day)
            lapsed += 1
    return lapsed


# --- filing --------------------------------------------------------------------------------------


def _filing_parties(
    actor: User, pledgor_uscc: str | None, pledgee_uscc: str | None
) -> tuple[Any, Any, str]:
    """(pledgee, pledgor, initiator) of an application filed by `actor`: a bank files as pledgee
    naming the pledgor enterprise; an enterprise files as pledgor naming the pledgee bank."""
    org = acting_organisation(require_login(actor))
    if has_perm(actor, Perm.PLEDGE_APPLY):
        if not pledgor_uscc:
            raise invalid(
                "pledgor_uscc",
                "pledgor_required",
                "请填写出质人的统一社会信用代码。",
                "The pledgor's credit code (pledgor_uscc) is required.",
            )
        pledgor = clean_party_org(pledgor_uscc, OrganisationKind.ENTERPRISE, "pledgor_uscc")
        return org, pledgor, PLEDGEE
    if has_perm(actor, Perm.PLEDGE_CO_SIGN):
        if not pledgee_uscc:
            raise invalid(
                "pledgee_uscc",
                "pledgee_required",
                "请填写质权人（银行）的统一社会信用代码。",
                "The pledgee bank's credit code (pledgee_uscc) is required.",
            )
        if pledgor_uscc and "".join(pledgor_uscc.split()).upper() != (org.uscc or ""):
            raise invalid(
                "pledgor_uscc",
                "pledgor_not_self",
                "企业只能以自身作为出质人提交申请。",
                "An enterprise files only as the pledgor itself.",
            )
        pledgee = clean_party_org(pledgee_uscc, OrganisationKind.BANK, "pledgee_uscc")
        return pledgee, org, PLEDGOR
    require(actor, Perm.PLEDGE_APPLY)  # raises: neither side may file
    raise AssertionError("unreachable")  # pragma: no cover


def pledge_submit(
    *,
    actor: User,
    rights: Sequence[str],
    debt_amount: Decimal | str | int,
    term_start: date,
    term_end: date,
    contract_no: str,
    pledgor_uscc: str | None = None,
    pledgee_uscc: str | None = None,
    scope: str = "",
    forfeiture_clause: bool = False,
    co_owner_consent: bool = False,
    proceed_despite_invalidation: bool = False,
    proceed_despite_same_day: bool = False,
    today: date | None = None,
) -> tuple[Pledge, list[CheckResult]]:
    """File a joint pledge application (办法 arts. 3, 7): a bank for an enterprise (`pledgor_uscc`),
    or an enterprise with a bank (`pledgee_uscc`). It awaits the other party's confirmation.

    Runs every pre-check rule at once. A failed blocking rule refuses the application with all the
    results (ValidationFailed 422, or Conflict 409 when a right is already pledged or under a
    pending application) and stores nothing. Applications on these rights whose confirmation
    deadline has passed lapse first. Returns the pledge and the results (warnings included).
    """
    pledgee, pledgor, initiator = _filing_parties(actor, pledgor_uscc, pledgee_uscc)
    day = today_or(today)
    amount = clean_debt(debt_amount)
    check_debt_term(term_start, term_end, filed_on=day)
    contract = clean_contract_no(contract_no)
    wanted = resolve_rights(rights)
    # An application left unconfirmed past its deadline holds nothing (even before the daily job).
    pledges_lapse_unconfirmed(on=day, right_ids=[r.pk for r in wanted])
    draft = Pledge(
        state=transition(None, PledgeAction.SUBMIT),
        initiator=initiator,
        pledgee=pledgee,
        pledgor=pledgor,
        debt_amount=amount,
        term_start=term_start,
        term_end=term_end,
        contract_no=contract,
        scope=(scope or "").strip(),
        forfeiture_clause=forfeiture_clause,
        co_owner_consent=co_owner_consent,
        proceed_despite_invalidation=proceed_despite_invalidation,
        proceed_despite_same_day=proceed_despite_same_day,
        created_by=actor,
        confirm_by=confirmation_deadline(day),
    )
    assert pledgor.uscc is not None  # found by its code, or an enterprise filing for itself
    with transaction.atomic():
        # Lock first, then look for active items: a concurrent application for the same right
        # waits here until this one commits, and then sees its items.
        locked = {r.pk: r for r in lock_rights(r.pk for r in wanted)}
        ordered = [locked[r.pk] for r in wanted]
        checks = precheck(draft, pledgor.uscc, ordered, day)
        refuse_if_blocked(checks)
        draft.checks = checks_json(checks)
        draft.save()
        try:
            insert_items(draft, ordered)
        except IntegrityError:
            # Another application took a right between our check and our insert (only possible
            # without row locks): report it like the pre-check would, with the results.
            checks = precheck(draft, pledgor.uscc, ordered, day, exclude_pledge_id=draft.pk)
            refuse_if_blocked(checks)
            raise _taken_conflict(checks) from None
        audit_record(
            actor=actor,
            action="pledge.submit",
            obj=draft,
            before=None,
            after=snapshot(draft, [r.number for r in ordered]),
        )
        numbers_zh = "、".join(r.number for r in ordered)
        numbers_en = ", ".join(r.number for r in ordered)
        notify_orgs(
            [other_party_id(draft, initiator)],
            draft,
            "pledge.submit",
            f"{acting_organisation(actor)}（{PARTY_ZH[initiator]}）提交了质押登记申请 #{draft.pk}"
            f"（{numbers_zh}），请查看预审结果并于 {draft.confirm_by} 前确认或拒绝。",
            f"{acting_organisation(actor)} ({initiator}) filed pledge application #{draft.pk} "
            f"({numbers_en}): read the pre-check and confirm or decline by {draft.confirm_by}.",
        )
    return draft, checks


def pledge_confirm(*, actor: User, pledge: Pledge, today: date | None = None) -> Pledge:
    """The other party signs the joint application (办法 arts. 3, 7): the pre-check runs again on
    today's register, and a confirmed application reaches the examiner (submitted), whose working-
    day deadline starts now. Past its confirmation deadline the application lapses instead (409).
    Only the party that did not file confirms (403 for the filer; 404 for anyone else)."""
    require_other_party(actor, pledge.initiator, pledge)
    day = today_or(today)
    pledges_lapse_unconfirmed(on=day, right_ids=_item_right_ids(pledge))
    with transaction.atomic():
        locked = lock_pledge(pledge)
        # Again under the lock: a concurrent amendment may have made the actor the filer.
        require_other_party(actor, locked.initiator, locked)
        new_state = transition(locked.state, PledgeAction.CONFIRM)
        before = snapshot(locked)
        rights = _active_rights_of(locked)
        checks = precheck(
            locked, locked.pledgor.uscc or "", rights, day, exclude_pledge_id=locked.pk
        )
        refuse_if_blocked(checks)
        locked.state = new_state
        locked.checks = checks_json(checks)
        locked.confirmed_by = actor
        locked.confirmed_at = timezone.now()
        locked.deadline = examination_deadline(day)
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.confirm",
            obj=locked,
            before=before,
            after=snapshot(locked, before["rights"]),
        )
        feed_pledge(locked, EventType.PLEDGE_SUBMITTED, before["rights"])
        notify_orgs(
            [party_org_id(locked, locked.initiator)],
            locked,
            "pledge.confirm",
            f"{acting_organisation(actor)} 已确认质押登记申请 #{locked.pk}，申请已提交审查。",
            f"{acting_organisation(actor)} confirmed pledge application #{locked.pk}; it is now "
            "with the examiner.",
        )
        notify_orgs(
            ip_office_ids(),
            locked,
            "pledge.submit",
            f"新的质押登记申请 #{locked.pk} 待审查，审查期限 {locked.deadline}。",
            f"New pledge application #{locked.pk} to examine by {locked.deadline}.",
        )
    return locked


def pledge_decline(*, actor: User, pledge: Pledge, reason: str = "") -> Pledge:
    """The other party refuses to sign: the application ends and its rights are free."""
    require_other_party(actor, pledge.initiator, pledge)
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = lock_pledge(pledge)
        require_other_party(actor, locked.initiator, locked)
        new_state = transition(locked.state, PledgeAction.DECLINE)
        before = snapshot(locked)
        release_items(locked)
        locked.state = new_state
        locked.decision_reason = reason
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.decline",
            obj=locked,
            before=before,
            after={**snapshot(locked, before["rights"]), "reason": reason},
        )
        why_zh, why_en = (f"：{reason}", f": {reason}") if reason else ("。", ".")
        notify_orgs(
            [party_org_id(locked, locked.initiator)],
            locked,
            "pledge.decline",
            f"{acting_organisation(actor)} 拒绝确认质押登记申请 #{locked.pk}{why_zh}",
            f"{acting_organisation(actor)} declined pledge application #{locked.pk}{why_en}",
        )
    return locked


def _item_right_ids(pledge: Pledge) -> list[int]:
    return list(
        PledgeItem.objects.filter(pledge=pledge, active=True).values_list("right_id", flat=True)
    )


def _active_rights_of(pledge: Pledge) -> list[Any]:
    return lock_rights(_item_right_ids(pledge))


# --- the examiner's decision ---------------------------------------------------------------------


def _propose_approval(actor: User, pledge: Pledge, checks: Any, before: dict[str, Any]) -> Pledge:
    """The maker's half of a dual-control approval: the proposal is recorded (audited, the office
    told); the application stays submitted until a second examiner approves it."""
    pledge.checks = checks_json(checks)
    pledge.approval_proposed_by = actor
    pledge.approval_proposed_at = timezone.now()
    # updated_at too: it is the token of the pages open on the case (seen_token), which a
    # proposal makes stale (a checker on a page without it would approve unawares).
    pledge.save(
        update_fields=["checks", "approval_proposed_by", "approval_proposed_at", "updated_at"]
    )
    # The maker lets the case go: a second examiner claims it to check and approve.
    release_claim_in_place(actor=actor, case=pledge, why="approval_proposed")
    audit_record(
        actor=actor,
        action="pledge.approve_proposed",
        obj=pledge,
        before=before,
        after={"debt_amount": pledge.debt_amount, "threshold": settings.IPFIN_DUAL_CONTROL_ABOVE},
    )
    notify_orgs(
        ip_office_ids(),
        pledge,
        "pledge.approve_proposed",
        f"质押登记申请 #{pledge.pk} 已由 {actor.get_username()} 提议准予登记，待另一名审查员复核。",
        f"Approval of pledge application #{pledge.pk} was proposed by {actor.get_username()}; "
        "a second examiner must approve it.",
    )
    return pledge


# The notice each final decision sends the parties (ipfin.pledges.notices): a correction request
# is not a decision on the application and has none.
_NOTICES = {PledgeAction.APPROVE: REGISTRATION, PledgeAction.REJECT: REFUSAL}


def pledge_decide(
    *,
    actor: User,
    pledge: Pledge,
    decision: str,
    reason: str = "",
    effective_date: date | None = None,
    today: date | None = None,
    seen: str | None = None,
) -> Pledge:
    """The examiner's decision on a confirmed application: approve, reject or request correction.
    An application not yet confirmed by the other party cannot be decided (409). A case another
    examiner holds is not decided (409 `case_claimed_by_other`); a decision made from a page of the
    case that is no longer current (`seen`, the form's token) is refused (409 `version_conflict`;
    services/assignment.py).

    Approval re-runs the pre-check against the register as it is on the decision day (a right may
    have lapsed meanwhile) and refuses with the results (422) when a blocking rule fails; it then
    assigns the registration number. The pledge arises on registration (民法典 art. 444; 办法
    art. 3): its effective date is the day of the approval, and a decision carrying any other
    effective date (back-dated or ahead) is refused (422 `effective_date_invalid`). Approval also
    needs the pledge contract uploaded (422 `contract_missing`). Rejection and a correction
    request need a reason; rejection frees the rights.
    """
    require(actor, Perm.PLEDGE_DECIDE)
    action = decision_action(decision, "准予登记")
    reason = (reason or "").strip()
    day = today_or(today)
    with transaction.atomic():
        locked = lock_pledge(pledge)
        new_state = transition(locked.state, action)
        require_examinable(actor, locked, seen)
        before = snapshot(locked)
        if action is not PledgeAction.APPROVE and not reason:
            raise invalid(
                "reason",
                "reason_required",
                "不予登记或要求补正时须说明理由。",
                "A reason is required to reject or to request a correction.",
            )
        if action is PledgeAction.APPROVE:
            # 专利权质押登记办法: the application for registration comes with the pledge contract,
            # and the register keeps it (with its SHA-256): no approval without one stored.
            if not PledgeDocument.objects.filter(pledge=locked, kind=CONTRACT).exists():
                raise invalid(
                    None,
                    "contract_missing",
                    "尚未上传质押合同，不能准予登记；可要求申请人补正。",
                    "No pledge contract has been uploaded: the application cannot be approved; "
                    "request a correction instead.",
                )
            if effective_date is not None and effective_date != day:
                raise invalid(
                    "effective_date",
                    "effective_date_invalid",
                    f"质权自办理出质登记时设立（民法典第四百四十四条），登记生效日即准予登记之日 "
                    f"{day}，不能为 {effective_date}。",
                    f"The pledge arises on registration (Civil Code art. 444): its effective date "
                    f"is the day of the approval, {day}, not {effective_date}.",
                )
            checks = precheck(
                locked,
                locked.pledgor.uscc or "",
                _active_rights_of(locked),
                day,
                exclude_pledge_id=locked.pk,
            )
            refuse_if_blocked(checks)
            if needs_second_examiner(locked.debt_amount, settings.IPFIN_DUAL_CONTROL_ABOVE):
                if locked.approval_proposed_by_id is None:
                    return _propose_approval(actor, locked, checks, before)
                if locked.approval_proposed_by_id == actor.pk:
                    raise PermissionDenied(
                        "该申请的担保债权超过双人复核限额：您已提议准予登记，须由另一名审查员复核批准。",
                        "The secured debt is above the dual-control threshold: you proposed the "
                        "approval, a second examiner must approve it.",
                        code="checker_is_maker",
                    )
            locked.checks = checks_json(checks)
            locked.registration_no = _next_registration_no(day.year)
            locked.effective_date = day
        elif action is PledgeAction.REJECT:
            release_items(locked)
        locked.state = new_state
        locked.decision_reason = reason
        if action is not PledgeAction.APPROVE:
            # A rejection or a correction request ends an open proposal to approve.
            locked.approval_proposed_by, locked.approval_proposed_at = None, None
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=f"pledge.{action.value}",
            obj=locked,
            before=before,
            after={**snapshot(locked, before["rights"]), "reason": reason},
        )
        feed_pledge(
            locked,
            EventType.PLEDGE_DECIDED,
            before["rights"],
            decision=action.value,
            reason=reason,
        )
        if action in _NOTICES:
            # The notice goes with the decision, in its transaction (办法 art. 12).
            pledge_notice_store(actor=actor, pledge=locked, kind=_NOTICES[action], on=day)
        label_zh, label_en = label(locked)
        if action is PledgeAction.APPROVE:
            zh = f"{label_zh} 已准予登记，登记号 {locked.registration_no}，生效日 {day}。"
            en = (
                f"Pledge application #{locked.pk} is registered as {locked.registration_no}, "
                f"effective {day}."
            )
        elif action is PledgeAction.REJECT:
            zh, en = f"{label_zh} 不予登记：{reason}", f"{label_en} was refused: {reason}"
        else:
            zh = f"{label_zh} 需要补正：{reason}"
            en = f"{label_en} needs a correction: {reason}"
        notify_orgs(
            [locked.pledgee_id, locked.pledgor_id], locked, f"pledge.{action.value}", zh, en
        )
    return locked


# --- correction ----------------------------------------------------------------------------------


def pledge_resubmit(
    *,
    actor: User,
    pledge: Pledge,
    rights: Sequence[str] | None = None,
    debt_amount: Decimal | str | int | None = None,
    term_start: date | None = None,
    term_end: date | None = None,
    contract_no: str | None = None,
    scope: str | None = None,
    forfeiture_clause: bool | None = None,
    co_owner_consent: bool | None = None,
    proceed_despite_invalidation: bool | None = None,
    proceed_despite_same_day: bool | None = None,
    today: date | None = None,
) -> tuple[Pledge, list[CheckResult]]:
    """A party corrects an application the examiner sent back and submits it again.

    Fields left None keep their value; `rights` replaces the list of rights. The pre-check runs
    again; a blocking failure refuses it (422 / 409) and changes nothing. If what both parties
    signed is unchanged, it goes back to the examiner with a new deadline; if a particular changed,
    the corrected application awaits the other party's confirmation again (办法 art. 3).
    """
    party = require_party(actor, pledge)
    day = today_or(today)
    wanted = resolve_rights(rights) if rights is not None else None
    with transaction.atomic():
        locked = lock_pledge(pledge)
        transition(locked.state, PledgeAction.RESUBMIT)  # 409 unless sent back for correction
        before = snapshot(locked)
        if debt_amount is not None:
            locked.debt_amount = clean_debt(debt_amount)
        if term_start is not None:
            locked.term_start = term_start
        if term_end is not None:
            locked.term_end = term_end
        check_debt_term(locked.term_start, locked.term_end, filed_on=day)
        if contract_no is not None:
            locked.contract_no = clean_contract_no(contract_no)
        if scope is not None:
            locked.scope = scope.strip()
        for field, value in (
            ("forfeiture_clause", forfeiture_clause),
            ("co_owner_consent", co_owner_consent),
            ("proceed_despite_invalidation", proceed_despite_invalidation),
            ("proceed_despite_same_day", proceed_despite_same_day),
        ):
            if value is not None:
                setattr(locked, field, value)
        current_ids = list(
            PledgeItem.objects.filter(pledge=locked)
            .order_by("id")
            .values_list("right_id", flat=True)
        )
        target_ids = [r.pk for r in wanted] if wanted is not None else current_ids
        locked_rights = {r.pk: r for r in lock_rights([*current_ids, *target_ids])}
        ordered = [locked_rights[pk] for pk in target_ids]
        pledgor_uscc = locked.pledgor.uscc or ""
        checks = precheck(locked, pledgor_uscc, ordered, day, exclude_pledge_id=locked.pk)
        refuse_if_blocked(checks)
        removed = set(current_ids) - set(target_ids)
        added = [locked_rights[pk] for pk in target_ids if pk not in set(current_ids)]
        PledgeItem.objects.filter(pledge=locked, right_id__in=removed).delete()
        try:
            insert_items(locked, added)
        except IntegrityError:
            checks = precheck(locked, pledgor_uscc, ordered, day, exclude_pledge_id=locked.pk)
            refuse_if_blocked(checks)
            raise _taken_conflict(checks) from None
        after = snapshot(locked, [r.number for r in ordered])
        signed = {k: v for k, v in before.items() if k not in ("state", "initiator")}
        amended = any(after[k] != v for k, v in signed.items())
        if amended:
            locked.state = transition(locked.state, PledgeAction.AMEND)
            locked.initiator = party
            locked.confirm_by = confirmation_deadline(day)
            locked.confirmed_by = None
            locked.confirmed_at = None
            locked.deadline = None
        else:
            locked.state = transition(locked.state, PledgeAction.RESUBMIT)
            locked.deadline = examination_deadline(day)
        locked.checks = checks_json(checks)
        locked.save()
        action = "pledge.amend" if amended else "pledge.resubmit"
        audit_record(
            actor=actor,
            action=action,
            obj=locked,
            before=before,
            after=snapshot(locked, [r.number for r in ordered]),
        )
        if not amended:  # back with the examiner (an amendment waits for the other party)
            feed_pledge(
                locked, EventType.PLEDGE_SUBMITTED, [r.number for r in ordered], resubmitted=True
            )
        if amended:
            notify_orgs(
                [other_party_id(locked, party)],
                locked,
                action,
                f"质押登记申请 #{locked.pk} 已补正并修改申请内容，"
                f"请于 {locked.confirm_by} 前确认。",
                f"Pledge application #{locked.pk} was corrected with changed particulars: "
                f"confirm it by {locked.confirm_by}.",
            )
        else:
            notify_orgs(
                ip_office_ids(),
                locked,
                action,
                f"质押登记申请 #{locked.pk} 已补正并重新提交，审查期限 {locked.deadline}。",
                f"Pledge application #{locked.pk} was corrected and resubmitted; examine it by "
                f"{locked.deadline}.",
            )
            notify_orgs(
                [other_party_id(locked, party)],
                locked,
                action,
                f"质押登记申请 #{locked.pk} 已补正并重新提交。",
                f"Pledge application #{locked.pk} was corrected and resubmitted.",
            )
    return locked, checks


# --- release, withdrawal -------------------------------------------------------------------------


def pledge_release_request(*, actor: User, pledge: Pledge, today: date | None = None) -> Pledge:
    """The pledgor's half of a joint release (注销登记 filed jointly): its request is recorded and
    the pledgee told; the pledgee's release with `basis="joint"` then registers it at once. Only
    the pledgor of a registered pledge (403 for the pledgee, 404 for anyone else, 409 otherwise)."""
    party = require_party(actor, pledge)
    if party != PLEDGOR:
        raise PermissionDenied(
            "共同注销由出质人申请、质权人办理；质权人可直接申请注销。",
            "The pledgor requests a joint release; the pledgee may release on its own.",
            code="pledgor_only",
        )
    day = today_or(today)
    with transaction.atomic():
        locked = lock_pledge(pledge)
        transition(locked.state, PledgeAction.RELEASE)  # 409 unless registered
        if locked.release_requested_on is not None:
            raise Conflict(
                "已申请共同注销，等待质权人办理。",
                "A joint release is already requested and awaits the pledgee.",
                code="release_already_requested",
            )
        before = snapshot(locked)
        locked.release_requested_by = actor
        locked.release_requested_on = day
        locked.save(update_fields=["release_requested_by", "release_requested_on", "updated_at"])
        audit_record(
            actor=actor,
            action="pledge.release_request",
            obj=locked,
            before=before,
            after=snapshot(locked, before["rights"]),
        )
        label_zh, label_en = label(locked)
        notify_orgs(
            [locked.pledgee_id],
            locked,
            "pledge.release_request",
            f"出质人申请与贵行共同注销{label_zh}，请核实后办理注销登记。",
            f"The pledgor asks to release {label_en} jointly: check and file the release.",
        )
    return locked


def pledge_release(
    *,
    actor: User,
    pledge: Pledge,
    released_on: date | None = None,
    basis: str = ReleaseBasisChoices.DEBT_DISCHARGED,
    waive_security: bool = False,
    reason: str | None = None,
    today: date | None = None,
) -> Pledge:
    """注销登记, registered at once on the office's behalf on the pledgee's declaration that the
    debt is discharged or that it waives the pledge (`basis` debt_discharged | pledge_waived), or
    jointly (`joint`: the pledgor's request on record, `pledge_release_request`; 409 without it),
    or, at the completion of its sale by the pledgee, that the pledge is realised (`realised`,
    民法典 art. 436: ipfin.disposals; the form and the API do not offer it).
    While the pledge still secures a loan of the pledgee that is owed, the release is refused
    (409 `pledge_secures_outstanding_loan`, naming the loan and what is owed) unless the bank
    declares that it waives the security (`waive_security` and a `reason`; 民法典 arts. 393(3),
    435): the loans then record that they are unsecured (`ipfin.pledges.services.security`).
    Like the registration itself (民法典 art. 444) it is never back-dated: the release date is the
    day it is registered (`released_on`, if given, must be that day; 422 otherwise). The rights are
    free from then on; who filed it, on what ground and the date are recorded, the public register
    shows the date, and open change applications of the pledge are closed. Its annuity deposits
    (预缴年费) are settled in the same transaction: `annuity_deposit_refund`."""
    require_pledgee(actor, pledge)
    day = today_or(today)
    if basis not in ReleaseBasisChoices.values:
        raise invalid(
            "basis",
            "release_basis_invalid",
            "注销依据应为 debt_discharged（主债务已履行完毕）、pledge_waived（质权人放弃质权）"
            "或 joint（双方共同申请）。",
            "basis must be debt_discharged, pledge_waived or joint.",
        )
    with transaction.atomic():
        locked = lock_pledge(pledge)
        new_state = transition(locked.state, PledgeAction.RELEASE)
        if basis == ReleaseBasisChoices.JOINT and locked.release_requested_on is None:
            raise Conflict(
                "出质人尚未申请共同注销：请以质权人名义申请注销（主债务已履行完毕或放弃质权）。",
                "The pledgor has not requested a joint release: release as the pledgee (debt "
                "discharged or pledge waived).",
                code="joint_release_not_requested",
            )
        released = released_on or day
        if released != day:
            raise invalid(
                "released_on",
                "released_on_invalid",
                f"注销登记即时办理，注销日即今日 {day}，不能为 {released}。",
                f"A release is registered at once: its date is today, {day}, not {released}.",
            )
        secured: list[SecuredLoan] = []
        waiver = ""
        if basis != ReleaseBasisChoices.REALISED:
            secured, waiver = secured_loans_or_waiver(
                locked, waive_security=waive_security, reason=reason
            )
        before = snapshot(locked)
        release_items(locked)
        close_open_changes(locked, actor)
        locked.state = new_state
        locked.released_on = released
        locked.released_by = actor
        locked.release_basis = basis
        locked.save()
        # 预缴年费: what fell due while in force is paid, the rest refunded (issue 12).
        annuity_deposit_refund(pledge=locked, on=released, actor=actor)
        if secured:
            record_waiver(actor=actor, pledge=locked, loans=secured, reason=waiver, on=released)
        after = snapshot(locked, before["rights"])
        if secured:
            after["security_waived"] = {
                "reason": waiver,
                "loans": [{"id": x.loan_id, "owed": money_str(x.owed)} for x in secured],
            }
        audit_record(
            actor=actor,
            action="pledge.release",
            obj=locked,
            before=before,
            after=after,
        )
        feed_pledge(
            locked, EventType.PLEDGE_RELEASED, before["rights"], release_basis=locked.release_basis
        )
        label_zh, label_en = label(locked)
        notify_orgs(
            [locked.pledgor_id],
            locked,
            "pledge.release",
            f"{label_zh} 已注销（{released}），质押的知识产权已解除质押。",
            f"{label_en} was released on {released}; the rights are no longer pledged.",
        )
    return locked


def pledge_withdraw(*, actor: User, pledge: Pledge) -> Pledge:
    """Either party withdraws an application not yet decided: awaiting confirmation, with the
    examiner, or sent back for correction."""
    party = require_party(actor, pledge)
    with transaction.atomic():
        locked = lock_pledge(pledge)
        was_with_office = locked.state != PledgeState.AWAITING_CONFIRMATION
        new_state = transition(locked.state, PledgeAction.WITHDRAW)
        before = snapshot(locked)
        release_items(locked)
        locked.state = new_state
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.withdraw",
            obj=locked,
            before=before,
            after=snapshot(locked, before["rights"]),
        )
        feed_pledge(locked, EventType.PLEDGE_WITHDRAWN, before["rights"], withdrawn_by=party)
        notify_orgs(
            [other_party_id(locked, party), *(ip_office_ids() if was_with_office else [])],
            locked,
            "pledge.withdraw",
            f"质押登记申请 #{locked.pk} 已由{PARTY_ZH[party]}撤回。",
            f"Pledge application #{locked.pk} was withdrawn by the {party}.",
        )
    return locked
