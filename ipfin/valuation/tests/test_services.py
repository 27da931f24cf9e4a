"""Valuation services on the real database: permissions (a refusal changes nothing), audit
records, notifications, the state machine, the recheck (the bank's own figures against the report,
the fallback to its own internal valuation, the refusals that change nothing), banks' models and
credit profiles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.models import Notification, Organisation, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record
from ipfin.valuation.domain.errors import ValuationInputError
from ipfin.valuation.models import (
    BankValuationModel,
    EnterpriseCreditProfile,
    RightScore,
    ScoreRun,
    Valuation,
    ValuationRight,
)
from ipfin.valuation.selectors import bank_model_of
from ipfin.valuation.services import (
    bank_model_update,
    credit_profile_update,
    remaining_legal_years,
    split_by_score,
    valuation_create,
    valuation_issue,
    valuation_recheck,
)
from ipfin.valuation.services.valuations import bank_reference_values
from ipfin.valuation.tests.conftest import APPRAISERS, INCOME_VALUE


def _create(actor: User, rights: list[Right], inputs: dict[str, Any], **kw: Any) -> Valuation:
    return valuation_create(
        actor=actor, rights=[r.number for r in rights], method="income", inputs=inputs, **kw
    )


# --- create --------------------------------------------------------------------------------------


def test_create_stores_a_draft_with_inputs_result_and_audit(
    agency_user: User,
    bank_a: Organisation,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    first, second = make_right(), make_right(kind="utility_model")
    valuation = _create(
        agency_user, [first, second, first], income_inputs, client_bank_uscc=bank_a.uscc
    )
    valuation.refresh_from_db()
    assert valuation.state == "draft"
    assert valuation.value == Decimal(INCOME_VALUE)
    assert valuation.organisation_id == agency_user.organisation_id
    assert valuation.client_bank_id == bank_a.pk
    assert valuation.created_by_id == agency_user.pk
    # A package of two rights, in the order given, without the repeat.
    assert list(
        ValuationRight.objects.filter(valuation=valuation).values_list("right_id", "position")
    ) == [(first.pk, 0), (second.pk, 1)]
    assert valuation.inputs["revenues"] == ["1000000"] * 5
    assert valuation.inputs["share_rate"] == "0.25"
    # The package's legal term: the longer of the two (invention, about 17 years left).
    assert Decimal(valuation.result["remaining_legal_years"]) > 16
    audit = AuditRecord.objects.get(action="valuation.create")
    assert audit.object_id == str(valuation.pk)
    assert audit.after["rights"] == [first.number, second.number]
    assert audit.after["value"] == INCOME_VALUE
    # A draft notifies nobody.
    assert not Notification.objects.filter(verb__startswith="valuation.").exists()


@pytest.mark.parametrize("who", ["enterprise_a_user", "examiner"])
def test_create_without_permission_changes_nothing(
    request: pytest.FixtureRequest,
    who: str,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    right = make_right()
    actor = request.getfixturevalue(who)
    audits = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        _create(actor, [right], income_inputs)
    assert Valuation.objects.count() == 0
    assert ValuationRight.objects.count() == 0
    assert AuditRecord.objects.count() == audits


def test_create_income_life_beyond_the_remaining_term_is_refused(
    agency_user: User, make_right: Callable[..., Right], income_inputs: dict[str, Any]
) -> None:
    right = make_right()
    legal = remaining_legal_years(right, on=date.today())
    life = int(legal) + 1
    inputs = {**income_inputs, "revenues": ["100"] * life, "life_years": str(life)}
    with pytest.raises(ValuationInputError) as caught:
        _create(agency_user, [right], inputs)
    assert caught.value.field == "life_years"
    assert Valuation.objects.count() == 0
    # Within the term it goes through.
    whole = int(legal)
    ok = _create(
        agency_user, [right], {**inputs, "revenues": ["100"] * whole, "life_years": str(whole)}
    )
    assert ok.pk


def test_remaining_legal_years_of_an_invention(
    make_right: Callable[..., Right], today: date
) -> None:
    filed = today - timedelta(days=3 * 365)
    right = make_right(filing_date=filed)
    years = remaining_legal_years(right, on=today)
    # 20-year term from filing: 17 years left, give or take the leap days.
    assert Decimal("16.9") < years <= Decimal("17.01")


def test_remaining_legal_years_is_zero_once_invalidated(
    make_right: Callable[..., Right], examiner: User, today: date
) -> None:
    right = make_right()
    right_event_record(
        actor=examiner, right=right, type="invalidated", date=today, payload={"scope": "whole"}
    )
    assert remaining_legal_years(right, on=today) == 0


def test_remaining_legal_years_include_term_compensation_zlf_art42(
    make_right: Callable[..., Right], examiner: User, today: date
) -> None:
    right = make_right()
    before = remaining_legal_years(right, on=today)
    right_event_record(
        actor=examiner,
        right=right,
        type="term_compensation",
        date=today,
        payload={"days": 730, "kind": "drug_approval"},
    )
    after = remaining_legal_years(right, on=today)
    assert Decimal("1.99") <= after - before <= Decimal("2.01")


def test_remaining_legal_years_unknown_is_a_422_not_a_guess_zzf_art23(
    make_right: Callable[..., Right], today: date
) -> None:
    work = make_right(
        kind="copyright",
        number="2020SR0123456",
        author_kind="person",
        filing_date=today - timedelta(days=400),
        grant_date=today - timedelta(days=300),
    )
    with pytest.raises(ValidationFailed) as caught:
        remaining_legal_years(work, on=today)
    assert caught.value.code == "term_unknown"
    assert "作者死亡日期" in caught.value.detail_zh


def test_create_with_a_client_bank_that_is_not_a_bank(
    agency_user: User,
    enterprise_a: Organisation,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    right = make_right()
    with pytest.raises(ValidationFailed) as caught:
        _create(agency_user, [right], income_inputs, client_bank_uscc=enterprise_a.uscc)
    assert caught.value.code == "client_bank_unknown"
    assert Valuation.objects.count() == 0


def test_create_cost_and_market(agency_user: User, make_right: Callable[..., Right]) -> None:
    right = make_right()
    cost = valuation_create(
        actor=agency_user,
        rights=[right.number],
        method="cost",
        inputs={"cost": "100000", "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"},
    )
    # 100,000 × 1.1 × 8/10 = 88,000.00
    assert cost.value == Decimal("88000.00")
    market = valuation_create(
        actor=agency_user,
        rights=[right.number],
        method="market",
        inputs={
            "comparables": [
                {
                    "price": "500000",
                    "technical": "1.2",
                    "economic": "1",
                    "remaining_life_ratio": "1",
                    "time": "1",
                    "weight": "1",
                },
            ]
        },
    )
    # 500,000 × 1.2 = 600,000.00
    assert market.value == Decimal("600000.00")


def test_bank_internal_is_for_banks_only(
    agency_user: User, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    with pytest.raises(PermissionDenied):
        valuation_create(
            actor=agency_user,
            rights=[right.number],
            method="bank_internal",
            inputs={"reference_values": {right.number: "100"}},
        )
    assert Valuation.objects.count() == 0


def test_bank_internal_uses_stored_scores(
    bank_a_user: User, make_right: Callable[..., Right]
) -> None:
    right = make_right()
    run = ScoreRun.objects.create(started_at="2026-01-01T00:00:00Z")
    _store_score(right, run, 80.0)
    valuation = valuation_create(
        actor=bank_a_user,
        rights=[right.number],
        method="bank_internal",
        inputs={"reference_values": {right.number: "1000000"}},
    )
    # 1,000,000 × (1 − 0.20) × max(0.5, 80/100) = 640,000.00
    assert valuation.value == Decimal("640000.00")
    assert valuation.result["lines"][0]["score_factor"] == "0.800000"


def test_bank_internal_for_a_loan_of_ten_million_inclusive_minfadian_art1259(
    bank_a_user: User, make_right: Callable[..., Right]
) -> None:
    """Seed 000: internal valuation for loans of 1000万元以下; 民法典 art. 1259: 以下 includes the
    figure. 10,000,000.00 may rest on the bank's internal valuation; 10,000,000.01 may not, and
    the refusal says why, citing the seed, in both languages."""
    right = make_right()

    def create(loan_amount: str) -> Valuation:
        return valuation_create(
            actor=bank_a_user,
            rights=[right.number],
            method="bank_internal",
            inputs={"reference_values": {right.number: "30000000"}, "loan_amount": loan_amount},
        )

    at_the_line = create("10000000.00")
    assert at_the_line.inputs["loan_amount"] == "10000000.00"
    count = Valuation.objects.count()
    with pytest.raises(ValidationFailed) as info:
        create("10000000.01")
    error = info.value
    assert (error.code, error.extra["field"]) == ("internal_valuation_not_allowed", "loan_amount")
    assert "10,000,000.01" in error.detail_zh and "10,000,000.00" in error.detail_zh
    assert "外部评估报告" in error.detail_zh and "seed 000" in error.detail_zh
    assert "鼓励银行对1000万元以下的知识产权质押贷款采用内部评估" in error.detail_zh
    assert "10,000,000.00 yuan" in error.detail_en and "seed 000" in error.detail_en
    assert "external valuation report is the platform's rule" in error.detail_en
    assert Valuation.objects.count() == count


def _store_score(right: Right, run: ScoreRun, score: float) -> RightScore:
    values: dict[str, Any] = {
        f"c_{name}": 0.0
        for name in (
            "remaining_life_years", "granted", "invalidation_count", "litigation_count",
            "co_owner_count", "claims_count", "cited_by_count", "ipc_subclass_count",
            "family_size", "licence_count", "transfer_count", "expert_legal",
            "expert_technical", "expert_economic",
        )
    }  # fmt: skip
    values["c_granted"] = score
    return RightScore.objects.create(
        right=right, run=run, score=score, grade="A", legal=score, technical=0.0, economic=0.0,
        cohort_size=1, **values,
    )  # fmt: skip


# --- issue ---------------------------------------------------------------------------------------


def test_issue_notifies_the_client_bank_and_is_audited(
    agency_user: User,
    bank_a: Organisation,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    valuation = _create(agency_user, [make_right()], income_inputs, client_bank_uscc=bank_a.uscc)
    issued = valuation_issue(actor=agency_user, valuation=valuation, appraisers=APPRAISERS)
    assert issued.state == "issued"
    assert issued.issued_at is not None and issued.issued_by_id == agency_user.pk
    audit = AuditRecord.objects.get(action="valuation.issue")
    assert audit.before["state"] == "draft" and audit.after["state"] == "issued"
    note = Notification.objects.get(verb="valuation.issue")
    assert note.organisation_id == bank_a.pk
    assert INCOME_VALUE in note.message_zh


def test_issue_by_another_organisation_or_twice_changes_nothing(
    agency_user: User,
    bank_b_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    valuation = _create(agency_user, [make_right()], income_inputs)
    with pytest.raises(NotFound):
        valuation_issue(actor=bank_b_user, valuation=valuation)
    valuation.refresh_from_db()
    assert valuation.state == "draft" and valuation.issued_at is None
    valuation_issue(actor=agency_user, valuation=valuation, appraisers=APPRAISERS)
    audits = AuditRecord.objects.count()
    with pytest.raises(Conflict):
        valuation_issue(actor=agency_user, valuation=valuation, appraisers=APPRAISERS)
    assert AuditRecord.objects.count() == audits


# --- recheck -------------------------------------------------------------------------------------
# The report rechecked below: INCOME_VALUE = 710,772.52 (conftest: 5 × 187,500 discounted at 10%).
# The bank holds it against its OWN value of the rights (its internal model's reference values),
# never against a figure derived from the report.


def _issued(
    agency_user: User, bank: Organisation, rights: list[Right], inputs: dict[str, Any]
) -> Valuation:
    valuation = _create(agency_user, rights, inputs, client_bank_uscc=bank.uscc)
    return valuation_issue(actor=agency_user, valuation=valuation, appraisers=APPRAISERS)


def _bank_internal(bank_user: User, values: dict[Right, str]) -> Valuation:
    return valuation_create(
        actor=bank_user,
        rights=[r.number for r in values],
        method="bank_internal",
        inputs={"reference_values": {r.number: v for r, v in values.items()}},
    )


def test_recheck_of_a_fair_report_is_within_the_threshold(
    agency_user: User,
    agency: Organisation,
    bank_a: Organisation,
    bank_a_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    first, second = make_right(), make_right(kind="utility_model")
    valuation = _issued(agency_user, bank_a, [first, second], income_inputs)
    rechecked = valuation_recheck(
        actor=bank_a_user,
        valuation=valuation,
        reference_values={first.number: "400000", second.number: "300000.00"},
    )
    rechecked.refresh_from_db()
    # The bank's own value B = 400,000 + 300,000 = 700,000.00 (the figure compared).
    # Deviation |710,772.52 − 700,000| / 700,000 = 10,772.52 / 700,000 = 0.0153893 ≤ 0.30.
    assert rechecked.state == "rechecked"
    assert rechecked.internal_value == Decimal("700000.00")
    assert rechecked.deviation == Decimal("0.015389")
    assert rechecked.threshold == Decimal("0.30")
    assert rechecked.flagged is False
    # For information, the collateral value with the default model (unscored: factor 0.5):
    # invention 400,000 × (1 − 0.20) × 0.5 = 160,000.00; utility 300,000 × (1 − 0.35) × 0.5 =
    # 97,500.00; total 257,500.00; loan at ip_pledge's 50%: 128,750.00.
    items = list(rechecked.items.order_by("position"))
    assert [i.reference_value for i in items] == [Decimal("400000.00"), Decimal("300000.00")]
    assert [i.internal_value for i in items] == [Decimal("160000.00"), Decimal("97500.00")]
    detail = rechecked.recheck
    assert detail["basis"] == "given"
    assert detail["bank_value"] == "700000.00"
    assert detail["external_value"] == INCOME_VALUE
    assert detail["collateral_value"] == "257500.00"
    assert (detail["product"], detail["max_loan_amount"]) == ("ip_pledge", "128750.00")
    # The report's value apportioned equally (both unscored): 710,772.52 / 2 = 355,386.26 each.
    assert detail["external_share_split"] == "equal"
    assert [line["external_share"] for line in detail["lines"]] == ["355386.26"] * 2
    assert [line["collateral_value"] for line in detail["lines"]] == ["160000.00", "97500.00"]
    assert rechecked.rechecked_by_id == bank_a_user.pk
    audit = AuditRecord.objects.get(action="valuation.recheck")
    assert audit.before["state"] == "issued" and audit.before["internal_value"] is None
    assert audit.after["internal_value"] == "700000.00"
    assert audit.after["basis"] == "given"
    assert audit.after["reference_values"] == {
        first.number: "400000.00",
        second.number: "300000.00",
    }
    note = Notification.objects.get(verb="valuation.recheck")
    assert note.organisation_id == agency.pk
    assert "700000.00" in note.message_zh and "1.5%" in note.message_zh
    assert "在阈值以内" in note.message_zh


def test_recheck_flags_an_inflated_report_from_the_banks_own_internal_valuation(
    agency_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    first, second = make_right(), make_right(kind="utility_model")
    # Bank A valued the rights with its own model, first older figures, then newer ones; bank B's
    # (another tenant) later figures must never be used for bank A.
    _bank_internal(bank_a_user, {first: "900000", second: "900000"})
    newest = _bank_internal(bank_a_user, {first: "200000", second: "100000"})
    _bank_internal(bank_b_user, {first: "710000", second: "1"})
    valuation = _issued(agency_user, bank_a, [first, second], income_inputs)
    rechecked = valuation_recheck(actor=bank_a_user, valuation=valuation)
    rechecked.refresh_from_db()
    # B = 200,000 + 100,000 = 300,000 (bank A's latest): |710,772.52 − 300,000| / 300,000 =
    # 410,772.52 / 300,000 = 1.3692417 > 0.30 → flagged.
    assert rechecked.internal_value == Decimal("300000.00")
    assert rechecked.deviation == Decimal("1.369242")
    assert rechecked.flagged is True
    assert rechecked.recheck["basis"] == f"bank_internal #{newest.pk}"
    assert [line["basis"] for line in rechecked.recheck["lines"]] == [
        f"bank_internal #{newest.pk}"
    ] * 2
    # Collateral: 200,000 × 0.80 × 0.5 = 80,000.00; 100,000 × 0.65 × 0.5 = 32,500.00.
    items = list(rechecked.items.order_by("position"))
    assert [i.reference_value for i in items] == [Decimal("200000.00"), Decimal("100000.00")]
    assert [i.internal_value for i in items] == [Decimal("80000.00"), Decimal("32500.00")]
    assert rechecked.recheck["collateral_value"] == "112500.00"
    note = Notification.objects.get(verb="valuation.recheck")
    assert "已标记" in note.message_zh and "136.9%" in note.message_zh


def test_recheck_takes_each_rights_figure_from_the_banks_latest_valuation_of_it(
    agency_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    first, second = make_right(), make_right()
    of_first = _bank_internal(bank_a_user, {first: "500000"})
    of_second = _bank_internal(bank_a_user, {second: "250000"})
    valuation = _issued(agency_user, bank_a, [first, second], income_inputs)
    assert bank_reference_values(actor=bank_a_user, rights=[first, second]) == {
        first.number: (Decimal("500000.00"), of_first.pk),
        second.number: (Decimal("250000.00"), of_second.pk),
    }
    rechecked = valuation_recheck(actor=bank_a_user, valuation=valuation)
    # B = 500,000 + 250,000 = 750,000; |710,772.52 − 750,000| / 750,000 = 39,227.48 / 750,000
    # = 0.0523033 ≤ 0.30.
    assert rechecked.internal_value == Decimal("750000.00")
    assert rechecked.deviation == Decimal("0.052303")
    assert rechecked.flagged is False
    assert rechecked.recheck["basis"] == (
        f"bank_internal #{of_first.pk}, bank_internal #{of_second.pk}"
    )


def test_recheck_collateral_uses_the_score_but_the_flag_does_not(
    agency_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    first, second = make_right(), make_right()
    run = ScoreRun.objects.create(started_at="2026-01-01T00:00:00Z")
    _store_score(first, run, 75.0)
    _store_score(second, run, 25.0)
    valuation = _issued(agency_user, bank_a, [first, second], income_inputs)
    rechecked = valuation_recheck(
        actor=bank_a_user,
        valuation=valuation,
        reference_values={first.number: "400000", second.number: "300000"},
    )
    # The same bank values as the fair report: the same deviation 0.015389, whatever the scores.
    assert rechecked.deviation == Decimal("0.015389") and rechecked.flagged is False
    # Collateral: factor max(0.5, 0.75) = 0.75 → 400,000 × 0.80 × 0.75 = 240,000.00;
    # max(0.5, 0.25) = 0.5 → 300,000 × 0.80 × 0.5 = 120,000.00.
    items = list(rechecked.items.order_by("position"))
    assert [i.internal_value for i in items] == [Decimal("240000.00"), Decimal("120000.00")]
    # The report apportioned by score: 710,772.52 × 75/100 = 533,079.39; × 25/100 = 177,693.13.
    lines = rechecked.recheck["lines"]
    assert [line["external_share"] for line in lines] == ["533079.39", "177693.13"]
    assert [line["score_factor"] for line in lines] == ["0.750000", "0.500000"]
    assert rechecked.recheck["external_share_split"] == "score"


def _assert_unchanged(valuation: Valuation) -> None:
    valuation.refresh_from_db()
    assert valuation.state == "issued"
    assert valuation.internal_value is None and valuation.deviation is None
    assert valuation.recheck == {} and valuation.rechecked_at is None
    assert not valuation.items.filter(reference_value__isnull=False).exists()
    assert not valuation.items.filter(internal_value__isnull=False).exists()
    assert not AuditRecord.objects.filter(action="valuation.recheck").exists()
    assert not Notification.objects.filter(verb="valuation.recheck").exists()


def test_recheck_without_a_bank_figure_is_422_and_changes_nothing(
    agency_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    first, second = make_right(), make_right()
    # Bank A has a figure for the first right only; bank B's figure of the second is not bank A's.
    _bank_internal(bank_a_user, {first: "500000"})
    _bank_internal(bank_b_user, {second: "500000"})
    valuation = _issued(agency_user, bank_a, [first, second], income_inputs)
    with pytest.raises(ValidationFailed) as caught:
        valuation_recheck(actor=bank_a_user, valuation=valuation)
    assert caught.value.code == "recheck_needs_bank_value"
    assert caught.value.extra == {"field": "reference_values", "right": second.number}
    assert second.number in caught.value.detail_zh and second.number in caught.value.detail_en
    _assert_unchanged(valuation)
    # Figures given, one missing or left empty: the same refusal, naming it.
    for partial in ({first.number: "1"}, {first.number: "1", second.number: " "}):
        with pytest.raises(ValidationFailed) as caught:
            valuation_recheck(actor=bank_a_user, valuation=valuation, reference_values=partial)
        assert caught.value.code == "recheck_needs_bank_value"
        assert caught.value.extra["right"] == second.number
    _assert_unchanged(valuation)


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        # B = 0 + 0: no deviation to measure.
        ({"{a}": "0", "{b}": "0"}, "recheck_bank_value_zero", "reference_values"),
        ({"{a}": "-1", "{b}": "1"}, "valuation_input", "reference_values.{a}"),
        ({"{a}": "abc", "{b}": "1"}, "valuation_input", "reference_values.{a}"),
        ({"{a}": [1], "{b}": "1"}, "valuation_input", "reference_values.{a}"),
        # A number that is not a right of the report (a typo would leave a right without figure).
        (
            {"{a}": "1", "{b}": "1", "2099100000001.9": "1"},
            "valuation_input",
            "reference_values.2099100000001.9",
        ),
    ],
)
def test_recheck_refuses_impossible_bank_figures(
    agency_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
    raw: dict[str, Any],
    code: str,
    field: str,
) -> None:
    first, second = make_right(), make_right()
    valuation = _issued(agency_user, bank_a, [first, second], income_inputs)
    names = {"a": first.number, "b": second.number}
    figures = {k.format(**names): v for k, v in raw.items()}
    with pytest.raises(ValidationFailed) as caught:
        valuation_recheck(actor=bank_a_user, valuation=valuation, reference_values=figures)
    assert caught.value.code == code
    assert caught.value.extra["field"] == field.format(**names)
    _assert_unchanged(valuation)


def test_recheck_takes_any_accepted_spelling_of_a_number(
    agency_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    right = make_right()
    valuation = _issued(agency_user, bank_a, [right], income_inputs)
    # "CN" prefix and no dot: the same application number.
    spelled = "CN" + right.number.replace(".", "")
    rechecked = valuation_recheck(
        actor=bank_a_user, valuation=valuation, reference_values={spelled: "710772.52"}
    )
    # B = the report's value exactly: deviation 0.
    assert rechecked.internal_value == Decimal(INCOME_VALUE)
    assert rechecked.deviation == Decimal("0") and rechecked.flagged is False


def test_recheck_refused_for_maker_other_bank_and_drafts(
    agency_user: User,
    bank_a: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    make_right: Callable[..., Right],
    income_inputs: dict[str, Any],
) -> None:
    right = make_right()
    figures = {right.number: "700000"}
    draft = _create(agency_user, [right], income_inputs, client_bank_uscc=bank_a.uscc)
    with pytest.raises(Conflict):
        valuation_recheck(actor=bank_a_user, valuation=draft, reference_values=figures)
    issued = valuation_issue(actor=agency_user, valuation=draft, appraisers=APPRAISERS)
    with pytest.raises(PermissionDenied):
        valuation_recheck(actor=agency_user, valuation=issued, reference_values=figures)
    with pytest.raises(NotFound):
        valuation_recheck(actor=bank_b_user, valuation=issued, reference_values=figures)
    _assert_unchanged(issued)
    # Once rechecked, a second recheck is a conflict.
    valuation_recheck(actor=bank_a_user, valuation=issued, reference_values=figures)
    with pytest.raises(Conflict):
        valuation_recheck(actor=bank_a_user, valuation=issued, reference_values=figures)
    assert AuditRecord.objects.filter(action="valuation.recheck").count() == 1


# --- the split -----------------------------------------------------------------------------------


def test_split_examples() -> None:
    # 100.00 in thirds: 33.34 + 33.33 + 33.33 (the first takes the remaining fen).
    assert split_by_score(Decimal("100"), [None, None, None]) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33")
    ]  # fmt: skip
    assert split_by_score(Decimal("10"), [60.0, 20.0]) == [Decimal("7.50"), Decimal("2.50")]
    # All scores 0: equal.
    assert split_by_score(Decimal("10"), [0.0, 0.0]) == [Decimal("5.00"), Decimal("5.00")]
    assert split_by_score(Decimal("10"), []) == []


@given(
    total=st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False),
    scores=st.lists(
        st.one_of(st.none(), st.floats(min_value=0, max_value=100)), min_size=1, max_size=20
    ),
)
def test_split_sums_exactly_and_is_never_negative(
    total: Decimal, scores: list[float | None]
) -> None:
    parts = split_by_score(total, scores)
    assert sum(parts, Decimal(0)) == total
    assert all(p >= 0 and p == p.quantize(Decimal("0.01")) for p in parts)
    assert len(parts) == len(scores)


# --- banks' models -------------------------------------------------------------------------------


def test_bank_model_update_and_default(bank_a_user: User, bank_a: Organisation) -> None:
    assert bank_model_of(bank_a.pk).recheck_threshold == Decimal("0.30")  # the default
    bank_model_update(
        actor=bank_a_user, version=0, haircuts={"invention": "0.10"}, recheck_threshold="0.2"
    )
    model = bank_model_of(bank_a.pk)
    assert model.haircuts["invention"] == Decimal("0.10")
    assert model.haircuts["utility_model"] == Decimal("0.35")  # kept from the default
    assert model.recheck_threshold == Decimal("0.2")
    audit = AuditRecord.objects.get(action="valuation.bank_model_update")
    assert audit.before["haircuts"]["invention"] == "0.20"
    assert audit.after["haircuts"]["invention"] == "0.10"


def test_bank_model_refusals_change_nothing(agency_user: User, bank_a_user: User) -> None:
    with pytest.raises(PermissionDenied):
        bank_model_update(actor=agency_user, version=0, recheck_threshold="0.2")
    for kwargs in (
        {"haircuts": {"invention": "1.5"}},
        {"haircuts": {"patent": "0.1"}},
        {"max_pledge_rates": {"loan": "0"}},
        {"score_floor": "abc"},
        {"recheck_threshold": "-0.1"},
    ):
        with pytest.raises(ValidationFailed):
            bank_model_update(actor=bank_a_user, version=0, **kwargs)
    assert BankValuationModel.objects.count() == 0
    assert not AuditRecord.objects.filter(action="valuation.bank_model_update").exists()


# --- credit profiles -----------------------------------------------------------------------------


def test_credit_profile_update_by_the_enterprise_and_by_a_bank(
    enterprise_a: Organisation,
    enterprise_a_user: User,
    bank_a_user: User,
    bank_b_user: User,
    make_right: Callable[..., Right],
    submit: Callable[..., Any],
    today: date,
) -> None:
    assert enterprise_a.uscc is not None
    submit([make_right()])  # bank_a files a pledge for enterprise_a: it is bank_a's customer
    credit_profile_update(
        actor=enterprise_a_user,
        uscc=enterprise_a.uscc,
        version=0,
        high_tech=True,
        rd_expense_ratio="0.06",
        established_on="2015-03-01",
    )
    credit_profile_update(actor=bank_a_user, uscc=enterprise_a.uscc, version=1, credit_rating="aa")
    profile = EnterpriseCreditProfile.objects.get(organisation=enterprise_a)
    assert profile.high_tech is True
    assert profile.rd_expense_ratio == Decimal("0.06")
    assert profile.established_on == date(2015, 3, 1)
    assert profile.credit_rating == "AA"
    assert AuditRecord.objects.filter(action="valuation.credit_profile_update").count() == 2
    # Another bank, with no dealings with enterprise_a, may neither read nor set its facts: a
    # 404, as for another tenant's row (test_credit_access.py).
    with pytest.raises(NotFound):
        credit_profile_update(
            actor=bank_b_user, uscc=enterprise_a.uscc, version=2, credit_rating="c"
        )
    profile.refresh_from_db()
    assert profile.credit_rating == "AA"
    assert AuditRecord.objects.filter(action="valuation.credit_profile_update").count() == 2


def test_credit_profile_refusals_change_nothing(
    enterprise_a: Organisation,
    enterprise_a_user: User,
    agency_user: User,
    examiner: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    today: date,
) -> None:
    assert enterprise_a.uscc is not None
    other = make_user("ent_b", make_org("enterprise", "乙公司"))
    with pytest.raises(NotFound):
        credit_profile_update(actor=other, uscc=enterprise_a.uscc, version=0, high_tech=True)
    with pytest.raises(NotFound):  # an agency may not even see it
        credit_profile_update(actor=agency_user, uscc=enterprise_a.uscc, version=0, high_tech=True)
    with pytest.raises(PermissionDenied):  # the IP office sees it but does not set it
        credit_profile_update(actor=examiner, uscc=enterprise_a.uscc, version=0, high_tech=True)
    for kwargs in (
        {"credit_rating": "ZZ"},
        {"tax_credit_grade": "Q"},
        {"established_on": (today + timedelta(days=1)).isoformat()},
        {"overdue_count_24m": "-1"},
        {"revenue": "12.345"},
        {"nickname": "x"},
    ):
        with pytest.raises(ValidationFailed):
            credit_profile_update(
                actor=enterprise_a_user, uscc=enterprise_a.uscc, version=0, **kwargs
            )
    assert EnterpriseCreditProfile.objects.count() == 0
