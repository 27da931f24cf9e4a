"""Pages of the outreach library (宣传与服务资源库), at /library/. Thin: parse the request, call
one selector or service of ipfin.outreach, render. The library is public (cases, guides,
events, experts with masked contacts) and links to the financing catalogue's policies and
products, which it does not copy. The office's buttons and forms show for `Perm.OUTREACH_PUBLISH`;
the services enforce. A refused or invalid form action shows its page again with the errors
next to their inputs (the UI kernel's `run_action`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.permissions import Perm, require
from ipfin.outreach import presentation, selectors, services
from ipfin.outreach.forms import (
    ArticleFilterForm,
    ArticleForm,
    CancelForm,
    EventFilterForm,
    EventForm,
    ExpertFilterForm,
    ExpertForm,
    LibrarySearchForm,
    PickForm,
    RegistrationForm,
)
from ipfin.outreach.models import Expert, ExpertPoolChoices
from ipfin.outreach.selectors import PAGE_SIZE, may_publish
from ipfin.web.views import domain_errors, run_action

INDEX_ITEMS = 4  # of each section on the library's front page
SEARCH_ITEMS = 10  # of each kind in the front page's search results
PICKS_SHOWN = 30  # the recent picks under the pick form


def _query(request: HttpRequest) -> str:
    """The page's GET parameters without `page` (for the pager's links)."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _paged(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


# --- the front page ------------------------------------------------------------------------------


@domain_errors
def library_index(request: HttpRequest) -> HttpResponse:
    """The library's front page: the latest cases and guides, the events open for registration,
    the pools and the catalogue's policies and products; with `q`, what matches it of each."""
    user = request.user
    form = LibrarySearchForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_bound and form.is_valid() else ""
    now = timezone.now()
    if q:
        context: dict[str, Any] = {
            "articles": list(selectors.article_list(actor=user, q=q)[:SEARCH_ITEMS]),
            "events": list(selectors.event_list(actor=user, q=q)[:SEARCH_ITEMS]),
            "experts": list(selectors.expert_list(actor=user, q=q)[:SEARCH_ITEMS]),
        }
    else:
        upcoming = selectors.event_list(actor=user).filter(ends_at__gte=now)
        context = {
            "cases": list(selectors.article_list(actor=user, kind="case")[:INDEX_ITEMS]),
            "guides": list(selectors.article_list(actor=user, kind="guide")[:INDEX_ITEMS]),
            "events": list(upcoming.order_by("starts_at", "id")[:INDEX_ITEMS]),
            "pools": [
                (value, label, selectors.expert_list(actor=user, pool=value).count())
                for value, label in ExpertPoolChoices.choices
            ],
        }
    for event in context["events"]:
        event.open = presentation.registration_open(event, now)
    context.update({"form": form, "q": q, "can_publish": may_publish(user), "now": now})
    valid = not form.is_bound or form.is_valid()
    return render(request, "outreach/index.html", context, status=200 if valid else 400)


# --- articles ------------------------------------------------------------------------------------


@domain_errors
def article_list(request: HttpRequest) -> HttpResponse:
    office = may_publish(request.user)
    form = ArticleFilterForm(request.GET, office=office)
    valid = form.is_valid()
    rows = selectors.article_list(actor=request.user, **(form.filters() if valid else {}))
    context = {"form": form, "page": _paged(request, rows), "query": _query(request),
               "can_publish": office}  # fmt: skip
    return render(request, "outreach/article_list.html", context, status=200 if valid else 400)


def _article_page(
    request: HttpRequest, article_id: int, *, status: int = 200, error: str = ""
) -> HttpResponse:
    article = selectors.article_get(actor=request.user, pk=article_id)
    context = {"article": article, "can_publish": may_publish(request.user), "action_error": error}
    return render(request, "outreach/article_detail.html", context, status=status)


@domain_errors
def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    return _article_page(request, article_id)


def _form_page(
    request: HttpRequest,
    template: str,
    form: Any,
    *,
    status: int = 200,
    error: str = "",
    **extra: Any,
) -> HttpResponse:
    return render(request, template, {"form": form, "action_error": error, **extra}, status=status)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def article_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.OUTREACH_PUBLISH)
    template = "outreach/article_form.html"
    if request.method != "POST":
        return _form_page(request, template, ArticleForm())
    form = ArticleForm(request.POST)
    made: dict[str, Any] = {}

    def act() -> str:
        made["article"] = services.article_create(actor=request.user, **form.create_kwargs())
        return _("已保存为草稿，发布后向社会公开。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("outreach:article_detail", article_id=made["article"].pk),
        on_failure=lambda status, error: _form_page(
            request, template, form, status=status, error=error
        ),
    )


def _article_action(request: HttpRequest, article_id: int, act: Callable[[], str]) -> HttpResponse:
    return run_action(
        request,
        act,
        on_success=lambda: redirect("outreach:article_detail", article_id=article_id),
        on_failure=lambda status, error: _article_page(
            request, article_id, status=status, error=error
        ),
    )


@login_required
@domain_errors
@require_POST
def article_publish(request: HttpRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get(actor=request.user, pk=article_id)

    def act() -> str:
        services.article_publish(actor=request.user, article=article)
        return _("文章已发布。")

    return _article_action(request, article_id, act)


@login_required
@domain_errors
@require_POST
def article_withdraw(request: HttpRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get(actor=request.user, pk=article_id)

    def act() -> str:
        services.article_withdraw(actor=request.user, article=article)
        return _("文章已撤回，不再公开。")

    return _article_action(request, article_id, act)


# --- events --------------------------------------------------------------------------------------


@domain_errors
def event_list(request: HttpRequest) -> HttpResponse:
    office = may_publish(request.user)
    form = EventFilterForm(request.GET, office=office)
    valid = form.is_valid()
    rows = selectors.event_list(actor=request.user, **(form.filters() if valid else {}))
    page = _paged(request, rows)
    page.object_list = list(page.object_list)
    now = timezone.now()
    for event in page.object_list:
        event.open = presentation.registration_open(event, now)
    context = {"form": form, "page": page, "query": _query(request), "can_publish": office}
    return render(request, "outreach/event_list.html", context, status=200 if valid else 400)


def event_page(
    request: HttpRequest,
    event_id: int,
    *,
    status: int = 200,
    error: str = "",
    register_form: RegistrationForm | None = None,
    cancel_form: CancelForm | None = None,
) -> HttpResponse:
    """The event's page: its facts, the registration form while registration is open (for a
    logged-in organisation), the caller's own registrations (the office: all, with check-in);
    after a refused action, again with the refusal in place."""
    user = request.user
    event = selectors.event_get(actor=user, pk=event_id)
    now = timezone.now()
    closed = presentation.registration_closed_reason(event, now)
    context = {
        "event": event,
        "places_left": presentation.places_left(event),
        "closed": closed,
        "register_form": register_form or RegistrationForm(),
        "cancel_form": cancel_form or CancelForm(),
        "registrations": list(selectors.registration_list(actor=user, event=event)),
        "can_publish": may_publish(user),
        "logged_in": user.is_authenticated,
        "has_organisation": getattr(user, "organisation_id", None) is not None,
        "action_error": error,
    }
    return render(request, "outreach/event_detail.html", context, status=status)


@domain_errors
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    return event_page(request, event_id)


@login_required
@domain_errors
@require_POST
def event_register(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.event_get(actor=request.user, pk=event_id)
    form = RegistrationForm(request.POST)

    def act() -> str:
        row = services.event_register(actor=request.user, event=event, **form.cleaned_data)
        return _("报名成功：%(name)s。") % {"name": row.attendee_name}

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("outreach:event_detail", event_id=event_id),
        on_failure=lambda status, error: event_page(
            request, event_id, status=status, error=error, register_form=form
        ),
    )


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def event_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.OUTREACH_PUBLISH)
    template = "outreach/event_form.html"
    if request.method != "POST":
        return _form_page(request, template, EventForm())
    form = EventForm(request.POST)
    made: dict[str, Any] = {}

    def act() -> str:
        made["event"] = services.event_create(actor=request.user, **form.cleaned_data)
        return _("活动已保存为草稿，发布后开放报名。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("outreach:event_detail", event_id=made["event"].pk),
        on_failure=lambda status, error: _form_page(
            request, template, form, status=status, error=error
        ),
    )


def _event_action(
    request: HttpRequest, event_id: int, act: Callable[[], str], form: Any = None
) -> HttpResponse:
    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("outreach:event_detail", event_id=event_id),
        on_failure=lambda status, error: event_page(
            request, event_id, status=status, error=error, cancel_form=form
        ),
    )


@login_required
@domain_errors
@require_POST
def event_publish(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.event_get(actor=request.user, pk=event_id)

    def act() -> str:
        services.event_publish(actor=request.user, event=event)
        return _("活动已发布，开放报名。")

    return _event_action(request, event_id, act)


@login_required
@domain_errors
@require_POST
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.event_get(actor=request.user, pk=event_id)
    form = CancelForm(request.POST)

    def act() -> str:
        services.event_cancel(actor=request.user, event=event, reason=form.cleaned_data["reason"])
        return _("活动已取消，已报名的机构将收到通知。")

    return _event_action(request, event_id, act, form)


@login_required
@domain_errors
@require_POST
def registration_check_in(request: HttpRequest, registration_id: int) -> HttpResponse:
    registration = selectors.registration_get(actor=request.user, pk=registration_id)
    event_id = registration.event_id

    def act() -> str:
        services.registration_check_in(actor=request.user, registration=registration)
        return _("%(name)s 已签到。") % {"name": registration.attendee_name}

    return _event_action(request, event_id, act)


# --- the expert and talent pools ------------------------------------------------------------------


@domain_errors
def expert_list(request: HttpRequest) -> HttpResponse:
    office = may_publish(request.user)
    form = ExpertFilterForm(request.GET)
    valid = form.is_valid()
    inactive = office and request.GET.get("inactive") == "1"
    rows = selectors.expert_list(
        actor=request.user, include_inactive=inactive, **(form.filters() if valid else {})
    )
    context = {
        "form": form,
        "page": _paged(request, rows),
        "query": _query(request),
        "can_publish": office,
        "inactive": inactive,
    }
    return render(request, "outreach/expert_list.html", context, status=200 if valid else 400)


def _expert_page(
    request: HttpRequest, expert_id: int, *, status: int = 200, error: str = ""
) -> HttpResponse:
    expert = selectors.expert_get(actor=request.user, pk=expert_id)
    context = {"expert": expert, "can_publish": may_publish(request.user), "action_error": error}
    return render(request, "outreach/expert_detail.html", context, status=status)


@domain_errors
def expert_detail(request: HttpRequest, expert_id: int) -> HttpResponse:
    return _expert_page(request, expert_id)


def _expert_initial(expert: Expert) -> dict[str, Any]:
    return {
        "pool": expert.pool,
        "name": expert.name,
        "organisation_name": expert.organisation_name,
        "title": expert.title,
        "fields": "、".join(expert.fields_of_expertise),
        "phone": expert.phone,
        "email": expert.email,
        "bio": expert.bio,
    }


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def expert_new(request: HttpRequest) -> HttpResponse:
    return _expert_form(request, None)


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def expert_edit(request: HttpRequest, expert_id: int) -> HttpResponse:
    require(request.user, Perm.OUTREACH_PUBLISH)
    return _expert_form(request, selectors.expert_get(actor=request.user, pk=expert_id))


def _expert_form(request: HttpRequest, expert: Expert | None) -> HttpResponse:
    require(request.user, Perm.OUTREACH_PUBLISH)
    template = "outreach/expert_form.html"
    if request.method != "POST":
        initial = _expert_initial(expert) if expert is not None else {}
        return _form_page(request, template, ExpertForm(initial=initial), expert=expert)
    form = ExpertForm(request.POST)
    made: dict[str, Any] = {}

    def act() -> str:
        if expert is None:
            made["expert"] = services.expert_add(actor=request.user, **form.expert_kwargs())
            return _("已入库。")
        made["expert"] = services.expert_update(
            actor=request.user, expert=expert, **form.expert_kwargs()
        )
        return _("已保存。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("outreach:expert_detail", expert_id=made["expert"].pk),
        on_failure=lambda status, error: _form_page(
            request, template, form, status=status, error=error, expert=expert
        ),
    )


@login_required
@domain_errors
@require_POST
def expert_deactivate(request: HttpRequest, expert_id: int) -> HttpResponse:
    expert = selectors.expert_get(actor=request.user, pk=expert_id)

    def act() -> str:
        services.expert_deactivate(actor=request.user, expert=expert)
        return _("已出库，不再公开展示，也不再被抽取。")

    return run_action(
        request,
        act,
        on_success=lambda: redirect("outreach:expert_detail", expert_id=expert_id),
        on_failure=lambda status, error: _expert_page(
            request, expert_id, status=status, error=error
        ),
    )


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def expert_pick(request: HttpRequest) -> HttpResponse:
    """The office picks experts for a review: the least recently picked of the field first; the
    picked experts' contacts are shown whole (the office calls them)."""
    require(request.user, Perm.OUTREACH_PUBLISH)
    if request.method != "POST":
        return _pick_page(request, PickForm())
    form = PickForm(request.POST)

    def act() -> str:
        picked = services.expert_pick(actor=request.user, **form.cleaned_data)
        return _("已抽取 %(n)s 名专家：%(names)s。") % {
            "n": len(picked),
            "names": "、".join(x.name for x in picked),
        }

    return run_action(
        request,
        act,
        form=form,
        # Back to the page, whose table of recent picks now starts with these (a reload does not
        # pick again).
        on_success=lambda: redirect("outreach:expert_pick"),
        on_failure=lambda status, error: _pick_page(request, form, status=status, error=error),
    )


def _pick_page(
    request: HttpRequest, form: PickForm, *, status: int = 200, error: str = ""
) -> HttpResponse:
    picks = list(selectors.pick_list(actor=request.user)[:PICKS_SHOWN])
    return _form_page(
        request, "outreach/expert_pick.html", form, status=status, error=error, picks=picks
    )
