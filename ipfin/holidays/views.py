"""The working-day calendar's pages: every year and where its arrangement comes from (public), a
year's days, and the form on which an IP office administrator records a year's notice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ipfin.accounts.permissions import Perm, has_perm, require
from ipfin.common.errors import DomainError
from ipfin.holidays import selectors, services
from ipfin.holidays.domain import FIRST_YEAR, LAST_YEAR, DayKind
from ipfin.holidays.forms import ArrangementForm, arrangement_lines
from ipfin.web.views import action_refusal, domain_errors


def _year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    return year


def calendar_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    years = selectors.calendar_years(today)
    context = {
        "years": years,
        "missing_year": selectors.working_calendar().missing_year(today),
        "can_manage": has_perm(request.user, Perm.CALENDAR_MANAGE),
    }
    return render(request, "holidays/calendar_list.html", context)


def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    view = selectors.year_view(_year_or_404(year))
    context = {
        "view": view,
        "holidays": view.days(DayKind.HOLIDAY),
        "workdays": view.days(DayKind.WORKDAY),
        "can_manage": has_perm(request.user, Perm.CALENDAR_MANAGE),
    }
    return render(request, "holidays/calendar_year.html", context)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, year: int) -> HttpResponse:
    require(request.user, Perm.CALENDAR_MANAGE)
    view = selectors.year_view(_year_or_404(year))
    language = get_language() or "zh-hans"
    status, error = 200, ""
    if request.method == "POST":
        form = ArrangementForm(request.POST, language=language)
        status, error = 400, _("请检查填写的内容。")
        if form.is_valid():
            try:
                services.arrangement_save(
                    actor=request.user,
                    year=year,
                    notice=form.cleaned_data["notice"],
                    published_on=form.cleaned_data["published_on"],
                    days=form.cleaned_data["days"],
                )
            except DomainError as exc:
                status, error = action_refusal(exc)
                for problem in exc.extra.get("problems", []):
                    field = problem["field"] if problem["field"] in form.fields else None
                    text = problem["message_en" if language.startswith("en") else "message_zh"]
                    form.add_error(field, text)
            else:
                messages.success(request, _("已保存 %(year)s 年节假日安排。") % {"year": year})
                return redirect("holidays:calendar_year", year=year)
    else:
        form = ArrangementForm(
            language=language,
            initial={
                "notice": view.notice,
                "published_on": view.published_on,
                "holidays": arrangement_lines(view.days(DayKind.HOLIDAY)),
                "workdays": arrangement_lines(view.days(DayKind.WORKDAY)),
            },
        )
    context = {"view": view, "form": form, "error": error}
    return render(request, "holidays/calendar_edit.html", context, status=status)
