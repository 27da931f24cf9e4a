"""NPL tolerance (不良容忍度) through the real services and database: the banks' quarterly reports
(ipfin.risk.services.bank_npl_report) and the IP-pledge NPL ratio the platform computes at the
quarter's end (ipfin.risk.selectors.ip_pledge_balances, npl_tolerance_list), each rule both ways.

Test names carry their source: `seed000` (不良容忍度 of the policy seeds 000, 002 and 004 — their
texts are not on disk — as DOMAIN.md's glossary and issue 12, "NPL tolerance", state it: the
IP-pledge NPL ratio at the period end, tolerated when at most the bank's overall ratio + 3
points), `issue12` (the report and the read), `minfadian_art1259` (以内 includes the figure),
`fenlei_banfa_art10` (次级, 可疑, 损失 are non-performing; more than 90 days past due is 次级 at
least: 《商业银行金融资产风险分类办法》 arts. 10-12), `fenlei_banfa_art9` (the bank's own
classification on its assessment, the overdue days a floor only: arts. 9-12).

The loans are the loans app's builders (120,000.00 at 12 %, three monthly instalments of
40,000.00 principal, equal principal, 30/360), disbursed on the day each test names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import DomainError, PermissionDenied, ValidationFailed
from ipfin.loans import services as loans
from ipfin.loans.models import Installment, Loan
from ipfin.risk.domain.npl import Quarter
from ipfin.risk.models import BankNplReport
from ipfin.risk.selectors import BankNplFigures, ip_pledge_balances, npl_tolerance_list
from ipfin.risk.services import bank_npl_report
from ipfin.risk.tests import lenders

pytestmark = pytest.mark.django_db
lender = lenders.lender  # the fixture, in this module's scope

D = Decimal
Q2 = Quarter(2025, 2)  # ends 2025-06-30
Q2_END = date(2025, 6, 30)
AFTER = date(2025, 10, 15)  # a day when 2025Q2 and 2025Q3 have ended


def refused(kind: type[DomainError], call: Callable[[], Any]) -> DomainError:
    with pytest.raises(kind) as info:
        call()
    return info.value


@pytest.fixture
def lend_a(
    lender: Callable[[User], Callable[..., Loan]],
    bank_a_user: User,
) -> Callable[..., Loan]:
    return lender(bank_a_user)


def balances(bank: Organisation, on: date = Q2_END) -> tuple[Decimal, Decimal]:
    balance, npl = ip_pledge_balances(on=on, bank_ids=[bank.pk]).get(bank.pk, (0, 0))
    return D(balance).scaleb(-2), D(npl).scaleb(-2)


def first_due(loan: Loan) -> date:
    return Installment.objects.filter(loan=loan).order_by("n").values_list("due_date", flat=True)[0]


# --- the IP-pledge balances at the period end ---------------------------------------------------


def test_more_than_90_days_past_due_at_the_period_end_is_non_performing_fenlei_banfa_art10(
    lend_a: Callable[..., Loan], bank_a: Organisation
) -> None:
    # Unpaid since its first due date: 90 days late on 30 June is still 关注, 91 days is 次级.
    on_time = lend_a(start=date(2025, 3, 1))
    late = lend_a(start=date(2025, 2, 28))
    assert (Q2_END - first_due(on_time)).days == 90
    assert (Q2_END - first_due(late)).days > 90
    assert balances(bank_a) == (D("240000.00"), D("120000.00"))
    # The day before, the late one was not yet more than 90 days late either.
    day_before = Q2_END - timedelta(days=(Q2_END - first_due(late)).days - 90)
    assert balances(bank_a, day_before) == (D("240000.00"), D("0.00"))


def test_the_balance_on_the_day_counts_repayments_on_or_before_it_issue12(
    lend_a: Callable[..., Loan], bank_a: Organisation, bank_a_user: User
) -> None:
    loan = lend_a(start=date(2025, 4, 1))
    # The first instalment (40,000.00 principal, 1,200.00 interest) paid when due, 1 May.
    loans.loan_repay(
        actor=bank_a_user, loan=loan, amount="41200.00", paid_on=date(2025, 5, 1), today=AFTER
    )
    assert balances(bank_a) == (D("80000.00"), D("0.00"))
    # The day before it was paid: the whole principal.
    assert balances(bank_a, date(2025, 4, 30)) == (D("120000.00"), D("0.00"))
    # A repayment after the period end changes nothing at it (and the loan's outstanding
    # principal today is not the figure read).
    loans.loan_repay(
        actor=bank_a_user, loan=loan, amount="40800.00", paid_on=date(2025, 7, 10), today=AFTER
    )
    loan.refresh_from_db()
    assert loan.outstanding_principal < D("80000.00")
    assert balances(bank_a) == (D("80000.00"), D("0.00"))


def test_a_loan_disbursed_after_the_period_end_is_not_in_it_issue12(
    lend_a: Callable[..., Loan], bank_a: Organisation
) -> None:
    lend_a(start=date(2025, 7, 1))
    assert balances(bank_a) == (D("0.00"), D("0.00"))
    assert balances(bank_a, date(2025, 7, 1)) == (D("120000.00"), D("0.00"))


def test_the_banks_own_assessment_counts_from_its_date_fenlei_banfa_art9(
    lend_a: Callable[..., Loan], bank_a: Organisation, bank_a_user: User
) -> None:
    # Both loans performing by their days past due on 30 June; the bank classifies one 次级 on
    # 30 June (within the period) and the other 可疑 on 1 July (after it).
    within, after = lend_a(start=date(2025, 6, 1)), lend_a(start=date(2025, 6, 1))
    loans.loan_classify_manual(
        actor=bank_a_user, loan=within, category="substandard", reason="经营困难", today=Q2_END
    )
    loans.loan_classify_manual(
        actor=bank_a_user, loan=after, category="doubtful", reason="涉诉", today=date(2025, 7, 1)
    )
    assert balances(bank_a) == (D("240000.00"), D("120000.00"))
    assert balances(bank_a, date(2025, 7, 1)) == (D("240000.00"), D("240000.00"))


def stats_npl(regulator: User, bank: Organisation, period: str = "2025Q2") -> Decimal:
    """The bank's NPL balance at the period's end on the statistics' page."""
    from ipfin.stats.domain import Dimension, parse_period
    from ipfin.stats.selectors import indicator_table

    table = indicator_table(actor=regulator, period=parse_period(period), by=Dimension.BANK)
    row = next((r for r in table.rows if r.key == str(bank.pk)), None)
    return Decimal(0) if row is None else row.figures.npl_balance


def test_a_classification_revised_after_the_period_end_does_not_reach_back_fenlei_banfa_art9(
    lend_a: Callable[..., Loan], bank_a: Organisation, bank_a_user: User, regulator_user: User
) -> None:
    """The category at the quarter end is the one last made by then: classified 次级 on 25 June
    and revised to 关注 on 15 July, the loan is non-performing on 30 June, not on 15 July — on
    the tolerance page and in the statistics alike (the tolerance once read only the loan's
    latest assessment and counted it performing on 30 June). Its first instalment falls due on
    20 July: never late, its bank may revise its own assessment (a non-performing loan with
    arrears may not go back to 关注: `npl_hold`)."""
    loan = lend_a(start=date(2025, 6, 20))
    loans.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="substandard", reason="经营困难",
        today=date(2025, 6, 25),
    )  # fmt: skip
    loans.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="special_mention", reason="已恢复",
        today=date(2025, 7, 15),
    )  # fmt: skip
    assert balances(bank_a) == (D("120000.00"), D("120000.00"))
    assert balances(bank_a, date(2025, 7, 15)) == (D("120000.00"), D("0.00"))
    assert stats_npl(regulator_user, bank_a) == D("120000.00")


def test_an_assessment_older_than_the_seeded_history_is_restored_by_migration_0011(
    lend_a: Callable[..., Loan], bank_a: Organisation, bank_a_user: User, regulator_user: User
) -> None:
    """A loan from before the history (0006): migration 0007 seeded its category at its
    `classified_on`, which a later repayment had moved past the bank's 次级 of 10 June; 0011
    adds the assessment from its day, so 30 June reads it non-performing again (as the
    tolerance read it before the history), and a second run adds nothing."""
    import importlib

    from django.apps import apps

    from ipfin.loans.models import LoanClassification

    seed = importlib.import_module("ipfin.loans.migrations.0007_loan_classification_seed")
    backfill = importlib.import_module(
        "ipfin.loans.migrations.0011_classification_history_assessments"
    )
    loan = lend_a(start=date(2025, 5, 1))
    loans.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="substandard", reason="经营困难",
        today=date(2025, 6, 10),
    )  # fmt: skip
    loans.loan_repay(
        actor=bank_a_user, loan=loan, amount="1000.00", paid_on=date(2025, 7, 15),
        today=date(2025, 7, 15),
    )  # fmt: skip
    LoanClassification.objects.all().delete()  # as before 0006, then seeded as 0007 seeds
    seed.seed(apps, None)
    assert list(LoanClassification.objects.values_list("effective_on", "category")) == [
        (date(2025, 7, 15), "substandard")
    ]
    assert balances(bank_a) == (D("120000.00"), D("0.00"))
    backfill.backfill(apps, None)
    assert balances(bank_a) == (D("120000.00"), D("120000.00"))
    assert stats_npl(regulator_user, bank_a) == D("120000.00")
    backfill.backfill(apps, None)
    assert LoanClassification.objects.filter(loan=loan).count() == 2


def test_a_repayment_recorded_late_does_not_undo_the_category_then_in_force_fenlei_banfa_art9(
    lend_a: Callable[..., Loan], bank_a: Organisation, bank_a_user: User, regulator_user: User
) -> None:
    """次级 by the daily classification on 1 June (more than 90 days late); on 10 July the bank
    records a repayment dated 20 June that settles the late instalments: on 30 June the loan was
    still classified 次级 (the reclassification is made on 10 July), on both pages."""
    loan = lend_a(start=date(2025, 1, 15))
    loans.loan_classify(today=date(2025, 6, 1), ids=(loan.pk, loan.pk))
    loan.refresh_from_db()
    assert loan.classification == "substandard"
    loans.loan_repay(
        actor=bank_a_user, loan=loan, amount="100000.00", paid_on=date(2025, 6, 20),
        today=date(2025, 7, 10),
    )  # fmt: skip
    balance, npl = balances(bank_a)
    assert balance > 0 and npl == balance
    assert stats_npl(regulator_user, bank_a) == npl


def test_a_special_mention_assessment_is_performing_fenlei_banfa_art9(
    lend_a: Callable[..., Loan], bank_a: Organisation, bank_a_user: User
) -> None:
    loan = lend_a(start=date(2025, 6, 1))
    loans.loan_classify_manual(
        actor=bank_a_user, loan=loan, category="special_mention", reason="关注", today=Q2_END
    )
    assert balances(bank_a) == (D("120000.00"), D("0.00"))


def test_a_loan_written_off_by_the_period_end_is_off_the_books_issue12(
    lend_a: Callable[..., Loan], bank_a: Organisation, bank_a_user: User
) -> None:
    early, late = lend_a(start=date(2025, 6, 1)), lend_a(start=date(2025, 6, 1))
    for loan, day in ((early, date(2025, 6, 20)), (late, date(2025, 7, 20))):
        loans.loan_classify_manual(
            actor=bank_a_user, loan=loan, category="loss", reason="破产", today=date(2025, 6, 10)
        )
        loans.loan_write_off(actor=bank_a_user, loan=loan, reason="核销", today=day)
    # Written off on 20 June: in neither balance on 30 June; written off in July: still a loss
    # loan on the books on 30 June.
    assert balances(bank_a) == (D("120000.00"), D("120000.00"))
    assert balances(bank_a, date(2025, 6, 19)) == (D("240000.00"), D("240000.00"))
    assert balances(bank_a, date(2025, 7, 20)) == (D("0.00"), D("0.00"))


def test_each_bank_has_its_own_balances_issue12(
    lender: Callable[[User], Callable[..., Loan]],
    bank_a: Organisation,
    bank_b: Organisation,
    bank_a_user: User,
    bank_b_user: User,
) -> None:
    lender(bank_a_user)(start=date(2025, 2, 1))  # 次级 on 30 June
    lender(bank_b_user)(principal="200000.00", start=date(2025, 6, 1))
    assert ip_pledge_balances(on=Q2_END) == {
        bank_a.pk: (12_000_000, 12_000_000),
        bank_b.pk: (20_000_000, 0),
    }
    assert ip_pledge_balances(on=Q2_END, bank_ids=[bank_b.pk]) == {bank_b.pk: (20_000_000, 0)}


# --- the report ---------------------------------------------------------------------------------


def test_a_bank_reports_its_ratio_for_an_ended_quarter_issue12(
    bank_a_user: User, bank_a: Organisation
) -> None:
    saved = bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.0162", today=AFTER)
    assert saved.created and saved.previous_ratio is None
    report = BankNplReport.objects.get()
    assert (report.bank, report.period, report.period_end, report.ratio, report.revision) == (
        bank_a,
        "2025Q2",
        Q2_END,
        D("0.0162"),
        1,
    )
    record = AuditRecord.objects.get(action="risk.bank_npl_report")
    assert (record.before, record.after["ratio"], record.after["period"]) == (
        None,
        "0.0162",
        "2025Q2",
    )


def test_a_second_report_of_the_quarter_replaces_the_first_with_both_audited_issue12(
    bank_a_user: User,
) -> None:
    bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.0162", today=AFTER)
    saved = bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.0175", today=AFTER)
    assert not saved.created and saved.previous_ratio == D("0.0162")
    report = BankNplReport.objects.get()
    assert (report.ratio, report.revision) == (D("0.0175"), 2)
    records = AuditRecord.objects.filter(action="risk.bank_npl_report").order_by("seq")
    assert [(r.before and r.before["ratio"], r.after["ratio"]) for r in records] == [
        (None, "0.0162"),
        ("0.0162", "0.0175"),
    ]
    assert records.last().after["revision"] == 2


def test_another_quarter_is_another_report(bank_a_user: User) -> None:
    bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.0162", today=AFTER)
    bank_npl_report(actor=bank_a_user, period="2025Q3", ratio="0.0170", today=AFTER)
    assert sorted(BankNplReport.objects.values_list("period", "ratio")) == [
        ("2025Q2", D("0.0162")),
        ("2025Q3", D("0.0170")),
    ]


@pytest.mark.parametrize(
    ("period", "ratio", "code", "field"),
    [
        ("2025q2", "0.02", "period_invalid", "period"),
        ("2025Q5", "0.02", "period_invalid", "period"),
        ("2025Q2\n", "0.02", "period_invalid", "period"),
        ("２０２５Q2", "0.02", "period_invalid", "period"),  # full-width digits
        ("0000Q1", "0.02", "period_invalid", "period"),
        (None, "0.02", "period_invalid", "period"),
        ("2025Q4", "0.02", "period_not_ended", "period"),  # ends 31 Dec, after AFTER
        ("2025Q2", "1.01", "ratio_invalid", "ratio"),
        ("2025Q2", "-0.01", "ratio_invalid", "ratio"),
        ("2025Q2", "0.01234567891", "ratio_invalid", "ratio"),  # 11 decimals
        ("2025Q2", "x", "decimal_invalid", "ratio"),
    ],
)
def test_a_bad_period_or_ratio_is_a_422_naming_it_and_saves_nothing_issue12(
    bank_a_user: User, period: Any, ratio: str, code: str, field: str
) -> None:
    error = refused(
        ValidationFailed,
        lambda: bank_npl_report(actor=bank_a_user, period=period, ratio=ratio, today=AFTER),
    )
    assert (error.code, error.extra["field"]) == (code, field)
    assert not BankNplReport.objects.exists()
    assert not AuditRecord.objects.filter(action="risk.bank_npl_report").exists()


def test_a_quarter_is_reported_from_the_day_after_its_end(bank_a_user: User) -> None:
    on_last_day = refused(
        ValidationFailed,
        lambda: bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.02", today=Q2_END),
    )
    assert on_last_day.code == "period_not_ended"
    bank_npl_report(
        actor=bank_a_user, period="2025Q2", ratio="0.02", today=Q2_END + timedelta(days=1)
    )
    assert BankNplReport.objects.count() == 1


def test_the_ratio_takes_0_and_1_issue12(bank_a_user: User) -> None:
    bank_npl_report(actor=bank_a_user, period="2025Q1", ratio="0", today=AFTER)
    bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="1", today=AFTER)
    assert sorted(BankNplReport.objects.values_list("ratio", flat=True)) == [D(0), D(1)]


@pytest.mark.parametrize("who", ["office_user", "regulator_user", "enterprise_a_user"])
def test_only_a_bank_reports_issue12(request: pytest.FixtureRequest, who: str) -> None:
    user = request.getfixturevalue(who)
    refused(
        PermissionDenied,
        lambda: bank_npl_report(actor=user, period="2025Q2", ratio="0.02", today=AFTER),
    )
    assert not BankNplReport.objects.exists()


# --- the tolerance read -------------------------------------------------------------------------


def figures(actor: User, period: str = "2025Q2") -> list[BankNplFigures]:
    return npl_tolerance_list(actor=actor, period=period, today=AFTER)[1]


def test_tolerated_at_exactly_three_points_above_the_reported_ratio_seed000_minfadian_art1259(
    lend_a: Callable[..., Loan], bank_a_user: User
) -> None:
    # 30 June: 120,000.00 of 400,000.00 non-performing, 0.3 = 0.27 + 0.03.
    lend_a(start=date(2025, 2, 1))
    lend_a(principal="280000.00", start=date(2025, 6, 1))
    bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.27", today=AFTER)
    (row,) = figures(bank_a_user)
    assert (row.ip_balance, row.ip_npl_balance, row.ip_npl_ratio) == (
        D("400000.00"),
        D("120000.00"),
        Fraction(3, 10),
    )
    assert (row.bank_npl_ratio, row.limit, row.tolerated, row.revision) == (
        D("0.27"),
        Fraction(3, 10),
        True,
        1,
    )
    # A hair lower a ratio reported, and it is not tolerated (compared exactly).
    bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.2699999999", today=AFTER)
    (row,) = figures(bank_a_user)
    assert (row.tolerated, row.revision) == (False, 2)


def test_without_a_report_the_ratio_is_computed_and_tolerance_unknown_issue12(
    lend_a: Callable[..., Loan], bank_a_user: User, bank_a: Organisation
) -> None:
    lend_a(start=date(2025, 2, 1))
    lend_a(principal="280000.00", start=date(2025, 6, 1))
    (row,) = figures(bank_a_user)
    assert (row.bank_id, row.period, row.ip_npl_ratio) == (bank_a.pk, Q2, Fraction(3, 10))
    assert (row.bank_npl_ratio, row.limit, row.tolerated, row.reported_at) == (
        None,
        None,
        None,
        None,
    )


def test_a_bank_without_ip_pledge_loans_has_a_ratio_of_zero_seed000(bank_a_user: User) -> None:
    bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.01", today=AFTER)
    (row,) = figures(bank_a_user)
    assert (row.ip_balance, row.ip_npl_ratio, row.limit, row.tolerated) == (
        D("0.00"),
        0,
        Fraction(4, 100),
        True,
    )


def test_a_bank_reads_itself_the_regulator_and_the_office_every_bank_issue12(
    lender: Callable[[User], Callable[..., Loan]],
    bank_a: Organisation,
    bank_b: Organisation,
    bank_a_user: User,
    bank_b_user: User,
    regulator_user: User,
    office_user: User,
    examiner: User,
) -> None:
    lender(bank_a_user)(start=date(2025, 2, 1))
    bank_npl_report(actor=bank_b_user, period="2025Q2", ratio="0.02", today=AFTER)
    assert [r.bank_id for r in figures(bank_a_user)] == [bank_a.pk]
    assert [(r.bank_id, r.ip_balance) for r in figures(bank_b_user)] == [(bank_b.pk, D("0.00"))]
    # The others: every bank with an IP-pledge balance or a report, in the banks' order.
    for reader in (regulator_user, office_user, examiner):
        assert [(r.bank_id, r.tolerated) for r in figures(reader)] == [
            (bank_a.pk, None),
            (bank_b.pk, True),
        ]


@pytest.mark.parametrize("who", ["enterprise_a_user", "anonymous"])
def test_anyone_else_reads_no_tolerance(request: pytest.FixtureRequest, who: str) -> None:
    from django.contrib.auth.models import AnonymousUser

    from ipfin.common.errors import NotAuthenticated

    if who == "anonymous":
        refused(NotAuthenticated, lambda: npl_tolerance_list(actor=AnonymousUser(), today=AFTER))
    else:
        user = request.getfixturevalue(who)
        refused(PermissionDenied, lambda: npl_tolerance_list(actor=user, today=AFTER))


def test_without_a_period_the_last_ended_quarter_is_read(bank_a_user: User) -> None:
    quarter, _ = npl_tolerance_list(actor=bank_a_user, today=date(2025, 10, 1))
    assert quarter == Quarter(2025, 3)
    quarter, _ = npl_tolerance_list(actor=bank_a_user, today=date(2025, 9, 30))
    assert quarter == Quarter(2025, 2)


def test_the_read_refuses_a_bad_or_unended_period(bank_a_user: User) -> None:
    bad = refused(ValidationFailed, lambda: figures(bank_a_user, "2025-Q2"))
    unended = refused(ValidationFailed, lambda: figures(bank_a_user, "2025Q4"))
    assert (bad.code, unended.code) == ("period_invalid", "period_not_ended")


def test_the_read_is_three_queries_whatever_the_number_of_banks_and_loans(
    lender: Callable[[User], Callable[..., Loan]],
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    bank_a_user: User,
    regulator_user: User,
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    lender(bank_a_user)(start=date(2025, 2, 1))
    bank_npl_report(actor=bank_a_user, period="2025Q2", ratio="0.02", today=AFTER)
    one = count_queries(lambda: figures(regulator_user))
    for n in range(2):
        user = make_user(f"bank-{n}", make_org(OrganisationKind.BANK))
        lend = lender(user)
        lend(start=date(2025, 2, 1))
        lend(start=date(2025, 6, 1))
        bank_npl_report(actor=user, period="2025Q2", ratio="0.02", today=AFTER)
    assert len(figures(regulator_user)) == 3
    assert count_queries(lambda: figures(regulator_user)) == one


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_reports_of_a_quarter_make_one_report_issue12(bank_a_user: User) -> None:
    # Eight reports of one quarter at once (PostgreSQL: truly concurrent): one row, the others
    # replace it in turn, each audited with the value it replaced.
    from django.db import connection

    from ipfin.common.tests.concurrency import THREADS, run_at_once

    assert connection.vendor == "postgresql"

    def report(i: int) -> bool:
        actor = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
        ratio = f"0.0{i + 1}"
        return bank_npl_report(actor=actor, period="2025Q2", ratio=ratio, today=AFTER).created

    results = run_at_once(report)
    assert sorted(results) == [("ok", False)] * (THREADS - 1) + [("ok", True)], results
    saved = BankNplReport.objects.get()
    assert saved.revision == THREADS
    records = AuditRecord.objects.filter(action="risk.bank_npl_report").order_by("seq")
    assert [r.before is None for r in records] == [True] + [False] * (THREADS - 1)
    # Each replacement names the ratio the one before it saved.
    chain = [(r.before and r.before["ratio"], r.after["ratio"]) for r in records]
    assert all(chain[k][0] == chain[k - 1][1] for k in range(1, THREADS))
    assert chain[-1][1] == f"{saved.ratio.normalize():f}"
