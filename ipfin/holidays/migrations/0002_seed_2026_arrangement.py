"""Seed: the 2026 holiday arrangement, from 国务院办公厅关于2026年部分节假日安排的通知 (published
4 November 2025, 新华社). When the next year's notice is published, the IP office enters it on the
calendar page; a release may also carry it as a data migration like this one.
"""

from datetime import date, timedelta

from django.db import migrations

YEAR = 2026
NOTICE = "国务院办公厅关于2026年部分节假日安排的通知"
PUBLISHED_ON = date(2025, 11, 4)
# (first day, last day, festival): 放假 (days off, weekend days inside included).
HOLIDAYS = [
    (date(2026, 1, 1), date(2026, 1, 3), "元旦"),
    (date(2026, 2, 15), date(2026, 2, 23), "春节"),
    (date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    (date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    (date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    (date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
]
# 调休上班 (weekend days worked).
WORKDAYS = [
    (date(2026, 1, 4), "元旦"),
    (date(2026, 2, 14), "春节"),
    (date(2026, 2, 28), "春节"),
    (date(2026, 5, 9), "劳动节"),
    (date(2026, 9, 20), "国庆节"),
    (date(2026, 10, 10), "国庆节"),
]


def seed(apps, schema_editor):
    Arrangement = apps.get_model("holidays", "HolidayArrangement")
    Day = apps.get_model("holidays", "HolidayArrangementDay")
    if Arrangement.objects.filter(year=YEAR).exists():
        return  # the office recorded it already: its record stands
    arrangement = Arrangement.objects.create(year=YEAR, notice=NOTICE, published_on=PUBLISHED_ON)
    days = []
    for first, last, festival in HOLIDAYS:
        day = first
        while day <= last:
            days.append(Day(arrangement=arrangement, day=day, kind="holiday", festival=festival))
            day += timedelta(days=1)
    days += [
        Day(arrangement=arrangement, day=day, kind="workday", festival=festival)
        for day, festival in WORKDAYS
    ]
    Day.objects.bulk_create(days)


def unseed(apps, schema_editor):
    apps.get_model("holidays", "HolidayArrangement").objects.filter(
        year=YEAR, notice=NOTICE, updated_by__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("holidays", "0001_arrangement")]

    operations = [migrations.RunPython(seed, unseed)]
