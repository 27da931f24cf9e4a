"""Concentration alerts' keys name their bank (ipfin.risk.domain.alerts.Finding.key): the keys
already stored are given it, so that the next scan finds each bank's live alert as its own
rather than closing it and raising it again."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat


def name_the_bank(apps: Any, schema_editor: Any) -> None:
    alerts = apps.get_model("risk", "RiskAlert")
    alerts.objects.filter(kind="concentration").exclude(key__contains="|bank:").update(
        key=Concat(
            F("key"), Value("|bank:"), Cast("bank_id", CharField()), output_field=CharField()
        )
    )


class Migration(migrations.Migration):
    dependencies = [("risk", "0004_claim_cover")]

    operations = [migrations.RunPython(name_the_bank, migrations.RunPython.noop)]
