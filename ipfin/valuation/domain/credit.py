"""The "IP + credit" enterprise scorecard (知识产权+信用 评分卡): transparent points, 0–100.

Built from the enterprise's profile and the register, for white-list screening of borrowers. Each
factor falls into one bin and earns that bin's points; nothing is weighted or hidden. Bins are
half-open, [low, high): a value on a boundary belongs to the upper bin.

| factor (max points)        | bins [low, high) → points                            | unknown   |
|----------------------------|------------------------------------------------------|-----------|
| ip group (30)              |                                                      |           |
| valid_invention_count (12) | 0→0, 1→4, 2–4→7, 5–9→10, ≥10→12                      | —         |
| valid_right_count (8)      | 0→0, 1–4→3, 5–19→6, ≥20→8                            | —         |
| avg_right_score (10)       | <45→2, 45–55→5, 55–65→8, ≥65→10 (D, C, B, A)         | 5 neutral |
| innovation group (20)      |                                                      |           |
| rd_expense_ratio (10)      | <1%→0, 1–3%→3, 3–5%→6, 5–10%→8, ≥10%→10              | 2 low     |
| high_tech (5)              | yes→5, no→0                                          | —         |
| specialised_sme (5)        | yes→5, no→0                                          | —         |
| credit group (30)          |                                                      |           |
| credit_rating (12)         | AAA 12, AA 11, A 10, BBB 8, BB 5, B 3, CCC–C 0       | 4 low     |
| overdue_count_24m (10)     | 0→10, 1→6, 2→3, ≥3→0                                 | —         |
| tax_credit_grade (8)       | A 8, B 6, M 4, C 1, D 0                              | 3 low     |
| operations group (20)      |                                                      |           |
| years_in_business (5)      | <1→0, 1–3→2, 3–5→3, 5–10→4, ≥10→5                    | —         |
| revenue (5)                | 0→0, <1m→1, 1m–10m→2, 10m–50m→3, 50m–200m→4, ≥200m→5 | 1 low     |
| revenue_growth (5)         | <−20%→0, −20%–0→1, 0–10%→3, 10–30%→4, ≥30%→5         | 2 neutral |
| debt_ratio (5)             | <40%→5, 40–60%→4, 60–70%→2, 70–85%→1, ≥85%→0         | 2 neutral |

avg_right_score is the mean 价值度 (0–100) of the enterprise's valid rights; rd_expense_ratio is
R&D expense / revenue (the 高新技术企业认定 test uses 3–5%); high_tech is 高新技术企业 status,
specialised_sme 专精特新; tax_credit_grade is the 纳税信用等级; revenue is last year's, in yuan
(m = million); revenue_growth is year on year; debt_ratio is 资产负债率 (liabilities / assets).

Total = the sum of the four groups (30 + 20 + 30 + 20 = 100). Grades: A ≥ 80, B ≥ 65, C ≥ 50,
D below.

One record overrides the points (一票否决): an enterprise named on the list of 失信被执行人 (the
courts' dishonest judgment debtors, 最高人民法院关于公布失信被执行人名单信息的若干规定) or of
严重失信主体 by a 信用中国 record dated within the last two years is graded D whatever its total,
its points still shown as they are: the joint-punishment memoranda (联合惩戒合作备忘录) restrict
such enterprises' financing, so no white list or match may read them as a good borrower. The
record's date is shown with the grade (`dishonesty_on`).

Unknown values (None) never raise: they earn the points in the last column. "Neutral" is about
half the factor's maximum, used where the missing figure says nothing either way (no right has
been scored yet; growth or leverage not reported); "low" is below the middle, used where the
missing figure is itself a weak signal (no credit rating, no tax credit grade, R&D spending or
revenue not evidenced). Ratings may carry a "+"/"−" modifier ("AA+" scores as AA).

Impossible values raise `ValuationInputError` naming the field: negative counts, more valid
inventions than valid rights, years in business or revenue below 0, an average score outside
0–100, an R&D ratio below 0 or above 10 (1000% of revenue: a data error), revenue growth below
−100%, a debt ratio below 0 or above 5, an unknown rating or tax grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from ipfin.valuation.domain.errors import ValuationInputError, decimal_input

__all__ = [
    "CREDIT_GRADES",
    "CREDIT_GRADE_THRESHOLDS",
    "GROUP_MAX",
    "CreditScore",
    "EnterpriseProfile",
    "FactorPoints",
    "credit_score",
]

Group = Literal["ip", "innovation", "credit", "operations"]
GROUP_MAX: dict[str, int] = {"ip": 30, "innovation": 20, "credit": 30, "operations": 20}
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "ip": ("知识产权", "IP portfolio"),
    "innovation": ("创新能力", "innovation"),
    "credit": ("信用状况", "credit"),
    "operations": ("经营状况", "operations"),
}
CREDIT_GRADES: tuple[str, ...] = ("A", "B", "C", "D")
CREDIT_GRADE_THRESHOLDS: tuple[int, ...] = (80, 65, 50)
UNKNOWN = "unknown"

_M = Decimal(1_000_000)
# (lower bound, points), ascending: the last bound ≤ value gives the points.
_INVENTION_BINS: tuple[tuple[Decimal, int], ...] = (
    (Decimal(0), 0), (Decimal(1), 4), (Decimal(2), 7), (Decimal(5), 10), (Decimal(10), 12),
)  # fmt: skip
_RIGHT_BINS = ((Decimal(0), 0), (Decimal(1), 3), (Decimal(5), 6), (Decimal(20), 8))
_SCORE_BINS = ((Decimal(0), 2), (Decimal(45), 5), (Decimal(55), 8), (Decimal(65), 10))
_RD_BINS = (
    (Decimal(0), 0), (Decimal("0.01"), 3), (Decimal("0.03"), 6), (Decimal("0.05"), 8),
    (Decimal("0.10"), 10),
)  # fmt: skip
_OVERDUE_BINS = ((Decimal(0), 10), (Decimal(1), 6), (Decimal(2), 3), (Decimal(3), 0))
_YEARS_BINS = (
    (Decimal(0), 0), (Decimal(1), 2), (Decimal(3), 3), (Decimal(5), 4), (Decimal(10), 5),
)  # fmt: skip
_REVENUE_BINS = (
    (Decimal(0), 0), (Decimal("0.01"), 1), (1 * _M, 2), (10 * _M, 3), (50 * _M, 4), (200 * _M, 5),
)  # fmt: skip
_GROWTH_BINS = (
    (Decimal(-1), 0), (Decimal("-0.20"), 1), (Decimal(0), 3), (Decimal("0.10"), 4),
    (Decimal("0.30"), 5),
)  # fmt: skip
_DEBT_BINS = (
    (Decimal(0), 5), (Decimal("0.40"), 4), (Decimal("0.60"), 2), (Decimal("0.70"), 1),
    (Decimal("0.85"), 0),
)  # fmt: skip
_RATING_POINTS = {
    "AAA": 12,
    "AA": 11,
    "A": 10,
    "BBB": 8,
    "BB": 5,
    "B": 3,
    "CCC": 0,
    "CC": 0,
    "C": 0,
}
_TAX_POINTS = {"A": 8, "B": 6, "M": 4, "C": 1, "D": 0}

# Points for an unknown value (see the module docstring: neutral or low).
UNKNOWN_POINTS: dict[str, int] = {
    "avg_right_score": 5,  # neutral: half of 10
    "rd_expense_ratio": 2,  # low
    "credit_rating": 4,  # low: between B and BB
    "tax_credit_grade": 3,  # low: between C and M
    "revenue": 1,  # low
    "revenue_growth": 2,  # neutral
    "debt_ratio": 2,  # neutral
}


@dataclass(frozen=True)
class EnterpriseProfile:
    valid_invention_count: int
    valid_right_count: int
    avg_right_score: Decimal | None
    rd_expense_ratio: Decimal | None
    high_tech: bool
    specialised_sme: bool
    years_in_business: Decimal
    credit_rating: str | None
    overdue_count_24m: int
    revenue: Decimal | None
    revenue_growth: Decimal | None
    debt_ratio: Decimal | None
    tax_credit_grade: str | None
    # The latest 失信被执行人 / 严重失信主体 record of the last two years (None: none).
    dishonesty_on: date | None = None


@dataclass(frozen=True)
class FactorPoints:
    factor: str
    group: Group
    label_zh: str
    label_en: str
    value: str
    points: int
    max_points: int


@dataclass(frozen=True)
class CreditScore:
    total: int
    grade: str
    groups: dict[str, int]
    factors: tuple[FactorPoints, ...]
    dishonesty_on: date | None = None  # set: graded D by the record of that day (一票否决)


def _refuse(field: str, zh: str, en: str) -> ValuationInputError:
    return ValuationInputError(field, zh, en)


def _count(field: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(field, f"{field} 须为整数", f"{field} must be a whole number")
    if value < 0:
        raise _refuse(field, f"{field} 不能为负", f"{field} cannot be negative")
    return Decimal(value)


def _in_range(field: str, value: Decimal, low: Decimal, high: Decimal | None) -> Decimal:
    if value < low or (high is not None and value > high):
        bound = f"[{low}, {high}]" if high is not None else f"≥ {low}"
        raise _refuse(
            field, f"{field} 须在 {bound} 范围内，实为 {value}", f"{field} must be in {bound}"
        )
    return value


def _bin(value: Decimal, bins: Sequence[tuple[Decimal, int]]) -> int:
    """The points of the last bin whose lower bound is ≤ value (bins ascending)."""
    points = bins[0][1]
    for low, bin_points in bins:
        if value >= low:
            points = bin_points
    return points


def _rating(field: str, value: str | None, table: dict[str, int], strip_modifier: bool) -> int:
    if value is None:
        return UNKNOWN_POINTS[field]
    key = value.strip().upper()
    if strip_modifier:
        key = key.rstrip("+-−")
    if key not in table:
        raise _refuse(
            field,
            f"无法识别的{'信用评级' if strip_modifier else '纳税信用等级'}：{value}",
            f"unrecognised {field}: {value!r} (known: {', '.join(table)})",
        )
    return table[key]


def _text(value: object) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def credit_score(profile: EnterpriseProfile) -> CreditScore:
    """Score an enterprise on the scorecard in the module docstring."""
    p = profile
    inventions = _count("valid_invention_count", p.valid_invention_count)
    rights = _count("valid_right_count", p.valid_right_count)
    if inventions > rights:
        raise _refuse(
            "valid_invention_count",
            "有效发明专利数不能多于有效知识产权总数",
            "valid inventions cannot outnumber valid rights (inventions are rights)",
        )
    overdue = _count("overdue_count_24m", p.overdue_count_24m)
    years = _in_range(
        "years_in_business",
        decimal_input("years_in_business", p.years_in_business),
        Decimal(0),
        None,
    )

    def optional(
        field: str, low: Decimal, high: Decimal | None, bins: Sequence[tuple[Decimal, int]]
    ) -> int:
        value = getattr(p, field)
        if value is None:
            return UNKNOWN_POINTS[field]
        return _bin(_in_range(field, decimal_input(field, value), low, high), bins)

    points: dict[str, int] = {
        "valid_invention_count": _bin(inventions, _INVENTION_BINS),
        "valid_right_count": _bin(rights, _RIGHT_BINS),
        "avg_right_score": optional("avg_right_score", Decimal(0), Decimal(100), _SCORE_BINS),
        "rd_expense_ratio": optional("rd_expense_ratio", Decimal(0), Decimal(10), _RD_BINS),
        "high_tech": 5 if p.high_tech else 0,
        "specialised_sme": 5 if p.specialised_sme else 0,
        "credit_rating": _rating("credit_rating", p.credit_rating, _RATING_POINTS, True),
        "overdue_count_24m": _bin(overdue, _OVERDUE_BINS),
        "tax_credit_grade": _rating("tax_credit_grade", p.tax_credit_grade, _TAX_POINTS, False),
        "years_in_business": _bin(years, _YEARS_BINS),
        "revenue": optional("revenue", Decimal(0), None, _REVENUE_BINS),
        "revenue_growth": optional("revenue_growth", Decimal(-1), None, _GROWTH_BINS),
        "debt_ratio": optional("debt_ratio", Decimal(0), Decimal(5), _DEBT_BINS),
    }
    factors = tuple(
        FactorPoints(
            factor=name,
            group=group,
            label_zh=label_zh,
            label_en=label_en,
            value=_text(getattr(p, name)),
            points=points[name],
            max_points=max_points,
        )
        for name, group, label_zh, label_en, max_points in _FACTORS
    )
    groups = {group: 0 for group in GROUP_MAX}
    for factor in factors:
        groups[factor.group] += factor.points
    total = sum(groups.values())
    grade = CREDIT_GRADES[sum(1 for threshold in CREDIT_GRADE_THRESHOLDS if total < threshold)]
    if p.dishonesty_on is not None:
        grade = CREDIT_GRADES[-1]
    return CreditScore(
        total=total, grade=grade, groups=groups, factors=factors, dishonesty_on=p.dishonesty_on
    )


_FACTORS: tuple[tuple[str, Group, str, str, int], ...] = (
    ("valid_invention_count", "ip", "有效发明专利数", "valid invention patents", 12),
    ("valid_right_count", "ip", "有效知识产权总数", "valid IP rights", 8),
    ("avg_right_score", "ip", "平均价值度", "average value score", 10),
    ("rd_expense_ratio", "innovation", "研发费用占比", "R&D expense ratio", 10),
    ("high_tech", "innovation", "高新技术企业", "high-tech enterprise", 5),
    ("specialised_sme", "innovation", "专精特新企业", "specialised SME", 5),
    ("credit_rating", "credit", "信用评级", "credit rating", 12),
    ("overdue_count_24m", "credit", "近24个月逾期次数", "overdues in 24 months", 10),
    ("tax_credit_grade", "credit", "纳税信用等级", "tax credit grade", 8),
    ("years_in_business", "operations", "经营年限", "years in business", 5),
    ("revenue", "operations", "营业收入", "revenue", 5),
    ("revenue_growth", "operations", "营业收入增长率", "revenue growth", 5),
    ("debt_ratio", "operations", "资产负债率", "debt ratio", 5),
)
