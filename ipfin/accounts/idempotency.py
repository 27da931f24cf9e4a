"""`Idempotency-Key` for the API's POSTs: a bank system that retries after a timeout gets the first
answer again, and the write happens once.

- A POST under /api/ with the header, from an authenticated client (a bearer token's user or a
  session's), claims the key for that client: a row inserted before the view runs (a unique
  constraint on (user, key), so that of ten requests at once exactly one runs).
- The others wait for the first answer (up to IDEMPOTENCY_WAIT_SECONDS) and get it replayed, with
  the header `Idempotent-Replayed: true`; still running after that: 409 `idempotency_in_progress`.
- The same key with another method, path or body is a 422 `idempotency_key_reused`; a key that is
  not 1–255 visible ASCII characters a 422 `idempotency_key_invalid`.
- Answers below 500 are kept (a refusal is an answer too); a server error frees the key, so that
  the retry runs. Keys are kept for 24 hours per client; an older one is claimed afresh.
- An answer that shows a secret once (a webhook's signing secret, an API token: `shown_once`) is
  not kept: what is kept, and replayed, is a 409 `idempotency_answer_not_kept` naming the object
  made (its `id`), so that a retry never makes a second one and the secret is stored nowhere but
  hashed or where it is used.
- Without the header, or anonymous (the calculators), nothing changes.
- A client's keys past their 24 hours are deleted when it claims a new one.

The pages' forms get the same protection against a second click (or a form sent again from the
browser's history): the page's script gives each form, when first sent, a random key in the field
`_once` (ipfin/web/static/web/ipfin.js). A POST outside /api/ from a signed-in user with that
field claims the key together with the request's fingerprint (a form changed and sent again is a
new request). While the first runs, the second waits for it; once it has answered with a redirect
(the page's "done"), the second is sent where the first went, told that the form was already
sent and was not acted on again. A first answer that is not a redirect (the form shown again with
its errors, a refusal) frees the key: nothing was done, so sending it again runs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ipfin.accounts.auth import bearer_tokens
from ipfin.accounts.models import IdempotentRequest

__all__ = ["FORM_FIELD", "HEADER", "KEEP_FOR", "IdempotencyMiddleware", "shown_once"]

HEADER = "Idempotency-Key"
FORM_FIELD = "_once"
KEEP_FOR = timedelta(hours=24)
WAIT_SECONDS = 10.0
_POLL = 0.05


_SHOWN_ONCE = "_ipfin_shown_once"


def shown_once(request: HttpRequest) -> None:
    """Mark the request's answer as showing a secret once: it is not kept for a replay."""
    setattr(request, _SHOWN_ONCE, True)


def _kept_instead(response: HttpResponse) -> bytes:
    """What a replay of an answer shown once answers: 409, the object made and what to do."""
    try:
        made = json.loads(response.content).get("id")
    except (ValueError, AttributeError):
        made = None
    english = (get_language() or "").startswith("en")
    detail = (
        "The first request with this key succeeded; its answer showed a secret once and is not "
        "kept. If it was lost, get a new secret (rotate the webhook's, or issue a new token)."
        if english
        else "使用该键的请求已成功；其回复含只显示一次的密钥，不予保存或重放。如未收到，请轮换"
        "推送密钥或签发新令牌。"
    )
    return json.dumps(
        {"detail": detail, "code": "idempotency_answer_not_kept", "id": made}, ensure_ascii=False
    ).encode()


def _error(status: int, code: str, zh: str, en: str) -> JsonResponse:
    english = (get_language() or "").startswith("en")
    return JsonResponse({"detail": en if english else zh, "code": code}, status=status)


def _client(request: HttpRequest) -> int | None:
    """The user the request acts for: its bearer token's, else its session's; None: anonymous
    (or a bad token, which the API itself answers with 401)."""
    tokens = bearer_tokens(request)
    if tokens is not None:
        return tokens.values_list("user_id", flat=True).first()
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and all(33 <= ord(c) <= 126 for c in key)


def _fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the method, the full path and the body. A multipart body is taken as its fields
    and files' contents (its boundary differs between two sends of the same form)."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if (request.content_type or "").startswith("multipart/"):
        for name, values in sorted(request.POST.lists()):
            digest.update(repr((name, values)).encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(repr((name, upload.name, upload.size)).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _claim(user_id: int, key: str, fingerprint: str) -> tuple[bool, IdempotentRequest]:
    """(True, the new row) when this request runs; (False, the existing row) when another did."""
    # The client's keys past their time go (one indexed delete): the table holds a day of keys.
    IdempotentRequest.objects.filter(
        user_id=user_id, created_at__lt=timezone.now() - KEEP_FOR
    ).exclude(key=key).delete()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                row = IdempotentRequest.objects.create(
                    user_id=user_id, key=key, fingerprint=fingerprint
                )
            return True, row
        except IntegrityError:
            existing = IdempotentRequest.objects.filter(user_id=user_id, key=key).first()
            if existing is None:  # freed meanwhile (a server error): claim again
                continue
            if existing.created_at < timezone.now() - KEEP_FOR:
                IdempotentRequest.objects.filter(pk=existing.pk).delete()
                continue
            return False, existing
    raise RuntimeError("could not claim the idempotency key")


def _answered(row: IdempotentRequest) -> IdempotentRequest | None:
    """`row` once its request has answered, or as it stands after WAIT_SECONDS; None when it was
    freed meanwhile (run the request)."""
    deadline = time.monotonic() + WAIT_SECONDS
    current: IdempotentRequest | None = row
    while current is not None and current.status is None and time.monotonic() < deadline:
        time.sleep(_POLL)
        current = IdempotentRequest.objects.filter(pk=row.pk).first()
    return current


def _replay(row: IdempotentRequest, fingerprint: str) -> HttpResponse | None:
    """The first answer to `row`'s key; None when it was freed meanwhile (run the request)."""
    if row.fingerprint != fingerprint:
        return _error(
            422,
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一请求（方法、路径或请求体不同）。请为新请求使用新的键。",
            "This Idempotency-Key was used for another request (method, path or body differ). "
            "Use a new key for a new request.",
        )
    current = _answered(row)
    if current is None:
        return None
    if current.status is None:
        return _error(
            409,
            "idempotency_in_progress",
            "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。",
            "The request with this Idempotency-Key is still being processed; retry later.",
        )
    response = HttpResponse(
        bytes(current.body), status=current.status, content_type=current.content_type or None
    )
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and not request.path.startswith("/api/"):
            return self._form(request)
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST":
            return self.get_response(request)
        user_id = _client(request)
        if user_id is None:
            return self.get_response(request)
        if not _valid_key(key):
            return _error(
                422,
                "idempotency_key_invalid",
                "Idempotency-Key 须为 1–255 个可见 ASCII 字符（建议使用 UUID）。",
                "Idempotency-Key must be 1–255 visible ASCII characters (a UUID is best).",
            )
        fingerprint = _fingerprint(request)
        claimed, row = _claim(user_id, key, fingerprint)
        if not claimed:
            replayed = _replay(row, fingerprint)
            if replayed is not None:
                return replayed
            claimed, row = _claim(user_id, key, fingerprint)
            if not claimed:
                return _replay(row, fingerprint) or self.get_response(request)
        return self._run(request, row)

    def _respond(self, request: HttpRequest, row: IdempotentRequest) -> HttpResponse:
        """The answer to the request that claimed `row`; its key freed when the view raises."""
        try:
            return self.get_response(request)
        except BaseException:
            IdempotentRequest.objects.filter(pk=row.pk).delete()
            raise

    def _run(self, request: HttpRequest, row: IdempotentRequest) -> HttpResponse:
        response = self._respond(request, row)
        if response.status_code >= 500 or getattr(response, "streaming", False):
            IdempotentRequest.objects.filter(pk=row.pk).delete()
            return response
        fields: dict[str, Any] = {
            "status": response.status_code,
            "content_type": response.get("Content-Type", ""),
            "body": response.content,
        }
        if getattr(request, _SHOWN_ONCE, False) and response.status_code < 300:
            fields.update(status=409, content_type="application/json", body=_kept_instead(response))
        IdempotentRequest.objects.filter(pk=row.pk).update(**fields)
        return response

    def _form(self, request: HttpRequest) -> HttpResponse:
        """A page's form sent with its `_once` key (see the module docstring)."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        once = request.POST.get(FORM_FIELD, "")
        if not _valid_key(once) or len(once) > 64:
            return self.get_response(request)
        fingerprint = _fingerprint(request)
        key = f"form:{once}:{fingerprint[:32]}"
        for _attempt in range(2):
            claimed, row = _claim(user.pk, key, fingerprint)
            if claimed:
                return self._run_form(request, row)
            first = _answered(row)
            if first is None:  # the first was not acted on (its key freed): this one runs
                continue
            if first.status is None:
                messages.warning(request, _("该表单已提交，正在处理中，请稍后刷新页面查看结果。"))
            else:
                messages.info(
                    request,
                    _("该表单已提交并已处理，本次未重复执行。如需再次提交，请刷新页面后重新填写。"),
                )
            # Where the first went; while it still runs, back to the form's page.
            hosts = {request.get_host()}
            for location in (
                bytes(first.body).decode() if first.status is not None else "",
                request.headers.get("Referer", ""),
            ):
                if location and url_has_allowed_host_and_scheme(location, allowed_hosts=hosts):
                    return HttpResponseRedirect(location)
            return HttpResponseRedirect("/")
        return self.get_response(request)

    def _run_form(self, request: HttpRequest, row: IdempotentRequest) -> HttpResponse:
        response = self._respond(request, row)
        if 300 <= response.status_code < 400 and response.get("Location"):
            # What a second sending is told: where the first went (kept instead of a body).
            IdempotentRequest.objects.filter(pk=row.pk).update(
                status=response.status_code,
                content_type="text/uri-list",
                body=response["Location"].encode(),
            )
        else:
            IdempotentRequest.objects.filter(pk=row.pk).delete()
        return response
