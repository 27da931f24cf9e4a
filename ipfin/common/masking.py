"""Logs never hold a full credit code or ID number: every 统一社会信用代码 (18 characters, GB
32100-2015) and 居民身份证号码 (18 characters, GB 11643-1999) in a log line is masked to its last
four characters. Pure: the formatter below applies it to the whole formatted line, message and
traceback included."""

from __future__ import annotations

import logging
import re

__all__ = ["MaskingFormatter", "mask_identifiers"]

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
