"""特别事项说明 of a valuation report: what the register records about the rights valued, as of
the valuation date, that a reader of the value must know (资产评估执业准则——资产评估报告, 中评协
2018: the report states the special matters, among them legal defects of the asset, pledges and
other encumbrances, pending litigation).

Read from the register's own legal status (`registry.selectors.rights_status_bulk`: the same
`StatusResult` the valuation page and the pre-check use) and its recorded events, all on the
valuation date:
- an annuity unpaid, within its 6 months' grace (专利法 art. 44; 实施细则 r. 116): a warning;
- an invalidation request pending (专利法 art. 45): a warning;
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
from ipfin.registry.domain import EventType, Status
from ipfin.registry.models import RightEvent
from ipfin.registry.selectors import rights_status_bulk

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
        if status.status == Status.GRACE_PERIOD:
            matters.append(
                Matter(
                    number,
                    _(
                        "【警示】%(number)s：截至评估基准日，第 %(year)s 年度年费未缴，处于滞纳期"
                        "（至 %(until)s）；期满仍未缴纳的，专利权自应缴年费期满之日起终止（专利法"
                        "第四十四条）。评估结论以该年费按期补缴为前提。"
                    )
                    % {
                        "number": number,
                        "year": status.unpaid_year,
                        "until": f"{status.grace_until:%Y-%m-%d}" if status.grace_until else "—",
                    },
                    True,
                )
            )
        if status.invalidation_pending:
            matters.append(
                Matter(
                    number,
                    _(
                        "【警示】%(number)s：截至评估基准日，有无效宣告请求尚未审结；专利权被宣告"
                        "无效的，视为自始即不存在（专利法第四十七条）。评估结论未考虑其被宣告无效"
                        "的可能。"
                    )
                    % {"number": number},
                    True,
                )
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
