"""Reading an uploaded table — a CSV or an Excel (.xlsx) file — into rows of cells, with the checks
every import makes before it looks at a row: the file's name, its size (the declared size and the
bytes actually read), its type, its encoding, its number of rows. Used by the white-list imports
and by the banks' periodic returns; each passes its own limits and the word for what it reads
("名单" / "list"), so that its messages stay its own.

CSV: UTF-8 (with or without BOM) first, then GB 18030 (Excel in a Chinese locale saves CSV as GBK);
the delimiter sniffed among comma, tab and semicolon. Excel: the first sheet, values as computed
(data_only), read-only.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from ipfin.common.errors import ValidationFailed, invalid
from ipfin.common.inputs import file_name_in

__all__ = ["FileTooLarge", "TableLimits", "read_table"]

_XLSX_MAGIC = b"PK\x03\x04"
# An Excel sheet's columns read at most: a value in the next column is refused, cells further
# right are not read. No import's table is a tenth as wide; unbounded, one cell in column XFD
# made every row 16,384 cells.
MAX_COLUMNS = 256
# The parts of an .xlsx (XML, deflated) may hold at most this many times the file's size limit
# once inflated. Honest workbooks inflate about 4-10×; a zip bomb of a few kilobytes inflates to
# gigabytes, which openpyxl would read whole (the shared strings) before any row limit applies.
XLSX_MAX_INFLATION = 20


class FileTooLarge(ValidationFailed):
    status = 413
    code = "file_too_large"


@dataclass(frozen=True)
class TableLimits:
    """What one import accepts: at most `max_bytes` and `max_rows` data rows (plus a header),
    and the word for what it reads in its messages."""

    max_bytes: int
    max_rows: int
    what_zh: str
    what_en: str


def _read_upload(uploaded_file: UploadedFile[bytes], limits: TableLimits) -> tuple[str, bytes]:
    name = file_name_in(uploaded_file.name)
    size = uploaded_file.size or 0
    if size > limits.max_bytes:
        raise FileTooLarge(
            f"文件过大：最大 {limits.max_bytes // (1024 * 1024)} MB。",
            f"The file is too large: at most {limits.max_bytes // (1024 * 1024)} MB.",
            extra={"max_bytes": limits.max_bytes},
        )
    if size == 0:
        raise invalid(None, "file_empty", "文件为空。", "The file is empty.")
    if not name.lower().endswith((".csv", ".xlsx")):
        raise invalid(
            None,
            "file_type",
            f"{limits.what_zh}须为 CSV（.csv）或 Excel（.xlsx）文件。",
            f"The {limits.what_en} must be a CSV (.csv) or Excel (.xlsx) file.",
        )
    uploaded_file.seek(0)
    data: bytes = uploaded_file.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:  # the declared size may lie
        raise FileTooLarge(
            "文件过大。", "The file is too large.", extra={"max_bytes": limits.max_bytes}
        )
    return name, data


def upload_checked(uploaded_file: UploadedFile[bytes], limits: TableLimits) -> None:
    """The checks an upload passes before anything reads its rows (its size, not empty, a .csv
    or .xlsx name): made when a request queues the file for a background run, so that the run
    is not queued for a file that cannot be read (the run's read_table makes them again)."""
    _read_upload(uploaded_file, limits)
    uploaded_file.seek(0)


def _too_many_rows(limits: TableLimits) -> ValidationFailed:
    return invalid(
        None,
        "too_many_rows",
        f"{limits.what_zh}不能超过 {limits.max_rows} 行。",
        f"A {limits.what_en} may have at most {limits.max_rows} rows.",
        max_rows=limits.max_rows,
    )


def _csv_rows(data: bytes, limits: TableLimits) -> list[list[object]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string but a truncated multibyte tail
        raise invalid(None, "file_unreadable", "无法识别文件编码。", "Unknown text encoding.")
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[object]] = []
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for row in reader:
            rows.append(list(row))
            if len(rows) > limits.max_rows + 1:
                raise _too_many_rows(limits)
    except csv.Error as exc:  # a cell over the csv module's limit (128 KiB), a broken quote
        line = reader.line_num
        raise invalid(
            None,
            "file_unreadable",
            f"文件第 {line} 行无法读取（单元格过长或格式有误）。",
            f"Line {line} of the file cannot be read (a cell too long, or malformed).",
            line=line,
        ) from exc
    return rows


def _xlsx_rows(data: bytes, limits: TableLimits) -> list[list[object]]:
    from openpyxl import load_workbook  # only the import path needs it
    from openpyxl.utils.exceptions import InvalidFileException

    if not data.startswith(_XLSX_MAGIC):
        raise invalid(
            None, "file_unreadable", "无法读取该 Excel 文件。", "The Excel file is unreadable."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(item.file_size for item in archive.infolist())
        if inflated > XLSX_MAX_INFLATION * limits.max_bytes:
            raise FileTooLarge(
                "文件解压后过大，无法读取。",
                "The file is too large once decompressed.",
                extra={"max_bytes": limits.max_bytes},
            )
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise invalid(
            None, "file_unreadable", "无法读取该 Excel 文件。", "The Excel file is unreadable."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # The sheet's own <dimension> is not believed: it may claim A1:XFD1048576, and openpyxl
        # would pad every row and fill every missing row up to it.
        sheet.reset_dimensions()
        rows: list[list[object]] = []
        # Empty rows are kept only if a row with a value follows them (trailing ones are
        # dropped); more of them in a run than the row limit refuse the file, whatever follows
        # (a bound on the reading, which a sheet's missing rows would otherwise drag through).
        empty_pending = 0
        for row in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
            end = len(row)
            while end and row[end - 1] is None:
                end -= 1
            if end == 0:
                empty_pending += 1
                if empty_pending > limits.max_rows + 1:  # a value after them would be refused
                    raise _too_many_rows(limits)
                continue
            if end > MAX_COLUMNS:
                raise invalid(
                    None,
                    "too_many_columns",
                    f"{limits.what_zh}不能超过 {MAX_COLUMNS} 列。",
                    f"A {limits.what_en} may have at most {MAX_COLUMNS} columns.",
                    max_columns=MAX_COLUMNS,
                )
            if len(rows) + empty_pending + 1 > limits.max_rows + 1:
                raise _too_many_rows(limits)
            rows.extend([] for _ in range(empty_pending))
            empty_pending = 0
            rows.append(list(row[:end]))
        return rows
    finally:
        workbook.close()


def read_table(
    uploaded_file: UploadedFile[bytes], limits: TableLimits
) -> tuple[str, list[list[object]]]:
    """The file's name (≤ 200 characters) and its rows (the header first), each a list of cells:
    422 `file_empty`, `file_type`, `file_unreadable`, `too_many_rows`; 413 `file_too_large`."""
    filename, data = _read_upload(uploaded_file, limits)
    if filename.lower().endswith(".xlsx"):
        return filename, _xlsx_rows(data, limits)
    return filename, _csv_rows(data, limits)
