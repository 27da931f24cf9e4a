"""Organisations, users, API tokens, in-app notifications and login throttling."""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    BANK = "bank", _("银行")
    INSURER = "insurer", _("保险机构")
    GUARANTOR = "guarantor", _("担保机构")
    VALUATION_AGENCY = "valuation_agency", _("评估机构")
    TRADING_CENTRE = "trading_centre", _("知识产权交易中心")
    PARK = "park", _("园区")
    IP_OFFICE = "ip_office", _("知识产权局")
    REGULATOR = "regulator", _("金融监管机构")
    RISK_FUND = "risk_fund", _("风险补偿基金")


class EnterpriseSize(models.TextChoices):
    MICRO = "micro", _("微型")
    SMALL = "small", _("小型")
    MEDIUM = "medium", _("中型")
    LARGE = "large", _("大型")


class Organisation(models.Model):
    kind = models.CharField(_("机构类型"), max_length=32, choices=OrganisationKind.choices)
    name = models.CharField(_("名称"), max_length=200)
    # 统一社会信用代码: validated with its check characters by ipfin.accounts.domain.validate_uscc
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True
    )
    region = models.CharField(_("地区"), max_length=100, blank=True)
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    # Enterprises: the park they are in (园区) and their size class (企业规模, per the
    # 工信部联企业[2011]300号 划型标准), used by product eligibility, white-list rules and
    # subsidy policies.
    park = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="park_members",
        limit_choices_to={"kind": "park"},
        verbose_name=_("所在园区"),
    )
    size = models.CharField(_("企业规模"), max_length=8, choices=EnterpriseSize.choices, blank=True)
    # Off by default (the demo leaves it off): when on, every login of the organisation's users
    # asks for a one-time password from an authenticator app, or a recovery code.
    totp_required = models.BooleanField(_("要求两步验证"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("机构")
        verbose_name_plural = _("机构")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", _("业务人员")
    EXAMINER = "examiner", _("审查员")
    ADMIN = "admin", _("管理员")


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.MEMBER)

    @property
    def organisation_kind(self) -> str | None:
        return self.organisation.kind if self.organisation_id else None  # type: ignore[union-attr]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Tokens that authenticate now: neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def _token_expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=settings.IPFIN_API_TOKEN_DAYS)


class ApiToken(models.Model):
    """A bearer token for system clients. Only the SHA-256 of the token is stored; it expires
    (settings.IPFIN_API_TOKEN_DAYS by default) and can be revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="first characters, to tell tokens apart")
    name = models.CharField(_("用途"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"), default=_token_expiry)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()


class TotpDevice(models.Model):
    """A user's authenticator app (the second factor, `ipfin.accounts.totp`): the shared secret,
    whether the user proved the app holds it (`confirmed_at`), and the last time step accepted
    (no code is accepted twice)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    # The base32 secret: the server must read it back to compute codes, so it cannot be hashed;
    # the database is as confidential as the password hashes beside it.
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)


class RecoveryCode(models.Model):
    """One single-use recovery code of a user; only its salted SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")
        ]


class SupervisionCase(models.Model):
    """A regulator's supervision case (监管检查) on one organisation: while it is open, the
    regulator's users read that organisation's single records (its loans, valuations, demands,
    subsidy claims, credit profile; `permissions.tenant_scope`), each request audited
    (`supervision.read`). Without one, a regulator reads aggregates only (DOMAIN.md, Roles)."""

    regulator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="supervision_cases_opened"
    )
    subject = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="supervision_cases",
        verbose_name=_("检查对象"),
    )
    reason = models.CharField(_("立案事由"), max_length=500)
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_note = models.CharField(_("结案说明"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["regulator", "subject"],
                condition=models.Q(closed_at__isnull=True),
                name="supervision_case_one_open_per_subject",
            )
        ]


# A notice's length, each language (ipfin.accounts.services.notify fits a longer one to it).
MESSAGE_MAX = 500


class Notification(models.Model):
    """An in-app notification for every member of an organisation (or one user)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="notifications"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True)
    verb = models.CharField(max_length=64)
    message_zh = models.CharField(max_length=MESSAGE_MAX)
    message_en = models.CharField(max_length=MESSAGE_MAX)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "read_at"])]


class LoginOutcome(models.TextChoices):
    PENDING = "pending", _("核验中")
    FAILED = "failed", _("失败")
    SUCCEEDED = "succeeded", _("成功")
    REFUSED = "refused", _("因锁定拒绝")


class LoginAttempt(models.Model):
    """Every login attempt on the login page, kept for audit and analysis (never deleted by a
    login): recorded as `pending` before its password is checked, then `failed` or `succeeded`;
    `refused` when the throttle turned it away unchecked (ipfin.accounts.throttle)."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    outcome = models.CharField(max_length=16, choices=LoginOutcome.choices)

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="login_attempt_username_at"),
            models.Index(fields=["ip_address", "at"], name="login_attempt_address_at"),
        ]


class ThrottleScope(models.TextChoices):
    USERNAME = "username", _("用户名")
    ADDRESS = "address", _("客户端地址")


class LoginThrottle(models.Model):
    """One row per name login attempts are counted under (a username, a client address): the row
    an attempt locks while it counts and records itself, so that concurrent attempts for one name
    queue (ipfin.accounts.throttle)."""

    scope = models.CharField(max_length=8, choices=ThrottleScope.choices)
    key = models.CharField(max_length=150)
    last_attempt_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_scope_key")
        ]


class IdempotentRequest(models.Model):
    """A POST an API client sent with an `Idempotency-Key` (ipfin.accounts.idempotency): the key,
    per client (user), the request's fingerprint and, once answered, the first answer, replayed to
    every retry for 24 hours."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="null: running")
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_client")
        ]
