"""Append-only audit trail: who did what to which object, when, with the state before and after.

The records form a hash chain (ipfin.audit.domain): `seq` is the record's place, `hash` the SHA-256
of the previous record's hash and the record's canonical JSON; `AuditChainHead` holds the last
place and hash, locked by each writer so that concurrent writers never fork the chain. On
PostgreSQL a trigger refuses UPDATE and DELETE of a record (migration 0002)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditRecordImmutable(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditRecordImmutable("audit records cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditRecordImmutable("audit records cannot be deleted")


class AuditRecord(models.Model):
    # Set by audit_record before hashing (not auto_now_add, which would stamp it again on insert).
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Copies, so that the record stays readable even if the account is renamed.
    actor_username = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    seq = models.PositiveBigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    # The fields the chain hashes, in the names `values()` gives them.
    HASHED = (
        "at",
        "actor_id",
        "actor_username",
        "organisation_id",
        "action",
        "object_type",
        "object_id",
        "before",
        "after",
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditRecordImmutable("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditRecordImmutable("audit records cannot be deleted")


class AuditChainHead(models.Model):
    """The chain's last place and hash: one row (pk 1), locked by every writer of a record."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)


class AuditVerification(models.Model):
    """One walk of the chain (`ipfin audit_verify`, daily): its outcome, shown to the office."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    checked = models.PositiveBigIntegerField()
    intact = models.BooleanField()
    broken_seq = models.PositiveBigIntegerField(null=True, blank=True)
    broken_record_id = models.BigIntegerField(null=True, blank=True)
    reason_zh = models.CharField(max_length=200, blank=True)
    reason_en = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
