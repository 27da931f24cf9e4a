"""Credit data files from outside the platform (pure: no Django): the 纳税信用等级 lists of the
tax authority, the records of 信用中国 (失信被执行人, 行政处罚, 严重失信主体, 经营异常), and court
judgments (中国裁判文书网). Each row is checked on its own, every problem named with its row and
column; the import stores nothing from a file with any problem (the caller's rule).

A file is a table with a header row; the columns are found by their Chinese names (or the English
ones given here), in any order. Dates are YYYY-MM-DD."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from ipfin.accounts.domain import UsccError, validate_uscc
from ipfin.common.inputs import cell_text, unstorable


class CreditFileKind(StrEnum):
    TAX_GRADE = "tax_grade"  # 纳税信用等级 (国家税务总局 纳税信用管理办法: A, B, M, C, D)
    PUBLIC_CREDIT = "public_credit"  # 信用中国 公示记录
    COURT_JUDGMENT = "court_judgment"  # 裁判文书


TAX_GRADES = ("A", "B", "M", "C", "D")
PUBLIC_CREDIT_TYPES = ("失信被执行人", "行政处罚", "严重失信主体", "经营异常")
# The parties' standing as 裁判文书网 names it: at first instance, on appeal (二审), in a retrial
# (再审) and in enforcement (执行). An appeal's row was refused, and the whole file with it.
LITIGANT_ROLES = (
    "原告",
    "被告",
    "第三人",
    "上诉人",
    "被上诉人",
    "原审原告",
    "原审被告",
    "原审第三人",
    "再审申请人",
    "被申请人",
    "申请执行人",
    "被执行人",
)
# The first year of the 纳税信用等级 (纳税信用管理办法（试行）, 国家税务总局公告2014年第40号).
FIRST_TAX_YEAR = 2014
MAX_TEXT = 500
MAX_REFERENCE = 100

# column → the header names it is found by (Chinese first).
_COLUMNS: dict[CreditFileKind, dict[str, tuple[str, ...]]] = {
    CreditFileKind.TAX_GRADE: {
        "uscc": ("统一社会信用代码", "纳税人识别号", "uscc"),
        "name": ("纳税人名称", "企业名称", "name"),
        "year": ("评价年度", "year"),
        "grade": ("信用等级", "纳税信用等级", "grade"),
    },
    CreditFileKind.PUBLIC_CREDIT: {
        "uscc": ("统一社会信用代码", "uscc"),
        "name": ("企业名称", "主体名称", "name"),
        "type": ("记录类别", "类别", "type"),
        "date": ("决定日期", "列入日期", "date"),
        "reference": ("文书号", "决定书文号", "reference"),
        "detail": ("内容", "事由", "detail"),
    },
    CreditFileKind.COURT_JUDGMENT: {
        "uscc": ("统一社会信用代码", "uscc"),
        "name": ("当事人名称", "企业名称", "name"),
        "reference": ("案号", "reference"),
        "date": ("裁判日期", "date"),
        "role": ("诉讼地位", "role"),
        "detail": ("案由", "detail"),
    },
}
_REQUIRED: dict[CreditFileKind, tuple[str, ...]] = {
    CreditFileKind.TAX_GRADE: ("uscc", "year", "grade"),
    CreditFileKind.PUBLIC_CREDIT: ("uscc", "type", "date"),
    CreditFileKind.COURT_JUDGMENT: ("uscc", "reference", "date", "role"),
}


@dataclass(frozen=True)
class RowProblem:
    row: int  # the row's number in the file (the header is row 1)
    column: str  # the header's name in the file, or the column's own name when missing
    code: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class CreditRow:
    row: int
    uscc: str
    name: str
    kind: CreditFileKind
    value: str  # the grade, the record's type, or the litigant's role
    on: date  # the day the record speaks of (for a tax grade: the evaluation year's last day)
    reference: str = ""
    detail: str = ""


@dataclass
class ParsedFile:
    rows: list[CreditRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


# A date cell: YYYY-MM-DD as written, or an Excel date cell read as midnight of that day. Nothing
# else: `2024-01-015` is not 15 January cut short, and Python's other ISO forms (20240101,
# 2024-W01-1) are not what a list's clerk writes.
_DATE_CELL = re.compile(r"(\d{4}-\d{2}-\d{2})(?: 00:00:00)?")


def _date(raw: str) -> date | None:
    match = _DATE_CELL.fullmatch(raw)
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def header_columns(
    kind: CreditFileKind, header: list[Any]
) -> tuple[dict[str, int], dict[str, str], list[RowProblem]]:
    """Where each column is (index), the header's name for it, and the required columns missing
    (as problems of row 1)."""
    names = [cell_text(h) for h in header]
    found: dict[str, int] = {}
    shown: dict[str, str] = {}
    for column, aliases in _COLUMNS[kind].items():
        for i, name in enumerate(names):
            if name in aliases or name.lower() in aliases:
                found[column], shown[column] = i, name
                break
    missing = [
        RowProblem(
            1,
            _COLUMNS[kind][c][0],
            "column_missing",
            f"缺少“{_COLUMNS[kind][c][0]}”列。",
            f"The column {_COLUMNS[kind][c][0]!r} ({c}) is missing.",
        )
        for c in _REQUIRED[kind]
        if c not in found
    ]
    return found, shown, missing


def parse_credit_file(
    kind: CreditFileKind, table: list[list[Any]], *, today: date, as_of: date | None = None
) -> ParsedFile:
    """Every data row of `table` (header first) as a CreditRow, or its problems. Blank rows are
    skipped; a row is taken only if it has no problem.

    `as_of`, the file's data date (no later than today): no row can be later. A record's date
    is on or before it; a tax grade's evaluation year ended before it (纳税信用管理办法（试行）
    art. 15: a tax year is evaluated; art. 23: each April for the year before, so a list of 30
    April 2024 holds 2023's at the latest). The scorecard shows the file's date as the grade's
    source, and the later list of a year wins by it, so a row past it would be shown with a date
    it cannot have."""
    out = ParsedFile()
    latest = today if as_of is None else min(as_of, today)
    if latest == today:
        limit_zh, limit_en = f"今天（{today}）", f"today ({today})"
    else:
        limit_zh, limit_en = f"文件的数据日期（{latest}）", f"the file's data date ({latest})"
    if not table:
        return out
    found, shown, missing = header_columns(kind, table[0])
    if missing:
        out.problems.extend(missing)
        return out
    seen: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}
    for offset, cells in enumerate(table[1:], start=2):
        values = {c: cell_text(cells[i]) if i < len(cells) else "" for c, i in found.items()}
        if not any(values.values()):
            continue
        problems: list[RowProblem] = []

        def problem(
            column: str,
            code: str,
            zh: str,
            en: str,
            row: int = offset,
            sink: list[RowProblem] = problems,
        ) -> None:
            sink.append(RowProblem(row, shown.get(column, column), code, zh, en))

        for column, text in values.items():
            if unstorable(text):
                # A NUL (or a lone surrogate): SQLite stored it, PostgreSQL failed the whole
                # import on it with no row named.
                problem(
                    column,
                    "bad_character",
                    "含有无法保存的字符（空字符或不成对的代理字符），请检查文件是否损坏。",
                    "Holds a character no database can store (NUL or a lone surrogate): is the "
                    "file corrupted?",
                )
        uscc = ""
        try:
            uscc = validate_uscc(values["uscc"])
        except UsccError as exc:
            problem("uscc", exc.code.value, exc.message_zh, exc.message_en)
        for column in ("name", "detail"):
            if len(values.get(column, "")) > MAX_TEXT:
                problem(
                    column, "text_too_long", f"超过 {MAX_TEXT} 字。", f"Over {MAX_TEXT} characters."
                )
        if len(values.get("reference", "")) > MAX_REFERENCE:
            problem(
                "reference",
                "text_too_long",
                f"超过 {MAX_REFERENCE} 字。",
                f"Over {MAX_REFERENCE} characters.",
            )
        value, on = "", None
        if kind is CreditFileKind.TAX_GRADE:
            value = values["grade"].upper()
            if value not in TAX_GRADES:
                problem(
                    "grade",
                    "tax_grade_invalid",
                    f"纳税信用等级应为 {'、'.join(TAX_GRADES)} 之一。",
                    f"The tax credit grade must be one of {', '.join(TAX_GRADES)}.",
                )
            raw_year = values["year"]
            # ASCII digits only (str.isdigit also takes ① and ², which int() refuses).
            year = int(raw_year) if re.fullmatch(r"[0-9]{4}", raw_year) else None
            if year is None or not FIRST_TAX_YEAR <= year < latest.year:
                problem(
                    "year",
                    "tax_year_invalid",
                    f"评价年度应为 {FIRST_TAX_YEAR} 至 {latest.year - 1} 年之间的四位年份"
                    f"（不晚于{limit_zh}之前结束的年度）。",
                    f"The evaluation year must be from {FIRST_TAX_YEAR} to {latest.year - 1} "
                    f"(a year ended before {limit_en}).",
                )
            else:
                on = date(year, 12, 31)
        else:
            on = _date(values["date"])
            if on is None or on > latest:
                problem(
                    "date",
                    "date_invalid",
                    f"日期应为不晚于{limit_zh}的 YYYY-MM-DD。",
                    f"The date must be YYYY-MM-DD, not after {limit_en}.",
                )
            if kind is CreditFileKind.PUBLIC_CREDIT:
                value = values["type"]
                if value not in PUBLIC_CREDIT_TYPES:
                    problem(
                        "type",
                        "record_type_invalid",
                        f"记录类别应为 {'、'.join(PUBLIC_CREDIT_TYPES)} 之一。",
                        f"The record type must be one of {', '.join(PUBLIC_CREDIT_TYPES)}.",
                    )
            else:
                value = values["role"]
                if value not in LITIGANT_ROLES:
                    problem(
                        "role",
                        "litigant_role_invalid",
                        f"诉讼地位应为 {'、'.join(LITIGANT_ROLES)} 之一。",
                        f"The litigant's role must be one of {', '.join(LITIGANT_ROLES)}.",
                    )
                if not values["reference"]:
                    problem(
                        "reference",
                        "reference_required",
                        "缺少案号。",
                        "The case number is missing.",
                    )
        if kind is CreditFileKind.TAX_GRADE and uscc and on is not None:
            # One grade per enterprise and year in a file: two would leave which one counts to
            # the order of the rows.
            first, _ = seen.setdefault((uscc, on), (offset, ()))
            if first != offset:
                problem(
                    "uscc",
                    "duplicate_row",
                    f"与第 {first} 行是同一企业同一评价年度。",
                    f"The same enterprise and evaluation year as row {first}.",
                )
        elif uscc and on is not None and not problems:
            # A record once per file: the same 信用中国 record twice was counted as known from
            # another file; one case of one party twice (as plaintiff and as defendant, on two
            # days) stored both. A public record is the whole row; a case, its number.
            whole = (value, on, values.get("reference", ""), values.get("detail", ""))
            key = (uscc, *whole) if kind is CreditFileKind.PUBLIC_CREDIT else (uscc, whole[2])
            first, earlier = seen.setdefault(key, (offset, whole))
            if first != offset and earlier == whole:
                problem(
                    "uscc",
                    "duplicate_row",
                    f"与第 {first} 行重复。",
                    f"The same record as row {first}.",
                )
            elif first != offset:
                problem(
                    "reference",
                    "conflicting_row",
                    f"与第 {first} 行是同一当事人的同一案号，但内容不同。",
                    f"The same party's case number as row {first}, with other content.",
                )
        if problems or on is None:
            out.problems.extend(problems)
            continue
        out.rows.append(
            CreditRow(
                row=offset,
                uscc=uscc,
                name=values.get("name", ""),
                kind=kind,
                value=value,
                on=on,
                reference=values.get("reference", ""),
                detail=values.get("detail", ""),
            )
        )
    return out
