"""`ipfin import_patents`: the real exports under ../shared/data (read in place), idempotency,
bad-row handling, the summary and report; and the pure row mapping (no database)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.models import User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import PermissionDenied
from ipfin.registry.domain import (
    Event,
    EventType,
    RightFacts,
    RightKind,
    Status,
    cn_application_check_digit,
    legal_status,
)
from ipfin.registry.import_mapping import (
    Format,
    Problem,
    RightRecord,
    RowProblem,
    detect_format,
    equal_shares,
    map_rows,
    parse_date,
    region_from_address,
)
from ipfin.registry.importers import rights_import
from ipfin.registry.models import Right, RightEvent, RightOwner

DATA: Path = settings.IPFIN_SHARED_DATA_DIR
CNIPR = DATA / "cn-patents-cnipr-export" / "cnipr_export_199.csv"
LEGAL_STATUS = DATA / "cn-patents-legal-status-sample" / "patent_table_sample.csv"
QCC = DATA / "cn-ip-qichacha-records"
LENS_DRONES = DATA / "lens-patent-samples" / "drones_lens_families_5884.csv"
LENS_PIZZA = DATA / "lens-patent-samples" / "pizza_lens_1000.csv"
CNKI_CITATIONS = DATA / "cn-patents-cnki-citations" / "cnki_patent_citations.csv"
CNKI_CHEM = DATA / "cn-patents-cnki-material-chem" / "cnki_material_chem_18_19.csv"


CNIPR_HEADER = (
    "申请号,公开（公告）号,公开（公告）日,申请日,专利号,名称,主分类号,分类号,分案原申请号,优先权,"
    "申请（专利权）人,发明（设计）人,地址,颁证日,国际申请,国际公布,进入国家日期,专利代理机构,代理人,"
    "摘要,主权项,参考文献,审查员,光盘号,PCT公开"
)


def run(*args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_patents", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts() -> tuple[int, int, int]:
    return Right.objects.count(), RightOwner.objects.count(), RightEvent.objects.count()


def cnipr_row(number: str, title: str = "一种测试装置", **kw: str) -> dict[str, str]:
    row = dict.fromkeys(CNIPR_HEADER.split(","), "")
    row.update(
        {
            "申请号": number,
            "公开（公告）号": "CN202644312U",
            "公开（公告）日": "2013.01.02",
            "申请日": "2012.05.31",
            "名称": title,
            "申请（专利权）人": "甲科技有限公司",
            "地址": "210000 江苏省南京市",
        }
    )
    row.update(kw)
    return row


def write_cnipr(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CNIPR_HEADER.split(","))
        writer.writeheader()
        writer.writerows(rows)
    return path


def facts(right: Right) -> RightFacts:
    events = tuple(
        Event(EventType(e.type), e.date, year=e.payload.get("year")) for e in right.events.all()
    )
    return RightFacts(RightKind(right.kind), right.filing_date, right.grant_date, events)


# --- the real exports ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_cnipr_export_loads_199_granted_utility_models(shared_data: Path) -> None:
    out, err = run(CNIPR)

    assert counts() == (199, 228, 199)  # 179 sole, 13 x 2, 5 x 3, 2 x 4 owners; one event each
    assert set(Right.objects.values_list("kind", flat=True)) == {"utility_model"}
    assert set(Right.objects.values_list("grant_date", flat=True)) == {date(2013, 1, 2)}
    right = Right.objects.get(number="201220249767.4")
    assert (right.title, right.publication_no, right.filing_date) == (
        "一种钢筋混凝土轨枕",
        "CN202644312U",
        date(2012, 5, 31),
    )
    assert (right.ipc_main, right.region) == ("E01B3/32", "江苏")  # edition suffix dropped
    assert right.address == "226634 江苏省南通市海安县老坝港镇海港村16组"
    assert right.source == "cn-patents-cnipr-export/cnipr_export_199.csv"
    # Written without model instances: the model's defaults and timestamps still apply.
    assert (right.similar_groups, right.nice_classes, right.mark_text) == ([], [], "")
    assert right.created_at is not None and right.created_at == right.updated_at
    owner = right.owners.get()
    assert (owner.organisation_id, owner.valid_to) == (None, None)
    event = right.events.get()
    assert (event.recorded_by_id, event.recorded_at is not None) == (None, True)
    assert list(right.owners.values_list("name", "uscc", "share", "valid_from")) == [
        ("海安县建莲商品混凝土有限公司", "", Decimal("1"), date(2013, 1, 2))
    ]
    # Grant-year annuity paid with the grant registration fee: year 1, on the grant date.
    assert list(right.events.values_list("type", "date", "payload", "source")) == [
        ("annuity_paid", date(2013, 1, 2), {"year": 1}, "import")
    ]
    co_owned = Right.objects.get(number="201220228677.7")
    assert list(co_owned.owners.values_list("name", "share")) == [
        ("陈兴冲", Decimal("0.25")),
        ("李永红", Decimal("0.25")),
        ("王常峰", Decimal("0.25")),
        ("李晓阳", Decimal("0.25")),
    ]
    three = list(Right.objects.get(number="201220178114.1").owners.values_list("share", flat=True))
    assert three == [Decimal("0.333334"), Decimal("0.333333"), Decimal("0.333333")]
    assert err == ""
    assert "新建 199，更新 0，未变 0，跳过 0，错误 0" in out


@pytest.mark.django_db
def test_second_run_creates_nothing_and_reports_unchanged(shared_data: Path) -> None:
    run(CNIPR, "--batch-size", "50")  # four batches, each its own transaction
    before = counts()
    stamps = dict(Right.objects.values_list("number", "updated_at"))

    out, _ = run(CNIPR, "--batch-size", "64")

    assert counts() == before == (199, 228, 199)
    assert dict(Right.objects.values_list("number", "updated_at")) == stamps
    assert "新建 0，更新 0，未变 199" in out


@pytest.mark.django_db
def test_legal_status_sample_grants_and_in_force_annuities(shared_data: Path) -> None:
    run(LEGAL_STATUS)

    assert Right.objects.count() == 10
    granted = sorted((r.kind, r.grant_date is not None) for r in Right.objects.all())
    expected = [("invention", False), ("invention", False), ("invention", True)]
    assert granted == expected + [("utility_model", True)] * 7
    invention = Right.objects.get(number="202211359874.7")
    assert (invention.kind, invention.grant_date, invention.publication_no) == (
        "invention",
        date(2024, 4, 5),
        "CN115883397B",
    )
    assert (invention.title, invention.region) == ("一种web端数据通用采集方法", "河南")
    assert invention.ipc_codes == "H04L43/02;H04L9/40;H04L67/025"
    # Filed 2022-11-02, granted in patent year 2: the grant pays year 2; the file's latest date
    # (its earliest possible export day) is that grant day, so nothing else is due by then.
    assert list(invention.events.values_list("date", "payload", "source")) == [
        (date(2024, 4, 5), {"year": 2}, "import")
    ]
    pending = Right.objects.get(number="202211740332.4")
    assert pending.grant_date is None and pending.events.count() == 0
    assert pending.publication_no == "CN116245100A"
    # 有权 as of 2024-04-05: every annuity due by then is on record, labelled with the file.
    um = Right.objects.get(number="202121635235.X")  # filed 2021-07-15, granted 2022-10-04
    assert list(um.events.values_list("date", "payload", "source")) == [
        (date(2022, 10, 4), {"year": 2}, "import"),
        (
            date(2023, 7, 15),
            {"year": 3, "basis": "法律状态：有权-审定授权", "as_of": "2024-04-05"},
            "cn-patents-legal-status-sample/patent_table_sample.csv",
        ),
    ]
    assert RightEvent.objects.count() == 19  # hand count: 2+3+2+2+3+3+3+1 over the 8 grants
    assert legal_status(facts(um), date(2024, 4, 5)).status is Status.IN_FORCE
    # Year 4 (due 2024-07-15) is after the known day: not invented, so it shows as unpaid.
    assert legal_status(facts(um), date(2024, 7, 16)).status is Status.GRACE_PERIOD


@pytest.mark.django_db
def test_qichacha_patents_and_trademarks(shared_data: Path) -> None:
    out, _ = run(QCC)

    assert Right.objects.count() == 6
    design = Right.objects.get(number="201730033448.8")
    assert (design.kind, design.grant_date, design.publication_no) == (
        "design",
        date(2017, 7, 28),
        "CN304218960S",
    )
    assert list(design.events.values_list("payload", flat=True)) == [{"year": 1}]
    pending = Right.objects.get(number="201610311380.X")
    assert (pending.kind, pending.grant_date, pending.events.count()) == ("invention", None, 0)
    assert pending.inventors == "刘培彬"
    mark = Right.objects.get(number="16435657")
    assert (mark.kind, mark.title, mark.mark_text, mark.nice_classes) == (
        "trademark",
        "企查查",
        "企查查",
        [45],
    )
    assert (mark.filing_date, mark.grant_date) == (date(2015, 3, 4), None)
    assert list(mark.owners.values_list("name", flat=True)) == ["苏州朗动网络科技有限公司"]
    assert "合计：文件 2 个，读取 6 行，新建 6" in out


@pytest.mark.django_db
def test_cnki_exports_have_no_application_number_and_are_skipped_not_failed(
    shared_data: Path,
) -> None:
    out, err = run(CNKI_CITATIONS, CNKI_CHEM)

    assert counts() == (0, 0, 0)
    assert err == ""
    assert "跳过 12765 行：无申请号 12765" in out  # 12,732 citations + 33 material-chem rows


@pytest.mark.django_db
def test_lens_cn_rows_load_others_skipped_and_bad_dates_reported(
    shared_data: Path, tmp_path: Path
) -> None:
    report = tmp_path / "bad.csv"
    out, err = run(LENS_DRONES, LENS_PIZZA, "--report", report)

    assert Right.objects.count() == 349 + 17
    assert "跳过 6512 行：非中国专利 6512" in out  # 5,529 + 983 rows of other offices
    # Lens lists the number without its check digit: derived from the body (ZC 0006-2003).
    right = Right.objects.get(number=f"200710063161.{cn_application_check_digit('200710063161')}")
    assert right.number == "200710063161.5"
    assert (right.kind, right.grant_date, right.publication_no) == (
        "invention",
        None,
        "CN101025382A",
    )
    pizza = Right.objects.get(publication_no="CN202448152U")  # DD/MM/YY dates
    assert (pizza.filing_date, pizza.grant_date) == (date(2011, 12, 30), date(2012, 9, 26))
    # Six drones rows give an application date after their own grant: the source's error.
    with report.open(encoding="utf-8-sig") as f:
        bad = list(csv.DictReader(f))
    assert [(b["row"], b["code"]) for b in bad] == [
        (str(n), "grant_before_filing") for n in (166, 184, 226, 227, 228, 3354)
    ]
    assert "lens-patent-samples/drones_lens_families_5884.csv 第 166 行：" in err


@pytest.mark.django_db
def test_whole_data_directory_twice(shared_data: Path) -> None:
    out, _ = run(DATA)

    assert counts() == (581, 616, 412)
    assert "合计：文件 8 个，读取 19864 行，新建 581，更新 0，未变 0，错误 6" in out
    assert "格式无法识别，已忽略" in out  # pledge statistics, EPO and USPTO files
    assert AuditRecord.objects.filter(action="registry.import").count() == 8

    out, _ = run(DATA)

    assert counts() == (581, 616, 412)
    assert "新建 0，更新 0，未变 581，错误 6" in out


# --- bad rows, updates, the command's contract ---------------------------------------------------


@pytest.mark.django_db
def test_bad_rows_are_reported_while_good_rows_load(tmp_path: Path) -> None:
    path = write_cnipr(
        tmp_path / "export" / "mixed.csv",
        [
            cnipr_row("CN201220249767.4"),  # row 2: good
            cnipr_row("CN201220249767.5"),  # row 3: wrong check digit
            cnipr_row("CN201220249771.0", **{"申请日": "2012.13.45"}),  # row 4: bad date
            cnipr_row("CN201220249766.X", title=""),  # row 5: no title
            cnipr_row("CN201220249767.4", title="重复"),  # row 6: repeats row 2
            cnipr_row(
                "CN201210249766.4", **{"公开（公告）号": "CN202644399U"}
            ),  # row 7: invention no.
            cnipr_row("CN201220249770.6", **{"申请（专利权）人": "甲公司；乙公司"}),  # row 8: good
        ],
    )
    report = tmp_path / "report.csv"

    out, err = run(path, "--report", report)

    assert sorted(Right.objects.values_list("number", flat=True)) == [
        "201220249767.4",
        "201220249770.6",
    ]
    assert Right.objects.get(number="201220249767.4").title == "一种测试装置"  # the first row wins
    assert list(Right.objects.get(number="201220249770.6").owners.values_list("name", "share")) == [
        ("甲公司", Decimal("0.5")),
        ("乙公司", Decimal("0.5")),
    ]
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    with report.open(encoding="utf-8-sig") as f:
        rows = [(r["file"], r["row"], r["code"]) for r in csv.DictReader(f)]
    assert rows == [
        ("export/mixed.csv", "3", "bad_check_digit"),
        ("export/mixed.csv", "4", "bad_date"),
        ("export/mixed.csv", "5", "missing_title"),
        ("export/mixed.csv", "6", "duplicate_in_file"),
        ("export/mixed.csv", "7", "kind_mismatch"),
    ]
    assert "export/mixed.csv 第 3 行：申请号“CN201220249767.5”的校验位为 5，应为 4" in err
    assert "export/mixed.csv 第 6 行：号码 201220249767.4 与第 2 行重复" in err
    assert "读取 7 行，新建 2，更新 0，未变 0，跳过 0，错误 5" in out
    assert "错误 5 行：bad_check_digit 1，bad_date 1，duplicate_in_file 1" in out


@pytest.mark.django_db
def test_a_file_of_only_bad_rows_fails_and_stores_nothing(tmp_path: Path) -> None:
    path = write_cnipr(
        tmp_path / "x" / "bad.csv",
        [cnipr_row("CN201220249767.5"), cnipr_row("CN201220249771.0", title="")],
    )

    with pytest.raises(CommandError, match="所有行均有错误"):
        run(path)

    assert counts() == (0, 0, 0)


@pytest.mark.django_db
def test_changed_row_updates_without_duplicating_owners_or_events(tmp_path: Path) -> None:
    run(write_cnipr(tmp_path / "a" / "v1.csv", [cnipr_row("CN201220249767.4")]))
    right = Right.objects.get()

    out, _ = run(write_cnipr(tmp_path / "a" / "v2.csv", [cnipr_row("CN201220249767.4", "新名称")]))

    right.refresh_from_db()
    assert right.title == "新名称"
    assert right.source == "a/v1.csv"  # where the right first came from
    assert counts() == (1, 1, 1)
    assert "新建 0，更新 1，未变 0" in out


@pytest.mark.django_db
def test_grant_of_a_pending_application_is_merged_and_never_undone(tmp_path: Path) -> None:
    application = cnipr_row(
        "CN201210249766.4", **{"公开（公告）号": "CN102644312A", "公开（公告）日": "2012.11.14"}
    )
    grant = cnipr_row(
        "CN201210249766.4", **{"公开（公告）号": "CN102644312B", "公开（公告）日": "2014.06.04"}
    )
    run(write_cnipr(tmp_path / "s" / "a.csv", [application]))
    right = Right.objects.get()
    assert (right.kind, right.grant_date, right.events.count()) == ("invention", None, 0)

    run(write_cnipr(tmp_path / "s" / "b.csv", [grant]))
    right.refresh_from_db()
    assert (right.grant_date, right.publication_no) == (date(2014, 6, 4), "CN102644312B")
    assert list(right.events.values_list("date", "payload")) == [(date(2014, 6, 4), {"year": 3})]

    out, _ = run(write_cnipr(tmp_path / "s" / "a2.csv", [application]))  # older news again
    right.refresh_from_db()
    assert (right.grant_date, right.publication_no) == (date(2014, 6, 4), "CN102644312B")
    assert "未变 1" in out


@pytest.mark.django_db
def test_the_service_needs_registry_write_and_audits_each_file(
    tmp_path: Path, bank_a_user: User, examiner: User
) -> None:
    path = write_cnipr(tmp_path / "svc" / "one.csv", [cnipr_row("CN201220249767.4")])

    with pytest.raises(PermissionDenied):
        rights_import(actor=bank_a_user, paths=[path])
    assert counts() == (0, 0, 0)

    summary = rights_import(actor=examiner, paths=[path])

    assert (summary.created, summary.rows, summary.bad) == (1, 1, 0)
    record = AuditRecord.objects.get(action="registry.import")
    assert (record.actor, record.after["source"], record.after["created"]) == (
        examiner,
        "svc/one.csv",
        1,
    )


@pytest.mark.django_db
def test_progress_bar_only_when_asked_for_off_a_terminal(tmp_path: Path) -> None:
    path = write_cnipr(tmp_path / "p" / "one.csv", [cnipr_row("CN201220249767.4")])

    _, quiet = run(path)
    _, shown = run(path, "--progress")

    assert quiet == ""
    assert "p/one.csv 校验: 100%" in shown and "p/one.csv 写入: 100%" in shown and "1/1" in shown


@pytest.mark.django_db
def test_unknown_paths_and_formats_are_command_errors(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")

    with pytest.raises(CommandError, match="路径不存在"):
        run(tmp_path / "missing")
    with pytest.raises(CommandError, match="未找到可识别格式"):
        run(other)


@pytest.mark.django_db
def test_json_with_a_non_record_element_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "q" / "marks.json"
    path.parent.mkdir()
    path.write_text(
        '[{"RegNo": "16435657", "IntCls": 45, "Name": "企查查", "AppDate": "2015/3/4 0:00:00",'
        ' "ApplicantCn": "苏州朗动网络科技有限公司"}, 42,'
        ' {"RegNo": "0", "IntCls": 45, "Name": "无效", "AppDate": "2015/3/4"}]',
        encoding="utf-8",
    )
    report = tmp_path / "r.csv"

    run(path, "--report", report)

    assert list(Right.objects.values_list("number", "kind")) == [("16435657", "trademark")]
    with report.open(encoding="utf-8-sig") as f:
        assert [(r["row"], r["code"]) for r in csv.DictReader(f)] == [
            ("2", "bad_record"),
            ("3", "bad_number"),
        ]


# --- the pure mapping (no database) --------------------------------------------------------------


def test_detect_format_by_header(shared_data: Path) -> None:
    assert detect_format(CNIPR_HEADER.split(",")) is Format.CNIPR
    assert detect_format(["\ufeff申请号", "授权公告日", "专利类型", "法律状态", "专利名称"]) is (
        Format.LEGAL_STATUS
    )
    assert detect_format(["RegNo", "IntCls", "Name", "AppDate", "Id"]) is Format.QCC_TRADEMARKS
    assert detect_format(["Year", "Amount"]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013.01.02", date(2013, 1, 2)),
        ("2017-03-01T00:00:00", date(2017, 3, 1)),
        ("2015/3/4 0:00:00", date(2015, 3, 4)),
        ("20240405", date(2024, 4, 5)),
        ("0", None),
        ("", None),
    ],
)
def test_parse_date_formats(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_parse_date_short_years_take_the_century_of_the_reference_year() -> None:
    assert parse_date("25/04/13", century_hint=2013) == date(2013, 4, 25)
    assert parse_date("30/12/99", century_hint=2001) == date(1999, 12, 30)
    with pytest.raises(ValueError, match="25/04/13"):
        parse_date("25/04/13")  # without a reference year the century is unknown
    with pytest.raises(ValueError, match="2012"):
        parse_date("2012.13.45")


@given(st.integers(min_value=1, max_value=200))
def test_equal_shares_sum_to_one_and_differ_by_at_most_a_millionth(n: int) -> None:
    shares = equal_shares(n)
    assert len(shares) == n and sum(shares) == 1
    assert all(s > 0 and s.as_tuple().exponent >= -6 for s in shares)
    assert max(shares) - min(shares) <= Decimal("0.000001") * n


def test_region_from_address() -> None:
    assert region_from_address("226634 江苏省南通市海安县") == "江苏"
    assert region_from_address("450000河南省郑州市") == "河南"
    assert region_from_address("中国香港九龙") == "香港"
    assert region_from_address("010000 内蒙古自治区呼和浩特市") == "内蒙古"
    assert region_from_address("澳大利亚昆士兰州") == "澳大利亚"
    assert region_from_address("某地") == ""


def test_map_rows_lens_other_jurisdiction_is_a_skip_not_an_error() -> None:
    row = {"Jurisdiction": "US", "Kind": "A1", "Publication Number": "US 2013/0101709 A1"}
    [outcome] = map_rows(Format.LENS, [(2, row)], source="x/y.csv")
    assert isinstance(outcome, RowProblem)
    assert (outcome.code, outcome.skipped) == (Problem.NOT_CN, True)


def test_map_rows_pending_cnipr_invention_has_no_grant_and_no_event(shared_data: Path) -> None:
    row = cnipr_row("CN201210249766.4", **{"公开（公告）号": "CN102644312A"})
    [record] = map_rows(Format.CNIPR, [(2, row)], source="x/y.csv")
    assert isinstance(record, RightRecord)
    assert (record.kind, record.grant_date, record.events) == (RightKind.INVENTION, None, ())


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_that_loses_a_race_for_a_number_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another import commits the same number between this batch's look-up and its write (on
    PostgreSQL the set-based merge's: after the batch's rights are matched against the register,
    before the new ones are inserted): the unique violation comes out as Django's
    IntegrityError, and the batch is looked up and written again, merging into the right the
    other import made."""
    import threading

    from django.db import connection

    from ipfin.registry import importers

    original = importers._StagedFile._insert_new
    raced: list[bool] = []

    def rival(number: str) -> None:
        try:
            Right.objects.create(
                number=number, kind=RightKind.UTILITY_MODEL.value, title="另一导入",
                filing_date=date(2012, 5, 31),
            )  # fmt: skip
        finally:
            connection.close()

    def insert_after_a_rival(self: Any, cursor: Any, lo: int, hi: int, now: Any) -> int:
        if not raced:
            raced.append(True)
            other = threading.Thread(target=rival, args=(self.records[lo].number,))
            other.start()
            other.join()
        return original(self, cursor, lo, hi, now)

    monkeypatch.setattr(importers._StagedFile, "_insert_new", insert_after_a_rival)
    out, _ = run(write_cnipr(tmp_path / "a" / "race.csv", [cnipr_row("CN201220249767.4")]))
    assert raced == [True]
    right = Right.objects.get()
    assert right.title == "一种测试装置"  # the batch, written again, merged into the rival's
    assert RightOwner.objects.filter(right=right).count() == 1
    assert "新建 0，更新 1" in out


@pytest.mark.django_db
def test_the_report_quotes_the_file_inert_in_a_spreadsheet(tmp_path: Path) -> None:
    """A bad row's number is the file's own text: a formula there stays text in the report."""
    path = write_cnipr(
        tmp_path / "export" / "evil.csv",
        [cnipr_row("CN201220249767.4"), cnipr_row('=HYPERLINK("http://x")')],
    )
    report = tmp_path / "report.csv"
    run(path, "--report", report)
    with report.open(encoding="utf-8-sig") as f:
        (row,) = list(csv.DictReader(f))
    assert row["number"].startswith("'=HYPERLINK"), row


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_import_does_not_overwrite_an_edit_committed_while_it_ran(tmp_path: Path) -> None:
    """The office fills in a right's abstract while an import runs that changes another
    right's abstract and this right's IPC code (its row states no abstract): the import waits for
    the correction, reads it, and keeps it. Unlocked, it read the abstract before the correction
    and wrote that back over it (every changed column of the batch goes to each of its rows)."""
    import threading

    from django.db import connection, transaction

    number = "201220249768.9"
    ipc = {"主分类号": "A01B1/00"}
    run(
        write_cnipr(
            tmp_path / "r" / "v1.csv",
            [cnipr_row("CN201220249767.4", **ipc), cnipr_row("CN201220249768.9", **ipc)],
        )
    )
    v2 = write_cnipr(
        tmp_path / "r" / "v2.csv",
        [
            cnipr_row("CN201220249767.4", **{**ipc, "摘要": "新摘要"}),
            cnipr_row("CN201220249768.9", **{"主分类号": "B02C1/00"}),
        ],
    )  # fmt: skip
    outcome: list[str] = []

    def importing() -> None:
        try:
            outcome.append(run(v2)[0])
        finally:
            connection.close()

    with transaction.atomic():  # the correction, in progress: its row locked
        edited = Right.objects.select_for_update().get(number=number)
        other = threading.Thread(target=importing)
        other.start()
        other.join(timeout=3)
        assert other.is_alive()  # the import waits for the correction to commit
        edited.abstract = "审查员补录的摘要"
        edited.version += 1
        edited.save(update_fields=["abstract", "version"])
    other.join(timeout=60)
    assert outcome and "更新 2" in outcome[0]
    right = Right.objects.get(number=number)
    assert (right.abstract, right.ipc_main) == ("审查员补录的摘要", "B02C1/00")


@pytest.mark.django_db
def test_a_row_with_a_character_no_database_stores_is_reported_and_the_others_load(
    tmp_path: Path,
) -> None:
    """A corrupted export with a NUL in one title: PostgreSQL refuses any text holding one, and
    the batch it fell in failed the whole import after the earlier batches had committed, with
    no report; SQLite stored it. Now the row is a bad row on both, and the rest loads."""
    path = write_cnipr(
        tmp_path / "n" / "nul.csv",
        [
            cnipr_row("CN201220249767.4"),
            cnipr_row("CN201220249768.9", title="一种\x00装置"),
            cnipr_row("CN201220249770.6"),
        ],
    )
    report = tmp_path / "report.csv"
    out, err = run(path, "--report", report, "--batch-size", "1")
    assert sorted(Right.objects.values_list("number", flat=True)) == [
        "201220249767.4",
        "201220249770.6",
    ]
    with report.open(encoding="utf-8-sig") as f:
        assert [(r["row"], r["code"]) for r in csv.DictReader(f)] == [("3", "bad_character")]
    assert "新建 2" in out and "无法保存的字符" in err


@pytest.mark.django_db
def test_json_escapes_of_a_lone_surrogate_or_a_nul_are_bad_rows_an_emoji_is_not(
    tmp_path: Path,
) -> None:
    """JSON writes them as escapes, which json.loads turns into text no database stores: the rows
    are refused; an emoji escaped as a surrogate pair is an ordinary character."""
    path = tmp_path / "q" / "marks.json"
    path.parent.mkdir()
    record = '{{"RegNo": "{no}", "IntCls": 45, "Name": "{name}", "AppDate": "2015/3/4 0:00:00"}}'
    names = [
        ("16435657", "企查查\\ud800"),
        ("16435658", "空\\u0000字"),
        ("16435660", "低\\udc00"),
        ("16435659", "笑\\ud83d\\ude01"),
    ]
    path.write_text(
        "[" + ", ".join(record.format(no=no, name=name) for no, name in names) + "]",
        encoding="utf-8",
    )
    report = tmp_path / "r.csv"
    run(path, "--report", report)
    assert list(Right.objects.values_list("number", "mark_text")) == [("16435659", "笑😁")]
    with report.open(encoding="utf-8-sig") as f:
        assert [(r["row"], r["code"]) for r in csv.DictReader(f)] == [
            ("1", "bad_character"),
            ("2", "bad_character"),
            ("3", "bad_character"),
        ]


def test_unstorable_text_is_a_nul_or_a_lone_surrogate() -> None:
    from ipfin.common.inputs import unstorable

    assert unstorable("a\x00b") and unstorable("\ud800")
    assert not unstorable("一种装置 ABC 🚁")


@pytest.mark.django_db
@pytest.mark.parametrize("grant_first", [False, True])
def test_an_application_and_its_grant_in_one_file_load_as_the_grant(
    tmp_path: Path, grant_first: bool
) -> None:
    """A CNIPR export lists an invention's A and B publications: the right is the granted one
    whichever row comes first (before, the first row won and a later grant was an error)."""
    application = cnipr_row(
        "CN201210249766.4", **{"公开（公告）号": "CN102644312A", "公开（公告）日": "2012.11.14"}
    )
    grant = cnipr_row(
        "CN201210249766.4", **{"公开（公告）号": "CN102644312B", "公开（公告）日": "2014.06.04"}
    )
    rows = [grant, application] if grant_first else [application, grant]
    out, _ = run(write_cnipr(tmp_path / "g" / "both.csv", rows))
    right = Right.objects.get()
    assert (right.grant_date, right.publication_no) == (date(2014, 6, 4), "CN102644312B")
    assert list(right.events.values_list("date", "payload")) == [(date(2014, 6, 4), {"year": 3})]
    assert "新建 1" in out and "跳过 1" in out and "错误 0" in out
    assert "以同一文件中的授权记录为准 1" in out


@pytest.mark.django_db
def _legal_status_file(path: Path, holders: list[str]) -> Path:
    """A legal-status export (its 当前权利人 are the current holders) of one utility model per
    holder given."""
    header = [
        "申请号",
        "申请日",
        "授权公告日",
        "专利类型",
        "专利名称",
        "法律状态",
        "申请人",
        "当前权利人",
    ]
    numbers = ["CN201220249767.4", "CN201220249770.6"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for number, holder in zip(numbers, holders, strict=False):
            writer.writerow(
                [
                    number,
                    "20120531",
                    "20130102",
                    "实用新型",
                    "一种测试装置",
                    "有权",
                    "甲科技有限公司",
                    holder,
                ]
            )
    return path


@pytest.mark.django_db
def test_a_file_naming_other_current_holders_is_reported_and_never_transfers_the_right_zlf_art10(
    tmp_path: Path,
) -> None:
    """A later legal-status export names another current holder (当前权利人): the transfer takes
    effect when registered with the office (专利法 art. 10 ¶3), and a pledged right's needs the
    pledgee's consent (民法典 art. 444 ¶2), so the import keeps the register's owner. Before, the
    difference was dropped and the row counted as unchanged; now the row is in the report and
    the summary. A source whose names are the applicants (CNIPR 申请（专利权）人) says nothing of
    today's holder: no report; nor do the same names spaced otherwise, with half-width brackets,
    or in another order."""
    run(_legal_status_file(tmp_path / "o" / "v1.csv", ["甲科技有限公司", "甲（深圳）公司；乙公司"]))
    report = tmp_path / "report.csv"
    out, err = run(
        _legal_status_file(tmp_path / "o" / "v2.csv", ["乙科技有限公司", "乙 公司；甲(深圳)公司"]),
        "--report",
        report,
    )
    right = Right.objects.get(number="201220249767.4")
    assert list(right.owners.values_list("name", flat=True)) == ["甲科技有限公司"]
    assert "错误 0" in out and "权利人与登记簿不同 1 行" in out
    assert "乙科技有限公司" in err and "甲科技有限公司" in err
    with report.open(encoding="utf-8-sig") as f:
        assert [(r["row"], r["code"]) for r in csv.DictReader(f)] == [("2", "owners_differ")]
    cnipr = cnipr_row("CN201220249767.4", **{"申请（专利权）人": "丙科技有限公司"})
    out, _ = run(write_cnipr(tmp_path / "o" / "v3.csv", [cnipr]))
    assert "权利人与登记簿不同" not in out


@pytest.mark.django_db(transaction=True)
def test_a_database_failing_mid_file_keeps_the_batches_written_and_says_how_far(
    tmp_path: Path,
) -> None:
    """The database refuses the third batch (a trigger standing in for a full disk or a lost
    server): the two batches before stay, the command says how far the file got and that a
    re-run is safe, the audit trail records the interruption, and the re-run completes."""
    from django.db import connection

    failing = "201220249770.6"
    if connection.vendor == "postgresql":
        create = [
            "CREATE FUNCTION ipfin_test_refuse() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.number = '{failing}' THEN RAISE EXCEPTION 'disk full'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER ipfin_test_refuse BEFORE INSERT ON registry_right "
            "FOR EACH ROW EXECUTE FUNCTION ipfin_test_refuse()",
        ]
        drop = [
            "DROP TRIGGER ipfin_test_refuse ON registry_right",
            "DROP FUNCTION ipfin_test_refuse()",
        ]
    else:
        create = [
            "CREATE TRIGGER ipfin_test_refuse BEFORE INSERT ON registry_right "
            f"WHEN NEW.number = '{failing}' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        ]
        drop = ["DROP TRIGGER ipfin_test_refuse"]
    path = write_cnipr(
        tmp_path / "d" / "three.csv",
        [
            cnipr_row("CN201220249767.4"),
            cnipr_row("CN201220249768.9"),
            cnipr_row("CN201220249770.6"),
        ],
    )
    with connection.cursor() as cursor:
        for sql in create:
            cursor.execute(sql)
    try:
        with pytest.raises(CommandError, match="写入中断") as raised:
            run(path, "--batch-size", "1")
    finally:
        with connection.cursor() as cursor:
            for sql in drop:
                cursor.execute(sql)
    assert "已写入 2 行" in str(raised.value) and "重新运行同一文件" in str(raised.value)
    assert sorted(Right.objects.values_list("number", flat=True)) == [
        "201220249767.4",
        "201220249768.9",
    ]
    record = AuditRecord.objects.get(action="registry.import.interrupted")
    assert record.after["created"] == 2 and "disk full" in record.after["error"]
    out, _ = run(path)  # the same file again, the database mended
    assert "新建 1，更新 0，未变 2" in out


@pytest.mark.django_db
def test_a_grant_row_the_database_cannot_store_leaves_its_application_to_load(
    tmp_path: Path,
) -> None:
    """The choice between an application's row and its grant's is made among rows that load: a
    grant row refused (a NUL in its title) does not take its application with it."""
    application = cnipr_row(
        "CN201210249766.4", **{"公开（公告）号": "CN102644312A", "公开（公告）日": "2012.11.14"}
    )
    grant = cnipr_row(
        "CN201210249766.4",
        "一种\x00装置",
        **{"公开（公告）号": "CN102644312B", "公开（公告）日": "2014.06.04"},
    )
    out, err = run(write_cnipr(tmp_path / "g" / "bad_grant.csv", [application, grant]))
    right = Right.objects.get()
    assert (right.grant_date, right.publication_no) == (None, "CN102644312A")
    assert "新建 1" in out and "错误 1" in out and "无法保存的字符" in err


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_import_and_a_pledge_locking_the_same_rights_wait_for_each_other(
    tmp_path: Path,
) -> None:
    """A pledge application locks its rights in id order (pledges.services.common.lock_rights),
    and so does an import batch: a pledge holding the first right while the import waits for it
    can then lock the second. The import locked them in number order, which here is the
    reverse: it held the second while waiting for the first, and PostgreSQL killed one of the
    two as a deadlock."""
    import threading

    from django.db import connection, transaction

    from ipfin.pledges.services.common import lock_rights

    # Entered in the reverse of number order: ids and numbers disagree.
    path = write_cnipr(
        tmp_path / "k" / "v1.csv", [cnipr_row("CN201220249770.6"), cnipr_row("CN201220249767.4")]
    )
    run(path)
    first, second = Right.objects.order_by("pk")
    assert first.number > second.number
    outcome: list[str] = []

    def importing() -> None:
        try:
            outcome.append(run(path)[0])
        except Exception as exc:  # the test reads what happened to the import
            outcome.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    with transaction.atomic():  # a pledge application locking its rights, in two steps
        lock_rights([first.pk])
        other = threading.Thread(target=importing)
        other.start()
        other.join(timeout=2)  # the import now waits for the first right
        lock_rights([first.pk, second.pk])
    other.join(timeout=60)
    assert outcome and "未变 2" in outcome[0], outcome
