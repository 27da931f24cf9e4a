"""The portal: login and logout, each role's workbench (home) and the public query of the
register and its pledges. It reads across the apps (the top of the dependency order); views stay
thin: one selector per panel."""

from __future__ import annotations

import contextlib
import time
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ipfin.accounts.models import Notification, OrganisationKind, Role, User
from ipfin.accounts.permissions import Perm, has_perm, require, require_login
from ipfin.accounts.selectors import (
    api_token_get,
    api_tokens_of,
    notification_list,
    organisation_members_second_factor,
    recovery_codes_left,
    supervision_case_get,
    supervision_case_list,
    totp_device_of,
)
from ipfin.accounts.services import (
    api_token_issue,
    api_token_revoke,
    organisation_second_factor_set,
    recovery_codes_renew,
    second_factor_disable,
    second_factor_login,
    second_factor_required,
    second_factor_reset,
    supervision_case_close,
    supervision_case_open,
    totp_enrolment_confirm,
    totp_enrolment_start,
)
from ipfin.accounts.throttle import (
    login_attempt_failed,
    login_attempt_start,
    login_attempt_succeeded,
)
from ipfin.accounts.totp import totp_uri
from ipfin.audit import selectors as audit_selectors
from ipfin.common.databases import reporting_db
from ipfin.common.downloads import attachment
from ipfin.common.errors import invalid
from ipfin.financing.exchange import DEMANDS_EXPORT_JOB, demands_interchange_export_request
from ipfin.holidays.selectors import missing_arrangement_year
from ipfin.jobs.models import JobRun, JobState
from ipfin.jobs.registry import job_spec
from ipfin.jobs.selectors import (
    job_run_get,
    job_run_output,
    job_runs_recent,
    job_runs_requested,
    run_waits_for,
)
from ipfin.jobs.services import job_request
from ipfin.loans import selectors as loan_selectors
from ipfin.pledges import selectors as pledge_selectors
from ipfin.pledges.exchange import PLEDGE_EXPORT_JOB, pledge_registrations_export_request
from ipfin.pledges.views import state_counts
from ipfin.portal.demo_accounts import DEMO_LOGINS, DEMO_PASSWORD
from ipfin.portal.forms import (
    AuditFilterForm,
    ExportPeriodForm,
    JobLaunchForm,
    LoginForm,
    OrganisationSecondFactorForm,
    SecondFactorDisableForm,
    SecondFactorForm,
    SecondFactorResetForm,
    SupervisionCaseCloseForm,
    SupervisionCaseForm,
    TokenIssueForm,
    TokenRevokeForm,
)
from ipfin.portal.presentation import audit_rows
from ipfin.registry import selectors as registry_selectors
from ipfin.risk.views import dashboard_context as risk_dashboard_context
from ipfin.web.forms import SearchForm
from ipfin.web.views import domain_errors, queue_run_action, run_action, search_refused

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
                if second_factor_required(user):
                    # Not logged in yet: the session only remembers whose password was right,
                    # for a few minutes, and the second step logs in.
                    request.session.cycle_key()
                    request.session[_SECOND_FACTOR_PENDING] = {
                        "user": user.pk,
                        "backend": user.backend,
                        "since": int(time.time()),
                        "next": next_url or "",
                    }
                    return redirect("portal:login_second_factor")
                login(request, user)
                return redirect(next_url or "portal:home")
    context = {
        "error": error,
        "next": next_url or "",
        # A failed login keeps the name typed (never the password).
        "username": (request.POST.get("username", "") if request.method == "POST" else "")[:150],
        "demo_logins": _demo_logins(),
    }
    return render(request, "portal/login.html", context, status=status)


def _demo_logins() -> dict[str, Any] | None:
    """The demo's logins and password, on a demo server with the demo data loaded only."""
    if not settings.IPFIN_DEMO:
        return None
    if not User.objects.filter(username=DEMO_LOGINS[0][0]).exists():
        return None
    return {"password": DEMO_PASSWORD, "logins": DEMO_LOGINS}


_SECOND_FACTOR_PENDING = "second_factor_pending"
# How long the second step waits after the password: longer than setting up an app takes.
SECOND_FACTOR_PENDING_SECONDS = 600


def _qr_svg(text: str) -> str:
    """`text` as a QR code, an inline SVG (no script, no image request: the CSP allows it)."""
    import segno

    return str(segno.make(text, error="m").svg_inline(scale=4, border=2))


def _enrolment(user: User) -> dict[str, Any]:
    """What the user needs to set up an authenticator: the secret (grouped for typing by hand)
    and its QR code."""
    device = totp_enrolment_start(user=user)
    uri = totp_uri(device.secret, account=user.username, issuer=_("知识产权金融服务平台"))
    grouped = " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4))
    return {"secret": grouped, "qr_svg": _qr_svg(uri)}


@require_http_methods(["GET", "POST"])
def login_second_factor(request: HttpRequest) -> HttpResponse:
    """The second step of a login: a code of the user's authenticator (or a recovery code); a
    user whose organisation requires the second factor and who has none sets one up here first
    and is shown the recovery codes once."""
    pending = request.session.get(_SECOND_FACTOR_PENDING) or {}
    fresh = time.time() - pending.get("since", 0) <= SECOND_FACTOR_PENDING_SECONDS
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first() if fresh else None
    if user is None:
        request.session.pop(_SECOND_FACTOR_PENDING, None)
        messages.error(request, _("登录已超时，请重新输入用户名和密码。"))
        return redirect("portal:login")
    device = totp_device_of(user)
    enrolling = device is None or device.confirmed_at is None
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    shown: dict[str, list[str]] = {}

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context: dict[str, Any] = {"form": form, "error": error, "enrolling": enrolling}
        if enrolling:
            context.update(_enrolment(user))
        return render(request, "portal/login_second_factor.html", context, status=status)

    if request.method != "POST":
        return page()

    def act() -> str:
        shown["codes"] = second_factor_login(
            request=request, user=user, code=form.cleaned_data["code"]
        )
        return _("已开启两步验证。") if enrolling else _("登录成功。")

    def logged_in() -> HttpResponse:
        request.session.pop(_SECOND_FACTOR_PENDING, None)
        login(request, user, backend=pending["backend"])
        next_url = _safe_next(request, pending.get("next")) or ""
        if shown["codes"]:
            context = {"codes": shown["codes"], "next": next_url}
            return render(request, "portal/recovery_codes.html", context)
        return redirect(next_url or "portal:home")

    return run_action(request, act, form=form, on_success=logged_in, on_failure=page)


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


# The landing page's figures are aggregates over the whole register: cached for a few minutes so
# that anonymous visitors cost a cache read, not three aggregate queries each.
HEADLINE_CACHE_KEY = "portal:landing-headline"
HEADLINE_CACHE_SECONDS = 300


def _headline() -> loan_selectors.Headline:
    cached = cache.get(HEADLINE_CACHE_KEY)
    if isinstance(cached, loan_selectors.Headline):
        return cached
    figures = loan_selectors.public_headline()
    cache.set(HEADLINE_CACHE_KEY, figures, HEADLINE_CACHE_SECONDS)
    return figures


def landing(request: HttpRequest) -> HttpResponse:
    """`/` for a visitor: what the platform is for, whom it serves, the public query, headline
    figures and the ways in (products, policies, the guide, the login)."""
    return render(request, "portal/landing.html", {"headline": _headline()})


def guide(request: HttpRequest) -> HttpResponse:
    """办事指南: how each main job is done on the platform and the rules it follows."""
    return render(request, "portal/guide.html")


@domain_errors
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return landing(request)
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
    if role == "bank":
        # A bank's home page is its risk dashboard first (alerts, annuity deadlines, coverage).
        context["risk"] = risk_dashboard_context(request)
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
    """The audit trail, newest first, filtered by object and action, 50 a page, each action and
    object by its label (portal.presentation.audit_rows); the last walk of its hash chain on
    top."""
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
        "rows": audit_rows(list(page.object_list), viewer=request.user),
        "audit_check": audit_selectors.audit_verification_latest(actor=request.user),
    }
    return render(
        request, "portal/audit_trail.html", context, status=200 if form.is_valid() else 400
    )


# --- the background jobs ------------------------------------------------------------------------


# The counts a run's result holds, in words (a count of another name is not shown).
JOB_RESULT_LABELS = {
    "checked": gettext_lazy("检查"),
    "changed": gettext_lazy("变动"),
    "non_performing": gettext_lazy("不良"),
    "reminders_sent": gettext_lazy("催办"),
    "applications_lapsed": gettext_lazy("失效申请"),
    "changes_lapsed": gettext_lazy("失效变更"),
    "rights_scored": gettext_lazy("评分"),
    "found": gettext_lazy("发现"),
    "created": gettext_lazy("新增预警"),
    "resolved": gettext_lazy("解除预警"),
    "snapshots_taken": gettext_lazy("快照"),
    "rows_total": gettext_lazy("数据行数"),
    "rows_applied": gettext_lazy("入库行数"),
    "rows_skipped": gettext_lazy("跳过行数"),
    "rows_exported": gettext_lazy("导出行数"),
    "rows_matched": gettext_lazy("匹配行数"),
}


def _job_label(name: str) -> Any:
    try:
        return job_spec(name).label
    except KeyError:  # a job no longer registered: its name is all there is
        return name


def _job_row(run: JobRun) -> dict[str, Any]:
    label = _job_label(run.name)
    seconds = None
    if run.started_at is not None:
        end = run.finished_at or timezone.now()
        seconds = f"{(end - run.started_at).total_seconds():.1f} s"
    summary = ""
    if isinstance(run.result, dict):
        counts = [
            f"{JOB_RESULT_LABELS[k]} {v}"
            for k, v in run.result.items()
            if k in JOB_RESULT_LABELS and isinstance(v, int | float)
        ]
        summary = _("，").join(counts)
    waits_for = run_waits_for(run)
    return {
        "run": run,
        "label": label,
        # The job a queued run waits for (JobSpec.after), by what it does.
        "waiting_for": _job_label(waits_for) if waits_for else None,
        "total": max(run.chunks_total, 1),
        "seconds": seconds,
        "summary": summary,
    }


@login_required
@domain_errors
def jobs(request: HttpRequest) -> HttpResponse:
    """The background jobs' runs with their progress (refreshed every 3 s while one is live),
    and a form to start a daily job now (the IP office's administrators)."""
    job_runs_recent(actor=request.user)  # the permission, before any form is read
    form = JobLaunchForm(request.POST if request.method == "POST" else None)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        runs = job_runs_recent(actor=request.user)
        context = {
            "form": form if request.method == "POST" else JobLaunchForm(),
            "rows": [_job_row(run) for run in runs],
            "live": any(run.state in (JobState.QUEUED, JobState.RUNNING) for run in runs),
            "on_workers": bool(settings.CELERY_BROKER_URL),
            "error": error,
        }
        return render(request, "portal/jobs.html", context, status=status)

    if request.method != "POST":
        return page()

    def act() -> str:
        run = job_request(actor=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
        return _("后台任务 #%(id)s 已提交。") % {"id": run.pk}

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("portal:jobs"),
        on_failure=lambda status, error: page(status, error),
    )


@login_required
@domain_errors
def job_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run, for the user who requested it (an import sent from its page) or the jobs'
    administrators: its progress (refreshed every 2 s while it is live) and its outcome; a
    request refused for what was in its file shows every problem, by row and column."""
    run = job_run_get(actor=request.user, run_id=run_id)
    row = _job_row(run)
    refused = run.result.get("refused") if isinstance(run.result, dict) else None
    english = (get_language() or "").startswith("en")
    context: dict[str, Any] = {
        **row,
        "live": run.state in (JobState.QUEUED, JobState.RUNNING),
        "refused": None,
        "page": None,
        "result_url": None,
        "has_file": run.state == JobState.DONE and run.files.filter(role="output").exists(),
        "is_admin": has_perm(request.user, Perm.JOBS_MANAGE),
    }
    if isinstance(refused, dict):
        context["refused"] = {
            "message": refused.get("message_en" if english else "message_zh", ""),
            "problems": [
                {
                    "row": p.get("row"),
                    "column": p.get("column"),
                    "message": p.get("message_en" if english else "message_zh"),
                }
                for p in refused.get("problems", [])
            ],
            "total": refused.get("problems_total", 0),
        }
    with contextlib.suppress(KeyError):  # a job no longer registered has no page
        spec = job_spec(run.name)
        context["page"] = spec.page
        made = run.result.get(spec.result_page[1]) if spec.result_page and run.result else None
        if run.state == JobState.DONE and spec.result_page and isinstance(made, int):
            context["result_url"] = reverse(spec.result_page[0], args=[made])
    return render(request, "portal/job_run.html", context)


# The files for the national platforms the office builds in the background: the choice's value
# on the page → the service that queues it.
_EXPORTS = {
    "pledges": pledge_registrations_export_request,
    "demands": demands_interchange_export_request,
}


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def exchange(request: HttpRequest) -> HttpResponse:
    """数据交换: the IP office builds the files it sends to the national platforms (the pledge
    registrations in the national pledge information platform's columns, the financing demands
    as a 信易贷 interchange file) for a period, in the background; the run's page offers the
    file once it is made."""
    require(request.user, Perm.DATA_EXCHANGE)
    form = ExportPeriodForm(request.POST or None)
    names = [PLEDGE_EXPORT_JOB, DEMANDS_EXPORT_JOB]

    def page(status: int = 200, error: str = "") -> HttpResponse:
        runs = job_runs_requested(actor=request.user, names=names)
        context = {"form": form, "rows": [_job_row(r) for r in runs], "action_error": error}
        return render(request, "portal/exchange.html", context, status=status)

    if request.method != "POST":
        return page()
    export = _EXPORTS.get(request.POST.get("export", ""))

    def queue() -> Any:
        if export is None:
            raise invalid(
                None, "export_unknown", "请选择要导出的文件。", "Choose a file to export."
            )
        return export(
            actor=request.user, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
        )

    return queue_run_action(
        request, queue, _("导出已提交（后台任务 #%(id)s）。"), form=form, on_failure=page
    )


@login_required
@domain_errors
def job_run_file(request: HttpRequest, run_id: int) -> HttpResponse:
    """The file a finished export run made, for whoever may read the run."""
    output = job_run_output(actor=request.user, run_id=run_id)
    return attachment(bytes(output.data), output.content_type, output.name)


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


# --- the second factor: the user's own, and the organisation's requirement ----------------------

_SECURITY_FORMS = {
    "enrol": SecondFactorForm,
    "renew": SecondFactorForm,
    "disable": SecondFactorDisableForm,
    "require": OrganisationSecondFactorForm,
}


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def account_security(request: HttpRequest) -> HttpResponse:
    """The user's second factor (set up, renew the recovery codes, turn off) and, for an
    organisation's administrator, the organisation's requirement and who has set one up."""
    user = require_login(request.user)
    org = user.organisation
    is_admin = org is not None and (user.role == Role.ADMIN or user.is_superuser)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = {
        name: form_class(request.POST if name == action else None)
        for name, form_class in _SECURITY_FORMS.items()
    }
    if org is not None and action != "require":
        forms["require"] = OrganisationSecondFactorForm(initial={"required": org.totp_required})
    shown: dict[str, list[str]] = {}

    def page(status: int = 200, error: str = "") -> HttpResponse:
        device = totp_device_of(user)
        on = device is not None and device.confirmed_at is not None
        context: dict[str, Any] = {
            "forms": forms,
            "on": on,
            "setting_up": device is not None and not on,
            "codes_left": recovery_codes_left(user) if on else 0,
            "codes": shown.get("codes", []),
            "org": org,
            "is_admin": is_admin,
            "members": (
                organisation_members_second_factor(actor=user, organisation=org)
                if is_admin and org is not None
                else []
            ),
            "reset_form": SecondFactorResetForm(),
            "action_error": error,
        }
        if device is not None and not on:
            context.update(_enrolment(user))
        return render(request, "portal/account_security.html", context, status=status)

    if request.method != "POST":
        return page()
    if action == "start":
        totp_enrolment_start(user=user)
        return redirect("portal:account_security")
    if action not in _SECURITY_FORMS:
        return page(400, _("请求无效。"))
    form = forms[action]

    def act() -> str:
        code = form.cleaned_data.get("code", "")
        if action == "enrol":
            shown["codes"] = totp_enrolment_confirm(user=user, code=code)
            return _("已开启两步验证。请保存下面的恢复码。")
        if action == "renew":
            shown["codes"] = recovery_codes_renew(user=user, code=code)
            return _("已生成新的恢复码，旧的恢复码已失效。")
        if action == "disable":
            second_factor_disable(user=user, code=code)
            return _("已关闭两步验证。")
        assert org is not None
        required = form.cleaned_data["required"]
        organisation_second_factor_set(actor=user, organisation=org, required=required)
        return _("本机构已要求两步验证。") if required else _("本机构已不再要求两步验证。")

    def done() -> HttpResponse:
        return page() if shown else redirect("portal:account_security")

    return run_action(request, act, form=form, on_success=done, on_failure=page)


@login_required
@domain_errors
@require_POST
def second_factor_reset_view(request: HttpRequest, user_id: int) -> HttpResponse:
    """An administrator resets a member's lost authenticator (with a confirmation)."""
    admin = require_login(request.user)
    member = User.objects.filter(pk=user_id, organisation_id=admin.organisation_id).first()
    if member is None or admin.organisation_id is None:
        return redirect("portal:account_security")
    form = SecondFactorResetForm(request.POST)

    def act() -> str:
        second_factor_reset(actor=admin, user=member)
        return _("已重置 %(user)s 的两步验证。") % {"user": member.username}

    def back() -> HttpResponse:
        return redirect("portal:account_security")

    def refused(status: int, error: str) -> HttpResponse:
        messages.error(request, _("请勾选确认后再重置。") if status == 400 else error)
        return redirect("portal:account_security")

    return run_action(request, act, form=form, on_success=back, on_failure=refused)


# --- supervision cases (regulators) -------------------------------------------------------------


@login_required
@domain_errors
@require_http_methods(["GET", "POST"])
def supervision_cases_view(request: HttpRequest) -> HttpResponse:
    """A regulator's supervision cases: open one (its single records then readable, each read
    audited), close one with a confirmation."""
    form = SupervisionCaseForm(request.POST if request.method == "POST" else None)

    def page(status: int = 200, error: str = "") -> HttpResponse:
        context = {
            "cases": list(supervision_case_list(actor=request.user)),
            "form": form,
            "close_form": SupervisionCaseCloseForm(),
            "action_error": error,
        }
        return render(request, "portal/supervision_cases.html", context, status=status)

    if request.method != "POST":
        return page()

    def act() -> str:
        case = supervision_case_open(
            actor=require_login(request.user),
            subject_uscc=form.cleaned_data["subject_uscc"],
            reason=form.cleaned_data["reason"],
        )
        return _("已对 %(name)s 立案检查。") % {"name": case.subject.name}

    def back() -> HttpResponse:
        return redirect("portal:supervision_cases")

    return run_action(request, act, form=form, on_success=back, on_failure=page)


@login_required
@domain_errors
@require_POST
def supervision_case_close_view(request: HttpRequest, case_id: int) -> HttpResponse:
    case = supervision_case_get(actor=request.user, case_id=case_id)
    form = SupervisionCaseCloseForm(request.POST)

    def act() -> str:
        supervision_case_close(
            actor=require_login(request.user), case=case, note=form.cleaned_data["note"]
        )
        return _("已结案：%(name)s。") % {"name": case.subject.name}

    def back() -> HttpResponse:
        return redirect("portal:supervision_cases")

    def refused(status: int, error: str) -> HttpResponse:
        messages.error(request, _("请勾选确认后再结案。") if status == 400 else error)
        return redirect("portal:supervision_cases")

    return run_action(request, act, form=form, on_success=back, on_failure=refused)


# --- public query --------------------------------------------------------------------------------


@domain_errors
def public_query(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    valid = form.is_valid()  # a NUL or over-long term: a form error, no search
    q = form.cleaned_data["q"].strip() if valid else ""
    today = timezone.localdate()
    if q:
        refused = search_refused(
            request, "portal/public_query.html", {"form": form, "q": q, "today": today}
        )
        if refused is not None:
            return refused
    rights: list[Any] = []
    if q:
        found = list(registry_selectors.rights_search(q=q, using=reporting_db())[:SEARCH_LIMIT])
        statuses = registry_selectors.rights_status_bulk(found, on=today)
        rights = [(r, statuses[r.pk]) for r in found]
    pledges = pledge_selectors.pledges_public_search(q=q, limit=SEARCH_LIMIT)
    context = {"form": form, "q": q, "rights": rights, "pledges": pledges, "today": today}
    return render(request, "portal/public_query.html", context, status=200 if valid else 400)
