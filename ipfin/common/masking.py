"""Logs never hold a full credit code or ID number: every 统一社会信用代码 (18 characters, GB
32100-2015) and 居民身份证号码 (18 characters, GB 11643-1999) in a log line is masked to its last
four characters. Pure: the formatter below applies it to the whole formatted line, message and
traceback included.

Contacts shown publicly are masked the way Chinese sites show them (the outreach library's
experts and event contacts): `mask_phone`, the first three and last four digits ("138****5678");
`mask_email`, the first character of the local part and the domain ("z***@example.com")."""

from __future__ import annotations

import logging
import re

__all__ = ["MaskingFormatter", "mask_email", "mask_identifiers", "mask_phone"]

# GB 32100-2015's alphabet (no I, O, Z, S, V): 2 characters, the 6-digit division code, 10 more.
_USCC = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])"
)
# GB 11643-1999: 17 digits and a check character (a digit or X).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")


def _mask(match: re.Match[str]) -> str:
    code = match.group(0)
    return "*" * (len(code) - 4) + code[-4:]


def mask_identifiers(text: str) -> str:
    """`text` with each credit code and ID number masked to its last four characters."""
    return _ID_NUMBER.sub(_mask, _USCC.sub(_mask, text))


class MaskingFormatter(logging.Formatter):
    """The project's log formatter: the formatted line, traceback included, masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_identifiers(super().format(record))


def mask_phone(phone: str) -> str:
    """A phone number as shown publicly: "138****5678" (its first three and last four digits);
    a shorter number keeps only its last four; "" stays ""."""
    text = (phone or "").strip()
    if not text:
        return ""
    if len(text) >= 11:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def mask_email(email: str) -> str:
    """An email address as shown publicly: the first character of the local part and the
    domain, "z***@example.com"; "" stays "", an address without @ is masked whole ("***")."""
    text = (email or "").strip()
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"
