"""Answers kept for Idempotency-Key replays before secrets shown once were left out of them
(ipfin.accounts.idempotency.shown_once): the keys past their 24 hours are deleted, and of the
others each answer carrying a bearer token or a signing secret."""

from datetime import timedelta
from typing import Any

from django.db import migrations
from django.utils import timezone

# The fields of the answers that showed a secret once: POST /tokens, POST /webhooks, its rotation.
_SECRET_FIELDS = ("token", "secret")


def scrub(apps: Any, schema_editor: Any) -> None:
    kept = apps.get_model("accounts", "IdempotentRequest")
    kept.objects.filter(created_at__lt=timezone.now() - timedelta(hours=24)).delete()
    holding = []
    # A day of keys at most: read in pages, by id.
    for pk, body in kept.objects.order_by("pk").values_list("pk", "body").iterator(2000):
        data = bytes(body or b"")
        if not any(f'"{name}"'.encode() in data for name in _SECRET_FIELDS):
            continue
        holding.append(pk)
    for start in range(0, len(holding), 2000):
        kept.objects.filter(pk__in=holding[start : start + 2000]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_supervision_case")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
