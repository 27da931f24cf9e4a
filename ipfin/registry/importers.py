"""Bulk import of patent and trademark data into the register (`ipfin import_patents PATH`).

What a row means is decided by the pure `ipfin.registry.import_mapping` (formats, numbers, kinds,
dates, owners, the events a source supports; see its docstring). This module reads the files and
writes the register, set-based:

- a file is read and mapped entirely in Python first; bad rows are collected with their row number
  and reason and never stop the good ones;
- the good rows are written in batches (`batch_size`, default 2,000), each batch in one
  transaction. On PostgreSQL a batch's rows go by one COPY into a staging table and are merged
  into the register set-based, a few statements whatever its size (`_StagedFile`). Elsewhere
  (SQLite) one query finds which numbers the register holds already; new rights, their owners
  and events go in with one executemany per table (`_Table`: bulk_create's work without its
  per-value Python cost, see there), one query fetches the new rights' ids, and changed rights
  are written with `bulk_update`. Both give the same register, tested equal;
- re-running is idempotent: a right whose fields, owners and events already say what the row says
  is "unchanged" and nothing is written for it.

Merging into an existing right (the number is the key): the row's non-empty values replace the
register's, except that a row describing an earlier stage (no grant) never overwrites a granted
right — it only fills empty fields. Owners are added only to a right that has none (the holder
history of a registered right changes by recorded transfers, not by re-imports). Events are added
when the register lacks them (an annuity_paid event for the same patent year already recorded, by
any source, counts as present).

One audit record per imported file (action "registry.import") holds the counts.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Protocol, TextIO

from django.core.serializers.json import DjangoJSONEncoder
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    OperationalError,
    connections,
    models,
    transaction,
)
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.excel import safe_text
from ipfin.common.inputs import unstorable
from ipfin.registry.import_mapping import (
    EventRecord,
    Format,
    Problem,
    RightRecord,
    RowProblem,
    detect_format,
    equal_shares,
    map_rows,
    normalize_column,
)
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.registry.selectors import REGISTER_FLOOR

DEFAULT_BATCH_SIZE = 2000
# A batch's numbers go into one IN (...) look-up: stay well inside SQLite's 32,766 and
# PostgreSQL's 65,535 query parameters.
MAX_BATCH_SIZE = 10_000
CANDIDATE_SUFFIXES = frozenset({".csv", ".json"})
_ENCODINGS = ("utf-8-sig", "gb18030")  # CNIPR / CNKI desktop exports are often GBK
_CSV_FIELD_LIMIT = 16 * 1024 * 1024
_PROGRESS_STEP = 1000  # rows between progress updates while checking a file
_ATTEMPTS = 3  # a batch that loses a race with a concurrent import is re-run

# Fields a row may set on a Right; compared to decide "unchanged".
MERGED_FIELDS = (
    "kind",
    "title",
    "filing_date",
    "grant_date",
    "publication_no",
    "ipc_main",
    "ipc_codes",
    "inventors",
    "address",
    "region",
    "abstract",
    "mark_text",
    "nice_classes",
    "claims_count",
    "cited_by_count",
    "family_size",
    "backward_citations",
    "applicant_type",
    "applicant_count",
)
_MAX_LENGTH = {f.name: f.max_length for f in Right._meta.concrete_fields if f.max_length}
_OWNER_NAME_MAX: int = getattr(RightOwner._meta.get_field("name"), "max_length", None) or 300
_SOURCE_MAX: int = getattr(RightEvent._meta.get_field("source"), "max_length", None) or 100


class Progress(Protocol):
    """Progress of an import: per file, `start` the check (rows read), then the write (good rows);
    `advance` by rows done."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


class ImportPathError(ValueError):
    """The path does not exist, holds no file in a recognised format, or a CSV file is broken
    (files before it stay imported: a re-run after the fix is idempotent)."""


class ImportInterrupted(RuntimeError):
    """The database failed while a file was written (a lost connection, a full disk): the
    batches committed before stay, and `summary` says how far each file got. Running the same
    files again is safe: a row imported already is unchanged the second time."""

    def __init__(self, message: str, summary: ImportSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass
class FileResult:
    source: str  # "<folder>/<file>"
    path: Path
    format: Format
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    bad: list[RowProblem] = field(default_factory=list)
    # Rows loaded whose file names other owners than the register holds (OWNERS_DIFFER): the
    # register's are kept, the rows are reported to be looked into.
    owners_differ: list[RowProblem] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.created + self.updated + self.unchanged

    def counts(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": str(self.format),
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": dict(self.skipped),
            "bad": len(self.bad),
            "owners_differ": len(self.owners_differ),
        }


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)  # .csv / .json in no recognised format

    def _sum(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    @property
    def rows(self) -> int:
        return self._sum("rows")

    @property
    def created(self) -> int:
        return self._sum("created")

    @property
    def updated(self) -> int:
        return self._sum("updated")

    @property
    def unchanged(self) -> int:
        return self._sum("unchanged")

    @property
    def loaded(self) -> int:
        return self._sum("loaded")

    @property
    def skipped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.skipped)
        return total

    @property
    def bad(self) -> int:
        return sum(len(f.bad) for f in self.files)

    def bad_rows(self) -> Iterator[tuple[FileResult, RowProblem]]:
        for f in self.files:
            for problem in f.bad:
                yield f, problem

    @property
    def owners_differ(self) -> int:
        return sum(len(f.owners_differ) for f in self.files)

    def reported_rows(self) -> Iterator[tuple[FileResult, RowProblem]]:
        """The rows to look into: the bad rows, then those whose owners differ (loaded)."""
        yield from self.bad_rows()
        for f in self.files:
            for problem in f.owners_differ:
                yield f, problem

    def write_report(self, out: TextIO) -> int:
        """The rows to look into as CSV (file, row, number, code, reason in Chinese and English):
        the bad rows, and the loaded rows whose owners differ from the register's."""
        writer = csv.writer(out)
        writer.writerow(["file", "row", "number", "code", "reason_zh", "reason_en"])
        n = 0
        for f, problem in self.reported_rows():
            # The number and the messages quote the file's own text: inert in a spreadsheet.
            writer.writerow(
                [safe_text(v) for v in (f.source, problem.row, problem.number, problem.code.value,
                 problem.message_zh, problem.message_en)]
            )  # fmt: skip
            n += 1
        return n


# --- reading -------------------------------------------------------------------------------------


def discover(path: Path) -> list[Path]:
    """The candidate data files under `path` (itself if a file), in a stable order."""
    if not path.exists():
        raise ImportPathError(f"路径不存在：{path}")
    if path.is_file():
        return [path]
    return sorted(
        p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CANDIDATE_SUFFIXES
    )


def source_label(path: Path) -> str:
    """ "<folder>/<file>", as stored in Right.source."""
    return f"{path.parent.name}/{path.name}"[-_SOURCE_MAX:]


def _decode(data: bytes) -> str:
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def read_table(path: Path, text: str) -> tuple[Format | None, list[tuple[int, Mapping[str, Any]]]]:
    """(format, [(row number, row)]) of a CSV or JSON file, from its text (`_decode`); (None, [])
    if not recognised."""
    if path.suffix.lower() == ".json":
        return _read_json(text)
    # Claims and abstracts can exceed the csv module's default 128 KiB field limit.
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if reader.fieldnames:
            reader.fieldnames = [normalize_column(c) for c in reader.fieldnames]
        fmt = detect_format(reader.fieldnames or [])
        if fmt is None:
            return None, []
        # Row 1 is the header: record i (from 0) is spreadsheet row i + 2.
        return fmt, [(i + 2, row) for i, row in enumerate(reader)]
    except csv.Error as exc:
        raise ImportPathError(f"{path}：CSV 无法解析（第 {reader.line_num} 行：{exc}）") from exc


def _read_json(text: str) -> tuple[Format | None, list[tuple[int, Mapping[str, Any]]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None, []
    if isinstance(data, dict):  # an API response: the records under "Result" / "data"
        data = data.get("Result", data.get("data", data.get("results")))
    if not isinstance(data, list):
        return None, []
    keys: set[str] = set()
    for record in data[:50]:
        if isinstance(record, dict):
            keys.update(record)
    fmt = detect_format(keys)
    if fmt is None:
        return None, []
    return fmt, list(enumerate(data, start=1))


# --- validation against the schema ---------------------------------------------------------------


def _texts(value: Any) -> Iterator[str]:
    """Every string inside a record's value (event payloads are nested)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


# A JSON escape of a NUL or of a UTF-16 surrogate, high or low: what json.loads turns into text no
# database stores (a lone surrogate; a pair is an ordinary character, told apart row by row).
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")

# The record's fields that may hold text (str, or a tuple of str): the events apart.
_TEXT_FIELDS = tuple(
    f.name for f in dataclasses.fields(RightRecord) if "str" in str(f.type) and f.name != "events"
)


def _bad_character(record: RightRecord) -> RowProblem | None:
    """The row refused, not cut short or stored on one database and not the other: the same
    file loads the same rows on SQLite and PostgreSQL, and a bad row is in the report instead of
    failing the batch it falls in."""
    # One test over the row's text joined (a check per cell cost 20 µs a row: 2 s a 100,000).
    parts: list[str] = []
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        if isinstance(value, str):
            parts.append(value)
        elif value:
            parts.extend(_texts(value))
    for event in record.events:
        parts.append(event.source)
        parts.extend(_texts(event.payload))
    if unstorable("\x1f".join(parts)):
        return RowProblem(
            record.row,
            Problem.BAD_CHARACTER,
            "含有无法保存的字符（空字符或不成对的代理字符），请检查源文件是否损坏",
            "holds a character no database can store (NUL or a lone surrogate): is the file "
            "corrupted?",
            record.number,
        )
    return None


def _too_long(record: RightRecord) -> RowProblem | None:
    for name, limit in _MAX_LENGTH.items():
        value = getattr(record, name, None)
        if isinstance(value, str) and len(value) > limit:
            return RowProblem(
                record.row,
                Problem.FIELD_TOO_LONG,
                f"字段 {name} 超过 {limit} 个字符",
                f"field {name} is longer than {limit} characters",
                record.number,
            )
    for owner in record.owners:
        if len(owner) > _OWNER_NAME_MAX:
            return RowProblem(
                record.row,
                Problem.FIELD_TOO_LONG,
                f"权利人名称超过 {_OWNER_NAME_MAX} 个字符",
                f"an owner's name is longer than {_OWNER_NAME_MAX} characters",
                record.number,
            )
    return None


# At most this many owners (and applicants) on one right: the register stores the applicants'
# count as a small integer (at most 32,767), and a row past it stopped a PostgreSQL import's
# whole batch while SQLite loaded it. Shares to 10⁻⁶ put the sane bound far below.
MAX_OWNERS = 1_000


def _too_many_owners(record: RightRecord) -> RowProblem | None:
    count = max(len(record.owners), len(record.applicants or ()))
    if count <= MAX_OWNERS:
        return None
    return RowProblem(
        record.row,
        Problem.TOO_MANY_OWNERS,
        f"权利人或申请人有 {count} 个，超过 {MAX_OWNERS} 个",
        f"{count} owners or applicants, more than {MAX_OWNERS}",
        record.number,
    )


def _date_out_of_range(record: RightRecord, today: date) -> RowProblem | None:
    """A date after `today` or before REGISTER_FLOOR (the register's own services refuse both,
    `check_fact_date`): a filing or grant next year was loaded as a fact, with its grant-year
    annuity paid on that future day."""
    dates = [("申请日", "filing date", record.filing_date)]
    if record.grant_date is not None:
        dates.append(("授权日", "grant date", record.grant_date))
    dates += [("事件日期", "event date", event.date) for event in record.events]
    for zh, en, day in dates:
        if day > today or day < REGISTER_FLOOR:
            return RowProblem(
                record.row,
                Problem.DATE_OUT_OF_RANGE,
                f"{zh} {day} 晚于今天（{today}）或早于 {REGISTER_FLOOR.year} 年",
                f"{en} {day} is after today ({today}) or before {REGISTER_FLOOR.year}",
                record.number,
            )
    return None


def parse_file(
    path: Path, progress: Progress | None = None
) -> tuple[FileResult | None, list[RightRecord]]:
    """Read and map one file: (its result with bad and skipped rows counted, the good records)."""
    text = _decode(path.read_bytes())
    fmt, rows = read_table(path, text)
    # Rows are checked for text no database stores only in a file that may hold some: a NUL
    # (CSV, JSON), or a JSON escape of a NUL or of a surrogate (a pair, as an emoji's, passes the
    # row check): the row check costs 8 µs a row, this one a scan of the file.
    unsure = "\x00" in text or (
        path.suffix.lower() == ".json" and _UNSTORABLE_ESCAPE.search(text) is not None
    )
    if fmt is None:
        return None, []
    source = source_label(path)
    result = FileResult(source=source, path=path, format=fmt, rows=len(rows))
    if progress is not None:
        progress.start(f"{source} 校验", len(rows))
    records: list[RightRecord] = []

    today = timezone.localdate()

    def refuse(record: RightRecord) -> RowProblem | None:
        return (
            (_bad_character(record) if unsure else None)
            or _too_long(record)
            or _too_many_owners(record)
            or _date_out_of_range(record, today)
        )

    mapped = map_rows(fmt, rows, source=source, today=today, refuse=refuse)
    for i, outcome in enumerate(mapped, start=1):
        if progress is not None and i % _PROGRESS_STEP == 0:
            progress.advance(_PROGRESS_STEP)
        if isinstance(outcome, RightRecord):
            records.append(outcome)
            continue
        if outcome.skipped:
            result.skipped[outcome.code.value] += 1
        else:
            result.bad.append(outcome)
    if progress is not None:
        progress.advance(len(rows) % _PROGRESS_STEP)
    return result, records


# --- writing -------------------------------------------------------------------------------------


def right_from_record(record: RightRecord, source: str) -> Right:
    """An unsaved Right for a record (what the benchmark's bare bulk_create baseline inserts)."""
    return Right(source=source, **_right_values(record))


def _right_values(record: RightRecord) -> dict[str, Any]:
    applicant_type, applicant_count = record.applicant_facts()
    return {
        "number": record.number,
        "kind": record.kind.value,
        "title": record.title,
        "filing_date": record.filing_date,
        "grant_date": record.grant_date,
        "publication_no": record.publication_no,
        "ipc_main": record.ipc_main,
        "ipc_codes": record.ipc_codes,
        "inventors": record.inventors,
        "address": record.address,
        "region": record.region,
        "abstract": record.abstract,
        "mark_text": record.mark_text,
        "nice_classes": list(record.nice_classes),
        "claims_count": record.claims_count,
        "cited_by_count": record.cited_by_count,
        "family_size": record.family_size,
        "backward_citations": record.backward_citations,
        "applicant_type": applicant_type,
        "applicant_count": applicant_count,
    }


class _Table:
    """Batch INSERT of plain rows (attname → value) into one model's table: one executemany, on
    PostgreSQL one COPY.

    Why not bulk_create: on rows this wide, Django's bulk_create prepares every value through the
    field API one by one and spends most of the import's time there (measured on SQLite: 100,000
    rights alone took 11-13 s, against a budget of well under a minute for the whole import, which
    also writes owners and events). Here each column's conversion is chosen once (strings and
    integers go to the driver as they are; dates, decimals and JSON through the backend's own
    adapt_* functions, anything else through the field's get_db_prep_save), missing values take the
    model's defaults, auto_now / auto_now_add the time of the write. Same rows, same transaction;
    bulk_create sends no model signals either, so nothing is bypassed.
    """

    _PASS_THROUGH = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)

    def __init__(self, model: type[models.Model]) -> None:
        # The connection itself, not the `django.db.connection` proxy: that one costs a
        # context-local look-up per attribute, per value.
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = quote(model._meta.db_table)
        # Names from the model, quoted by the backend; the values go as parameters (or, on
        # PostgreSQL, as COPY rows the driver adapts as it would the parameters).
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"

    def _converter(self, f: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        ops = self.connection.ops
        if isinstance(f, self._PASS_THROUGH):
            return None
        if type(f) is models.DateField:
            return ops.adapt_datefield_value
        if isinstance(f, models.DecimalField):
            return partial(
                ops.adapt_decimalfield_value,
                max_digits=f.max_digits,
                decimal_places=f.decimal_places,
            )
        if isinstance(f, models.JSONField):
            return partial(ops.adapt_json_value, encoder=f.encoder)
        return partial(f.get_db_prep_save, connection=self.connection)

    def defaults(self, now: Any) -> dict[str, Any]:
        """Each column's value where a row says nothing: auto_now / auto_now_add `now`, else the
        model's default, else NULL; prepared for the database."""
        values: dict[str, Any] = {}
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                values[f.attname] = f.get_db_prep_save(now, self.connection)
            elif f.has_default():
                values[f.attname] = f.get_db_prep_save(f.get_default(), self.connection)
            else:
                values[f.attname] = None
        return values

    def insert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        defaults = self.defaults(timezone.now())
        plans = [(f.attname, defaults[f.attname], self._converter(f)) for f in self.fields]
        # Column by column, then zipped into rows: one comprehension per column instead of a
        # generator per row (a tenth of the import's Python time went to those generators).
        columns: list[list[Any]] = []
        for attname, default, convert in plans:
            if convert is None:
                columns.append([row.get(attname, default) for row in rows])
                continue
            columns.append(
                [
                    default
                    if (value := row.get(attname, _MISSING)) is _MISSING
                    else (None if value is None else convert(value))
                    for row in rows
                ]
            )
        params = list(zip(*columns, strict=True))
        with self.connection.cursor() as cursor:
            if self.connection.vendor != "postgresql":
                cursor.executemany(self.sql, params)
                return
            # One COPY: an INSERT per row costs a round trip each (measured: 100,000 rights with
            # their owners and events took 23 s of INSERTs on PostgreSQL).
            # Through Django's error wrapper, as executemany is: a number another import has
            # just inserted raises IntegrityError, which write_records retries on.
            with self.connection.wrap_database_errors, cursor.cursor.copy(self.copy_sql) as copy:
                for row in params:
                    copy.write_row(row)


_MISSING = object()


def _owner_rows(right_id: int, record: RightRecord) -> list[dict[str, Any]]:
    shares = equal_shares(len(record.owners))
    return [
        {"right_id": right_id, "name": name, "uscc": "", "share": share,
         "valid_from": record.owners_from}
        for name, share in zip(record.owners, shares, strict=True)
    ]  # fmt: skip


def _event_row(right_id: int, event: EventRecord) -> dict[str, Any]:
    return {
        "right_id": right_id,
        "type": event.type.value,
        "date": event.date,
        "payload": dict(event.payload),
        "source": event.source[:_SOURCE_MAX],
    }


def _event_key(type_: str, day: Any, payload: Mapping[str, Any]) -> tuple[Any, ...]:
    # An annuity year is paid once, whoever recorded it and on whichever day.
    if type_ == "annuity_paid":
        return (type_, _as_stored(payload.get("year")))
    return (type_, day)


def _as_stored(value: Any) -> Any:
    """A payload value as the register stores and compares it (JSON, as `_StagedFile`'s merge
    compares it): a Decimal 2 is the text "2", not the number 2; true is not 1."""
    stored = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    if isinstance(stored, bool | list | dict):
        return (type(stored).__name__, json.dumps(stored, sort_keys=True))
    return stored


_EMPTY: tuple[Any, ...] = ("", None, [])


def _merge(current: dict[str, Any], record: RightRecord) -> list[str]:
    """Apply the record to an existing right's values in place; the names of changed fields."""
    fill_only = current["grant_date"] is not None and record.grant_date is None
    changed: list[str] = []
    for name, value in _right_values(record).items():
        if name == "number" or value in _EMPTY:
            continue  # a source that does not say something never erases it
        if current[name] == value or (fill_only and current[name] not in _EMPTY):
            continue
        current[name] = value
        changed.append(name)
    return changed


def _grant_before_filing(record: RightRecord) -> RowProblem:
    """A row whose merge into the register's right would grant it before its filing."""
    return RowProblem(
        record.row,
        Problem.GRANT_BEFORE_FILING,
        "与登记簿冲突：合并后授权日早于申请日",
        "conflicts with the register: the grant date would precede the filing",
        record.number,
    )


@dataclass
class _BatchCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[RowProblem] = field(default_factory=list)
    owners_differ: list[RowProblem] = field(default_factory=list)


def _tables() -> tuple[_Table, _Table, _Table]:
    # Built per batch: the SQL quoting depends on the connection (SQLite or PostgreSQL).
    return _Table(Right), _Table(RightOwner), _Table(RightEvent)


def _write_batch(batch: Sequence[RightRecord], source: str) -> _BatchCounts:
    counts = _BatchCounts()
    rights, owners_table, events_table = _tables()
    numbers = [rec.number for rec in batch]
    # Locked until the batch commits, in id order as every writer of several rights locks them
    # (a pledge's rights, another import: no deadlock between them): an edit committed between
    # this read and the write below would otherwise be overwritten with the values read here
    # (the update writes every changed column of the batch to each row). An edit sent meanwhile
    # waits, then finds the version moved on and is refused as stale.
    existing = {
        values["number"]: values
        for values in Right.objects.select_for_update()
        .filter(number__any_of=numbers)
        .order_by("pk")
        .values("id", *MERGED_FIELDS, "number")
    }
    new = [rec for rec in batch if rec.number not in existing]
    owners: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    if new:
        rights.insert([{**_right_values(rec), "source": source} for rec in new])
        ids = dict(
            Right.objects.filter(number__any_of=[rec.number for rec in new]).values_list(
                "number", "id"
            )
        )
        for rec in new:
            right_id = ids[rec.number]
            owners.extend(_owner_rows(right_id, rec))
            events.extend(_event_row(right_id, e) for e in rec.events)
        counts.created = len(new)

    old = [rec for rec in batch if rec.number in existing]
    if old:
        ids_old = [existing[rec.number]["id"] for rec in old]
        with_owners = set(
            RightOwner.objects.filter(right_id__any_of=ids_old).values_list("right_id", flat=True)
        )
        holders: dict[int, set[str]] = {}
        for right_id, name in RightOwner.objects.filter(
            right_id__any_of=ids_old, valid_to__isnull=True
        ).values_list("right_id", "name"):
            holders.setdefault(right_id, set()).add(name)
        have_events: dict[int, set[tuple[Any, ...]]] = {}
        for right_id, type_, day, payload in RightEvent.objects.filter(
            right_id__any_of=ids_old
        ).values_list("right_id", "type", "date", "payload"):
            have_events.setdefault(right_id, set()).add(_event_key(type_, day, payload or {}))
        to_update: list[Right] = []
        fields: set[str] = set()
        now = timezone.now()
        for rec in old:
            current = dict(existing[rec.number])
            changed = _merge(current, rec)
            if current["grant_date"] is not None and current["grant_date"] < current["filing_date"]:
                counts.conflicts.append(_grant_before_filing(rec))
                continue
            right_id = current["id"]
            missing_owners = _owner_rows(right_id, rec) if right_id not in with_owners else []
            register_owners = holders.get(right_id, set())
            if (
                rec.owners_current
                and right_id in with_owners
                and {_plain(n) for n in rec.owners} != {_plain(n) for n in register_owners}
            ):
                counts.owners_differ.append(_owners_differ(rec, register_owners))
            present = have_events.get(right_id, set())
            missing_events = [
                _event_row(right_id, e)
                for e in rec.events
                if _event_key(e.type.value, e.date, e.payload) not in present
            ]
            if changed:
                # A changed right is a new version of it (ipfin.common.versioning): an edit
                # made from the version before the import is refused as stale.
                to_update.append(Right(**current, updated_at=now, version=models.F("version") + 1))
                fields.update(changed)
            if changed or missing_owners or missing_events:
                counts.updated += 1
            else:
                counts.unchanged += 1
            owners.extend(missing_owners)
            events.extend(missing_events)
        if to_update:
            Right.objects.bulk_update(
                to_update, sorted(fields | {"updated_at", "version"}), batch_size=len(to_update)
            )
    owners_table.insert(owners)
    events_table.insert(events)
    return counts


def _array(items: Iterable[str]) -> str:
    """A PostgreSQL array literal of these texts, each element quoted (a backslash or a double
    quote in it escaped): what psycopg's list dumper sends, built here because the dumper's cost
    per value made the stage's COPY the slowest part of a re-import (measured, 100,000 records:
    the COPY took 7.8-8.3 s with lists, 3.7-3.9 s with these literals)."""
    parts = [
        item.replace("\\", "\\\\").replace('"', '\\"') if "\\" in item or '"' in item else item
        for item in items
    ]
    return '{"' + '","'.join(parts) + '"}' if parts else "{}"


def _plain_array(items: Iterable[str]) -> str:
    """An array literal of texts that need no quoting (event types, ISO dates)."""
    return "{" + ",".join(items) + "}"


class _StagedFile:
    """A file's good records written to the register on PostgreSQL through a staging table and a
    set-based merge: each batch's records go by one COPY into a temporary table (one row each,
    its owners and events as arrays; no WAL, no index but the row order), then are merged by a
    few statements, whatever the batch's size — the same outcome, row for row, as
    `_write_batch` (tested equal on random registers and files), which SQLite keeps.

    Per batch, in one transaction: stage its records; lock the register's rights the batch names
    (in id order, as every writer of several rights does); compute each one's merged values
    into a target table (`_merge`'s rules as one CASE per column); update the changed ones (a
    new version); report grants before filings and, for sources naming the current holders,
    other owners than the register's (the names compared as `_plain` has them, in Python, over
    the few rows whose names differ as stored); insert the new rights; add the owners of rights
    that have none and the events the register lacks (an annuity year by its year, anything
    else by its type and day), counting the rights updated and unchanged in the same statement.
    """

    STAGE = "ipfin_import_stage"
    TARGET = "ipfin_import_target"

    def __init__(self, records: Sequence[RightRecord], source: str) -> None:
        self.records = records
        self.source = source
        self.connection = connections[DEFAULT_DB_ALIAS]
        self.rights, self.owners, self.events = _tables()
        self.q = self.connection.ops.quote_name
        by_name = {f.name: f for f in Right._meta.concrete_fields}
        self.merged = [by_name[name] for name in MERGED_FIELDS]

    # --- the stage ------------------------------------------------------------------------------

    def _type(self, model: type[models.Model], name: str) -> str:
        return str(model._meta.get_field(name).db_type(self.connection))

    def __enter__(self) -> _StagedFile:
        q = self.q
        merged = ", ".join(f"{q(str(f.column))} {f.db_type(self.connection)}" for f in self.merged)
        # In a transaction of its own (or a savepoint of the caller's): a failure leaves nothing.
        with transaction.atomic(), self.connection.cursor() as cursor:
            self._drop(cursor)
            # One row per record, its owners and events as arrays (unnested by the merge): a
            # third of the rows to send, which is most of the stage's cost.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.STAGE} (seq integer PRIMARY KEY, "
                f"number {self._type(Right, 'number')}, {merged}, owners_current boolean, "
                f"owner_names {self._type(RightOwner, 'name')}[], "
                f"owner_shares {self._type(RightOwner, 'share')}[], owners_from date, "
                f"event_types {self._type(RightEvent, 'type')}[], event_dates date[], "
                f"event_payloads jsonb[], event_sources {self._type(RightEvent, 'source')}[])"
            )
            # The new rights' ids are matched to their records by number, one look-up each
            # (LATERAL ... OFFSET 0): emptied for each batch, the stage has no statistics, and the
            # planner, taking it for a handful of rows, had joined it by comparing every pair
            # (measured: 0.55 s a batch of 2,000, not 0.08 s).
            cursor.execute(f"CREATE INDEX ON {self.STAGE} (number)")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.TARGET} (seq integer PRIMARY KEY, "
                "right_id bigint NOT NULL, is_new boolean NOT NULL, changed boolean NOT NULL, "
                "conflict boolean NOT NULL, owners_current boolean NOT NULL, "
                f"has_owners boolean NOT NULL, {merged})"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(DatabaseError), self.connection.cursor() as cursor:
            self._drop(cursor)

    def _drop(self, cursor: Any) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {self.STAGE}, {self.TARGET}")

    def _rows(self, lo: int, hi: int) -> list[list[Any]]:
        """The stage's rows for records [lo, hi)."""
        names = [f.attname for f in self.merged]
        # JSON as text, which the server parses as it stores it: the same document the backend's
        # adapter sends (json.dumps with the field's encoder), without a wrapper per value.
        payload_encoder = RightEvent._meta.get_field("payload").encoder
        json_columns = {f.attname for f in self.merged if isinstance(f, models.JSONField)}
        rows = []
        for seq in range(lo, hi):
            rec = self.records[seq]
            values = _right_values(rec)
            row: list[Any] = [seq, rec.number]
            for name in names:
                value = values[name]
                if name in json_columns:
                    value = json.dumps(value) if value else "[]"
                row.append(value)
            row.append(rec.owners_current)
            row.append(_array(rec.owners))
            row.append(_array(str(share) for share in equal_shares(len(rec.owners))))
            row.append(rec.owners_from)
            events = rec.events
            row.append(_plain_array(e.type.value for e in events))
            row.append(_plain_array(e.date.isoformat() for e in events))
            row.append(_array(json.dumps(dict(e.payload), cls=payload_encoder) for e in events))
            row.append(_array(e.source[:_SOURCE_MAX] for e in events))
            rows.append(row)
        return rows

    def _copy(self, cursor: Any, lo: int, hi: int) -> None:
        with (
            self.connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {self.STAGE} FROM STDIN") as stage,
        ):
            for row in self._rows(lo, hi):
                stage.write_row(row)

    # --- one batch ------------------------------------------------------------------------------

    def _empty(self, alias: str, f: models.Field[Any, Any]) -> str:
        """SQL for `_merge`'s "says nothing" (a value in _EMPTY: "", None, [])."""
        column = f"{alias}.{self.q(str(f.column))}"
        if isinstance(f, models.JSONField):
            return f"({column} IS NULL OR {column} IN ('[]'::jsonb, '\"\"'::jsonb, 'null'::jsonb))"
        if isinstance(f, models.CharField | models.TextField):
            return f"({column} IS NULL OR {column} = '')"
        return f"({column} IS NULL)"

    @cached_property
    def _target_sql(self) -> str:
        """The statement filling the target with the locked rights' merged values (the same for
        every batch: built once)."""
        # The register's rights are looked up one by one through the unique number (a LATERAL
        # subquery kept apart by OFFSET 0), whatever the statistics say: with a register just
        # loaded and not yet analysed the planner chose a hash join over a scan of the whole
        # register, once per batch.
        q = self.q
        fill_only = "(r.grant_date IS NOT NULL AND s.grant_date IS NULL)"
        names = [q(str(f.column)) for f in self.merged]
        merged = ", ".join(
            f"CASE WHEN {self._empty('s', f)} OR ({fill_only} AND NOT {self._empty('r', f)}) "
            f"THEN r.{name} ELSE s.{name} END AS {name}, r.{name} AS {q('was_' + str(f.column))}"
            for f, name in zip(self.merged, names, strict=True)
        )
        changed = " OR ".join(
            f"m.{name} IS DISTINCT FROM m.{q('was_' + str(f.column))}"
            for f, name in zip(self.merged, names, strict=True)
        )
        columns = ", ".join(names)
        return (
            f"INSERT INTO {self.TARGET} (seq, right_id, is_new, changed, conflict, "  # noqa: S608 - this class's SQL; values are parameters
            f"owners_current, has_owners, {columns}) "
            f"SELECT m.seq, m.right_id, false, {changed}, "
            "COALESCE(m.grant_date < m.filing_date, false), m.owners_current, m.has_owners, "
            + ", ".join(f"m.{name}" for name in names)
            + f" FROM (SELECT s.seq, r.id AS right_id, s.owners_current, "  # noqa: S608 - this class's SQL
            f"h.one IS NOT NULL AS has_owners, {merged} FROM {self.STAGE} s "
            "JOIN LATERAL (SELECT * FROM registry_right x WHERE x.number = s.number OFFSET 0) r "
            "ON true LEFT JOIN LATERAL (SELECT 1 AS one FROM registry_rightowner x "
            "WHERE x.right_id = r.id LIMIT 1) h ON true "
            "WHERE s.seq >= %s AND s.seq < %s AND r.id = ANY(%s)) m"
        )

    @cached_property
    def _update_sql(self) -> str:
        """The statement writing the changed rights' merged values (built once)."""
        q = self.q
        assignments = ", ".join(f"{q(str(f.column))} = t.{q(str(f.column))}" for f in self.merged)
        return (
            f"UPDATE registry_right r SET {assignments}, updated_at = %s, "  # noqa: S608 - this class's SQL; values are parameters
            f"version = r.version + 1 FROM {self.TARGET} t "
            "WHERE r.id = t.right_id AND t.changed AND NOT t.conflict"
        )

    def _insert_sql(
        self, table: _Table, given: Mapping[str, str], now: Any, **values: Any
    ) -> tuple[str, str, list[Any]]:
        """(the column list, the SELECT list, its parameters) for an INSERT ... SELECT into
        `table`'s model: `given` maps attnames to SQL expressions, `values` to values; every
        other column takes `_Table.defaults`, as the Python path's rows do."""
        defaults = table.defaults(now) | values
        columns, selects, params = [], [], []
        for f in table.fields:
            columns.append(self.q(str(f.column)))
            if f.attname in given:
                selects.append(given[f.attname])
            else:
                selects.append("%s")
                params.append(defaults[f.attname])
        return ", ".join(columns), ", ".join(selects), params

    def write_batch(self, lo: int, hi: int) -> _BatchCounts:
        counts = _BatchCounts()
        now = timezone.now()
        with self.connection.cursor() as cursor:
            # The batch's records, staged in its own transaction: a record the database refuses
            # fails this batch alone, those before it stay written (as `_write_batch`'s do).
            # Emptied here, not by ON COMMIT: a batch may run inside a caller's transaction.
            # TRUNCATE, not DELETE: nothing vacuums a temporary table, and the dead rows of the
            # batches before made each scan of it slower (10 ms a batch by the fiftieth).
            cursor.execute(f"TRUNCATE {self.STAGE}, {self.TARGET}")
            self._copy(cursor, lo, hi)
            # These statements' estimates pass jit_above_cost, and compiling them took 60-110
            # ms each, a batch's whole work several times over (measured, 2,000 rows a batch).
            # Set for the batch only: the caller's transaction gets its own setting back.
            cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
            jit = cursor.fetchone()[0]
            # The rights the batch names, looked up by number, then locked in id order (as
            # every writer of several rights locks them: no deadlock between them); only these
            # are merged: a right another import adds meanwhile, unlocked, is taken for new, and
            # its insert fails on the unique number, so that the batch runs again.
            cursor.execute(
                "SELECT r.id FROM registry_right r WHERE r.id = ANY(ARRAY(SELECT l.id FROM "  # noqa: S608 - this class's SQL; values are parameters
                f"{self.STAGE} s JOIN LATERAL (SELECT x.id FROM registry_right x "
                "WHERE x.number = s.number OFFSET 0) l ON true "
                "WHERE s.seq >= %s AND s.seq < %s)) ORDER BY r.id FOR UPDATE OF r",
                [lo, hi],
            )
            locked = [right_id for (right_id,) in cursor.fetchall()]
            cursor.execute(self._target_sql, [lo, hi, locked])
            cursor.execute(f"SELECT seq FROM {self.TARGET} WHERE conflict ORDER BY seq")  # noqa: S608 - this class's SQL
            for (seq,) in cursor.fetchall():
                counts.conflicts.append(_grant_before_filing(self.records[seq]))
            cursor.execute(self._update_sql, [now])
            self._owners_differ(cursor, counts)
            counts.created = self._insert_new(cursor, lo, hi, now)
            counts.updated, counts.unchanged = self._add_owners_and_events(cursor, lo, hi, now)
            cursor.execute("SELECT set_config('jit', %s, true)", [jit])
        return counts

    def _insert_new(self, cursor: Any, lo: int, hi: int, now: Any) -> int:
        """Insert the rights of the batch the register lacks, into the target too; how many."""
        q = self.q
        columns, selects, params = self._insert_sql(
            self.rights,
            {"number": "s.number"} | {f.attname: f"s.{q(str(f.column))}" for f in self.merged},
            now,
            source=self.source,
        )
        cursor.execute(
            f"WITH ins AS (INSERT INTO registry_right ({columns}) "  # noqa: S608 - this class's SQL; values are parameters
            f"SELECT {selects} FROM {self.STAGE} s "
            "WHERE s.seq >= %s AND s.seq < %s AND NOT EXISTS "
            f"(SELECT 1 FROM {self.TARGET} t WHERE t.seq = s.seq) ORDER BY s.seq "
            f"RETURNING id, number) INSERT INTO {self.TARGET} "
            "(seq, right_id, is_new, changed, conflict, owners_current, has_owners) "
            "SELECT m.seq, ins.id, true, false, false, m.owners_current, false FROM ins "
            f"JOIN LATERAL (SELECT s.seq, s.owners_current FROM {self.STAGE} s "
            "WHERE s.number = ins.number OFFSET 0) m ON true",
            [*params, lo, hi],
        )
        return int(cursor.rowcount)

    def _add_owners_and_events(self, cursor: Any, lo: int, hi: int, now: Any) -> tuple[int, int]:
        """Add the owners of the batch's rights that have none, and the events the register
        lacks; (the rights already there that changed or gained some, those that did not)."""
        o_columns, o_selects, o_params = self._insert_sql(
            self.owners,
            {"right_id": "t.right_id", "name": "o.name", "uscc": "''",
             "share": "o.share", "valid_from": "s.owners_from"},
            now,
        )  # fmt: skip
        e_columns, e_selects, e_params = self._insert_sql(
            self.events,
            {"right_id": "t.right_id", "type": "e.type", "date": "e.date",
             "payload": "e.payload", "source": "e.source"},
            now,
        )  # fmt: skip
        # An event is present when the right has one of its key (`_event_key`): an annuity by
        # its year, anything else by its type and day; looked up through the right's index.
        cursor.execute(
            f"WITH o AS (INSERT INTO registry_rightowner ({o_columns}) SELECT {o_selects} "  # noqa: S608 - this class's SQL; values are parameters
            f"FROM {self.STAGE} s JOIN {self.TARGET} t ON t.seq = s.seq CROSS JOIN LATERAL "
            "unnest(s.owner_names, s.owner_shares) WITH ORDINALITY AS o(name, share, ord) "
            "WHERE s.seq >= %s AND s.seq < %s AND NOT t.conflict AND NOT t.has_owners "
            "ORDER BY s.seq, o.ord RETURNING right_id), "
            f"e AS (INSERT INTO registry_rightevent ({e_columns}) SELECT {e_selects} "
            f"FROM {self.STAGE} s JOIN {self.TARGET} t ON t.seq = s.seq CROSS JOIN LATERAL "
            "unnest(s.event_types, s.event_dates, s.event_payloads, s.event_sources) "
            "WITH ORDINALITY AS e(type, date, payload, source, ord) "
            "LEFT JOIN LATERAL (SELECT 1 AS one FROM registry_rightevent x "
            "WHERE x.right_id = t.right_id AND x.type = e.type AND CASE WHEN "
            "e.type = 'annuity_paid' THEN COALESCE(x.payload -> 'year', 'null'::jsonb) = "
            "COALESCE(e.payload -> 'year', 'null'::jsonb) ELSE x.date IS NOT DISTINCT FROM "
            "e.date END LIMIT 1) h ON true "
            "WHERE s.seq >= %s AND s.seq < %s AND NOT t.conflict AND h.one IS NULL "
            "ORDER BY s.seq, e.ord RETURNING right_id), "
            "touched AS (SELECT right_id FROM o UNION SELECT right_id FROM e) "
            "SELECT t.changed OR t.right_id IN (SELECT right_id FROM touched), count(*) "
            f"FROM {self.TARGET} t WHERE NOT t.is_new AND NOT t.conflict GROUP BY 1",
            [*o_params, lo, hi, *e_params, lo, hi],
        )
        counted = dict(cursor.fetchall())
        return counted.get(True, 0), counted.get(False, 0)

    def _owners_differ(self, cursor: Any, counts: _BatchCounts) -> None:
        # The rows whose current owners differ as stored from the file's names; of those, the
        # ones that still differ as `_plain` compares names are reported.
        cursor.execute(
            "SELECT t.seq, c.names FROM "  # noqa: S608 - this class's SQL
            f"{self.TARGET} t CROSS JOIN LATERAL (SELECT array_agg(DISTINCT x.name) FILTER "
            "(WHERE x.valid_to IS NULL) AS names FROM registry_rightowner x "
            "WHERE x.right_id = t.right_id) c "
            "WHERE NOT t.is_new AND NOT t.conflict AND t.owners_current AND t.has_owners "
            "AND c.names IS DISTINCT FROM (SELECT array_agg(DISTINCT o.name) "
            f"FROM {self.STAGE} s, unnest(s.owner_names) AS o(name) WHERE s.seq = t.seq) "
            "ORDER BY t.seq"
        )
        for seq, names in cursor.fetchall():
            rec, register = self.records[seq], set(names or ())
            if {_plain(n) for n in rec.owners} != {_plain(n) for n in register}:
                counts.owners_differ.append(_owners_differ(rec, register))


def _plain(name: str) -> str:
    """A name in its compatibility form (NFKC: full-width brackets and letters as half-width ones)
    without its spaces: the same holder however typed, "（深圳）" or "(深圳)"."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def _owners_differ(record: RightRecord, register: set[str]) -> RowProblem:
    """A file naming other owners than the register's current ones. The register keeps its own:
    a transfer takes effect when it is registered with the office (专利法 art. 10 ¶3; 商标法
    art. 42 ¶4), and a pledged right's transfer needs the pledgee's consent (民法典 art. 444
    ¶2), so an import never moves a right. The row is reported, to record the transfer or to
    correct the file."""
    theirs, ours = "；".join(record.owners), "；".join(sorted(register)) or "—"
    return RowProblem(
        record.row,
        Problem.OWNERS_DIFFER,
        f"文件中的权利人（{theirs}）与登记簿（{ours}）不同，登记簿未改：权利转移以登记为准",
        f"the file names other owners ({theirs}) than the register ({ours}); the register is "
        "unchanged: a transfer takes effect when registered",
        record.number,
    )


def _rolled_back_by_the_server(exc: OperationalError) -> bool:
    """A deadlock's victim or a serialisation failure (SQLSTATE class 40, PostgreSQL): nothing of
    the transaction stays, and the same work run again succeeds."""
    return str(getattr(exc.__cause__, "sqlstate", "") or "").startswith("40")


def write_records(
    result: FileResult,
    records: Sequence[RightRecord],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
    set_based: bool = True,
) -> None:
    """Write a file's good records in batches, each batch one transaction; counts into `result`.
    On PostgreSQL through a staging table (`_StagedFile`), elsewhere (or with `set_based`
    False, which the tests compare it with) row by row in Python (`_write_batch`)."""
    batch_size = max(1, min(batch_size, MAX_BATCH_SIZE))
    with contextlib.ExitStack() as stack:
        staged = None
        if set_based and records and connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
            staged = stack.enter_context(_StagedFile(records, result.source))
        _write_in_batches(result, records, batch_size, on_batch, staged)
    result.bad.sort(key=lambda p: p.row)


def _write_in_batches(
    result: FileResult,
    records: Sequence[RightRecord],
    batch_size: int,
    on_batch: Callable[[int], None] | None,
    staged: _StagedFile | None,
) -> None:
    for lo in range(0, len(records), batch_size):
        batch = records[lo : lo + batch_size]
        for attempt in range(_ATTEMPTS):
            try:
                with transaction.atomic():
                    if staged is not None:
                        counts = staged.write_batch(lo, lo + len(batch))
                    else:
                        counts = _write_batch(batch, result.source)
                break
            except IntegrityError:
                # Another import inserted one of these numbers since our look-up: look again.
                if attempt == _ATTEMPTS - 1:
                    raise
            except OperationalError as exc:
                # Chosen as a deadlock's victim (or a serialisation failure) against another
                # writer of the same rights: the batch rolled back whole, and is written again.
                if not _rolled_back_by_the_server(exc) or attempt == _ATTEMPTS - 1:
                    raise
        result.created += counts.created
        result.updated += counts.updated
        result.unchanged += counts.unchanged
        result.bad.extend(counts.conflicts)
        result.owners_differ.extend(counts.owners_differ)
        if on_batch is not None:
            on_batch(len(batch))


def rights_import(
    *,
    actor: User | None,
    paths: Iterable[Path | str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import every recognised file under `paths` into the register; see the module docstring.

    `actor` is the user running the import, who needs Perm.REGISTRY_WRITE; None is the system
    (the console command: whoever runs it has the server's shell). Raises ImportPathError when a
    path does not exist or nothing under it is in a recognised format.
    """
    if actor is not None:
        require(actor, Perm.REGISTRY_WRITE)
    progress = progress or NoProgress()
    summary = ImportSummary()
    candidates: list[Path] = []
    for path in paths:
        candidates.extend(discover(Path(path)))
    for path in candidates:
        result, records = parse_file(path, progress)
        if result is None:
            summary.ignored.append(path)
            continue
        summary.files.append(result)
        progress.start(f"{result.source} 写入", len(records))
        try:
            write_records(result, records, batch_size=batch_size, on_batch=progress.advance)
        except DatabaseError as exc:
            # The batches committed so far stay (each is its own transaction): the record says
            # how far the file got, and why it stopped, for whoever runs it again.
            reason = f"{type(exc).__name__}: {exc}"[:500]
            with contextlib.suppress(DatabaseError):  # a database gone cannot record it either
                audit_record(
                    actor=actor,
                    action="registry.import.interrupted",
                    object_type="registry.right",
                    object_id=result.format.value[:64],
                    after={**result.counts(), "error": reason},
                )
            raise ImportInterrupted(
                f"{result.source} 写入中断（{reason}）：已写入 {result.loaded} 行，"
                "之前的批次已保存；修复后重新运行同一文件即可，已导入的行不会重复。",
                summary,
            ) from exc
        audit_record(
            actor=actor,
            action="registry.import",
            object_type="registry.right",
            object_id=result.format.value[:64],
            after=result.counts(),
        )
    progress.finish()
    if not summary.files:
        raise ImportPathError("未找到可识别格式的数据文件")
    return summary
