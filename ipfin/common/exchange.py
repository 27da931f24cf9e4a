"""What every file for another platform shares (the national pledge information platform, the
credit-information platforms): the period it covers, checked once, and CSV written as UTF-8 with a
byte-order mark (Excel in a Chinese locale then reads the Chinese as Chinese), every text cell
made inert the way every workbook's is (ipfin.common.excel.safe_text: a cell starting with =, +,
-, @, tab or CR is prefixed with ')."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from ipfin.common.errors import invalid
from ipfin.common.excel import safe_text, writable

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else safe_text(writable(v)) if isinstance(v, str) else v for v in row]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# The longest period one file covers: a year (a quarter's or a year's sending), so that one
# request cannot make the platform read its whole history.
MAX_PERIOD_DAYS = 366


def exchange_period(start: date, end: date) -> tuple[date, date]:
    """`start` to `end` inclusive, at most MAX_PERIOD_DAYS: else 422 `period_invalid`."""
    if end < start or (end - start).days >= MAX_PERIOD_DAYS:
        raise invalid(
            "end",
            "period_invalid",
            f"期间应为 start 至 end（含），end 不早于 start，最长 {MAX_PERIOD_DAYS} 天。",
            f"The period runs from start to end inclusive, end not before start, at most "
            f"{MAX_PERIOD_DAYS} days.",
        )
    return start, end
