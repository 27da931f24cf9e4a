"""Valuation reads: tenant scoping, the score on the fly (cohort-relative, weights checked), the
credit scorecard from the register and the profile, banks' models; and the registry's new value
indicators as the importers fill them from the real exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ipfin.accounts.models import Organisation, User
from ipfin.common.errors import NotAuthenticated, NotFound, ValidationFailed
from ipfin.registry.import_mapping import Format, RightRecord, map_rows
from ipfin.registry.importers import rights_import
from ipfin.registry.models import Right
from ipfin.valuation.domain.indicator import INDICATOR_NAMES
from ipfin.valuation.models import RightScore, Valuation
from ipfin.valuation.selectors import (
    credit_score_get,
    right_score_get,
    valuation_get,
    valuation_list,
)
from ipfin.valuation.services import credit_profile_update, valuation_create

DATA: Path = settings.IPFIN_SHARED_DATA_DIR
LENS_DRONES = DATA / "lens-patent-samples" / "drones_lens_families_5884.csv"


def _valuation(actor: User, right: Right, **kw: Any) -> Valuation:
    return valuation_create(
        actor=actor,
        rights=[right.number],
        method="cost",
        inputs={"cost": "1000", "profit_rate": "0", "used_years": "0", "remaining_years": "1"},
        **kw,
    )


# --- valuations ----------------------------------------------------------------------------------


def test_valuation_scope_maker_client_supervisors(
    agency_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    examiner: User,
    regulator_user: User,
    open_case: Callable[[Organisation], Any],
    enterprise_a_user: User,
    make_right: Callable[..., Right],
) -> None:
    right = make_right()
    for_a = _valuation(agency_user, right, client_bank_uscc=bank_a.uscc)
    own_b = _valuation(bank_b_user, right)
    ids = lambda user: {v.pk for v in valuation_list(actor=user)}  # noqa: E731
    assert ids(agency_user) == {for_a.pk}
    assert ids(bank_a_user) == {for_a.pk}
    assert ids(bank_b_user) == {own_b.pk}
    assert ids(examiner) == {for_a.pk, own_b.pk}
    assert ids(regulator_user) == set()  # aggregates only, until a case opens
    open_case(bank_a)  # the client bank of the agency's valuation
    assert ids(regulator_user) == {for_a.pk}
    assert ids(enterprise_a_user) == set()
    assert valuation_get(actor=bank_a_user, pk=for_a.pk).pk == for_a.pk
    with pytest.raises(NotFound):
        valuation_get(actor=bank_b_user, pk=for_a.pk)
    with pytest.raises(ValidationFailed):
        valuation_list(actor=bank_a_user, state="archived")


def test_valuation_list_needs_login(db: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotAuthenticated):
        valuation_list(actor=AnonymousUser())


def test_valuation_list_query_count_does_not_grow(
    bank_a_user: User, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    _valuation(bank_a_user, right)
    with CaptureQueriesContext(connection) as one:
        [(v.organisation.name, v.client_bank) for v in valuation_list(actor=bank_a_user)]
    for _ in range(3):
        _valuation(bank_a_user, right)
    with CaptureQueriesContext(connection) as four:
        [(v.organisation.name, v.client_bank) for v in valuation_list(actor=bank_a_user)]
    assert len(four) == len(one)


# --- scores --------------------------------------------------------------------------------------


def test_score_on_the_fly_is_relative_to_the_cohort(
    make_right: Callable[..., Right], settings: Any
) -> None:
    settings.IPFIN_SCORE_MIN_COHORT = 1  # no backoff: the (kind, year, subclass) cells
    cited = make_right(ipc_main="G06F16/33")
    plain = make_right(ipc_main="G06F16/34")
    other_field = make_right(ipc_main="A01K47/00")
    Right.objects.filter(pk=cited.pk).update(cited_by_count=10)
    Right.objects.filter(pk=plain.pk).update(cited_by_count=1)
    Right.objects.filter(pk=other_field.pk).update(cited_by_count=100)
    top = right_score_get(number=cited.number)
    low = right_score_get(number=plain.number)
    alone = right_score_get(number=other_field.number)

    def citations(result: dict[str, Any]) -> dict[str, Any]:
        return next(c for c in result["contributions"] if c["name"] == "cited_by_count")

    # In a cohort of two (same year, G06F): 10 ranks above 1 → (1 + ½)/2 = 0.75 and ½·½ = 0.25.
    assert citations(top)["percentile"] == pytest.approx(0.75)
    assert citations(low)["percentile"] == pytest.approx(0.25)
    assert top["score"] > low["score"]
    # 100 citations in a cohort of one (A01K) is just the middle: ½.
    assert citations(alone)["raw"] == 100
    assert citations(alone)["percentile"] == pytest.approx(0.5)
    assert [c["name"] for c in top["contributions"]] == list(INDICATOR_NAMES)
    # points = 100 · α_technical · w_cited · p = 100 · 0.30 · 0.20 · 0.75 = 4.5
    assert citations(top)["points"] == pytest.approx(4.5)
    assert top["cohort"]["basis"] == "subclass_year" and top["cohort"]["size"] == 2


def test_score_on_the_fly_backs_off_to_the_kind(make_right: Callable[..., Right]) -> None:
    """Two inventions in different subclasses and one utility model: under the default minimum
    (30) both inventions are ranked among every invention, never with the utility model."""
    cited = make_right(ipc_main="G06F16/33")
    other = make_right(ipc_main="A01K47/00")
    model = make_right(kind="utility_model", ipc_main="G06F16/33")
    Right.objects.filter(pk=cited.pk).update(cited_by_count=10)
    Right.objects.filter(pk=other.pk).update(cited_by_count=1)
    Right.objects.filter(pk=model.pk).update(cited_by_count=100)
    top = right_score_get(number=cited.number)
    assert top["cohort"]["basis"] == "kind" and top["cohort"]["size"] == 2
    assert top["cohort"]["tech_field"] == ""
    year = cited.filing_date.year
    assert top["cohort"]["filing_years"] == [min(year, other.filing_date.year),
                                             max(year, other.filing_date.year)]  # fmt: skip
    cites = next(c for c in top["contributions"] if c["name"] == "cited_by_count")
    assert cites["percentile"] == pytest.approx(0.75)  # above the A01K one; the model not counted


def test_score_with_dimension_weights(make_right: Callable[..., Right]) -> None:
    right = make_right()
    legal_only = right_score_get(
        number=right.number, dimensions={"legal": "1", "technical": "0", "economic": "0"}
    )
    assert legal_only["score"] == pytest.approx(legal_only["dimensions"]["legal"])
    for bad in (
        {"legal": "0.5", "technical": "0.5", "economic": "0.5"},
        {"legal": "1.5", "technical": "-0.5", "economic": "0"},
        {"legal": "x", "technical": "0.5", "economic": "0.5"},
        {"legal": "0.5", "technical": "0.5", "economic": "0", "social": "0"},
    ):
        with pytest.raises(ValidationFailed) as caught:
            right_score_get(number=right.number, dimensions=bad)
        assert caught.value.extra["field"] == "weights"


def test_score_of_an_unknown_right(db: Any) -> None:
    with pytest.raises(NotFound):
        right_score_get(number="2099100000001.9")
    assert RightScore.objects.count() == 0


# --- the credit scorecard ------------------------------------------------------------------------


def test_credit_score_counts_valid_rights_and_uses_the_profile(
    enterprise_a: Organisation,
    enterprise_a_user: User,
    make_right: Callable[..., Right],
    today: date,
) -> None:
    assert enterprise_a.uscc is not None
    make_right()
    make_right(kind="utility_model")
    make_right(paid=False, grant_date=date(today.year - 2, 1, 1))  # lapsed: not counted
    empty = credit_score_get(actor=enterprise_a_user, uscc=enterprise_a.uscc, on=today)
    factors = {f["factor"]: f for f in empty["factors"]}
    assert factors["valid_invention_count"]["value"] == "1"
    assert factors["valid_right_count"]["value"] == "2"
    assert factors["avg_right_score"]["value"] == "unknown"  # nothing scored yet
    credit_profile_update(
        actor=enterprise_a_user,
        uscc=enterprise_a.uscc,
        version=0,
        high_tech=True,
        specialised_sme=True,
        established_on=date(today.year - 12, 1, 1),
    )
    filled = credit_score_get(actor=enterprise_a_user, uscc=enterprise_a.uscc, on=today)
    assert filled["groups"]["innovation"] == empty["groups"]["innovation"] + 10  # 5 + 5
    years = {f["factor"]: f for f in filled["factors"]}["years_in_business"]
    assert Decimal(years["value"]) >= 11


def test_credit_score_visibility(
    enterprise_a: Organisation,
    bank_b_user: User,
    examiner: User,
    agency_user: User,
    make_org: Callable[..., Organisation],
) -> None:
    assert enterprise_a.uscc is not None
    assert credit_score_get(actor=examiner, uscc=enterprise_a.uscc)["uscc"] == enterprise_a.uscc
    with pytest.raises(NotFound):
        credit_score_get(actor=agency_user, uscc=enterprise_a.uscc)
    with pytest.raises(NotFound):  # a bank with no dealings with it (test_credit_access.py)
        credit_score_get(actor=bank_b_user, uscc=enterprise_a.uscc)
    bank = make_org("bank", "丙银行")
    assert bank.uscc is not None
    with pytest.raises(NotFound):  # a bank is not an enterprise
        credit_score_get(actor=examiner, uscc=bank.uscc)


# --- the registry's value indicators, from the real exports --------------------------------------


def test_lens_cited_count_and_family_size_are_mapped(shared_data: Path) -> None:
    import csv

    with LENS_DRONES.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(enumerate(csv.DictReader(handle), start=2))
    records = [r for r in map_rows(Format.LENS, rows, source="lens") if isinstance(r, RightRecord)]
    assert records, "the Lens sample has Chinese rows"
    by_row = {row_no: row for row_no, row in rows}
    for record in records:
        row = by_row[record.row]
        assert record.cited_by_count == int(row["Cited Count"])
        assert record.family_size == int(row["Simple Family Size"])
        assert record.claims_count is None  # no source gives it


def test_import_stores_the_indicators_and_a_rerun_is_unchanged(tmp_path: Path, db: Any) -> None:
    header = (
        '"#",Jurisdiction,Kind,Publication Number,Lens ID,Publication Date,Publication Year,'
        "Application Number,Application Date,Priority Numbers,Title,Applicants,Inventors,URL,"
        "Type,Full Text,Cited Count,Simple Family Size,Extended Family Size,Sequence Count,"
        "CPC Classifications,IPCR Classifications,US Classifications,PubMed Id(s),DOI(s),"
        "Non-Patent Citations"
    )
    row = (
        "1,CN,U,CN 201220249767 U,000-000,2013-01-02,2013,CN 201220249767 U,2012-05-30,,"
        "一种装置,甲公司,张三,https://lens.org/x,Granted Patent,no,7,3,4,0,,B64C39/02,,,,"
    )
    folder = tmp_path / "lens-patent-samples"
    folder.mkdir()
    path = folder / "sample.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    first = rights_import(actor=None, paths=[path])
    assert first.created == 1
    right = Right.objects.get()
    assert (right.cited_by_count, right.family_size, right.claims_count) == (7, 3, None)
    again = rights_import(actor=None, paths=[path])
    assert again.unchanged == 1
