"""The UI kernel's one shape of a form action (`run_action`), over a real request with a session
and messages: success flashes and answers the success page; an invalid form is a 400 and a
refusal its own status, both with the page again; not being logged in is the login redirect."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from ipfin.common.errors import Conflict, NotAuthenticated
from ipfin.web.views import domain_errors, run_action


class _NameForm(forms.Form):
    name = forms.CharField(max_length=5)


def _request(data: dict[str, str]) -> HttpRequest:
    request = RequestFactory().post("/somewhere/", data)
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    MessageMiddleware(lambda r: HttpResponse()).process_request(request)
    return request


def _run(request: HttpRequest, act: Any, form: Any = None) -> HttpResponse:
    return run_action(
        request,
        act,
        form=form,
        on_success=lambda: HttpResponse("done", status=302),
        on_failure=lambda status, error: HttpResponse(f"again: {error}", status=status),
    )


def test_a_valid_form_runs_the_action_and_flashes_its_message() -> None:
    request = _request({"name": "ok"})
    response = _run(request, lambda: "已保存", _NameForm(request.POST))
    assert response.status_code == 302
    assert [m.message for m in get_messages(request)] == ["已保存"]


def test_an_invalid_form_is_a_400_and_the_action_never_runs() -> None:
    request = _request({"name": "far too long"})
    ran: list[bool] = []
    response = _run(request, lambda: ran.append(True) or "x", _NameForm(request.POST))
    assert response.status_code == 400 and not ran
    assert "请检查填写的内容" in response.content.decode()


def test_a_refusal_is_the_page_again_at_the_refusals_status_with_its_message() -> None:
    def refuse() -> str:
        raise Conflict("已有进行中的申请。", "An application is already under way.")

    request = _request({})
    response = _run(request, refuse)
    assert response.status_code == 409
    assert "已有进行中的申请" in response.content.decode()
    assert not list(get_messages(request))  # no success flashed


@pytest.mark.django_db
def test_not_being_logged_in_is_the_login_redirect_not_a_refusal() -> None:
    def anonymous() -> str:
        raise NotAuthenticated("请先登录。", "Please log in.")

    request = _request({})
    response = domain_errors(lambda r: _run(r, anonymous))(request)
    assert response.status_code == 302 and "/login/?next=/somewhere/" in response["Location"]
