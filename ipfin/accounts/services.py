"""Writes for accounts: organisations, users, API tokens, notifications."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ipfin.accounts.inputs import clean_uscc
from ipfin.accounts.models import (
    ApiToken,
    Notification,
    Organisation,
    OrganisationKind,
    Role,
    User,
    hash_token,
)
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed, invalid


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
    which no request can reach: every request's actor is a User."""
    if actor is not None:
        require(actor, Perm.REGISTRY_WRITE)
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
    if code and Organisation.objects.filter(uscc=code).exists():
        raise Conflict(
            "该统一社会信用代码已注册。",
            "An organisation with this code exists.",
            code="uscc_taken",
        )
    org = Organisation.objects.create(
        kind=kind, name=name, uscc=code, region=region, industry=industry, size=size, park=park
    )
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
        message_zh=message_zh,
        message_en=message_en,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
    )


def notify_orgs(org_ids: Iterable[int | None], obj: Any, verb: str, zh: str, en: str) -> None:
    """`notify` each organisation once, in the order given; None (no such party) is skipped."""
    for org_id in dict.fromkeys(org_ids):
        if org_id is not None:
            notify(organisation_id=org_id, verb=verb, message_zh=zh, message_en=en, obj=obj)
