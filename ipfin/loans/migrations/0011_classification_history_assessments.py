"""The classification history seeded by 0007 dated each loan's category at its `classified_on`,
which is not the day the category began: every repayment and every day an overdue loan's days
past due change move it forward. A bank's own assessment made before it (`assessed_on`) was then
missing from the history for the days between — and the NPL tolerance, which read the loan's
latest assessment from its `assessed_on` before it read the history, lost it for the quarters
ended between the two (a loan classified 次级 on 10 June and repaid in part on 15 July read as
performing on 30 June).

For each loan its bank assessed whose history holds no change dated on or before the assessment,
the assessment becomes a change from its day: exactly what the tolerance read before. Changes
recorded since 0006 are dated as they happen and are left as they are. The reverse keeps the
rows (they are facts of the audit trail, not told apart from the others)."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Loan = apps.get_model("loans", "Loan")
    LoanClassification = apps.get_model("loans", "LoanClassification")
    earlier = LoanClassification.objects.filter(
        loan=OuterRef("pk"), effective_on__lte=OuterRef("assessed_on")
    )
    rows = (
        Loan.objects.filter(assessed_on__isnull=False)
        .exclude(assessed_classification="")
        .filter(~Exists(earlier))
        .values_list("pk", "assessed_on", "assessed_classification")
        .order_by("pk")
    )
    batch = []
    for pk, day, category in rows.iterator(chunk_size=2000):
        batch.append(LoanClassification(loan_id=pk, effective_on=day, category=category))
        if len(batch) >= 2000:
            LoanClassification.objects.bulk_create(batch)
            batch = []
    LoanClassification.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("loans", "0010_loan_securities")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
