"""The audit trail becomes a hash chain: existing records are chained in the order they were
written (id), the head row is created, and on PostgreSQL a trigger refuses UPDATE and DELETE of a
record (the application's own guard is in the model; this one holds for hand-written SQL too)."""

import json

import django.utils.timezone

from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models

from ipfin.audit.domain import GENESIS, chain_hash

HASHED = (
    "at", "actor_id", "actor_username", "organisation_id", "action", "object_type", "object_id",
    "before", "after",
)  # fmt: skip


def chain_existing(apps, schema_editor):
    AuditRecord = apps.get_model("audit", "AuditRecord")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    previous, seq = GENESIS, 0
    for row in AuditRecord.objects.order_by("id").values("id", *HASHED).iterator(chunk_size=2000):
        seq += 1
        fields = {k: row[k] for k in HASHED}
        for key in ("before", "after"):  # as the database will give it back
            fields[key] = json.loads(json.dumps(fields[key], cls=DjangoJSONEncoder))
        digest = chain_hash(previous, fields)
        AuditRecord.objects.filter(pk=row["id"]).update(seq=seq, prev_hash=previous, hash=digest)
        previous = digest
    AuditChainHead.objects.create(pk=1, seq=seq, hash=previous)


TRIGGER = """
CREATE OR REPLACE FUNCTION audit_record_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'audit records cannot be changed or deleted: ' || TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_record_immutable BEFORE UPDATE OR DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_immutable();
"""
DROP_TRIGGER = """
DROP TRIGGER IF EXISTS audit_record_immutable ON audit_auditrecord;
DROP FUNCTION IF EXISTS audit_record_immutable();
"""


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
            ],
        ),  # fmt: skip
        migrations.CreateModel(
            name="AuditVerification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("checked", models.PositiveBigIntegerField()),
                ("intact", models.BooleanField()),
                ("broken_seq", models.PositiveBigIntegerField(blank=True, null=True)),
                ("broken_record_id", models.BigIntegerField(blank=True, null=True)),
                ("reason_zh", models.CharField(blank=True, max_length=200)),
                ("reason_en", models.CharField(blank=True, max_length=200)),
            ],
            options={"ordering": ["-at", "-id"]},
        ),  # fmt: skip
        migrations.AlterField(
            "auditrecord", "at",
            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),  # fmt: skip
        migrations.AddField("auditrecord", "seq", models.PositiveBigIntegerField(null=True)),
        migrations.AddField("auditrecord", "prev_hash", models.CharField(max_length=64, null=True)),
        migrations.AddField("auditrecord", "hash", models.CharField(max_length=64, null=True)),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            "auditrecord", "seq", models.PositiveBigIntegerField(unique=True)
        ),
        migrations.AlterField("auditrecord", "prev_hash", models.CharField(max_length=64)),
        migrations.AlterField(
            "auditrecord", "hash", models.CharField(max_length=64, unique=True)
        ),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
