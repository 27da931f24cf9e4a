"""The positions' snapshots taken before instalments were late only after their payable day
(民法典 art. 203: a due date on a weekend or holiday moves to the next working day) counted an
instalment due on a rest day as non-performing a few days early. They are derived figures: they
are removed, the statistics read the loans' history until the daily job takes them anew."""

from typing import Any

from django.db import migrations


def remove_snapshots(apps: Any, schema_editor: Any) -> None:
    snapshot = apps.get_model("stats", "PositionSnapshot")
    position = apps.get_model("stats", "LoanPosition")
    position.objects.all().delete()
    snapshot.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0002_position_snapshots"),
    ]

    operations = [
        migrations.RunPython(remove_snapshots, migrations.RunPython.noop),
    ]
