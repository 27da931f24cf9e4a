"""Schemas of the background runs' API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema


class JobRunOut(Schema):
    id: int
    job: str = Field(..., description="the job's name (credit_import, score_portfolio, ...)")
    label: str = Field(..., description="what the job does, in the request's language")
    state: Literal["queued", "running", "done", "failed"]
    chunks_total: int = Field(..., description="the pieces the run is cut into (0: not planned)")
    chunks_done: int
    queued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result: dict[str, Any] | None = Field(
        None,
        description="the run's counts once finished; a request refused by what the run found in "
        "its file (a credit file with problems) holds `refused`: {code, message_zh, message_en, "
        "problems, ...} and the run is failed",
    )
    error: str = Field(..., description="why the run failed, empty otherwise")


class ExportPeriodIn(Schema):
    start: dt.date = Field(..., description="the period's first day")
    end: dt.date = Field(..., description="its last day (at most 366 days in all)")
