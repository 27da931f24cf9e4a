"""One set of rules for a valuation's preview and its save (issue 13: preview equals save).

`assess(rights, method, inputs, valuation_date, today)` is what both `valuation_create` (the
draft saved) and `valuation_preview` with rights (POST /valuations/preview, the calculator's live
preview) run:

- the valuation date (评估基准日) is not after today (422 `valuation_date_invalid`);
- the rights' legal status is read once, for that date (`registry.selectors.rights_status_bulk`);
- the income approach's economic life may not exceed the remaining legal term on that date: the
  longest of the package's rights (it earns while one of them is in force); a longer life is
  refused, not capped (422 `valuation_input` on `life_years`, the message giving the remaining
  term and why): a capped life would value years the appraiser did not forecast, and an income
  period is the appraiser's judgement to restate, not the platform's to cut. A right whose term
  cannot be computed from the register is a 422 `term_unknown`;
- the approach's own rules (`approaches.compute`: a negative discount rate refused, and every
  other impossible input);
- the warnings of the rights on that date (`valuation.domain.warnings`: a pending invalidation,
  an annuity or renewal in its grace period), shown with the preview and kept with the draft's
  page and report (`selectors.valuation_warnings`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ipfin.common.errors import ValidationFailed, invalid
from ipfin.registry.domain import StatusResult, TermUnknown, remaining_term_years
from ipfin.registry.models import Right
from ipfin.registry.selectors import right_status, right_term_note, rights_status_bulk
from ipfin.valuation.domain.warnings import ValuationWarning
from ipfin.valuation.selectors import statuses_warnings
from ipfin.valuation.services.approaches import ApproachResult, compute

__all__ = [
    "Assessment",
    "assess",
    "check_valuation_date",
    "legal_years",
    "remaining_legal_years",
]

INCOME = "income"


@dataclass(frozen=True)
class Assessment:
    result: ApproachResult
    warnings: list[ValuationWarning]


def check_valuation_date(valuation_date: date, *, today: date) -> None:
    """The valuation date (评估基准日) is not after today: 422 `valuation_date_invalid`."""
    if valuation_date > today:
        raise invalid(
            "valuation_date",
            "valuation_date_invalid",
            "评估基准日不能晚于今日。",
            "The valuation date cannot be in the future.",
        )


def legal_years(right: Right, status: StatusResult, *, on: date) -> Decimal:
    """Years (to 0.01, rounded down) from `on` to the end of the right's legal term, given its
    legal status on that day (ipfin.registry.domain: term compensation, IC-layout and copyright
    terms included); 0 once the right has ended. A 422 `term_unknown` when the register lacks what
    the term depends on: the income period cannot be bounded by a guessed date."""
    try:
        return remaining_term_years(status, on)
    except TermUnknown:
        note_zh, note_en = right_term_note(right) or ("保护期无法计算。", "The term is unknown.")
        raise ValidationFailed(
            f"{right.number}：{note_zh}收益期限无法以剩余法定保护期限约束，请先补录相关事实。",
            f"{right.number}: {note_en} The income period cannot be bounded by the remaining "
            "legal term; record the missing facts first.",
            code="term_unknown",
            extra={"right": right.number},
        ) from None


def remaining_legal_years(right: Right, *, on: date) -> Decimal:
    """`legal_years` of one right, its status read for `on`."""
    return legal_years(right, right_status(right, on=on), on=on)


def assess(
    *,
    rights: Sequence[Right],
    method: str,
    inputs: Mapping[str, Any],
    valuation_date: date,
    today: date,
) -> Assessment:
    """The approach `method` on `inputs` for `rights` on `valuation_date`, under the rules of the
    module docstring; the warnings of the rights on that date. Nothing is saved."""
    check_valuation_date(valuation_date, today=today)
    statuses = rights_status_bulk(rights, on=valuation_date)
    legal: Decimal | None = None
    if method == INCOME:
        legal = max(legal_years(r, statuses[r.pk], on=valuation_date) for r in rights)
    result = compute({**inputs, "method": method}, remaining_legal_years=legal)
    return Assessment(result=result, warnings=statuses_warnings(rights, statuses))
