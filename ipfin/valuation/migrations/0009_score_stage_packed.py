"""The scoring stage holds packed blocks of rows (models.ScoreStage): the table is recreated (it
only ever holds the scratch rows of a run in progress)."""

from django.db import migrations, models


def _unlogged(apps, schema_editor):
    """Scratch rows written without WAL on PostgreSQL, their packed column stored without
    compression (read once, compressing would cost more than it saves)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE valuation_scorestage SET UNLOGGED")
        schema_editor.execute(
            "ALTER TABLE valuation_scorestage ALTER COLUMN columns SET STORAGE EXTERNAL"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("valuation", "0008_score_stage"),
    ]

    operations = [
        migrations.DeleteModel(name="ScoreStage"),
        migrations.CreateModel(
            name="ScoreStage",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "job",
                        "first_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("job", models.BigIntegerField()),
                ("first_id", models.BigIntegerField()),
                ("rights", models.IntegerField()),
                ("columns", models.BinaryField()),
            ],
        ),
        migrations.RunPython(_unlogged, migrations.RunPython.noop),
    ]
