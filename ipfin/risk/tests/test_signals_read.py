"""The anomaly signals read from the real database (ipfin.risk.anomalies through
ipfin.risk.selectors.signal_list), the data entered through the real services; each signal both
ways, with its evidence, a fixed number of queries, and who may read them.

Test names carry their source: `issue12_seed001` (issue 12, "Fabricated data and anomalies
(虚构合同、数据异常, seed 001)": the seed is not on disk, the issue states the five tests; DOMAIN.md
Roles: the regulator reads "anomaly signals")."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date
from statistics import NormalDist
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.common.errors import NotAuthenticated, PermissionDenied
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import pledge_document_upload, pledge_release
from ipfin.pledges.tests.factories import approve, file_pledge
from ipfin.registry.models import Right
from ipfin.risk.anomalies import Signal
from ipfin.risk.selectors import signal_list
from ipfin.risk.tests import lenders
from ipfin.valuation.models import Valuation
from ipfin.valuation.services.valuations import valuation_create, valuation_issue

pytestmark = pytest.mark.django_db
lender = lenders.lender  # the fixture, in this module's scope

_numbers = itertools.count(1)


def signals(actor: User, kind: str, **kw: Any) -> list[Signal]:
    return signal_list(actor=actor, kind=kind, **kw)


# --- the same contract on pledges of different parties -------------------------------------------


def test_one_contract_number_on_two_parties_pledges_is_a_signal_issue12_seed001(
    make_right: Callable[..., Right],
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    office_user: User,
) -> None:
    one = file_pledge(
        bank_user=bank_a_user,
        pledgor=enterprise_a,
        rights=[make_right(owners=[enterprise_a])],
        contract_no="HT-2025-001",
    )
    other = file_pledge(
        bank_user=bank_b_user,
        pledgor=enterprise_b,
        rights=[make_right(owners=[enterprise_b])],
        contract_no="ht 2025-001".replace(" ", "-"),
    )
    (signal,) = signals(office_user, "shared_contract_no")
    assert signal.key == "contract_no:HT-2025-001"
    assert signal.pledge_ids == tuple(sorted((one.pk, other.pk)))
    assert set(signal.organisation_ids) == {
        one.pledgee_id,
        one.pledgor_id,
        other.pledgee_id,
        other.pledgor_id,
    }
    assert (signal.figures["pledges"], signal.figures["party_pairs"]) == ("2", "2")
    assert "HT-2025-001" in signal.message_zh and "HT-2025-001" in signal.message_en


def test_the_same_parties_under_one_contract_number_are_no_signal_issue12_seed001(
    make_right: Callable[..., Right],
    bank_a_user: User,
    enterprise_a: Organisation,
    office_user: User,
) -> None:
    for _ in range(2):
        file_pledge(
            bank_user=bank_a_user,
            pledgor=enterprise_a,
            rights=[make_right()],
            contract_no="HT-2025-002",
        )
    assert signals(office_user, "shared_contract_no") == []


def _upload(pledge: Pledge, content: bytes) -> None:
    pledge_document_upload(
        actor=pledge.created_by,
        pledge=pledge,
        uploaded_file=SimpleUploadedFile("质押合同.pdf", content, content_type="application/pdf"),
    )


def test_one_contract_file_on_two_parties_pledges_is_a_signal_issue12_seed001(
    make_right: Callable[..., Right],
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a: Organisation,
    enterprise_b: Organisation,
    regulator_user: User,
) -> None:
    content = b"%PDF-1.4\n% the same signed contract\n%%EOF\n"
    one = file_pledge(bank_user=bank_a_user, pledgor=enterprise_a, rights=[make_right()])
    same_parties = file_pledge(bank_user=bank_a_user, pledgor=enterprise_a, rights=[make_right()])
    _upload(one, content)
    _upload(same_parties, content)
    # Filed by the same parties twice: no signal yet.
    assert signals(regulator_user, "shared_contract_file") == []
    other = file_pledge(
        bank_user=bank_b_user, pledgor=enterprise_b, rights=[make_right(owners=[enterprise_b])]
    )
    _upload(other, content)
    _upload(other, b"%PDF-1.4\n% another file\n%%EOF\n")
    (signal,) = signals(regulator_user, "shared_contract_file")
    assert signal.pledge_ids == tuple(sorted((one.pk, same_parties.pk, other.pk)))
    assert (signal.figures["pledges"], signal.figures["party_pairs"]) == ("3", "2")
    assert signal.key == f"contract_file:{signal.figures['sha256']}"


# --- a right pledged and released again and again ------------------------------------------------


def _cycle(right: Right, debt: str, bank_user: User, examiner: User, pledgor: Organisation) -> int:
    pledge = file_pledge(
        bank_user=bank_user,
        pledgor=pledgor,
        rights=[right],
        debt_amount=debt,
        contract_no=f"XH-{next(_numbers):04d}",
    )
    return pledge_release(actor=bank_user, pledge=approve(examiner, pledge)).pk


def test_a_right_pledged_and_released_three_times_with_rising_debts_issue12_seed001(
    make_right: Callable[..., Right],
    bank_a_user: User,
    examiner: User,
    enterprise_a: Organisation,
    office_user: User,
) -> None:
    right = make_right()
    ids = [
        _cycle(right, debt, bank_a_user, examiner, enterprise_a)
        for debt in ("1000000.00", "2000000.00", "3000000.00")
    ]
    (signal,) = signals(office_user, "repeated_pledges")
    assert (signal.pledge_ids, signal.right_numbers) == (tuple(ids), (right.number,))
    assert signal.figures["debt_amounts"] == "1000000.00, 2000000.00, 3000000.00"
    assert signal.figures["cycles"] == "3"


def test_falling_debts_or_two_cycles_are_no_signal_issue12_seed001(
    make_right: Callable[..., Right],
    bank_a_user: User,
    examiner: User,
    enterprise_a: Organisation,
    office_user: User,
) -> None:
    falling, twice = make_right(), make_right()
    for debt in ("1000000.00", "3000000.00", "2000000.00"):
        _cycle(falling, debt, bank_a_user, examiner, enterprise_a)
    for debt in ("1000000.00", "2000000.00"):
        _cycle(twice, debt, bank_a_user, examiner, enterprise_a)
    assert signals(office_user, "repeated_pledges") == []


# --- valuations far from their cohort ------------------------------------------------------------


def _value(user: User, right: Right, cost: int) -> Valuation:
    valuation = valuation_create(
        actor=user,
        rights=[right.number],
        method="cost",
        inputs={
            "cost": str(cost),
            "profit_rate": "0.1",
            "used_years": "2",
            "remaining_years": "8",
        },
    )
    return valuation_issue(actor=user, valuation=valuation)


def test_a_valuation_far_from_its_cohort_is_a_signal_issue12_seed001(
    make_right: Callable[..., Right], bank_a_user: User, office_user: User
) -> None:
    right = make_right()
    for step in range(10):  # 880,000.00 to 1,672,000.00: the cohort of inventions
        _value(bank_a_user, right, 1_000_000 + 100_000 * step)
    # Nine reports and a draft do not make a cohort: nothing judged.
    valuation_create(
        actor=bank_a_user,
        rights=[right.number],
        method="cost",
        inputs={"cost": "1", "profit_rate": "0", "used_years": "0", "remaining_years": "1"},
    )
    assert signals(office_user, "valuation_outlier") == []
    far = _value(bank_a_user, right, 100_000_000)  # 88,000,000.00
    (signal,) = signals(office_user, "valuation_outlier")
    assert (signal.valuation_ids, signal.right_numbers) == ((far.pk,), (right.number,))
    assert signal.figures["value"] == "88000000.00"
    assert (signal.figures["cohort"], signal.figures["cohort_size"]) == ("invention", "11")
    assert float(signal.figures["robust_z"]) > 3.5
    assert bank_a_user.organisation_id in signal.organisation_ids


def test_a_cohort_of_nine_judges_nothing_issue12_seed001(
    make_right: Callable[..., Right], bank_a_user: User, office_user: User
) -> None:
    right = make_right()
    for step in range(8):
        _value(bank_a_user, right, 1_000_000 + 100_000 * step)
    _value(bank_a_user, right, 100_000_000)
    assert signals(office_user, "valuation_outlier") == []


# --- loan amounts bunching just below a threshold ------------------------------------------------


def _spread(n: int) -> list[str]:
    """n principals at the quantiles of a lognormal law around 400,000 yuan, as text."""
    normal = NormalDist(mu=0, sigma=0.5)
    return [f"{round(400_000 * 2.718281828 ** normal.inv_cdf((i + 0.5) / n))}.00" for i in range(n)]


def test_a_banks_loans_piled_just_below_a_million_are_a_signal_issue12_seed001(
    lender: Callable[[User], Callable[..., Loan]],
    bank_a_user: User,
    office_user: User,
) -> None:
    lend = lender(bank_a_user)
    for principal in _spread(20):
        lend(principal=principal, start=date(2025, 3, 1))
    assert signals(office_user, "loan_bunching") == []
    piled = [lend(principal="990000.00", start=date(2025, 3, 1)).pk for _ in range(6)]
    (signal,) = signals(office_user, "loan_bunching")
    assert signal.bank_id == bank_a_user.organisation_id
    assert set(piled) <= set(signal.loan_ids)
    assert (signal.figures["loans"], int(signal.figures["in_bands"]) >= 6) == ("26", True)
    assert float(signal.figures["expected_in_bands"]) * 3 < int(signal.figures["in_bands"])


# --- Benford -------------------------------------------------------------------------------------


def test_a_bank_whose_figures_fail_benford_is_a_signal_issue12_seed001(
    lender: Callable[[User], Callable[..., Loan]],
    bank_a_user: User,
    bank_b_user: User,
    bank_b: Organisation,
    regulator_user: User,
) -> None:
    # Bank A: ten principals all beginning with 5, its pledge of 50,000,000.00 and its valuation
    # of 880,000.00: twelve figures, eleven 5s. Bank B: first digits near Benford's proportions.
    lend_a, lend_b = lender(bank_a_user), lender(bank_b_user)
    for k in range(10):
        lend_a(principal=f"{500_000 + 10_000 * k}.00")
    for principal in ("100000", "110000", "130000", "150000", "200000", "250000", "300000"):
        lend_b(principal=f"{principal}.00")
    for principal in ("400000", "600000", "700000"):
        lend_b(principal=f"{principal}.00")
    # At the platform's 300 figures nothing is judged; at 12 (for the test), bank A fails.
    assert signals(regulator_user, "benford") == []
    (signal,) = signals(regulator_user, "benford", benford_min_figures=12)
    assert signal.bank_id == bank_a_user.organisation_id
    assert signal.figures["figures"] == "12"
    assert (signal.figures["loan_principals"], signal.figures["pledge_debts"]) == ("10", "1")
    assert signal.figures["digit_counts"] == "0, 0, 0, 0, 11, 0, 0, 1, 0"
    assert float(signal.figures["p_value"]) < 0.01
    assert bank_b.pk not in {
        s.bank_id for s in signals(regulator_user, "benford", benford_min_figures=12)
    }


# --- who reads them, and how ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bank_a_user", "enterprise_a_user"])
def test_only_the_office_and_the_regulator_read_signals_issue12_seed001(
    request: pytest.FixtureRequest, who: str
) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        signal_list(actor=request.getfixturevalue(who))
    with pytest.raises(NotAuthenticated):
        signal_list(actor=AnonymousUser())


def test_the_signals_are_read_in_a_fixed_number_of_queries(
    make_right: Callable[..., Right],
    make_org: Callable[..., Organisation],
    bank_a_user: User,
    enterprise_a: Organisation,
    office_user: User,
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    def more(n: int) -> None:
        for _ in range(n):
            firm = make_org(OrganisationKind.ENTERPRISE)
            pledge = file_pledge(
                bank_user=bank_a_user,
                pledgor=firm,
                rights=[make_right(owners=[firm])],
                contract_no="HT-SAME",
            )
            _upload(pledge, b"%PDF-1.4\n% one file\n%%EOF\n")
            _value(bank_a_user, pledge.items.get().right, 1_000_000)

    more(2)
    few = count_queries(lambda: signal_list(actor=office_user))
    more(3)
    assert len(signal_list(actor=office_user, kind="shared_contract_no")[0].pledge_ids) == 5
    assert count_queries(lambda: signal_list(actor=office_user)) == few
