"""Seed the classification history with each loan's category as it stands: a loan classified
other than 正常 gets one change dated its `classified_on` (its disbursement day when that is
unknown). Earlier changes were never recorded, so statistics "as of" a day before the seed read
those loans as they were classified on that date. Reversible: the seeded rows are removed."""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Coalesce


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Loan = apps.get_model("loans", "Loan")
    LoanClassification = apps.get_model("loans", "LoanClassification")
    rows = (
        Loan.objects.exclude(classification="normal")
        .filter(disbursed_on__isnull=False)
        .annotate(day=Coalesce(F("classified_on"), F("disbursed_on")))
        .values_list("pk", "day", "classification")
    )
    LoanClassification.objects.bulk_create(
        [LoanClassification(loan_id=pk, effective_on=day, category=category) for pk, day, category in rows],
        batch_size=1000,
    )


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("loans", "LoanClassification").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("loans", "0006_loan_classification_history")]
    operations = [migrations.RunPython(seed, unseed)]
