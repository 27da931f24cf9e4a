"""特别事项说明 of a valuation report: what the register records about the rights valued, as of
the valuation date, that a reader of the value must know (资产评估执业准则——资产评估报告, 中评协
2018: the report states the special matters, among them legal defects of the asset, pledges and
other encumbrances, pending litigation).

Read from the register's own legal status (`registry.selectors.rights_status_bulk`: the same
`StatusResult` the valuation page and the pre-check use) and its recorded events, all on the
valuation date:
- an invalidation request pending (专利法 art. 45), an annuity unpaid within its 6 months' grace
  (专利法 art. 44; 实施细则 r. 116) or a trademark in its renewal grace (商标法 art. 40): a
  warning, worded as the valuation's own warnings (`domain.warnings.right_warnings`);
- a court's preservation (保全) or an ownership dispute suspending procedures: a warning;
- the pledges registered over the right (`pledges.selectors.pledges_holding`, 民法典 art. 444);
- the licences recorded (备案) on or before the date, with their type and licensee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ipfin.pledges.selectors import pledges_holding
from ipfin.registry.domain import EventType
from ipfin.registry.models import RightEvent
from ipfin.registry.selectors import rights_status_bulk
from ipfin.valuation.domain.warnings import right_warnings

__all__ = ["Matter", "special_matters"]


@dataclass(frozen=True)
class Matter:
    number: str
    text: str
    warning: bool  # a fact that may take the right away or stop its use: shown as a warning


_LICENCE_TYPES = {
    "exclusive": ("独占许可", "exclusive licence"),
    "sole": ("排他许可", "sole licence"),
    "ordinary": ("普通许可", "ordinary licence"),
}


def special_matters(rights: list[Any], on: date) -> list[Matter]:
    """The special matters of `rights` on the valuation date `on`, right by right (in the
    package's order), warnings first within a right."""
    if not rights:
        return []
    statuses = rights_status_bulk(rights, on=on)
    licences: dict[int, list[RightEvent]] = {}
    for event in RightEvent.objects.filter(
        right_id__in=[r.pk for r in rights], type=EventType.LICENCE, date__lte=on
    ).order_by("date", "id"):
        licences.setdefault(event.right_id, []).append(event)
    english = (get_language() or "").startswith("en")
    matters: list[Matter] = []
    for right in rights:
        status = statuses[right.pk]
        number = right.number
        # The grace period and a pending invalidation: the valuation's own warnings
        # (domain.warnings.right_warnings, as its preview, page and API show them).
        for warning in right_warnings(number, right.kind, status):
            matters.append(
                Matter(number, _("【警示】%(text)s") % {"text": warning.message(english)}, True)
            )
        if status.preserved:
            matters.append(
                Matter(
                    number,
                    _("【警示】%(number)s：截至评估基准日，处于人民法院保全（冻结）期间。")
                    % {"number": number},
                    True,
                )
            )
        if status.disputed:
            matters.append(
                Matter(
                    number,
                    _("【警示】%(number)s：截至评估基准日，存在权属纠纷，有关程序已中止。")
                    % {"number": number},
                    True,
                )
            )
        for registration_no, pledgee in pledges_holding(right, on):
            matters.append(
                Matter(
                    number,
                    _("%(number)s：已办理质押登记（登记号 %(reg)s，质权人 %(pledgee)s）。")
                    % {"number": number, "reg": registration_no, "pledgee": pledgee},
                    False,
                )
            )
        for event in licences.get(right.pk, []):
            payload = event.payload if isinstance(event.payload, dict) else {}
            zh, en = _LICENCE_TYPES.get(str(payload.get("licence_type")), ("许可", "licence"))
            matters.append(
                Matter(
                    number,
                    _("%(number)s：%(date)s 备案%(type)s，被许可人 %(licensee)s。")
                    % {
                        "number": number,
                        "date": f"{event.date:%Y-%m-%d}",
                        "type": en if english else zh,
                        "licensee": payload.get("licensee") or "—",
                    },
                    False,
                )
            )
    return matters
