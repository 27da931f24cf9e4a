"""White list (白名单) rules: reading imported lists, screening enterprises, conversion figures.

Pure: no Django, no clock, no database. The services read the file and the facts, call these
functions and save.

Imported lists (专精特新中小企业, 高新技术企业 ... published by the authorities as spreadsheets):
- `detect_header` finds the header row among the first rows of a sheet, tolerant of the common
  spellings of the two columns we read (统一社会信用代码 / 社会信用代码 / 信用代码 / USCC ...;
  企业名称 / 单位名称 / 公司名称 / 名称 ...), of notes in brackets ("统一社会信用代码（必填）"),
  of full-width characters, blanks and asterisks.
- `extract_rows` gives every non-blank data row with its spreadsheet row number (1-based, the
  header counted), so that a report names the row a user sees in Excel.
- `match_rows` matches each row to an enterprise: by its credit code when the row has one (the
  code is checked with GB 32100's check characters first: a bad code is reported, never guessed
  at), else by exact normalised name (`normalise_name`: NFKC, so full-width letters, digits and
  brackets equal their ASCII forms, all whitespace removed, case folded). A name that names two
  enterprises is reported as ambiguous; the second row naming an enterprise already matched is
  reported as a duplicate. A row with a valid code that no enterprise has is reported
  (uscc_not_found) rather than matched by its name: the list and the platform disagree about who
  it is, and a person should look.

Screening (`screen`): every criterion of a rule that is set must hold (AND); within a criterion any
listed value will do (OR); an empty criterion restricts nothing. Regions match by prefix, so that
"4403" (深圳市) or "广东省" covers the districts below it. An enterprise without an "IP + credit"
score (no credit profile on file) is excluded, with that reason: the white list vouches for the
score it snapshots, and an enterprise nobody has profiled has none to vouch for.

Conversion figures (`conversion`): rates over the (enterprise, bank) pairs pushed, as ratios
rounded ROUND_HALF_UP to four decimals (0.1234 = 12.34 %); None when nothing was pushed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ipfin.accounts.domain import UsccError, validate_uscc
from ipfin.common.inputs import cell_text

__all__ = [
    "HEADER_SCAN_ROWS",
    "NAME_HEADERS",
    "USCC_HEADERS",
    "ConversionRates",
    "Criteria",
    "EnterpriseFacts",
    "EnterpriseRef",
    "Header",
    "ImportFormatError",
    "RawRow",
    "Reason",
    "RowMatch",
    "UnmatchedReason",
    "Verdict",
    "conversion",
    "detect_header",
    "extract_rows",
    "match_rows",
    "normalise_header",
    "normalise_name",
    "ratio",
    "screen",
]


# --- reading a list ------------------------------------------------------------------------------

HEADER_SCAN_ROWS = 10
# Normalised (see `normalise_header`) spellings of the two columns, most specific first.
USCC_HEADERS: tuple[str, ...] = (
    "统一社会信用代码",
    "社会统一信用代码",
    "统一信用代码",
    "社会信用代码",
    "信用代码",
    "统一代码",
    "纳税人识别号",  # equals the credit code for every entity registered since 2015 (GB 32100)
    "uscc",
    "creditcode",
    "unifiedsocialcreditcode",
)
NAME_HEADERS: tuple[str, ...] = (
    "企业名称",
    "单位名称",
    "公司名称",
    "企业全称",
    "单位全称",
    "申报单位",
    "申报企业",
    "名称",
    "企业",
    "companyname",
    "enterprisename",
    "enterprise",
    "company",
    "name",
)
_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")
_HEADER_NOISE = re.compile(r"[\s*:：_\-]+")


class ImportFormatError(ValueError):
    """The file cannot be read as a list: no header row, no data."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class Header:
    row_index: int  # 0-based index of the header row in the sheet
    uscc_col: int | None
    name_col: int | None


@dataclass(frozen=True)
class RawRow:
    row_no: int  # spreadsheet row number, 1-based, header included
    uscc: str  # stripped text, "" when the cell is empty
    name: str


def normalise_header(value: object) -> str:
    """A header cell reduced for comparison: NFKC, notes in brackets, blanks, asterisks and colons
    removed, case folded ("统一社会信用代码（必填）*" → "统一社会信用代码")."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    text = _BRACKETED.sub("", text)
    return _HEADER_NOISE.sub("", text).casefold()


def _find_column(cells: Sequence[str], spellings: Sequence[str]) -> int | None:
    for spelling in spellings:  # the most specific spelling wins over a generic one
        for index, cell in enumerate(cells):
            if cell == spelling:
                return index
    return None


def detect_header(rows: Sequence[Sequence[object]], *, scan: int = HEADER_SCAN_ROWS) -> Header:
    """The first row (among the first `scan`) naming a credit-code or a name column.

    Title rows above the header (a list's caption, a date) are skipped. Raises `ImportFormatError`
    (code "header_not_found") when no row names either column.
    """
    for index, row in enumerate(rows[:scan]):
        cells = [normalise_header(value) for value in row]
        uscc_col = _find_column(cells, USCC_HEADERS)
        name_col = _find_column(cells, NAME_HEADERS)
        if uscc_col is not None or name_col is not None:
            return Header(row_index=index, uscc_col=uscc_col, name_col=name_col)
    raise ImportFormatError(
        "header_not_found",
        f"前 {scan} 行中未找到表头：须含“统一社会信用代码”或“企业名称”列。",
        f"No header row in the first {scan} rows: a column “统一社会信用代码” (credit code) or "
        "“企业名称” (enterprise name) is required.",
    )


def extract_rows(rows: Sequence[Sequence[object]], header: Header) -> list[RawRow]:
    """The data rows below the header, blank ones skipped, each with its spreadsheet row number."""

    def cell(row: Sequence[object], col: int | None) -> str:
        if col is None or col >= len(row):
            return ""
        return cell_text(row[col])

    result = []
    for index in range(header.row_index + 1, len(rows)):
        row = rows[index]
        uscc, name = cell(row, header.uscc_col), cell(row, header.name_col)
        if uscc or name:
            result.append(RawRow(row_no=index + 1, uscc=uscc, name=name))
    return result


def normalise_name(name: str) -> str:
    """An enterprise name reduced for exact comparison: NFKC (full-width brackets and letters as
    ASCII), every whitespace character removed, case folded."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


class UnmatchedReason(StrEnum):
    USCC_INVALID = "uscc_invalid"
    USCC_NOT_FOUND = "uscc_not_found"
    NOT_ENTERPRISE = "not_enterprise"
    NAME_NOT_FOUND = "name_not_found"
    NAME_AMBIGUOUS = "name_ambiguous"
    NO_IDENTIFIER = "no_identifier"
    DUPLICATE = "duplicate"


REASON_TEXT: dict[UnmatchedReason, tuple[str, str]] = {
    UnmatchedReason.USCC_INVALID: ("统一社会信用代码无效", "invalid credit code"),
    UnmatchedReason.USCC_NOT_FOUND: (
        "平台无此统一社会信用代码的企业",
        "no enterprise on the platform has this credit code",
    ),
    UnmatchedReason.NOT_ENTERPRISE: (
        "该统一社会信用代码属于非企业机构",
        "the credit code belongs to an organisation that is not an enterprise",
    ),
    UnmatchedReason.NAME_NOT_FOUND: (
        "平台无此名称的企业",
        "no enterprise on the platform has this name",
    ),
    UnmatchedReason.NAME_AMBIGUOUS: (
        "平台有多家同名企业，请提供统一社会信用代码",
        "several enterprises have this name: give the credit code",
    ),
    UnmatchedReason.NO_IDENTIFIER: (
        "缺少统一社会信用代码和企业名称",
        "neither a credit code nor a name",
    ),
    UnmatchedReason.DUPLICATE: (
        "与前面的行重复（同一企业）",
        "repeats an earlier row (same enterprise)",
    ),
}


@dataclass(frozen=True)
class EnterpriseRef:
    id: int
    name: str
    uscc: str
    is_enterprise: bool = True


@dataclass(frozen=True)
class RowMatch:
    row: RawRow
    uscc: str  # canonical code when valid, else the text as given
    enterprise_id: int | None
    matched_by: str  # "uscc" | "name" | ""
    reason: UnmatchedReason | None = None
    detail_zh: str = ""
    detail_en: str = ""

    @property
    def matched(self) -> bool:
        return self.enterprise_id is not None


def _unmatched(
    row: RawRow, uscc: str, reason: UnmatchedReason, zh: str = "", en: str = ""
) -> RowMatch:
    base_zh, base_en = REASON_TEXT[reason]
    return RowMatch(
        row=row,
        uscc=uscc,
        enterprise_id=None,
        matched_by="",
        reason=reason,
        detail_zh=f"{base_zh}：{zh}" if zh else base_zh,
        detail_en=f"{base_en}: {en}" if en else base_en,
    )


def _match_one(
    row: RawRow,
    by_uscc: Mapping[str, EnterpriseRef],
    by_name: Mapping[str, Sequence[EnterpriseRef]],
) -> RowMatch:
    if row.uscc:
        try:
            code = validate_uscc(row.uscc)
        except UsccError as exc:
            return _unmatched(
                row, row.uscc, UnmatchedReason.USCC_INVALID, exc.message_zh, exc.message_en
            )
        found = by_uscc.get(code)
        if found is None:
            return _unmatched(row, code, UnmatchedReason.USCC_NOT_FOUND)
        if not found.is_enterprise:
            return _unmatched(row, code, UnmatchedReason.NOT_ENTERPRISE, found.name, found.name)
        return RowMatch(row=row, uscc=code, enterprise_id=found.id, matched_by="uscc")
    if not row.name:
        return _unmatched(row, "", UnmatchedReason.NO_IDENTIFIER)
    candidates = [e for e in by_name.get(normalise_name(row.name), ()) if e.is_enterprise]
    if not candidates:
        return _unmatched(row, "", UnmatchedReason.NAME_NOT_FOUND)
    if len({e.id for e in candidates}) > 1:
        return _unmatched(row, "", UnmatchedReason.NAME_AMBIGUOUS)
    return RowMatch(
        row=row, uscc=candidates[0].uscc, enterprise_id=candidates[0].id, matched_by="name"
    )


def match_rows(
    rows: Iterable[RawRow],
    by_uscc: Mapping[str, EnterpriseRef],
    by_name: Mapping[str, Sequence[EnterpriseRef]],
) -> list[RowMatch]:
    """Match every row (see the module docstring). `by_uscc` maps canonical codes to the
    organisations that hold them, `by_name` normalised names to the enterprises of that name."""
    seen: dict[int, int] = {}  # enterprise id → row number that matched it first
    result = []
    for row in rows:
        match = _match_one(row, by_uscc, by_name)
        if match.enterprise_id is not None:
            first = seen.setdefault(match.enterprise_id, row.row_no)
            if first != row.row_no:
                match = _unmatched(
                    row, match.uscc, UnmatchedReason.DUPLICATE, f"第 {first} 行", f"row {first}"
                )
        result.append(match)
    return result


# --- screening -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """A screening rule's criteria; empty tuples and None restrict nothing."""

    min_credit_score: int | None = None
    industries: tuple[str, ...] = ()
    park_ids: tuple[int, ...] = ()
    regions: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    required_list_kinds: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "min_credit_score": self.min_credit_score,
            "industries": list(self.industries),
            "park_ids": list(self.park_ids),
            "regions": list(self.regions),
            "sizes": list(self.sizes),
            "required_list_kinds": list(self.required_list_kinds),
        }


@dataclass(frozen=True)
class EnterpriseFacts:
    id: int
    industry: str
    region: str
    park_id: int | None
    size: str
    list_kinds: frozenset[str]  # kinds of the current imported lists that name the enterprise
    credit_score: int | None  # None: no credit profile on file (or a profile not scorable)
    score_error: str = ""  # why a profile on file could not be scored
    # The day of a 失信被执行人 / 严重失信主体 record of the last two years (its scorecard is
    # graded D, 一票否决): never on a white list, whatever the criteria.
    dishonesty_on: date | None = None


@dataclass(frozen=True)
class Reason:
    code: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Verdict:
    included: bool
    met: tuple[Reason, ...] = field(default=())
    failed: tuple[Reason, ...] = field(default=())


def _listing(values: Iterable[object]) -> str:
    return "、".join(str(v) for v in values)


def screen(facts: EnterpriseFacts, criteria: Criteria) -> Verdict:
    """Whether the enterprise passes every criterion set, with the criteria met and failed."""
    met: list[Reason] = []
    failed: list[Reason] = []
    c = criteria
    score = facts.credit_score
    if facts.dishonesty_on is not None:
        failed.append(
            Reason(
                "dishonesty_record",
                f"信用中国记载其为失信被执行人或严重失信主体（{facts.dishonesty_on}），不予推荐",
                f"listed as a dishonest judgment debtor or seriously dishonest entity on "
                f"{facts.dishonesty_on} (信用中国): not recommended",
            )
        )
    if score is None and facts.score_error:
        failed.append(
            Reason(
                "credit_score_error",
                f"无法计算评分：{facts.score_error}",
                f"the score cannot be computed: {facts.score_error}",
            )
        )
    elif score is None:
        failed.append(
            Reason(
                "no_credit_profile",
                "无“知识产权+信用”评分（未建信用画像）",
                "no IP + credit score (no credit profile)",
            )
        )
    elif c.min_credit_score is not None:
        if score >= c.min_credit_score:
            met.append(
                Reason(
                    "credit_score",
                    f"评分 {score} ≥ {c.min_credit_score}",
                    f"score {score} ≥ {c.min_credit_score}",
                )
            )
        else:
            failed.append(
                Reason(
                    "credit_score",
                    f"评分 {score} < {c.min_credit_score}",
                    f"score {score} < {c.min_credit_score}",
                )
            )
    if c.industries:
        if facts.industry in c.industries:
            met.append(Reason("industry", f"行业：{facts.industry}", f"industry: {facts.industry}"))
        else:
            failed.append(
                Reason(
                    "industry",
                    f"行业“{facts.industry or '未填'}”不在 {_listing(c.industries)} 之列",
                    f"industry {facts.industry or '(none)'!r} not among {', '.join(c.industries)}",
                )
            )
    if c.park_ids:
        if facts.park_id is not None and facts.park_id in c.park_ids:
            met.append(Reason("park", "所在园区符合", "in one of the parks"))
        else:
            failed.append(Reason("park", "不在所选园区内", "not in one of the parks"))
    if c.regions:
        region = facts.region
        if region and any(region.startswith(r) for r in c.regions):
            met.append(Reason("region", f"地区：{region}", f"region: {region}"))
        else:
            failed.append(
                Reason(
                    "region",
                    f"地区“{region or '未填'}”不在 {_listing(c.regions)} 范围内",
                    f"region {region or '(none)'!r} not within {', '.join(c.regions)}",
                )
            )
    if c.sizes:
        if facts.size in c.sizes:
            met.append(Reason("size", f"企业规模：{facts.size}", f"size: {facts.size}"))
        else:
            failed.append(
                Reason(
                    "size",
                    f"企业规模“{facts.size or '未填'}”不符",
                    f"size {facts.size or '(none)'!r} not among {', '.join(c.sizes)}",
                )
            )
    for kind in c.required_list_kinds:
        if kind in facts.list_kinds:
            met.append(Reason(f"list:{kind}", f"在名单内：{kind}", f"on the list: {kind}"))
        else:
            failed.append(Reason(f"list:{kind}", f"不在名单内：{kind}", f"not on the list: {kind}"))
    return Verdict(included=not failed, met=tuple(met), failed=tuple(failed))


# --- conversion figures --------------------------------------------------------------------------

_RATE_PLACES = Decimal("0.0001")


def ratio(part: int, whole: int) -> Decimal | None:
    """part / whole rounded ROUND_HALF_UP to four decimals; None when whole is 0."""
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ConversionRates:
    contacted: Decimal | None
    credit_granted: Decimal | None
    loan_disbursed: Decimal | None
    declined: Decimal | None


def conversion(
    *, pushed: int, contacted: int, credit_granted: int, loan_disbursed: int, declined: int
) -> ConversionRates:
    """Each stage's count over the pairs pushed (not over the previous stage: the funnel's rates
    then read alike, and none divides by a stage that may be 0 while the next is not)."""
    return ConversionRates(
        contacted=ratio(contacted, pushed),
        credit_granted=ratio(credit_granted, pushed),
        loan_disbursed=ratio(loan_disbursed, pushed),
        declined=ratio(declined, pushed),
    )
