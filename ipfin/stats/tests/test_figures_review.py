"""The regulators' figures, from review: 纯知识产权质押 counts the loans resting on the pledge
alone; a period still running is reported as of today; the PDF rounds ratios as the dashboard
does; a bank return's count keeps the bound its schema states; a period past the calendar's ends
is a 422, not a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ipfin.accounts.models import Organisation, OrganisationKind, User
from ipfin.accounts.permissions import StatsScope
from ipfin.common.display import percent
from ipfin.common.pdf import register_fonts
from ipfin.guarantees import services as guarantees
from ipfin.insurance import services as insurance
from ipfin.loans import services as loans
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.risk.domain.npl import Quarter
from ipfin.stats import reports
from ipfin.stats.domain import Dimension, Figures, Period
from ipfin.stats.selectors import IndicatorTable
from ipfin.valuation.models import Valuation


def _indicators(client: Any, start: str, end: str) -> Any:
    return client.get("/api/v1/stats/indicators", {"from": start, "to": end, "by": "bank"})


def test_sole_ip_collateral_leaves_out_loans_with_a_guarantee_or_an_accepted_insurance(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    bank_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    regulator_user: User,
    api_client: Callable[..., Any],
) -> None:
    """Three loans on one registration in 2025Q1: one with a guarantee issued, one with a
    pledge-financing guarantee insurance its bank accepted, one on the pledge alone (纯)."""
    pledge, valuation = pledged
    guarantor = make_user("guarantor_staff", make_org(OrganisationKind.GUARANTOR, "担保公司"))
    insurer = make_user("insurer_staff", make_org(OrganisationKind.INSURER, "财产保险公司"))
    guaranteed, insured, alone = (lend(pledge, until="applied") for _ in range(3))
    asked = guarantees.guarantee_request(
        actor=bank_a_user, loan_id=guaranteed.pk, guarantor_id=guarantor.organisation_id,
        share="0.5", cap="60000.00", fee_rate="0.015",
    )  # fmt: skip
    guarantees.guarantee_decide(actor=guarantor, guarantee=asked, decision="issue")
    client = api_client(regulator_user)
    for loan in (guaranteed, insured, alone):
        approved = loans.loan_approve(
            actor=bank_a_user, loan=loan, principal="120000.00", months=3,
            pledge_id=pledge.pk, valuation_id=valuation.pk, annual_rate="0.12",
            today=date(2025, 1, 15),
        )  # fmt: skip
        loans.loan_disburse(actor=bank_a_user, loan=approved, today=date(2025, 1, 15))
    policy = insurance.policy_issue(
        actor=insurer,
        data={
            "kind": "pledge_guarantee", "loan_id": insured.pk,
            "policyholder_id": insured.enterprise_id, "beneficiary_id": insured.bank_id,
            "loss_share": "0.2", "sum_insured": "100000.00", "rate": "0.01",
            "starts_on": "2025-01-15", "ends_on": "2026-01-14",
        },
    )  # fmt: skip
    total = _indicators(client, "2025-01-01", "2025-03-31").json()["total"]
    # The policy not yet accepted covers nothing: two loans rest on the pledge alone.
    assert (total["new_loans"], total["sole_ip_collateral"]) == (3, 2)
    insurance.policy_accept(actor=bank_a_user, policy_id=policy.pk)
    total = _indicators(client, "2025-01-01", "2025-03-31").json()["total"]
    assert (total["new_loans"], total["sole_ip_collateral"]) == (3, 1)


def _month_before(day: date) -> date:
    return (
        day.replace(year=day.year - 1, month=12)
        if day.month == 1
        else day.replace(month=day.month - 1)
    )


def test_the_current_quarter_is_reported_as_of_today_not_its_last_day(
    lend: Callable[..., Loan],
    pledged: tuple[Pledge, Valuation],
    regulator_user: User,
    client_for: Callable[..., Any],
    api_client: Callable[..., Any],
) -> None:
    """An instalment 70-odd days late today is not yet more than 90 days past due: the
    dashboard's "本季度，截至今日" shows no non-performing loan, as the API with to=today does (as
    of the quarter's last day, weeks ahead, it read as 次级: an NPL ratio of 100 %)."""
    today = timezone.localdate()
    quarter = Quarter.of(today)
    if (quarter.last_day - today).days < 10:
        pytest.skip("needs ten days or more left in the quarter")
    due = quarter.last_day - timedelta(days=100)
    while due.day > 28 or due.weekday() >= 5:
        due -= timedelta(days=1)
    assert (today - due).days <= 90
    lend(pledged[0], start=_month_before(due), months=3, principal="300000.00")
    api = _indicators(api_client(regulator_user), quarter.first_day.isoformat(), today.isoformat())
    assert api.json()["total"]["npl_balance"] == "0.00"
    page = client_for(regulator_user).get(f"/stats/?period={quarter}").content.decode()
    card = page.split('data-testid="card-npl-ratio">', 1)[1].split("<", 1)[0]
    assert card == "0.00%"


def test_the_report_pdf_rounds_ratios_half_up_as_the_dashboard() -> None:
    figures = Figures(balance_fen=3_200_000_00, npl_fen=100_000_00)
    assert str(figures.npl_ratio) == "0.031250"
    register_fonts()
    period = Period(date(2025, 1, 1), date(2025, 3, 31), "2025Q1")
    table = reports._figure_table(
        IndicatorTable(period, Dimension.BANK, [], figures, StatsScope()), reports._styles()
    )
    npl_column = 1 + [heading for heading, _unit in reports.COLUMNS].index("不良率")
    assert table._cellvalues[-1][npl_column] == percent(figures.npl_ratio) == "3.13%"


RETURN_HEADER = (
    "报告期,全行不良贷款率,全行各项贷款余额,知识产权质押贷款余额,本季新增知识产权质押贷款笔数,"
    "本季新增知识产权质押贷款金额\n"
)


@pytest.mark.parametrize("count", ["10000001", "100000000000000000000"])
def test_a_return_files_count_keeps_the_schemas_bound(
    bank_a_user: User, api_client: Callable[..., Any], count: str
) -> None:
    """The JSON schema and the form bound the quarter's new loans at 10,000,000; the file's
    rows are held to it too (one past it was stored, one past 64 bits a 500)."""
    data = (RETURN_HEADER + f"2025Q1,0.0162,8000000000.00,270000.00,{count},600000.00\n").encode()
    response = api_client(bank_a_user).post(
        "/api/v1/stats/bank-returns/upload", {"file": SimpleUploadedFile("r.csv", data)}
    )
    assert response.status_code == 422, response.content[:300]
    assert "count_invalid" in response.content.decode()


@pytest.mark.parametrize(
    ("start", "end", "by"),
    [
        ("9999-10-01", "9999-12-31", "bank"),
        ("9999-10-01", "9999-12-31", "quarter"),
        ("0001-01-01", "0001-03-31", "bank"),
    ],
)
def test_a_period_past_the_calendars_ends_is_refused(
    regulator_user: User, api_client: Callable[..., Any], start: str, end: str, by: str
) -> None:
    response = api_client(regulator_user).get(
        "/api/v1/stats/indicators", {"from": start, "to": end, "by": by}
    )
    assert response.status_code == 422, response.content[:200]
    assert response.json()["code"] == "period_invalid"
