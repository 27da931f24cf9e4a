"""Writes for accounts: organisations, users, API tokens, the second factor, notifications."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import (
    MESSAGE_MAX,
    ApiToken,
    Notification,
    Organisation,
    OrganisationKind,
    RecoveryCode,
    Role,
    SupervisionCase,
    TotpDevice,
    User,
    hash_token,
)
from ipfin.accounts.permissions import Perm, require, require_organisation_admin
from ipfin.accounts.throttle import (
    login_attempt_failed,
    login_attempt_start,
    login_attempt_succeeded,
)
from ipfin.accounts.totp import (
    new_recovery_codes,
    new_totp_secret,
    recovery_code_hash,
    totp_matching_step,
)
from ipfin.audit.services import audit_record
from ipfin.common.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
    invalid,
)


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    kind: str,
    name: str,
    uscc: str | None = None,
    region: str = "",
    industry: str = "",
    size: str = "",
    park: Organisation | None = None,
) -> Organisation:
    """Register an organisation. `actor` is the IP office user who registers it; None only for
    the platform's own setup from the command line (`load_demo`, a deployment's first office),
    which no request can reach: every request's actor is a User. An examiner registers right
    holders (enterprises); any other kind — a bank, an insurer, a guarantor, an agency, a park,
    an office, a regulator, a fund — only an office administrator (`ORGANISATION_MANAGE`):
    those act on the platform, and one registered in another's name could be named as a party."""
    if actor is not None:
        require(actor, Perm.REGISTRY_WRITE)
        if kind != OrganisationKind.ENTERPRISE:
            require(actor, Perm.ORGANISATION_MANAGE)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "机构名称不能为空。", "The organisation name is required.", code="name_required"
        )
    if kind == OrganisationKind.ENTERPRISE and not (uscc or "").strip():
        # An enterprise is identified by its credit code everywhere (pledgor, owner, white list).
        raise ValidationFailed(
            "企业须提供统一社会信用代码。",
            "An enterprise needs its unified social credit code.",
            code="uscc_required",
        )
    code = clean_uscc(uscc) if uscc else None
    taken = Conflict(
        "该统一社会信用代码已注册。", "An organisation with this code exists.", code="uscc_taken"
    )
    if code and Organisation.objects.filter(uscc=code).exists():
        raise taken
    try:
        with transaction.atomic():
            org = Organisation.objects.create(
                kind=kind,
                name=name,
                uscc=code,
                region=region,
                industry=industry,
                size=size,
                park=park,
            )
    except IntegrityError:
        # Registered by a request at the same moment, between the look above and this insert:
        # the unique code refuses it, and the caller is told so, not answered a 500.
        if code and Organisation.objects.filter(uscc=code).exists():
            raise taken from None
        raise
    audit_record(
        actor=actor,
        action="organisation.create",
        obj=org,
        after={
            "kind": kind,
            "name": name,
            "uscc": code,
            "size": size,
            "park": park.pk if park is not None else None,
        },
    )
    return org


def user_create(
    *,
    username: str,
    password: str,
    organisation: Organisation | None,
    role: str = Role.MEMBER,
    actor: User | None = None,
    **extra: Any,
) -> User:
    """A login for `organisation`, audited (`actor` None: the platform's own setup)."""
    user = User(username=username, organisation=organisation, role=role, **extra)
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after={
            "username": username,
            "organisation": organisation.pk if organisation is not None else None,
            "role": str(role),
        },
    )
    return user


MAX_TOKEN_DAYS = 365


def api_token_issue(*, user: User, days: int | None = None, name: str = "") -> str:
    """Create a bearer token for `user`, valid for `days` (default settings.IPFIN_API_TOKEN_DAYS,
    1–365), and return it: shown once, only its SHA-256 is stored."""
    days = settings.IPFIN_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise invalid(
            "days",
            "token_days_invalid",
            f"有效期须为 1–{MAX_TOKEN_DAYS} 天。",
            f"A token is valid for 1 to {MAX_TOKEN_DAYS} days.",
        )
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        token_hash=hash_token(raw),
        prefix=raw[:8],
        name=(name or "").strip()[:100],
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_record(
        actor=user,
        action="api_token.issue",
        obj=token,
        after={"prefix": token.prefix, "name": token.name, "expires_at": token.expires_at},
    )
    return raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens (a system using it is refused from now on). Revoking a
    revoked token changes nothing."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.user_id != actor.pk:
        raise PermissionDenied("只能撤销自己的令牌。", "Only your own tokens.", code="not_owner")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, action="api_token.revoke", obj=locked, after={"prefix": locked.prefix}
        )
    return locked


# --- the second factor (TOTP and recovery codes; rules in ipfin.accounts.totp) -------------------


def second_factor_required(user: User) -> bool:
    """Whether a login of `user` asks for a second factor: the user turned one on, or the
    user's organisation requires it (then a user without one enrols at the next login)."""
    org = user.organisation
    return (
        bool(org is not None and org.totp_required)
        or TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()
    )


def _code_refused() -> ValidationFailed:
    return invalid(
        "code",
        "second_factor_invalid",
        "验证码不正确或已使用过，请输入验证器应用当前显示的 6 位数字，或一个未用过的恢复码。",
        "The code is wrong or was used already: enter the 6 digits your authenticator app shows "
        "now, or a recovery code not used before.",
    )


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TotpDevice:
    """The authenticator to set up: the user's unconfirmed one (the same secret on every visit,
    so a QR code scanned a minute ago stays good), or a new one. Conflict
    `second_factor_enabled` (409) when the user has a confirmed one."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise Conflict(
            "两步验证已开启。", "The second factor is on already.", code="second_factor_enabled"
        )
    if device is None:
        device = TotpDevice.objects.create(user=user, secret=new_totp_secret())
    return device


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = new_recovery_codes()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=recovery_code_hash(user.pk, code)) for code in codes]
    )
    return codes


@transaction.atomic
def totp_enrolment_confirm(*, user: User, code: str) -> list[str]:
    """Turn the second factor on once the user typed a code of the new authenticator (proof the
    app holds the secret). Returns the ten recovery codes, shown this once. ValidationFailed
    `second_factor_invalid` (422, on `code`) for a wrong code."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is not None:
        raise Conflict(
            "没有待确认的验证器，请重新开始设置。",
            "No authenticator is waiting to be confirmed: start the set-up again.",
            code="second_factor_not_pending",
        )
    step = totp_matching_step(device.secret, code, timezone.now(), after_step=device.last_step)
    if step is None:
        raise _code_refused()
    device.confirmed_at = timezone.now()
    device.last_step = step
    device.save(update_fields=["confirmed_at", "last_step"])
    codes = _new_recovery_codes(user)
    audit_record(actor=user, action="second_factor.enable", obj=user, after={"user": user.pk})
    return codes


def second_factor_check(*, user: User, code: str) -> str:
    """Accept `code` as the user's second factor: a one-time password of a step later than the
    last one accepted (claimed with one conditional UPDATE, so two requests with the same code
    cannot both pass), or an unused recovery code (likewise claimed once; audited, with the
    number left). Returns "totp" or "recovery_code"; ValidationFailed `second_factor_invalid`
    (422, on `code`) otherwise."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise _code_refused()
    step = totp_matching_step(device.secret, code, timezone.now(), after_step=device.last_step)
    if step is not None:
        claimed = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
        if claimed:
            return "totp"
        raise _code_refused()
    with transaction.atomic():
        used = RecoveryCode.objects.filter(
            user=user, code_hash=recovery_code_hash(user.pk, code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if not used:
            raise _code_refused()
        left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        audit_record(
            actor=user,
            action="second_factor.recovery_code_used",
            obj=user,
            after={"user": user.pk, "recovery_codes_left": left},
        )
    return "recovery_code"


def second_factor_login(*, request: HttpRequest, user: User, code: str) -> list[str]:
    """The second step of a login whose password was right: `code` is checked as the user's
    second factor — or, for a user whose organisation requires one and who has none yet, as the
    first code of the authenticator being set up (then the recovery codes are returned, to be
    shown once). Each try counts in the login throttle like a password (a 6-digit code cannot be
    guessed by trying them all): TooManyAttempts (429) once the username's or the address's
    limit is reached, and nothing is checked."""
    attempt = login_attempt_start(request, user.username)
    if attempt is None:
        raise TooManyAttempts(
            "登录失败次数过多，请稍后再试。", "Too many failed logins: try again later."
        )
    try:
        if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
            second_factor_check(user=user, code=code)
            codes: list[str] = []
        else:
            codes = totp_enrolment_confirm(user=user, code=code)
    except DomainError:
        login_attempt_failed(attempt)
        raise
    login_attempt_succeeded(attempt)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working) once the user proved the second factor."""
    second_factor_check(user=user, code=code)
    codes = _new_recovery_codes(user)
    audit_record(
        actor=user, action="second_factor.recovery_codes_renew", obj=user, after={"user": user.pk}
    )
    return codes


@transaction.atomic
def second_factor_disable(*, user: User, code: str) -> None:
    """Turn one's own second factor off (proved with a code). Conflict
    `second_factor_required_by_organisation` (409) when the organisation requires it."""
    org = user.organisation
    if org is not None and org.totp_required:
        raise Conflict(
            "本机构要求两步验证，不能关闭。",
            "Your organisation requires the second factor: it cannot be turned off.",
            code="second_factor_required_by_organisation",
        )
    second_factor_check(user=user, code=code)
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(actor=user, action="second_factor.disable", obj=user, after={"user": user.pk})


@transaction.atomic
def second_factor_reset(*, actor: User | None, user: User) -> None:
    """Remove a member's authenticator and recovery codes (a lost phone): the member sets up a new
    one at the next login if the organisation requires it. By the organisation's administrator
    (`actor` None: the operator's command line)."""
    if actor is not None:
        require_organisation_admin(actor, user.organisation)
    TotpDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(actor=actor, action="second_factor.reset", obj=user, after={"user": user.pk})


@transaction.atomic
def organisation_second_factor_set(
    *, actor: User | None, organisation: Organisation, required: bool
) -> Organisation:
    """Turn the organisation's second-factor requirement on or off (its administrator; `actor`
    None: the operator's command line). Members without an authenticator set one up at their
    next login; sessions already open run to their end."""
    if actor is not None:
        require_organisation_admin(actor, organisation)
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.totp_required != required:
        before = locked.totp_required
        locked.totp_required = required
        locked.save(update_fields=["totp_required"])
        audit_record(
            actor=actor,
            action="organisation.second_factor",
            obj=locked,
            before={"totp_required": before},
            after={"totp_required": required},
        )
    return locked


# --- supervision cases (a regulator's reads of single records) ----------------------------------

SUPERVISED_KINDS = frozenset(
    {
        OrganisationKind.BANK,
        OrganisationKind.ENTERPRISE,
        OrganisationKind.PARK,
        OrganisationKind.INSURER,
        OrganisationKind.GUARANTOR,
        OrganisationKind.VALUATION_AGENCY,
    }
)
MIN_REASON_LENGTH = 4


@transaction.atomic
def supervision_case_open(*, actor: User, subject_uscc: str, reason: str) -> SupervisionCase:
    """Open a supervision case on the organisation with credit code `subject_uscc`: from now on
    the regulator's users read its single records (each read audited). The reason is required
    (at least 4 characters: what the inspection is about). Conflict `supervision_case_open`
    (409) when the regulator has an open case on it already; 404 for no such organisation."""
    user = require(actor, Perm.SUPERVISE)
    regulator = user.organisation
    assert regulator is not None  # SUPERVISE is granted to regulators' users only
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise invalid(
            "reason",
            "reason_required",
            f"请写明立案事由（至少 {MIN_REASON_LENGTH} 个字）。",
            f"State the reason for the case (at least {MIN_REASON_LENGTH} characters).",
        )
    code = clean_uscc(subject_uscc)
    subject = Organisation.objects.filter(uscc=code, kind__in=SUPERVISED_KINDS).first()
    if subject is None:
        raise NotFound(
            "没有该统一社会信用代码的受监管机构。",
            "No supervised organisation has this credit code.",
            code="organisation_not_found",
        )
    Organisation.objects.select_for_update().get(pk=regulator.pk)  # one open case at a time
    if SupervisionCase.objects.filter(
        regulator=regulator, subject=subject, closed_at__isnull=True
    ).exists():
        raise Conflict(
            "对该机构已有未结案的监管检查。",
            "A case on this organisation is open already.",
            code="supervision_case_open",
        )
    case = SupervisionCase.objects.create(
        regulator=regulator, subject=subject, reason=reason[:500], opened_by=user
    )
    audit_record(
        actor=user,
        action="supervision.open",
        obj=case,
        after={"subject": subject.pk, "reason": case.reason},
    )
    return case


@transaction.atomic
def supervision_case_close(
    *, actor: User, case: SupervisionCase, note: str = ""
) -> SupervisionCase:
    """Close a case: the subject's single records are out of the regulator's reach again.
    Closing a closed case changes nothing."""
    user = require(actor, Perm.SUPERVISE)
    locked = SupervisionCase.objects.select_for_update().get(pk=case.pk)
    if locked.regulator_id != user.organisation_id:
        raise NotFound("没有该监管检查。", "No such case.", code="supervision_case_not_found")
    if locked.closed_at is None:
        locked.closed_at = timezone.now()
        locked.closed_by = user
        locked.close_note = (note or "").strip()[:500]
        locked.save(update_fields=["closed_at", "closed_by", "close_note"])
        audit_record(
            actor=user, action="supervision.close", obj=locked, after={"note": locked.close_note}
        )
    return locked


def supervision_reads_record(
    *, user: User, case_ids: list[int], method: str, path: str, query: str, status: int
) -> None:
    """The audit record of one request's reads through supervision cases: one per case."""
    for case_id in case_ids:
        audit_record(
            actor=user,
            action="supervision.read",
            object_type="accounts.supervisioncase",
            object_id=case_id,
            after={"method": method, "path": path, "query": query, "status": status},
        )


def _fitted(message: str) -> str:
    """A message cut to its column, MESSAGE_MAX (the notice links to the object, where the whole
    text is read): a reason quoted in full, up to 2,000 characters, made PostgreSQL refuse the
    notice and with it the whole write (a loan declined at length answered 500)."""
    return message if len(message) <= MESSAGE_MAX else message[: MESSAGE_MAX - 1] + "…"


def notify(
    *,
    organisation_id: int,
    verb: str,
    message_zh: str,
    message_en: str,
    obj: Any = None,
) -> Notification:
    return Notification.objects.create(
        organisation_id=organisation_id,
        verb=verb,
        message_zh=_fitted(message_zh),
        message_en=_fitted(message_en),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
    )


def notify_orgs(org_ids: Iterable[int | None], obj: Any, verb: str, zh: str, en: str) -> None:
    """`notify` each organisation once, in the order given; None (no such party) is skipped."""
    for org_id in dict.fromkeys(org_ids):
        if org_id is not None:
            notify(organisation_id=org_id, verb=verb, message_zh=zh, message_en=en, obj=obj)
