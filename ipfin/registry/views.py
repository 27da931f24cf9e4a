"""The register's pages: the search and a right's page (status, timeline, owners, licences,
public pledge entries); the office records legal events and the facts of the true term there."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ipfin.accounts.permissions import Perm, has_perm, require
from ipfin.registry import selectors as registry_selectors
from ipfin.registry import services as registry_services
from ipfin.registry.domain import compensation_days
from ipfin.registry.encumbrances import public_pledges_for_right
from ipfin.registry.forms import (
    RightEventForm,
    RightSearchForm,
    RightTermFactsForm,
    right_number_or_none,
)
from ipfin.registry.models import RightKindChoices
from ipfin.registry.presenters import (
    annuity_caveat,
    event_detail,
    licence_type_label,
    right_timeline,
)
from ipfin.web.views import domain_errors, error_404, run_action, search_refused

SEARCH_LIMIT = 50
LIST_LIMIT = 100

# --- the register --------------------------------------------------------------------------------


@domain_errors
def right_search(request: HttpRequest) -> HttpResponse:
    form = RightSearchForm(request.GET)
    valid = form.is_valid()  # a NUL or over-long term, an unknown kind: a form error, no search
    q = form.cleaned_data["q"].strip() if valid else ""
    kind = form.cleaned_data["kind"] if valid else ""
    today = timezone.localdate()
    rows: list[Any] = []
    searched = bool(q or kind)
    if searched:
        refused = search_refused(
            request,
            "registry/right_search.html",
            {"form": form, "q": q, "kind": kind, "kinds": RightKindChoices.choices},
        )
        if refused is not None:
            return refused
        rights = list(registry_selectors.rights_search(q=q, kind=kind or None)[:SEARCH_LIMIT])
        statuses = registry_selectors.rights_status_bulk(rights, on=today)
        rows = [(r, statuses[r.pk]) for r in rights]
    context = {
        "form": form,
        "q": q,
        "kind": kind,
        "kinds": RightKindChoices.choices,
        "rows": rows,
        "searched": searched,
        "limit": SEARCH_LIMIT,
        "today": today,
    }
    return render(request, "registry/right_search.html", context, status=200 if valid else 400)


@domain_errors
@require_http_methods(["GET", "POST"])
def right_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The right's page; an examiner records a transfer or a licence (with its price) by POST."""
    if right_number_or_none(number) is None:  # NUL or over-long: no right has such a number
        return error_404(request)
    right = registry_selectors.right_get(number=number)
    can_record = has_perm(request.user, Perm.REGISTRY_WRITE)
    event_form = RightEventForm() if can_record else None
    terms_form = RightTermFactsForm.for_right(right) if can_record else None
    if request.method != "POST":
        return _right_page(request, right, event_form=event_form, terms_form=terms_form)
    require(request.user, Perm.REGISTRY_WRITE)
    if request.POST.get("form") == "term_facts":
        terms_form = RightTermFactsForm(request.POST, kind=right.kind)
        form: Any = terms_form

        def act() -> str:
            registry_services.right_term_facts_set(
                actor=request.user,
                right=right,
                version=terms_form.cleaned_data["version"],
                **terms_form.facts(),
            )
            return _("保护期相关事实已登记。")

    else:
        event_form = RightEventForm(request.POST)
        form = event_form

        def act() -> str:
            registry_services.right_event_record(
                actor=request.user,
                right=right,
                type=event_form.cleaned_data["type"],
                date=event_form.cleaned_data["date"],
                payload=event_form.payload(),
            )
            return _("事件已登记。")

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("registry:right_detail", number=right.number),
        on_failure=lambda status, error: _right_page(
            request,
            right,
            event_form=event_form,
            terms_form=terms_form,
            status=status,
            error=error,
        ),
    )


def _right_page(
    request: HttpRequest,
    right: Any,
    *,
    event_form: Any,
    terms_form: Any,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    """The right's page; after a refused or invalid recording, again with the forms as filled and
    the refusal in place, at its status."""
    today = timezone.localdate()
    # One query for the event log; the selectors below use the prefetched events.
    prefetch_related_objects([right], "events")
    events = list(right.events.all())
    facts = registry_selectors.right_facts(right)
    right_status = registry_selectors.right_status(right, on=today)
    owners = registry_selectors.owner_history(right)
    licences = [
        {
            "event": e,
            "type": licence_type_label(str(e.payload.get("licence_type", ""))),
            "licensee": e.payload.get("licensee", ""),
            "detail": event_detail(e),
        }
        for e in events
        if e.type == "licence"
    ]
    context = {
        "right": right,
        "status": right_status,
        "annuity_payable_until": registry_selectors.annuity_payable_until(right_status),
        "today": today,
        "timeline": right_timeline(right, facts, events, today=today),
        "owners": owners,
        "licences": licences,
        "public_pledges": public_pledges_for_right(right),
        "annuity_caveat": annuity_caveat(right, right_status, events, today=today),
        "event_form": event_form,
        "terms_form": terms_form,
        "term_note": _localized_pair(registry_selectors.right_term_note(right)),
        "compensation_days": compensation_days(facts.events),
        "action_error": error,
    }
    return render(request, "registry/right_detail.html", context, status=status)


def _localized_pair(pair: tuple[str, str] | None) -> str:
    """The (Chinese, English) text in the page's language; '' for None."""
    if pair is None:
        return ""
    return pair[1] if (get_language() or "").startswith("en") else pair[0]
