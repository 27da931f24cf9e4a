"""The nightly scoring as a background job: the chunks read their ranges of rights into the stage
in parallel, the last step scores the whole staged register. On SQLite and PostgreSQL in-process
(no broker), and on two real Celery workers over RabbitMQ: the same scores as the command's own
run, whichever way and however often it ran."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command

from ipfin.accounts.models import User
from ipfin.common.tests.concurrency import all_at_once
from ipfin.jobs.models import JobChunk, JobRun, JobState
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record
from ipfin.valuation.models import RightScore, ScoreRun, ScoreStage
from ipfin.valuation.portfolio import (
    _PACK_SHIFT,
    _PACKED,
    _RAW,
    _packed_blocks,
    _unpacked,
    portfolio_id_ranges,
    read_staged,
    stage_portfolio,
    staged_count,
)


def _register(make_right: Callable[..., Right], examiner: User, day: date) -> list[Right]:
    rights = [
        make_right(
            ipc_main="G06F16/33", ipc_codes="G06F16/33;G06F17/30", filing_date=date(2015, 3, 2)
        ),
        make_right(ipc_main="G06F3/01", ipc_codes="G06F3/01;H04L9/00;A61B5/00"),
        make_right(grant_date=None, ipc_main="G06F1/00"),
        make_right(ipc_main="H01M10/42"),
        make_right(kind="utility_model", ipc_main="H01M10/44", filing_date=date(2019, 7, 8)),
        make_right(kind="trademark", mark_text="星火", nice_classes=[9]),
        make_right(ipc_main=""),
    ]
    right_event_record(
        actor=examiner, right=rights[3], type="licence", date=day - timedelta(days=9),
        payload={"licence_type": "ordinary", "licensee": "丙公司"},
    )  # fmt: skip
    right_event_record(
        actor=examiner, right=rights[0], type="preservation", date=day - timedelta(days=3)
    )
    return rights


def _scores() -> dict[int, tuple[Any, ...]]:
    fields = (
        "score", "grade", "cohort_size", "cohort_basis", "cohort_from", "cohort_to",
        "share_below", "c_licence_count",
    )  # fmt: skip
    return {row[0]: row[1:] for row in RightScore.objects.values_list("right_id", *fields)}


def _assert_same_portfolio(got: Any, expected: Any, ids: list[int]) -> None:
    """The same rights (`ids`, in id order), columns (NaN alike), cohort sizes and first
    cohort years, whatever order each read them in."""
    order_g, order_e = got.right_id.argsort(), expected.right_id.argsort()
    assert got.right_id[order_g].tolist() == expected.right_id[order_e].tolist() == ids
    for name, column in expected.columns.items():
        assert got.columns[name][order_g].tolist() == pytest.approx(
            column[order_e].tolist(), nan_ok=True
        ), name
    assert got.cohorts.size[order_g].tolist() == expected.cohorts.size[order_e].tolist()
    assert got.cohorts.year_from[order_g].tolist() == expected.cohorts.year_from[order_e].tolist()


def _licences(p: Any, ids: list[int]) -> list[float]:
    """The licence counts the portfolio `p` read of the first and the last of `ids`."""
    at = {int(i): k for k, i in enumerate(p.right_id)}
    return [float(p.columns["licence_count"][at[i]]) for i in (ids[0], ids[-1])]


def _on_another_connection(work: Callable[[], Any]) -> Callable[[], None]:
    """A hook that runs `work` in a thread of its own, so on a connection of its own (closed
    after), and waits for it: another user acting at that moment. What `work` raises is
    raised by the hook."""

    def hook() -> None:
        all_at_once(1, lambda _i: work())

    return hook


def _licences_meanwhile(examiner: User, ids: list[int], day: date) -> Callable[[], None]:
    """A hook that records ordinary licences of the first and the last of `ids`, in one
    transaction on a connection of its own (`_on_another_connection`)."""
    rights = [Right.objects.get(pk=ids[0]), Right.objects.get(pk=ids[-1])]

    def licence() -> None:
        from django.db import transaction

        with transaction.atomic():
            for right in rights:
                right_event_record(
                    actor=examiner, right=right, type="licence", date=day,
                    payload={"licence_type": "ordinary", "licensee": "丁公司"},
                )  # fmt: skip

    return _on_another_connection(licence)


def test_id_ranges_cover_the_register_in_pieces_of_the_size_asked(
    make_right: Callable[..., Right], examiner: User, today: date
) -> None:
    assert portfolio_id_ranges(3) == [(0, 0)]  # an empty register: one empty range
    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    ranges = portfolio_id_ranges(3)
    assert len(ranges) == 3  # 7 rights, 3 a chunk
    assert ranges[0][0] == ids[0] and ranges[-1][1] == ids[-1]
    covered = [i for i in ids if any(lo <= i <= hi for lo, hi in ranges)]
    assert covered == ids
    assert all(hi < lo2 for (_, hi), (lo2, _) in itertools.pairwise(ranges))
    with pytest.raises(ValueError):
        portfolio_id_ranges(0)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_read_over_several_connections_equals_the_single_read(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: the command's read cut into ranges of rights read over as many connections
    at once (IPFIN_SCORE_READERS) gives the single query's rights and columns; inside a
    transaction (where other connections would not see its rows) the single read runs."""
    from django.db import transaction

    from ipfin.valuation import portfolio

    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    settings.IPFIN_SCORE_READERS = 1
    single = portfolio.read_portfolio(on=today, min_cohort=2)
    settings.IPFIN_SCORE_READERS = 3
    ranges: list[int] = []
    original = portfolio._read_in_ranges

    def counted(on: date, readers: int) -> Any:
        ranges.append(readers)
        return original(on, readers)

    monkeypatch.setattr(portfolio, "_read_in_ranges", counted)  # a spy: it reads as before
    several = portfolio.read_portfolio(on=today, min_cohort=2)
    with transaction.atomic():
        inside = portfolio.read_portfolio(on=today, min_cohort=2)
    assert ranges == [3]  # the read inside the transaction was the single one
    for other in (several, inside):
        _assert_same_portfolio(other, single, ids)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_readers_all_read_one_moment_of_the_register(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: a change committed after the read began (here: licences of the first and
    the last right, in one transaction, between the snapshot and the readers' queries) is in
    none of the ranges, not in one of them; the next read sees it in both."""
    from ipfin.valuation import portfolio

    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    settings.IPFIN_SCORE_READERS = 2

    meanwhile = _licences_meanwhile(examiner, ids, today)

    monkeypatch.setattr(portfolio, "_before_ranges_read", meanwhile)
    assert _licences(portfolio.read_portfolio(on=today, min_cohort=2), ids) == [0.0, 0.0]
    monkeypatch.setattr(portfolio, "_before_ranges_read", lambda: None)
    assert _licences(portfolio.read_portfolio(on=today, min_cohort=2), ids) == [1.0, 1.0]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_single_read_block_by_block_reads_one_moment_of_the_register(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL, one reader: the read packs each block of right ids by a statement of its own
    (here blocks of one id); licences of the first and the last right committed after the first
    block was read are in neither block's rows, not in the last one only; the next read sees
    both."""
    from ipfin.valuation import portfolio

    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    settings.IPFIN_SCORE_READERS = 1
    monkeypatch.setattr(portfolio, "_PACK_SHIFT", 0)

    meanwhile = _licences_meanwhile(examiner, ids, today)
    fetch, fetched = portfolio._fetch_binary, []

    def fetch_then_commit(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        rows = fetch(sql, params)
        fetched.append(len(rows))
        if len(fetched) == 1:
            meanwhile()  # after the first block's statement, before the others'
        return rows

    monkeypatch.setattr(portfolio, "_fetch_binary", fetch_then_commit)
    assert _licences(portfolio.read_portfolio(on=today, min_cohort=2), ids) == [0.0, 0.0]
    assert len(fetched) == len(ids)  # a statement per block
    monkeypatch.setattr(portfolio, "_fetch_binary", fetch)
    assert _licences(portfolio.read_portfolio(on=today, min_cohort=2), ids) == [1.0, 1.0]


def test_staged_read_equals_the_direct_read_and_staging_twice_changes_nothing(
    make_right: Callable[..., Right], examiner: User, today: date
) -> None:
    from ipfin.valuation.portfolio import read_portfolio

    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    middle = ids[3]
    assert stage_portfolio(job=41, on=today, lo=ids[0], hi=middle) == 4
    assert stage_portfolio(job=41, on=today, lo=middle + 1, hi=ids[-1]) == 3
    assert stage_portfolio(job=41, on=today, lo=ids[0], hi=middle) == 4  # a chunk again
    assert staged_count(job=41) == 7
    # One packed row per block of right ids within each chunk.
    blocks = {(i <= middle, i >> _PACK_SHIFT) for i in ids}
    assert ScoreStage.objects.filter(job=41).count() == len(blocks)

    staged = read_staged(job=41, on=today, min_cohort=2)
    direct = read_portfolio(on=today, min_cohort=2)
    # The filing years themselves too (SQLite's strftime inside the INSERT … SELECT).
    _assert_same_portfolio(staged, direct, ids)
    assert {2015, 2019} <= set(direct.cohorts.year_from.tolist())


def test_the_cohorts_and_the_columns_made_side_by_side_are_those_made_one_after_the_other(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A register as large as `scoring_threads` gives two threads to has its cohorts and its
    columns made side by side: the same as one after the other (forced here on a small one).
    The office's holiday arrangements (for the annuities' grace) are read by the caller, in its
    transaction, where one entered and not yet committed counts: a pool thread would read them
    on a connection of its own."""
    from django.db import connection

    from ipfin.holidays import selectors as holidays
    from ipfin.holidays.models import HolidayArrangement, HolidayArrangementDay
    from ipfin.valuation import portfolio

    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    arrangement = HolidayArrangement.objects.create(year=today.year + 1, notice="测试")
    HolidayArrangementDay.objects.create(
        arrangement=arrangement, day=date(today.year + 1, 1, 2), kind="holiday"
    )
    entered = HolidayArrangementDay.objects.count()  # with the one just entered
    read_by: list[tuple[str, bool, int]] = []
    office = holidays._office_arrangements

    def office_read() -> Any:
        days = HolidayArrangementDay.objects.count()  # what this connection sees
        read_by.append((threading.current_thread().name, connection.in_atomic_block, days))
        return office()

    monkeypatch.setattr(holidays, "_office_arrangements", office_read)
    monkeypatch.setattr(portfolio, "scoring_threads", lambda n: 1)
    alone = portfolio.read_portfolio(on=today, min_cohort=2)
    made = []
    for name in ("cohorts_of", "score_columns"):  # each made on a thread of the pool
        original = getattr(portfolio, name)

        def spy(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            made.append(threading.current_thread().name.startswith("portfolio"))
            return _original(*args, **kwargs)

        monkeypatch.setattr(portfolio, name, spy)
    monkeypatch.setattr(portfolio, "scoring_threads", lambda n: 2)
    side_by_side = portfolio.read_portfolio(on=today, min_cohort=2)
    assert made == [True, True]
    assert read_by == [(threading.current_thread().name, True, entered)] * 2
    _assert_same_portfolio(side_by_side, alone, ids)
    assert side_by_side.cohorts.basis.tolist() == alone.cohorts.basis.tolist()
    assert side_by_side.cohorts.year_to.tolist() == alone.cohorts.year_to.tolist()


@pytest.mark.parametrize("shift", [0, 1])
def test_blocks_of_one_or_two_ids_read_and_stage_the_register_as_one_block_does(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    monkeypatch: pytest.MonkeyPatch,
    shift: int,
) -> None:
    """Each block of right ids is read (and staged) by a statement of its own: blocks cut at
    every id or every second one, within each chunk's range, read the same register as the
    one block that holds these few rights at the block size of a real run; each chunk stages
    one row per block it holds, a block cut by a chunk's edge in each."""
    from ipfin.valuation import portfolio
    from ipfin.valuation.portfolio import read_portfolio

    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    whole = read_portfolio(on=today, min_cohort=2)
    monkeypatch.setattr(portfolio, "_PACK_SHIFT", shift)
    middle = ids[3]
    assert stage_portfolio(job=43, on=today, lo=ids[0], hi=middle) == 4
    assert stage_portfolio(job=43, on=today, lo=middle + 1, hi=ids[-1]) == 3
    blocks = {(i <= middle, i >> shift) for i in ids}
    assert ScoreStage.objects.filter(job=43).count() == len(blocks) > 1
    _assert_same_portfolio(read_staged(job=43, on=today, min_cohort=2), whole, ids)
    _assert_same_portfolio(read_portfolio(on=today, min_cohort=2), whole, ids)


def test_a_stage_short_of_what_the_chunks_read_fails_the_run_and_keeps_the_scores(
    make_right: Callable[..., Right], examiner: User, today: date
) -> None:
    from ipfin.jobs.registry import QUEUED_ON_KEY, RUN_KEY, job_spec

    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    call_command("score_portfolio", "--on", today.isoformat(), "--no-progress", stdout=StringIO())
    before = _scores()
    staged = stage_portfolio(job=52, on=today, lo=ids[0], hi=ids[3])
    staged += stage_portfolio(job=52, on=today, lo=ids[4], hi=ids[-1])
    # As a crash of the server would empty the UNLOGGED table: the first chunk's rows are gone.
    ScoreStage.objects.filter(job=52, first_id__lte=ids[3]).delete()
    finish = job_spec("score_portfolio").finish
    assert finish is not None
    params = {RUN_KEY: 52, QUEUED_ON_KEY: today.isoformat()}
    with pytest.raises(RuntimeError, match="the stage holds 3 rights where the chunks read 7"):
        finish(params, {"rights_read": staged})
    assert _scores() == before


def test_a_packed_block_shorter_than_its_count_of_rights_is_refused(
    make_right: Callable[..., Right], examiner: User, today: date
) -> None:
    """A NULL in a row drops the row from PostgreSQL's string_agg: the count and the bytes
    disagree, and the read back refuses the stage rather than score without that right."""
    ids = sorted(r.pk for r in _register(make_right, examiner, today))
    stage_portfolio(job=53, on=today, lo=ids[0], hi=ids[-1])
    block = ScoreStage.objects.filter(job=53).order_by("first_id").first()
    assert block is not None
    block.columns = bytes(block.columns)[: -_PACKED.itemsize]
    block.save()
    with pytest.raises(RuntimeError, match="a block is incomplete"):
        read_staged(job=53, on=today, min_cohort=2)


def test_packed_blocks_split_by_block_of_ids_and_read_back_row_by_row() -> None:
    ids = np.array([70_000, 1, 65_535, 65_536, 200_000], dtype=np.int64)
    raw = {name: ids * (k + 1) for k, name in enumerate(_RAW)}
    raw["id"] = ids
    blocks = _packed_blocks(raw)
    assert [(first, n) for first, n, _ in blocks] == [(1, 2), (65_536, 2), (200_000, 1)]
    rows = np.frombuffer(b"".join(p for _, _, p in blocks), dtype=_PACKED)
    assert sorted(rows["id"].tolist()) == sorted(ids.tolist())
    for row in rows:  # every row whole: each column k is (k + 1) times the id
        values = [int(v) for v in row.tolist()]
        assert values == [values[0]] + [values[0] * (k + 1) for k in range(1, len(_RAW))]
    # The id and the field hashes are 8 bytes, every other column 4 (148 bytes a right).
    assert _PACKED.itemsize == 4 * 8 + (len(_RAW) - 4) * 4
    unpacked = _unpacked([(n, packed) for _, n, packed in blocks], "the test's blocks")
    assert sorted(unpacked["id"].tolist()) == sorted(ids.tolist())
    for name in _RAW:  # each column k of each right is (k + 1) times its id, as packed
        k = 0 if name == "id" else _RAW.index(name)
        assert unpacked[name].tolist() == [i * (k + 1) for i in unpacked["id"].tolist()]
    assert unpacked["field"].dtype == np.int64


@pytest.mark.parametrize("sizes", [[3, 1, 4, 1, 5], [1, 9], [9, 1], [2]])
def test_two_threads_unpack_the_blocks_as_one_does(
    sizes: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large read is unpacked by two threads, each a run of whole blocks into its own rows:
    the columns are those one thread unpacks, whatever the blocks' sizes (forced on small ones);
    a block short of its count is refused before either begins."""
    from ipfin.valuation import portfolio

    ids = np.arange(1, sum(sizes) + 1, dtype=np.int64) * 70_000  # a block of ids each
    raw = {name: ids * (k + 1) for k, name in enumerate(_RAW)}
    blocks = _packed_blocks(raw)
    cut = np.cumsum([0, *sizes])
    # Regrouped into blocks of the sizes asked (the packed rows of consecutive ids joined).
    grouped = [
        (int(cut[i + 1] - cut[i]), b"".join(p for _, _, p in blocks[cut[i] : cut[i + 1]]))
        for i in range(len(sizes))
    ]
    monkeypatch.setattr(portfolio, "scoring_threads", lambda n: 1)
    alone = _unpacked(grouped, "the test's blocks")
    threads: list[str] = []
    original = portfolio._unpack_into

    def spy(*args: Any) -> None:
        threads.append(threading.current_thread().name)
        original(*args)

    monkeypatch.setattr(portfolio, "_unpack_into", spy)
    monkeypatch.setattr(portfolio, "scoring_threads", lambda n: 2)
    both = _unpacked(grouped, "the test's blocks")
    assert len(threads) == (2 if len(sizes) > 1 else 1)
    assert all(name.startswith("unpack") for name in threads) == (len(sizes) > 1)
    for name in _RAW:
        assert both[name].tolist() == alone[name].tolist() == raw[name].tolist(), name
    short = [*grouped[:-1], (grouped[-1][0], grouped[-1][1][: -_PACKED.itemsize])]
    with pytest.raises(RuntimeError, match="a block is incomplete"):
        _unpacked(short, "the test's blocks")
    if len(sizes) > 1:  # a row moved from one block to the next: the bytes add up, not per block
        first, second = grouped[0], grouped[1]
        moved = [
            (first[0], first[1][: -_PACKED.itemsize]),
            (second[0], first[1][-_PACKED.itemsize :] + second[1]),
            *grouped[2:],
        ]
        with pytest.raises(RuntimeError, match=f"for a block of {first[0]} rights"):
            _unpacked(moved, "the test's blocks")
    assert len(threads) == (2 if len(sizes) > 1 else 1)  # neither begun for a refused read


def test_packing_refuses_a_count_beyond_a_32_bit_integer() -> None:
    ids = np.array([1, 2], dtype=np.int64)
    raw = {name: np.zeros(2, dtype=np.int64) for name in _RAW}
    raw["id"] = ids
    raw["field"] = np.array([2**62, -(2**62)], dtype=np.int64)  # a hash: 64 bits kept
    assert len(_packed_blocks(raw)) == 1
    raw["claims"] = np.array([1, 2**31], dtype=np.int64)
    with pytest.raises(ValueError, match="claims holds a value beyond a 32-bit integer"):
        _packed_blocks(raw)


def test_background_run_in_chunks_scores_as_the_command_does(
    make_right: Callable[..., Right], examiner: User, settings: Any, today: date
) -> None:
    _register(make_right, examiner, today)
    call_command("score_portfolio", "--on", today.isoformat(), "--no-progress", stdout=StringIO())
    direct = _scores()
    assert len(direct) == 7

    settings.IPFIN_SCORE_CHUNK_SIZE = 2
    out = StringIO()
    call_command(
        "score_portfolio", "--on", today.isoformat(), "--async", "--wait", "60", stdout=out
    )
    run = JobRun.objects.get(name="score_portfolio")
    assert run.state == JobState.DONE, run.error
    assert (run.chunks_total, run.chunks_done) == (4, 4)
    assert run.result is not None
    assert run.result["rights_read"] == run.result["rights_scored"] == 7
    assert ScoreRun.objects.filter(pk=run.result["score_run"]).exists()
    assert _scores() == direct
    assert not ScoreStage.objects.exists()  # the stage is cleared with the write

    # A stage an earlier failed run left behind goes at the next run's start, and its rows are
    # never scored.
    ScoreStage.objects.create(job=run.pk, first_id=10**9, rights=1, columns=bytes(_PACKED.itemsize))
    call_command(
        "score_portfolio", "--on", today.isoformat(), "--async", "--wait", "60", stdout=StringIO()
    )
    again = JobRun.objects.filter(name="score_portfolio").order_by("-pk").first()
    assert again is not None and again.state == JobState.DONE
    assert again.result is not None and again.result["rights_scored"] == 7
    assert _scores() == direct and not ScoreStage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_on_two_workers_the_chunks_are_shared_and_the_scores_are_the_same(
    make_right: Callable[..., Right], examiner: User, celery_workers: Any, today: date
) -> None:
    _register(make_right, examiner, today)
    call_command("score_portfolio", "--on", today.isoformat(), "--no-progress", stdout=StringIO())
    direct = _scores()
    RightScore.objects.all().delete()
    for _ in range(2):
        celery_workers.start(IPFIN_SCORE_CHUNK_SIZE="1")
    done = celery_workers.send(
        "score_portfolio", "--on", today.isoformat(), "--async", "--wait", "120", timeout=180
    )
    assert done.returncode == 0, done.stderr.decode() + celery_workers.log(0)
    run = JobRun.objects.get(name="score_portfolio")
    assert run.on_workers and run.state == JobState.DONE
    assert (run.chunks_total, run.chunks_done) == (7, 7)
    assert JobChunk.objects.filter(run=run, attempts=1).count() == 7
    assert _scores() == direct
    assert not ScoreStage.objects.exists()


def _full_scores() -> dict[int, tuple[Any, ...]]:
    fields = [f.attname for f in RightScore._meta.concrete_fields if f.attname != "scored_at"]
    return {row[0]: row[1:] for row in RightScore.objects.values_list(*fields)}


def _swap_outcomes(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each swapped write answered (a spy: it writes as before)."""
    from ipfin.valuation import portfolio

    outcomes: list[bool] = []
    original = portfolio._write_swapped

    def spy(*args: Any) -> bool:
        outcomes.append(original(*args))
        return outcomes[-1]

    monkeypatch.setattr(portfolio, "_write_swapped", spy)
    return outcomes


def _next_tables() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'valuation_rightscore_next%%'"
        )
        return {name for (name,) in cursor.fetchall()}


def _score_table_shape() -> list[Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'valuation_rightscore'::regclass ORDER BY conname"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index "
            "WHERE indrelid = 'valuation_rightscore'::regclass"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT column_name, data_type, is_nullable, column_default FROM "
            "information_schema.columns WHERE table_name = 'valuation_rightscore' "
            "ORDER BY ordinal_position"
        )
        return [constraints, indexes, cursor.fetchall()]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_write_over_several_connections_swaps_in_the_same_scores(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: the command's write over IPFIN_SCORE_WRITERS connections into a new table
    swapped in at the end stores exactly what the single COPY stores, in a table of the same
    shape (columns, defaults, key, checks: what the migrations made); while the new scores
    are written beside them, another connection still reads the old ones, whole."""
    from django.db import connection

    from ipfin.valuation import portfolio
    from ipfin.valuation.services.scoring import portfolio_score

    _register(make_right, examiner, today)
    shape = _score_table_shape()
    settings.IPFIN_SCORE_WRITERS = 1
    old_run = portfolio_score(on=today - timedelta(days=400), min_cohort=2)
    single_old = _full_scores()
    single = portfolio_score(on=today, min_cohort=2)
    expected = {pk: row[1:] for pk, row in _full_scores().items()}  # the run's id aside
    portfolio_score(on=today - timedelta(days=400), min_cohort=2)  # the old scores again

    settings.IPFIN_SCORE_WRITERS = 3
    seen: list[dict[int, tuple[Any, ...]]] = []

    swapped = _swap_outcomes(monkeypatch)
    monkeypatch.setattr(
        portfolio,
        "_before_scores_swap",
        _on_another_connection(lambda: seen.append(_full_scores())),
    )
    run = portfolio_score(on=today, min_cohort=2)
    assert swapped == [True]
    assert run.pk != single.pk and run.rights_scored == single.rights_scored == 7
    stored = _full_scores()
    assert {pk: row[1:] for pk, row in stored.items()} == expected
    assert {row[0] for row in stored.values()} == {run.pk}
    # The old scores, all of them, from the other connection during the write.
    old = {pk: row[1:] for pk, row in single_old.items()}
    assert [{pk: r[1:] for pk, r in s.items()} for s in seen] == [old]
    assert {row[0] for row in single_old.values()} == {old_run.pk}
    assert _score_table_shape() == shape
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'valuation_rightscore_next%%'"
        )
        assert cursor.fetchone()[0] == 0
        # The database's default still stamps a row written without it (the shape carried over).
        cursor.execute(
            "SELECT COUNT(*) FROM valuation_rightscore WHERE scored_at > now() - interval '1 hour'"
        )
        assert cursor.fetchone()[0] == 7


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("writers", [1, 2])
def test_rows_laid_out_slice_by_slice_in_one_buffer_store_what_one_slice_stores(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    writers: int,
) -> None:
    """PostgreSQL: each writer lays its slices of the binary COPY out in one buffer of its own,
    each sent before the next is laid over it: slices of two rights (the last of one) store
    exactly what one slice of all stores, by the single write and by the swapped one."""
    from ipfin.valuation import portfolio
    from ipfin.valuation.services.scoring import portfolio_score

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = writers
    portfolio_score(on=today, min_cohort=2)
    whole = {pk: row[1:] for pk, row in _full_scores().items()}  # the run's id aside
    monkeypatch.setattr(portfolio, "_COPY_CHUNK", 2)
    portfolio_score(on=today - timedelta(days=400), min_cohort=2)  # other scores between
    assert {pk: row[1:] for pk, row in _full_scores().items()} != whole
    portfolio_score(on=today, min_cohort=2)
    assert {pk: row[1:] for pk, row in _full_scores().items()} == whole
    assert len(whole) == 7


def _analysed_columns() -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_stats WHERE schemaname = current_schema() "
            "AND tablename = 'valuation_rightscore'"
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_swapped_table_comes_with_statistics_of_the_columns_its_readers_use(
    make_right: Callable[..., Right], examiner: User, today: date, settings: Any
) -> None:
    """PostgreSQL: a new table has no statistics; the swapped write analyses the columns the
    scores are looked up and aggregated by (right, score) before it answers, and only those
    (a third of the time of all; autovacuum analyses the rest)."""
    from ipfin.valuation.portfolio import _ANALYSED_COLUMNS
    from ipfin.valuation.services.scoring import portfolio_score

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = 2
    portfolio_score(on=today, min_cohort=2)
    assert _analysed_columns() == set(_ANALYSED_COLUMNS) == {"right_id", "score"}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_write_truncates_when_the_table_has_more_than_a_new_one_would_carry(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: an index the swap would not carry over (added by hand, or by a later
    migration the swap does not know) makes the write fall back to the single COPY, the index
    kept, inside a transaction as outside (where it swaps otherwise: the background run's last
    step)."""
    from django.db import connection, transaction

    from ipfin.valuation import portfolio
    from ipfin.valuation.services.scoring import portfolio_score

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = 2
    assert portfolio._swappable_key() == "valuation_rightscore_pkey"
    calls = _swap_outcomes(monkeypatch)
    with transaction.atomic():
        portfolio_score(on=today, min_cohort=2)
    assert calls == [True]  # inside a transaction too
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX score_by_grade_test ON valuation_rightscore (grade)")
    try:
        assert portfolio._swappable_key() is None
        run = portfolio_score(on=today, min_cohort=2)
        with transaction.atomic():
            in_transaction = portfolio_score(on=today, min_cohort=2)
        assert calls == [True, False, False]
        assert RightScore.objects.filter(run=in_transaction).count() == 7
        assert in_transaction.pk != run.pk
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('score_by_grade_test') IS NOT NULL")
            assert cursor.fetchone()[0]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS score_by_grade_test")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_swapped_write_drops_the_new_tables_abandoned_by_killed_runs(
    make_right: Callable[..., Right], examiner: User, today: date, settings: Any
) -> None:
    """PostgreSQL: a run killed while writing leaves its new table; the next write drops it
    (its run finished, gone, or a day old), never the table of a run still writing."""
    from django.db import connection
    from django.utils import timezone

    from ipfin.valuation.services.scoring import portfolio_score

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = 2
    finished = portfolio_score(on=today, min_cohort=2)
    writing = ScoreRun.objects.create(started_at=timezone.now())
    stale = ScoreRun.objects.create(started_at=timezone.now() - timedelta(days=2))
    names = {
        run: f"valuation_rightscore_next_{run}"
        for run in (finished.pk, writing.pk, stale.pk, 999999)
    }
    with connection.cursor() as cursor:
        for name in names.values():
            cursor.execute(f"CREATE TABLE {name} (LIKE valuation_rightscore)")
    try:
        portfolio_score(on=today, min_cohort=2)
        assert _next_tables() == {names[writing.pk]}
    finally:
        with connection.cursor() as cursor:
            for name in names.values():
                cursor.execute(f"DROP TABLE IF EXISTS {name}")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_table_changed_during_the_write_is_kept_and_written_the_single_way(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: a column added to the stored table while the new one is written (a
    migration run meanwhile) is not lost by the swap: checked again under the swap's lock, the
    stored table is kept, the new one dropped, and the scores written into the stored table."""
    from django.db import connection

    from ipfin.valuation import portfolio
    from ipfin.valuation.services.scoring import portfolio_score

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = 2

    def migrate_meanwhile() -> None:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE valuation_rightscore ADD COLUMN note_test text")

    outcomes = _swap_outcomes(monkeypatch)
    monkeypatch.setattr(portfolio, "_before_scores_swap", migrate_meanwhile)
    try:
        run = portfolio_score(on=today, min_cohort=2)
        assert outcomes == [False]
        assert RightScore.objects.filter(run=run).count() == 7
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.columns "
                "WHERE table_name = 'valuation_rightscore' AND column_name = 'note_test'"
            )
            assert cursor.fetchone()[0] == 1
            cursor.execute(
                "SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'valuation_rightscore_next%%'"
            )
            assert cursor.fetchone()[0] == 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE valuation_rightscore DROP COLUMN IF EXISTS note_test")


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("added", "removed"),
    [
        ("COMMENT ON TABLE valuation_rightscore IS 'scores'",
         "COMMENT ON TABLE valuation_rightscore IS NULL"),
        ("COMMENT ON COLUMN valuation_rightscore.grade IS 'A-D'",
         "COMMENT ON COLUMN valuation_rightscore.grade IS NULL"),
        ("GRANT SELECT ON valuation_rightscore TO PUBLIC",
         "REVOKE SELECT ON valuation_rightscore FROM PUBLIC"),
        ("GRANT SELECT (grade) ON valuation_rightscore TO PUBLIC",
         "REVOKE SELECT (grade) ON valuation_rightscore FROM PUBLIC"),
        ("CREATE VIEW score_view_test AS SELECT right_id FROM valuation_rightscore",
         "DROP VIEW score_view_test"),
        ("CREATE STATISTICS score_stats_test ON grade, cohort_basis FROM valuation_rightscore",
         "DROP STATISTICS score_stats_test"),
        ("ALTER TABLE valuation_rightscore SET (fillfactor = 90)",
         "ALTER TABLE valuation_rightscore RESET (fillfactor)"),
        ("ALTER TABLE valuation_rightscore REPLICA IDENTITY FULL",
         "ALTER TABLE valuation_rightscore REPLICA IDENTITY DEFAULT"),
    ],
)  # fmt: skip
@pytest.mark.django_db(transaction=True)
def test_what_a_new_table_would_lack_keeps_the_stored_one(added: str, removed: str) -> None:
    """PostgreSQL: a comment, a grant (on the table or a column), a view, statistics, a storage
    option or a replica identity of the stored table would be lost by the swap: with any of
    them the table is not swappable (the write truncates instead)."""
    from django.db import connection

    from ipfin.valuation import portfolio

    assert portfolio._swappable_key() == "valuation_rightscore_pkey"
    with connection.cursor() as cursor:
        cursor.execute(added)
    try:
        assert portfolio._swappable_key() is None
    finally:
        with connection.cursor() as cursor:
            cursor.execute(removed)
    assert portfolio._swappable_key() == "valuation_rightscore_pkey"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_background_runs_last_step_writes_over_several_connections(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: the run's last step, which scores and finishes the run in one transaction,
    writes the scores over IPFIN_SCORE_WRITERS connections into a new table too (it had
    written them over its own connection alone, 4.7 of its 7.9 s for a million rights); only
    the swap joins its transaction. Same scores as the command's; while they are written,
    another connection reads the old ones, whole, and from the swap to the run's commit it
    waits."""
    from ipfin.valuation import portfolio

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = 1
    call_command("score_portfolio", "--on", today.isoformat(), "--no-progress", stdout=StringIO())
    direct = _scores()
    call_command(
        "score_portfolio", "--on", (today - timedelta(days=400)).isoformat(), "--no-progress",
        stdout=StringIO(),
    )  # fmt: skip
    old = _scores()
    assert old != direct

    settings.IPFIN_SCORE_WRITERS = 2
    settings.IPFIN_SCORE_CHUNK_SIZE = 3
    outcomes = _swap_outcomes(monkeypatch)
    seen: list[dict[int, tuple[Any, ...]] | str] = []
    monkeypatch.setattr(
        portfolio, "_before_scores_swap", _on_another_connection(lambda: seen.append(_scores()))
    )

    def read_waiting() -> None:
        from django.db import OperationalError, connection

        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        try:
            seen.append(_scores())
        except OperationalError as waited:
            seen.append(type(waited.__cause__).__name__)

    # Right after the swap, inside the run's transaction, before its commit.
    monkeypatch.setattr(portfolio, "_after_scores_swap", _on_another_connection(read_waiting))
    call_command(
        "score_portfolio", "--on", today.isoformat(), "--async", "--wait", "60", stdout=StringIO()
    )
    run = JobRun.objects.get(name="score_portfolio")
    assert run.state == JobState.DONE, run.error
    assert outcomes == [True]
    # Before the swap the old scores, whole; after it, until the commit, a reader waits.
    assert seen == [old, "LockNotAvailable"]
    assert _scores() == direct
    assert not ScoreStage.objects.exists()
    assert _next_tables() == set()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_write_in_a_transaction_rolled_back_keeps_the_stored_scores(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: scores swapped in inside a transaction that then rolls back are not kept: the
    stored ones stay, and the new table left behind goes with the next write. Where the
    transaction already holds a lock on the stored table, the write does not build a new one
    (it would wait for that lock for ever) and writes the single way."""
    from django.db import transaction

    from ipfin.valuation.services.scoring import portfolio_score

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = 2
    stored = portfolio_score(on=today, min_cohort=2)
    before = _scores()
    outcomes = _swap_outcomes(monkeypatch)
    with pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
        portfolio_score(on=today - timedelta(days=400), min_cohort=2)
        assert _scores() != before
        raise RuntimeError("rolled back")
    assert outcomes == [True]
    assert _scores() == before
    assert set(RightScore.objects.values_list("run", flat=True)) == {stored.pk}
    assert len(_next_tables()) == 1  # abandoned: its run rolled back too

    with transaction.atomic():
        assert len(_scores()) == 7  # a lock on the stored table, held to the commit
        locked = portfolio_score(on=today - timedelta(days=400), min_cohort=2)
    assert outcomes == [True, False]
    assert set(RightScore.objects.values_list("run", flat=True)) == {locked.pk}
    assert _scores() != before
    assert _next_tables() == set()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_direct_run_meanwhile_leaves_the_background_runs_new_table_alone(
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: while the run's last step writes its new table, its ScoreRun is not yet
    committed, so another session (a direct `ipfin score_portfolio` starting) would take the
    table for abandoned and drop it, failing the run (from review). The writing run holds the
    table's advisory lock to its commit: the other session leaves it alone."""
    from ipfin.valuation import portfolio

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = 2
    settings.IPFIN_SCORE_CHUNK_SIZE = 3
    outcomes = _swap_outcomes(monkeypatch)
    meanwhile = _on_another_connection(
        lambda: portfolio._drop_abandoned_tables(RightScore._meta.db_table)
    )
    monkeypatch.setattr(portfolio, "_before_scores_swap", meanwhile)
    call_command(
        "score_portfolio", "--on", today.isoformat(), "--async", "--wait", "60", stdout=StringIO()
    )
    run = JobRun.objects.get(name="score_portfolio")
    assert run.state == JobState.DONE, run.error
    assert outcomes == [True]
    assert RightScore.objects.count() == 7
    assert _next_tables() == set()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True])
def test_a_server_refusing_the_writers_connections_means_the_single_write(
    in_transaction: bool,
    make_right: Callable[..., Right],
    examiner: User,
    today: date,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: where no connection can be had beside the caller's (the server at its
    max_connections), the write falls back to the single way, in a transaction or not; the
    new table's clean-up, itself on a connection of its own, had raised instead (from review).
    The refusal is the server's answer, raised where psycopg would raise it."""
    import threading

    import psycopg
    from django.db import connection, transaction
    from django.db.backends.postgresql.base import DatabaseWrapper

    from ipfin.valuation.services.scoring import portfolio_score

    _register(make_right, examiner, today)
    settings.IPFIN_SCORE_WRITERS = 2
    outcomes = _swap_outcomes(monkeypatch)
    connection.ensure_connection()
    connect = DatabaseWrapper.get_new_connection

    def full_server(self: Any, params: Any) -> Any:
        if threading.current_thread() is not threading.main_thread():
            raise psycopg.OperationalError("FATAL: sorry, too many clients already")
        return connect(self, params)

    monkeypatch.setattr(DatabaseWrapper, "get_new_connection", full_server)
    if in_transaction:
        with transaction.atomic():
            run = portfolio_score(on=today, min_cohort=2)
    else:
        run = portfolio_score(on=today, min_cohort=2)
    assert outcomes == [False]
    assert RightScore.objects.filter(run=run).count() == 7
