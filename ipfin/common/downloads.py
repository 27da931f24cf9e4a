"""A generated file sent as a download: every export and report endpoint (API and pages) answers
with `attachment`, so the header is written one way."""

from __future__ import annotations

from django.http import HttpResponse

__all__ = ["attachment"]


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """`content` as a file the browser saves under `filename` (Content-Disposition: attachment)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
