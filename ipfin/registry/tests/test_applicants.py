"""Who applied: the first-named applicant's type and the number of applicants at filing, and the
backward citations, as the imports of the shipped data, `right_create` and the data migration
record them (the 价值度 score's applicant and citation indicators read them, issue 14)."""

from __future__ import annotations

import csv
import importlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.errors import ValidationFailed
from ipfin.registry.domain import (
    APPLICANT_TYPE_LABELS,
    APPLICANT_TYPES,
    applicant_type_of,
    applicants_summary,
)
from ipfin.registry.import_mapping import Format, RightRecord, map_rows
from ipfin.registry.importers import rights_import
from ipfin.registry.models import ApplicantTypeChoices, Right, RightOwner

DATA: Path = settings.IPFIN_SHARED_DATA_DIR
CNIPR = "cn-patents-cnipr-export/cnipr_export_199.csv"
LEGAL_STATUS = "cn-patents-legal-status-sample/patent_table_sample.csv"


# --- the classifier (pure) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Real applicants of ../shared/data: CNIPR 申请（专利权）人, the legal-status 申请人,
        # qichacha, and the Applicants of the Lens CN rows.
        ("海安县建莲商品混凝土有限公司", "enterprise"),
        ("徐工集团工程机械股份有限公司科技分公司", "enterprise"),
        ("北京铁科英迈技术有限公司", "enterprise"),  # 技术 and 有限公司: a company
        ("中铁西北科学研究院有限公司", "enterprise"),  # a 研究院 that is a company
        ("上海市政交通设计研究院有限公司", "enterprise"),
        ("哈姆股份公司", "enterprise"),
        ("苏州朗动网络科技有限公司", "enterprise"),  # qichacha
        ("昆明理工大学", "university"),
        ("西安建筑科技大学", "university"),
        ("中国铁道科学研究院基础设施检测研究所", "institute"),
        ("中国水电顾问集团昆明勘测设计研究院", "institute"),  # a group's institute
        ("交通运输部公路科学研究所", "institute"),
        ("中科大数据研究院", "institute"),  # legal-status sample
        ("任珊珊", "individual"),
        ("路勇", "individual"),
        ("上海市七宝中学", "public"),  # a middle school is no 大专院校
        ("贵州省纳米材料工程中心", "public"),
        ("江西省交通运输厅福银高速九江长江公路大桥项目建设办公室", "public"),
        ("ZHUHAI XINGYU MODEL IND CO LTD", "enterprise"),
        ("SHAANXI YANTA FENGTOU PIPES CO LTD", "enterprise"),
        ("MICROSOFT CORP", "enterprise"),
        ("PARROT S A", "enterprise"),
        ("OBSHESTVO S OGRANICHENNOJ OTVETSTVENNOSTJU PARAFARM", "enterprise"),  # Russian LLC
        ("MAANSHAN AHUT IND TECHNOLOGY RES INST CO LTD", "enterprise"),  # …研究院有限公司
        ("HONGHE POWER SUPPLY BUREAU YUNNAN POWER GRID CO LTD", "enterprise"),
        ("JIANGXI HONGDU AVIAT IND GROUP", "enterprise"),
        ("UNIV BEI HANG", "university"),
        ("BEIJING TECHNOLOGY UNIV", "university"),
        ("JINHUA COLLEGE OF PROFESSION & TECH", "university"),
        ("JINLING INST TECHNOLOGY", "university"),  # 金陵科技学院
        ("INST OF ROCK & SOIL MECH CAS", "institute"),
        ("BEE RES INST CAAS", "institute"),
        ("BEE INST CHINESE ACADEMY OF AG", "institute"),  # cut name ending "AG": no company
        ("MAX PLANCK GESELLSCHAFT", "institute"),
        ("CHINESE PEOPLE S ARMED POLICES", "public"),
        ("TROOP LOGISTICS NO 66267 OF PLA", "public"),
        ("HUZHOU CENTER HOSPITAL", "public"),
        ("SHANGHAI QIBAO HIGH SCHOOL", "public"),  # the Lens name of 上海市七宝中学
        ("HUILIAN TANG", "individual"),
        ("QI YUFEN", "individual"),
        ("KIM NAM-I", "individual"),
        ("GERARD IMMORDINO", "individual"),
        # Names that do not tell: unknown, never guessed.
        ("PARROT", ""),
        ("NANJING AGRICULTURAL MECHANIZA", ""),  # three words, but no person's
        ("BEIJING AERONAUTICAL & SPACE U", ""),  # cut before UNIV
        ("", ""),
        ("   ", ""),
    ],
)
def test_applicant_type_of_real_names(name: str, expected: str) -> None:
    assert applicant_type_of(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("东方红太阳升起来了", ""),  # five characters or more and no marker: not a person
        ("张学会", "individual"),  # 学会 is a given name here, not a society
        ("中国化学会", "public"),
        ("公安局", "public"),  # three characters, but a bureau
        ("买买提·艾力", "individual"),
        ("上海交通大学附属中学", "public"),
        ("江西农业大学蜜蜂研究所", "university"),  # a university's institute: the university
        ("某某技工学校", "university"),
        ("Huilian Tang", "individual"),  # case and full-width forms do not matter
        ("ＨＵＩＬＩＡＮ　ＴＡＮＧ", "individual"),
    ],
)
def test_applicant_type_of_edges(name: str, expected: str) -> None:
    assert applicant_type_of(name) == expected


_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)


@given(st.text(max_size=40))
def test_applicant_type_of_any_text_is_a_known_type_or_unknown(name: str) -> None:
    assert applicant_type_of(name) in {*APPLICANT_TYPES, ""}


@given(st.text(alphabet=_HAN, max_size=12), st.sampled_from(["有限公司", "研究院有限公司", "集团"]))
def test_a_chinese_name_ending_in_a_legal_form_is_an_enterprise(head: str, form: str) -> None:
    assert applicant_type_of(head + form) == "enterprise"


@given(st.text(alphabet=_HAN, max_size=12))
def test_a_chinese_name_ending_in_daxue_is_a_university(head: str) -> None:
    assert applicant_type_of(head + "大学") == "university"


@given(st.lists(_WORD, min_size=1, max_size=4).map(" ".join), st.sampled_from([" CO LTD", " INC"]))
def test_an_english_name_ending_in_a_legal_form_is_an_enterprise(head: str, form: str) -> None:
    assert applicant_type_of(head + form) == "enterprise"


@given(st.lists(_WORD, min_size=1, max_size=5).map(" ".join))
def test_english_names_ignore_case_and_spacing(name: str) -> None:
    assert (
        applicant_type_of(name.lower())
        == applicant_type_of(f"  {name}  ")
        == (applicant_type_of(name))
    )


@given(st.lists(st.sampled_from(["任珊珊", "昆明理工大学", " ", "", "UNIV BEI HANG", "路勇"])))
def test_applicants_summary_counts_distinct_names_and_types_the_first(names: list[str]) -> None:
    named = [n.strip() for n in names if n.strip()]
    applicant_type, count = applicants_summary(names)
    if not named:
        assert (applicant_type, count) == ("", None)
    else:
        assert count == len(set(named))
        assert applicant_type == applicant_type_of(named[0])


def test_applicants_summary_prefers_the_stated_type() -> None:
    assert applicants_summary(["中科大数据研究院"], "科研机构") == ("institute", 1)
    assert applicants_summary(["某某"], "大专院校") == ("university", 1)
    assert applicants_summary(["甲科技有限公司"], "个人;企业") == ("individual", 1)
    assert applicants_summary(["甲科技有限公司"], "其他") == ("enterprise", 1)  # unknown label
    assert applicants_summary([], "机关团体") == ("public", None)
    assert set(APPLICANT_TYPE_LABELS.values()) == set(APPLICANT_TYPES)
    assert set(APPLICANT_TYPES) == set(ApplicantTypeChoices.values)


# --- the import mapping (pure) -------------------------------------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _record(fmt: Format, row: dict[str, str]) -> RightRecord:
    (outcome,) = map_rows(fmt, [(2, row)], source="test")
    assert isinstance(outcome, RightRecord), outcome
    return outcome


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("", None), ("  ", None), ("CN101A;CN102U", 2), ("CN101A；CN102U; ;", 2), ("US5256432A", 1)],
)
def test_cnipr_references_are_counted_and_an_empty_cell_is_unknown(
    cell: str, expected: int | None
) -> None:
    row = {**_rows(CNIPR)[0], "参考文献": cell}
    assert _record(Format.CNIPR, row).backward_citations == expected


@pytest.mark.parametrize(("cell", "expected"), [("0", 0), ("12", 12), ("", None)])
def test_legal_status_citations_and_its_stated_applicant_type(
    cell: str, expected: int | None
) -> None:
    row = {**_rows(LEGAL_STATUS)[0], "引证数": cell}
    record = _record(Format.LEGAL_STATUS, row)
    assert record.backward_citations == expected
    assert record.applicant_facts() == ("institute", 1)  # 申请人类型 科研机构


def test_legal_status_applicants_are_the_filing_applicants_not_the_current_holders() -> None:
    row = {**_rows(LEGAL_STATUS)[0], "当前权利人": "甲科技有限公司", "申请人类型": ""}
    row["申请人"] = "任珊珊;昆明理工大学"
    record = _record(Format.LEGAL_STATUS, row)
    assert record.owners == ("甲科技有限公司",)
    assert record.applicant_facts() == ("individual", 2)


# --- the imports, right_create, the data migration (database) ------------------------------------


def test_the_shipped_exports_fill_the_applicant_facts_and_backward_citations(db: None) -> None:
    """CNIPR: applicants from 申请（专利权）人, 参考文献 empty in every row → unknown (None),
    never 0; legal-status: 申请人类型 科研机构 → institute, 引证数 0 → 0; Lens: Applicants."""
    rights_import(actor=None, paths=[DATA])
    cnipr = _rows(CNIPR)
    cnipr_rights = Right.objects.filter(source=CNIPR)
    assert cnipr_rights.count() == len(cnipr) == 199
    assert not cnipr_rights.filter(backward_citations__isnull=False).exists()
    assert not cnipr_rights.filter(applicant_type="").exists()  # every CNIPR name tells
    assert cnipr_rights.filter(applicant_count__gt=1).count() == sum(
        1 for r in cnipr if len({n for n in r["申请（专利权）人"].split(";") if n.strip()}) > 1
    )
    first = cnipr[0]
    right = Right.objects.get(number=first["申请号"].removeprefix("CN"))
    names = [n for n in first["申请（专利权）人"].split(";") if n.strip()]
    assert right.applicant_count == len(names)
    assert right.applicant_type == applicant_type_of(names[0]) == "enterprise"

    legal = Right.objects.filter(source=LEGAL_STATUS)
    assert legal.count() == 10
    assert set(legal.values_list("applicant_type", "applicant_count", "backward_citations")) == {
        ("institute", 1, 0)
    }
    lens = Right.objects.filter(source__startswith="lens-patent-samples/")
    assert set(lens.values_list("applicant_type", flat=True)) == {*APPLICANT_TYPES, ""}
    assert not lens.filter(backward_citations__isnull=False).exists()
    # A Lens row without Applicants: nobody is known, neither the type nor the count.
    unnamed = lens.filter(applicant_count__isnull=True)
    assert unnamed.exists()
    assert set(unnamed.values_list("applicant_type", flat=True)) == {""}
    assert not RightOwner.objects.filter(right__in=unnamed).exists()
    qcc = Right.objects.filter(source__startswith="cn-ip-qichacha-records/")
    assert set(qcc.values_list("applicant_type", "applicant_count", "backward_citations")) == {
        ("enterprise", 1, None)
    }


def test_right_create_records_the_applicants(
    make_right: Callable[..., Right],
    make_org: Callable[..., Organisation],
    enterprise_a: Organisation,
) -> None:
    named = make_right(owners=[{"name": "昆明理工大学"}, {"name": "丙科技有限公司"}])
    assert (named.applicant_type, named.applicant_count) == ("university", 2)
    assert named.backward_citations is None
    # A registered enterprise is an enterprise whatever its name says.
    Organisation.objects.filter(pk=enterprise_a.pk).update(name="甲研究院")
    registered = make_right(owners=[{"name": "甲研究院", "uscc": enterprise_a.uscc}])
    assert (registered.applicant_type, registered.applicant_count) == ("enterprise", 1)
    # Another kind of organisation: its name decides.
    office = make_org(OrganisationKind.IP_OFFICE, name="某市知识产权局")
    public = make_right(owners=[{"name": office.name, "uscc": office.uscc}, {"name": "任珊珊"}])
    assert (public.applicant_type, public.applicant_count) == ("public", 2)
    cited = make_right(backward_citations=7)
    cited.refresh_from_db()
    assert cited.backward_citations == 7


@pytest.mark.parametrize("bad", [-1, "3", 2.0, True, 2**31])
def test_right_create_refuses_a_backward_citation_count_that_is_not_one(
    make_right: Callable[..., Right], bad: Any
) -> None:
    before = Right.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        make_right(backward_citations=bad)
    assert caught.value.code == "backward_citations_invalid"
    assert Right.objects.count() == before


def test_the_data_migration_fills_rights_registered_before_it(
    make_right: Callable[..., Right], enterprise_a: Organisation, examiner: User
) -> None:
    def forget(*rights: Right) -> None:
        Right.objects.filter(pk__in=[r.pk for r in rights]).update(
            applicant_type="", applicant_count=None
        )

    joint = make_right(owners=[{"name": "任珊珊"}, {"name": "丁机械厂"}])
    # A later owner (a transfer) is not an applicant.
    RightOwner.objects.create(right=joint, name="戊大学", valid_from=date(2019, 1, 1))
    registered = make_right(owners=[{"name": "甲研究院", "uscc": enterprise_a.uscc}])
    bare = make_right()
    RightOwner.objects.filter(right=bare).delete()  # no owners: stays unknown
    forget(joint, registered, bare)
    untouched = make_right(owners=[{"name": "昆明理工大学"}])
    untouched_version = untouched.version

    migration = importlib.import_module(
        "ipfin.registry.migrations.0005_applicant_facts_and_backward_citations"
    )
    migration.fill_applicant_facts(django_apps, None)

    facts = dict(
        (pk, (t, c))
        for pk, t, c in Right.objects.values_list("pk", "applicant_type", "applicant_count")
    )
    assert facts[joint.pk] == ("individual", 2)
    assert facts[registered.pk] == ("enterprise", 1)
    assert facts[bare.pk] == ("", None)
    assert facts[untouched.pk] == ("university", 1)
    untouched.refresh_from_db()
    assert untouched.version == untouched_version
