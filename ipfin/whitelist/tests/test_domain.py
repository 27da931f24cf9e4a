"""Pure white-list rules: header detection, row extraction, matching, screening, conversion rates.
No database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.domain import make_uscc
from ipfin.whitelist.domain import (
    Criteria,
    EnterpriseFacts,
    EnterpriseRef,
    Header,
    ImportFormatError,
    RawRow,
    UnmatchedReason,
    conversion,
    detect_header,
    extract_rows,
    match_rows,
    normalise_header,
    normalise_name,
    ratio,
    screen,
)

# --- headers and rows ----------------------------------------------------------------------------


def test_header_found_below_a_title_row_with_notes_and_full_width_characters() -> None:
    rows = [
        ["2024年度专精特新中小企业名单", None],
        ["序号", "企业名称*", "统一社会信用代码（必填）"],
        [1, "甲公司", "91110108000000000X"],
    ]
    assert detect_header(rows) == Header(row_index=1, uscc_col=2, name_col=1)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("统一社会信用代码", "统一社会信用代码"),
        (" 社会信用代码 ", "社会信用代码"),
        ("ＵＳＣＣ", "uscc"),  # full-width letters
        ("Credit Code", "creditcode"),
        ("企业名称【全称】", "企业名称"),
        ("单位名称：", "单位名称"),
        (None, ""),
    ],
)
def test_normalise_header(cell: object, expected: str) -> None:
    assert normalise_header(cell) == expected


def test_the_specific_spelling_wins_over_the_generic_one() -> None:
    # "名称" (generic) is column 0, "企业名称" column 1: the enterprise name is column 1.
    header = detect_header([["名称", "企业名称", "信用代码"]])
    assert header == Header(row_index=0, uscc_col=2, name_col=1)


def test_a_sheet_with_only_a_name_column_is_accepted() -> None:
    assert detect_header([["Company Name"]]) == Header(0, None, 0)


def test_no_header_in_the_scanned_rows_is_an_error() -> None:
    rows = [["a", "b"]] * 3 + [["企业名称"]]
    with pytest.raises(ImportFormatError) as caught:
        detect_header(rows, scan=3)
    assert caught.value.code == "header_not_found"


def test_extract_rows_numbers_rows_as_the_spreadsheet_does_and_skips_blank_ones() -> None:
    rows: list[list[object]] = [
        ["名单"],  # row 1
        ["企业名称", "统一社会信用代码"],  # row 2: header
        ["甲公司", " 91110108000000000X "],  # row 3
        [None, None],  # row 4: blank, skipped
        ["乙公司"],  # row 5: short row
        ["", 911101080000000000],  # row 6: a code Excel stored as a number
        [None, 9.1e17],  # row 7: as a float
    ]
    header = detect_header(rows)
    assert extract_rows(rows, header) == [
        RawRow(3, "91110108000000000X", "甲公司"),
        RawRow(5, "", "乙公司"),
        RawRow(6, "911101080000000000", ""),
        RawRow(7, "910000000000000000", ""),
    ]


def test_normalise_name_folds_full_width_brackets_spaces_and_case() -> None:
    assert normalise_name(" 甲科技（北京） 有限公司 ") == normalise_name("甲科技(北京)有限公司")
    assert normalise_name("ABC 科技") == normalise_name("abc科技")
    assert normalise_name("甲科技") != normalise_name("甲科技有限公司")


# --- matching ------------------------------------------------------------------------------------

A = make_uscc(seq=11)
B = make_uscc(seq=12)
BANK = make_uscc(seq=13)
UNREGISTERED = make_uscc(seq=14)


def _lookups() -> tuple[dict[str, EnterpriseRef], dict[str, list[EnterpriseRef]]]:
    a = EnterpriseRef(1, "甲科技（北京）有限公司", A)
    b = EnterpriseRef(2, "乙制造有限公司", B)
    b2 = EnterpriseRef(3, "乙制造有限公司", make_uscc(seq=15))
    bank = EnterpriseRef(9, "某银行", BANK, is_enterprise=False)
    by_uscc = {A: a, B: b, BANK: bank}
    by_name = {normalise_name(a.name): [a], normalise_name(b.name): [b, b2]}
    return by_uscc, by_name


def test_match_rows_each_outcome() -> None:
    bad_check = A[:-1] + ("0" if A[-1] != "0" else "1")
    rows = [
        RawRow(2, A, "whatever"),  # by code (the name is not consulted)
        RawRow(3, bad_check, "甲科技（北京）有限公司"),  # bad code: reported, not matched by name
        RawRow(4, UNREGISTERED, "甲科技（北京）有限公司"),  # valid code nobody has
        RawRow(5, BANK, ""),  # not an enterprise
        RawRow(6, "", "甲科技(北京) 有限公司"),  # by normalised name → enterprise 1 again
        RawRow(7, "", "乙制造有限公司"),  # two enterprises of that name
        RawRow(8, "", "丙公司"),  # nobody
        RawRow(9, B.lower(), ""),  # by code, lower case accepted
    ]
    by_uscc, by_name = _lookups()
    result = {m.row.row_no: m for m in match_rows(rows, by_uscc, by_name)}
    assert (result[2].enterprise_id, result[2].matched_by) == (1, "uscc")
    assert result[3].reason is UnmatchedReason.USCC_INVALID
    assert "校验位" in result[3].detail_zh and "check character" in result[3].detail_en
    assert result[4].reason is UnmatchedReason.USCC_NOT_FOUND
    assert result[4].uscc == UNREGISTERED
    assert result[5].reason is UnmatchedReason.NOT_ENTERPRISE
    assert result[6].reason is UnmatchedReason.DUPLICATE  # enterprise 1 matched on row 2
    assert "第 2 行" in result[6].detail_zh
    assert result[7].reason is UnmatchedReason.NAME_AMBIGUOUS
    assert result[8].reason is UnmatchedReason.NAME_NOT_FOUND
    assert (result[9].enterprise_id, result[9].uscc) == (2, B)
    assert [m.matched for m in result.values()] == [True] + [False] * 6 + [True]


def test_a_name_match_takes_the_enterprises_code() -> None:
    by_uscc, by_name = _lookups()
    (match,) = match_rows([RawRow(2, "", "甲科技（北京）有限公司")], by_uscc, by_name)
    assert (match.enterprise_id, match.uscc, match.matched_by) == (1, A, "name")


# --- screening -----------------------------------------------------------------------------------


def _facts(**kw: object) -> EnterpriseFacts:
    base: dict[str, object] = {
        "id": 1,
        "industry": "新材料",
        "region": "440305",
        "park_id": 7,
        "size": "small",
        "list_kinds": frozenset({"high_tech"}),
        "credit_score": 70,
    }
    base.update(kw)
    return EnterpriseFacts(**base)  # type: ignore[arg-type]


def test_score_boundary_is_inclusive() -> None:
    assert screen(_facts(credit_score=70), Criteria(min_credit_score=70)).included
    verdict = screen(_facts(credit_score=69), Criteria(min_credit_score=70))
    assert not verdict.included
    assert [r.code for r in verdict.failed] == ["credit_score"]
    assert verdict.failed[0].zh == "评分 69 < 70"


def test_no_profile_is_excluded_even_without_a_minimum() -> None:
    verdict = screen(_facts(credit_score=None), Criteria())
    assert not verdict.included
    assert [r.code for r in verdict.failed] == ["no_credit_profile"]


def test_an_unscorable_profile_says_why() -> None:
    verdict = screen(_facts(credit_score=None, score_error="bad debt ratio"), Criteria())
    assert [r.code for r in verdict.failed] == ["credit_score_error"]
    assert "bad debt ratio" in verdict.failed[0].en


def test_a_dishonesty_record_excludes_whatever_the_criteria() -> None:
    from datetime import date

    verdict = screen(_facts(credit_score=90, dishonesty_on=date(2026, 3, 1)), Criteria())
    assert not verdict.included
    assert [r.code for r in verdict.failed] == ["dishonesty_record"]
    assert "2026-03-01" in verdict.failed[0].zh and "失信被执行人" in verdict.failed[0].zh


def test_empty_criteria_take_every_scored_enterprise() -> None:
    verdict = screen(_facts(), Criteria())
    assert verdict.included and verdict.met == () and verdict.failed == ()


def test_every_failed_criterion_is_listed() -> None:
    criteria = Criteria(
        min_credit_score=80,
        industries=("软件",),
        park_ids=(8,),
        regions=("1101",),
        sizes=("medium",),
        required_list_kinds=("high_tech", "specialised_sme"),
    )
    verdict = screen(_facts(), criteria)
    assert [r.code for r in verdict.failed] == [
        "credit_score",
        "industry",
        "park",
        "region",
        "size",
        "list:specialised_sme",
    ]
    assert [r.code for r in verdict.met] == ["list:high_tech"]


def test_regions_match_by_prefix_and_any_listed_value_will_do() -> None:
    assert screen(_facts(region="440305"), Criteria(regions=("1101", "4403"))).included
    assert not screen(_facts(region="440105"), Criteria(regions=("4403",))).included
    assert not screen(_facts(region=""), Criteria(regions=("4403",))).included
    assert screen(_facts(region="广东省深圳市"), Criteria(regions=("广东省",))).included


def test_park_and_size_and_industry() -> None:
    assert screen(_facts(park_id=7), Criteria(park_ids=(7, 9))).included
    assert not screen(_facts(park_id=None), Criteria(park_ids=(7,))).included
    assert screen(_facts(size="small"), Criteria(sizes=("micro", "small"))).included
    assert not screen(_facts(size=""), Criteria(sizes=("small",))).included
    assert not screen(_facts(industry="软件"), Criteria(industries=("新材料",))).included


@given(
    score=st.integers(0, 100),
    minimum=st.none() | st.integers(0, 100),
)
def test_score_criterion_is_exactly_score_at_least_minimum(score: int, minimum: int | None) -> None:
    included = screen(_facts(credit_score=score), Criteria(min_credit_score=minimum)).included
    assert included == (minimum is None or score >= minimum)


# --- conversion rates ----------------------------------------------------------------------------


def test_ratio_rounds_half_up_to_four_places() -> None:
    assert ratio(1, 3) == Decimal("0.3333")  # 0.33333…
    assert ratio(2, 3) == Decimal("0.6667")  # 0.66666… rounds up
    assert ratio(1, 8) == Decimal("0.1250")  # exact
    assert ratio(1, 16) == Decimal("0.0625")
    assert ratio(1, 32) == Decimal("0.0313")  # 0.03125 → half up
    assert ratio(0, 5) == Decimal("0.0000")
    assert ratio(3, 0) is None


def test_conversion_divides_every_stage_by_the_pushed_pairs() -> None:
    rates = conversion(pushed=8, contacted=6, credit_granted=3, loan_disbursed=2, declined=2)
    assert rates.contacted == Decimal("0.7500")  # 6 / 8
    assert rates.credit_granted == Decimal("0.3750")  # 3 / 8
    assert rates.loan_disbursed == Decimal("0.2500")  # 2 / 8
    assert rates.declined == Decimal("0.2500")
    assert (
        conversion(pushed=0, contacted=0, credit_granted=0, loan_disbursed=0, declined=0).contacted
        is None
    )


@given(whole=st.integers(1, 10**6), data=st.data())
def test_ratio_is_within_bounds_and_monotone(whole: int, data: st.DataObject) -> None:
    a = data.draw(st.integers(0, whole))
    b = data.draw(st.integers(a, whole))
    ra, rb = ratio(a, whole), ratio(b, whole)
    assert ra is not None and rb is not None
    assert Decimal(0) <= ra <= rb <= Decimal(1)
    assert abs(ra - Decimal(a) / Decimal(whole)) <= Decimal("0.00005")
