from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.domain import (
    USCC_ALPHABET,
    UsccError,
    UsccErrorCode,
    make_uscc,
    org_code_check_char,
    uscc_check_char,
    validate_uscc,
)

# Published codes of well-known companies (from their business licences / public filings). Each
# passes both independent checks (GB 11714 mod 11 and GB 32100 mod 31), which a wrong algorithm
# would not reproduce by chance.
REAL_CODES = [
    "914403001922038216",  # 华为技术有限公司 (Huawei Technologies)
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司 (Tencent Technology (Shenzhen)); org check "X"
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司 (Shenzhen Tencent Computer Systems)
    "91330100799655058B",  # 阿里巴巴（中国）有限公司 (Alibaba (China))
    "91110108551385082Q",  # 北京小米科技有限责任公司 (Beijing Xiaomi Technology)
    "91110000802100433B",  # 北京百度网讯科技有限公司 (Beijing Baidu Netcom)
]

# Characters that are never the same code after normalisation: the alphabet, the five excluded
# capital letters, and some punctuation. (Lower-case letters would be upper-cased, so they are not
# substitutions.)
SUBSTITUTES = USCC_ALPHABET + "IOSVZ-_.#*"


def error_code(raw: str) -> UsccErrorCode:
    with pytest.raises(UsccError) as excinfo:
        validate_uscc(raw)
    return excinfo.value.code


# --- real codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_validate(code: str) -> None:
    assert validate_uscc(code) == code
    assert org_code_check_char(code[8:16]) == code[16]
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_substitution_of_a_real_code_fails(code: str) -> None:
    for position in range(18):
        for char in SUBSTITUTES:
            if char == code[position]:
                continue
            mutated = code[:position] + char + code[position + 1 :]
            with pytest.raises(UsccError):
                validate_uscc(mutated)


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_adjacent_transposition_of_a_real_code_fails(code: str) -> None:
    # Weights 3^i mod 31 differ pairwise, so swapping two different characters changes the sum.
    for position in range(17):
        a, b = code[position], code[position + 1]
        if a == b:
            continue
        swapped = code[:position] + b + a + code[position + 2 :]
        with pytest.raises(UsccError):
            validate_uscc(swapped)


# --- normalisation ----------------------------------------------------------------------------


def test_lowercase_input_normalises() -> None:
    assert validate_uscc("9144030071526726xg") == "9144030071526726XG"
    assert validate_uscc("91330100799655058b") == "91330100799655058B"


def test_whitespace_is_removed() -> None:
    assert validate_uscc("  914403001922038216\n") == "914403001922038216"
    assert validate_uscc("9144 0300 1922 0382 16") == "914403001922038216"
    assert validate_uscc("\u30009144030071526726XG\t") == "9144030071526726XG"  # full-width space


# --- error codes ------------------------------------------------------------------------------


def test_error_codes_are_stable_strings() -> None:
    # The API and the UI map these strings: changing one is a breaking change.
    assert {code.value for code in UsccErrorCode} == {
        "uscc_length",
        "uscc_charset",
        "uscc_division",
        "uscc_org_code_check",
        "uscc_check_char",
    }
    assert all(isinstance(code, str) and str(code) == code.value for code in UsccErrorCode)


@pytest.mark.parametrize("raw", ["", "   ", "91440300192203821", "9144030019220382160", "9" * 30])
def test_bad_length(raw: str) -> None:
    assert error_code(raw) == UsccErrorCode.LENGTH


@pytest.mark.parametrize(
    "raw",
    [
        "91440300192203821I",  # I is not in the alphabet
        "O14403001922038216",
        "9144030019220382S6",
        "91440300192203821Z",
        "9144030019220382V6",
        "9144030019220-8216",
        "９14403001922038216",  # full-width digit
        "91440300192203821é",
    ],
)
def test_bad_charset(raw: str) -> None:
    assert error_code(raw) == UsccErrorCode.CHARSET


def test_bad_division() -> None:
    assert error_code("9144A3001922038216") == UsccErrorCode.DIVISION


def test_bad_org_code_check() -> None:
    # Huawei's code with the organisation code's check character (position 17) changed.
    assert error_code("914403001922038226") == UsccErrorCode.ORG_CODE_CHECK


def test_bad_check_char() -> None:
    assert error_code("914403001922038217") == UsccErrorCode.CHECK_CHAR


def test_error_carries_messages_and_is_a_value_error() -> None:
    with pytest.raises(ValueError) as excinfo:
        validate_uscc("914403001922038217")
    error = excinfo.value
    assert isinstance(error, UsccError)
    assert error.code == "uscc_check_char"
    assert "校验位" in error.message_zh
    assert "check character" in error.message_en
    assert str(error) == error.message_en


# --- check characters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("19220382", "1"),  # Huawei
        ("71526726", "X"),  # Tencent Technology: 11 - r == 10
        ("79965505", "8"),  # Alibaba (China)
        ("55138508", "2"),  # Xiaomi
    ],
)
def test_org_code_check_char(body: str, check: str) -> None:
    assert org_code_check_char(body) == check


def test_org_code_check_char_zero_when_sum_divisible_by_11() -> None:
    # "00000000": sum 0, 11 - 0 == 11 → "0".
    assert org_code_check_char("00000000") == "0"


def test_org_code_check_char_letters_count_from_10() -> None:
    # A=10 at weight 3 gives 30; 30 mod 11 = 8; 11 - 8 = 3.
    assert org_code_check_char("A0000000") == "3"
    # Z=35 at weight 2 gives 70; 70 mod 11 = 4; 11 - 4 = 7. (GB 11714 allows all 26 letters.)
    assert org_code_check_char("0000000Z") == "7"


@pytest.mark.parametrize("bad", ["", "1922038", "192203821", "1922038a", "1922038-"])
def test_org_code_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(UsccError):
        org_code_check_char(bad)


def test_uscc_check_char_zero_when_sum_divisible_by_31() -> None:
    assert uscc_check_char("0" * 17) == "0"


@pytest.mark.parametrize("bad", ["", "9144030019220382", "914403001922038216", "9144030019220382I"])
def test_uscc_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(UsccError):
        uscc_check_char(bad)


# --- make_uscc --------------------------------------------------------------------------------


def test_make_uscc_defaults() -> None:
    code = make_uscc()
    assert code == make_uscc()  # deterministic
    assert code.startswith("91110108" + "00000000")
    assert validate_uscc(code) == code


def test_make_uscc_places_its_parts() -> None:
    code = make_uscc(division="440300", seq=12345, authority="5", category="2")
    assert code[0] == "5"
    assert code[1] == "2"
    assert code[2:8] == "440300"
    assert code[8:16] == "00012345"
    assert validate_uscc(code) == code


@given(
    division=st.from_regex(r"[0-9]{6}", fullmatch=True),
    seq=st.integers(min_value=0, max_value=10**8 - 1),
    authority=st.sampled_from(USCC_ALPHABET),
    category=st.sampled_from(USCC_ALPHABET),
)
def test_make_uscc_always_validates(division: str, seq: int, authority: str, category: str) -> None:
    code = make_uscc(division=division, seq=seq, authority=authority, category=category)
    assert len(code) == 18
    assert validate_uscc(code) == code


@given(st.integers(min_value=0, max_value=10**8 - 1), st.integers(min_value=0, max_value=10**8 - 1))
def test_make_uscc_is_injective_in_seq(a: int, b: int) -> None:
    assert (make_uscc(seq=a) == make_uscc(seq=b)) == (a == b)


def test_make_uscc_covers_the_x_org_check() -> None:
    # Some seqs have "X" as the organisation code check character; they are valid, not skipped.
    seqs = [seq for seq in range(200) if make_uscc(seq=seq)[16] == "X"]
    assert seqs
    for seq in seqs:
        validate_uscc(make_uscc(seq=seq))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seq": -1},
        {"seq": 10**8},
        {"division": "11010"},
        {"division": "11010A"},
        {"authority": "I"},
        {"authority": "91"},
        {"category": "Z"},
        {"category": ""},
    ],
)
def test_make_uscc_rejects_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_uscc(**kwargs)  # type: ignore[arg-type]


# --- properties of validate_uscc --------------------------------------------------------------


@given(
    seq=st.integers(min_value=0, max_value=10**8 - 1),
    position=st.integers(min_value=0, max_value=17),
    char=st.sampled_from(SUBSTITUTES),
)
def test_any_single_substitution_fails(seq: int, position: int, char: str) -> None:
    code = make_uscc(division="310115", seq=seq)
    mutated = code[:position] + char + code[position + 1 :]
    if mutated == code:
        return
    with pytest.raises(UsccError):
        validate_uscc(mutated)


@given(st.text(max_size=25))
def test_validate_uscc_either_returns_canonical_or_raises_uscc_error(raw: str) -> None:
    try:
        code = validate_uscc(raw)
    except UsccError as error:
        assert error.code in set(UsccErrorCode)
    else:
        assert len(code) == 18
        assert set(code) <= set(USCC_ALPHABET)
        assert validate_uscc(code) == code
