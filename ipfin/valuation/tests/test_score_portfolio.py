"""`ipfin score_portfolio` on a small register (runs on SQLite and on PostgreSQL: the binary COPY
path there): one row per right, re-runs idempotent, the columns read set-based agree with the
register's own per-right rules."""

from __future__ import annotations

import io
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command

from ipfin.accounts.models import Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.registry.domain import TERMINAL_STATUSES
from ipfin.registry.models import Right
from ipfin.registry.selectors import right_status
from ipfin.registry.services import right_event_record
from ipfin.registry.tests.factories import patent_no
from ipfin.valuation.domain.cohorts import COHORT_BASES
from ipfin.valuation.domain.indicator import DEFAULT_DIMENSION_WEIGHTS, INDICATOR_NAMES
from ipfin.valuation.models import RightScore, ScoreRun
from ipfin.valuation.portfolio import read_portfolio
from ipfin.valuation.selectors import right_score_get

DEFAULT_DIMENSIONS = {k: str(v) for k, v in DEFAULT_DIMENSION_WEIGHTS.items()}


@pytest.fixture
def register(
    make_right: Callable[..., Right],
    examiner: User,
    enterprise_a: Organisation,
    make_org: Callable[..., Organisation],
    today: date,
) -> dict[str, Right]:
    """A small register: rights in force, a pending application, a lapsed and an invalidated
    patent, a co-owned one with licences and a preservation, a trademark, and old rights."""
    partner = make_org("enterprise", "乙科技有限公司")
    rights = {
        "plain": make_right(ipc_main="G06F16/33", ipc_codes="G06F16/33;G06F17/30"),
        "broad": make_right(ipc_main="G06F3/01", ipc_codes="G06F3/01;H04L9/00;A61B5/00"),
        "pending": make_right(grant_date=None, ipc_main="G06F1/00"),
        "lapsed": make_right(paid=False, grant_date=today - timedelta(days=300)),
        "invalidated": make_right(ipc_main="H01M10/42"),
        "shared": make_right(owners=[enterprise_a, partner], ipc_main="H01M10/42"),
        "utility": make_right(kind="utility_model", ipc_main="H01M10/44"),
        "old": make_right(
            number=patent_no("invention", 2006),
            filing_date=date(2006, 5, 1),
            grant_date=date(2009, 5, 1),
            ipc_main="G06F16/33",
        ),
        "mark": make_right(kind="trademark", mark_text="星火", nice_classes=[9]),
    }
    event = right_event_record
    event(actor=examiner, right=rights["invalidated"], type="invalidation_requested",
          date=today - timedelta(days=20))  # fmt: skip
    event(actor=examiner, right=rights["invalidated"], type="invalidated", date=today,
          payload={"scope": "whole"})  # fmt: skip
    for _ in range(2):
        event(actor=examiner, right=rights["shared"], type="licence", date=today,
              payload={"licence_type": "ordinary", "licensee": "丙公司"})  # fmt: skip
    event(actor=examiner, right=rights["shared"], type="preservation", date=today)
    Right.objects.filter(pk=rights["plain"].pk).update(cited_by_count=12, family_size=3)
    Right.objects.filter(pk=rights["broad"].pk).update(cited_by_count=0, claims_count=20)
    return rights


def _run(**kw: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("score_portfolio", stdout=out, stderr=err, **kw)
    return out.getvalue(), err.getvalue()


def _scores() -> dict[int, tuple[float, str]]:
    return {s.right_id: (s.score, s.grade) for s in RightScore.objects.all()}


def test_scores_every_right_once_and_reruns_idempotently(register: dict[str, Right]) -> None:
    out, err = _run(progress=False)
    n = Right.objects.count()
    assert n == len(register)
    assert f"{n} 项知识产权" in out
    assert err == ""  # no bar when asked not to
    assert RightScore.objects.count() == n
    assert set(RightScore.objects.values_list("right_id", flat=True)) == {
        r.pk for r in register.values()
    }
    first_run = ScoreRun.objects.get()
    assert first_run.rights_scored == n and first_run.finished_at is not None
    assert set(first_run.seconds) == {"read", "score", "write"}
    first = _scores()

    _run(progress=False)
    assert RightScore.objects.count() == n
    assert _scores() == first
    assert set(RightScore.objects.values_list("run_id", flat=True)) == {
        ScoreRun.objects.order_by("-id").first().pk  # type: ignore[union-attr]
    }
    assert AuditRecord.objects.filter(action="valuation.score_portfolio").count() == 2


def test_each_stored_row_explains_its_score(register: dict[str, Right]) -> None:
    _run(progress=False)
    for row in RightScore.objects.all():
        points = sum(getattr(row, f"c_{name}") for name in INDICATOR_NAMES)
        assert points == pytest.approx(row.score)
        assert row.legal + row.technical + row.economic >= 0
        assert all(getattr(row, f"c_{name}") >= 0 for name in INDICATOR_NAMES)
        assert row.grade in {"A", "B", "C", "D"}
    # A register this small backs every cohort off to the whole kind (fewer than 30 rights of a
    # kind anywhere): the old invention is ranked among every invention.
    old = RightScore.objects.get(right_id=register["old"].pk)
    assert old.cohort_size == Right.objects.filter(kind="invention").count() == 7
    assert old.cohort_basis == COHORT_BASES.index("kind")
    latest = max(r.filing_date.year for r in Right.objects.filter(kind="invention"))
    assert (old.cohort_from, old.cohort_to) == (2006, latest)
    run = ScoreRun.objects.get(pk=old.run_id)
    assert run.min_cohort == 30 and run.grade_shares == [0.15, 0.25, 0.40, 0.20]
    assert len(run.grade_thresholds) == 3
    assert 0 <= (old.share_below or 0) < 1


def test_the_run_records_and_prints_the_spread_of_the_scores_it_stored(
    register: dict[str, Right],
) -> None:
    """The spread comes from the run's own arrays (not by reading the million rows back): it
    must be the spread of the rows stored, computed here the plain way."""
    out, _err = _run(progress=False)
    run = ScoreRun.objects.get()
    rows = list(RightScore.objects.values_list("score", "grade", "cohort_basis"))
    scores = [score for score, _grade, _basis in rows]
    q1, q2, q3 = statistics.quantiles(scores, n=4, method="inclusive")
    spread = run.spread
    assert spread["rights"] == len(rows) == len(register)
    assert spread["grades"] == {g: sum(1 for _s, grade, _b in rows if grade == g) for g in "ABCD"}
    assert [spread["q1"], spread["q2"], spread["q3"]] == pytest.approx([q1, q2, q3])
    assert spread["iqr"] == pytest.approx(q3 - q1)
    assert (spread["low"], spread["high"]) == (min(scores), max(scores))
    bases = {COHORT_BASES[b]: n for b, n in Counter(b for _s, _g, b in rows).items()}
    assert spread["basis"] == bases
    assert (
        f"分布：A {spread['grades']['A']}、B {spread['grades']['B']}、C {spread['grades']['C']}、"
        f"D {spread['grades']['D']}；下四分位 {q1:.1f}，中位数 {q2:.1f}，上四分位 {q3:.1f}" in out
    )
    assert f"同类型全部 {bases['kind']}" in out  # a register this small ranks by kind
    audit = AuditRecord.objects.get(action="valuation.score_portfolio")
    assert audit.after["spread"] == spread


def test_progress_bar_on_request(register: dict[str, Right]) -> None:
    _out, err = _run(progress=True)
    assert "读取" in err and "评分" in err and "写入" in err


def test_columns_agree_with_the_register(register: dict[str, Right], today: date) -> None:
    portfolio = read_portfolio(on=today)
    index = {int(pk): i for i, pk in enumerate(portfolio.right_id)}
    col = portfolio.columns

    def value(name: str, key: str) -> float:
        return float(col[name][index[register[key].pk]])

    # Remaining life: 0 for every right the register says has ended, else the days to expiry.
    for key, right in register.items():
        status = right_status(right, on=today)
        expected = (
            0.0
            if status.status in TERMINAL_STATUSES
            else max((status.expiry_date - today).days, 0) / 365.25
        )
        assert value("remaining_life_years", key) == pytest.approx(expected, abs=1.5 / 365), key
    assert right_status(register["lapsed"], on=today).status.value == "lapsed"
    assert value("remaining_life_years", "lapsed") == 0
    assert value("remaining_life_years", "invalidated") == 0
    assert value("granted", "plain") == 1 and value("granted", "pending") == 0
    assert value("invalidation_count", "invalidated") == 1
    assert value("licence_count", "shared") == 2
    assert value("litigation_count", "shared") == 1
    assert value("co_owner_count", "shared") == 2 and value("co_owner_count", "plain") == 1
    assert value("ipc_subclass_count", "plain") == 1  # G06F twice
    assert value("ipc_subclass_count", "broad") == 3  # G06F, H04L, A61B
    assert np.isnan(value("ipc_subclass_count", "mark"))
    assert value("cited_by_count", "plain") == 12 and value("cited_by_count", "broad") == 0
    assert np.isnan(value("cited_by_count", "pending"))
    assert value("claims_count", "broad") == 20
    lag = (register["plain"].grant_date - register["plain"].filing_date).days  # type: ignore[operator]
    assert value("grant_lag_days", "plain") == lag
    assert np.isnan(value("grant_lag_days", "pending"))  # not granted: unknown
    assert np.isnan(value("grant_lag_days", "mark"))  # a registration is not an examination
    assert value("pledge_count", "plain") == 0
    assert value("invalidations_survived", "invalidated") == 0
    # Cohorts of at least one right: kind × filing year × IPC subclass; plain, broad and
    # pending share (invention, 20xx, G06F); the old one, the trademark are elsewhere.
    narrow = read_portfolio(on=today, min_cohort=1).cohorts
    _rows, member_cohort, own = narrow.memberships()

    def cohort(key: str) -> int:
        return int(member_cohort[own[index[register[key].pk]]])

    assert cohort("plain") == cohort("broad") == cohort("pending")
    assert cohort("plain") != cohort("old")
    assert cohort("mark") != cohort("plain")
    assert set(narrow.basis_labels()) == {"subclass_year"}


def test_columnar_terms_agree_with_the_domain_true_terms(
    make_right: Callable[..., Right], examiner: User, today: date
) -> None:
    """The set-based remaining life follows the same true terms as `legal_status`: term
    compensation (专利法 art. 42), IC layouts (条例 art. 12), copyright (著作权法 art. 23); an
    unknown copyright term is NaN (unknown), never a guessed number."""
    rights = {
        "compensated": make_right(),
        "ic": make_right(
            kind="ic_layout",
            number="BS.12500777.1",
            filing_date=today - timedelta(days=1000),
            first_commercial_use=today - timedelta(days=1500),
            created_on=today - timedelta(days=2000),
        ),
        "ic_capped": make_right(
            kind="ic_layout",
            number="BS.12500778.X",
            filing_date=today - timedelta(days=1000),
            created_on=date(2013, 6, 1),
        ),
        "work_org": make_right(
            kind="copyright",
            number="2020SR0654321",
            filing_date=today - timedelta(days=500),
            grant_date=today - timedelta(days=400),
            author_kind="organisation",
            first_published_on=today - timedelta(days=600),
        ),
        "work_person": make_right(
            kind="copyright",
            number="2020SR0654322",
            filing_date=today - timedelta(days=500),
            grant_date=today - timedelta(days=400),
            author_kind="person",
            author_died_on=date(1990, 3, 1),
        ),
        "work_unknown": make_right(
            kind="copyright",
            number="2020SR0654323",
            filing_date=today - timedelta(days=500),
            grant_date=today - timedelta(days=400),
            author_kind="person",
        ),
    }
    right_event_record(actor=examiner, right=rights["compensated"], type="term_compensation",
                       date=today, payload={"days": 900, "kind": "grant_delay"})  # fmt: skip
    portfolio = read_portfolio(on=today)
    index = {int(pk): i for i, pk in enumerate(portfolio.right_id)}
    life = portfolio.columns["remaining_life_years"]
    for key, right in rights.items():
        status = right_status(right, on=today)
        got = float(life[index[right.pk]])
        if status.expiry_date is None:
            assert key == "work_unknown" and np.isnan(got)
            continue
        expected = (
            0.0
            if status.status in TERMINAL_STATUSES
            else max((status.expiry_date - today).days, 0) / 365.25
        )
        assert got == pytest.approx(expected, abs=1.5 / 365), key
    assert right_status(rights["ic_capped"], on=today).expiry_date == date(2028, 6, 1)


def test_stored_score_equals_the_one_computed_on_the_fly(register: dict[str, Right]) -> None:
    fly = right_score_get(number=register["plain"].number)
    assert fly["stored"] is False
    _run(progress=False)
    stored = right_score_get(number=register["plain"].number)
    assert stored["stored"] is True and stored["run_id"] is not None
    assert stored["score"] == pytest.approx(fly["score"])
    inventions = Right.objects.filter(kind="invention").count()
    assert stored["cohort"]["size"] == fly["cohort"]["size"] == inventions
    assert stored["cohort"]["basis"] == fly["cohort"]["basis"] == "kind"
    assert stored["cohort"]["filing_years"] == fly["cohort"]["filing_years"]
    # Before any run the grade is on the fixed bounds; the run calibrates them on the register.
    assert fly["grade_scale"]["calibrated"] is False
    assert stored["grade_scale"]["calibrated"] is True
    again = right_score_get(number=register["plain"].number, dimensions=DEFAULT_DIMENSIONS)
    assert again["stored"] is False and again["grade_scale"] == stored["grade_scale"]
    assert again["grade"] == stored["grade"] and again["score"] == pytest.approx(stored["score"])
    by_name = {c["name"]: c for c in fly["contributions"]}
    for c in stored["contributions"]:
        assert c["points"] == pytest.approx(by_name[c["name"]]["points"])
        assert c["percentile"] == pytest.approx(by_name[c["name"]]["percentile"])
        assert c["raw"] == by_name[c["name"]]["raw"]


def test_empty_register(db: Any) -> None:
    out, _err = _run(progress=False)
    assert "0 项知识产权" in out
    assert RightScore.objects.count() == 0


def test_one_points_column_per_engine_indicator() -> None:
    columns = {f.name for f in RightScore._meta.concrete_fields if f.name.startswith("c_")}
    assert columns == {f"c_{name}" for name in INDICATOR_NAMES}


@pytest.mark.parametrize("minimum", [1, 2, 3, 5, 30])
def test_one_rights_cohort_is_read_by_counting_not_by_reading_the_register(
    register: dict[str, Right], today: date, minimum: int
) -> None:
    """`right_cohort` (what a score computed now reads) finds the same cohort as the run's
    backoff over the whole register: same basis, same years, exactly the same rights."""
    from ipfin.valuation.portfolio import right_cohort, tech_field

    whole = read_portfolio(on=today, min_cohort=minimum)
    member_row, member_cohort, own = whole.cohorts.memberships()
    index = {int(pk): i for i, pk in enumerate(whole.right_id)}
    for key, right in register.items():
        found = right_cohort(
            kind=right.kind,
            year=right.filing_date.year,
            field=tech_field(right.ipc_main, right.kind),
            min_size=minimum,
        )
        i = index[right.pk]
        assert found.basis == whole.cohorts.basis_labels()[i], key
        assert (found.year_from, found.year_to) == (
            whole.cohorts.year_from[i],
            whole.cohorts.year_to[i],
        ), key
        mine = {int(whole.right_id[r]) for r in member_row[member_cohort == member_cohort[own[i]]]}
        read = read_portfolio(on=today, where=found.where, params=found.params)
        assert set(read.right_id.tolist()) == mine, key
        assert found.size == len(mine)


def test_a_right_without_ipc_backs_off_to_its_kind_within_two_years(
    make_right: Callable[..., Right], settings: Any
) -> None:
    """Trademarks carry no IPC: one field ("~trademark") at every level. Three filed in three
    consecutive years, minimum 3: each backs off to the trademarks filed within ±2 years, and a
    score computed now reads exactly those three (not a 4-character prefix of the field)."""
    settings.IPFIN_SCORE_MIN_COHORT = 3
    marks = [
        make_right(kind="trademark", mark_text=f"星{i}", nice_classes=[9],
                   filing_date=date(2019 + i, 3, 1), grant_date=date(2020 + i, 3, 1))
        for i in range(3)
    ]  # fmt: skip
    for mark in marks:
        result = right_score_get(number=mark.number, dimensions=DEFAULT_DIMENSIONS)
        assert result["cohort"]["basis"] == "subclass_years"
        assert result["cohort"]["size"] == 3
    whole = read_portfolio(on=date(2025, 1, 1), min_cohort=3)
    index = {int(pk): i for i, pk in enumerate(whole.right_id)}
    assert {whole.cohorts.basis_labels()[index[m.pk]] for m in marks} == {"subclass_years"}


@pytest.mark.django_db
def test_ipc_breadth_is_counted_alike_by_the_server_and_in_python(
    make_right: Callable[..., Right], today: date
) -> None:
    """The count of distinct 4-character IPC subclasses (ipc_subclass_count) as the read makes
    it (on PostgreSQL: pairwise comparison for up to three codes, a subquery beyond) equals the
    embedded reading's (Python: ipfin.valuation.portfolio._ipc_subclass_counts) on awkward code
    lists as typed: empty codes, spaces, lower case, repeats, four and more codes. They reach
    the database through right_create, which stores them canonically (the server's read takes
    the stored text as it is; registry migration 0007 tidied what was stored before), so what
    this holds is the counting of repeats and of one, three and more codes alike."""
    from ipfin.valuation.portfolio import _ipc_subclass_counts

    lists = [
        "G06F16/33",
        "G06F16/33;G06F17/30",
        "G06F16/33;H04L9/00",
        ";G06F16/33",
        "G06F16/33;;",
        " ; ;",
        "g06f 16/33;G06F17/30;G06F1/00",
        "G06F1/00;H04L9/00;G06F3/01",
        "A61B5/00;H04L9/00;G06F3/01",
        "H04L9/00;G06F1/00;H04L1/00;A61B5/00",
        "H04L9/00;;G06F1/00;;H04L1/00;A61B5/00;C12N1/00",
        "G0 6F1/00;G06F 2/00;g06f3/00;G06F4/00",
    ]
    rights = {make_right(ipc_main="G06F1/00", ipc_codes=codes).pk: codes for codes in lists}
    portfolio = read_portfolio(on=today, min_cohort=1)
    column = portfolio.columns["ipc_subclass_count"]
    read = {int(i): column[k] for k, i in enumerate(portfolio.right_id) if int(i) in rights}
    expected = dict(zip(rights, _ipc_subclass_counts(list(rights.values())), strict=True))
    for pk, codes in rights.items():
        got = read[pk]
        want = float(expected[pk]) if expected[pk] else float("nan")
        assert got == want or (np.isnan(got) and np.isnan(want)), (codes, got, want)


def test_a_grace_ending_on_national_day_keeps_a_patent_alive_to_the_working_day_shishi_xize_r6(
    make_right: Callable[..., Right], pay_annuities: Callable[..., None]
) -> None:
    """Year 11 of an invention filed 2015-04-01 falls due on 2025-04-01 and is not paid; its
    grace would end on 2025-10-01, National Day, and runs to the 9th (专利法实施细则 2023 r. 6
    ¶1): the nightly score reads it as alive on the 9th and lapsed on the 10th, as the register's
    status does."""
    right = make_right(filing_date=date(2015, 4, 1), grant_date=date(2017, 8, 1), paid=False)
    pay_annuities(right, until=date(2025, 3, 31))  # years 3 to 10
    for on, alive in ((date(2025, 10, 9), True), (date(2025, 10, 10), False)):
        portfolio = read_portfolio(on=on)
        index = {int(pk): i for i, pk in enumerate(portfolio.right_id)}
        life = float(portfolio.columns["remaining_life_years"][index[right.pk]])
        assert (life > 0) is alive, on
        status = right_status(right, on=on).status
        assert (status not in TERMINAL_STATUSES) is alive, (on, status)


@pytest.mark.parametrize("texts_as", ["hashes", "texts"])
def test_the_field_codes_from_one_sort_equal_each_column_factorised(texts_as: str) -> None:
    """The cohort's field, class and section codes (`_field_codes`: one sort of the rights, the
    class and the section spread from each field's) are those `_factorised` gives each column
    alone: as PostgreSQL hands them over (64-bit hashes of the texts) and as SQLite does (the
    texts), with rights without IPC ("~kind") among them."""
    import hashlib

    from ipfin.valuation.portfolio import _factorised, _field_codes

    rng = np.random.default_rng(20261207)
    # 300 subclasses in 160 classes of 8 sections, and the fields of rights without IPC.
    fields = [f"{'ABCDEFGH'[i % 8]}{(i // 8) % 20 + 1:02d}{chr(65 + i % 26)}"
              for i in range(300)] + ["~trademark", "~copyright"]  # fmt: skip

    def code(text: str) -> Any:
        if texts_as == "texts":
            return text
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little", signed=True)

    pick = rng.integers(0, len(fields), 50_000)
    raw = {
        name: np.array([code(f[:width] if width else f) for f in fields])[pick]
        for name, width in (("field", None), ("field3", 3), ("field1", 1))
    }
    subclass, ipc_class, section = _field_codes(raw)
    assert subclass.tolist() == _factorised(raw["field"]).tolist()
    assert ipc_class.tolist() == _factorised(raw["field3"]).tolist()
    assert section.tolist() == _factorised(raw["field1"]).tolist()
    assert len(set(ipc_class.tolist())) < len(set(subclass.tolist()))
