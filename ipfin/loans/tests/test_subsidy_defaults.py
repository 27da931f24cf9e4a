"""The subsidy claim form proposes a year a policy takes (issue 13, "defaults that fail"): the year
of the policy open for claims today, with that policy chosen; with none open, no year at all, not
the calendar year no policy would accept."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from ipfin.accounts.models import User
from ipfin.financing.models import Policy
from ipfin.financing.services import policy_publish
from ipfin.loans.models import SubsidyAllocationRun
from ipfin.loans.selectors import subsidy_open_policy

YEAR_INPUT = re.compile(r'<input[^>]*\bname="year"[^>]*>')


def _policy(actor: User, year: int, **kw: object) -> Policy:
    return policy_publish(
        actor=actor,
        kind="subsidy",
        title=f"{year}年度知识产权质押贷款贴息",
        subsidy_share="0.5",
        cap_per_enterprise="100000.00",
        annual_budget="3000000.00",
        year=year,
        **kw,
    )


def _claim_form(user: User) -> tuple[str, str]:
    """The claim form's year input and the policy option selected, as the page renders them."""
    client = Client()
    client.force_login(user)
    html = client.get("/loans/subsidies/").content.decode()
    form = html[
        html.index('id="claim-form"') : html.index("</form>", html.index('id="claim-form"'))
    ]
    year = YEAR_INPUT.search(form)
    assert year is not None
    selected = re.search(r'<option value="(\d+)"[^>]*selected', form)
    return year.group(0), selected.group(1) if selected else ""


def test_the_year_proposed_is_the_open_policys(office_user: User, enterprise_a_user: User) -> None:
    today = timezone.localdate()
    year = today.year - 3  # neither this calendar year nor the last
    policy = _policy(office_user, year)
    assert subsidy_open_policy(on=today) == policy
    year_input, selected = _claim_form(enterprise_a_user)
    assert f'value="{year}"' in year_input
    assert selected == str(policy.pk)


def test_no_year_is_proposed_when_no_policy_is_open(
    office_user: User,
    enterprise_a_user: User,
    make_user: Callable[..., User],
) -> None:
    today = timezone.localdate()
    # Closed by its date (valid_to passed), or allocated for its year: neither takes claims.
    _policy(office_user, today.year - 1, valid_to=today - timedelta(days=1))
    allocated = _policy(office_user, today.year - 2)
    SubsidyAllocationRun.objects.create(
        policy=allocated,
        year=today.year - 2,
        budget="3000000.00",
        share="0.5",
        total_awarded="0.00",
        scale_factor="1",
        run_by=office_user,
    )
    _policy(office_user, today.year, valid_from=today + timedelta(days=1))  # not yet open
    assert subsidy_open_policy(on=today) is None
    year_input, _selected = _claim_form(enterprise_a_user)
    assert "value=" not in year_input, year_input
    assert str(today.year) not in year_input and str(today.year - 1) not in year_input
    # Submitted without a year: the error sits next to the year, nothing is filed.
    client = Client()
    client.force_login(enterprise_a_user)
    response = client.post("/loans/subsidies/", {"policy_id": str(allocated.pk), "year": ""})
    assert response.status_code == 400
    html = response.content.decode()
    field = html[html.index('name="year"') - 600 : html.index('name="year"') + 400]
    assert "errorlist" in field


def test_the_last_day_of_a_policy_still_counts_minfadian_art1259(office_user: User) -> None:
    """valid_to is the last day the policy takes claims (届满 includes the day)."""
    today = timezone.localdate()
    policy = _policy(office_user, today.year - 1, valid_from=today, valid_to=today)
    assert subsidy_open_policy(on=today) == policy
    assert subsidy_open_policy(on=today + timedelta(days=1)) is None
    assert subsidy_open_policy(on=today - timedelta(days=1)) is None
