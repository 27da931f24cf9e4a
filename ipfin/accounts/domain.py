"""Pure rules for accounts: the unified social credit code (统一社会信用代码).

GB 32100-2015 (法人和其他组织统一社会信用代码编码规则), 18 characters over the 31-character alphabet
"0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z):

=========  ==========================================================================
position   meaning
=========  ==========================================================================
1          registration authority (登记管理部门代码), e.g. 9 industry and commerce
2          category (机构类别代码), e.g. 1 company
3-8        administrative division (登记管理机关行政区划码, GB/T 2260): 6 digits
9-17       organisation code (主体标识码, GB 11714): 8 characters + its own check character
18         check character (校验码) over positions 1-17
=========  ==========================================================================

Positions 1 and 2 are not checked against a list of known values: the standard lets the authorities
add values, and the check character already catches typing errors there.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "USCC_ALPHABET",
    "UsccError",
    "UsccErrorCode",
    "make_uscc",
    "org_code_check_char",
    "uscc_check_char",
    "validate_uscc",
]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}
# GB 32100-2015 §5: weight of position i (1-based) is 3^(i-1) mod 31.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997 §5: weights of the 8 body characters of the organisation code.
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_BODY_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
USCC_LENGTH = 18
# The longest input read as a code (whitespace included): a pasted code with spaces between its
# groups fits easily; anything longer is refused as too long before it is normalised. The API
# document states the same bound (ipfin.common.schemas.USCC_MAX_LENGTH).
USCC_MAX_INPUT_LENGTH = 40


class UsccErrorCode(StrEnum):
    """Stable codes, mapped by the API ({detail, code}) and the UI."""

    LENGTH = "uscc_length"
    CHARSET = "uscc_charset"
    DIVISION = "uscc_division"
    ORG_CODE_CHECK = "uscc_org_code_check"
    CHECK_CHAR = "uscc_check_char"


class UsccError(ValueError):
    """An invalid unified social credit code, with a stable `code` and bilingual messages."""

    def __init__(self, code: UsccErrorCode, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


def _length_error(what_zh: str, what_en: str, expected: int, got: int) -> UsccError:
    return UsccError(
        UsccErrorCode.LENGTH,
        f"{what_zh}应为{expected}位，实际为{got}位。",
        f"{what_en} must have {expected} characters, not {got}.",
    )


def _charset_error(char: str, position: int) -> UsccError:
    return UsccError(
        UsccErrorCode.CHARSET,
        f"统一社会信用代码第{position}位含非法字符“{char}”（只能是数字和除I、O、S、V、Z外的大写字母）。",
        f"Character {char!r} at position {position} is not allowed in a unified social credit "
        "code (digits and capital letters except I, O, S, V, Z).",
    )


def _check_uscc_charset(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in _USCC_VALUE:
            raise _charset_error(char, position)


def org_code_check_char(first8: str) -> str:
    """The GB 11714 check character of an organisation code body of 8 digits or capital letters.

    Value of a character: its digit, or A=10 ... Z=35; check = 11 - (Σ value·weight mod 11), where
    10 is written "X" and 11 is written "0".
    """
    if len(first8) != 8:
        raise _length_error("组织机构代码本体", "An organisation code body", 8, len(first8))
    total = 0
    for position, (char, weight) in enumerate(zip(first8, _ORG_CODE_WEIGHTS, strict=True), 1):
        if char not in _ORG_CODE_BODY_CHARS:
            raise UsccError(
                UsccErrorCode.CHARSET,
                f"组织机构代码第{position}位含非法字符“{char}”。",
                f"Character {char!r} at position {position} is not allowed in an organisation "
                "code.",
            )
        value = int(char) if char in _DIGITS else ord(char) - ord("A") + 10
        total += value * weight
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character (position 18) for the first 17 characters of a code.

    Value of a character: its index in the 31-character alphabet; check = 31 - (Σ value·weight
    mod 31), where 31 becomes 0; the result is mapped back through the alphabet.
    """
    if len(first17) != USCC_LENGTH - 1:
        raise _length_error(
            "统一社会信用代码前17位",
            "The first part of a unified social credit code",
            17,
            len(first17),
        )
    _check_uscc_charset(first17)
    total = sum(
        _USCC_VALUE[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(raw: str) -> str:
    """The canonical form of a unified social credit code, or `UsccError`.

    Refuses an input of more than `USCC_MAX_INPUT_LENGTH` characters as it stands. Then
    normalises: all whitespace removed (also inside, e.g. a pasted "9144 0300 ..." or a
    full-width space), letters upper-cased. Checks, in this order: length, alphabet, the 6-digit
    division code, the organisation code's check character (position 17), the check character
    (position 18).
    """
    if len(raw) > USCC_MAX_INPUT_LENGTH:
        raise _length_error("统一社会信用代码", "A unified social credit code", 18, len(raw))
    code = "".join(raw.split()).upper()
    if len(code) != USCC_LENGTH:
        raise _length_error("统一社会信用代码", "A unified social credit code", 18, len(code))
    _check_uscc_charset(code)
    if not all(char in _DIGITS for char in code[2:8]):
        raise UsccError(
            UsccErrorCode.DIVISION,
            f"统一社会信用代码第3-8位应为6位行政区划码，实际为“{code[2:8]}”。",
            f"Positions 3-8 of a unified social credit code must be a 6-digit administrative "
            f"division code, not {code[2:8]!r}.",
        )
    if org_code_check_char(code[8:16]) != code[16]:
        raise UsccError(
            UsccErrorCode.ORG_CODE_CHECK,
            "统一社会信用代码中的组织机构代码（第9-17位）校验位不正确。",
            "The organisation code (positions 9-17) of the unified social credit code has a wrong "
            "check character.",
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise UsccError(
            UsccErrorCode.CHECK_CHAR,
            "统一社会信用代码校验位（第18位）不正确，请核对是否输入有误。",
            "The check character (position 18) of the unified social credit code is wrong; please "
            "check for a typing error.",
        )
    return code


_MAX_SEQ = 10**8


def make_uscc(
    division: str = "110108", seq: int = 0, authority: str = "9", category: str = "1"
) -> str:
    """A valid code built deterministically from `seq` (demo data and test factories).

    The organisation code body is `seq` as 8 digits (0 <= seq < 10**8), so different `seq` give
    different codes; its GB 11714 check character is a digit or "X", both in the USCC alphabet, so
    no `seq` has to be skipped. Defaults: 9 (industry and commerce), 1 (company), 110108 (Beijing
    Haidian). The result always passes `validate_uscc`.
    """
    if not 0 <= seq < _MAX_SEQ:
        raise ValueError(f"seq must be in [0, {_MAX_SEQ}), got {seq}")
    if len(authority) != 1 or authority not in _USCC_VALUE:
        raise ValueError(f"authority must be one character of the USCC alphabet, got {authority!r}")
    if len(category) != 1 or category not in _USCC_VALUE:
        raise ValueError(f"category must be one character of the USCC alphabet, got {category!r}")
    if len(division) != 6 or not all(char in _DIGITS for char in division):
        raise ValueError(f"division must be 6 digits, got {division!r}")
    body = f"{seq:08d}"
    first17 = authority + category + division + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)
