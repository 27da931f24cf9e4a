"""Who applied: the first-named applicant's type and the number of applicants at filing, and the
backward citations, as the imports of the shipped data, `right_create` and the data migration
record them (the 价值度 score's applicant and citation indicators read them, issue 14)."""

from __future__ import annotations

import csv
import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.models import Organisation, User
from ipfin.registry.domain import APPLICANT_TYPES, applicant_type_of, applicants_summary
from ipfin.registry.importers import rights_import
from ipfin.registry.models import Right, RightOwner

DATA: Path = settings.IPFIN_SHARED_DATA_DIR


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Real applicants of ../shared/data (CNIPR export, incoPat sample, Lens CN rows).
        ("海安县建莲商品混凝土有限公司", "enterprise"),
        ("徐工集团工程机械股份有限公司科技分公司", "enterprise"),
        ("北京铁科英迈技术有限公司", "enterprise"),  # 技术 and 有限公司: a company
        ("昆明理工大学", "university"),
        ("中国铁道科学研究院基础设施检测研究所", "institute"),
        ("中科大数据研究院", "institute"),
        ("任珊珊", "individual"),
        ("上海市七宝中学", "public"),
        ("贵州省纳米材料工程中心", "public"),
        ("ZHUHAI XINGYU MODEL IND CO LTD", "enterprise"),
        ("MICROSOFT CORP", "enterprise"),
        ("PARROT S A", "enterprise"),
        ("UNIV BEI HANG", "university"),
        ("INST OF ROCK & SOIL MECH CAS", "institute"),
        ("CHINESE PEOPLE S ARMED POLICES", "public"),
        ("HUILIAN TANG", "individual"),
        ("QI YUFEN", "individual"),
        ("HONGHE POWER SUPPLY BUREAU YUNNAN POWER GRID CO LTD", "enterprise"),
        # Names that say nothing: unknown, never guessed.
        ("PARROT", ""),
        ("", ""),
        ("东方红太阳升起来了", ""),  # five characters or more and no marker: not a name
    ],
)
def test_applicant_type_of_real_names(name: str, expected: str) -> None:
    assert applicant_type_of(name) == expected


@given(st.text(max_size=40))
def test_applicant_type_of_any_text_is_a_known_type_or_unknown(name: str) -> None:
    assert applicant_type_of(name) in {*APPLICANT_TYPES, ""}


def test_applicants_summary_counts_distinct_names_and_prefers_the_stated_type() -> None:
    assert applicants_summary(["甲科技有限公司", "乙大学", "甲科技有限公司"]) == ("enterprise", 2)
    assert applicants_summary(["中科大数据研究院"], "科研机构") == ("institute", 1)
    assert applicants_summary(["某某"], "大专院校") == ("university", 1)
    assert applicants_summary([]) == ("", None)
    assert applicants_summary([" ", ""]) == ("", None)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_the_shipped_exports_fill_the_applicant_facts_and_backward_citations(db: None) -> None:
    """CNIPR: applicants from 申请（专利权）人, 参考文献 empty in every row → unknown (None),
    never 0; incoPat: 申请人类型 科研机构 → institute, 引证数 0 → 0; Lens: Applicants."""
    rights_import(actor=None, paths=[DATA])
    cnipr = _rows("cn-patents-cnipr-export/cnipr_export_199.csv")
    first = cnipr[0]
    right = Right.objects.get(number=first["申请号"].replace("CN", ""))
    names = [n for n in first["申请（专利权）人"].split(";") if n.strip()]
    assert right.applicant_count == len(names)
    assert right.applicant_type == applicant_type_of(names[0]) == "enterprise"
    assert right.backward_citations is None
    joint = next(r for r in cnipr if r["申请（专利权）人"].count(";") >= 1)
    joint_right = Right.objects.get(number=joint["申请号"].replace("CN", ""))
    assert joint_right.applicant_count == len(set(joint["申请（专利权）人"].split(";")))
    incopat = _rows("cn-patents-legal-status-sample/patent_table_sample.csv")[0]
    sample = Right.objects.get(number=incopat["申请号"].replace("CN", ""))
    assert (sample.applicant_type, sample.applicant_count) == ("institute", 1)
    assert sample.backward_citations == int(incopat["引证数"]) == 0
    lens_types = set(
        Right.objects.filter(source__icontains="lens").values_list("applicant_type", flat=True)
    )
    assert {"enterprise", "university", "institute", "individual"} <= lens_types


def test_right_create_records_the_applicants(
    make_right: Callable[..., Right], enterprise_a: Organisation
) -> None:
    named = make_right(owners=[{"name": "乙大学"}, {"name": "丙科技有限公司"}])
    assert (named.applicant_type, named.applicant_count) == ("university", 2)
    # A registered enterprise is an enterprise whatever its name says.
    Organisation.objects.filter(pk=enterprise_a.pk).update(name="甲研究院")
    registered = make_right(owners=[{"name": "甲研究院", "uscc": enterprise_a.uscc}])
    assert (registered.applicant_type, registered.applicant_count) == ("enterprise", 1)
    cited = make_right(backward_citations=7)
    assert cited.backward_citations == 7


def test_the_data_migration_fills_rights_registered_before_it(
    make_right: Callable[..., Right], examiner: User
) -> None:
    right = make_right(owners=[{"name": "任珊珊"}, {"name": "丁机械厂"}])
    Right.objects.filter(pk=right.pk).update(applicant_type="", applicant_count=None)
    # A later owner (a transfer) is not an applicant.
    RightOwner.objects.create(right=right, name="戊大学", valid_from=right.filing_date.replace(
        year=right.filing_date.year + 3))  # fmt: skip
    migration = importlib.import_module(
        "ipfin.registry.migrations.0005_applicant_facts_and_backward_citations"
    )
    migration.fill_applicant_facts(django_apps, None)
    right.refresh_from_db()
    assert (right.applicant_type, right.applicant_count) == ("individual", 2)
