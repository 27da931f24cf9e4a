"""Reading an uploaded Excel table: a workbook of a few kilobytes cannot make the server read
gigabytes (a <dimension> claiming the whole sheet, a cell in the last column, a zip bomb)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from ipfin.common.errors import ValidationFailed
from ipfin.common.tables import MAX_COLUMNS, XLSX_MAX_INFLATION, TableLimits, read_table

LIMITS = TableLimits(5 * 1024 * 1024, 50_000, "名单", "list")
_SHEET = "xl/worksheets/sheet1.xml"


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewritten(data: bytes, part: str, change: object) -> bytes:
    """The workbook with one part's XML changed by `change(xml) -> xml`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == part:
                content = change(content)  # type: ignore[operator]
            archive.writestr(item, content)
    return out.getvalue()


def _read(data: bytes, limits: TableLimits = LIMITS) -> list[list[object]]:
    return read_table(SimpleUploadedFile("名单.xlsx", data), limits)[1]


def _whole_sheet_claimed(xml: bytes) -> bytes:
    xml = xml.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576"/>')
    assert b"XFD1048576" in xml
    last = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xml.replace(b"</sheetData>", last + b"</sheetData>")


def test_a_sheet_claiming_every_cell_is_refused_for_its_rows_without_reading_them_padded() -> None:
    """openpyxl believed the sheet's <dimension>: every row padded to 16,384 cells and every
    missing row filled, 125 KiB a row (6 GiB before the 50,000-row limit applied)."""
    data = _rewritten(_workbook([["名称", "代码"], ["甲", "1"]]), _SHEET, _whole_sheet_claimed)
    assert len(data) < 10_000
    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed) as refused:
            _read(data, TableLimits(LIMITS.max_bytes, 1000, "名单", "list"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.code == "too_many_rows"
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def test_a_value_beyond_the_last_column_read_is_refused() -> None:
    wide = ["名称", *([None] * (MAX_COLUMNS - 1)), "多余"]  # the value in column MAX_COLUMNS + 1
    with pytest.raises(ValidationFailed) as refused:
        _read(_workbook([wide, ["甲"]]))
    assert refused.value.code == "too_many_columns"
    assert refused.value.extra["max_columns"] == MAX_COLUMNS
    # Up to the last column read, the row is read whole.
    assert _read(_workbook([[*(["x"] * (MAX_COLUMNS - 1)), "末"]]))[0][-1] == "末"


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    limits = TableLimits(64 * 1024, 1000, "名单", "list")
    inflated = XLSX_MAX_INFLATION * limits.max_bytes + 1
    out = io.BytesIO(_workbook([["名称"], ["甲"]]))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/filler.xml", b" " * inflated)
    data = out.getvalue()
    assert len(data) < limits.max_bytes
    with pytest.raises(ValidationFailed) as refused:
        _read(data, limits)
    assert refused.value.status == 413
    assert refused.value.code == "file_too_large"


def test_rows_keep_their_numbers_and_trailing_empty_rows_are_dropped() -> None:
    data = _workbook([["名称", "代码"], ["甲", 1], [None, None], ["乙", None, None]])

    def formatted_empty_rows(xml: bytes) -> bytes:
        empties = b"".join(b'<row r="%d"/>' % n for n in range(5, 30_000))
        return xml.replace(b"</sheetData>", empties + b"</sheetData>")

    rows = _read(_rewritten(data, _SHEET, formatted_empty_rows))
    assert rows == [["名称", "代码"], ["甲", 1], [], ["乙"]]


def test_more_rows_than_the_limit_are_refused() -> None:
    rows = [["名称"], *([f"甲{i}"] for i in range(11))]
    with pytest.raises(ValidationFailed) as refused:
        _read(_workbook(rows), TableLimits(LIMITS.max_bytes, 10, "名单", "list"))
    assert refused.value.code == "too_many_rows"
    assert len(_read(_workbook(rows[:11]), TableLimits(LIMITS.max_bytes, 10, "名单", "list"))) == 11
