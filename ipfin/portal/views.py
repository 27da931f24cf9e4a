"""The portal: login and logout, each role's workbench (home) and the public query of the
register and its pledges. It reads across the apps (the top of the dependency order); views stay
thin: one selector per panel."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.models import Notification, OrganisationKind
from ipfin.accounts.permissions import Perm, has_perm, require_login
from ipfin.accounts.selectors import api_token_get, api_tokens_of, notification_list
from ipfin.accounts.services import api_token_issue, api_token_revoke
from ipfin.accounts.throttle import (
    login_attempt_failed,
    login_attempt_start,
    login_attempt_succeeded,
)
from ipfin.audit import selectors as audit_selectors
from ipfin.holidays.selectors import missing_arrangement_year
from ipfin.pledges import selectors as pledge_selectors
from ipfin.pledges.views import state_counts
from ipfin.portal.forms import AuditFilterForm, LoginForm, TokenIssueForm, TokenRevokeForm
from ipfin.registry import selectors as registry_selectors
from ipfin.web.forms import SearchForm
from ipfin.web.views import domain_errors, run_action

SEARCH_LIMIT = 50
LIST_LIMIT = 100

# --- login ---------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, raw: str | None) -> str | None:
    # Control characters (NUL included) have no place in a redirect target's Location header.
    if (
        raw
        and not any(unicodedata.category(c) == "Cc" for c in raw)
        and url_has_allowed_host_and_scheme(
            raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return raw
    return None


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    status = 200
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        form = LoginForm(request.POST)
        # Counted before the password is checked: a refused attempt is never checked.
        attempt = login_attempt_start(request, request.POST.get("username", ""))
        if attempt is None:
            error = _("登录失败次数过多，请稍后再试。")
            status = 429
        else:
            # A NUL or an over-long name is no account's: the same failure as a wrong password.
            user = (
                authenticate(
                    request,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                )
                if form.is_valid()
                else None
            )
            if user is None:
                login_attempt_failed(attempt)
                error = _("用户名或密码错误。")
                status = 401
            else:
                login_attempt_succeeded(attempt)
                login(request, user)
                return redirect(next_url or "portal:home")
    context = {"error": error, "next": next_url or ""}
    return render(request, "portal/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:public_query")


# --- home pages ----------------------------------------------------------------------------------


def _notifications(user: Any, limit: int = 10) -> list[Notification]:
    return notification_list(actor=user, limit=limit)


def _home_role(user: Any) -> str:
    if has_perm(user, Perm.PLEDGE_DECIDE):
        return "examiner"
    if has_perm(user, Perm.PLEDGE_APPLY):
        return "bank"
    if has_perm(user, Perm.STATS_READ):
        return "regulator"
    if user.organisation_kind == OrganisationKind.ENTERPRISE:
        return "enterprise"
    return "other"


def _regulator_stats(user: Any) -> dict[str, Any]:
    return pledge_selectors.pledge_stats(actor=user)


@domain_errors
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("portal:public_query")
    today = timezone.localdate()
    role = _home_role(user)
    context: dict[str, Any] = {"role": role, "today": today, "notifications": _notifications(user)}
    if user.organisation_kind == OrganisationKind.IP_OFFICE:
        # From 15 December, next year's holiday arrangement is due: the office is told here.
        context["missing_year"] = missing_arrangement_year(today)
    if has_perm(user, Perm.AUDIT_READ):
        context["audit_check"] = audit_selectors.audit_verification_latest(actor=user)
    if role == "examiner":
        queue = pledge_selectors.examiner_queue(actor=user)
        context["queue"] = list(queue[:LIST_LIMIT])
        context["queue_count"] = queue.count()
        context["overdue_count"] = queue.filter(deadline__lt=today).count()
    elif role in ("bank", "enterprise"):
        to_confirm, changes_to_confirm = pledge_selectors.awaiting_my_confirmation(actor=user)
        context["to_confirm"] = to_confirm
        context["changes_to_confirm"] = changes_to_confirm
        pledges = pledge_selectors.pledge_list(actor=user)
        context["state_counts"] = state_counts(pledges)
        context["pledges"] = list(pledges[:20])
    elif role == "regulator":
        context["stats"] = _regulator_stats(user)
    if role == "enterprise" and user.organisation.uscc:
        rights = list(registry_selectors.owner_rights(uscc=user.organisation.uscc, on=today))
        statuses = registry_selectors.rights_status_bulk(rights, on=today)
        context["rights"] = [(r, statuses[r.pk]) for r in rights]
    return render(request, "portal/home.html", context)


# --- the audit trail (office and regulator) ------------------------------------------------------

AUDIT_PAGE = 50


@login_required
@domain_errors
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The audit trail, newest first, filtered by object and action, 50 a page; the last walk of
    its hash chain on top."""
    form = AuditFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    records = audit_selectors.audit_list(
        actor=request.user,
        object_type=filters.get("object_type") or None,
        object_id=filters.get("object_id") or None,
        action=filters.get("action") or None,
    )
    page = Paginator(records, AUDIT_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "audit_check": audit_selectors.audit_verification_latest(actor=request.user),
    }
    return render(
        request, "portal/audit_trail.html", context, status=200 if form.is_valid() else 400
    )


# --- the user's own API tokens ------------------------------------------------------------------


@login_required
@domain_errors
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens (for their bank's or enterprise's own systems): list, issue (the
    token shown once, on this answer only), revoke with a confirmation."""
    issue_form = TokenIssueForm(request.POST if request.method == "POST" else None)
    issued: dict[str, str] = {}

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {
            "tokens": list(api_tokens_of(actor=request.user)),
            "issue_form": issue_form,
            "revoke_form": TokenRevokeForm(),
            "issued": issued.get("raw", ""),
            "action_error": error,
            "now": timezone.now(),
        }
        return render(request, "portal/api_tokens.html", context, status=status)

    if request.method != "POST":
        return page()

    def act() -> str:
        issued["raw"] = api_token_issue(
            user=require_login(request.user),
            days=issue_form.cleaned_data["days"],
            name=issue_form.cleaned_data["name"],
        )
        return _("已生成新令牌。请立即复制保存：离开本页后无法再次查看。")

    return run_action(request, act, form=issue_form, on_success=page, on_failure=page)


@login_required
@domain_errors
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_token_get(actor=request.user, token_id=token_id)
    form = TokenRevokeForm(request.POST)

    def act() -> str:
        api_token_revoke(actor=require_login(request.user), token=token)
        return _("令牌 %(prefix)s… 已撤销。") % {"prefix": token.prefix}

    def back() -> HttpResponse:
        return redirect("portal:api_tokens")

    def refused(status: int, error: str) -> HttpResponse:
        messages.error(request, _("请勾选确认后再撤销令牌。") if status == 400 else error)
        return redirect("portal:api_tokens")

    return run_action(request, act, form=form, on_success=back, on_failure=refused)


# --- public query --------------------------------------------------------------------------------


@domain_errors
def public_query(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    valid = form.is_valid()  # a NUL or over-long term: a form error, no search
    q = form.cleaned_data["q"].strip() if valid else ""
    today = timezone.localdate()
    rights: list[Any] = []
    if q:
        found = list(registry_selectors.rights_search(q=q)[:SEARCH_LIMIT])
        statuses = registry_selectors.rights_status_bulk(found, on=today)
        rights = [(r, statuses[r.pk]) for r in found]
    pledges = pledge_selectors.pledges_public_search(q=q, limit=SEARCH_LIMIT)
    context = {"form": form, "q": q, "rights": rights, "pledges": pledges, "today": today}
    return render(request, "portal/public_query.html", context, status=200 if valid else 400)
