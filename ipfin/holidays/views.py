"""The working-day calendar's pages: every year and where its arrangement comes from (public), a
year's days, and the form on which an IP office administrator records a year's notice."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ipfin.accounts.permissions import Perm, has_perm, require
from ipfin.holidays import selectors, services
from ipfin.holidays.domain import FIRST_YEAR, LAST_YEAR, DayKind
from ipfin.holidays.forms import ArrangementForm, arrangement_lines
from ipfin.web.views import domain_errors, run_action


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
    if request.method == "POST":
        form = ArrangementForm(request.POST, language=language)
    else:
        form = ArrangementForm(
            language=language,
            initial={
                "notice": view.notice,
                "published_on": view.published_on,
                "holidays": arrangement_lines(view.days(DayKind.HOLIDAY)),
                "workdays": arrangement_lines(view.days(DayKind.WORKDAY)),
                "version": view.version,
            },
        )

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {"view": view, "form": form, "action_error": error}
        return render(request, "holidays/calendar_edit.html", context, status=status)

    if request.method != "POST":
        return page()

    def act() -> str:
        services.arrangement_save(
            actor=request.user,
            year=year,
            version=form.cleaned_data["version"],
            notice=form.cleaned_data["notice"],
            published_on=form.cleaned_data["published_on"],
            days=form.cleaned_data["days"],
        )
        return _("已保存 %(year)s 年节假日安排。") % {"year": year}

    # The service's problems (one per day or field) go next to their inputs (BaseForm).
    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("holidays:calendar_year", year=year),
        on_failure=page,
    )
