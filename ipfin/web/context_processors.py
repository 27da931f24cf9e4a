from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ipfin.accounts.permissions import Perm, permissions_of
from ipfin.web.language import is_english


def navigation(request: HttpRequest) -> dict[str, Any]:
    perms = permissions_of(getattr(request, "user", None))
    return {"ipfin_perms": {p.name: (p in perms) for p in Perm}}


_CHINESE_PUNCTUATION = {"colon": "：", "lp": "（", "rp": "）", "sep": "、", "semi": "；"}
_ENGLISH_PUNCTUATION = {"colon": ": ", "lp": " (", "rp": ")", "sep": ", ", "semi": "; "}


def punctuation(request: HttpRequest) -> dict[str, Any]:
    """`P`: the punctuation a template puts between translated words and data, full-width in
    Chinese (规则：…（…）), ASCII in English (Rule: … (…)), so an English page has no Chinese
    punctuation of ours."""
    return {"P": _ENGLISH_PUNCTUATION if is_english() else _CHINESE_PUNCTUATION}
