"""Seed the published Loan Prime Rate fixings (贷款市场报价利率, LPR).

Source: 中国人民银行授权全国银行间同业拆借中心公布贷款市场报价利率（LPR）公告 — the announcements
published on www.pbc.gov.cn and www.chinamoney.com.cn (the 20th of each month, the next working day
when it is not one). Each row is the fixing of a month in which the rate changed; the rate holds
until the next change:
- 2024-07-22: 1年期 3.35%, 5年期以上 3.85% (cut by 10 bp)
- 2024-10-21: 1年期 3.10%, 5年期以上 3.60% (cut by 25 bp)
- 2025-05-20: 1年期 3.00%, 5年期以上 3.50% (cut by 10 bp; unchanged in the fixings that followed)
Later fixings go in with a new data migration (or an admin entry) when they change.

Reversible: the reverse removes exactly these rows.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations

FIXINGS = [
    (date(2024, 7, 22), "1y", Decimal("0.03350")),
    (date(2024, 7, 22), "5y", Decimal("0.03850")),
    (date(2024, 10, 21), "1y", Decimal("0.03100")),
    (date(2024, 10, 21), "5y", Decimal("0.03600")),
    (date(2025, 5, 20), "1y", Decimal("0.03000")),
    (date(2025, 5, 20), "5y", Decimal("0.03500")),
]


def seed(apps, schema_editor):
    LprQuote = apps.get_model("financing", "LprQuote")
    for day, tenor, rate in FIXINGS:
        LprQuote.objects.update_or_create(date=day, tenor=tenor, defaults={"rate": rate})


def unseed(apps, schema_editor):
    LprQuote = apps.get_model("financing", "LprQuote")
    for day, tenor, _rate in FIXINGS:
        LprQuote.objects.filter(date=day, tenor=tenor).delete()


class Migration(migrations.Migration):
    dependencies = [("financing", "0002_demand_loan_and_reminder_day")]

    operations = [migrations.RunPython(seed, unseed)]
