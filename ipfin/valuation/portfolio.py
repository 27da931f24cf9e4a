"""Set-based reading of the register into indicator columns, and set-based writing of scores.

`read_portfolio(on=...)` reads every right's indicator inputs with ONE query: the rights, a
GROUP BY over their legal events (invalidation requests and decisions, disputes and
preservations, licences, transfers, renewals, surrenders, the highest annuity year paid) and a
GROUP BY over their current owners, LEFT JOINed. On PostgreSQL the rows come back packed, a
few rows of 64-bit integers read by NumPy without a Python loop (`_packed_rows_sql`, the same
packing the background run's stage holds; every column is a fixed-width integer; the cohort's
technology field as a 64-bit hash of its text, `hashtextextended`, so that no string crosses
over). The whole register's read (the command's, outside a transaction) is cut into
IPFIN_SCORE_READERS ranges of right ids read over as many connections at once: the aggregation
is the server's work, one core per connection. On SQLite (the embedded default, small
registers) through the cursor. The cohort (filing
year × IPC main subclass, or × kind for rights without IPC) is then numbered in NumPy, and the
columns derived:

- remaining_life_years: from the true term of the kind (Patent Law art. 42: invention 20 years
  plus its term compensation, utility model 10, design 15 from 2021-06-01 else 10; IC layout 10
  years from the earlier of filing and first commercial use, at most 15 after creation; copyright
  to 31 December of the 50th year after the author's death or first publication, NaN when the
  register lacks them; trademark 10 years from registration per renewal), 0 once whole-invalidated,
  surrendered, or lapsed for an unpaid annuity (the next annuity after the highest year paid is
  past its six months' grace: the register's own rule, computed on columns — a gap in the years
  paid, a payment after the grace period and a restoration are not looked at here, only in
  `ipfin.registry.domain.legal_status` for one right);
- granted: registered / granted (copyright needs no registration: 1);
- invalidation_count (requests, or decisions where no request is on record), litigation_count
  (disputes + preservations), licence_count, transfer_count, co_owner_count (current owners);
- claims_count, cited_by_count, family_size: as stored on the right (NaN = unknown);
- ipc_subclass_count: distinct 4-character IPC subclasses in ipc_codes (NaN when none).

`write_scores(...)` replaces every stored `RightScore` at once: on PostgreSQL a binary COPY
built from NumPy arrays over several connections into a new table swapped in (or TRUNCATE and
one COPY where the table cannot be swapped); DELETE and one executemany on SQLite.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import numpy as np
import psycopg
from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, models, transaction
from django.utils import timezone
from numpy.typing import NDArray

from ipfin.holidays.selectors import working_calendar
from ipfin.jobs.domain import span_ranges
from ipfin.pledges.models import Pledge, PledgeItem
from ipfin.registry.models import Right, RightEvent, RightOwner
from ipfin.valuation.domain.cohorts import YEAR_WINDOW, Cohorts, backoff_cohorts
from ipfin.valuation.domain.indicator import (
    APPLICANT_TYPE_CODES,
    GRADES,
    INDICATOR_NAMES,
    ScoreBatch,
    scoring_threads,
    share_below,
)
from ipfin.valuation.models import RightScore, ScoreRun, ScoreStage

__all__ = [
    "KIND_CODES",
    "Portfolio",
    "RightCohort",
    "clear_staged",
    "cohorts_of",
    "portfolio_id_ranges",
    "read_portfolio",
    "read_staged",
    "right_cohort",
    "score_columns",
    "stage_portfolio",
    "staged_count",
    "tech_field",
    "write_scores",
]

KIND_CODES = {
    "invention": 0,
    "utility_model": 1,
    "design": 2,
    "trademark": 3,
    "copyright": 4,
    "ic_layout": 5,
}
_PATENT_CODES = (0, 1, 2)
_DESIGN_15_FROM = np.datetime64("2021-06-01", "D")
_GRACE_MONTHS = 6
_MISSING = -1
_COPY_CHUNK = 100_000
# The raw columns, in the order of the SELECT (all integers; -1 = NULL where nullable).
_RAW = (
    "id",
    "kind",
    "filing_day",
    "grant_day",
    "year",
    "field",
    "claims",
    "cited",
    "family",
    "inv_req",
    "inv_any",
    "inv_whole",
    "litig",
    "lic",
    "tra",
    "ren",
    "sur",
    "paid_year",
    "owners",
    "ipc_count",
    "comp",
    "fcu_day",
    "created_day",
    "author",
    "died_day",
    "published_day",
    "field3",
    "field1",
    "backward",
    "app_type",
    "app_count",
    "survived",
    "pledges",
)
_AUTHOR_CODES = {"person": 1, "organisation": 2}
# The applicant types ranked (ipfin.valuation.domain.indicator.APPLICANT_TYPE_CODES); others 0.
_APPLICANT_CODES = {k: int(v) for k, v in APPLICANT_TYPE_CODES.items()}


@dataclass
class Portfolio:
    """The rights read (in no particular order), with their indicator columns (float64, NaN =
    unknown)."""

    right_id: NDArray[np.int64]
    cohorts: Cohorts
    columns: dict[str, NDArray[np.float64]]
    kind: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.right_id.shape[0])

    @property
    def cohort_size(self) -> NDArray[np.int64]:
        return self.cohorts.size


def tech_field(ipc_main: str, kind: str) -> str:
    """The technology field of a right's cohort, as the SQL computes it from the stored code
    (canonical there): the IPC main subclass (4 characters, upper case, blanks removed), or
    "~<kind>" for rights without an IPC code."""
    text = "".join(ipc_main.split()).upper()
    return text[:4] if text else f"~{kind}"


# --- SQL -----------------------------------------------------------------------------------------

# The technology field of the cohort (see `tech_field`), on the alias r. The register stores
# IPC codes canonically (upper case, no whitespace: ipfin.registry.import_mapping.normalize_ipc,
# applied by right_create and the imports; registry migration 0007 rewrote older rows), so the
# SQL takes them as they are: a fifth of the read's time went on REPLACE and UPPER.
_FIELD_SQL = "CASE WHEN r.ipc_main <> '' THEN SUBSTR(r.ipc_main, 1, 4) ELSE '~' || r.kind END"
# The IPC class (3 characters) and section (1) of the field. A right without IPC keeps its
# "~kind" field at the subclass level and a prefix of it above: the kind is in the key anyway.
_CLASS_SQL = f"SUBSTR({_FIELD_SQL}, 1, 3)"
_SECTION_SQL = f"SUBSTR({_FIELD_SQL}, 1, 1)"
# The field each windowed level groups by (subclass, class, section) and its width in characters
# (None: the whole field).
_LEVEL_FIELDS: tuple[tuple[str, int | None], ...] = (
    (_FIELD_SQL, None),
    (_CLASS_SQL, 3),
    (_SECTION_SQL, 1),
)


def _year_sql(vendor: str) -> str:
    if vendor == "postgresql":
        return "CAST(EXTRACT(YEAR FROM r.filing_date) AS integer)"
    return "CAST(strftime('%%Y', r.filing_date) AS INTEGER)"


@dataclass(frozen=True)
class RightCohort:
    """One right's cohort after backoff, found by counting (`right_cohort`): its basis, the
    filing years it spans, its size, and a `where` (with params) that reads exactly its rights."""

    basis: str
    year_from: int
    year_to: int
    size: int
    where: str
    params: list[Any]


def right_cohort(*, kind: str, year: int, field: str, min_size: int) -> RightCohort:
    """The cohort of a right of `kind` filed in `year` with technology field `field`
    (`tech_field`), backed off exactly as `read_portfolio` backs off every right's
    (ipfin.valuation.domain.cohorts), decided by one COUNT over the rights of the kind filed
    within ±YEAR_WINDOW years (and, only if none of those levels is large enough, a count of the
    kind): so that scoring one right reads its cohort, never the whole register."""
    year_sql = _year_sql(connection.vendor)
    low, high = year - YEAR_WINDOW, year + YEAR_WINDOW
    span = (date(low, 1, 1), date(high + 1, 1, 1))
    right_t = Right._meta.db_table
    in_years = "r.kind = %s AND r.filing_date >= %s AND r.filing_date < %s"
    # The windowed levels, each with the expression the run groups by and this right's value of
    # it (the whole field at the subclass level: a right without IPC has "~kind" there).
    levels = [
        (basis, expression, field[:width] if width else field)
        for basis, (expression, width) in zip(
            ("subclass_years", "class_years", "section_years"), _LEVEL_FIELDS, strict=True
        )
    ]
    sums = ", ".join(
        f"SUM(CASE WHEN {expression} = %s THEN 1 ELSE 0 END)" for _, expression, _ in levels
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT "  # noqa: S608 - SQL of this module; values are parameters
            f"SUM(CASE WHEN {_FIELD_SQL} = %s AND {year_sql} = %s THEN 1 ELSE 0 END), {sums} "
            f"FROM {right_t} r WHERE {in_years}",
            [field, year, *(value for _, _, value in levels), kind, *span],
        )
        counts = [int(v or 0) for v in cursor.fetchone()]
    if counts[0] >= min_size:
        where = f"r.kind = %s AND {year_sql} = %s AND {_FIELD_SQL} = %s"
        return RightCohort("subclass_year", year, year, counts[0], where, [kind, year, field])
    for (basis, expression, value), size in zip(levels, counts[1:], strict=True):
        if size >= min_size:
            where = f"{in_years} AND {expression} = %s"
            return RightCohort(basis, low, high, size, where, [kind, *span, value])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MIN({year_sql}), MAX({year_sql}) FROM {right_t} r "  # noqa: S608
            "WHERE r.kind = %s",
            [kind],
        )
        size, first, last = cursor.fetchone()
    return RightCohort("kind", int(first), int(last), int(size), "r.kind = %s", [kind])


def _sql(vendor: str, *, on: date, where: str = "", ids: tuple[int, int] | None = None) -> str:
    """The one SELECT (rows in no particular order). `where` filters the rights (alias r;
    placeholders %s); `ids` (lo, hi) keeps the rights with ids in [lo, hi], tested on each
    table's own right id (an index range, not a semi-join per table); `on` and the ids are
    embedded as literals (a date object's ISO text, integers) so that the statement can run as
    a COPY or inside an INSERT … SELECT."""
    if ids is not None:
        lo, hi = (int(v) for v in ids)
        where = " AND ".join(w for w in (where, f"r.id >= {lo} AND r.id <= {hi}") if w)
    day = f"DATE '{on.isoformat()}'" if vendor == "postgresql" else f"'{on.isoformat()}'"
    if vendor == "postgresql":
        days = "({col} - DATE '1970-01-01')"
        scope = "(e.payload ->> 'scope')"
        paid = (
            "CASE WHEN (e.payload ->> 'year') ~ '^[0-9]{1,4}$' "
            "THEN CAST(e.payload ->> 'year' AS integer) END"
        )
        comp_days = (
            "CASE WHEN (e.payload ->> 'days') ~ '^[0-9]{1,5}$' "
            "THEN CAST(e.payload ->> 'days' AS integer) END"
        )

        # Distinct subclasses of the codes (an empty code not counted). A right with one code
        # (no separator) or up to three (compared pairwise: a code past the last is '') skips
        # the per-row subquery, a tenth of the read's time on a million rights.
        def sub(k: int) -> str:
            return f"SUBSTR(split_part(r.ipc_codes, ';', {k}), 1, 4)"

        ipc = (
            "CASE WHEN strpos(r.ipc_codes, ';') = 0 "  # noqa: S608 - this module's SQL, no value
            "THEN CASE WHEN r.ipc_codes = '' THEN 0 ELSE 1 END "
            "WHEN length(r.ipc_codes) - length(replace(r.ipc_codes, ';', '')) <= 2 "
            f"THEN CAST({sub(1)} <> '' AS integer) "
            f"+ CAST({sub(2)} <> '' AND {sub(2)} <> {sub(1)} AS integer) "
            f"+ CAST({sub(3)} <> '' AND {sub(3)} <> {sub(1)} AND {sub(3)} <> {sub(2)} AS integer) "
            "ELSE (SELECT COUNT(DISTINCT SUBSTR(c, 1, 4)) "
            "FROM unnest(string_to_array(r.ipc_codes, ';')) AS c WHERE c <> '') END"
        )
        int_t = "integer"
    else:
        days = "CAST(julianday({col}) - 2440587.5 AS INTEGER)"
        scope = "json_extract(e.payload, '$.scope')"
        paid = "CAST(json_extract(e.payload, '$.year') AS INTEGER)"
        comp_days = "CAST(json_extract(e.payload, '$.days') AS INTEGER)"
        ipc = "r.ipc_codes"
        int_t = "INTEGER"
    if vendor == "postgresql":
        field = f"hashtextextended({_FIELD_SQL}, 0)"
        field3 = f"hashtextextended({_CLASS_SQL}, 0)"
        field1 = f"hashtextextended({_SECTION_SQL}, 0)"
    else:
        field, field3, field1 = _FIELD_SQL, _CLASS_SQL, _SECTION_SQL
    applicant = "CASE r.applicant_type " + " ".join(
        f"WHEN '{k}' THEN {v}" for k, v in _APPLICANT_CODES.items()
    )
    applicant += " ELSE 0 END"
    pledge_t = Pledge._meta.db_table
    item_t = PledgeItem._meta.db_table
    year = _year_sql(vendor)
    kind = "CASE r.kind " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in KIND_CODES.items())
    kind += f" ELSE {_MISSING} END"
    author = "CASE r.author_kind " + " ".join(
        f"WHEN '{k}' THEN {v}" for k, v in _AUTHOR_CODES.items()
    )
    author += " ELSE 0 END"
    right_t = Right._meta.db_table
    event_t = RightEvent._meta.db_table
    owner_t = RightOwner._meta.db_table
    # `where` is SQL of this module (cohort_filter, an id test) with %s placeholders for values.
    selected = f"(SELECT r.id FROM {right_t} r WHERE {where})"  # noqa: S608
    if ids is not None:
        subset, owner_subset, pledge_subset = (
            f"AND {t}.right_id >= {lo} AND {t}.right_id <= {hi}" for t in ("e", "o", "i")
        )
    else:
        subset = f"AND e.right_id IN {selected}" if where else ""
        owner_subset = f"AND o.right_id IN {selected}" if where else ""
        pledge_subset = f"AND i.right_id IN {selected}" if where else ""
    rights_where = f"WHERE {where}" if where else ""

    def cast(expr: str) -> str:
        return f"CAST({expr} AS {int_t})"

    return f"""
WITH ev AS (
    SELECT e.right_id,
        SUM(CASE WHEN e.type = 'invalidation_requested' THEN 1 ELSE 0 END) AS inv_req,
        SUM(CASE WHEN e.type = 'invalidated' THEN 1 ELSE 0 END) AS inv_any,
        SUM(CASE WHEN e.type = 'invalidated' AND COALESCE({scope}, '') <> 'partial'
            THEN 1 ELSE 0 END) AS inv_whole,
        SUM(CASE WHEN e.type IN ('dispute', 'preservation') THEN 1 ELSE 0 END) AS litig,
        SUM(CASE WHEN e.type = 'licence' THEN 1 ELSE 0 END) AS lic,
        SUM(CASE WHEN e.type = 'transfer' THEN 1 ELSE 0 END) AS tra,
        SUM(CASE WHEN e.type = 'renewed' THEN 1 ELSE 0 END) AS ren,
        SUM(CASE WHEN e.type = 'surrender' THEN 1 ELSE 0 END) AS sur,
        MAX(CASE WHEN e.type = 'annuity_paid' THEN {paid} END) AS paid_year,
        SUM(CASE WHEN e.type = 'term_compensation' THEN COALESCE({comp_days}, 0) ELSE 0 END)
            AS comp,
        SUM(CASE WHEN e.type = 'invalidation_dismissed' OR (e.type = 'invalidated'
            AND COALESCE({scope}, '') = 'partial') THEN 1 ELSE 0 END) AS survived
    FROM {event_t} e
    WHERE e.date <= {day} AND e.type IN ('invalidation_requested', 'invalidated', 'dispute',
        'preservation', 'licence', 'transfer', 'renewed', 'surrender', 'annuity_paid',
        'term_compensation', 'invalidation_dismissed') {subset}
    GROUP BY e.right_id
), pl AS (
    SELECT i.right_id, COUNT(*) AS n
    FROM {item_t} i JOIN {pledge_t} p ON p.id = i.pledge_id
    WHERE p.effective_date IS NOT NULL AND p.effective_date <= {day}
        AND p.registration_no <> '' {pledge_subset}
    GROUP BY i.right_id
), ow AS (
    SELECT o.right_id, COUNT(*) AS n
    FROM {owner_t} o
    WHERE o.valid_from <= {day} AND (o.valid_to IS NULL OR o.valid_to > {day}) {owner_subset}
    GROUP BY o.right_id
)
SELECT
    CAST(r.id AS {"bigint" if vendor == "postgresql" else "INTEGER"}),
    {cast(kind)},
    {cast(days.format(col="r.filing_date"))},
    {cast("COALESCE(" + days.format(col="r.grant_date") + f", {_MISSING})")},
    {cast(year)},
    {field},
    {cast(f"COALESCE(r.claims_count, {_MISSING})")},
    {cast(f"COALESCE(r.cited_by_count, {_MISSING})")},
    {cast(f"COALESCE(r.family_size, {_MISSING})")},
    {cast("COALESCE(ev.inv_req, 0)")},
    {cast("COALESCE(ev.inv_any, 0)")},
    {cast("COALESCE(ev.inv_whole, 0)")},
    {cast("COALESCE(ev.litig, 0)")},
    {cast("COALESCE(ev.lic, 0)")},
    {cast("COALESCE(ev.tra, 0)")},
    {cast("COALESCE(ev.ren, 0)")},
    {cast("COALESCE(ev.sur, 0)")},
    {cast(f"COALESCE(ev.paid_year, {_MISSING})")},
    {cast("COALESCE(ow.n, 0)")},
    {cast(ipc) if vendor == "postgresql" else ipc},
    {cast("COALESCE(ev.comp, 0)")},
    {cast("COALESCE(" + days.format(col="r.first_commercial_use") + f", {_MISSING})")},
    {cast("COALESCE(" + days.format(col="r.created_on") + f", {_MISSING})")},
    {cast(author)},
    {cast("COALESCE(" + days.format(col="r.author_died_on") + f", {_MISSING})")},
    {cast("COALESCE(" + days.format(col="r.first_published_on") + f", {_MISSING})")},
    {field3},
    {field1},
    {cast(f"COALESCE(r.backward_citations, {_MISSING})")},
    {cast(applicant)},
    {cast(f"COALESCE(r.applicant_count, {_MISSING})")},
    {cast("COALESCE(ev.survived, 0)")},
    {cast("COALESCE(pl.n, 0)")}
FROM {right_t} r
LEFT JOIN ev ON ev.right_id = r.id
LEFT JOIN pl ON pl.right_id = r.id
LEFT JOIN ow ON ow.right_id = r.id
{rights_where}
"""  # noqa: S608 - table names from the models, values embedded from a date object only


_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_PG_TRAILER = b"\xff\xff"
# Rows per packed group (see `_packed_rows_sql`): by blocks of right ids.
_PACK_SHIFT = 16
# A packed row: the right id and the three field hashes as big-endian int8, every other column
# as big-endian int4 (the SELECT casts each of them to integer already): 148 bytes a right
# rather than 264 all as int8, a read of a million rights 0.5 s quicker to fetch and unpack.
_WIDE = frozenset({"id", "field", "field3", "field1"})
_PACKED = np.dtype([(name, ">i8" if name in _WIDE else ">i4") for name in _RAW])
_INT4 = (-(2**31), 2**31 - 1)
_TRANSPOSE_ROWS = 8192  # rows per block of the transposition (a few hundred KB: in the cache)


def _packed_rows_sql(on: date, block: tuple[int, int]) -> str:
    """The raw columns (`_RAW`, right id first) as of `on` of the rights with ids in `block`
    (one block of right ids, `_blocks`; PostgreSQL) packed into one row: their lowest right id,
    their count, and their values as big-endian int8 (int8send: the id and the field hashes) or
    int4 (int4send: the rest, `_PACKED`) concatenated row after row; no row when there are none.

    COPY sends one message per row, and reading a million messages costs the client seconds of
    Python; packed, the same values come as a handful of rows NumPy reads in one step. A NULL
    would drop its row from the concatenation: `_unpacked` checks the length. One statement per
    block rather than one grouping every block: the grouping sorted all the rows by their block
    first (a seventh of the read's time, on rows already read in id order)."""
    names = [f"c{i}" for i in range(len(_RAW))]
    row = " || ".join(
        f"int8send(CAST(q.{name} AS bigint))" if raw in _WIDE else f"int4send(q.{name})"
        for name, raw in zip(names, _RAW, strict=True)
    )
    select = _sql("postgresql", on=on, ids=block)
    return (
        f"SELECT MIN(q.c0), COUNT(*), string_agg({row}, ''::bytea) "  # noqa: S608 - our SQL
        f"FROM ({select}) AS q({', '.join(names)}) HAVING COUNT(*) > 0"
    )


def _blocks(cursor: Any, lo: int, hi: int) -> list[tuple[int, int]]:
    """The blocks of right ids (aligned on multiples of 2**_PACK_SHIFT) that hold a right with
    an id in [lo, hi], each as the closed range of its ids within [lo, hi], in order: one look-up
    of the primary key per block (each block's lowest id from the one after the last block),
    not a scan of every id."""
    right, shift = Right._meta.db_table, _PACK_SHIFT
    cursor.execute(
        "WITH RECURSIVE b(block) AS ("  # noqa: S608 - the model's table, our shift
        f"SELECT (SELECT MIN(id) FROM {right} WHERE id >= %s AND id <= %s) >> {shift} "
        f"UNION ALL SELECT (SELECT MIN(id) FROM {right} WHERE id >= (b.block + 1) << {shift} "
        f"AND id <= %s) >> {shift} FROM b WHERE b.block IS NOT NULL"
        ") SELECT block FROM b WHERE block IS NOT NULL",
        [lo, hi, hi],
    )
    size = 1 << shift
    return [
        (max(lo, block * size), min(hi, block * size + size - 1)) for (block,) in cursor.fetchall()
    ]


def _fetch_binary(sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    """The rows of `sql`, bytea in binary, not as hex text twice its size to decode: through a
    cursor binding on the server (Django's own binds on the client, which has no binary
    results), on Django's connection, inside its transaction."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _unpacked(blocks: Sequence[tuple[int, Any]], what: str) -> dict[str, NDArray[np.int64]]:
    """The raw columns from (rights, packed rows) blocks (`_packed_rows_sql`, `_packed_blocks`),
    each column contiguous and native; refused when a block is shorter than its count. A large
    read is unpacked by two threads, each a half of the blocks into its own rows of the columns
    (NumPy's copies release the GIL). Measured on a million rights: 0.6 s on one thread, 0.35 s
    on two, most of it the kernel giving the columns' 264 MB their pages on first touch."""
    expected = sum(int(n) for n, _ in blocks)
    size = sum(len(packed) for _, packed in blocks)
    if size != expected * _PACKED.itemsize:
        raise RuntimeError(
            f"{what} holds {size} bytes for {expected} rights: a block is incomplete; run "
            "the scoring again"
        )
    for n, packed in blocks:
        if len(packed) != int(n) * _PACKED.itemsize:
            raise RuntimeError(
                f"{what} holds {len(packed)} bytes for a block of {n} rights: run the scoring again"
            )
    columns = np.empty((len(_RAW), expected), dtype=np.int64)
    starts = np.cumsum([0] + [int(n) for n, _ in blocks])
    placed = [(int(at), packed) for at, (_, packed) in zip(starts, blocks, strict=False)]
    threads = scoring_threads(expected)
    if threads > 1 and len(placed) > 1:
        # Cut at the boundary between blocks nearest to half the rows (each thread a run of
        # whole blocks).
        cut = int(np.argmin(np.abs(starts[1:-1] - expected / 2))) + 1
        with ThreadPoolExecutor(2, thread_name_prefix="unpack") as pool:
            halves = [pool.submit(_unpack_into, columns, placed[:cut])]
            halves.append(pool.submit(_unpack_into, columns, placed[cut:]))
            for half in halves:
                half.result()
    else:
        _unpack_into(columns, placed)
    return {name: columns[i] for i, name in enumerate(_RAW)}


def _unpack_into(columns: NDArray[np.int64], placed: Sequence[tuple[int, Any]]) -> None:
    """Each (first row, packed rows) block into `columns` (a row per raw column) from its first
    row on."""
    for at, packed in placed:
        rows = np.frombuffer(packed, dtype=_PACKED)
        # A few thousand rows at a time: a field read straight out of the whole block would
        # sweep all of it once per column.
        for start in range(0, rows.shape[0], _TRANSPOSE_ROWS):
            part = rows[start : start + _TRANSPOSE_ROWS]
            end = at + start + part.shape[0]
            for i, name in enumerate(_RAW):
                columns[i, at + start : end] = part[name]


def _read_postgresql(sql: str, params: Sequence[Any]) -> dict[str, NDArray[np.int64]]:
    """A filtered read (small): through the cursor, row by row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _from_rows(rows, ipc_text=False)


# At most this many connections for the direct read (each holds 256 MB of work memory).
MAX_READERS = 8


@contextmanager
def _one_moment(snapshot: str | None = None) -> Iterator[Any]:
    """A transaction and its cursor that read one moment of the register: the exported
    `snapshot` when one is given, else a moment of its own (REPEATABLE READ; PostgreSQL). Inside
    a caller's transaction, whose isolation is set already, a savepoint only: each statement
    then reads the moment it runs, as the chunks of a background run each read theirs (one
    statement reads a right whole either way)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and (outermost or snapshot is not None):
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        if snapshot is not None:
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
        yield cursor


def _read_in_ranges(on: date, readers: int) -> dict[str, NDArray[np.int64]]:
    """The whole register's raw columns read over `readers` connections at once, each the
    rights of one range of ids (the aggregation is the server's work: one core per connection;
    the rows of a right all come from one connection, so each right is read whole).

    All the connections read one moment of the register: this one opens a REPEATABLE READ
    transaction and exports its snapshot (pg_export_snapshot), which every reader's transaction
    takes before it reads, so that an import committed meanwhile is in none of the ranges, not
    in some. Only where other connections see what this one does: outside a transaction (the
    command's read), never inside one (a test's, a caller's: the single read runs there). A
    reader that cannot connect (the server's connections used up) falls back to the single
    read."""
    with _one_moment() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        low, high, count = _register_span()
        ranges = span_ranges(low, high, count, max(1, -(-count // min(readers, MAX_READERS))))
        if len(ranges) < 2:
            return _read_packed(on)
        _before_ranges_read()

        try:
            parts = _on_own_connections(
                lambda lo_hi: _packed_blocks_read(on, lo_hi, snapshot), ranges
            )
        except OperationalError:
            return _read_packed(on)
    return _unpacked([block for part in parts for block in part], "the register's read")


def _before_ranges_read() -> None:
    """Nothing: the moment between the snapshot and the readers' reads, where a test commits
    a change that none of the ranges may see."""


def _register_span() -> tuple[int, int, int]:
    """The register's lowest and highest right id and its count of rights (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(id), MAX(id), COUNT(*) FROM {Right._meta.db_table}"  # noqa: S608
        )
        low, high, count = cursor.fetchone()
    return int(low or 0), int(high or 0), int(count)


def _one_big_scan(cursor: Any) -> None:
    """Inside a transaction: no JIT compilation (seconds of it for a plan run once), enough
    memory for the aggregates, no parallel workers (each would aggregate every event again),
    and the events aggregated right by right in id order rather than into a hash table of
    every right: the aggregate then streams into a merge join with the rights, which are read
    in id order anyway (half a million rights: 2.0 s → 1.5 s with events stored in right order,
    2.0 → 1.7 s with them shuffled; a penalty, not a ban: without an ordered path the planner
    still hashes)."""
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    cursor.execute("SET LOCAL enable_hashagg = off")


def _packed_blocks_read(
    on: date, span: tuple[int, int] | None = None, snapshot: str | None = None
) -> list[tuple[int, Any]]:
    """The (rights, packed rows) blocks of the rights with ids in `span` (None: every right) as
    of `on`, one statement per block (`_packed_rows_sql`), in a transaction reading one moment
    (`_one_moment`: the exported `snapshot` when one is given)."""
    with _one_moment(snapshot) as cursor:
        _one_big_scan(cursor)
        if span is None:  # every right: from the lowest id to the highest (no count)
            cursor.execute(f"SELECT MIN(id), MAX(id) FROM {Right._meta.db_table}")  # noqa: S608
            low, high = cursor.fetchone()
            span = (int(low or 0), int(high or -1))
        lo, hi = span
        return [
            (n, packed)
            for block in _blocks(cursor, lo, hi)
            for _, n, packed in _fetch_binary(_packed_rows_sql(on, block))
        ]


def _read_packed(on: date) -> dict[str, NDArray[np.int64]]:
    """The raw columns of every right as of `on`, read packed (`_packed_rows_sql`)."""
    return _unpacked(_packed_blocks_read(on), "the register's read")


def _ipc_subclass_counts(texts: Sequence[str | None]) -> NDArray[np.int64]:
    return np.fromiter(
        (
            len({"".join(c.split()).upper()[:4] for c in (t or "").split(";") if c.strip()})
            for t in texts
        ),
        dtype=np.int64,
        count=len(texts),
    )


def _text_code(text: str | None) -> int:
    """A 64-bit code of a text, the same in every process (unlike Python's salted hash())."""
    if text is None:
        return _MISSING
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


def _from_rows(rows: Sequence[Sequence[Any]], *, ipc_text: bool) -> dict[str, NDArray[np.int64]]:
    """The raw columns from fetched rows. On SQLite the technology fields come as text (coded
    here by `_text_code`: only equality matters, and the same text has the same code in every
    process, so that chunks read apart agree) and ipc_codes as text (counted here)."""
    if not rows:
        return {name: np.zeros(0, dtype=np.int64) for name in _RAW}
    at = {name: i for i, name in enumerate(_RAW)}
    text_columns = {"field", "field3", "field1", "ipc_count"} if ipc_text else set()
    numeric = [i for name, i in at.items() if name not in text_columns]
    ints = np.array([[row[i] for i in numeric] for row in rows], dtype=np.int64)
    out = {_RAW[i]: ints[:, k] for k, i in enumerate(numeric)}
    if ipc_text:
        for name in ("field", "field3", "field1"):
            codes: dict[str | None, int] = {}
            out[name] = np.fromiter(
                (
                    codes[text] if text in codes else codes.setdefault(text, _text_code(text))
                    for text in (row[at[name]] for row in rows)
                ),
                dtype=np.int64,
                count=len(rows),
            )
        out["ipc_count"] = _ipc_subclass_counts([row[at["ipc_count"]] for row in rows])
    return out


def _read_sqlite(sql: str, params: Sequence[Any]) -> dict[str, NDArray[np.int64]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    return _from_rows(rows, ipc_text=True)


# --- columns -------------------------------------------------------------------------------------


def _factorised(codes: NDArray[np.int64]) -> NDArray[np.int64]:
    """Dense codes 0..K−1 of any integers (hashes of the fields' texts)."""
    if codes.size == 0:
        return codes
    _, inverse = np.unique(codes, return_inverse=True)
    result: NDArray[np.int64] = inverse.astype(np.int64).ravel()
    return result


def _field_codes(
    raw: Mapping[str, NDArray[np.int64]],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Dense codes of each right's field (subclass), class and section: the codes
    `_factorised` gives each column, with one sort of the rights instead of three. The class and
    the section are prefixes of the field's text (`_CLASS_SQL`, `_SECTION_SQL`), so each field
    has one of each: they are factorised over the fields found, one right of each, and spread
    back (0.29 → 0.1 s for a million rights)."""
    field = raw["field"]
    if field.size == 0:
        return field, raw["field3"], raw["field1"]
    _, first, inverse = np.unique(field, return_index=True, return_inverse=True)
    subclass: NDArray[np.int64] = inverse.astype(np.int64).ravel()
    ipc_class = _factorised(raw["field3"][first])[subclass]
    section = _factorised(raw["field1"][first])[subclass]
    return subclass, ipc_class, section


def cohorts_of(raw: Mapping[str, NDArray[np.int64]], min_size: int) -> Cohorts:
    """Each right's backed-off cohort (ipfin.valuation.domain.cohorts) from the raw columns."""
    subclass, ipc_class, section = _field_codes(raw)
    return backoff_cohorts(
        kind=np.maximum(raw["kind"], 0),
        year=raw["year"],
        subclass=subclass,
        ipc_class=ipc_class,
        section=section,
        min_size=min_size,
    )


# Calendar arithmetic on day numbers (days since 1970-01-01) in integers: NumPy's datetime64
# conversions to months and years cost most of the columns' time (0.7 s of 0.9 s for a million
# rights). H. Hinnant's civil-calendar algorithms (proleptic Gregorian, exact for any day), the
# same results as the datetime64 conversions they replace (tested against them).


def _civil(days: NDArray[np.int64]) -> tuple[NDArray[np.int64], ...]:
    """(year, month 1-12, day of month 1-31) of each day number."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _first_of_month(year: NDArray[np.int64], month: NDArray[np.int64]) -> NDArray[np.int64]:
    """The day number of the 1st of `month` (1-12) in `year`."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5
    result: NDArray[np.int64] = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    return result


def _add_years(days: NDArray[np.int64], years: NDArray[np.int64]) -> NDArray[np.int64]:
    """Day numbers `years` calendar years later (same month and day; 29 February → 1 March)."""
    return _civil_add_years(_civil(days), years)


def _civil_add_years(
    civil: tuple[NDArray[np.int64], ...], years: NDArray[np.int64]
) -> NDArray[np.int64]:
    """`_add_years` of days already split by `_civil` (a column split once, shifted often)."""
    year, month, day = civil
    return _first_of_month(year + years, month) + day - 1


def _civil_where(
    condition: NDArray[np.bool_],
    yes: tuple[NDArray[np.int64], ...],
    no: tuple[NDArray[np.int64], ...],
) -> tuple[NDArray[np.int64], ...]:
    return tuple(np.where(condition, a, b) for a, b in zip(yes, no, strict=True))


def _add_months(days: NDArray[np.int64], months: int) -> NDArray[np.int64]:
    """Day numbers `months` months later, the day of the month kept (past the month's end: into
    the next month, as the 29 February of `_add_years`)."""
    year, month, day = _civil(days)
    index = year * 12 + month - 1 + months
    return _first_of_month(index // 12, index % 12 + 1) + day - 1


def _year_of(days: NDArray[np.int64]) -> NDArray[np.int64]:
    return _civil(days)[0]


def _end_of_50th_year(days: NDArray[np.int64]) -> NDArray[np.int64]:
    """1 January of the 51st year after each day's year (the first day out of a copyright's
    50 years, to 31 December); _MISSING stays _MISSING."""
    year = _year_of(np.where(days == _MISSING, 0, days))
    first_out = _first_of_month(year + 51, np.ones_like(year))
    result: NDArray[np.int64] = np.where(days == _MISSING, _MISSING, first_out)
    return result


def _nan_if(values: NDArray[np.int64], missing: NDArray[np.bool_]) -> NDArray[np.float64]:
    out = values.astype(np.float64)
    out[missing] = np.nan
    return out


def score_columns(
    raw: Mapping[str, NDArray[np.int64]],
    *,
    on: date,
    last_working_day: date,
) -> dict[str, NDArray[np.float64]]:
    """The data indicators' columns (see the module docstring) from the raw integer columns;
    `last_working_day`: the last working day before `on` (a grace period's last day moves past
    weekends and holidays), found by the caller on the working calendar, so that this stays
    free of the database (the office's arrangements are a query)."""
    today = int(np.datetime64(on.isoformat(), "D").astype(np.int64))
    kind = raw["kind"]
    filing = raw["filing_day"]
    grant = raw["grant_day"]
    granted = grant != _MISSING
    n = kind.shape[0]

    term_years = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 5, kind == 3],
        [20, 10, np.where(filing >= _DESIGN_15_FROM.astype(np.int64), 15, 10), 10,
         10 * (1 + raw["ren"])],
        default=0,
    ).astype(np.int64)  # fmt: skip
    # The filing and grant days split into calendar dates once, shifted by years below.
    filing_civil, grant_civil = _civil(filing), _civil(grant)
    expiry = _civil_add_years(
        _civil_where(kind == 3, _civil_where(granted, grant_civil, filing_civil), filing_civil),
        term_years,
    )
    # Inventions: term compensation (专利法 art. 42 ¶2, ¶3) extends the term by its days.
    expiry = np.where(kind == 0, expiry + raw["comp"], expiry)
    # IC layouts (条例 art. 12): 10 years from the earlier of filing and first commercial use,
    # never more than 15 years after creation. Computed for the layouts alone (a few).
    ic = np.flatnonzero(kind == 5)
    fcu, created, ic_filing = raw["fcu_day"][ic], raw["created_day"][ic], filing[ic]
    ic_start = np.where(fcu != _MISSING, np.minimum(ic_filing, fcu), ic_filing)
    ic_end = _add_years(ic_start, np.full(ic.size, 10, dtype=np.int64))
    ic_cap = _add_years(
        np.where(created != _MISSING, created, ic_filing), np.full(ic.size, 15, np.int64)
    )
    expiry[ic] = np.where(created != _MISSING, np.minimum(ic_end, ic_cap), ic_end)
    # Copyright (著作权法 art. 23; ipfin.registry.domain.copyright_expiry): to 31 December of the
    # 50th year after the author's death (a person's work) or first publication (an
    # organisation's; published only after 50 years from creation: ended then). Unknown: NaN.
    # Computed for the copyrights alone.
    works = np.flatnonzero(kind == 4)
    created, died, published = (raw[k][works] for k in ("created_day", "died_day", "published_day"))
    person, organisation = raw["author"][works] == 1, raw["author"][works] == 2
    created_end = _end_of_50th_year(created)
    published_end = _end_of_50th_year(published)
    org_end = np.where(
        published == _MISSING,
        _MISSING,  # publication not recorded: unknown, never "unpublished"
        np.where((created != _MISSING) & (published >= created_end), created_end, published_end),
    )
    copyright_end = np.where(
        person & (died != _MISSING),
        _end_of_50th_year(died),
        np.where(organisation, org_end, _MISSING),
    )
    expiry[works] = copyright_end
    term_unknown = np.zeros(n, dtype=bool)
    term_unknown[works] = copyright_end == _MISSING

    # Annuities (patents, from the grant): lapsed when the first unpaid year's due date is before
    # the expiry and its six months' grace is over, its last day moved past weekends and holidays
    # (专利法实施细则 2023 r. 6 ¶1): over before today exactly when the unmoved last day is on or
    # before the last working day before today (`registry.domain.grace_end`).
    is_patent = np.isin(kind, _PATENT_CODES) & granted
    year_gap = grant_civil[0] - filing_civil[0]
    first_year = year_gap + 1 - (_civil_add_years(filing_civil, year_gap) > grant)
    next_year = np.maximum(raw["paid_year"], first_year - 1) + 1
    due = np.where(next_year == first_year, grant, _civil_add_years(filing_civil, next_year - 1))
    last_working = np.datetime64(last_working_day.isoformat(), "D")
    grace_over = _add_months(due, _GRACE_MONTHS) <= last_working.astype(np.int64)
    lapsed = is_patent & (due < expiry) & grace_over

    ended = lapsed | (raw["inv_whole"] > 0) | (raw["sur"] > 0)
    remaining = np.where(ended, 0.0, np.maximum(expiry - today, 0) / 365.25)
    remaining = np.where(term_unknown & ~ended, np.nan, remaining)

    # Grant lag (OECD): days from filing to grant, for granted patents only (a trademark's or a
    # copyright's registration is not an examination of an invention: unknown, neutral).
    lag = np.where(granted & np.isin(kind, _PATENT_CODES), grant - filing, _MISSING)
    applicant_type = raw["app_type"].astype(np.float64)
    applicant_type[raw["app_type"] <= 0] = np.nan
    columns: dict[str, NDArray[np.float64]] = {
        "remaining_life_years": remaining.astype(np.float64),
        "invalidations_survived": raw["survived"].astype(np.float64),
        "backward_citations": _nan_if(raw["backward"], raw["backward"] == _MISSING),
        "grant_lag_days": _nan_if(lag, lag < 0),
        "applicant_count": _nan_if(raw["app_count"], raw["app_count"] <= 0),
        "pledge_count": raw["pledges"].astype(np.float64),
        "applicant_type": applicant_type,
        "granted": (granted | (kind == 4)).astype(np.float64),
        "invalidation_count": np.maximum(raw["inv_req"], raw["inv_any"]).astype(np.float64),
        "litigation_count": raw["litig"].astype(np.float64),
        "co_owner_count": raw["owners"].astype(np.float64),
        "claims_count": _nan_if(raw["claims"], raw["claims"] == _MISSING),
        "cited_by_count": _nan_if(raw["cited"], raw["cited"] == _MISSING),
        "ipc_subclass_count": _nan_if(raw["ipc_count"], raw["ipc_count"] <= 0),
        "family_size": _nan_if(raw["family"], raw["family"] == _MISSING),
        "licence_count": raw["lic"].astype(np.float64),
        "transfer_count": raw["tra"].astype(np.float64),
    }
    assert all(v.shape == (n,) for v in columns.values())
    return columns


def read_portfolio(
    *, on: date, where: str = "", params: Sequence[Any] = (), min_cohort: int | None = None
) -> Portfolio:
    """Every right (or those `where` selects, alias r) with its indicator columns as of `on`,
    and its cohort backed off to at least `min_cohort` rights of its kind (default the setting
    IPFIN_SCORE_MIN_COHORT) among the rights read."""
    vendor = connection.vendor
    sql = _sql(vendor, on=on, where=where)
    # The filter appears four times: in the events', the pledges' and the owners' GROUP BY, and
    # on the rights.
    all_params = list(params) * 4 if where else []
    readers = settings.IPFIN_SCORE_READERS
    if vendor == "postgresql" and not where and readers > 1 and not connection.in_atomic_block:
        raw = _read_in_ranges(on, readers)
    elif vendor == "postgresql" and not where:
        raw = _read_packed(on)
    elif vendor == "postgresql":
        raw = _read_postgresql(sql, all_params)
    else:
        raw = _read_sqlite(sql, all_params)
    return _portfolio(raw, on=on, min_cohort=min_cohort)


def _portfolio(
    raw: Mapping[str, NDArray[np.int64]], *, on: date, min_cohort: int | None
) -> Portfolio:
    minimum = settings.IPFIN_SCORE_MIN_COHORT if min_cohort is None else min_cohort
    # The office's arrangements read here, in the caller's thread and transaction: a pool
    # thread would read them on a connection of its own, outside the caller's transaction.
    last_working_day = working_calendar().working_day_before(on)
    if scoring_threads(raw["id"].shape[0]) > 1:
        # The cohorts and the columns are independent, each a series of NumPy operations that
        # release the GIL: side by side on two cores (a million rights, measured: 0.9–1.1 s one
        # after the other, 0.55–0.75 s side by side).
        with ThreadPoolExecutor(2, thread_name_prefix="portfolio") as pool:
            cohorts_made = pool.submit(cohorts_of, raw, minimum)
            columns_made = pool.submit(score_columns, raw, on=on, last_working_day=last_working_day)
            cohorts, columns = cohorts_made.result(), columns_made.result()
    else:
        cohorts = cohorts_of(raw, minimum)
        columns = score_columns(raw, on=on, last_working_day=last_working_day)
    return Portfolio(right_id=raw["id"], cohorts=cohorts, columns=columns, kind=raw["kind"])


# --- staged in chunks (a background run: ipfin.valuation.jobs) ----------------------------------


def _packed_blocks(raw: Mapping[str, NDArray[np.int64]]) -> list[tuple[int, int, bytes]]:
    """(first id, rights, packed rows) per block of right ids, as `_packed_rows_sql` makes
    them on the server."""
    ids = raw["id"]
    if ids.size == 0:
        return []
    rows = np.empty(ids.shape[0], dtype=_PACKED)
    for name in _RAW:
        values = raw[name]
        if (
            name not in _WIDE
            and values.size
            and (values.min() < _INT4[0] or values.max() > _INT4[1])
        ):
            raise ValueError(f"the register's {name} holds a value beyond a 32-bit integer")
        rows[name] = values
    blocks = ids >> _PACK_SHIFT
    order = np.argsort(blocks, kind="stable")
    starts = np.flatnonzero(np.diff(blocks[order], prepend=blocks[order][0] - 1))
    out = []
    for part in np.split(order, starts[1:]):
        out.append((int(ids[part].min()), int(part.size), rows[part].tobytes()))
    return out


def portfolio_id_ranges(size: int) -> list[tuple[int, int]]:
    """The register's right ids cut into closed ranges of about `size` ids each, from one
    MIN/MAX/COUNT (ipfin.jobs.domain.span_ranges)."""
    return span_ranges(*_register_span(), size)


def stage_portfolio(*, job: int, on: date, lo: int, hi: int) -> int:
    """Read the raw indicator inputs of the rights with ids in [lo, hi] as of `on` into the
    stage (`ScoreStage`) under `job`, packed by blocks of right ids. On PostgreSQL one INSERT …
    SELECT, nothing crosses to the client; on SQLite through the cursor. Replaces what the
    stage held for that job and range (running it twice changes nothing). Answers the rights
    staged."""
    vendor = connection.vendor
    target = connection.ops.quote_name(ScoreStage._meta.db_table)
    # Block by block, one moment of the register (`_one_moment`; inside a background run's
    # chunk, each block the moment it runs).
    with _one_moment() as cursor:
        cursor.execute(
            f"DELETE FROM {target} WHERE job = %s AND first_id >= %s AND first_id <= %s",  # noqa: S608
            [job, lo, hi],
        )
        if vendor == "postgresql":
            _one_big_scan(cursor)
            staged = 0
            for block in _blocks(cursor, lo, hi):
                packed = _packed_rows_sql(on, block)
                cursor.execute(
                    f"INSERT INTO {target} (job, first_id, rights, columns) "  # noqa: S608
                    f"SELECT CAST({int(job)} AS bigint), p.* FROM ({packed}) AS p "
                    "RETURNING rights",
                    # With a parameter list, even an empty one: the SQL is written for the
                    # driver's substitution (a literal %% in it), which runs only when params
                    # are given.
                    [],
                )
                staged += sum(int(n) for (n,) in cursor.fetchall())
            return staged
        blocks = _packed_blocks(_read_sqlite(_sql(vendor, on=on, ids=(lo, hi)), []))
        ScoreStage.objects.bulk_create(
            ScoreStage(job=job, first_id=first, rights=n, columns=packed)
            for first, n, packed in blocks
        )
        return sum(n for _, n, _ in blocks)


def read_staged(*, job: int, on: date, min_cohort: int | None = None) -> Portfolio:
    """The portfolio the chunks of `job` staged (`stage_portfolio`), as `read_portfolio` reads
    it: a handful of packed rows, each read by NumPy in one step."""
    fetched: list[tuple[Any, ...]]
    if connection.vendor == "postgresql":
        target = connection.ops.quote_name(ScoreStage._meta.db_table)
        fetched = _fetch_binary(
            f"SELECT rights, columns FROM {target} WHERE job = %s ORDER BY first_id",  # noqa: S608
            [job],
        )
    else:
        stage = ScoreStage.objects.filter(job=job).order_by("first_id")
        fetched = list(stage.values_list("rights", "columns"))
    raw = _unpacked(fetched, f"the stage of run {job}")
    return _portfolio(raw, on=on, min_cohort=min_cohort)


def staged_count(*, job: int) -> int:
    """The rights the stage holds for `job`."""
    total = ScoreStage.objects.filter(job=job).aggregate(n=models.Sum("rights"))["n"]
    return int(total or 0)


def clear_staged(*, keep: int | None = None) -> None:
    """Delete the staged rows of every run but `keep` (None: of all runs; on PostgreSQL a
    TRUNCATE)."""
    if keep is None and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(ScoreStage._meta.db_table)}")
        return
    rows = ScoreStage.objects.all() if keep is None else ScoreStage.objects.exclude(job=keep)
    rows._raw_delete(rows.db)


# --- writing -------------------------------------------------------------------------------------

_FLOAT_COLUMNS = (
    "score",
    "share_below",
    "legal",
    "technical",
    "economic",
    *(f"c_{name}" for name in INDICATOR_NAMES),
)
_INT_COLUMNS = ("cohort_size", "cohort_basis", "cohort_from", "cohort_to")
_COLUMNS = ("right_id", "run_id", "grade", *_INT_COLUMNS, *_FLOAT_COLUMNS)


def _int_arrays(portfolio: Portfolio) -> dict[str, NDArray[np.int64]]:
    cohorts = portfolio.cohorts
    return {
        "cohort_size": cohorts.size,
        "cohort_basis": cohorts.basis.astype(np.int64),
        "cohort_from": cohorts.year_from,
        "cohort_to": cohorts.year_to,
    }


def _float_arrays(batch: ScoreBatch) -> dict[str, NDArray[np.float64]]:
    arrays = {"score": batch.score, "share_below": share_below(batch.score), **batch.dimensions}
    for name in INDICATOR_NAMES:
        arrays[f"c_{name}"] = batch.contributions[name]
    return arrays


def _grade_bytes(batch: ScoreBatch) -> NDArray[np.bytes_]:
    width = {len(g) for g in GRADES}
    if len(width) != 1:  # pragma: no cover - the engine's grades are single letters
        raise RuntimeError("the binary COPY needs grade labels of one length")
    labels = np.array([g.encode() for g in GRADES], dtype=f"S{width.pop()}")
    return labels[batch.grade.astype(np.int64)]


def _binary_rows(
    portfolio: Portfolio, batch: ScoreBatch, run_id: int
) -> Callable[[], Callable[[int, int], memoryview]]:
    """The scores' rows as COPY's binary format lays them out: a function giving each writer a
    slicer of its own, which lays the rows [start, stop) out in the writer's one buffer and
    answers a view of their bytes (valid until its next call). One buffer per writer, its fixed
    fields (the field count, each field's length, the run) set once: a new table and a copy of
    it per slice had cost a million rights 0.7 GB of fresh memory, whose pages the kernel hands
    out one fault at a time (about as much system time as the writing's own)."""
    grades = _grade_bytes(batch)
    floats = _float_arrays(batch)
    dtype = np.dtype(
        [("n", ">i2"), ("l_right_id", ">i4"), ("right_id", ">i8"), ("l_run_id", ">i4"),
         ("run_id", ">i8"), ("l_grade", ">i4"), ("grade", grades.dtype)]
        + [item for name in _INT_COLUMNS for item in ((f"l_{name}", ">i4"), (name, ">i4"))]
        + [item for name in _FLOAT_COLUMNS for item in ((f"l_{name}", ">i4"), (name, ">f8"))]
    )  # fmt: skip
    ints = _int_arrays(portfolio)
    template = np.empty(min(_COPY_CHUNK, len(portfolio)), dtype=dtype)
    template["n"] = len(_COLUMNS)
    template["l_right_id"], template["l_run_id"], template["run_id"] = 8, 8, run_id
    template["l_grade"] = grades.dtype.itemsize
    for name in _INT_COLUMNS:
        template[f"l_{name}"] = 4
    for name in _FLOAT_COLUMNS:
        template[f"l_{name}"] = 8

    def slicer() -> Callable[[int, int], memoryview]:
        buffer = template.copy()

        def rows(start: int, stop: int) -> memoryview:
            table = buffer[: stop - start]
            table["right_id"] = portfolio.right_id[start:stop]
            table["grade"] = grades[start:stop]
            for name, values in ints.items():
                table[name] = values[start:stop]
            for name in _FLOAT_COLUMNS:
                table[name] = floats[name][start:stop]
            return table.view(np.uint8).data

        return rows

    return slicer


def _copy_binary(
    cursor: Any,
    target: str,
    slicer: Callable[[], Callable[[int, int], memoryview]],
    span: tuple[int, int],
    advance: Callable[[int], None],
) -> None:
    """COPY the rows of `span` into the table `target` (quoted), slice by slice (`_binary_rows`:
    each slice sent before the next is laid out in the same buffer)."""
    rows = slicer()
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    with cursor.cursor.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_PG_HEADER)
        for start in range(span[0], span[1], _COPY_CHUNK):
            stop = min(start + _COPY_CHUNK, span[1])
            copy.write(rows(start, stop))
            advance(stop - start)
        copy.write(_PG_TRAILER)


def _copy_postgresql(
    portfolio: Portfolio, batch: ScoreBatch, run_id: int, advance: Callable[[int], None]
) -> None:
    target = connection.ops.quote_name(RightScore._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {target}")
        _copy_binary(
            cursor, target, _binary_rows(portfolio, batch, run_id), (0, len(portfolio)), advance
        )


# At most this many connections for the parallel write.
MAX_WRITERS = 8


def _swappable_key(table: str | None = None) -> str | None:
    """The name of the score table's primary key when a table built beside it (`LIKE` with its
    defaults and checks, then keyed) can replace it whole (`_write_swapped`): an ordinary,
    logged, unpartitioned table owned by this connection's user, with no index but its key,
    no constraint but its key and checks, no grant (on it or a column), comment, storage
    option, row security or replica identity of its own, in no publication, and nothing
    depending on it (a view, a function, a trigger, a policy, statistics, a foreign key into
    it): whatever the new table would lack. None otherwise (the write then truncates)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT array_agg(conname::text) FROM pg_constraint "
            "        WHERE conrelid = c.oid AND contype NOT IN ('c', 'n')), "
            "       (SELECT array_agg(contype::text) FROM pg_constraint "
            "        WHERE conrelid = c.oid AND contype NOT IN ('c', 'n')), "
            "       (SELECT COUNT(*) FROM pg_index WHERE indrelid = c.oid), "
            "       (SELECT COUNT(*) FROM pg_constraint WHERE confrelid = c.oid), "
            # Anything recorded as depending on the table but its own key, checks, defaults,
            # row type and TOAST table: views, functions, triggers, policies, statistics,
            # publications, sequences owned by a column.
            "       (SELECT COUNT(*) FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass "
            "        AND d.refobjid = c.oid AND NOT (d.classid IN ('pg_constraint'::regclass, "
            "        'pg_attrdef'::regclass, 'pg_type'::regclass) OR (d.classid = "
            "        'pg_class'::regclass AND (d.objid IN (SELECT indexrelid FROM pg_index "
            "        WHERE indrelid = c.oid) OR d.objid = c.reltoastrelid)))), "
            "       (SELECT COUNT(*) FROM pg_publication_rel WHERE prrelid = c.oid) "
            "       + (SELECT COUNT(*) FROM pg_description WHERE objoid = c.oid "
            "          AND classoid = 'pg_class'::regclass) "
            "       + (SELECT COUNT(*) FROM pg_attribute WHERE attrelid = c.oid "
            "          AND cardinality(attacl) > 0) "
            "       + (SELECT COUNT(*) FROM pg_inherits WHERE inhrelid = c.oid "
            "          OR inhparent = c.oid), "
            "       c.relkind = 'r' AND c.relpersistence = 'p' AND c.relreplident = 'd' "
            # Grants: none but the owner's own (a revoked grant leaves them spelt out).
            "       AND (c.relacl IS NULL OR c.relacl = acldefault('r', c.relowner)) "
            "       AND c.reloptions IS NULL AND NOT c.relrowsecurity "
            "       AND pg_get_userbyid(c.relowner) = current_user "
            "FROM pg_class c WHERE c.oid = %s::regclass",
            [table or RightScore._meta.db_table],
        )
        names, kinds, indexes, referenced, dependents, attached, plain = cursor.fetchone()
    if kinds != ["p"] or indexes != 1 or referenced or dependents or attached or not plain:
        return None
    return str(names[0])


def _shape(table: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What a new table built `LIKE` the stored one must repeat: its columns (name, type,
    nullability, default, storage, compression, in order) and its checks (name, definition)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid), a.attstorage, a.attcompression "
            "FROM pg_attribute a LEFT JOIN pg_attrdef d "
            "ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            [table],
        )
        columns = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'c' ORDER BY conname",
            [table],
        )
        return columns, [tuple(row) for row in cursor.fetchall()]


class _SwapRefused(Exception):
    """The stored table changed while the new one was written (a migration, an index added):
    the new one no longer replaces it whole."""


def _before_scores_swap() -> None:
    """Nothing: the moment the new scores are written beside the stored ones, not yet in their
    place, where a test reads what the others see, or changes the stored table."""


def _after_scores_swap() -> None:
    """Nothing: the moment the new scores are in place in this connection's transaction, where
    a test reads what the others see before it commits."""


_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def _on_own_connections(work: Callable[[_Item], _Result], items: Sequence[_Item]) -> list[_Result]:
    """`work(item)` for every item at once, each in a thread of its own and so on a connection
    of its own (autocommit unless `work` opens a transaction), closed after; the results in
    order. What a connection's work commits, the others see, whatever transaction this one is
    in. A connection that cannot be had raises OperationalError."""

    def run(item: _Item) -> _Result:
        try:
            return work(item)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(run, items))


def _on_own_connection(work: Callable[[], _Result]) -> _Result:
    """`work()` on a connection of its own (`_on_own_connections`)."""
    return _on_own_connections(lambda _item: work(), [None])[0]


def _holds_lock_on(table: str) -> bool:
    """Whether this connection's transaction holds a lock of any mode on `table`: a connection
    of its own building a table `LIKE` it would then wait for this one, which waits for it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() "
            "AND locktype = 'relation' AND relation = %s::regclass)",
            [table],
        )
        return bool(cursor.fetchone()[0])


# The score table's columns its readers look rows up or aggregate by
# (ipfin.valuation.selectors: by right, and the scores' counts and averages).
_ANALYSED_COLUMNS = ("right_id", "score")


def _analyze(table: str) -> None:
    """Statistics for the new score table's `_ANALYSED_COLUMNS` at once (a third of the time of
    every column's: 0.15 s of 0.5 s on a million rights, measured). The others' come with
    autovacuum's next look: an ANALYZE limited to some columns leaves the table's count of
    changed rows as it was (PostgreSQL's analyze.c), a million new rows, so autovacuum analyses
    it whole soon after. Where autovacuum is off (the test machines' server), the others have
    none until an ANALYZE of the table: no reader looks rows up or aggregates by them."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in _ANALYSED_COLUMNS)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {quote(table)} ({columns})")
    except DatabaseError:  # the scores are in place: autovacuum will analyse them
        pass


# The advisory locks (namespace, run) a score run holds while its new table is written: the run's
# ScoreRun may be uncommitted (the background run's last step), and another session's
# `_drop_abandoned_tables` would otherwise take the table for abandoned and drop it mid-write.
_WRITING_LOCK = 0x5C07AB


def _writing_key(run_id: int) -> list[int]:
    return [_WRITING_LOCK, int(run_id) & 0x7FFFFFFF]


@contextmanager
def _writing(run_id: int) -> Iterator[None]:
    """Hold run `run_id`'s writing lock: inside a transaction to its commit or rollback (until
    then the new table, swapped in or not, is the run's), else to the block's end."""
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", _writing_key(run_id))
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", _writing_key(run_id))
    try:
        yield
    finally:
        with suppress(DatabaseError), connection.cursor() as cursor:  # else the session's end
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _writing_key(run_id))


def _drop_quietly(name: str) -> None:
    """Drop the new table `name` on a connection of its own; where none can be had (the server
    refusing connections), leave it to a later run's `_drop_abandoned_tables`."""
    with suppress(DatabaseError):
        _on_own_connection(lambda: _drop_table(name))


def _write_swapped(
    portfolio: Portfolio,
    batch: ScoreBatch,
    run_id: int,
    advance: Callable[[int], None],
    writers: int,
) -> bool:
    """Write the scores over `writers` connections at once into a new table beside the stored
    one, then put it in its place in one short transaction (the old dropped, the new renamed):
    readers see the old scores or the new, never half of each, and wait only for the swap,
    not for the write. Under the swap's lock the stored table is checked again, as it is then:
    changed meanwhile (a migration, an index, a grant), it is kept and the new one dropped.
    Answers False, the stored scores unchanged, where the table cannot be swapped
    (`_swappable_key`), a writer cannot connect or the table changed; the caller then writes
    them the single way.

    Inside a transaction (the background run's last step, which finishes the run in the same
    commit) the new table is built, filled and keyed on connections of their own, and only the
    swap joins the transaction: it takes effect with the commit, readers waiting from the swap
    to the commit, and is undone with a rollback (the new table then abandoned, dropped by a
    later run: `_drop_abandoned_tables`). Not where that transaction already holds a lock on
    the stored table: building the new table would wait for it."""
    table = RightScore._meta.db_table
    key = _swappable_key(table)
    if key is None or (connection.in_atomic_block and _holds_lock_on(table)):
        return False
    quote = connection.ops.quote_name
    fresh = f"{table}_next_{int(run_id)}"

    def build() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {quote(fresh)}")
            cursor.execute(
                f"CREATE TABLE {quote(fresh)} (LIKE {quote(table)} INCLUDING DEFAULTS "
                "INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)"
            )
        shape = _shape(table)
        if _shape(fresh) != shape:
            raise _SwapRefused
        return shape

    def add_key() -> None:
        # The key built on the new table before the swap: the lock is held for the swap only.
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {quote(fresh)} ADD CONSTRAINT {quote(fresh + '_pkey')} "
                "PRIMARY KEY (right_id)"
            )

    with _writing(run_id):
        try:
            shape = _on_own_connection(build)
            slicer = _binary_rows(portfolio, batch, run_id)
            count = len(portfolio)
            spans = span_ranges(0, count - 1, count, max(1, -(-count // writers)))
            lock = threading.Lock()

            def advance_shared(n: int) -> None:
                with lock:
                    advance(n)

            def write(span: tuple[int, int]) -> None:
                with transaction.atomic(), connection.cursor() as cursor:
                    _copy_binary(
                        cursor, quote(fresh), slicer, (span[0], span[1] + 1), advance_shared
                    )

            _on_own_connections(write, spans)
            _on_own_connection(add_key)
            _before_scores_swap()
            # A savepoint inside the caller's transaction: a refused swap leaves that usable.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {quote(table)} IN ACCESS EXCLUSIVE MODE")
                if _swappable_key(table) != key or _shape(table) != shape:
                    raise _SwapRefused
                cursor.execute(f"DROP TABLE {quote(table)}")
                cursor.execute(f"ALTER TABLE {quote(fresh)} RENAME TO {quote(table)}")
                cursor.execute(
                    f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(fresh + '_pkey')} "
                    f"TO {quote(key)}"
                )
            _after_scores_swap()
        except (_SwapRefused, OperationalError):
            _drop_quietly(fresh)
            return False
        except BaseException:
            _drop_quietly(fresh)
            raise
        # A new table has no statistics yet. After the commit: inside the caller's transaction it
        # would keep readers waiting on the swap's lock for as long as it takes.
        transaction.on_commit(lambda: _analyze(table))
        return True


def _drop_abandoned_tables(table: str) -> None:
    """Drop the new tables of score runs that will never swap them in (a process killed while
    writing): those of runs finished, gone, or started more than a day ago. A run still
    writing keeps its own: its run is live, or it holds the table's writing lock (a run whose
    ScoreRun is not yet committed, as in the background run's last step, looks gone)."""
    prefix = f"{table}_next_"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND starts_with(tablename, %s)",
            [prefix],
        )
        names = [str(name) for (name,) in cursor.fetchall()]
    runs = {name: int(name[len(prefix) :]) for name in names if name[len(prefix) :].isdigit()}
    live = set(
        ScoreRun.objects.filter(
            pk__in=runs.values(),
            finished_at__isnull=True,
            started_at__gte=timezone.now() - timedelta(days=1),
        ).values_list("pk", flat=True)
    )
    for name, run in runs.items():
        if run in live:
            continue
        with connection.cursor() as cursor:
            # A run writing it now, its ScoreRun not yet committed, holds this lock.
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _writing_key(run))
            if not cursor.fetchone()[0]:
                continue
        try:
            _drop_table(name)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _writing_key(run))


def _drop_table(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")


def _insert_sqlite(
    portfolio: Portfolio, batch: ScoreBatch, run_id: int, advance: Callable[[int], None]
) -> None:
    floats = _float_arrays(batch)
    ints = _int_arrays(portfolio)
    grades = batch.grade_labels()
    n = len(portfolio)
    quote = connection.ops.quote_name
    target = quote(RightScore._meta.db_table)
    columns = ", ".join(quote(c) for c in _COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    sql = f"INSERT INTO {target} ({columns}) VALUES ({marks})"  # noqa: S608 - model names
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {target}")  # noqa: S608 - model name
        for start in range(0, n, _COPY_CHUNK):
            stop = min(start + _COPY_CHUNK, n)
            rows = zip(
                portfolio.right_id[start:stop].tolist(),
                [run_id] * (stop - start),
                grades[start:stop],
                *(ints[name][start:stop].tolist() for name in _INT_COLUMNS),
                *(floats[name][start:stop].tolist() for name in _FLOAT_COLUMNS),
                strict=True,
            )
            cursor.executemany(sql, list(rows))
            advance(stop - start)


def write_scores(
    portfolio: Portfolio,
    batch: ScoreBatch,
    *,
    run_id: int,
    advance: Callable[[int], None] = lambda n: None,
) -> float:
    """Replace every stored RightScore with `batch` (one row per right of `portfolio`):
    readers see the old set or the new one, never half of each. On PostgreSQL over
    IPFIN_SCORE_WRITERS connections into a new table swapped in at the end (`_write_swapped`,
    also inside the caller's transaction: the background run's last step); otherwise in one
    transaction, where on PostgreSQL the TRUNCATE holds an exclusive lock until the commit, so
    a score read waits for the write (a few seconds for a million rights) rather than seeing an
    empty table. Returns the seconds taken."""
    start = time.perf_counter()
    writers = min(settings.IPFIN_SCORE_WRITERS, MAX_WRITERS)
    reported = 0  # rows a swapped write reported before it gave way to the single write

    def counted(n: int) -> None:
        nonlocal reported
        reported += n
        advance(n)

    def rest(n: int) -> None:
        nonlocal reported
        skipped = min(reported, n)
        reported -= skipped
        if n > skipped:
            advance(n - skipped)

    if connection.vendor == "postgresql":
        _drop_abandoned_tables(RightScore._meta.db_table)
    if (
        connection.vendor == "postgresql"
        and writers > 1
        and len(portfolio) > 1
        and _write_swapped(portfolio, batch, run_id, counted, writers)
    ):
        return time.perf_counter() - start
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy_postgresql(portfolio, batch, run_id, rest)
        else:
            _insert_sqlite(portfolio, batch, run_id, rest)
    return time.perf_counter() - start
