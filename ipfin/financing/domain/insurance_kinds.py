"""The kinds of IP insurance (险种) the seeds name (seeds 000 §11, 003, 004 (八); issue 16): what
an insurer's catalogue product is (ipfin.financing) and what a policy insures (ipfin.insurance).
Pure."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["InsuranceKind"]


class InsuranceKind(StrEnum):
    PLEDGE_GUARANTEE = "pledge_guarantee"  # 知识产权质押融资保证保险
    ENFORCEMENT = "enforcement"  # 知识产权执行保险
    INFRINGEMENT_LIABILITY = "infringement_liability"  # 知识产权侵权责任保险
    INFRINGED_LOSS = "infringed_loss"  # 知识产权被侵权损失保险
    APPLICATION_COST = "application_cost"  # 专利申请费用损失保险
    TRANSFORMATION_COST = "transformation_cost"  # 专利成果转化费用损失保险
    OVERSEAS_INFRINGEMENT = "overseas_infringement"  # 海外知识产权侵权责任保险

    @property
    def label_zh(self) -> str:
        return _KIND_ZH[self]


_KIND_ZH = {
    InsuranceKind.PLEDGE_GUARANTEE: "知识产权质押融资保证保险",
    InsuranceKind.ENFORCEMENT: "知识产权执行保险",
    InsuranceKind.INFRINGEMENT_LIABILITY: "知识产权侵权责任保险",
    InsuranceKind.INFRINGED_LOSS: "知识产权被侵权损失保险",
    InsuranceKind.APPLICATION_COST: "专利申请费用损失保险",
    InsuranceKind.TRANSFORMATION_COST: "专利成果转化费用损失保险",
    InsuranceKind.OVERSEAS_INFRINGEMENT: "海外知识产权侵权责任保险",
}
