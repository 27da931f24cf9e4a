"""Writes for accounts: organisations, users, API tokens, notifications."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction

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
from ipfin.common.errors import Conflict, ValidationFailed


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


def api_token_issue(*, user: User) -> str:
    """Create a bearer token for `user` and return it; only its hash is stored."""
    raw = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, token_hash=hash_token(raw), prefix=raw[:8])
    audit_record(
        actor=user, action="api_token.issue", object_type="accounts.apitoken", object_id=raw[:8]
    )
    return raw


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
