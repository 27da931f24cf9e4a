"""The zones' values of the uploaded indicators (上报数据), from the office's workbook.

The workbook (.xlsx; a CSV is read alike, ipfin.common.tables): one value a row, in three
columns — the zone (a park, by its name or its unified social credit code), the indicator code,
the value. A first row whose value cell is not a number is a header. Every row is checked before
anything is written; a wrong row is listed with its row number and what is wrong with it, and
then NOTHING is stored (422 `values_rows_invalid`, `problems`: one entry per wrong row, about
the input `file`). A file with no wrong row is written in one transaction: each (zone,
indicator) of the year takes the value given, replacing the one stored before.

What a row may be refused for (each problem's `code`): `zone_missing`, `zone_unknown` (no park of
that name or credit code), `zone_ambiguous` (two parks of that name: give the credit code),
`code_missing`, `code_unknown` (not an indicator of the system), `code_platform` (an indicator the
platform computes), `value_missing`, `value_invalid` (not a number), `value_too_precise` (more
than six decimals), `value_too_large` (|value| ≥ 10^18), `row_duplicate` (the zone and indicator
of an earlier row). A blank row is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ipfin.accounts.domain import UsccError, validate_uscc
from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, ValidationFailed
from ipfin.common.inputs import cell_text
from ipfin.common.tables import TableLimits, read_table
from ipfin.common.uploads import upload_sha256
from ipfin.zoneindex.models import (
    VALUE_DECIMALS,
    VALUE_DIGITS,
    IndicatorSource,
    IndicatorSystem,
    SystemState,
    ZoneValue,
)
from ipfin.zoneindex.services.common import locked_system, year_in

__all__ = ["MAX_PROBLEMS_LISTED", "VALUES_FILES", "ValuesUpload", "zone_values_upload"]

VALUES_FILES = TableLimits(2 * 1024 * 1024, 20_000, "指标数值表", "values workbook")
MAX_PROBLEMS_LISTED = 100
_VALUE_LIMIT = Decimal(10) ** (VALUE_DIGITS - VALUE_DECIMALS)


@dataclass(frozen=True)
class ValuesUpload:
    system_id: int
    year: int
    filename: str
    rows: int
    created: int
    updated: int


@dataclass(frozen=True)
class _Row:
    number: int  # the row's number in the sheet (1 = the first row)
    zone_id: int
    code: str
    value: Decimal


class _RowError(Exception):
    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code, self.zh, self.en = code, zh, en


def _number(cell: object) -> Decimal | None:
    """The cell as an exact number (a float by its shortest text), or None if it is none."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, Decimal | int):
        number = Decimal(cell)
    elif isinstance(cell, float):
        number = Decimal(repr(cell))
    elif isinstance(cell, str) and cell.strip():
        try:
            number = Decimal(cell.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def _value(cell: object) -> Decimal:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise _RowError("value_missing", "缺少数值", "the value is missing")
    number = _number(cell)
    if number is None:
        shown = cell_text(cell)[:40]
        raise _RowError(
            "value_invalid", f"数值“{shown}”不是数字", f"the value {shown!r} is no number"
        )
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -VALUE_DECIMALS:
        raise _RowError(
            "value_too_precise",
            f"数值最多 {VALUE_DECIMALS} 位小数",
            f"the value has more than {VALUE_DECIMALS} decimals",
        )
    if abs(number) >= _VALUE_LIMIT:
        raise _RowError("value_too_large", "数值过大", "the value is too large")
    return number


class _Zones:
    """The parks a workbook may name: by credit code, and by name (a name may be two parks')."""

    def __init__(self) -> None:
        self.by_uscc: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = {}
        parks = Organisation.objects.filter(kind=OrganisationKind.PARK).order_by("pk")
        for pk, name, uscc in parks.values_list("pk", "name", "uscc"):
            if uscc:
                self.by_uscc[uscc] = pk
            self.by_name.setdefault(name.strip(), []).append(pk)

    def find(self, cell: object) -> int:
        text = cell_text(cell)
        if not text:
            raise _RowError("zone_missing", "缺少示范区", "the zone is missing")
        try:
            uscc: str | None = validate_uscc(text)
        except UsccError:
            uscc = None
        if uscc is not None and uscc in self.by_uscc:
            return self.by_uscc[uscc]
        found = self.by_name.get(text, [])
        if len(found) > 1:
            raise _RowError(
                "zone_ambiguous",
                f"有多个名为“{text[:100]}”的园区，请填写统一社会信用代码",
                f"several parks are named {text[:100]!r}: give the credit code",
            )
        if not found:
            raise _RowError(
                "zone_unknown",
                f"没有名称或统一社会信用代码为“{text[:100]}”的园区",
                f"no park has the name or credit code {text[:100]!r}",
            )
        return found[0]


def _is_header(row: list[object]) -> bool:
    value = row[2] if len(row) > 2 else None
    return value is not None and _number(value) is None and isinstance(value, str)


def _check_rows(
    sheet: list[list[object]], system: IndicatorSystem
) -> tuple[list[_Row], list[dict[str, Any]]]:
    """The rows as values, and a problem for each wrong row (module docstring)."""
    kinds = dict(system.indicators.values_list("code", "source"))
    zones = _Zones()
    rows: list[_Row] = []
    problems: list[dict[str, Any]] = []
    seen: dict[tuple[int, str], int] = {}
    start = 1 if sheet and _is_header(sheet[0]) else 0
    for number, cells in enumerate(sheet[start:], start=start + 1):
        cells = [*cells[:3], *[None] * (3 - len(cells[:3]))]
        if all(cell_text(cell) == "" for cell in cells):
            continue
        try:
            zone_id = zones.find(cells[0])
            code = cell_text(cells[1])
            if not code:
                raise _RowError("code_missing", "缺少指标代码", "the indicator code is missing")
            if code not in kinds:
                raise _RowError(
                    "code_unknown",
                    f"指标代码“{code[:50]}”不是本指标体系的指标",
                    f"{code[:50]!r} is not an indicator of this system",
                )
            if kinds[code] != IndicatorSource.UPLOADED:
                raise _RowError(
                    "code_platform",
                    f"指标“{code}”由平台根据贷款数据计算，不能上传",
                    f"indicator {code!r} is computed by the platform from the loans, not uploaded",
                )
            value = _value(cells[2])
            earlier = seen.setdefault((zone_id, code), number)
            if earlier != number:
                raise _RowError(
                    "row_duplicate",
                    f"与第 {earlier} 行的示范区和指标相同",
                    f"the same zone and indicator as row {earlier}",
                )
        except _RowError as exc:
            problems.append(
                {
                    "row": number,
                    "field": "file",
                    "code": exc.code,
                    "message_zh": f"第 {number} 行：{exc.zh}。",
                    "message_en": f"Row {number}: {exc.en}.",
                }
            )
            continue
        rows.append(_Row(number, zone_id, code, value))
    return rows, problems


def _rows_refused(problems: list[dict[str, Any]]) -> ValidationFailed:
    listed = problems[:MAX_PROBLEMS_LISTED]
    if len(problems) > len(listed):
        more = len(problems) - len(listed)
        listed.append(
            {
                "row": None,
                "field": "file",
                "code": "more_rows_invalid",
                "message_zh": f"另有 {more} 行有误。",
                "message_en": f"{more} more rows are wrong.",
            }
        )
    return ValidationFailed(
        f"指标数值表有 {len(problems)} 行有误，未保存任何数值。",
        f"{len(problems)} rows of the values workbook are wrong: nothing was stored.",
        code="values_rows_invalid",
        extra={"field": "file", "rows_invalid": len(problems), "problems": listed},
    )


def zone_values_upload(
    *, actor: User, system: IndicatorSystem, year: Any, uploaded_file: UploadedFile[bytes]
) -> ValuesUpload:
    """Store the workbook's values of the system's uploaded indicators for `year` (module
    docstring): all rows or none. A retired version takes no values (409 `system_retired`); a
    workbook without a data row is a 422 `values_empty`."""
    require(actor, Perm.ZONE_INDEX_MANAGE)
    year = year_in(year)
    filename, sheet = read_table(uploaded_file, VALUES_FILES)
    digest = upload_sha256(uploaded_file)
    with transaction.atomic():
        locked = locked_system(system)
        if locked.state == SystemState.RETIRED:
            raise Conflict(
                "已停用的指标体系版本不能上传数值。",
                "A retired version of an indicator system takes no values.",
                code="system_retired",
            )
        rows, problems = _check_rows(sheet, locked)
        if problems:
            raise _rows_refused(problems)
        if not rows:
            raise ValidationFailed(
                "指标数值表没有数据行。",
                "The values workbook has no data rows.",
                code="values_empty",
                extra={"field": "file"},
            )
        stored = {
            (v.zone_id, v.code): v
            for v in ZoneValue.objects.select_for_update().filter(
                system=locked, year=year, code__in={row.code for row in rows}
            )
        }
        now = timezone.now()
        changed, created = [], []
        for row in rows:
            old = stored.get((row.zone_id, row.code))
            if old is None:
                created.append(
                    ZoneValue(
                        system=locked,
                        year=year,
                        zone_id=row.zone_id,
                        code=row.code,
                        value=row.value,
                        uploaded_at=now,
                        uploaded_by=actor,
                    )
                )
            else:
                old.value, old.uploaded_at, old.uploaded_by = row.value, now, actor
                changed.append(old)
        ZoneValue.objects.bulk_create(created, batch_size=1000)
        ZoneValue.objects.bulk_update(
            changed, ["value", "uploaded_at", "uploaded_by"], batch_size=1000
        )
        upload = ValuesUpload(locked.pk, year, filename, len(rows), len(created), len(changed))
        audit_record(
            actor=actor,
            action="index.values_upload",
            obj=locked,
            after={
                "year": year,
                "filename": filename,
                "sha256": digest,
                "rows": upload.rows,
                "created": upload.created,
                "updated": upload.updated,
            },
        )
    return upload
