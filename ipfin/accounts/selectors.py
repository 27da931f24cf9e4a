from __future__ import annotations

from django.db.models import F, Q, QuerySet

from ipfin.accounts.models import (
    ApiToken,
    Notification,
    Organisation,
    OrganisationKind,
    RecoveryCode,
    SupervisionCase,
    TotpDevice,
    User,
)
from ipfin.accounts.permissions import (
    Actor,
    Perm,
    require,
    require_login,
    require_organisation_admin,
    tenant_scope,
)
from ipfin.common.errors import NotFound


def notification_list(*, actor: Actor, limit: int = 100) -> list[Notification]:
    """The actor's organisation's notifications: those addressed to all members or to the actor."""
    require_login(actor)
    scope = tenant_scope(actor, "organisation_id")
    rows = Notification.objects.filter(scope or Q()).filter(Q(user__isnull=True) | Q(user=actor))
    return list(rows.order_by("-created_at", "-id")[:limit])


def ip_office_ids() -> list[int]:
    """The IP offices' organisations: who is told of what the office must act on."""
    return list(
        Organisation.objects.filter(kind=OrganisationKind.IP_OFFICE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def api_tokens_of(*, actor: Actor) -> QuerySet[ApiToken]:
    """The actor's own API tokens, newest first."""
    user = require_login(actor)
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_get(*, actor: Actor, token_id: int) -> ApiToken:
    """One of the actor's own tokens; another user's is a 404 like any object not theirs."""
    token = api_tokens_of(actor=actor).filter(pk=token_id).first()
    if token is None:
        raise NotFound("没有该令牌。", "No such token.", code="token_not_found")
    return token


def totp_device_of(user: User) -> TotpDevice | None:
    """The user's authenticator, confirmed or being set up; None when there is none."""
    return TotpDevice.objects.filter(user=user).first()


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def organisation_members_second_factor(*, actor: Actor, organisation: Organisation) -> list[User]:
    """The organisation's users, each with `second_factor_on` (a confirmed authenticator): what
    its administrator sees to know who still has to set one up. Administrators only."""
    require_organisation_admin(actor, organisation)
    users = list(User.objects.filter(organisation=organisation).order_by("username"))
    confirmed = set(
        TotpDevice.objects.filter(user__in=users, confirmed_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    for user in users:
        user.second_factor_on = user.pk in confirmed  # type: ignore[attr-defined]
    return users


def supervision_case_list(*, actor: Actor) -> QuerySet[SupervisionCase]:
    """The supervision cases of the actor's regulator, open ones first, newest first."""
    user = require(actor, Perm.SUPERVISE)
    return (
        SupervisionCase.objects.filter(regulator_id=user.organisation_id)
        .select_related("subject", "opened_by", "closed_by")
        .order_by(F("closed_at").desc(nulls_first=True), "-opened_at", "-id")
    )


def supervision_case_get(*, actor: Actor, case_id: int) -> SupervisionCase:
    """One of the regulator's cases; another regulator's is a 404 like any object not theirs."""
    case = supervision_case_list(actor=actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound("没有该监管检查。", "No such case.", code="supervision_case_not_found")
    return case
