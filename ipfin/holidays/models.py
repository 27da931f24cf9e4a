"""The IP office's record of each year's holiday arrangement (国务院办公厅关于××年部分节假日安排
的通知): the source of working days for every deadline, before the chinese_calendar package."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DayKindChoices(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class HolidayArrangement(models.Model):
    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    notice = models.CharField(_("通知名称及文号"), max_length=200)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Optimistic locking (ipfin.common.versioning): one more on every save; an edit names the
    # version it was made from, and a stale one is refused (409 version_conflict).
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2004) & Q(year__lte=2100), name="holiday_year_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.notice}"


class HolidayArrangementDay(models.Model):
    arrangement = models.ForeignKey(
        HolidayArrangement, on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=8, choices=DayKindChoices.choices)
    festival = models.CharField(_("节日"), max_length=32, blank=True)

    class Meta:
        ordering = ["day"]
