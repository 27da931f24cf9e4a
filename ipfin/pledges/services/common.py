"""What every pledge service shares: input cleaning, the parties, locks, the pre-check, the audit
snapshot and notifications. No service lives here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, require, require_login
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, invalid
from ipfin.common.inputs import amount_in
from ipfin.common.money import money_str
from ipfin.common.workflow import transition_conflict
from ipfin.feed.domain import EventType
from ipfin.feed.services import event_publish
from ipfin.holidays.selectors import working_calendar
from ipfin.pledges.domain import (
    CONFIRMATION_WORKING_DAYS,
    ChangeState,
    CheckResult,
    IllegalTransition,
    PledgeAction,
    PledgeApplication,
    PledgeState,
    Rule,
    blocking_failures,
    next_change_state,
    next_state,
    run_prechecks,
)
from ipfin.pledges.models import PartyChoices, Pledge, PledgeItem
from ipfin.pledges.selectors import pledge_facts
from ipfin.registry.models import Right

PLEDGEE, PLEDGOR = PartyChoices.PLEDGEE, PartyChoices.PLEDGOR
PARTY_ZH: dict[str, str] = {PLEDGEE: "质权人", PLEDGOR: "出质人"}


def today_or(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def examination_deadline(day: date) -> date:
    """The examiner's deadline: the configured number of working days after `day`, on the
    official working-day calendar."""
    return working_calendar().add_working_days(day, settings.IPFIN_EXAMINATION_WORKING_DAYS)


def confirmation_deadline(day: date) -> date:
    """The last day the other party may confirm an application filed on `day`: it holds its rights
    for at most CONFIRMATION_WORKING_DAYS working days."""
    return working_calendar().add_working_days(day, CONFIRMATION_WORKING_DAYS)


def clean_debt(raw: Decimal | str | int) -> Decimal:
    """The secured debt: a positive amount in yuan with at most two decimals, at most MAX_AMOUNT
    (`amount_in`, field `debt_amount`). The one path of every incoming debt amount (submit,
    resubmit, change), so that an amount the database cannot give back unchanged is never
    stored."""
    return amount_in(raw, "debt_amount", label_zh="被担保主债权数额", label_en="The debt amount")


def clean_contract_no(contract_no: str) -> str:
    text = (contract_no or "").strip()
    if not text or len(text) > 100:
        raise invalid(
            None,
            "contract_no_invalid",
            "请填写质押合同编号（不超过 100 个字符）。",
            "A pledge contract number (at most 100 characters) is required.",
        )
    return text


def clean_party_org(uscc: str, kind: str, field: str) -> Organisation:
    """The other party by its credit code: a registered organisation of `kind` (the pledgor an
    enterprise, the pledgee a bank). A bad code is a 422 with the validator's code; an unknown or
    wrong kind of organisation a 422 naming the field."""
    code = clean_uscc(uscc)
    org = Organisation.objects.filter(uscc=code).first()
    if org is None:
        raise invalid(
            field,
            f"{field.removesuffix('_uscc')}_unknown",
            f"统一社会信用代码为 {code} 的机构尚未在平台注册。",
            f"No organisation with credit code {code} is registered on the platform.",
        )
    if org.kind != kind:
        zh, en = (
            ("企业", "an enterprise") if kind == OrganisationKind.ENTERPRISE else ("银行", "a bank")
        )
        role_zh, role_en = (
            ("出质人", "pledgor") if field == "pledgor_uscc" else ("质权人", "pledgee")
        )
        raise invalid(
            field,
            f"{field.removesuffix('_uscc')}_not_{'enterprise' if zh == '企业' else 'bank'}",
            f"{org.name} 不是{zh}，不能作为{role_zh}。",
            f"{org.name} is not {en} and cannot be the {role_en}.",
        )
    return org


# --- the parties ---------------------------------------------------------------------------------


def party_of(actor: User, pledge: Pledge) -> str | None:
    org_id = getattr(actor, "organisation_id", None)
    if org_id is not None and org_id == pledge.pledgee_id:
        return PLEDGEE
    if org_id is not None and org_id == pledge.pledgor_id:
        return PLEDGOR
    return None


def not_found() -> NotFound:
    return NotFound("未找到该质押登记。", "No such pledge registration.", code="pledge_not_found")


def require_party(actor: User, pledge: Pledge) -> str:
    """The actor's side of the pledge, with its side's permission (the pledgee bank: PLEDGE_APPLY,
    the pledgor enterprise: PLEDGE_CO_SIGN). Anyone else gets a 404, as if the pledge did not
    exist; a party without the permission a 403."""
    require_login(actor)
    party = party_of(actor, pledge)
    if party is None:
        raise not_found()
    require(actor, Perm.PLEDGE_APPLY if party == PLEDGEE else Perm.PLEDGE_CO_SIGN)
    return party


def require_pledgee(actor: User, pledge: Pledge) -> None:
    """Only the pledgee bank acts here (upload the contract, release). A party without the
    permission: 403; anyone else: 404."""
    party = require_party(actor, pledge)
    if party != PLEDGEE:
        raise PermissionDenied(
            "只有质权人可以办理此项业务。",
            "Only the pledgee may do this.",
            code="pledgee_only",
        )


def require_other_party(actor: User, initiator: str, pledge: Pledge) -> str:
    """The party that did not file: only it confirms or declines (办法 art. 3: both sign)."""
    party = require_party(actor, pledge)
    if party == initiator:
        raise PermissionDenied(
            f"申请由贵方（{PARTY_ZH[party]}）提交，须由对方确认。",
            f"Your side ({party}) filed this application: the other party confirms it.",
            code="awaiting_other_party",
        )
    return party


def party_org_id(pledge: Pledge, party: str) -> int:
    """The organisation of `party` (pledgee / pledgor) of the pledge."""
    return pledge.pledgee_id if party == PLEDGEE else pledge.pledgor_id


def other_party_id(pledge: Pledge, party: str) -> int:
    """The organisation of the party that is not `party`."""
    return pledge.pledgor_id if party == PLEDGEE else pledge.pledgee_id


# --- the state machines --------------------------------------------------------------------------


def transition(state: str | None, action: PledgeAction) -> PledgeState:
    try:
        return next_state(state, action)
    except IllegalTransition as exc:
        raise transition_conflict(exc) from exc


def change_transition(state: str | None, action: PledgeAction) -> ChangeState:
    try:
        return next_change_state(state, action)
    except IllegalTransition as exc:
        raise transition_conflict(exc) from exc


DECISIONS = {
    "approve": PledgeAction.APPROVE,
    "reject": PledgeAction.REJECT,
    "correct": PledgeAction.REQUEST_CORRECTION,
}


def decision_action(decision: str, approve_zh: str) -> PledgeAction:
    """The examiner's decision as a workflow action (422 `decision_invalid` otherwise);
    `approve_zh` names approval in the message (准予登记 / 准予变更)."""
    action = DECISIONS.get(decision)
    if action is None:
        reject_zh = "不予登记" if approve_zh == "准予登记" else "不予变更"
        raise invalid(
            "decision",
            "decision_invalid",
            f"审查决定应为 approve（{approve_zh}）、reject（{reject_zh}）或 correct（要求补正）。",
            "decision must be approve, reject or correct.",
        )
    return action


# --- rows ----------------------------------------------------------------------------------------


def lock_pledge(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update().get(pk=pledge.pk)


def lock_rights(ids: Iterable[int]) -> list[Right]:
    """Lock the Right rows in a stable order (by id), so that concurrent applications for
    overlapping rights wait for each other instead of deadlocking."""
    return list(Right.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk"))


def active_rights(pledge: Pledge) -> list[Right]:
    ids = PledgeItem.objects.filter(pledge=pledge, active=True).values_list("right_id", flat=True)
    return lock_rights(ids)


def release_items(pledge: Pledge) -> None:
    PledgeItem.objects.filter(pledge=pledge, active=True).update(active=False)


def insert_items(pledge: Pledge, rights: Sequence[Right]) -> None:
    """Insert the active items; the partial unique index is the last line of defence."""
    with transaction.atomic():  # a savepoint, so that the transaction survives the error
        PledgeItem.objects.bulk_create(
            [PledgeItem(pledge=pledge, right=right, active=True) for right in rights]
        )


# --- the pre-check -------------------------------------------------------------------------------


def checks_json(checks: Sequence[CheckResult]) -> list[dict[str, object]]:
    return [c.as_dict() for c in checks]


def refuse_if_blocked(checks: Sequence[CheckResult]) -> None:
    """Raise with every rule's result when a blocking rule failed: 409 when a right is already
    pledged or under a pending application, 422 otherwise."""
    failures = blocking_failures(checks)
    if not failures:
        return
    zh = "；".join(f.message_zh for f in failures)
    en = " ".join(f.message_en for f in failures)
    extra = {"checks": checks_json(checks)}
    if any(f.rule == Rule.NOT_ALREADY_PLEDGED for f in failures):
        raise Conflict(
            f"知识产权已被质押或已有未决的质押登记申请：{zh}",
            f"A right is already pledged or under a pending application: {en}",
            code="right_already_pledged",
            extra=extra,
        )
    raise ValidationFailed(
        f"预审未通过：{zh}", f"The pre-check failed: {en}", code="precheck_failed", extra=extra
    )


def application_of(pledge: Pledge, pledgor_uscc: str, today: date) -> PledgeApplication:
    return PledgeApplication(
        pledgor_uscc=pledgor_uscc,
        term_start=pledge.term_start,
        term_end=pledge.term_end,
        today=today,
        forfeiture_clause=pledge.forfeiture_clause,
        co_owner_consent=pledge.co_owner_consent,
        proceed_despite_invalidation=pledge.proceed_despite_invalidation,
        proceed_despite_same_day=pledge.proceed_despite_same_day,
    )


def precheck(
    pledge: Pledge,
    pledgor_uscc: str,
    rights: Sequence[Right],
    today: date,
    exclude_pledge_id: int | None = None,
) -> list[CheckResult]:
    facts, other_marks = pledge_facts(
        pledgor_uscc=pledgor_uscc, rights=rights, on=today, exclude_pledge_id=exclude_pledge_id
    )
    return run_prechecks(application_of(pledge, pledgor_uscc, today), facts, other_marks)


# --- audit and notifications ---------------------------------------------------------------------


def snapshot(pledge: Pledge, numbers: Sequence[str] | None = None) -> dict[str, Any]:
    """The pledge as the audit record keeps it."""
    if numbers is None:
        numbers = [
            item.right.number for item in pledge.items.select_related("right").order_by("id")
        ]
    return {
        "state": pledge.state,
        "initiator": pledge.initiator,
        "registration_no": pledge.registration_no,
        "pledgee_id": pledge.pledgee_id,
        "pledgor_id": pledge.pledgor_id,
        "rights": list(numbers),
        "debt_amount": money_str(pledge.debt_amount),
        "term_start": pledge.term_start.isoformat(),
        "term_end": pledge.term_end.isoformat(),
        "contract_no": pledge.contract_no,
        "scope": pledge.scope,
        "forfeiture_clause": pledge.forfeiture_clause,
        "co_owner_consent": pledge.co_owner_consent,
        "proceed_despite_invalidation": pledge.proceed_despite_invalidation,
        "proceed_despite_same_day": pledge.proceed_despite_same_day,
        "confirm_by": pledge.confirm_by.isoformat() if pledge.confirm_by else None,
        "deadline": pledge.deadline.isoformat() if pledge.deadline else None,
        "effective_date": pledge.effective_date.isoformat() if pledge.effective_date else None,
        "released_on": pledge.released_on.isoformat() if pledge.released_on else None,
        "release_basis": pledge.release_basis or None,
        "release_requested_on": (
            pledge.release_requested_on.isoformat() if pledge.release_requested_on else None
        ),
    }


def label(pledge: Pledge) -> tuple[str, str]:
    """How notifications name a pledge: its registration number, else its application id."""
    if pledge.registration_no:
        return f"质押登记 {pledge.registration_no}", f"pledge registration {pledge.registration_no}"
    return f"质押登记申请 #{pledge.pk}", f"pledge application #{pledge.pk}"


def feed_pledge(
    pledge: Pledge, event_type: EventType, numbers: Sequence[str], **extra: Any
) -> None:
    """Tell the change feed (ipfin.feed) of a pledge's step, in the step's transaction: the
    pledgee and the pledgor read it (and their webhooks receive it)."""
    event_publish(
        event_type,
        {
            "pledge_id": pledge.pk,
            "state": pledge.state,
            "registration_no": pledge.registration_no,
            "pledgee_id": pledge.pledgee_id,
            "pledgor_id": pledge.pledgor_id,
            "rights": list(numbers),
            "debt_amount": money_str(pledge.debt_amount),
            "effective_date": pledge.effective_date,
            "released_on": pledge.released_on,
            **extra,
        },
        [pledge.pledgee_id, pledge.pledgor_id],
    )
