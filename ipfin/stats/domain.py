"""统计监测: the rules of the monitoring figures, without Django.

The policy documents ask the regulators and the IP office to monitor IP-pledge financing by bank,
park, region and quarter (seed 001: 新增贷款金额、贷款余额、客户数量、质押率、不良率; seed 002:
按季度监测) and to hold parks to a 20% growth target (seed 001: 入园惠企). The figures are summed
in SQL (`ipfin.stats.selectors`); this module holds what is decided about them:

- `DEFINITIONS`: each figure's definition, in the API's description and the report's notes;
- periods: a quarter `2026Q3`, a year `2026`, and the quarters a [from, to] range covers;
- ratios: a quotient rounded half up to 6 decimals, 0 when there is nothing to divide by (an empty
  period answers zeros, never a division error);
- growth: year on year, `None` when the year before had nothing, the target met only when both
  the projects and the amount grew by at least 20% (以上 includes the figure itself, 民法典 art.
  1259).

Money is integer fen here (`ipfin.common.money` formats it); ratios are `Decimal`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from ipfin.risk.domain.npl import Quarter, ratio_6

__all__ = [
    "ADDITIVE_ALWAYS",
    "DEFINITIONS",
    "GROWTH_TARGET",
    "MAX_PERIOD_DAYS",
    "Dimension",
    "Figures",
    "Period",
    "PeriodError",
    "growth",
    "meets_target",
    "parse_period",
    "quarters_of",
    "ratio",
]

# 入园惠企 (seed 001): a park's IP-pledge financing projects and amount each grow by 20% a year.
GROWTH_TARGET = Decimal("0.20")
# The longest range one request may cover: ten years (forty quarters, one query each by quarter).
MAX_PERIOD_DAYS = 3653
# The most IP-pledge loans one bank return may state for a quarter (its form, API and file).
MAX_NEW_LOANS = 10_000_000
# The years a period may lie in (`parse_period`, `Period.between`).
FIRST_YEAR, LAST_YEAR = 1900, 2999


class Dimension(StrEnum):
    BANK = "bank"
    PARK = "park"
    REGION = "region"
    RIGHT_KIND = "right_kind"
    PRODUCT = "product"
    SIZE = "size"
    QUARTER = "quarter"


# Each figure: (name, 中文, English definition). The same text is the API's description and the
# quarterly report's notes (附注).
DEFINITIONS: tuple[tuple[str, str, str], ...] = (
    ("new_loans", "新增贷款笔数：放款日在统计期内（含起止日）的知识产权质押贷款笔数。",
     "new loans: IP-pledge loans disbursed within [from, to], both days included."),
    ("new_loan_amount", "新增贷款金额：上述贷款的放款金额（授信本金）之和。",
     "new loan amount: the principal disbursed by those loans."),
    ("balance", "贷款余额：截至统计期末日的未还本金（放款本金减去期末日及以前的还本金额；"
     "已核销贷款不计）。",
     "balance: principal outstanding at `to` (principal disbursed less the principal repaid on or "
     "before `to`; loans written off on or before `to` count 0)."),
    ("customers", "客户数量：期末日贷款余额大于零的借款企业户数（同一企业只计一次）。",
     "customers: distinct borrowers with a balance at `to`."),
    ("first_time_borrowers", "首贷户数：在平台记录的第一笔贷款于统计期内放款的借款企业户数。",
     "first-time borrowers: borrowers whose first loan on record was disbursed in the period."),
    ("sole_ip_collateral", "纯知识产权质押笔数：新增贷款中仅以已登记的知识产权质押为担保的笔数"
     "（贷款上没有已出具的保证担保，也没有银行已确认的质押融资保证保险）。",
     "sole IP collateral: new loans secured by a registered IP pledge alone (no guarantee issued "
     "on the loan, no pledge-financing guarantee insurance its bank accepted)."),
    ("avg_pledge_rate", "平均质押率：新增贷款的质押率（本金÷审批所依据的评估值）按本金加权平均。",
     "average pledge rate: principal ÷ the value the loan was approved on, averaged over the new "
     "loans weighted by principal."),
    ("avg_rate", "平均利率：新增贷款的年利率按本金加权平均。",
     "average rate: the new loans' annual rates averaged weighted by principal."),
    ("npl_balance", "不良贷款余额：期末日五级分类为次级、可疑、损失的贷款余额"
     "（按期末日及以前最近一次分类；期末日逾期超过90天的，至少为次级）。",
     "NPL balance: the balance at `to` of loans classified 次级/可疑/损失 as of `to` (their latest "
     "classification on or before it; more than 90 days past due that day is 次级 at least)."),
    ("npl_ratio", "不良率：不良贷款余额÷贷款余额。",
     "NPL ratio: NPL balance ÷ balance."),
    ("subsidies_paid", "贴息核定金额：统计期内复核确认的贴息分配中核定给企业的贴息。"
     "贴息按企业核定，"
     "按银行、产品或权利类型统计时，一份申请所涉贷款分属不同行（产品、类型）的，"
     "列入“未能归属”行。",
     "subsidies paid: interest subsidies awarded by allocation runs confirmed in the period. A "
     "subsidy is awarded to an enterprise: by bank, product or right kind, a claim whose loans "
     "fall in several rows is shown in the row \"not attributable\"."),
    ("compensation_paid", "风险补偿支付金额：统计期内风险补偿基金向银行拨付的补偿款，"
     "减去处置后结算中银行退回的款项。",
     "compensation paid: what the risk-compensation funds paid banks in the period, less "
     "what banks returned at settlement after disposal."),
)  # fmt: skip
DEFINITION_BY_NAME = {name: (zh, en) for name, zh, en in DEFINITIONS}

# Fields that sum over the rows to the total in every cut. `balance` and `npl_balance` add up too,
# except by quarter (each quarter's row holds them at its own end); `customers` and
# `first_time_borrowers` are distinct borrowers: they add up where a borrower falls in one row
# only (park, region, size; first-time borrowers also by quarter).
ADDITIVE_ALWAYS = (
    "new_loans",
    "new_loan_amount",
    "sole_ip_collateral",
    "subsidies_paid",
    "compensation_paid",
)


# The provinces of GB/T 2260 (行政区划代码): the first two digits of a division code. A region
# recorded as a code is labelled with its province ("北京市 110108"); other text is shown as is.
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"), "12": ("天津市", "Tianjin"), "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"), "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"), "22": ("吉林省", "Jilin"), "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"), "32": ("江苏省", "Jiangsu"), "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"), "35": ("福建省", "Fujian"), "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"), "41": ("河南省", "Henan"), "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"), "44": ("广东省", "Guangdong"), "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"), "50": ("重庆市", "Chongqing"), "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"), "53": ("云南省", "Yunnan"), "54": ("西藏自治区", "Tibet"),
    "61": ("陕西省", "Shaanxi"), "62": ("甘肃省", "Gansu"), "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"), "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"), "81": ("香港特别行政区", "Hong Kong"),
    "82": ("澳门特别行政区", "Macao"),
}  # fmt: skip
_DIVISION = re.compile(r"^[1-8][0-9]{5}$")


def region_label(region: str, *, english: bool = False) -> str:
    """A region as read: a six-digit division code with its province's name first."""
    province = PROVINCES.get(region[:2]) if _DIVISION.match(region) else None
    if province is None:
        return region
    return f"{province[1] if english else province[0]} {region}"


class PeriodError(ValueError):
    """A period the figures cannot be computed for; `field` names the input."""

    def __init__(self, field: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class Period:
    """[start, end], both days included, and its name (`2026Q3`, `2026`, or the two dates)."""

    start: date
    end: date
    name: str

    @classmethod
    def between(cls, start: date, end: date) -> Period:
        for field, day in (("from", start), ("to", end)):
            # A day past the calendar's ends has no day after or 90 days before it to count
            # from (the figures' cut-offs): such a period was a 500.
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise PeriodError(
                    field,
                    f"统计期应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间。",
                    f"A period lies between the years {FIRST_YEAR} and {LAST_YEAR}.",
                )
        if end < start:
            raise PeriodError(
                "to", "统计期末日不能早于起始日。", "`to` must not be earlier than `from`."
            )
        if (end - start).days > MAX_PERIOD_DAYS:
            raise PeriodError(
                "to", "统计期不能超过十年。", "A period may not be longer than ten years."
            )
        return cls(start, end, f"{start.isoformat()}..{end.isoformat()}")

    @property
    def is_year(self) -> bool:
        return len(self.name) == 4


_PERIOD = re.compile(r"^([0-9]{4})(?:Q([1-4]))?$")  # [0-9]: \d also matches other scripts


def parse_period(text: str) -> Period:
    """`2026Q3` (a quarter) or `2026` (a year); PeriodError `period` otherwise."""
    match = _PERIOD.match(text.strip().upper())
    if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise PeriodError(
            "period",
            f"统计期应写作“2026Q3”（季度）或“2026”（年度），收到：{text[:20]}",
            f"A period is written 2026Q3 (a quarter) or 2026 (a year), got {text[:20]!r}.",
        )
    year = int(match.group(1))
    if match.group(2) is None:
        return Period(date(year, 1, 1), date(year, 12, 31), str(year))
    quarter = Quarter(year, int(match.group(2)))
    return Period(quarter.first_day, quarter.last_day, str(quarter))


def quarters_of(period: Period) -> list[Period]:
    """The quarters [start, end] touches, each clipped to it, named `2026Q3`, in order."""
    out = []
    day = period.start
    while day <= period.end:
        quarter = Quarter.of(day)
        end = min(quarter.last_day, period.end)
        out.append(Period(day, end, str(quarter)))
        day = end + timedelta(days=1)
    return out


def quarter_ends(first: date, today: date) -> list[date]:
    """The last days of the quarters from the one holding `first` up to the last one that is over
    before `today` (a quarter ending today is not over), in order."""
    out = []
    quarter = Quarter.of(first)
    while quarter.last_day < today:
        out.append(quarter.last_day)
        quarter = Quarter.of(quarter.last_day + timedelta(days=1))
    return out


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """numerator ÷ denominator rounded half up (away from zero) to 6 decimals, from the exact
    quotient (`ipfin.risk.domain.npl.ratio_6`); 0 when the denominator is 0."""
    if denominator == 0:
        return Decimal("0.000000")
    exact = Fraction(numerator) / Fraction(denominator)
    rounded = ratio_6(abs(exact))
    return -rounded if exact < 0 else rounded


def growth(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """(current − previous) ÷ previous to 6 decimals; None when there was nothing the year
    before (growth from zero is not a rate)."""
    if previous == 0:
        return None
    return ratio(Decimal(current) - Decimal(previous), previous)


def meets_target(projects: tuple[int, int], amount_fen: tuple[int, int]) -> bool:
    """入园惠企's target: the projects and the amount (each as (this year, the year before)) both
    grew at least 20% (inclusive), by the exact quotient; never met without a base year.

    Exact, not the growth shown to 6 decimals: 100,000,001 → 120,000,001 fen is 19.9999998%,
    shown 0.200000 (half up), and had been reported to the regulator as meeting the target."""
    target = Fraction(GROWTH_TARGET)
    return all(
        previous > 0 and Fraction(current - previous, previous) >= target
        for current, previous in (projects, amount_fen)
    )


@dataclass
class Figures:
    """One row's figures: counts, money in integer fen, and the weighted sums the averages come
    from (Σ principal × pledge rate, Σ principal × annual rate, over the new loans)."""

    new_loans: int = 0
    new_loan_fen: int = 0
    balance_fen: int = 0
    customers: int = 0
    first_time_borrowers: int = 0
    sole_ip_collateral: int = 0
    pledge_rate_weighted: Decimal = Decimal(0)
    rate_weighted: Decimal = Decimal(0)
    npl_fen: int = 0
    subsidies_fen: int = 0
    compensation_fen: int = 0

    @property
    def new_loan_amount(self) -> Decimal:
        return Decimal(self.new_loan_fen).scaleb(-2)

    @property
    def balance(self) -> Decimal:
        return Decimal(self.balance_fen).scaleb(-2)

    @property
    def npl_balance(self) -> Decimal:
        return Decimal(self.npl_fen).scaleb(-2)

    @property
    def subsidies_paid(self) -> Decimal:
        return Decimal(self.subsidies_fen).scaleb(-2)

    @property
    def compensation_paid(self) -> Decimal:
        return Decimal(self.compensation_fen).scaleb(-2)

    @property
    def avg_pledge_rate(self) -> Decimal:
        return ratio(self.pledge_rate_weighted, self.new_loan_fen)

    @property
    def avg_rate(self) -> Decimal:
        return ratio(self.rate_weighted, self.new_loan_fen)

    @property
    def npl_ratio(self) -> Decimal:
        return ratio(self.npl_fen, self.balance_fen)

    def is_empty(self) -> bool:
        return all(not getattr(self, f.name) for f in fields(self))
