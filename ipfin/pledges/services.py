"""Writes of pledge registration: one function per transition of the state machine.

Each service: checks the permission, loads and locks the rows it changes, asks the pure domain
(`next_state`, `run_prechecks`), saves, appends the audit record (action "pledge.<action>", state
before and after) and notifies the other party in-app. A refused action changes nothing.

Never two active pledges or pending applications on one right (专利权质押登记办法 art. 12(8)):
the Right rows are locked (SELECT ... FOR UPDATE, in id order, so that two applications for
overlapping rights cannot deadlock) before the active PledgeItems are looked up, and the partial
unique index `one_active_pledge_per_right` backs this up; its IntegrityError becomes a 409.
On SQLite there are no row locks, but the connection's IMMEDIATE transactions serialise writers.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind
from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.services import clean_uscc, notify
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, NotFound, ValidationFailed
from ipfin.common.money import MAX_AMOUNT, AmountTooLarge, money_str, parse_money
from ipfin.holidays.selectors import working_calendar
from ipfin.pledges.domain import (
    CheckResult,
    IllegalTransition,
    PledgeAction,
    PledgeApplication,
    PledgeState,
    Rule,
    blocking_failures,
    format_registration_no,
    next_state,
    run_prechecks,
    term_checks,
)
from ipfin.pledges.models import (
    Pledge,
    PledgeChange,
    PledgeDocument,
    PledgeItem,
    RegistrationCounter,
)
from ipfin.pledges.selectors import pledge_facts, resolve_rights
from ipfin.registry.models import Right

__all__ = [
    "CONTRACT",
    "FileTooLarge",
    "pledge_change",
    "pledge_decide",
    "pledge_document_upload",
    "pledge_release",
    "pledge_resubmit",
    "pledge_submit",
    "pledge_withdraw",
]

_PDF_MAGIC = b"%PDF-"
CONTRACT = "contract"  # PledgeDocument.kind of the signed pledge contract
_PDF_CONTENT_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/octet-stream"})
DECISIONS = {
    "approve": PledgeAction.APPROVE,
    "reject": PledgeAction.REJECT,
    "correct": PledgeAction.REQUEST_CORRECTION,
}


class FileTooLarge(ValidationFailed):
    status = 413
    code = "file_too_large"


# --- small helpers -------------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today if today is not None else timezone.localdate()


def _examination_deadline(day: date) -> date:
    """The examiner's deadline: the configured number of working days after `day`, on the
    official working-day calendar."""
    return working_calendar().add_working_days(day, settings.IPFIN_EXAMINATION_WORKING_DAYS)


def _invalid(code: str, zh: str, en: str, **extra: Any) -> ValidationFailed:
    return ValidationFailed(zh, en, code=code, extra=extra or None)


def _clean_debt(raw: Decimal | str | int) -> Decimal:
    """The secured debt: a positive amount in yuan with at most two decimals, at most MAX_AMOUNT.

    The one path of every incoming amount (submit, resubmit, change): `parse_money` holds the
    bound, so that an amount the database cannot give back unchanged is never stored."""
    try:
        amount = parse_money(raw)
    except AmountTooLarge:
        raise _invalid(
            "debt_amount_too_large",
            f"被担保主债权数额不能超过 {MAX_AMOUNT:,} 元。",
            f"The debt amount may not exceed {MAX_AMOUNT:,} yuan.",
            max_amount=money_str(MAX_AMOUNT),
        ) from None
    except (TypeError, ValueError):
        amount = None
    if amount is None or amount <= 0:
        raise _invalid(
            "debt_amount_invalid",
            f"被担保主债权数额“{raw}”无效：应为大于 0 的金额，最多两位小数。",
            f"Debt amount {str(raw)!r} is invalid: a positive amount with at most two decimals.",
        )
    return amount


def _clean_term(term_start: date, term_end: date) -> None:
    if term_end < term_start:
        raise _invalid(
            "term_invalid",
            f"债务履行期限止日 {term_end} 早于起日 {term_start}。",
            f"The debt term ends ({term_end}) before it starts ({term_start}).",
        )


def _clean_contract_no(contract_no: str) -> str:
    text = (contract_no or "").strip()
    if not text or len(text) > 100:
        raise _invalid(
            "contract_no_invalid",
            "请填写质押合同编号（不超过 100 个字符）。",
            "A pledge contract number (at most 100 characters) is required.",
        )
    return text


def _clean_pledgor(pledgor_uscc: str) -> Organisation:
    """The pledgor: a registered enterprise with this credit code (a bad code is a 422 with the
    validator's code; an unknown one a 422 too)."""
    code = clean_uscc(pledgor_uscc)
    org = Organisation.objects.filter(uscc=code).first()
    if org is None:
        raise _invalid(
            "pledgor_unknown",
            f"统一社会信用代码为 {code} 的企业尚未在平台注册。",
            f"No enterprise with credit code {code} is registered on the platform.",
        )
    if org.kind != OrganisationKind.ENTERPRISE:
        raise _invalid(
            "pledgor_not_enterprise",
            f"{org.name} 不是企业，不能作为出质人。",
            f"{org.name} is not an enterprise and cannot be a pledgor.",
        )
    return org


def _require_pledgee(actor: Any, pledge: Pledge) -> None:
    """Only the pledgee bank files, corrects, changes and releases its pledge. Another bank gets a
    404, as if the pledge did not exist."""
    require(actor, Perm.PLEDGE_APPLY)
    if pledge.pledgee_id != getattr(actor, "organisation_id", None):
        raise NotFound(
            "未找到该质押登记。", "No such pledge registration.", code="pledge_not_found"
        )


def _transition(state: str | None, action: PledgeAction) -> PledgeState:
    try:
        return next_state(state, action)
    except IllegalTransition as exc:
        raise Conflict(
            exc.message_zh,
            exc.message_en,
            code=exc.code.value,
            extra={"state": state, "action": action.value},
        ) from exc


def _lock_pledge(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update().get(pk=pledge.pk)


def _lock_rights(ids: Iterable[int]) -> list[Right]:
    """Lock the Right rows in a stable order (by id), so that concurrent applications for
    overlapping rights wait for each other instead of deadlocking."""
    return list(Right.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk"))


def _checks_json(checks: Sequence[CheckResult]) -> list[dict[str, object]]:
    return [c.as_dict() for c in checks]


def _refuse_if_blocked(checks: Sequence[CheckResult]) -> None:
    """Raise with every rule's result when a blocking rule failed: 409 when a right is already
    pledged or under a pending application, 422 otherwise."""
    failures = blocking_failures(checks)
    if not failures:
        return
    zh = "；".join(f.message_zh for f in failures)
    en = " ".join(f.message_en for f in failures)
    extra = {"checks": _checks_json(checks)}
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


def _application(pledge: Pledge, pledgor_uscc: str, today: date) -> PledgeApplication:
    return PledgeApplication(
        pledgor_uscc=pledgor_uscc,
        term_start=pledge.term_start,
        term_end=pledge.term_end,
        today=today,
        forfeiture_clause=pledge.forfeiture_clause,
        co_owner_consent=pledge.co_owner_consent,
        proceed_despite_invalidation=pledge.proceed_despite_invalidation,
    )


def _precheck(
    pledge: Pledge,
    pledgor_uscc: str,
    rights: Sequence[Right],
    today: date,
    exclude_pledge_id: int | None = None,
) -> list[CheckResult]:
    facts, other_marks = pledge_facts(
        pledgor_uscc=pledgor_uscc, rights=rights, on=today, exclude_pledge_id=exclude_pledge_id
    )
    return run_prechecks(_application(pledge, pledgor_uscc, today), facts, other_marks)


def _insert_items(pledge: Pledge, rights: Sequence[Right]) -> None:
    """Insert the active items; the partial unique index is the last line of defence."""
    with transaction.atomic():  # a savepoint, so that the transaction survives the error
        PledgeItem.objects.bulk_create(
            [PledgeItem(pledge=pledge, right=right, active=True) for right in rights]
        )


def _snapshot(pledge: Pledge, numbers: Sequence[str] | None = None) -> dict[str, Any]:
    """The pledge as the audit record keeps it."""
    if numbers is None:
        numbers = [
            item.right.number for item in pledge.items.select_related("right").order_by("id")
        ]
    return {
        "state": pledge.state,
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
        "effective_date": pledge.effective_date.isoformat() if pledge.effective_date else None,
        "released_on": pledge.released_on.isoformat() if pledge.released_on else None,
    }


def _ip_office_ids() -> list[int]:
    return list(
        Organisation.objects.filter(kind=OrganisationKind.IP_OFFICE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _notify(org_ids: Iterable[int], pledge: Pledge, verb: str, zh: str, en: str) -> None:
    for org_id in dict.fromkeys(org_ids):
        notify(organisation_id=org_id, verb=verb, message_zh=zh, message_en=en, obj=pledge)


def _label(pledge: Pledge) -> tuple[str, str]:
    """How notifications name a pledge: its registration number, else its application id."""
    if pledge.registration_no:
        return f"质押登记 {pledge.registration_no}", f"pledge registration {pledge.registration_no}"
    return f"质押登记申请 #{pledge.pk}", f"pledge application #{pledge.pk}"


def _active_rights(pledge: Pledge) -> list[Right]:
    ids = PledgeItem.objects.filter(pledge=pledge, active=True).values_list("right_id", flat=True)
    return _lock_rights(ids)


# --- submit --------------------------------------------------------------------------------------


def pledge_submit(
    *,
    actor: Any,
    pledgor_uscc: str,
    rights: Sequence[str],
    debt_amount: Decimal | str | int,
    term_start: date,
    term_end: date,
    contract_no: str,
    scope: str = "",
    forfeiture_clause: bool = False,
    co_owner_consent: bool = False,
    proceed_despite_invalidation: bool = False,
    today: date | None = None,
) -> tuple[Pledge, list[CheckResult]]:
    """File a pledge registration for the actor's bank (pledgee) and the enterprise `pledgor_uscc`.

    Runs every pre-check rule at once. A failed blocking rule refuses the application with all the
    results (ValidationFailed 422, or Conflict 409 when a right is already pledged or under a
    pending application) and stores nothing. Returns the pledge and the results (warnings
    included).
    """
    require(actor, Perm.PLEDGE_APPLY)
    day = _today(today)
    pledgee_id = actor.organisation_id
    pledgor = _clean_pledgor(pledgor_uscc)
    amount = _clean_debt(debt_amount)
    _clean_term(term_start, term_end)
    contract = _clean_contract_no(contract_no)
    wanted = resolve_rights(rights)
    draft = Pledge(
        state=PledgeState.SUBMITTED,
        pledgee_id=pledgee_id,
        pledgor=pledgor,
        debt_amount=amount,
        term_start=term_start,
        term_end=term_end,
        contract_no=contract,
        scope=(scope or "").strip(),
        forfeiture_clause=forfeiture_clause,
        co_owner_consent=co_owner_consent,
        proceed_despite_invalidation=proceed_despite_invalidation,
        created_by=actor,
        deadline=_examination_deadline(day),
    )
    state = _transition(None, PledgeAction.SUBMIT)
    assert pledgor.uscc is not None  # _clean_pledgor found it by its code
    with transaction.atomic():
        # Lock first, then look for active items: a concurrent application for the same right
        # waits here until this one commits, and then sees its items.
        locked = {r.pk: r for r in _lock_rights(r.pk for r in wanted)}
        ordered = [locked[r.pk] for r in wanted]
        checks = _precheck(draft, pledgor.uscc, ordered, day)
        _refuse_if_blocked(checks)
        draft.state = state
        draft.checks = _checks_json(checks)
        draft.save()
        try:
            _insert_items(draft, ordered)
        except IntegrityError:
            # Another application took a right between our check and our insert (only possible
            # without row locks): report it like the pre-check would, with the results.
            checks = _precheck(draft, pledgor.uscc, ordered, day, exclude_pledge_id=draft.pk)
            _refuse_if_blocked(checks)
            raise Conflict(
                "知识产权已被其他申请占用，请稍后重试。",
                "A right was taken by another application; please try again.",
                code="right_already_pledged",
                extra={"checks": _checks_json(checks)},
            ) from None
        audit_record(
            actor=actor,
            action="pledge.submit",
            obj=draft,
            before=None,
            after=_snapshot(draft, [r.number for r in ordered]),
        )
        numbers = "、".join(r.number for r in ordered)
        _notify(
            [pledgor.pk],
            draft,
            "pledge.submit",
            f"{actor.organisation.name} 已提交以您的知识产权（{numbers}）出质的质押登记申请 "
            f"#{draft.pk}。",
            f"{actor.organisation.name} filed pledge application #{draft.pk} over your IP rights "
            f"({', '.join(r.number for r in ordered)}).",
        )
        _notify(
            _ip_office_ids(),
            draft,
            "pledge.submit",
            f"新的质押登记申请 #{draft.pk} 待审查，审查期限 {draft.deadline}。",
            f"New pledge application #{draft.pk} to examine by {draft.deadline}.",
        )
    return draft, checks


# --- the contract --------------------------------------------------------------------------------


def _read_head(uploaded_file: UploadedFile[bytes], n: int) -> bytes:
    uploaded_file.seek(0)
    head: bytes = uploaded_file.read(n)
    uploaded_file.seek(0)
    return head


def _sha256(uploaded_file: UploadedFile[bytes]) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def pledge_document_upload(
    *, actor: Any, pledge: Pledge, uploaded_file: UploadedFile[bytes], kind: str = CONTRACT
) -> PledgeDocument:
    """Attach the signed pledge contract (PDF only: %PDF- header, .pdf name, PDF content type),
    stored under MEDIA_ROOT with its SHA-256. Pledgee only, while the pledge is active."""
    _require_pledgee(actor, pledge)
    name = (uploaded_file.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    size = uploaded_file.size or 0
    if size > settings.IPFIN_CONTRACT_MAX_BYTES:
        limit_mb = settings.IPFIN_CONTRACT_MAX_BYTES / (1024 * 1024)
        raise FileTooLarge(
            f"文件过大：最大 {limit_mb:g} MB。",
            f"The file is too large: at most {limit_mb:g} MB.",
            extra={"max_bytes": settings.IPFIN_CONTRACT_MAX_BYTES},
        )
    if size == 0:
        raise _invalid("file_empty", "文件为空。", "The file is empty.")
    content_type = (uploaded_file.content_type or "").split(";")[0].strip().lower()
    if (
        not name.lower().endswith(".pdf")
        or (content_type and content_type not in _PDF_CONTENT_TYPES)
        or _read_head(uploaded_file, len(_PDF_MAGIC)) != _PDF_MAGIC
    ):
        raise _invalid(
            "file_not_pdf",
            "质押合同须为 PDF 文件。",
            "The pledge contract must be a PDF file.",
        )
    sha256 = _sha256(uploaded_file)
    with transaction.atomic():
        locked = _lock_pledge(pledge)
        if locked.state not in (
            PledgeState.SUBMITTED,
            PledgeState.CORRECTION_REQUESTED,
            PledgeState.REGISTERED,
        ):
            raise Conflict(
                "该质押登记已结束，不能再上传文件。",
                "The pledge is closed: no more documents can be uploaded.",
                code="pledge_closed",
            )
        # The stored name is ours (no user-controlled path); the original name is kept apart.
        uploaded_file.name = f"{locked.pk}-{uuid.uuid4().hex}.pdf"
        document = PledgeDocument(
            pledge=locked,
            kind=kind,
            file=uploaded_file,
            original_name=name,
            size=size,
            sha256=sha256,
            uploaded_by=actor,
        )
        document.save()
        audit_record(
            actor=actor,
            action="pledge.document_upload",
            obj=locked,
            before=None,
            after={
                "document_id": document.pk,
                "kind": kind,
                "name": name,
                "size": size,
                "sha256": sha256,
            },
        )
    return document


# --- the examiner's decision ---------------------------------------------------------------------


def _next_registration_no(year: int) -> str:
    """The next number of the year, from a counter row taken under a row lock."""
    RegistrationCounter.objects.get_or_create(year=year)
    counter = RegistrationCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return format_registration_no(year, counter.last)


def pledge_decide(
    *,
    actor: Any,
    pledge: Pledge,
    decision: str,
    reason: str = "",
    effective_date: date | None = None,
    today: date | None = None,
) -> Pledge:
    """The examiner's decision on a submitted application: approve, reject or request correction.

    Approval re-runs the pre-check against the register as it is on the decision day (a right may
    have lapsed meanwhile) and refuses with the results (422) when a blocking rule fails; it then
    assigns the registration number and the effective date (default: the decision day). Approval
    also needs the pledge contract uploaded (422 `contract_missing` otherwise). Rejection
    and a correction request need a reason; rejection frees the rights.
    """
    require(actor, Perm.PLEDGE_DECIDE)
    action = DECISIONS.get(decision)
    if action is None:
        raise _invalid(
            "decision_invalid",
            "审查决定应为 approve（准予登记）、reject（不予登记）或 correct（要求补正）。",
            "decision must be approve, reject or correct.",
        )
    reason = (reason or "").strip()
    day = _today(today)
    with transaction.atomic():
        locked = _lock_pledge(pledge)
        new_state = _transition(locked.state, action)
        before = _snapshot(locked)
        if action is not PledgeAction.APPROVE and not reason:
            raise _invalid(
                "reason_required",
                "不予登记或要求补正时须说明理由。",
                "A reason is required to reject or to request a correction.",
            )
        if action is PledgeAction.APPROVE:
            # 专利权质押登记办法: the application for registration comes with the pledge contract,
            # and the register keeps it (with its SHA-256): no approval without one stored.
            if not PledgeDocument.objects.filter(pledge=locked, kind=CONTRACT).exists():
                raise _invalid(
                    "contract_missing",
                    "尚未上传质押合同，不能准予登记；可要求申请人补正。",
                    "No pledge contract has been uploaded: the application cannot be approved; "
                    "request a correction instead.",
                )
            effective = effective_date or day
            submitted_on = timezone.localdate(locked.submitted_at)
            if not submitted_on <= effective <= day:
                raise _invalid(
                    "effective_date_invalid",
                    f"登记生效日应在申请日 {submitted_on} 与今日 {day} 之间。",
                    f"The effective date must be between the filing day {submitted_on} and "
                    f"today {day}.",
                )
            pledgor_uscc = locked.pledgor.uscc or ""
            checks = _precheck(
                locked, pledgor_uscc, _active_rights(locked), day, exclude_pledge_id=locked.pk
            )
            _refuse_if_blocked(checks)
            locked.checks = _checks_json(checks)
            locked.registration_no = _next_registration_no(effective.year)
            locked.effective_date = effective
        elif action is PledgeAction.REJECT:
            PledgeItem.objects.filter(pledge=locked, active=True).update(active=False)
        locked.state = new_state
        locked.decision_reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=f"pledge.{action.value}",
            obj=locked,
            before=before,
            after={**_snapshot(locked, before["rights"]), "reason": reason},
        )
        label_zh, label_en = _label(locked)
        if action is PledgeAction.APPROVE:
            zh = f"{label_zh} 已准予登记，登记号 {locked.registration_no}，生效日 {effective}。"
            en = (
                f"Pledge application #{locked.pk} is registered as {locked.registration_no}, "
                f"effective {effective}."
            )
        elif action is PledgeAction.REJECT:
            zh, en = f"{label_zh} 不予登记：{reason}", f"{label_en} was refused: {reason}"
        else:
            zh = f"{label_zh} 需要补正：{reason}"
            en = f"{label_en} needs a correction: {reason}"
        _notify([locked.pledgee_id, locked.pledgor_id], locked, f"pledge.{action.value}", zh, en)
    return locked


# --- correction ----------------------------------------------------------------------------------


def pledge_resubmit(
    *,
    actor: Any,
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
    today: date | None = None,
) -> tuple[Pledge, list[CheckResult]]:
    """The pledgee corrects an application the examiner sent back and submits it again.

    Fields left None keep their value; `rights` replaces the list of rights. The pre-check runs
    again on the corrected application; a blocking failure refuses it (422 / 409) and changes
    nothing. The examination deadline starts again from the resubmission.
    """
    _require_pledgee(actor, pledge)
    day = _today(today)
    wanted = resolve_rights(rights) if rights is not None else None
    with transaction.atomic():
        locked = _lock_pledge(pledge)
        new_state = _transition(locked.state, PledgeAction.RESUBMIT)
        before = _snapshot(locked)
        if debt_amount is not None:
            locked.debt_amount = _clean_debt(debt_amount)
        if term_start is not None:
            locked.term_start = term_start
        if term_end is not None:
            locked.term_end = term_end
        _clean_term(locked.term_start, locked.term_end)
        if contract_no is not None:
            locked.contract_no = _clean_contract_no(contract_no)
        if scope is not None:
            locked.scope = scope.strip()
        if forfeiture_clause is not None:
            locked.forfeiture_clause = forfeiture_clause
        if co_owner_consent is not None:
            locked.co_owner_consent = co_owner_consent
        if proceed_despite_invalidation is not None:
            locked.proceed_despite_invalidation = proceed_despite_invalidation
        current_ids = list(
            PledgeItem.objects.filter(pledge=locked)
            .order_by("id")
            .values_list("right_id", flat=True)
        )
        target_ids = [r.pk for r in wanted] if wanted is not None else current_ids
        locked_rights = {r.pk: r for r in _lock_rights([*current_ids, *target_ids])}
        ordered = [locked_rights[pk] for pk in target_ids]
        pledgor_uscc = locked.pledgor.uscc or ""
        checks = _precheck(locked, pledgor_uscc, ordered, day, exclude_pledge_id=locked.pk)
        _refuse_if_blocked(checks)
        removed = set(current_ids) - set(target_ids)
        added = [locked_rights[pk] for pk in target_ids if pk not in set(current_ids)]
        PledgeItem.objects.filter(pledge=locked, right_id__in=removed).delete()
        try:
            _insert_items(locked, added)
        except IntegrityError:
            checks = _precheck(locked, pledgor_uscc, ordered, day, exclude_pledge_id=locked.pk)
            _refuse_if_blocked(checks)
            raise Conflict(
                "知识产权已被其他申请占用，请稍后重试。",
                "A right was taken by another application; please try again.",
                code="right_already_pledged",
                extra={"checks": _checks_json(checks)},
            ) from None
        locked.state = new_state
        locked.checks = _checks_json(checks)
        locked.deadline = working_calendar().add_working_days(
            day, settings.IPFIN_EXAMINATION_WORKING_DAYS
        )
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.resubmit",
            obj=locked,
            before=before,
            after=_snapshot(locked, [r.number for r in ordered]),
        )
        _notify(
            _ip_office_ids(),
            locked,
            "pledge.resubmit",
            f"质押登记申请 #{locked.pk} 已补正并重新提交，审查期限 {locked.deadline}。",
            f"Pledge application #{locked.pk} was corrected and resubmitted; examine it by "
            f"{locked.deadline}.",
        )
        _notify(
            [locked.pledgor_id],
            locked,
            "pledge.resubmit",
            f"质押登记申请 #{locked.pk} 已补正并重新提交。",
            f"Pledge application #{locked.pk} was corrected and resubmitted.",
        )
    return locked, checks


# --- change, release, withdrawal -----------------------------------------------------------------


def pledge_change(
    *,
    actor: Any,
    pledge: Pledge,
    reason: str,
    debt_amount: Decimal | str | int | None = None,
    term_end: date | None = None,
    scope: str | None = None,
    today: date | None = None,
) -> Pledge:
    """变更登记 of a registered pledge by its pledgee: the secured debt, the term's end or the
    scope. A new term end must still fall within every right's term. Writes a PledgeChange."""
    _require_pledgee(actor, pledge)
    reason = (reason or "").strip()
    day = _today(today)
    with transaction.atomic():
        locked = _lock_pledge(pledge)
        new_state = _transition(locked.state, PledgeAction.CHANGE)
        if not reason:
            raise _invalid(
                "reason_required", "请说明变更理由。", "A reason for the change is required."
            )
        before_snapshot = _snapshot(locked)
        changed_before: dict[str, Any] = {}
        changed_after: dict[str, Any] = {}
        if debt_amount is not None:
            amount = _clean_debt(debt_amount)
            if amount != locked.debt_amount:
                changed_before["debt_amount"] = money_str(locked.debt_amount)
                changed_after["debt_amount"] = money_str(amount)
                locked.debt_amount = amount
        if term_end is not None and term_end != locked.term_end:
            _clean_term(locked.term_start, term_end)
            facts, _marks = pledge_facts(
                pledgor_uscc=locked.pledgor.uscc or "",
                rights=_active_rights(locked),
                on=day,
                exclude_pledge_id=locked.pk,
            )
            checks = term_checks(term_end, facts)
            if blocking_failures(checks):
                zh = "；".join(c.message_zh for c in blocking_failures(checks))
                en = " ".join(c.message_en for c in blocking_failures(checks))
                raise ValidationFailed(
                    f"变更后的债务履行期限超过权利有效期：{zh}",
                    f"The changed debt term runs past a right's term: {en}",
                    code="precheck_failed",
                    extra={"checks": _checks_json(checks)},
                )
            changed_before["term_end"] = locked.term_end.isoformat()
            changed_after["term_end"] = term_end.isoformat()
            locked.term_end = term_end
        if scope is not None and scope.strip() != locked.scope:
            changed_before["scope"] = locked.scope
            changed_after["scope"] = scope.strip()
            locked.scope = scope.strip()
        if not changed_after:
            raise _invalid(
                "nothing_to_change",
                "没有需要变更的内容。",
                "Nothing would change.",
            )
        locked.state = new_state
        locked.save()
        PledgeChange.objects.create(
            pledge=locked,
            changed_on=day,
            before=changed_before,
            after=changed_after,
            reason=reason,
            changed_by=actor,
        )
        audit_record(
            actor=actor,
            action="pledge.change",
            obj=locked,
            before=before_snapshot,
            after={**_snapshot(locked, before_snapshot["rights"]), "reason": reason},
        )
        label_zh, label_en = _label(locked)
        _notify(
            [locked.pledgor_id],
            locked,
            "pledge.change",
            f"{label_zh} 已办理变更登记：{reason}",
            f"A change was registered on {label_en}: {reason}",
        )
    return locked


def pledge_release(
    *, actor: Any, pledge: Pledge, released_on: date | None = None, today: date | None = None
) -> Pledge:
    """注销登记: the pledgee releases a registered pledge (the debt is repaid or the pledge
    otherwise ends); the rights are free again from then on."""
    _require_pledgee(actor, pledge)
    day = _today(today)
    with transaction.atomic():
        locked = _lock_pledge(pledge)
        new_state = _transition(locked.state, PledgeAction.RELEASE)
        released = released_on or day
        effective = locked.effective_date or day
        if not effective <= released <= day:
            raise _invalid(
                "released_on_invalid",
                f"注销日应在登记生效日 {effective} 与今日 {day} 之间。",
                f"The release date must be between the effective date {effective} and today {day}.",
            )
        before = _snapshot(locked)
        PledgeItem.objects.filter(pledge=locked, active=True).update(active=False)
        locked.state = new_state
        locked.released_on = released
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.release",
            obj=locked,
            before=before,
            after=_snapshot(locked, before["rights"]),
        )
        label_zh, label_en = _label(locked)
        _notify(
            [locked.pledgor_id],
            locked,
            "pledge.release",
            f"{label_zh} 已注销（{released}），质押的知识产权已解除质押。",
            f"{label_en} was released on {released}; the rights are no longer pledged.",
        )
    return locked


def pledge_withdraw(*, actor: Any, pledge: Pledge) -> Pledge:
    """The pledgee withdraws an application not yet decided (or sent back for correction)."""
    _require_pledgee(actor, pledge)
    with transaction.atomic():
        locked = _lock_pledge(pledge)
        new_state = _transition(locked.state, PledgeAction.WITHDRAW)
        before = _snapshot(locked)
        PledgeItem.objects.filter(pledge=locked, active=True).update(active=False)
        locked.state = new_state
        locked.save()
        audit_record(
            actor=actor,
            action="pledge.withdraw",
            obj=locked,
            before=before,
            after=_snapshot(locked, before["rights"]),
        )
        _notify(
            [locked.pledgor_id, *_ip_office_ids()],
            locked,
            "pledge.withdraw",
            f"质押登记申请 #{locked.pk} 已由质权人撤回。",
            f"Pledge application #{locked.pk} was withdrawn by the pledgee.",
        )
    return locked
