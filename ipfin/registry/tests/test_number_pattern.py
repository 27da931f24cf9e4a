"""The pattern the OpenAPI document gives every input holding a right's number agrees with the
service's own reading of it (ipfin.registry.domain.normalize_number): the 申请号 the office gives a
patent application (专利法实施细则; its form and check digit are CNIPA's ZC 0006-2003), the 注册号
of a registered trademark (商标法), the 登记号 of a copyright or an IC layout. Nothing the service
accepts is outside the pattern, and what the pattern admits fails, if at all, only with the
service's own format, check-digit or kind codes, never a crash."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.common.errors import ValidationFailed
from ipfin.common.tests.openapi_inputs import request_body_schemas
from ipfin.registry.domain import (
    RIGHT_NUMBER_MAX_LENGTH,
    RIGHT_NUMBER_PATTERN,
    NumberErrorCode,
    NumberFormatError,
    RightKind,
    cn_application_check_digit,
    is_number_spelling,
    kind_from_application_no,
    normalize_number,
)
from ipfin.registry.models import Right
from ipfin.registry.samples import application_no
from ipfin.registry.selectors import number_candidates, rights_named
from ipfin.registry.tests.conftest import REAL_UTILITY_MODEL_NO

PATTERN = re.compile(RIGHT_NUMBER_PATTERN)
PATENT_KINDS = {
    "invention": RightKind.INVENTION,
    "utility_model": RightKind.UTILITY_MODEL,
    "design": RightKind.DESIGN,
}
OLD_STYLE_TYPE_DIGIT = {
    RightKind.INVENTION: "1",
    RightKind.UTILITY_MODEL: "2",
    RightKind.DESIGN: "3",
}

# ECMA-262's WhiteSpace and LineTerminator (what \s is in the document's regex dialect).
ECMA_WHITESPACE = set("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | {
    chr(code) for code in range(0x2000, 0x200B)
}
DASHES = set("\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
CJK = set("第号国作登字")
ASCII_ALNUM = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
FULL_WIDTH = {chr(ord(char) + 0xFEE0) for char in ASCII_ALNUM | {".", "-"}}  # ０ Ａ ａ ． －


def _expected_characters() -> set[str]:
    """What a number may be typed with, written out from the rule rather than from the pattern:
    ASCII and full-width digits and letters, '.', '．', '-', '－', the dashes folded to '-',
    whitespace that both Python (str.split) and ECMA-262 (\\s) take as such, and the CJK
    characters of 第…号 and 国作登字."""
    whitespace = {char for char in ECMA_WHITESPACE if char.isspace()}
    return ASCII_ALNUM | FULL_WIDTH | {".", "-"} | DASHES | whitespace | CJK


def test_the_pattern_admits_exactly_the_characters_a_number_is_typed_with() -> None:
    admitted = {chr(code) for code in range(0x110000) if PATTERN.fullmatch(chr(code))}
    assert admitted == _expected_characters()
    for char in admitted:  # and each of them reads as one the formats use, or as nothing
        folded = unicodedata.normalize("NFKC", char).upper()
        assert folded.isspace() or folded in ASCII_ALNUM | {".", "-"} | DASHES | CJK, char


# --- valid numbers of every kind, as people type them ---------------------------------------------


@st.composite
def _canonical_numbers(draw: st.DrawFn) -> tuple[RightKind, str]:
    """(kind, canonical number) of every kind the register holds."""
    choice = draw(st.sampled_from(["patent", "old_patent", "tm", "software", "works", "ic"]))
    if choice == "patent":  # 12-digit body since 1 October 2003, the check digit mod 11
        name = draw(st.sampled_from(sorted(PATENT_KINDS)))
        year = draw(st.integers(2003, 2099))
        return PATENT_KINDS[name], application_no(name, year, draw(st.integers(0, 9_999_999)))
    if choice == "old_patent":  # 8-digit body before then: YY, the type digit, 5 digits
        kind = draw(st.sampled_from(sorted(OLD_STYLE_TYPE_DIGIT)))
        year = draw(st.integers(85, 99))
        body = f"{year:02d}{OLD_STYLE_TYPE_DIGIT[kind]}{draw(st.integers(0, 99_999)):05d}"
        return kind, f"{body}.{cn_application_check_digit(body)}"
    if choice == "tm":
        return RightKind.TRADEMARK, str(draw(st.integers(1, 9_999_999_999)))
    if choice == "software":
        serial = draw(st.from_regex(r"[0-9]{6,8}", fullmatch=True))
        return RightKind.COPYRIGHT, f"{draw(st.integers(1990, 2099))}SR{serial}"
    if choice == "works":
        letter = draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        serial = draw(st.integers(0, 99_999_999))
        return (
            RightKind.COPYRIGHT,
            f"国作登字-{draw(st.integers(1990, 2099))}-{letter}-{serial:08d}",
        )
    digits = draw(st.from_regex(r"[0-9]{8,10}", fullmatch=True))
    check = draw(st.sampled_from(["", ".0", ".7", ".X"]))
    return RightKind.IC_LAYOUT, f"BS.{digits}{check}"


# At most one character between two of the number's: the longest spelling stays within 60.
SPACES = ["", "", " ", "\t", "\u3000", "\u00a0", "\n"]


@st.composite
def _typed_numbers(draw: st.DrawFn) -> tuple[RightKind, str, str]:
    """(kind, canonical, spelling): a valid number typed with any letters in lower case, any
    characters full-width, whitespace anywhere, any dash for '-', a CN / ZL prefix and no dot
    (patents), 第…号 and leading zeros (trademarks)."""
    kind, canonical = draw(_canonical_numbers())
    text = canonical
    if kind in PATENT_KINDS.values():
        if draw(st.booleans()):
            text = text.replace(".", "")
        text = draw(st.sampled_from(["", "CN", "ZL", "cn", "zl", "CN ", "ZL "])) + text
    elif kind is RightKind.TRADEMARK:
        text = "0" * draw(st.integers(0, min(3, 10 - len(text)))) + text  # 1-10 digits in all
        if draw(st.booleans()):
            text = f"第{draw(st.sampled_from(SPACES))}{text}{draw(st.sampled_from(SPACES))}号"
    typed = ""
    for char in text:
        if char == "-":
            char = draw(st.sampled_from(["-", "－", *sorted(DASHES)]))
        elif char.isascii() and char.isalpha() and draw(st.booleans()):
            char = char.lower()
        if char in ASCII_ALNUM | {".", "-"} and draw(st.booleans()):
            char = chr(ord(char) + 0xFEE0)  # full-width
        typed += draw(st.sampled_from(SPACES)) + char
    typed += draw(st.sampled_from(SPACES))
    return kind, canonical, typed


@given(_typed_numbers())
def test_every_valid_number_as_typed_matches_and_is_accepted_shishi_xize_shangbiaofa(
    typed: tuple[RightKind, str, str],
) -> None:
    kind, canonical, text = typed
    assert len(text) <= RIGHT_NUMBER_MAX_LENGTH, text  # the spellings above stay within it
    assert PATTERN.fullmatch(text), text
    assert is_number_spelling(text)
    assert normalize_number(kind, text) == canonical
    if kind is not RightKind.TRADEMARK:  # a bare run of digits is never taken for a trademark
        assert kind_from_application_no(text) is kind
        assert canonical in number_candidates(text)
    assert PATTERN.fullmatch(canonical)


def test_a_number_padded_to_the_maximum_length_is_read_one_more_is_refused_shishi_xize() -> None:
    number = application_no("utility_model", 2012, 249767)
    padded = " " * (RIGHT_NUMBER_MAX_LENGTH - len(number)) + number
    assert PATTERN.fullmatch(padded)
    assert normalize_number(RightKind.UTILITY_MODEL, padded) == number
    assert kind_from_application_no(padded) is RightKind.UTILITY_MODEL
    assert number_candidates(padded) == [number]
    too_long = " " + padded
    assert not PATTERN.fullmatch(too_long)
    with pytest.raises(NumberFormatError) as info:
        normalize_number(RightKind.UTILITY_MODEL, too_long)
    assert info.value.code == NumberErrorCode.BAD_FORMAT
    assert kind_from_application_no(too_long) is None
    assert number_candidates(too_long) == []
    with pytest.raises(NumberFormatError) as info:
        normalize_number(RightKind.TRADEMARK, "1" * 10_000)
    assert info.value.code == NumberErrorCode.BAD_FORMAT
    assert len(info.value.message_en) < 200  # the message shows the start, not all of it


# --- what the pattern admits: the service's own answer, never a crash -----------------------------

SERVICE_CODES = set(NumberErrorCode)


def _read(kind: RightKind, text: str) -> str | None:
    """The canonical number, or None when refused with one of the service's own codes."""
    try:
        canonical = normalize_number(kind, text)
    except NumberFormatError as exc:
        assert exc.code in SERVICE_CODES
        assert exc.message_zh and exc.message_en
        return None
    assert PATTERN.fullmatch(canonical), canonical
    return canonical


@given(st.from_regex(PATTERN, fullmatch=True), st.sampled_from(list(RightKind)))
def test_what_the_pattern_admits_fails_only_with_the_services_codes_shishi_xize_shangbiaofa(
    text: str, kind: RightKind
) -> None:
    _read(kind, text)
    denoted = kind_from_application_no(text)
    if denoted is not None:
        assert _read(denoted, text) is not None
    number_candidates(text)


@given(_typed_numbers(), st.sampled_from(list(RightKind)))
def test_a_number_read_as_another_kind_is_refused_with_a_code_shishi_xize_shangbiaofa(
    typed: tuple[RightKind, str, str], kind: RightKind
) -> None:
    number_kind, canonical, text = typed
    read = _read(kind, text)
    if kind is number_kind:
        assert read == canonical


# --- a character outside the pattern is refused, before any folding -------------------------------

OUTSIDE = st.characters(codec="utf-8").filter(lambda char: not PATTERN.fullmatch(char))


@given(_typed_numbers(), OUTSIDE, st.integers(min_value=0))
def test_a_character_outside_the_pattern_is_bad_format_shishi_xize_shangbiaofa(
    typed: tuple[RightKind, str, str], stray: str, where: int
) -> None:
    kind, _canonical, text = typed
    position = where % (len(text) + 1)
    spoiled = text[:position] + stray + text[position:]
    assert not PATTERN.fullmatch(spoiled)
    assert not is_number_spelling(spoiled)
    with pytest.raises(NumberFormatError) as info:
        normalize_number(kind, spoiled)
    assert info.value.code == NumberErrorCode.BAD_FORMAT
    assert kind_from_application_no(spoiled) is None
    assert number_candidates(spoiled) == []


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (RightKind.UTILITY_MODEL, "２０１２２０２４９７６７．④"),  # circled digit four
        (RightKind.UTILITY_MODEL, "201220249767.⁴"),  # superscript four
        (RightKind.UTILITY_MODEL, "2012202497₆7.4"),  # subscript six
        (RightKind.TRADEMARK, "第①②③号"),
        (RightKind.TRADEMARK, "１２３\ufeff"),  # a byte-order mark: ECMA whitespace, not Python's
        (RightKind.TRADEMARK, "123\x85"),  # NEL: Python whitespace, not ECMA's
        (RightKind.COPYRIGHT, "2019ＳＲ０１２３４５⑥"),
        (RightKind.IC_LAYOUT, "BS.12500123.Ⅳ"),  # a Roman numeral NFKC spells IV
        (RightKind.UTILITY_MODEL, "CN201220249767.4（实用新型）"),
        (RightKind.UTILITY_MODEL, "٢٠١٢٢٠٢٤٩٧٦٧.٤"),  # Arabic-Indic digits
    ],
)
def test_what_nfkc_would_fold_into_a_number_is_refused_shishi_xize(
    kind: RightKind, text: str
) -> None:
    assert not PATTERN.fullmatch(text)
    with pytest.raises(NumberFormatError) as info:
        normalize_number(kind, text)
    assert info.value.code == NumberErrorCode.BAD_FORMAT
    assert info.value.message_zh != info.value.message_en
    assert kind_from_application_no(text) is None


CIRCLED_FOUR = "２０１２２０２４９７６７．④"  # the utility model, its check digit circled


@pytest.mark.django_db
def test_a_right_entered_with_a_circled_digit_is_a_422_bad_format_shishi_xize(office: Any) -> None:
    """NFKC read ④ as 4, and the register took the number; the document's pattern refused it."""
    body = {
        "number": CIRCLED_FOUR,
        "kind": "utility_model",
        "title": "一种散热器",
        "filing_date": "2012-05-29",
        "owners": [{"name": "甲科技有限公司"}],
    }
    response = office.post_json("/api/v1/rights", body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == NumberErrorCode.BAD_FORMAT
    assert not Right.objects.exists()
    body["number"] = "ＣＮ ２０１２ ２０２４ ９７６７．４"
    assert office.post_json("/api/v1/rights", body).status_code == 201


@pytest.mark.django_db
def test_a_request_naming_a_right_with_a_circled_digit_names_no_right_shishi_xize(
    make_right: Any,
) -> None:
    right = make_right(kind="utility_model", number=REAL_UTILITY_MODEL_NO)
    assert rights_named(["zl 2012 2024 9767.4"], at_most=5, per_zh="", per_en="") == [right]
    with pytest.raises(ValidationFailed) as info:
        rights_named([CIRCLED_FOUR], at_most=5, per_zh="", per_en="")
    assert info.value.code == "right_not_found"


CIRCLED = dict(zip("0123456789", "⓪①②③④⑤⑥⑦⑧⑨", strict=True))


def _full_width(number: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if char.isascii() else char for char in number)


@pytest.mark.django_db
def test_a_list_of_rights_names_each_as_typed_and_no_right_by_a_circled_digit_shishi_xize(
    bank_a_api: Any, patent: Right, enterprise_a: Any, today: date
) -> None:
    """A request body's `rights` (here the pre-check's): each item within the pattern is read as
    the service reads it; an item outside it names no right (422 right_not_found naming it)."""
    body = {
        "pledgor_uscc": enterprise_a.uscc,
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=365)).isoformat(),
    }
    typed = f"ＺＬ {_full_width(patent.number)}"
    assert PATTERN.fullmatch(typed)
    response = bank_a_api.post_json("/api/v1/pledges/precheck", body | {"rights": [typed]})
    assert response.status_code == 200, response.content
    circled = "ZL " + "".join(CIRCLED.get(char, char) for char in patent.number)
    assert unicodedata.normalize("NFKC", circled) == f"ZL {patent.number}"  # what was read
    response = bank_a_api.post_json("/api/v1/pledges/precheck", body | {"rights": [circled]})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "right_not_found"
    assert response.json()["right"] == circled


# --- the document ---------------------------------------------------------------------------------

# The inputs holding right numbers: one number, a list of them. reference_values (a bank's
# internal valuation) is keyed by number inside a free-form object the document does not detail.
NUMBER_FIELDS = {"number", "same_day_invention", "rights"}


def _string_schemas(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The schemas a property's strings must meet: the property itself, its anyOf branches and
    their items (a list of numbers)."""
    found = [spec]
    for branch in spec.get("anyOf", []):
        found += _string_schemas(branch)
    if "items" in spec:
        found += _string_schemas(spec["items"])
    return found


@pytest.mark.django_db
def test_every_right_number_input_of_the_document_carries_the_pattern(api_client: Any) -> None:
    document = api_client().get("/api/schema").json()
    valid = application_no("invention", 2021, 12345)
    seen = []
    for name, schema in request_body_schemas(document).items():
        for field, spec in schema.get("properties", {}).items():
            if field not in NUMBER_FIELDS and "申请号" not in spec.get("description", ""):
                continue
            seen.append((name, field))
            stated = [s for s in _string_schemas(spec) if "pattern" in s]
            assert stated, (name, field)
            for string in stated:
                assert string["pattern"] == RIGHT_NUMBER_PATTERN, (name, field)
                assert string["maxLength"] <= RIGHT_NUMBER_MAX_LENGTH, (name, field)
                pattern = re.compile(string["pattern"])
                assert pattern.fullmatch(valid) and pattern.fullmatch(f"ZL {valid}"), (name, field)
    assert {
        ("RightIn", "number"),
        ("RightIn", "same_day_invention"),
        ("TermFactsIn", "same_day_invention"),
        ("PledgeIn", "rights"),
        ("PrecheckIn", "rights"),
        ("ResubmitIn", "rights"),
        ("DemandIn", "rights"),
        ("LoanIn", "rights"),
        ("ValuationIn", "rights"),
    } <= set(seen), seen
