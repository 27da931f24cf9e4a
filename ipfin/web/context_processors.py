from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ipfin.accounts.permissions import Perm, permissions_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    perms = permissions_of(getattr(request, "user", None))
    return {"ipfin_perms": {p.name: (p in perms) for p in Perm}}
