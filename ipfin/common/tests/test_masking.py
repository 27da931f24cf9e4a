"""Logs never hold a full credit code or ID number (masked to the last four characters)."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.domain import make_uscc
from ipfin.common.masking import MaskingFormatter, mask_identifiers

ID_NUMBER = "11010519491231002X"  # the example of GB 11643-1999


def test_a_credit_code_and_an_id_number_keep_only_their_last_four_characters() -> None:
    code = make_uscc(seq=42)
    text = mask_identifiers(f"pledgor {code} signed by {ID_NUMBER}; amount 5000000.00")
    assert code not in text and ID_NUMBER not in text
    assert f"{'*' * 14}{code[-4:]}" in text and f"{'*' * 14}002X" in text
    assert text.endswith("amount 5000000.00")


@given(st.integers(min_value=1, max_value=10**6))
def test_every_valid_credit_code_is_masked(seq: int) -> None:
    code = make_uscc(seq=seq)
    assert mask_identifiers(f"[{code}]") == f"[{'*' * 14}{code[-4:]}]"


def test_shorter_or_longer_runs_and_application_numbers_are_left_alone() -> None:
    for text in ("2021100000001.X", "1234567890123456", "1234567890123456789", "ZY-2026-001"):
        assert mask_identifiers(text) == text


def test_the_projects_log_lines_are_masked_tracebacks_included(
    caplog: pytest.LogCaptureFixture,
) -> None:
    code = make_uscc(seq=7)
    formatter = MaskingFormatter("%(message)s")
    try:
        raise ValueError(f"no organisation {code}")
    except ValueError:
        record = logging.getLogger("ipfin.test").makeRecord(
            "ipfin.test", logging.ERROR, __file__, 1, "refused %s", (code,), exc_info=True
        )
        import sys

        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert code not in line and line.count(code[-4:]) == 2
