"""The office's notices of its decision on a pledge application, as PDF (ReportLab).

- Registration: 《专利权质押登记通知书》 (专利权质押登记办法, CNIPA announcement No. 461, 2021: an
  application found in order is entered in the register and the parties are sent this notice;
  the pledge arises on registration, 民法典 art. 444). A pledge of trademarks only gets the
  wording of 注册商标专用权质押登记程序规定 (announcement No. 358, 2020): 《商标专用权质权登记
  证》, naming the parties, the marks' registration numbers, the debt secured, the registration
  term and the registration date. A package of other rights (copyright, IC layouts) gets the
  neutral 《知识产权质押登记通知书》.
- Refusal: 《…不予登记通知书》 with the reasons the examiner recorded at the decision
  (`Pledge.decision_reason`; the refusal grounds are 办法 art. 12's list, which the pre-check
  keeps).

Set in Chinese, the register's language, whatever the examiner's interface language, in the
embedded font of every PDF (ipfin.common.pdf). The same pledge and office give the same bytes
(`invariant`: no creation time, no random id), so a notice can be made again and compared.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ipfin.common.money import to_fen
from ipfin.common.pdf import DOC_KWARGS, FONT, FONT_BOLD, TABLE_FONT, register_fonts
from ipfin.registry.domain import RightKind

__all__ = ["REFUSAL", "REGISTRATION", "NoticeText", "notice_pdf", "notice_text"]

REGISTRATION = "registration_notice"  # PledgeDocument.kind of the registration notice
REFUSAL = "refusal_notice"  # PledgeDocument.kind of the refusal notice

_PATENTS = {RightKind.INVENTION, RightKind.UTILITY_MODEL, RightKind.DESIGN}
_KIND_ZH = {
    RightKind.INVENTION: "发明专利",
    RightKind.UTILITY_MODEL: "实用新型专利",
    RightKind.DESIGN: "外观设计专利",
    RightKind.TRADEMARK: "注册商标",
}


@dataclass(frozen=True)
class NoticeText:
    """What a notice is called (its title and its file name's stem)."""

    title: str
    file_stem: str


def _family(kinds: Sequence[str]) -> str:
    values = {RightKind(k) for k in kinds}
    if values and values <= _PATENTS:
        return "patent"
    if values == {RightKind.TRADEMARK}:
        return "trademark"
    return "other"


def notice_text(kind: str, right_kinds: Sequence[str]) -> NoticeText:
    """The notice's title by what it decides (`REGISTRATION` / `REFUSAL`) and what is pledged."""
    family = _family(right_kinds)
    if kind == REGISTRATION:
        title = {
            "patent": "专利权质押登记通知书",
            "trademark": "商标专用权质权登记证",
            "other": "知识产权质押登记通知书",
        }[family]
    else:
        title = {
            "patent": "专利权质押不予登记通知书",
            "trademark": "商标专用权质权不予登记通知书",
            "other": "知识产权质押不予登记通知书",
        }[family]
    return NoticeText(title=title, file_stem=title)


def _yuan(amount: Any) -> str:
    return f"{to_fen(amount):,.2f} 元"


def _day(d: date | None) -> str:
    return f"{d.year} 年 {d.month} 月 {d.day} 日" if d else "—"


def _party(org: Any) -> str:
    uscc = getattr(org, "uscc", None)
    return f"{org.name}（统一社会信用代码 {uscc}）" if uscc else str(org.name)


def notice_pdf(pledge: Any, *, kind: str, office: str, decided_on: date) -> bytes:
    """The notice of `kind` for `pledge` (with its parties and rights loaded), issued by `office`
    (the deciding examiner's organisation) on `decided_on`."""
    register_fonts()
    items = list(pledge.items.all())
    rights = [item.right for item in items]
    text = notice_text(kind, [r.kind for r in rights])
    trademark = _family([r.kind for r in rights]) == "trademark"
    base = ParagraphStyle("notice", fontName=FONT, fontSize=10.5, leading=17, wordWrap="CJK")
    title = ParagraphStyle(
        "notice-title",
        parent=base,
        fontName=FONT_BOLD,
        fontSize=18,
        leading=28,
        alignment=TA_CENTER,
    )
    centre = ParagraphStyle("notice-centre", parent=base, alignment=TA_CENTER)
    cell = ParagraphStyle("notice-cell", parent=base, fontSize=9.5, leading=14)
    head = ParagraphStyle("notice-head", parent=cell, fontName=FONT_BOLD)
    right_side = ParagraphStyle("notice-sign", parent=base, alignment=2)

    def p(value: Any, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(value)), style)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=22 * mm,
        bottomMargin=20 * mm,
        title=text.title,
        author=office,
        creator="ipfin",
        invariant=True,
        **DOC_KWARGS,
    )
    width = doc.width
    number = pledge.registration_no or f"申请 #{pledge.pk}"
    story: list[Any] = [
        p(text.title, title),
        p(f"{'登记号' if kind == REGISTRATION else '申请号'}：{number}", centre),
        Spacer(1, 6 * mm),
        p(f"出质人：{_party(pledge.pledgor)}"),
        p(f"质权人：{_party(pledge.pledgee)}"),
        Spacer(1, 3 * mm),
    ]
    if kind == REGISTRATION:
        law = "《注册商标专用权质押登记程序规定》" if trademark else "《专利权质押登记办法》"
        story.append(
            p(
                f"经审查，你方共同申请的质押登记（质押合同编号 {pledge.contract_no}）符合{law}"
                f"的规定，准予登记，登记事项如下。质权自登记之日起设立（《中华人民共和国民法典》"
                f"第四百四十四条）。"
            )
        )
    else:
        story.append(
            p(
                f"经审查，你方共同申请的质押登记（质押合同编号 {pledge.contract_no}）不予登记，"
                f"理由如下："
            )
        )
        story.append(
            Table(
                [[p(pledge.decision_reason or "—")]],
                colWidths=[width],
                style=TableStyle(
                    [
                        TABLE_FONT,
                        ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#b42318")),
                        ("LEFTPADDING", (0, 0), (-1, -1), 6),
                        ("TOPPADDING", (0, 0), (-1, -1), 4),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                    ]
                ),
            )
        )
    story.append(Spacer(1, 4 * mm))
    facts: list[tuple[str, str]] = []
    if kind == REGISTRATION:
        facts += [
            ("登记号", str(pledge.registration_no)),
            ("质权登记日期" if trademark else "登记日", _day(pledge.effective_date)),
        ]
    facts += [
        ("被担保的债权数额" if trademark else "被担保主债权数额", _yuan(pledge.debt_amount)),
        (
            "质权登记期限" if trademark else "债务履行期限",
            f"{_day(pledge.term_start)} 至 {_day(pledge.term_end)}",
        ),
        ("质押合同编号", pledge.contract_no),
    ]
    story.append(
        Table(
            [[p(k, head), p(v, cell)] for k, v in facts],
            colWidths=[width * 0.3, width * 0.7],
            style=TableStyle(
                [
                    TABLE_FONT,
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#c4cdd5")),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            ),
        )
    )
    story.append(Spacer(1, 4 * mm))
    number_label = "商标注册号" if trademark else "申请号/注册号"
    rows = [[p(number_label, head), p("类型", head), p("名称", head)]]
    rows += [
        [p(r.number, cell), p(_KIND_ZH.get(r.kind, r.get_kind_display()), cell), p(r.title, cell)]
        for r in rights
    ]
    story.append(
        Table(
            rows,
            colWidths=[width * 0.28, width * 0.2, width * 0.52],
            repeatRows=1,
            style=TableStyle(
                [
                    TABLE_FONT,
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#c4cdd5")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            ),
        )
    )
    story.append(Spacer(1, 6 * mm))
    if kind == REFUSAL:
        story.append(
            p(
                "当事人对本决定不服的，可以自收到本通知书之日起依法申请行政复议或者提起行政诉讼；"
                "消除不予登记的情形后，可以重新申请办理质押登记。"
            )
        )
    story += [
        Spacer(1, 10 * mm),
        p(f"审查机关：{office}", right_side),
        p(_day(decided_on), right_side),
        Spacer(1, 8 * mm),
        p("本通知书由知识产权金融服务平台按审查决定生成，与登记簿记载一致。", cell),
    ]
    doc.build(story)
    return buffer.getvalue()
