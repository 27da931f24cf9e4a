"""Excel (.xlsx, openpyxl) exports: a batch with its follow-ups, and the conversion figures.

Reads only, through the selectors, so an export holds exactly what its reader may see (a bank:
its own follow-ups). Amounts are numbers with two decimals (format #,##0.00), rates percentages.
Every row goes through `ipfin.common.excel.append_row`: text that a spreadsheet would run as a
formula (a bank's note `=HYPERLINK(...)`) is written as quoted text (OWASP CSV Injection).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ipfin.accounts.models import User
from ipfin.common.display import EXCEL_MONEY_FORMAT, EXCEL_PERCENT_FORMAT
from ipfin.common.excel import XLSX_CONTENT_TYPE, append_row, header_sheet
from ipfin.whitelist import selectors
from ipfin.whitelist.models import FollowUpStatus, WhitelistBatch

__all__ = ["XLSX_CONTENT_TYPE", "batch_workbook", "figures_workbook"]

_MONEY = EXCEL_MONEY_FORMAT
_PERCENT = EXCEL_PERCENT_FORMAT
_STATUS_ZH = dict(FollowUpStatus.choices)


def _sheet(wb: Workbook, title: str, header: Sequence[str], *, first: bool = False) -> Worksheet:
    return header_sheet(wb, title, header, first=first)


def _format(
    ws: Worksheet, money_cols: Sequence[int] = (), percent_cols: Sequence[int] = ()
) -> None:
    for row in ws.iter_rows(min_row=2):
        for col in money_cols:
            row[col - 1].number_format = _MONEY
        for col in percent_cols:
            row[col - 1].number_format = _PERCENT


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _local(dt: Any) -> Any:
    # Excel has no time zones: local time, without tzinfo.
    return timezone.localtime(dt).replace(tzinfo=None) if dt is not None else None


def batch_workbook(*, actor: User, batch: WhitelistBatch) -> bytes:
    """Sheets: 白名单 (the entries), 跟进情况 (each enterprise × bank pushed to, with the latest
    follow-up, 待跟进 when none), 跟进记录 (every follow-up row)."""
    wb = Workbook()
    entries = list(selectors.batch_entries(batch))
    ws = _sheet(
        wb,
        "白名单",
        [
            "序号",
            "企业名称",
            "统一社会信用代码",
            "行业",
            "地区",
            "评分",
            "评级",
            "来源",
            "入选理由",
        ],
        first=True,
    )
    for n, entry in enumerate(entries, 1):
        org = entry.enterprise
        append_row(
            ws,
            [
                n,
                org.name,
                org.uscc,
                org.industry,
                org.region,
                entry.credit_score,
                entry.credit_grade,
                entry.get_source_display(),
                "；".join(str(r.get("zh", "")) for r in entry.reasons or []),
            ],
        )
    pushes = selectors.batch_pushes(batch, actor=actor)
    latest = {
        (f.entry_id, f.bank_id): f for f in selectors.latest_follow_ups(actor=actor, batch=batch)
    }
    ws = _sheet(
        wb,
        "跟进情况",
        [
            "企业名称",
            "统一社会信用代码",
            "银行",
            "推送时间",
            "最新状态",
            "金额（元）",
            "原因",
            "跟进时间",
        ],
    )
    for entry in entries:
        for push in pushes:
            f = latest.get((entry.pk, push.bank_id))
            append_row(
                ws,
                [
                    entry.enterprise.name,
                    entry.enterprise.uscc,
                    push.bank.name,
                    _local(push.pushed_at),
                    str(_STATUS_ZH[f.status]) if f else "待跟进",
                    f.amount if f else None,
                    f.reason if f else "",
                    _local(f.recorded_at) if f else None,
                ],
            )
    _format(ws, money_cols=[6])
    ws = _sheet(
        wb,
        "跟进记录",
        [
            "企业名称",
            "统一社会信用代码",
            "银行",
            "状态",
            "金额（元）",
            "原因",
            "备注",
            "记录人",
            "时间",
        ],
    )
    for f in selectors.follow_up_rows(actor=actor, batch=batch):
        append_row(
            ws,
            [
                f.entry.enterprise.name,
                f.entry.enterprise.uscc,
                f.bank.name,
                str(_STATUS_ZH[f.status]),
                f.amount,
                f.reason,
                f.note,
                f.recorded_by.get_username(),
                _local(f.recorded_at),
            ],
        )
    _format(ws, money_cols=[5])
    return _save(wb)


_FIGURE_HEADER = [
    "推送（企业×银行）",
    "已对接",
    "已授信（户）",
    "授信金额（元）",
    "已放款（户）",
    "放款金额（元）",
    "未通过",
    "对接率",
    "授信率",
    "放款率",
]


def _figure_values(row: dict[str, Any]) -> list[Any]:
    rates = row["rates"]
    return [
        row["pushed"],
        row["contacted"],
        row["credit_granted"],
        row["credit_granted_amount"],
        row["loan_disbursed"],
        row["loan_disbursed_amount"],
        row["declined"],
        rates.contacted,
        rates.credit_granted,
        rates.loan_disbursed,
    ]


def figures_workbook(*, actor: User) -> bytes:
    """Sheets: 按批次, 按银行, 合计 (conversion figures), 银行推荐 (recommendations per bank)."""
    wb = Workbook()
    for title, by, label, first in (
        ("按批次", ("batch",), "批次", True),
        ("按银行", ("bank",), "银行", False),
    ):
        ws = _sheet(wb, title, [label, *_FIGURE_HEADER], first=first)
        for row in selectors.conversion_figures(actor=actor, by=by):
            append_row(ws, [row[f"{by[0]}_name"], *_figure_values(row)])
        _format(ws, money_cols=[5, 7], percent_cols=[9, 10, 11])
    ws = _sheet(wb, "合计", _FIGURE_HEADER)
    for row in selectors.conversion_figures(actor=actor, by=()):
        append_row(ws, _figure_values(row))
    _format(ws, money_cols=[4, 6], percent_cols=[8, 9, 10])
    ws = _sheet(wb, "银行推荐", ["银行", "推荐", "已纳入批次", "未采纳", "待处理"])
    for row in selectors.recommendation_figures(actor=actor):
        append_row(
            ws, [row["bank__name"], row["received"], row["accepted"], row["declined"], row["open"]]
        )
    return _save(wb)
