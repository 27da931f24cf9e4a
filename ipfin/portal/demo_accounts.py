"""The demo's logins, as `load_demo` prints them and the login page of a demo server shows them.

The login page shows them only when the server runs as the demo (`IPFIN_DEMO=1`, which `make demo`
sets) and the demo data is loaded: a real deployment never prints a password on its login page.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["DEMO_LOGINS", "DEMO_PASSWORD"]

DEMO_PASSWORD = "ipfin-demo-2026"  # noqa: S105 - the demo data's password, printed on purpose

# (username, who it is): one login per role of the platform.
DEMO_LOGINS: tuple[tuple[str, Promise], ...] = (
    ("bank_a", _("银行A 信贷员")),
    ("bank_b", _("银行B 信贷员")),
    ("examiner", _("知识产权局 审查员")),
    ("examiner_b", _("知识产权局 复核审查员（5,000.00 万元以上双人复核）")),
    ("office_admin", _("知识产权局 管理员（工作日历、风险补偿基金）")),
    ("enterprise_a", _("企业A 财务（确认质押申请、融资需求、贴息）")),
    ("enterprise_d", _("企业D 财务")),
    ("regulator", _("金融监管 分析员")),
    ("park", _("园区管委会（为入园企业发布融资需求）")),
    ("agency", _("评估机构 评估师")),
    ("insurer", _("保险机构（发布保险产品、出具保单、理赔）")),
    ("guarantor", _("担保机构（发布担保产品、出具担保、代偿）")),
    ("centre", _("知识产权运营中心（登记交易大厅的成交）")),
)
