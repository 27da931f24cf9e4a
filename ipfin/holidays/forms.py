"""The form an IP office administrator fills from the State Council's notice. Shape only: the lines
are read by the domain's parser; every rule is the service's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ipfin.holidays.domain import ArrangementDay, DayKind, parse_day_lines
from ipfin.holidays.services import MAX_NOTICE_LENGTH
from ipfin.web.forms import DateInput, VersionedForm

_MAX_TEXT = 20_000


class ArrangementForm(VersionedForm):
    notice = forms.CharField(
        label=_("通知名称及文号"),
        max_length=MAX_NOTICE_LENGTH,
        help_text=_("例如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕×号）"),
    )
    published_on = forms.DateField(label=_("发布日期"), required=False, widget=DateInput())
    holidays = forms.CharField(
        label=_("放假日期（每行一天或一个区间，后接节日名称）"),
        max_length=_MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 9}),
        help_text=_("例如：2027-02-06 至 2027-02-13 春节"),
    )
    workdays = forms.CharField(
        label=_("调休上班日期（周六或周日，每行一天）"),
        max_length=_MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("例如：2027-02-14 春节"),
    )

    def __init__(self, *args: Any, language: str = "zh-hans", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language = language

    def _lines(self, field: str, kind: DayKind) -> list[ArrangementDay]:
        days, problems = parse_day_lines(self.cleaned_data.get(field) or "", kind, field)
        for problem in problems:
            self.add_error(
                field, problem.message_en if self.language.startswith("en") else problem.message_zh
            )
        return days

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            data["days"] = self._lines("holidays", DayKind.HOLIDAY) + self._lines(
                "workdays", DayKind.WORKDAY
            )
        return data


def arrangement_lines(days: list[tuple[Any, str]]) -> str:
    """Days as the form shows them: consecutive days of one festival joined into a range."""
    lines: list[str] = []
    run: list[tuple[Any, str]] = []

    def flush() -> None:
        if run:
            first, last, name = run[0][0], run[-1][0], run[0][1]
            span = f"{first.isoformat()}" if first == last else f"{first} 至 {last}"
            lines.append(f"{span} {name}".strip())
            run.clear()

    for day, name in days:
        if run and ((day - run[-1][0]).days != 1 or name != run[-1][1]):
            flush()
        run.append((day, name))
    flush()
    return "\n".join(lines)
