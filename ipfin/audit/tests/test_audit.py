from __future__ import annotations

import pytest

from ipfin.audit.models import AuditRecord, AuditRecordImmutable
from ipfin.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_audit_record_keeps_actor_organisation_and_states(bank_a_user):
    rec = audit_record(
        actor=bank_a_user,
        action="thing.change",
        object_type="x.thing",
        object_id=7,
        before={"state": "a"},
        after={"state": "b"},
    )
    rec.refresh_from_db()
    assert (rec.actor_username, rec.organisation_id) == ("bank_a", bank_a_user.organisation_id)
    assert (rec.object_type, rec.object_id, rec.before, rec.after) == (
        "x.thing",
        "7",
        {"state": "a"},
        {"state": "b"},
    )
    assert rec.at is not None


def test_audit_records_cannot_be_edited_or_deleted(bank_a_user):
    rec = audit_record(actor=bank_a_user, action="thing.change", object_type="x", object_id=1)
    rec.action = "forged"
    with pytest.raises(AuditRecordImmutable):
        rec.save()
    with pytest.raises(AuditRecordImmutable):
        rec.delete()
    with pytest.raises(AuditRecordImmutable):
        AuditRecord.objects.filter(pk=rec.pk).update(action="forged")
    with pytest.raises(AuditRecordImmutable):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=rec.pk).action == "thing.change"


def test_audit_list_requires_permission(bank_a_user, examiner):
    from ipfin.audit.selectors import audit_list
    from ipfin.common.errors import PermissionDenied

    before = audit_list(actor=examiner).count()  # the fixtures' user.create records
    audit_record(actor=bank_a_user, action="a", object_type="x", object_id=1)
    with pytest.raises(PermissionDenied):
        audit_list(actor=bank_a_user)
    assert audit_list(actor=examiner).count() == before + 1
    assert audit_list(actor=examiner).first().action == "a"
