"""The audit trail's verification as a background job (registered here: the audit app sits
below the jobs app). A broken chain fails the run, as `ipfin audit_verify` exits non-zero."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from ipfin.audit.services import audit_verify
from ipfin.jobs.registry import JobSpec, Params, register


def _verify(params: Params, lo: int, hi: int) -> dict[str, Any]:
    result = audit_verify()
    return {
        "intact": result.intact,
        "checked": result.checked,
        "broken_seq": result.broken_seq,
        "reason": result.reason_en or None,
    }


def _broken(result: Mapping[str, Any]) -> str | None:
    if result.get("intact"):
        return None
    return f"audit chain broken at seq {result.get('broken_seq')}: {result.get('reason')}"


register(JobSpec(name="audit_verify", label=_("审计日志哈希链校验"), run=_verify, failure=_broken))
