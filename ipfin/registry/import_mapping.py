"""Mapping of patent-data exports onto the register's rows. Pure: no Django, no I/O, no clock.

`detect_format(columns)` names the export a table (CSV header or JSON object keys) comes from;
`map_rows(fmt, rows, source=...)` turns its rows into `RightRecord`s (what the register should hold)
or `RowProblem`s (why a row was skipped or refused). `ipfin.registry.importers` reads the files and
writes the records; everything that decides *what* a row means lives here.

Formats (see the SOURCE.md beside each file under ../shared/data/):

- cn-patents-cnipr-export: 申请号 carries its check digit and is verified. The kind comes from
  the number's type digit and must agree with the 公开（公告）号 kind code: U / Y utility model,
  S / D design, B / C granted invention, A published invention application. A grant publication
  (U, Y, S, D, B, C) is the grant announcement: granted on 公开（公告）日. An A publication is a
  pending application (no grant date).
- cn-patents-legal-status-sample: 申请号 with check digit; 授权公告日 (YYYYMMDD, 0 = none) is the
  grant date; 专利类型 must agree with the number's kind; owners are 当前权利人 (the current
  register holder), else 申请人. 法律状态 "有权…" states the patent was in force when the table was
  exported. The export date is not in the file, but it cannot be earlier than the latest date the
  file contains, so that date (`as_of`) is a known day on which the patent was in force: every
  annuity due up to it is recorded as paid on its due date, labelled with the file as source and
  the basis in the payload. Nothing is recorded for other states (their dates are not given).
- cn-ip-qichacha-records: patents (ApplicationNumber, check digit verified; a grant publication
  kind means granted on PublicationDate) and trademarks (kind trademark, number = RegNo,
  mark_text = title = Name, nice_classes = [IntCls], filed on AppDate). The trademark records give
  no registration date, so they are imported as applications (no grant date); "商标无效" has no
  date either, so no event is invented for it. PatentLegalHistory holds prosecution steps (公开,
  实质审查的生效, 授权), not register events: the grant is the grant date, nothing else is recorded.
- lens-patent-samples: rows of other jurisdictions are skipped with reason "not_cn" (counted, not
  errors). CN rows give the application number without its check digit ("CN 200710063161 A"):
  the check digit is a function of the number's body (ZC 0006-2003), so the canonical number is
  derived from it, not guessed; the kind comes from the type digit and must agree with the
  publication kind code. Dates are ISO or DD/MM/YY (the century is taken from Publication Year).
- cn-patents-cnki-citations, cn-patents-cnki-material-chem: no application number, and the
  citations have no filing date either. The register is keyed by the application number (申请号, the
  number pledges, annuities and the public query use); keying these rows by their publication
  number would open a second number space and a second register entry for the same patent once
  another source brings its application number. So every row is skipped with reason
  "no_application_number" (counted, not an error).

A number twice in one file is a duplicate (the first row loads), except an application's
publication and its grant (an invention's A and B publications in one CNIPR export): the grant's row
loads wherever it stands and the other is skipped as "superseded_in_file", as a grant from another
file is never undone by the application's.

Every granted patent gets one annuity_paid event for `first_annuity_year` on the grant date, source
"import": the grant registration fee includes that year's annuity (专利法实施细则 r. 115, 2023;
专利收费标准, 授权当年年费). No other event is ever invented.

Owners: the applicant / patentee names split on ';' (lens: ';;'), in order and without repeats;
none of these sources carries a USCC. Co-owners get equal shares in millionths (the register's
precision); when 1/n is not exact the remainder goes to the first-named owner, so the shares sum
to 1.

Applicants and backward citations (what the 价值度 score's applicant and citation indicators read;
Right.applicant_type, applicant_count, backward_citations):

- applicant_type: the type of the first-named applicant at filing (enterprise, university,
  institute, individual, public; "" = unknown). The legal-status sample states it (申请人类型:
  科研机构 → institute, see `domain.APPLICANT_TYPE_LABELS`); every other source names the
  applicants only, and the first name is classified by `domain.applicant_type_of` ("" when the
  name does not tell, e.g. a cut Lens name such as "BEIJING AERONAUTICAL & SPACE U").
- applicant_count: the number of distinct applicants at filing. The applicants are the names the
  row lists as applicants: CNIPR 申请（专利权）人, legal-status 申请人 (not 当前权利人, the current
  holder), Lens Applicants, qichacha AssigneestringList / ApplicantCn. No name: None (unknown).
- backward_citations: the references the patent lists (OECD "backward citations"). CNIPR 参考文献:
  the number of non-empty ';'-separated entries, an empty cell is None (unknown), never 0 - the
  shipped export leaves it empty in every row; legal-status 引证数: the integer, empty None. Lens
  (its Cited Count is forward citations, cited_by_count), qichacha (Cites is null) and the others:
  None.
On a right already in the register a source that leaves a fact unknown never erases it.

Row numbers are what a spreadsheet shows: CSV row 1 is the header, the first record is row 2;
JSON records are numbered from 1.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ipfin.registry.domain import (
    PATENT_KINDS,
    EventType,
    NumberErrorCode,
    NumberFormatError,
    RightKind,
    annuity_schedule,
    applicants_summary,
    cn_application_check_digit,
    first_annuity_year,
    kind_from_application_no,
    normalize_number,
)

GRANT_ANNUITY_SOURCE = "import"


class Format(StrEnum):
    CNIPR = "cn-patents-cnipr-export"
    LEGAL_STATUS = "cn-patents-legal-status-sample"
    QCC_PATENTS = "cn-ip-qichacha-records/patents"
    QCC_TRADEMARKS = "cn-ip-qichacha-records/trademarks"
    LENS = "lens-patent-samples"
    CNKI_CITATIONS = "cn-patents-cnki-citations"
    CNKI_MATERIAL_CHEM = "cn-patents-cnki-material-chem"


# The columns (or keys) whose presence identifies each format; checked in this order.
_SIGNATURES: tuple[tuple[Format, frozenset[str]], ...] = (
    (Format.LEGAL_STATUS, frozenset({"申请号", "授权公告日", "专利类型", "法律状态", "专利名称"})),
    (Format.CNIPR, frozenset({"申请号", "公开（公告）号", "公开（公告）日", "申请日", "名称"})),
    (Format.QCC_PATENTS, frozenset({"ApplicationNumber", "PublicationNumber", "Title"})),
    (Format.QCC_TRADEMARKS, frozenset({"RegNo", "IntCls", "Name", "AppDate"})),
    (
        Format.LENS,
        frozenset({"Jurisdiction", "Kind", "Publication Number", "Application Number"}),
    ),
    (Format.CNKI_MATERIAL_CHEM, frozenset({"title", "author", "com", "sql", "publication_number"})),
    (
        Format.CNKI_CITATIONS,
        frozenset({"publication_number", "title", "inventors", "publication_date"}),
    ),
)


def normalize_column(name: str) -> str:
    """A header cell as the mappers look it up: NFC, no BOM, no surrounding blanks."""
    return unicodedata.normalize("NFC", name).strip().lstrip("\ufeff").strip()


def detect_format(columns: Iterable[str]) -> Format | None:
    """The export a table comes from, by its column names (CSV header or JSON keys)."""
    present = {normalize_column(c) for c in columns}
    for fmt, required in _SIGNATURES:
        if required <= present:
            return fmt
    return None


class Problem(StrEnum):
    """Why a row was not loaded. The first group are bad rows (errors in the data); SKIPS are rows
    that are left out on purpose (see the module docstring)."""

    MISSING_NUMBER = "missing_number"
    BAD_NUMBER = "bad_number"
    BAD_CHECK_DIGIT = "bad_check_digit"
    UNKNOWN_PATENT_TYPE = "unknown_patent_type"
    KIND_MISMATCH = "kind_mismatch"
    UNKNOWN_KIND = "unknown_kind"
    MISSING_TITLE = "missing_title"
    MISSING_FILING_DATE = "missing_filing_date"
    BAD_DATE = "bad_date"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    TOO_MANY_OWNERS = "too_many_owners"
    GRANT_BEFORE_FILING = "grant_before_filing"
    DUPLICATE_IN_FILE = "duplicate_in_file"
    FIELD_TOO_LONG = "field_too_long"
    BAD_CHARACTER = "bad_character"
    BAD_RECORD = "bad_record"
    NO_APPLICATION_NUMBER = "no_application_number"
    NOT_CN = "not_cn"
    # An application's publication in the same file as its grant: the grant's row is loaded.
    SUPERSEDED_IN_FILE = "superseded_in_file"
    # Loaded, but the file names other owners than the register's: the register's are kept.
    OWNERS_DIFFER = "owners_differ"


SKIPS: frozenset[Problem] = frozenset(
    {Problem.NO_APPLICATION_NUMBER, Problem.NOT_CN, Problem.SUPERSEDED_IN_FILE}
)

# What each problem is, in a word (Chinese, English): summaries count rows by these.
PROBLEM_LABELS: dict[Problem, tuple[str, str]] = {
    Problem.MISSING_NUMBER: ("缺少申请号", "no application number"),
    Problem.BAD_NUMBER: ("申请号格式错误", "malformed application number"),
    Problem.BAD_CHECK_DIGIT: ("申请号校验位错误", "wrong check digit"),
    Problem.UNKNOWN_PATENT_TYPE: ("专利类型无法识别", "unknown patent type"),
    Problem.KIND_MISMATCH: ("类型与申请号不符", "kind does not match the number"),
    Problem.UNKNOWN_KIND: ("权利类型无法识别", "unknown kind of right"),
    Problem.MISSING_TITLE: ("缺少名称", "no title"),
    Problem.MISSING_FILING_DATE: ("缺少申请日", "no filing date"),
    Problem.BAD_DATE: ("日期无法识别", "unreadable date"),
    Problem.DATE_OUT_OF_RANGE: ("日期晚于今天或早于1900年", "date after today or before 1900"),
    Problem.TOO_MANY_OWNERS: ("权利人或申请人过多", "too many owners or applicants"),
    Problem.GRANT_BEFORE_FILING: ("授权日早于申请日", "grant date before the filing date"),
    Problem.DUPLICATE_IN_FILE: ("文件内重复", "duplicate in the file"),
    Problem.FIELD_TOO_LONG: ("字段过长", "field too long"),
    Problem.BAD_CHARACTER: ("含无法保存的字符", "unstorable character"),
    Problem.BAD_RECORD: ("记录无法读取", "unreadable record"),
    Problem.NO_APPLICATION_NUMBER: ("无申请号", "no application number"),
    Problem.NOT_CN: ("非中国专利", "not a Chinese patent"),
    Problem.SUPERSEDED_IN_FILE: (
        "被同一文件中的授权记录取代",
        "superseded by its grant in the file",
    ),
    Problem.OWNERS_DIFFER: ("权利人与登记簿不同", "owners differ from the register"),
}

_NUMBER_PROBLEM = {
    NumberErrorCode.BAD_FORMAT: Problem.BAD_NUMBER,
    NumberErrorCode.BAD_CHECK_DIGIT: Problem.BAD_CHECK_DIGIT,
    NumberErrorCode.UNKNOWN_PATENT_TYPE: Problem.UNKNOWN_PATENT_TYPE,
    NumberErrorCode.KIND_MISMATCH: Problem.KIND_MISMATCH,
}


@dataclass(frozen=True)
class RowProblem:
    row: int
    code: Problem
    message_zh: str
    message_en: str
    number: str = ""  # the number as written in the file, if any

    @property
    def skipped(self) -> bool:
        return self.code in SKIPS


@dataclass(frozen=True)
class EventRecord:
    type: EventType
    date: date
    source: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RightRecord:
    """One right as a source describes it, validated; what the register should hold for it."""

    row: int
    number: str  # canonical (normalize_number)
    kind: RightKind
    title: str
    filing_date: date
    grant_date: date | None = None
    publication_no: str = ""
    ipc_main: str = ""
    ipc_codes: str = ""
    inventors: str = ""
    address: str = ""
    region: str = ""
    abstract: str = ""
    mark_text: str = ""
    nice_classes: tuple[int, ...] = ()
    owners: tuple[str, ...] = ()
    events: tuple[EventRecord, ...] = ()
    # Value indicators (None = the source does not say): Lens "Cited Count" (forward citations)
    # and "Simple Family Size"; the legal-status export's 简单同族数量. No source here gives a
    # claims count (CNKI has claim texts but no application number: its rows are not imported).
    claims_count: int | None = None
    cited_by_count: int | None = None
    family_size: int | None = None
    # Backward citations: the references the patent lists (CNIPR 参考文献 counted, legal-status
    # 引证数); an empty cell is unknown (None), never 0.
    backward_citations: int | None = None
    # The applicants at filing when the source names them apart from the current owners
    # (legal-status 申请人); else the owners listed are the applicants. `stated_applicant_type`: the
    # source's own 申请人类型, when it has one.
    applicants: tuple[str, ...] | None = None
    stated_applicant_type: str = ""
    # The owners are the right's current holders as the source knows them (legal-status
    # 当前权利人); else they are the applicants or holders at publication (CNIPR 申请（专利权）人,
    # Lens, qichacha), which a registered transfer has since made stale: no difference from the
    # register's owners is reported for those.
    owners_current: bool = False

    def applicant_facts(self) -> tuple[str, int | None]:
        """(the first-named applicant's type, the number of applicants) at filing."""
        names = self.applicants if self.applicants is not None else self.owners
        return applicants_summary(names, self.stated_applicant_type)

    @property
    def owners_from(self) -> date:
        """Start of the listed owners' holding: the grant (registration), else the filing."""
        return self.grant_date or self.filing_date


class _Bad(Exception):
    """Raised inside a row mapper; becomes the row's RowProblem."""

    def __init__(self, code: Problem, message_zh: str, message_en: str, number: str = "") -> None:
        super().__init__(code, message_zh, message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.number = number


# --- small parsers -------------------------------------------------------------------------------


def _references_or_none(raw: object) -> int | None:
    """The count of references a CNIPR 参考文献 cell lists (";"-separated); empty: unknown."""
    text = str(raw or "").strip()
    if not text:
        return None
    return len([part for part in re.split(r"[;；]", text) if part.strip()])


_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})[.\-/年](?P<m>\d{1,2})[.\-/月](?P<d>\d{1,2})日?(?:[ T].*)?"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
_DMY_SHORT = re.compile(r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{2})")
_NO_DATE = {"", "0", "00000000", "null", "none", "-"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


def parse_date(value: Any, *, century_hint: int | None = None) -> date | None:
    """A date from the formats these exports use; None when the cell is empty (or 0 = none).

    YYYY.MM.DD, YYYY-MM-DD, YYYY/M/D (a time part is ignored), YYYYMMDD, and DD/MM/YY when
    `century_hint` (a full year near the date, e.g. the publication year) says which century.
    Raises ValueError for anything else.
    """
    text = _text(value)
    if text.lower() in _NO_DATE:
        return None
    try:
        for pattern in _DATE_PATTERNS:
            match = pattern.fullmatch(text)
            if match is not None:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
        match = _DMY_SHORT.fullmatch(text)
        if match is not None and century_hint is not None:
            yy = int(match["y"])
            year = century_hint - century_hint % 100 + yy
            if year > century_hint:  # a date never lies after its own (later) reference year
                year -= 100
            return date(year, int(match["m"]), int(match["d"]))
    except ValueError:  # no such day, e.g. 2012.13.45
        pass
    raise ValueError(text)


def _date(
    value: Any, label_zh: str, label_en: str, *, century_hint: int | None = None
) -> date | None:
    try:
        return parse_date(value, century_hint=century_hint)
    except ValueError:
        raise _Bad(
            Problem.BAD_DATE,
            f"{label_zh}“{_text(value)}”无法识别为日期",
            f"{label_en} {_text(value)!r} is not a date",
        ) from None


def split_names(value: Any, separator: str = ";") -> tuple[str, ...]:
    """Names from a separated list (also full-width '；'), stripped, in order, without repeats."""
    if isinstance(value, list | tuple):
        parts: Iterable[str] = (_text(part) for part in value)
    else:
        parts = _text(value).replace("；", ";").split(separator)
    # dict.fromkeys keeps the first of repeated names, in order; inner whitespace is collapsed.
    return tuple(dict.fromkeys(name for part in parts if (name := " ".join(part.split()))))


_IPC_EDITION = re.compile(r"\(\d{4}\.\d{2}\)[A-Z]?$")


def normalize_ipc(value: Any) -> str:
    """'e01b 3/32(2006.01)I' → 'E01B3/32': upper case, no whitespace, the edition and level
    suffix of CNIPR exports dropped. The register stores codes so (the score's read compares
    them as stored)."""
    return _IPC_EDITION.sub("", "".join(_text(value).split()).upper())


def ipc_list(value: Any, separator: str = ";") -> tuple[str, ...]:
    codes = (normalize_ipc(code) for code in split_names(value, separator))
    return tuple(dict.fromkeys(code for code in codes if code))


def count_or_none(value: Any) -> int | None:
    """A non-negative count from a cell ("12", 12, "12.0"); None when empty or not a count (an
    indicator a source gets wrong is left unknown rather than refusing the whole right)."""
    text = _text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if not number.is_integer() or number < 0 or number > 2**31 - 1:
        return None
    return int(number)


def equal_shares(n: int) -> tuple[Decimal, ...]:
    """n equal shares in millionths summing to exactly 1; any remainder to the first owner."""
    if n < 1:
        return ()
    unit = Decimal(1_000_000 // n) / 1_000_000
    first = Decimal(1) - unit * (n - 1)
    return (first, *([unit] * (n - 1)))


_PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港",
    "澳门",
)  # fmt: skip
_COUNTRIES = (
    "美国", "日本", "德国", "法国", "英国", "韩国", "瑞士", "瑞典", "荷兰", "意大利", "加拿大",
    "澳大利亚", "新加坡", "以色列", "芬兰", "丹麦", "挪威", "比利时", "奥地利", "西班牙", "俄罗斯",
    "印度", "新西兰", "爱尔兰",
)  # fmt: skip
_REGIONS = frozenset(_PROVINCES + _COUNTRIES)
_REGION_LENGTHS = sorted({len(name) for name in _REGIONS})


def region_from_address(address: str) -> str:
    """Province (short name, e.g. 江苏) or country of an address; '' when not recognised."""
    text = address.lstrip(" 0123456789").removeprefix("中国").lstrip()  # postcode, country
    for length in _REGION_LENGTHS:
        if text[:length] in _REGIONS:
            return text[:length]
    return ""


_PROVINCE_CODE = re.compile(r"^\s*([^\s(（]+)\s*[(（]\d+[)）]\s*$")


def region_from_code(value: Any) -> str:
    """'河南(41)' → '河南' (国省代码 of incoPat-style exports)."""
    text = _text(value)
    match = _PROVINCE_CODE.match(text)
    return match[1] if match else text


# --- numbers and kinds ---------------------------------------------------------------------------

# CN publication kind codes: A application published; B (C before July 2007) granted invention;
# U (Y before 2010) utility model; S (D before 2010) design. Utility models and designs are only
# published at grant.
_PUBLICATION_KIND: dict[str, tuple[RightKind, bool]] = {
    "A": (RightKind.INVENTION, False),
    "B": (RightKind.INVENTION, True),
    "C": (RightKind.INVENTION, True),
    "U": (RightKind.UTILITY_MODEL, True),
    "Y": (RightKind.UTILITY_MODEL, True),
    "S": (RightKind.DESIGN, True),
    "D": (RightKind.DESIGN, True),
}
_PUBLICATION_NO = re.compile(r"(CN)(\d{7,9})([A-Z])(\d?)")
_KIND_BY_TYPE_ZH = {"实用新型": RightKind.UTILITY_MODEL, "外观设计": RightKind.DESIGN}


def publication_kind(publication_no: str) -> tuple[RightKind, bool] | None:
    """(kind, granted) from a CN publication number's kind code, e.g. CN202644312U."""
    match = _PUBLICATION_NO.fullmatch("".join(publication_no.upper().split()))
    if match is None:
        return None
    return _PUBLICATION_KIND.get(match[3])


def _clean_publication_no(value: Any) -> str:
    return "".join(_text(value).upper().split())


def _patent_number(raw: str, kind_hint: RightKind | None) -> tuple[str, RightKind]:
    """(canonical number, kind) of a CN application number; the hint must agree."""
    if not raw:
        raise _Bad(Problem.MISSING_NUMBER, "缺少申请号", "no application number")
    try:
        if kind_hint is not None:
            # One parse: validates format and check digit, and that the type digit is the hint's.
            return normalize_number(kind_hint, raw), kind_hint
        kind = kind_from_application_no(raw)
        if kind is None or kind not in PATENT_KINDS:
            normalize_number(RightKind.INVENTION, raw)  # raises the precise format error
            raise _Bad(
                Problem.BAD_NUMBER,
                f"“{raw}”不是专利申请号",
                f"{raw!r} is not a patent application number",
                raw,
            )
        return normalize_number(kind, raw), kind
    except NumberFormatError as exc:
        raise _Bad(_NUMBER_PROBLEM[exc.code], exc.message_zh, exc.message_en, raw) from None


def _title(value: Any) -> str:
    title = " ".join(_text(value).split())
    if not title:
        raise _Bad(Problem.MISSING_TITLE, "缺少名称", "no title")
    return title


def _filing_and_grant(
    filing: date | None, grant: date | None, number: str
) -> tuple[date, date | None]:
    if filing is None:
        raise _Bad(Problem.MISSING_FILING_DATE, "缺少申请日", "no filing date", number)
    if grant is not None and grant < filing:
        raise _Bad(
            Problem.GRANT_BEFORE_FILING,
            f"授权日 {grant} 早于申请日 {filing}",
            f"grant date {grant} is before the filing date {filing}",
            number,
        )
    return filing, grant


def grant_annuity_event(
    kind: RightKind, filing: date, grant: date | None
) -> tuple[EventRecord, ...]:
    """The grant-year annuity, paid with the grant registration fee (专利法实施细则 r. 115)."""
    if grant is None or kind not in PATENT_KINDS:
        return ()
    year = first_annuity_year(filing, grant)
    return (EventRecord(EventType.ANNUITY_PAID, grant, GRANT_ANNUITY_SOURCE, {"year": year}),)


def annuities_in_force(
    kind: RightKind, filing: date, grant: date | None, as_of: date, *, source: str, basis: str
) -> tuple[EventRecord, ...]:
    """Annuities after the grant year due on or before `as_of`, a day the source states the patent
    was in force: each recorded as paid on its due date (it cannot have been in force otherwise)."""
    if grant is None or kind not in PATENT_KINDS or as_of < grant:
        return ()
    schedule = annuity_schedule(kind, filing, grant)[1:]  # the grant year is the grant's event
    return tuple(
        EventRecord(
            EventType.ANNUITY_PAID,
            due,
            source,
            {"year": year, "basis": basis, "as_of": as_of.isoformat()},
        )
        for year, due in schedule
        if due <= as_of
    )


def _join(values: Iterable[str]) -> str:
    return ";".join(values)


# --- per-format row mappers ----------------------------------------------------------------------


@dataclass(frozen=True)
class FileContext:
    source: str  # "<folder>/<file>"
    as_of: date | None = None  # legal-status exports: the earliest possible export day


def _cnipr(row: Mapping[str, Any], row_no: int, ctx: FileContext) -> RightRecord:
    raw = _text(row.get("申请号"))
    publication_no = _clean_publication_no(row.get("公开（公告）号"))
    by_publication = publication_kind(publication_no)
    number, kind = _patent_number(raw, by_publication[0] if by_publication else None)
    title = _title(row.get("名称"))
    filing = _date(row.get("申请日"), "申请日", "filing date")
    published = _date(row.get("公开（公告）日"), "公开（公告）日", "publication date")
    granted = by_publication is not None and by_publication[1]
    filing, grant = _filing_and_grant(filing, published if granted else None, raw)
    codes = ipc_list(row.get("分类号"))
    address = _text(row.get("地址"))
    return RightRecord(
        row=row_no,
        number=number,
        kind=kind,
        title=title,
        filing_date=filing,
        grant_date=grant,
        publication_no=publication_no,
        ipc_main=normalize_ipc(row.get("主分类号")) or (codes[0] if codes else ""),
        ipc_codes=_join(codes),
        inventors=_join(split_names(row.get("发明（设计）人"))),
        address=address,
        region=region_from_address(address),
        abstract=_text(row.get("摘要")),
        owners=split_names(row.get("申请（专利权）人")),
        backward_citations=_references_or_none(row.get("参考文献")),
        events=grant_annuity_event(kind, filing, grant),
    )


def _legal_status(row: Mapping[str, Any], row_no: int, ctx: FileContext) -> RightRecord:
    raw = _text(row.get("申请号"))
    patent_type = _text(row.get("专利类型"))
    hint = RightKind.INVENTION if "发明" in patent_type else _KIND_BY_TYPE_ZH.get(patent_type)
    number, kind = _patent_number(raw, hint)
    filing = _date(row.get("申请日"), "申请日", "filing date")
    grant = _date(row.get("授权公告日"), "授权公告日", "grant date")
    filing, grant = _filing_and_grant(filing, grant, raw)
    title = _title((_text(row.get("授权名称")) if grant else "") or row.get("专利名称"))
    publication_no = _clean_publication_no(row.get("授权公告号")) or _clean_publication_no(
        row.get("公开号")
    )
    codes = ipc_list(row.get("分类号"))
    status = _text(row.get("法律状态"))
    events = grant_annuity_event(kind, filing, grant)
    if status.startswith("有权") and ctx.as_of is not None:
        events += annuities_in_force(
            kind, filing, grant, ctx.as_of, source=ctx.source, basis=f"法律状态：{status}"
        )
    address = _text(row.get("申请人地址"))
    return RightRecord(
        row=row_no,
        number=number,
        kind=kind,
        title=title,
        filing_date=filing,
        grant_date=grant,
        publication_no=publication_no,
        ipc_main=normalize_ipc(row.get("主分类号")) or (codes[0] if codes else ""),
        ipc_codes=_join(codes),
        inventors=_join(split_names(row.get("发明人"))),
        address=address,
        region=region_from_code(row.get("国省代码")) or region_from_address(address),
        abstract=_text(row.get("申请摘要")),
        owners=split_names(row.get("当前权利人")) or split_names(row.get("申请人")),
        owners_current=bool(split_names(row.get("当前权利人"))),
        applicants=split_names(row.get("申请人")) or None,
        stated_applicant_type=_text(row.get("申请人类型")),
        backward_citations=count_or_none(row.get("引证数")),
        events=events,
        family_size=count_or_none(row.get("简单同族数量")),
    )


_LEGAL_STATUS_DATE_COLUMNS = ("申请日", "公开日", "授权公告日", "失效日期", "实质审查日", "颁证日")


def legal_status_as_of(rows: Iterable[Mapping[str, Any]], today: date | None = None) -> date | None:
    """The latest date in a legal-status export no later than `today`: the export (and its
    法律状态) is no earlier. A date after `today` is a typing error (its row is refused as
    DATE_OUT_OF_RANGE), never the export's day: one 颁证日 of 20350101 made every patent in force
    in the file have its annuities to 2035 recorded as paid. `today` None: no bound (a test's
    file of fixed dates)."""
    latest: date | None = None
    for row in rows:
        for column in _LEGAL_STATUS_DATE_COLUMNS:
            try:
                day = parse_date(row.get(column))
            except ValueError:
                continue
            late = today is not None and day is not None and day > today
            if day is not None and not late and (latest is None or day > latest):
                latest = day
    return latest


def _qcc_patent(row: Mapping[str, Any], row_no: int, ctx: FileContext) -> RightRecord:
    raw = _text(row.get("ApplicationNumber"))
    publication_no = _clean_publication_no(row.get("PublicationNumber"))
    by_publication = publication_kind(publication_no)
    number, kind = _patent_number(raw, by_publication[0] if by_publication else None)
    title = _title(row.get("Title"))
    filing = _date(row.get("ApplicationDate"), "申请日", "filing date")
    published = _date(row.get("PublicationDate"), "公开（公告）日", "publication date")
    granted = by_publication is not None and by_publication[1]
    filing, grant = _filing_and_grant(filing, published if granted else None, raw)
    codes = ipc_list(row.get("IPCList") or [])
    return RightRecord(
        row=row_no,
        number=number,
        kind=kind,
        title=title,
        filing_date=filing,
        grant_date=grant,
        publication_no=publication_no,
        ipc_main=codes[0] if codes else "",
        ipc_codes=_join(codes),
        inventors=_join(split_names(row.get("InventorStringList") or [])),
        abstract=_text(row.get("Abstract")),
        owners=split_names(row.get("AssigneestringList") or []),
        events=grant_annuity_event(kind, filing, grant),
    )


def _qcc_trademark(row: Mapping[str, Any], row_no: int, ctx: FileContext) -> RightRecord:
    raw = _text(row.get("RegNo"))
    if not raw:
        raise _Bad(Problem.MISSING_NUMBER, "缺少注册号", "no registration number")
    try:
        number = normalize_number(RightKind.TRADEMARK, raw)
    except NumberFormatError as exc:
        raise _Bad(_NUMBER_PROBLEM[exc.code], exc.message_zh, exc.message_en, raw) from None
    name = _title(row.get("Name"))
    filing, _ = _filing_and_grant(_date(row.get("AppDate"), "申请日", "filing date"), None, raw)
    classes: tuple[int, ...] = ()
    if _text(row.get("IntCls")):
        try:
            nice = int(_text(row.get("IntCls")))
        except ValueError:
            nice = 0
        if not 1 <= nice <= 45:  # 尼斯分类 has 45 classes
            raise _Bad(
                Problem.BAD_RECORD,
                f"国际分类“{_text(row.get('IntCls'))}”不是 1-45 的尼斯分类",
                f"IntCls {_text(row.get('IntCls'))!r} is not a Nice class 1-45",
                raw,
            )
        classes = (nice,)
    return RightRecord(
        row=row_no,
        number=number,
        kind=RightKind.TRADEMARK,
        title=name,
        filing_date=filing,
        mark_text=name,
        nice_classes=classes,
        owners=split_names(row.get("ApplicantCn")),
    )


_LENS_APPLICATION_NO = re.compile(r"CN\s*(\d{12}|\d{8})\s*[A-Z]?\d?")


def _lens(row: Mapping[str, Any], row_no: int, ctx: FileContext) -> RightRecord | RowProblem:
    jurisdiction = _text(row.get("Jurisdiction")).upper()
    if jurisdiction != "CN":
        return RowProblem(
            row_no,
            Problem.NOT_CN,
            f"非中国专利（{jurisdiction or '未知'}），不属于本登记簿",
            f"not a Chinese patent ({jurisdiction or 'unknown'}): outside this register",
            _text(row.get("Publication Number")),
        )
    raw = _text(row.get("Application Number"))
    match = _LENS_APPLICATION_NO.fullmatch(raw.upper())
    if match is None:
        raise _Bad(
            Problem.BAD_NUMBER,
            f"“{raw}”不是中国专利申请号",
            f"{raw!r} is not a Chinese application number",
            raw,
        )
    body = match[1]
    by_kind = _PUBLICATION_KIND.get(_text(row.get("Kind"))[:1].upper())
    if by_kind is None:
        raise _Bad(
            Problem.UNKNOWN_KIND,
            f"文献类型代码“{_text(row.get('Kind'))}”无法识别",
            f"kind code {_text(row.get('Kind'))!r} is not recognised",
            raw,
        )
    # Lens omits the check digit; it is determined by the body (ZC 0006-2003), so derive it.
    number, kind = _patent_number(f"{body}.{cn_application_check_digit(body)}", by_kind[0])
    year_text = _text(row.get("Publication Year"))
    hint = int(year_text) if year_text.isdigit() else None
    published = _date(row.get("Publication Date"), "公开日", "publication date", century_hint=hint)
    filing_hint = published.year if published is not None else hint
    filing = _date(row.get("Application Date"), "申请日", "filing date", century_hint=filing_hint)
    filing, grant = _filing_and_grant(filing, published if by_kind[1] else None, raw)
    codes = ipc_list(_text(row.get("IPCR Classifications")).replace(";;", ";"))
    return RightRecord(
        row=row_no,
        number=number,
        kind=kind,
        title=_title(row.get("Title")),
        filing_date=filing,
        grant_date=grant,
        publication_no=_clean_publication_no(row.get("Publication Number")),
        ipc_main=codes[0] if codes else "",
        ipc_codes=_join(codes),
        inventors=_join(split_names(row.get("Inventors"), ";;")),
        owners=split_names(row.get("Applicants"), ";;"),
        events=grant_annuity_event(kind, filing, grant),
        cited_by_count=count_or_none(row.get("Cited Count")),
        family_size=count_or_none(row.get("Simple Family Size")),
    )


def _no_application_number(row: Mapping[str, Any], row_no: int, ctx: FileContext) -> RowProblem:
    return RowProblem(
        row_no,
        Problem.NO_APPLICATION_NUMBER,
        "来源无申请号：登记簿以申请号为准，未导入",
        "the source has no application number, which keys the register: not imported",
        _text(row.get("publication_number")),
    )


_MAPPERS = {
    Format.CNIPR: _cnipr,
    Format.LEGAL_STATUS: _legal_status,
    Format.QCC_PATENTS: _qcc_patent,
    Format.QCC_TRADEMARKS: _qcc_trademark,
    Format.LENS: _lens,
    Format.CNKI_CITATIONS: _no_application_number,
    Format.CNKI_MATERIAL_CHEM: _no_application_number,
}


def file_context(
    fmt: Format, rows: Sequence[Mapping[str, Any]], *, source: str, today: date | None = None
) -> FileContext:
    as_of = legal_status_as_of(rows, today) if fmt is Format.LEGAL_STATUS else None
    return FileContext(source=source, as_of=as_of)


def map_row(
    fmt: Format, row: Mapping[str, Any], row_no: int, ctx: FileContext
) -> RightRecord | RowProblem:
    """One row of a `fmt` export as a record, or the reason it is skipped or refused."""
    try:
        return _MAPPERS[fmt](row, row_no, ctx)
    except _Bad as bad:
        return RowProblem(row_no, bad.code, bad.message_zh, bad.message_en, bad.number)
    except (ValueError, TypeError, AttributeError) as exc:  # a malformed cell or record shape
        return RowProblem(
            row_no, Problem.BAD_RECORD, f"记录无法解析：{exc}", f"record cannot be read: {exc}"
        )


def map_rows(
    fmt: Format,
    rows: Sequence[tuple[int, Mapping[str, Any]]],
    *,
    source: str,
    today: date | None = None,
    refuse: Callable[[RightRecord], RowProblem | None] | None = None,
) -> Iterator[RightRecord | RowProblem]:
    """Every row of a file in order; a number already seen in the file is a duplicate (the first
    good row with it wins), except an application's publication and its grant (a CNIPR export
    lists the A and the B publication of an invention): the grant's row is loaded wherever it
    stands, the other is skipped as superseded (SUPERSEDED_IN_FILE), as a grant imported from
    another file is never undone by the application's. `refuse`: the caller's own checks of a
    mapped record (what the database can store), made before that choice, so that only a row
    that loads can supersede another."""
    ctx = file_context(fmt, [row for _, row in rows], source=source, today=today)
    outcomes: list[RightRecord | RowProblem] = []
    for row_no, row in rows:
        outcome = (
            map_row(fmt, row, row_no, ctx) if isinstance(row, Mapping) else _not_a_record(row_no)
        )
        if refuse is not None and isinstance(outcome, RightRecord):
            outcome = refuse(outcome) or outcome
        outcomes.append(outcome)
    kept: dict[str, int] = {}  # number → the index of the row loaded for it
    for i, outcome in enumerate(outcomes):
        if not isinstance(outcome, RightRecord):
            continue
        j = kept.setdefault(outcome.number, i)
        if j == i:
            continue
        first = outcomes[j]
        assert isinstance(first, RightRecord)
        if first.grant_date is None and outcome.grant_date is not None:
            outcomes[j], kept[outcome.number] = _superseded(first, outcome.row), i
        elif first.grant_date is not None and outcome.grant_date is None:
            outcomes[i] = _superseded(outcome, first.row)
        else:
            outcomes[i] = RowProblem(
                outcome.row,
                Problem.DUPLICATE_IN_FILE,
                f"号码 {outcome.number} 与第 {first.row} 行重复",
                f"number {outcome.number} repeats row {first.row}",
                outcome.number,
            )
    yield from outcomes


def _superseded(application: RightRecord, grant_row: int) -> RowProblem:
    return RowProblem(
        application.row,
        Problem.SUPERSEDED_IN_FILE,
        f"号码 {application.number} 的授权记录见第 {grant_row} 行，以授权记录为准",
        f"number {application.number} is granted in row {grant_row}: that row is loaded",
        application.number,
    )


def _not_a_record(row_no: int) -> RowProblem:
    return RowProblem(row_no, Problem.BAD_RECORD, "不是一条记录（对象）", "not a record (object)")
