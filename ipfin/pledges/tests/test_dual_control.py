"""Dual control (IPFIN_DUAL_CONTROL_ABOVE): an approval of an application securing more than the
threshold is proposed by one examiner and registered by another; the checker is never the maker."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipfin.accounts.models import Organisation, Role, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import PermissionDenied
from ipfin.pledges.domain import PledgeState, needs_second_examiner
from ipfin.pledges.models import Pledge, PledgeChange
from ipfin.pledges.services import pledge_decide

THRESHOLD = Decimal("50000000.00")


@given(st.decimals(min_value=0, max_value=10**12, places=2))
def test_only_a_debt_strictly_above_the_threshold_needs_a_second_examiner(debt: Decimal) -> None:
    assert needs_second_examiner(debt, THRESHOLD) == (debt > THRESHOLD)
    assert needs_second_examiner(debt, None) is False


@pytest.fixture
def dual_control(settings: Any) -> None:
    settings.IPFIN_DUAL_CONTROL_ABOVE = THRESHOLD


@pytest.fixture
def second_examiner(make_user: Callable[..., User], examiner: User) -> User:
    assert examiner.organisation is not None
    return make_user("examiner_b", examiner.organisation, Role.EXAMINER)


@pytest.fixture
def large(make_pledge: Callable[..., Pledge], upload_contract: Callable[..., Any]) -> Pledge:
    pledge = make_pledge(debt_amount="60000000.00")
    upload_contract(pledge)
    return pledge


@pytest.fixture
def registered(
    make_pledge: Callable[..., Pledge], upload_contract: Callable[..., Any], examiner: User
) -> Callable[..., Pledge]:
    """A pledge registered by the examiner alone (its debt at most the threshold)."""

    def make(**kw: Any) -> Pledge:
        pledge = make_pledge(**kw)
        upload_contract(pledge)
        pledge = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
        assert pledge.state == PledgeState.REGISTERED
        return pledge

    return make


@pytest.fixture
def confirmed_change(bank_a_user: User, enterprise_a_user: User) -> Callable[..., PledgeChange]:
    """A change of a registered pledge filed by the bank and confirmed by the pledgor: awaiting
    the office's decision."""
    from ipfin.pledges.services import pledge_change, pledge_change_confirm

    def make(pledge: Pledge, **terms: Any) -> PledgeChange:
        change = pledge_change(actor=bank_a_user, pledge=pledge, **terms)
        return pledge_change_confirm(actor=enterprise_a_user, change=change)

    return make


pytestmark = pytest.mark.django_db


def test_the_first_approval_is_a_proposal_and_a_second_examiner_registers(
    dual_control: None, examiner: User, second_examiner: User, large: Pledge
) -> None:
    proposed = pledge_decide(actor=examiner, pledge=large, decision="approve")
    assert (proposed.state, proposed.registration_no) == (PledgeState.SUBMITTED, None)
    assert proposed.approval_proposed_by == examiner
    assert AuditRecord.objects.filter(action="pledge.approve_proposed").count() == 1
    registered = pledge_decide(actor=second_examiner, pledge=proposed, decision="approve")
    assert registered.state == PledgeState.REGISTERED and registered.registration_no
    assert registered.decided_by == second_examiner


def test_the_checker_is_never_the_maker(dual_control: None, examiner: User, large: Pledge) -> None:
    pledge_decide(actor=examiner, pledge=large, decision="approve")
    with pytest.raises(PermissionDenied) as refused:
        pledge_decide(actor=examiner, pledge=large, decision="approve")
    assert refused.value.code == "checker_is_maker"
    large.refresh_from_db()
    assert (large.state, large.registration_no) == (PledgeState.SUBMITTED, None)


def test_at_or_below_the_threshold_and_without_one_one_examiner_registers(
    settings: Any, examiner: User, make_pledge: Callable[..., Pledge],
    upload_contract: Callable[..., Any],
) -> None:  # fmt: skip
    settings.IPFIN_DUAL_CONTROL_ABOVE = THRESHOLD
    at = make_pledge(debt_amount="50000000.00")
    upload_contract(at)
    assert pledge_decide(actor=examiner, pledge=at, decision="approve").registration_no
    settings.IPFIN_DUAL_CONTROL_ABOVE = None
    big = make_pledge(debt_amount="90000000.00")
    upload_contract(big)
    assert pledge_decide(actor=examiner, pledge=big, decision="approve").registration_no


def test_a_correction_request_ends_the_proposal(
    dual_control: None, examiner: User, second_examiner: User, large: Pledge
) -> None:
    pledge_decide(actor=examiner, pledge=large, decision="approve")
    corrected = pledge_decide(
        actor=second_examiner, pledge=large, decision="correct", reason="合同金额与申请不一致"
    )
    assert corrected.approval_proposed_by is None


def test_over_the_api_the_proposal_shows_and_the_maker_gets_403(
    dual_control: None, api_client: Any, examiner: User, second_examiner: User, large: Pledge
) -> None:
    url = f"/api/v1/pledges/{large.pk}/decision"
    first = api_client(examiner).post_json(url, {"decision": "approve"})
    assert first.status_code == 200, first.content
    assert (first.json()["state"], first.json()["approval_proposed_by"]) == (
        "submitted",
        "examiner",
    )
    again = api_client(examiner).post_json(url, {"decision": "approve"})
    assert (again.status_code, again.json()["code"]) == (403, "checker_is_maker")
    second = api_client(second_examiner).post_json(url, {"decision": "approve"})
    assert (second.status_code, second.json()["state"]) == (200, "registered")


def test_the_examiners_page_says_a_second_examiner_must_approve(
    dual_control: None, client_for: Any, examiner: User, second_examiner: User, large: Pledge,
    enterprise_a: Organisation,
) -> None:  # fmt: skip
    page = client_for(examiner).post(f"/pledges/{large.pk}/decision/", {"decision": "approve"})
    assert page.status_code in (200, 302)
    html = client_for(second_examiner).get(f"/pledges/{large.pk}/").content.decode()
    assert 'data-testid="approval-proposed"' in html and "须由另一名审查员复核批准" in html


def test_a_proposal_makes_the_pages_open_on_the_case_stale(
    dual_control: None, examiner: User, second_examiner: User, large: Pledge
) -> None:
    """A checker on a page opened before the proposal (it showed none) would approve unawares:
    the proposal moves the page's token, and the stale approval is refused."""
    from ipfin.common.errors import Conflict
    from ipfin.pledges.services import seen_token

    opened = seen_token(Pledge.objects.get(pk=large.pk))
    pledge_decide(actor=examiner, pledge=large, decision="approve")
    with pytest.raises(Conflict) as stale:
        pledge_decide(actor=second_examiner, pledge=large, decision="approve", seen=opened)
    assert stale.value.code == "version_conflict"
    assert Pledge.objects.get(pk=large.pk).state == PledgeState.SUBMITTED


def test_a_change_raising_the_debt_above_the_threshold_needs_a_second_examiner(
    dual_control: None,
    examiner: User,
    second_examiner: User,
    registered: Callable[..., Pledge],
    confirmed_change: Callable[..., PledgeChange],
    client_for: Any,
    api_client: Callable[..., Any],
) -> None:
    """Registered at the threshold by one examiner, a pledge was raised to 900,000,000.00 by a
    change one examiner approved: the change's approval is dual-controlled as the application's."""
    from ipfin.pledges.services import (
        pledge_change_decide,
    )

    pledge = registered(debt_amount=str(THRESHOLD))  # at the threshold: one examiner
    change = confirmed_change(pledge, reason="增额", debt_amount="900000000.00")
    proposed = pledge_change_decide(actor=examiner, change=change, decision="approve")
    # Still awaiting the decision, as confirmed; the proposal recorded.
    assert (proposed.state, proposed.approval_proposed_by) == (change.state, examiner)
    assert Pledge.objects.get(pk=pledge.pk).debt_amount == THRESHOLD
    assert AuditRecord.objects.filter(action="pledge.change_approve_proposed").count() == 1
    with pytest.raises(PermissionDenied) as maker:
        pledge_change_decide(actor=examiner, change=proposed, decision="approve")
    assert maker.value.code == "checker_is_maker"
    # The desk says so: to the maker on deciding, to everyone on the pledge's page, in the
    # API's answer and in the queue of cases awaiting a second examiner.
    html = client_for(second_examiner).get(f"/pledges/{pledge.pk}/").content.decode()
    assert f'data-testid="change-approval-proposed-{change.pk}"' in html
    office = api_client(second_examiner)
    [shown] = office.get(f"/api/v1/pledges/{pledge.pk}").json()["changes"]
    assert shown["approval_proposed_by"] == examiner.get_username()
    queue = office.get("/api/v1/pledges/cases?status=awaiting_check").json()
    assert [(c["kind"], c["id"], c["approval_proposed"]) for c in queue["items"]] == [
        ("change", change.pk, True)
    ]
    approved = pledge_change_decide(
        actor=second_examiner, change=PledgeChange.objects.get(pk=change.pk), decision="approve"
    )
    assert approved.state == "approved" and approved.decided_by == second_examiner
    assert Pledge.objects.get(pk=pledge.pk).debt_amount == Decimal("900000000.00")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_change_decided_while_its_pledge_is_released_waits_and_is_refused(
    registered: Callable[..., Pledge],
    confirmed_change: Callable[..., PledgeChange],
    examiner: User,
    bank_a_user: User,
) -> None:
    """The release holds the pledge, then closes its open change; the examiner decides the
    change meanwhile. Locking the change first, the decision and the release deadlocked."""
    import threading
    import time

    from django.db import connection, transaction

    from ipfin.common.errors import Conflict
    from ipfin.pledges.services import (
        pledge_change_decide,
        pledge_release,
    )

    pledge = registered()
    change = confirmed_change(pledge, reason="展期", debt_amount="6000000")
    holding, errors = threading.Event(), []

    def release() -> None:
        try:
            with transaction.atomic():
                Pledge.objects.select_for_update().get(pk=pledge.pk)  # as the release takes it
                holding.set()
                time.sleep(1.0)  # the examiner's decision arrives now
                pledge_release(actor=bank_a_user, pledge=Pledge.objects.get(pk=pledge.pk))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    releasing = threading.Thread(target=release)
    releasing.start()
    assert holding.wait(10)
    try:
        with pytest.raises(Conflict):  # the change is closed by then, its pledge released
            pledge_change_decide(actor=examiner, change=change, decision="approve")
    finally:
        releasing.join()
    assert errors == []
    assert Pledge.objects.get(pk=pledge.pk).state == PledgeState.RELEASED


def test_a_change_the_register_refuses_is_not_proposed(
    dual_control: None,
    examiner: User,
    registered: Callable[..., Pledge],
    confirmed_change: Callable[..., PledgeChange],
    today: Any,
) -> None:
    """A debt term past the rights' own (专利权质押登记办法 art. 12) is refused to the maker, not
    proposed for the checker to find refused."""
    from datetime import timedelta

    from ipfin.common.errors import ValidationFailed
    from ipfin.pledges.services import (
        pledge_change_decide,
    )

    pledge = registered(debt_amount=str(THRESHOLD))
    new_end = pledge.term_end + timedelta(days=60)
    change = confirmed_change(
        pledge, reason="增额展期", debt_amount="90000000.00", term_end=new_end
    )
    # The register corrected since the filing: the invention now expires between the old term's
    # end and the new one's (20 years from its filing, 专利法 art. 42).
    from ipfin.registry.models import Right

    expires = pledge.term_end + timedelta(days=30)
    Right.objects.filter(pledge_items__pledge=pledge).update(
        filing_date=expires.replace(year=expires.year - 20)
    )
    assert today < expires < new_end
    with pytest.raises(ValidationFailed):
        pledge_change_decide(actor=examiner, change=change, decision="approve")
    assert PledgeChange.objects.get(pk=change.pk).approval_proposed_by is None
