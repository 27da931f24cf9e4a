"""Pages of the demonstration-zone index (示范区指数), at /index/. Thin: parse the request, call
one selector or service of ipfin.zoneindex, render.

- Public: the ranking (the latest published run of each system: each zone's score, rank and each
  indicator's contribution, as a number and a bar) and each zone's history (its score and rank
  in every published run, by year).
- The IP office's (`Perm.ZONE_INDEX_MANAGE`): the indicator systems, a system's page (its
  indicators, edited while it is a draft; activation; a new version; the workbook of values with
  its wrong rows listed next to the file input; computing a run), a run's page (its inputs, its
  reproduction from them, publishing it after a confirmation).
A refused or invalid form action shows its page again with the errors next to their inputs (the
UI kernel's `run_action`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.permissions import Perm, require
from ipfin.accounts.ratelimit import ANON_READ_THROTTLE
from ipfin.common.errors import DomainError
from ipfin.web.views import domain_errors, run_action, search_refused
from ipfin.zoneindex import presentation, selectors, services
from ipfin.zoneindex.forms import (
    IndicatorForm,
    RunForm,
    SystemForm,
    SystemSettingsForm,
    ValuesUploadForm,
)
from ipfin.zoneindex.models import IndicatorSource, IndicatorSystem, SystemState

RUNS_SHOWN = 50


# --- public --------------------------------------------------------------------------------------


@domain_errors
def ranking(request: HttpRequest) -> HttpResponse:
    # Public: an anonymous address past IPFIN_ANON_READ_RATE is refused before anything is read.
    refused = search_refused(request, "zoneindex/ranking.html", {}, ANON_READ_THROTTLE)
    if refused is not None:
        return refused
    rankings = [(run, presentation.run_table(run)) for run in selectors.published_latest()]
    return render(request, "zoneindex/ranking.html", {"rankings": rankings})


@domain_errors
def zone_history(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = selectors.zone_get(pk=zone_id)
    refused = search_refused(
        request, "zoneindex/zone_history.html", {"zone": zone}, ANON_READ_THROTTLE
    )
    if refused is not None:
        return refused
    history = presentation.history_rows(selectors.zone_history(zone=zone))
    context = {"zone": zone, "history": history}
    return render(request, "zoneindex/zone_history.html", context)


# --- the office's systems ------------------------------------------------------------------------


@login_required
@domain_errors
def system_list(request: HttpRequest) -> HttpResponse:
    systems = list(selectors.system_list(actor=request.user))
    return render(request, "zoneindex/system_list.html", {"systems": systems})


def _form_page(
    request: HttpRequest, template: str, form: Any, *, status: int = 200, error: str = "", **kw: Any
) -> HttpResponse:
    return render(request, template, {"form": form, "action_error": error, **kw}, status=status)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def system_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.ZONE_INDEX_MANAGE)
    template = "zoneindex/system_form.html"
    if request.method != "POST":
        return _form_page(request, template, SystemForm())
    form = SystemForm(request.POST)
    made: list[IndicatorSystem] = []

    def act() -> str:
        made.append(services.system_create(actor=request.user, **form.cleaned_data))
        return _("指标体系已创建（草稿），请添加指标。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("zoneindex:system_detail", made[0].pk),
        on_failure=lambda status, error: _form_page(
            request, template, form, status=status, error=error
        ),
    )


def _detail_page(
    request: HttpRequest,
    system: IndicatorSystem,
    *,
    status: int = 200,
    error: str = "",
    upload_form: ValuesUploadForm | None = None,
    run_form: RunForm | None = None,
) -> HttpResponse:
    indicators = list(system.indicators.all())
    context = {
        "system": system,
        "indicators": indicators,
        "uploaded_codes": [i.code for i in indicators if i.source == IndicatorSource.UPLOADED],
        "draft": system.state == SystemState.DRAFT,
        "active": system.state == SystemState.ACTIVE,
        "value_years": selectors.value_years(actor=request.user, system=system),
        "runs": list(selectors.index_run_list(actor=request.user, system=system)[:RUNS_SHOWN]),
        "upload_form": upload_form or ValuesUploadForm(),
        "run_form": run_form or RunForm(),
        "action_error": error,
    }
    return render(request, "zoneindex/system_detail.html", context, status=status)


@login_required
@domain_errors
def system_detail(request: HttpRequest, system_id: int) -> HttpResponse:
    return _detail_page(request, selectors.system_get(actor=request.user, pk=system_id))


def _system_action(
    request: HttpRequest,
    system_id: int,
    act: Any,
    *,
    then: Any = None,
    form: Any = None,
    **forms: Any,
) -> HttpResponse:
    """A form action on the system's page: on success to `then()` (else the page again), on a
    refusal the page again with the error (and the form's errors in place)."""
    system = selectors.system_get(actor=request.user, pk=system_id)
    return run_action(
        request,
        lambda: act(system),
        form=form,
        on_success=then or (lambda: redirect("zoneindex:system_detail", system.pk)),
        on_failure=lambda status, error: _detail_page(
            request,
            selectors.system_get(actor=request.user, pk=system_id),
            status=status,
            error=error,
            **forms,
        ),
    )


@login_required
@domain_errors
@require_POST
def system_activate(request: HttpRequest, system_id: int) -> HttpResponse:
    def act(system: IndicatorSystem) -> str:
        services.system_activate(actor=request.user, system=system)
        return _("已启用该版本；同名的原启用版本已停用。")

    return _system_action(request, system_id, act)


@login_required
@domain_errors
@require_POST
def system_new_version(request: HttpRequest, system_id: int) -> HttpResponse:
    made: list[IndicatorSystem] = []

    def act(system: IndicatorSystem) -> str:
        made.append(services.system_new_version(actor=request.user, system=system))
        return _("已创建新版本（草稿），复制了指标和已上传的数值。")

    return _system_action(
        request,
        system_id,
        act,
        then=lambda: redirect("zoneindex:system_detail", made[0].pk),
    )


@login_required
@domain_errors
@require_POST
def values_upload(request: HttpRequest, system_id: int) -> HttpResponse:
    form = ValuesUploadForm(request.POST, request.FILES)

    def act(system: IndicatorSystem) -> str:
        upload = services.zone_values_upload(
            actor=request.user,
            system=system,
            year=form.cleaned_data["year"],
            uploaded_file=form.cleaned_data["file"],
        )
        return _(
            "已保存 %(year)s 年度的 %(rows)s 个数值（新增 %(created)s，更新 %(updated)s）。"
        ) % {
            "year": upload.year,
            "rows": upload.rows,
            "created": upload.created,
            "updated": upload.updated,
        }

    return _system_action(request, system_id, act, form=form, upload_form=form)


@login_required
@domain_errors
@require_POST
def run_compute(request: HttpRequest, system_id: int) -> HttpResponse:
    form = RunForm(request.POST)
    made: list[Any] = []

    def act(system: IndicatorSystem) -> str:
        made.append(
            services.index_compute(
                actor=request.user, system=system, year=form.cleaned_data["year"]
            )
        )
        return _("指数已计算，核对后可发布。")

    return _system_action(
        request,
        system_id,
        act,
        form=form,
        run_form=form,
        then=lambda: redirect("zoneindex:run_detail", made[0].pk),
    )


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def system_settings(request: HttpRequest, system_id: int) -> HttpResponse:
    system = selectors.system_get(actor=request.user, pk=system_id)
    template = "zoneindex/system_settings.html"
    initial = {"method": system.method, "weighting": system.weighting}
    if request.method != "POST":
        return _form_page(request, template, SystemSettingsForm(initial=initial), system=system)
    form = SystemSettingsForm(request.POST, initial=initial)

    def act() -> str:
        services.system_edit(actor=request.user, system=system, **form.cleaned_data)
        return _("已保存。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("zoneindex:system_detail", system.pk),
        on_failure=lambda status, error: _form_page(
            request, template, form, status=status, error=error, system=system
        ),
    )


# --- indicators ----------------------------------------------------------------------------------


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def indicator_new(request: HttpRequest, system_id: int) -> HttpResponse:
    system = selectors.system_get(actor=request.user, pk=system_id)
    template = "zoneindex/indicator_form.html"
    if request.method != "POST":
        return _form_page(request, template, IndicatorForm(), system=system)
    form = IndicatorForm(request.POST)

    def act() -> str:
        services.indicator_add(actor=request.user, system=system, **form.service_kwargs())
        return _("指标已添加。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("zoneindex:system_detail", system.pk),
        on_failure=lambda status, error: _form_page(
            request, template, form, status=status, error=error, system=system
        ),
    )


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = selectors.indicator_get(actor=request.user, pk=indicator_id)
    system = indicator.system
    template = "zoneindex/indicator_form.html"
    context = {"system": system, "indicator": indicator}
    if request.method != "POST":
        return _form_page(request, template, IndicatorForm(indicator=indicator), **context)
    form = IndicatorForm(request.POST, indicator=indicator)

    def act() -> str:
        services.indicator_edit(actor=request.user, indicator=indicator, **form.service_kwargs())
        return _("指标已保存。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("zoneindex:system_detail", system.pk),
        on_failure=lambda status, error: _form_page(
            request, template, form, status=status, error=error, **context
        ),
    )


@login_required
@domain_errors
@require_POST
def indicator_remove(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = selectors.indicator_get(actor=request.user, pk=indicator_id)

    def act(system: IndicatorSystem) -> str:
        services.indicator_remove(actor=request.user, indicator=indicator)
        return _("指标已删除。")

    return _system_action(request, indicator.system_id, act)


# --- runs ----------------------------------------------------------------------------------------


def _run_page(
    request: HttpRequest, index_run_id: int, *, status: int = 200, error: str = ""
) -> HttpResponse:
    run = selectors.index_run_get(actor=request.user, pk=index_run_id)
    try:
        services.index_run_reproduce(run=run)
        reproduced = True
    except DomainError:
        reproduced = False
    context = {
        "run": run,
        "table": presentation.run_table(run),
        "reproduced": reproduced,
        "action_error": error,
    }
    return render(request, "zoneindex/run_detail.html", context, status=status)


@login_required
@domain_errors
def run_detail(request: HttpRequest, index_run_id: int) -> HttpResponse:
    return _run_page(request, index_run_id)


@login_required
@domain_errors
@require_POST
def run_publish(request: HttpRequest, index_run_id: int) -> HttpResponse:
    run = selectors.index_run_get(actor=request.user, pk=index_run_id)

    def act() -> str:
        services.index_publish(actor=request.user, run=run)
        return _("指数已发布。")

    return run_action(
        request,
        act,
        on_success=lambda: redirect("zoneindex:run_detail", run.pk),
        on_failure=lambda status, error: _run_page(request, run.pk, status=status, error=error),
    )
