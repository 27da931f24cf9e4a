"""The stored pre-check results of a ground of refusal the parties declared they proceed past (an
invalidation pending, a same-day invention: 办法 art. 12) become what the pre-check now answers: not
passed and not blocking, a warning (issue 13), instead of passed. Told apart from a rule met by the
declaration's wording, which only the declared result carries. Reversible."""

from django.db import migrations

RULES = ("no_invalidation_pending", "no_same_day_invention")
DECLARED = "have declared that they are aware"


def _rewrite(apps, schema_editor, *, to_warning: bool) -> None:
    Pledge = apps.get_model("pledges", "Pledge")
    declared = Pledge.objects.filter(proceed_despite_invalidation=True) | Pledge.objects.filter(
        proceed_despite_same_day=True
    )
    for pledge in declared.only("pk", "checks").iterator():
        changed = False
        checks = list(pledge.checks or [])
        for check in checks:
            if check.get("rule") not in RULES or DECLARED not in str(check.get("message_en", "")):
                continue
            if to_warning and check.get("passed"):
                check["passed"], check["blocking"] = False, False
                changed = True
            elif not to_warning and not check.get("passed"):
                check["passed"], check["blocking"] = True, True
                changed = True
        if changed:
            Pledge.objects.filter(pk=pledge.pk).update(checks=checks)


def forwards(apps, schema_editor) -> None:
    _rewrite(apps, schema_editor, to_warning=True)


def backwards(apps, schema_editor) -> None:
    _rewrite(apps, schema_editor, to_warning=False)


class Migration(migrations.Migration):
    dependencies = [("pledges", "0007_examiner_claims")]

    operations = [migrations.RunPython(forwards, backwards)]
