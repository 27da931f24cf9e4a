"""The shared input parsers (ipfin.common.inputs)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ipfin.common.errors import ValidationFailed
from ipfin.common.inputs import date_in


def test_a_date_is_a_date_or_exactly_yyyy_mm_dd() -> None:
    """Python 3.11's date.fromisoformat also reads "20260430" and the week date "2026-W18-4":
    both were taken as 30 April, where the refusal says YYYY-MM-DD."""
    assert date_in("2026-04-30", "on") == date(2026, 4, 30)
    assert date_in(" 2026-04-30 ", "on") == date(2026, 4, 30)
    assert date_in(date(2026, 4, 30), "on") == date(2026, 4, 30)
    for bad in ("20260430", "2026-W18-4", "2026-4-30", "2026-02-30", "", None, "２０２６-04-30"):
        with pytest.raises(ValidationFailed) as refused:
            date_in(bad, "on")
        assert (refused.value.code, refused.value.extra["field"]) == ("date_invalid", "on")
    with pytest.raises(ValidationFailed):
        date_in(datetime(2026, 4, 30, 8, 0), "on")
