"""What a valuation's reader must be warned of about the rights valued (issue 13): facts of the
register on the valuation date that may take a right away, so that the value rests on an
assumption the reader has to see. Pure: it reads a right's legal status (`registry.domain.
StatusResult`, computed by the caller for the valuation date) and says what to warn of.

- `invalidation_pending`: an invalidation request not yet decided (专利法 art. 45); a patent
  declared invalid is deemed never to have existed (art. 47): the value does not allow for it;
- `grace_period`: a patent's annuity unpaid and in its 6 months' grace (专利法 art. 44 ¶1(2),
  实施细则 r. 116): unpaid by its end, the patent ends from the unpaid due date; a trademark past
  its term in the 6 months' renewal grace (商标法 art. 40): not renewed, its registration is
  cancelled. The value assumes the annuity is paid, or the renewal made, in time.

The preview and the save of a valuation (`ipfin.valuation.services.assessment.assess`), its
page and its report (`ipfin.valuation.selectors.valuation_warnings`) all take them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ipfin.registry.domain import Status, StatusResult

__all__ = ["GRACE_PERIOD", "INVALIDATION_PENDING", "ValuationWarning", "right_warnings"]

INVALIDATION_PENDING = "invalidation_pending"
GRACE_PERIOD = "grace_period"
TRADEMARK = "trademark"


@dataclass(frozen=True)
class ValuationWarning:
    code: str  # INVALIDATION_PENDING | GRACE_PERIOD
    number: str  # the right's number
    message_zh: str
    message_en: str

    def message(self, english: bool) -> str:
        return self.message_en if english else self.message_zh

    def as_dict(self, english: bool) -> dict[str, str]:
        return {"code": self.code, "right": self.number, "message": self.message(english)}


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else "—"


def right_warnings(number: str, kind: str, status: StatusResult) -> list[ValuationWarning]:
    """The warnings of one right whose legal status on the valuation date is `status`: pending
    invalidation first, then the grace period; none for a right with neither."""
    warnings = []
    if status.invalidation_pending:
        warnings.append(
            ValuationWarning(
                INVALIDATION_PENDING,
                number,
                f"{number}：截至评估基准日，有无效宣告请求尚未审结；被宣告无效的，视为自始即不存在"
                "（专利法第四十七条）。评估值未考虑其被宣告无效的可能。",
                f"{number}: an invalidation request is pending on the valuation date; a right "
                "declared invalid is deemed never to have existed (Patent Law art. 47). The value "
                "does not allow for that.",
            )
        )
    if status.status == Status.GRACE_PERIOD:
        until = _day(status.grace_until)
        if kind == TRADEMARK:
            zh = (
                f"{number}：截至评估基准日，注册商标有效期已满，处于续展宽展期（至 {until}）；"
                "宽展期满未续展的，注销其注册商标（商标法第四十条）。评估值以按期续展为前提。"
            )
            en = (
                f"{number}: on the valuation date the registration's term has ended and the mark "
                f"is in its renewal grace period (until {until}); not renewed by then, the "
                "registration is cancelled (Trademark Law art. 40). The value assumes the renewal "
                "in time."
            )
        else:
            year = status.unpaid_year
            zh = (
                f"{number}：截至评估基准日，第 {year} 年度年费未缴，处于滞纳期（至 {until}）；"
                "期满仍未缴纳的，专利权自应缴年费期满之日起终止（专利法第四十四条）。评估值以"
                "按期补缴为前提。"
            )
            en = (
                f"{number}: on the valuation date the annuity of year {year} is unpaid and in its "
                f"grace period (until {until}); unpaid by then, the patent ends from the day the "
                "annuity fell due (Patent Law art. 44). The value assumes it is paid in time."
            )
        warnings.append(ValuationWarning(GRACE_PERIOD, number, zh, en))
    return warnings
