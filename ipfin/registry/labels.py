"""Display labels for values the pure domain modules keep as plain codes (they import no Django,
so they carry no translatable labels): legal statuses of rights and pre-check outcomes."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STATUS_LABELS: dict[str, Promise] = {
    "pending": _("申请中（未授权）"),
    "in_force": _("有效"),
    "grace_period": _("滞纳期"),
    "lapsed": _("终止（未缴年费）"),
    "expired": _("期限届满"),
    "invalidated": _("宣告无效"),
    "surrendered": _("放弃"),
}

# Synthetic timeline entries that are facts of the right rather than events of its log.
TIMELINE_FILED = _("申请")
TIMELINE_GRANTED = _("授权/注册")
# Dated on the domain's expiry_date, the first day the right is no longer in force.
TIMELINE_EXPIRY = _("期限届满失效")
TIMELINE_EXPIRY_DETAIL = _("保护期限至 %(day)s，次日起失效")

# A grace period or lapse inferred from an imported source that records no later annuity payment.
ANNUITY_CAVEAT = _("年费缴纳信息来自数据源：数据源未载明后续年费缴纳记录，状态按未缴推定。")
ANNUITY_CAVEAT_AFTER_YEAR = _(
    "年费缴纳信息来自数据源：数据源未载明第 %(year)s 年之后的年费缴纳记录，状态按未缴推定。"
)


def status_label(code: object) -> str:
    value = getattr(code, "value", code)
    label = STATUS_LABELS.get(str(value))
    return str(label) if label is not None else str(value)
