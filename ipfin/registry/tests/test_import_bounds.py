"""The register import's bounds on what a row may say (found in review): no date after today or
before 1900 (the register's own services refuse both, `check_fact_date`), a legal-status file's
export day never taken from a mistyped future date, and no more owners than the register can
count. Each row refused is reported, the others load; each test failed before its check."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ipfin.registry.importers import MAX_OWNERS, rights_import
from ipfin.registry.models import Right, RightEvent
from ipfin.registry.tests.test_import import cnipr_row, write_cnipr

pytestmark = pytest.mark.django_db


def test_a_row_dated_after_today_is_refused_and_the_others_load(tmp_path: Path) -> None:
    """A filing next year and a grant after it were loaded as facts, with the grant-year annuity
    paid on that future day."""
    future = timezone.localdate() + timedelta(days=400)
    path = write_cnipr(
        tmp_path / "x" / "f.csv",
        [
            cnipr_row("201220249767.4"),
            cnipr_row(
                "201220249770.6",
                申请日=future.isoformat(),
                **{"公开（公告）日": (future + timedelta(days=30)).isoformat()},
            ),
        ],
    )
    summary = rights_import(actor=None, paths=[path])
    assert (summary.created, summary.bad) == (1, 1)
    assert list(Right.objects.values_list("number", flat=True)) == ["201220249767.4"]
    assert not RightEvent.objects.filter(date__gt=timezone.localdate()).exists()
    (result,) = summary.files
    (problem,) = result.bad
    assert (problem.row, problem.code) == (3, "date_out_of_range")
    assert "晚于今天" in problem.message_zh


def test_one_mistyped_future_date_does_not_pay_the_files_other_annuities_ahead(
    tmp_path: Path,
) -> None:
    """A legal-status export is dated by its latest date. One 颁证日 of 2035 made every patent in
    force in the file have its annuities to 2035 recorded as paid. Now the file's day is the
    latest date in it no later than today (the 颁证日 itself is no fact the register keeps)."""
    path = tmp_path / "ls" / "legal.csv"
    path.parent.mkdir()
    header = ["申请号", "申请日", "公开日", "授权公告日", "专利类型", "法律状态", "专利名称",
              "授权名称", "申请人", "当前权利人", "失效日期", "实质审查日", "颁证日"]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        granted = ["发明授权", "有权-审定授权"]
        writer.writerow(["202010123456.2", "20200115", "", "20220301", *granted,
                         "一种方法", "一种方法", "甲公司", "甲公司", "0", "", ""])  # fmt: skip
        typo = "20350101"  # its 颁证日, typed in the future
        writer.writerow(["202110654321.3", "20210115", "", "20230301", *granted,
                         "另一方法", "另一方法", "乙公司", "乙公司", "0", "", typo])  # fmt: skip
    summary = rights_import(actor=None, paths=[path])
    assert (summary.created, summary.bad) == (2, 0)
    paid = RightEvent.objects.filter(type="annuity_paid")
    assert paid.filter(right__number="202010123456.2").exists()
    assert max(paid.values_list("date", flat=True)) <= timezone.localdate()


def test_a_row_with_more_owners_than_the_register_counts_is_refused(tmp_path: Path) -> None:
    """40,000 applicants: SQLite stored them, PostgreSQL's staging COPY failed on the small
    integer and stopped the whole file, the good row lost with it and no row named. Now the row
    is refused on both databases and the other loads."""
    many = "；".join(f"申请人{i}" for i in range(MAX_OWNERS + 1))
    path = write_cnipr(
        tmp_path / "x" / "many.csv",
        [cnipr_row("201220249767.4"), cnipr_row("201220249770.6", **{"申请（专利权）人": many})],
    )
    summary = rights_import(actor=None, paths=[path])
    assert (summary.created, summary.bad) == (1, 1)
    (result,) = summary.files
    assert [(p.row, p.code) for p in result.bad] == [(3, "too_many_owners")]
