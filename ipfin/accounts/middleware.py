"""Every read a regulator makes through a supervision case leaves an audit record.

The permission layer narrows a regulator's reads of single records to the subjects of its open
cases and marks the request's user with the cases it read through (`permissions._case_scope`);
selectors may not write, so the record is written here, once the answer is made: one
`supervision.read` per case, with the method, the path, the query and the status — what an
inspector of the inspectors needs to reconstruct who looked at what, and when."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ipfin.accounts.permissions import SUPERVISION_READ_MARK
from ipfin.accounts.services import supervision_reads_record


class SupervisionReadAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        cases = getattr(user, SUPERVISION_READ_MARK, None) if user is not None else None
        if cases:
            supervision_reads_record(
                user=user,  # type: ignore[arg-type]
                case_ids=sorted(cases),
                method=request.method or "",
                path=request.path,
                query=request.META.get("QUERY_STRING", "")[:500],
                status=response.status_code,
            )
            setattr(user, SUPERVISION_READ_MARK, set())
        return response
