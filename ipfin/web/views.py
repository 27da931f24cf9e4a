"""The UI kernel every app's views share: one mechanism for form actions (`run_action`,
`action_refusal`), DomainErrors as pages with their own status (`domain_errors`; 401 → the login
page), and the error pages. No app's views live here: each app keeps its own views.py."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ipfin.accounts.ratelimit import ANON_SEARCH_THROTTLE, AnonymousRateThrottle, retry_after
from ipfin.common.errors import DomainError, NotAuthenticated

SEARCH_LIMIT = 50
LIST_LIMIT = 100

View = Callable[..., HttpResponse]

# What the page says above a form whose inputs carry the errors.
CHECK_INPUTS = gettext_lazy("请检查填写的内容。")


# --- errors --------------------------------------------------------------------------------------


def _error_page(
    request: HttpRequest, status: int, message: str, *, checks: Any = None
) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": f"http_{status}"}, status=status)
    context = {"status": status, "message": message, "checks": checks}
    return render(request, "web/error.html", context, status=status)


def action_refusal(exc: DomainError) -> tuple[int, str]:
    """A service's refusal of a form action as (status, message in the page's language), for the
    page that shows the form again. Not being logged in is no refusal: it is raised on, to the
    login redirect of `domain_errors`."""
    if isinstance(exc, NotAuthenticated):
        raise exc
    return exc.status, exc.detail(get_language())


def run_action(
    request: HttpRequest,
    act: Callable[[], str],
    *,
    form: Any = None,
    on_success: Callable[[], HttpResponse],
    on_failure: Callable[[int, str], HttpResponse],
    on_refusal: Callable[[DomainError], None] | None = None,
) -> HttpResponse:
    """The one shape of every form action: when the form (if any) is valid, run the service in
    `act`; on success flash its message and answer `on_success()`; on an invalid form (400) or a
    refusal (its status) answer `on_failure(status, message)`, which shows the page again with
    the form and the error. A refusal about one input goes next to it (the form's
    `add_refusal`) and the message above the form then says to check the inputs; `on_refusal`
    takes what else the page shows of it (the pre-check's table, say)."""
    status, error = 400, CHECK_INPUTS
    if form is None or form.is_valid():
        try:
            done = act()
        except DomainError as exc:
            status, error = action_refusal(exc)
            if on_refusal is not None:
                on_refusal(exc)
            add_refusal = getattr(form, "add_refusal", None)
            if add_refusal is not None and add_refusal(exc, error):
                error = CHECK_INPUTS
        else:
            messages.success(request, done)
            return on_success()
    return on_failure(status, str(error))


def queue_run_action(
    request: HttpRequest,
    queue: Callable[[], Any],
    message: str,
    *,
    form: Any = None,
    on_failure: Callable[[int, str], HttpResponse],
) -> HttpResponse:
    """A form action that queues a background run (ipfin.jobs): `queue` calls the service and
    answers the run; on success `message` (with %(id)s, the run's number) is flashed and the
    user goes to the run's page, which follows it; otherwise as `run_action`."""
    queued: list[Any] = []

    def act() -> str:
        queued.append(queue())
        return message % {"id": queued[0].pk}

    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: redirect("portal:job_run", run_id=queued[0].pk),
        on_failure=on_failure,
    )


def domain_error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, NotAuthenticated):
        return redirect_to_login(request.get_full_path())
    return _error_page(
        request, exc.status, exc.detail(get_language()), checks=exc.extra.get("checks")
    )


def domain_errors(view: View) -> View:
    """Render a DomainError raised by a selector or service as a page with the error's status."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return domain_error_response(request, exc)

    return wrapped


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, _("请求无效。"))


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403, _("您没有访问此页面的权限。"))


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 404, _("页面不存在。"))


def error_500(request: HttpRequest) -> HttpResponse:
    return _error_page(request, 500, _("服务器内部错误，我们已记录此问题。"))


def search_refused(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    throttle: AnonymousRateThrottle = ANON_SEARCH_THROTTLE,
) -> HttpResponse | None:
    """The page of a search of the register refused to an anonymous address past
    IPFIN_ANON_SEARCH_RATE (ipfin.accounts.ratelimit: each search reads every matching right),
    or of another public read past its `throttle`'s rate: 429 with Retry-After, the reason in
    words (`rate_limited`: the seconds to wait), nothing read. None: the read may run
    (counted)."""
    if throttle.allow_request(request):
        return None
    wait = retry_after(throttle.wait())
    answer = render(request, template, {**context, "rate_limited": wait}, status=429)
    answer["Retry-After"] = str(wait)
    return answer
