"""The audit trail's verification as a background job (registered here: the audit app sits
below the jobs app). A broken chain fails the run, as `ipfin audit_verify` exits non-zero.

Cut into chunks of seq (IPFIN_AUDIT_CHUNK_SIZE records each): each chunk walks its range from
the record stored before it (ipfin.audit.services.audit_verify_range), so the chunks may run
apart and in any order; the last step walks what was written since the plan, takes the break
of lowest seq (the one a single walk would have stopped at) and records the outcome once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ipfin.audit.domain import ChainBreak
from ipfin.audit.services import (
    audit_chain_end,
    audit_records_through,
    audit_verify_range,
    audit_verify_record,
)
from ipfin.jobs.domain import span_ranges
from ipfin.jobs.registry import JobSpec, Params, register

# Keys of the chunks' results the last step reads (lists: joined in chunk order by combine).
_BREAKS = "breaks"
_WALKED_TO = "walked_to"


def _plan(params: Params) -> list[tuple[int, int]]:
    end = audit_chain_end()
    return span_ranges(1, end, end, settings.IPFIN_AUDIT_CHUNK_SIZE) if end else [(1, 0)]


def _walk(params: Params, lo: int, hi: int) -> dict[str, Any]:
    checked, broken = audit_verify_range(lo, hi)
    found = (
        []
        if broken is None
        else [[broken.seq, broken.record_id, broken.reason_zh, broken.reason_en]]
    )
    return {"checked": checked, _BREAKS: found, _WALKED_TO: [hi]}


def _finish(params: Params, counts: Mapping[str, Any]) -> dict[str, Any]:
    # Records written since the plan (the platform keeps auditing while the job runs).
    walked_to = max(counts.get(_WALKED_TO) or [0])
    tail_checked, tail_break = audit_verify_range(walked_to + 1)
    breaks = [ChainBreak(*found) for found in counts.get(_BREAKS) or []]
    if tail_break is not None:
        breaks.append(tail_break)
    first = min(breaks, key=lambda b: b.seq) if breaks else None
    # What the single walk would have checked: the records up to the break, or all of them.
    checked = (
        audit_records_through(first.seq)
        if first is not None
        else int(counts.get("checked", 0)) + tail_checked
    )
    result = audit_verify_record(checked, first)
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


register(
    JobSpec(
        name="audit_verify",
        label=_("审计日志哈希链校验"),
        run=_walk,
        plan=_plan,
        finish=_finish,
        failure=_broken,
    )
)
