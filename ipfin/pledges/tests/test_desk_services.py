"""The examiner's desk, through the services: claiming, assigning and releasing a case, the holder
alone deciding it, and a decision made from a page that is no longer current refused (issue 13).
Each refusal also asserts that nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ipfin.accounts.models import Notification, Organisation, Role, User
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import Conflict, PermissionDenied, ValidationFailed
from ipfin.pledges.models import Pledge, PledgeChange
from ipfin.pledges.samples import other_party_confirms
from ipfin.pledges.services import (
    case_assign,
    case_claim,
    case_claim_release,
    pledge_change_decide,
    pledge_decide,
    pledge_resubmit,
    seen_token,
)
from ipfin.pledges.tests.desk_cases import change_waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def examiner_b(make_user: Callable[..., User], ip_office: Organisation) -> User:
    return make_user("examiner_b", ip_office, Role.EXAMINER)


def _holder(case: Pledge | PledgeChange) -> int | None:
    case.refresh_from_db()
    return case.assignee_id


def test_an_examiner_claims_a_case_waiting_for_a_decision_audited(
    pledge: Pledge, examiner: User
) -> None:
    assert pledge.state == "submitted" and pledge.assignee_id is None
    held = case_claim(actor=examiner, case=pledge)
    assert held.assignee_id == examiner.pk and held.assigned_at is not None
    record = AuditRecord.objects.get(action="pledge.claim")
    assert record.object_id == str(pledge.pk) and record.actor_id == examiner.pk
    assert record.before == {"assignee": None} and record.after == {"assignee": "examiner"}


def test_a_claimed_case_cannot_be_claimed_again_by_anyone(
    pledge: Pledge, examiner: User, examiner_b: User
) -> None:
    case_claim(actor=examiner, case=pledge)
    with pytest.raises(Conflict) as other:
        case_claim(actor=examiner_b, case=pledge)
    assert other.value.code == "case_already_claimed"
    assert "examiner" in other.value.detail_zh and other.value.extra["assignee"] == "examiner"
    with pytest.raises(Conflict) as again:
        case_claim(actor=examiner, case=pledge)
    assert again.value.code == "case_already_claimed" and "您已认领" in again.value.detail_zh
    assert _holder(pledge) == examiner.pk
    assert AuditRecord.objects.filter(action="pledge.claim").count() == 1


def test_only_a_case_waiting_for_a_decision_is_claimed(
    make_pledge: Callable[..., Pledge], examiner: User
) -> None:
    unconfirmed = make_pledge(confirm=False)
    with pytest.raises(Conflict) as exc:
        case_claim(actor=examiner, case=unconfirmed)
    assert exc.value.code == "case_not_open" and "待对方确认" in exc.value.detail_zh
    assert "awaiting_confirmation" not in exc.value.detail_en  # its label, never its code
    assert _holder(unconfirmed) is None


def test_a_bank_or_an_office_member_cannot_claim(
    pledge: Pledge, bank_a_user: User, office_user: User
) -> None:
    for user in (bank_a_user, office_user):
        with pytest.raises(PermissionDenied):
            case_claim(actor=user, case=pledge)
    assert _holder(pledge) is None


def test_a_case_another_examiner_holds_is_decided_only_after_reassignment(
    pledge: Pledge, examiner: User, examiner_b: User, office_admin: User
) -> None:
    case_claim(actor=examiner, case=pledge)
    with pytest.raises(Conflict) as exc:
        pledge_decide(actor=examiner_b, pledge=pledge, decision="reject", reason="材料不全")
    assert exc.value.code == "case_claimed_by_other"
    assert "examiner" in exc.value.detail_zh and "改派" in exc.value.detail_zh
    pledge.refresh_from_db()
    assert pledge.state == "submitted" and pledge.decision_reason == ""

    case_assign(actor=office_admin, case=pledge, assignee=examiner_b)
    assert _holder(pledge) == examiner_b.pk
    record = AuditRecord.objects.get(action="pledge.assign")
    assert record.before == {"assignee": "examiner"} and record.after == {"assignee": "examiner_b"}
    told = Notification.objects.get(verb="pledge.assign")
    assert told.user_id == examiner_b.pk and f"#{pledge.pk}" in told.message_zh
    with pytest.raises(Conflict):
        pledge_decide(actor=examiner, pledge=pledge, decision="reject", reason="材料不全")
    decided = pledge_decide(actor=examiner_b, pledge=pledge, decision="reject", reason="材料不全")
    assert decided.state == "rejected" and decided.decided_by_id == examiner_b.pk
    # The holder stays on the decided case: who examined it.
    assert _holder(pledge) == examiner_b.pk


def test_an_unclaimed_case_is_decided_by_any_examiner(pledge: Pledge, examiner_b: User) -> None:
    decided = pledge_decide(actor=examiner_b, pledge=pledge, decision="correct", reason="补充合同")
    assert decided.state == "correction_requested"


def test_only_an_administrator_assigns_and_only_to_an_examiner_of_its_office(
    pledge: Pledge,
    examiner: User,
    examiner_b: User,
    office_admin: User,
    office_user: User,
    bank_a_user: User,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
) -> None:
    with pytest.raises(PermissionDenied):
        case_assign(actor=examiner, case=pledge, assignee=examiner_b)
    other_office = make_org(kind="ip_office")
    stranger = make_user("examiner_elsewhere", other_office, Role.EXAMINER)
    retired = make_user("examiner_retired", examiner.organisation, Role.EXAMINER)
    retired.is_active = False
    retired.save()
    for who in (bank_a_user, office_user, stranger, retired):
        with pytest.raises(ValidationFailed) as exc:
            case_assign(actor=office_admin, case=pledge, assignee=who)
        assert exc.value.code == "assignee_invalid" and exc.value.extra["field"] == "assignee"
    assert _holder(pledge) is None
    assert not AuditRecord.objects.filter(action="pledge.assign").exists()
    case_assign(actor=office_admin, case=pledge, assignee=examiner)
    case_assign(actor=office_admin, case=pledge, assignee=examiner)  # to its holder: nothing
    assert AuditRecord.objects.filter(action="pledge.assign").count() == 1


def test_the_holder_or_an_administrator_releases_a_claim(
    pledge: Pledge, examiner: User, examiner_b: User, office_admin: User
) -> None:
    with pytest.raises(Conflict) as none:
        case_claim_release(actor=examiner, case=pledge)
    assert none.value.code == "case_not_claimed"
    case_claim(actor=examiner, case=pledge)
    with pytest.raises(PermissionDenied) as other:
        case_claim_release(actor=examiner_b, case=pledge)
    assert other.value.code == "case_claimed_by_other"
    assert _holder(pledge) == examiner.pk
    case_claim_release(actor=examiner, case=pledge)
    assert _holder(pledge) is None
    record = AuditRecord.objects.get(action="pledge.claim_release")
    assert record.before == {"assignee": "examiner"}
    assert record.after == {"assignee": None, "why": "released"}
    case_claim(actor=examiner_b, case=pledge)
    case_claim_release(actor=office_admin, case=pledge)
    assert _holder(pledge) is None


def test_a_proposal_to_approve_leaves_the_case_for_a_second_examiner(
    settings: Any,
    pledge: Pledge,
    examiner: User,
    examiner_b: User,
    upload_contract: Callable[..., Any],
) -> None:
    settings.IPFIN_DUAL_CONTROL_ABOVE = Decimal("1000000")
    upload_contract(pledge)
    case_claim(actor=examiner, case=pledge)
    proposed = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    assert proposed.state == "submitted" and proposed.approval_proposed_by_id == examiner.pk
    assert _holder(pledge) is None
    record = AuditRecord.objects.get(action="pledge.claim_release")
    assert record.after == {"assignee": None, "why": "approval_proposed"}
    case_claim(actor=examiner_b, case=pledge)
    approved = pledge_decide(actor=examiner_b, pledge=pledge, decision="approve")
    assert approved.state == "registered" and approved.registration_no


def test_a_decision_made_from_a_page_no_longer_current_is_refused(
    pledge: Pledge, examiner: User, bank_a_user: User, today: date
) -> None:
    opened = seen_token(pledge)
    pledge_decide(actor=examiner, pledge=pledge, decision="correct", reason="请补充担保范围")
    resubmitted, _checks = pledge_resubmit(actor=bank_a_user, pledge=pledge, scope="本金及利息")
    if resubmitted.state == "awaiting_confirmation":
        resubmitted = other_party_confirms(resubmitted)
    assert resubmitted.state == "submitted"
    with pytest.raises(Conflict) as exc:
        pledge_decide(
            actor=examiner, pledge=resubmitted, decision="reject", reason="旧页面", seen=opened
        )
    assert exc.value.code == "version_conflict" and "重新打开页面" in exc.value.detail_zh
    resubmitted.refresh_from_db()
    assert resubmitted.state == "submitted" and resubmitted.decision_reason == "请补充担保范围"
    decided = pledge_decide(
        actor=examiner,
        pledge=resubmitted,
        decision="reject",
        reason="核对后不予登记",
        seen=seen_token(resubmitted),
    )
    assert decided.state == "rejected"


def test_a_reassignment_alone_does_not_make_the_holders_page_stale(
    pledge: Pledge, examiner: User, examiner_b: User, office_admin: User
) -> None:
    opened = seen_token(pledge)
    case_assign(actor=office_admin, case=pledge, assignee=examiner_b)
    decided = pledge_decide(
        actor=examiner_b, pledge=pledge, decision="reject", reason="不符合条件", seen=opened
    )
    assert decided.state == "rejected"


def test_a_refusal_without_a_reason_names_the_reason_field(pledge: Pledge, examiner: User) -> None:
    with pytest.raises(ValidationFailed) as exc:
        pledge_decide(actor=examiner, pledge=pledge, decision="reject", reason="  ")
    assert exc.value.code == "reason_required" and exc.value.extra["field"] == "reason"
    with pytest.raises(ValidationFailed) as bad:
        pledge_decide(actor=examiner, pledge=pledge, decision="maybe")
    assert bad.value.code == "decision_invalid" and bad.value.extra["field"] == "decision"
    pledge.refresh_from_db()
    assert pledge.state == "submitted"


def test_change_applications_are_claimed_and_held_the_same_way(
    pledge: Pledge,
    examiner: User,
    examiner_b: User,
    office_admin: User,
    bank_a_user: User,
    enterprise_a: Organisation,
) -> None:
    change = change_waiting(
        examiner=examiner, bank_user=bank_a_user, pledgor=enterprise_a, pledge=pledge
    )
    assert change.state == "submitted"
    held = case_claim(actor=examiner_b, case=change)
    assert held.assignee_id == examiner_b.pk
    assert AuditRecord.objects.filter(action="pledge_change.claim").count() == 1
    with pytest.raises(Conflict) as exc:
        pledge_change_decide(actor=examiner, change=change, decision="approve")
    assert exc.value.code == "case_claimed_by_other"
    case_assign(actor=office_admin, case=change, assignee=examiner)
    approved = pledge_change_decide(actor=examiner, change=change, decision="approve")
    assert approved.state == "approved"
