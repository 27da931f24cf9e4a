"""Listing a defaulted pledge on the trading board (ipfin.disposals.services.disposal_create):
each rule both ways, a refusal changing nothing.

Test names carry their source: `issue12` (issue 12, "Disposal (质物处置)": the pledge of a defaulted
loan, listed by the pledgee bank with the reserve from a fresh valuation; seeds 000 and 002 are not
on disk), `fenlei_banfa_art10` (《商业银行金融资产风险分类办法》: 次级 and worse are
non-performing),
`minfadian_art436` (the pledgee realises the pledge of a debt in default), `sifa_paimai_art10` /
`_art20` (the court's online-auction rules: the reserve at least 70 % of the valuation, bidding
at least 24 hours), `minfadian_art1259` (届满 includes the figure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Notification, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.disposals.models import Disposal
from ipfin.disposals.tests.conftest import EARLY, FLOOR, opening
from ipfin.loans.models import Loan
from ipfin.loans.services import loan_classify_manual, loan_write_off
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import pledge_release
from ipfin.registry.models import Right
from ipfin.valuation.models import Valuation

pytestmark = pytest.mark.django_db

Defaulted = Callable[..., tuple[Pledge, Right, Loan]]


def refused(kind: type[Exception], make: Callable[..., Any], **kw: Any) -> Any:
    before = Disposal.objects.count()
    with pytest.raises(kind) as info:
        make(**kw)
    assert Disposal.objects.count() == before
    return info.value


def test_the_pledgee_lists_the_pledge_of_its_defaulted_loan_minfadian_art436_issue12(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], listed_on: date
) -> None:
    pledge, right, loan = defaulted()
    disposal = list_pledge(pledge)
    assert (disposal.state, disposal.loan_id, disposal.bank_id) == (
        "listed",
        loan.pk,
        pledge.pledgee_id,
    )
    assert disposal.pledgor_id == pledge.pledgor_id
    assert list(disposal.rights.all()) == [right]
    assert (disposal.reserve_price, disposal.valuation_value) == (FLOOR, 880000)
    assert disposal.listed_on == listed_on and disposal.leading_amount is None
    record = AuditRecord.objects.get(action="disposal.create", object_id=str(disposal.pk))
    assert record.after["floor"] == "616000.00" and record.after["loan_state"] == "disbursed"
    told = Notification.objects.filter(organisation_id=pledge.pledgor_id, verb="disposal.create")
    assert told.count() == 1


@pytest.mark.parametrize("category", ["substandard", "doubtful", "loss"])
def test_a_loan_classified_substandard_or_worse_is_defaulted_fenlei_banfa_art10(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], category: str
) -> None:
    pledge, _right, _loan = defaulted(category=category)
    assert list_pledge(pledge).state == "listed"


@pytest.mark.parametrize("category", [None, "special_mention"])
def test_a_performing_or_special_mention_loan_is_not_disposed_of_fenlei_banfa_art10(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], category: str | None
) -> None:
    pledge, _right, loan = defaulted(category=category, on=EARLY)
    error = refused(Conflict, list_pledge, pledge=pledge)
    assert error.code == "loan_not_defaulted"
    assert error.extra["loan_id"] == loan.pk


def test_a_written_off_loans_pledge_is_disposed_of_issue12(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], bank_a_user: User
) -> None:
    """核销 leaves the claim on the borrower and the pledge (账销案存): issue 12, "a written-off
    loan leaves its pledge hanging"."""
    pledge, _right, loan = defaulted(category="loss")
    loan_write_off(
        actor=bank_a_user, loan=loan, reason="认定损失，予以核销", today=date(2025, 7, 1)
    )
    assert list_pledge(pledge).loan.state == "written_off"


def test_a_pledge_securing_another_loan_is_refused(
    defaulted: Defaulted,
    list_pledge: Callable[..., Disposal],
    lend: Callable[..., Loan],
) -> None:
    pledge, _right, loan = defaulted()
    other = lend(pledge, principal="10000.00", until="approved")
    error = refused(Conflict, list_pledge, pledge=pledge)
    assert (error.code, error.extra["loan_ids"]) == (
        "pledge_secures_other_loans",
        [loan.pk, other.pk],
    )


def test_another_banks_pledge_is_not_found_and_a_non_bank_may_not_list(
    defaulted: Defaulted,
    list_pledge: Callable[..., Disposal],
    bank_b_user: User,
    enterprise_a_user: User,
) -> None:
    pledge, _right, _loan = defaulted()
    error = refused(ValidationFailed, list_pledge, pledge=pledge, actor=bank_b_user)
    assert (error.code, error.extra["field"]) == ("pledge_not_found", "pledge_id")
    assert refused(PermissionDenied, list_pledge, pledge=pledge, actor=enterprise_a_user).code == (
        "forbidden"
    )


def test_a_released_pledge_is_not_listed(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], bank_a_user: User
) -> None:
    pledge, _right, _loan = defaulted()
    # The defaulted loan is still owed: the bank releases only by declaring that it waives the
    # security (民法典 arts. 393(3), 435; issue 13).
    pledge_release(
        actor=bank_a_user,
        pledge=pledge,
        basis="pledge_waived",
        waive_security=True,
        reason="以其他财产抵偿",
    )
    assert refused(Conflict, list_pledge, pledge=pledge).code == "pledge_not_registered"


def test_one_live_listing_per_pledge_issue12(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal]
) -> None:
    pledge, _right, _loan = defaulted()
    first = list_pledge(pledge)
    error = refused(Conflict, list_pledge, pledge=pledge)
    assert (error.code, error.extra["disposal_id"]) == ("disposal_exists", first.pk)


# --- the reserve from a fresh valuation ----------------------------------------------------------


def test_the_reserve_is_at_least_seventy_percent_of_the_valuation_sifa_paimai_art10(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal]
) -> None:
    pledge, _right, _loan = defaulted()
    error = refused(ValidationFailed, list_pledge, pledge=pledge, reserve_price="615999.99")
    assert (error.code, error.extra["floor"], error.extra["field"]) == (
        "reserve_below_floor",
        "616000.00",
        "reserve_price",
    )
    assert list_pledge(pledge, reserve_price="616000.00").reserve_price == FLOOR


def test_a_valuation_twelve_months_before_listing_is_fresh_a_day_older_stale_minfadian_art1259(
    defaulted: Defaulted,
    list_pledge: Callable[..., Disposal],
    value_on: Callable[..., Valuation],
    listed_on: date,
) -> None:
    pledge, right, _loan = defaulted()
    year_before = listed_on.replace(year=listed_on.year - 1)  # not 29 February: see conftest
    stale = value_on([right], year_before - timedelta(days=1))
    error = refused(ValidationFailed, list_pledge, pledge=pledge, valuation_id=stale.pk)
    assert (error.code, error.extra["earliest"]) == ("valuation_stale", year_before.isoformat())
    fresh = value_on([right], year_before)
    assert list_pledge(pledge, valuation_id=fresh.pk).valuation_id == fresh.pk


def test_a_valuation_based_after_the_listing_day_is_not_its_reserve(
    defaulted: Defaulted,
    list_pledge: Callable[..., Disposal],
    value_on: Callable[..., Valuation],
    listed_on: date,
) -> None:
    pledge, right, _loan = defaulted()
    later = value_on([right], listed_on + timedelta(days=1))
    assert refused(ValidationFailed, list_pledge, pledge=pledge, valuation_id=later.pk).code == (
        "valuation_stale"
    )


def test_the_valuation_is_of_exactly_the_pledges_rights(
    defaulted: Defaulted,
    list_pledge: Callable[..., Disposal],
    value_on: Callable[..., Valuation],
    make_right: Callable[..., Right],
    listed_on: date,
) -> None:
    pledge, right, _loan = defaulted()
    other = value_on([make_right()], listed_on)
    both = value_on([right, make_right()], listed_on)
    for valuation in (other, both):
        error = refused(ValidationFailed, list_pledge, pledge=pledge, valuation_id=valuation.pk)
        assert error.code == "valuation_rights_mismatch"


def test_a_valuation_the_bank_may_not_rely_on_is_refused(
    defaulted: Defaulted,
    list_pledge: Callable[..., Disposal],
    agency_report: Callable[..., Valuation],
) -> None:
    """The rule a loan approval follows (valuation.selectors.loan_backing_refusal): an agency's
    report the bank has not rechecked backs nothing."""
    pledge, right, _loan = defaulted()
    report = agency_report(right)
    error = refused(ValidationFailed, list_pledge, pledge=pledge, valuation_id=report.pk)
    assert error.code == "valuation_not_rechecked"


# --- the listing day and the close -------------------------------------------------------------


def test_the_listing_day_is_never_back_dated_issue12(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], listed_on: date
) -> None:
    """The 180 days of the backstop run from the listing day: it is the day of listing or later."""
    pledge, _right, _loan = defaulted()
    early = listed_on - timedelta(days=1)
    error = refused(
        ValidationFailed,
        list_pledge,
        pledge=pledge,
        listed_on=early,
        today=listed_on,
        closes_at=opening(listed_on) + timedelta(days=2),
    )
    assert (error.code, error.extra["field"]) == ("listed_on_in_past", "listed_on")
    later = list_pledge(pledge, listed_on=listed_on + timedelta(days=3), today=listed_on)
    assert later.listed_on == listed_on + timedelta(days=3)


def test_bidding_lasts_at_least_24_hours_sifa_paimai_art20(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], listed_on: date
) -> None:
    pledge, _right, _loan = defaulted()
    day = opening(listed_on)
    short = day + timedelta(hours=24) - timedelta(seconds=1)
    error = refused(ValidationFailed, list_pledge, pledge=pledge, closes_at=short)
    assert error.code == "closes_at_too_soon"
    assert refused(ValidationFailed, list_pledge, pledge=pledge, closes_at="tomorrow").code == (
        "datetime_invalid"
    )
    naive = (day + timedelta(days=2)).replace(tzinfo=None).isoformat()
    assert refused(ValidationFailed, list_pledge, pledge=pledge, closes_at=naive).code == (
        "datetime_invalid"
    )
    exactly = list_pledge(pledge, closes_at=(day + timedelta(hours=24)).isoformat())
    assert exactly.closes_at == day + timedelta(hours=24)


def test_a_listing_at_most_a_year_ahead_and_bidding_at_most_a_year(
    defaulted: Defaulted,
    list_pledge: Callable[..., Disposal],
    value_on: Callable[..., Valuation],
    listed_on: date,
) -> None:
    """The platform's own bounds (a date beyond them is a typing mistake, 9999-12-31 was a 500)."""
    pledge, right, _loan = defaulted()
    far = listed_on + timedelta(days=366)
    error = refused(
        ValidationFailed,
        list_pledge,
        pledge=pledge,
        listed_on=far,
        today=listed_on,
        valuation_id=value_on([right], listed_on).pk,
        closes_at=opening(far) + timedelta(days=2),
    )
    assert (error.code, error.extra["field"]) == ("listed_on_too_far", "listed_on")
    year = opening(listed_on) + timedelta(days=365)
    late = refused(
        ValidationFailed, list_pledge, pledge=pledge, closes_at=year + timedelta(seconds=1)
    )
    assert (late.code, late.extra["field"]) == ("closes_at_too_late", "closes_at")
    assert list_pledge(pledge, closes_at=year).closes_at == year


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("method", "fire_sale", "method_invalid"),
        ("reserve_price", "0", "amount_invalid"),
        ("increment", "-1.00", "amount_invalid"),
        ("increment", "0.001", "amount_invalid"),
        ("listed_on", "2026-13-01", "date_invalid"),
    ],
)
def test_each_input_is_refused_with_its_own_code(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], field: str, value: str, code: str
) -> None:
    pledge, _right, _loan = defaulted()
    error = refused(ValidationFailed, list_pledge, pledge=pledge, **{field: value})
    assert (error.code, error.extra["field"]) == (code, field)


def test_a_classification_later_made_worse_makes_the_loan_disposable(
    defaulted: Defaulted, list_pledge: Callable[..., Disposal], bank_a_user: User
) -> None:
    pledge, _right, loan = defaulted(category="special_mention", on=EARLY)
    assert refused(Conflict, list_pledge, pledge=pledge).code == "loan_not_defaulted"
    loan_classify_manual(
        actor=bank_a_user, loan=loan, category="doubtful", reason="担保失效", today=date(2025, 6, 2)
    )
    assert list_pledge(pledge).state == "listed"
    assert Loan.objects.get(pk=loan.pk).classification == "doubtful"
