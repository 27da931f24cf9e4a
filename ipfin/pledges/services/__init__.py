"""Writes of pledge registration: one function per transition of the state machines.

- applications: the joint application (submit, confirm, decline, lapse), the examiner's decision,
  correction, release, withdrawal;
- changes: change registration (变更登记) as its own joint application;
- documents: the pledge contract;
- notices: the decision's notice (登记通知书 / 不予登记通知书), made in the decision's transaction;
- deposits: annuity deposits (预缴年费) of pledged patents: made, drawn on the due dates,
  refunded at the release;
- assignment: the examiner's desk, who holds a case (claim, assign, release the claim).
"""

from ipfin.pledges.services.applications import (
    DECISIONS,
    pledge_confirm,
    pledge_decide,
    pledge_decline,
    pledge_release,
    pledge_release_request,
    pledge_resubmit,
    pledge_submit,
    pledge_withdraw,
    pledges_lapse_unconfirmed,
)
from ipfin.pledges.services.assignment import (
    case_assign,
    case_claim,
    case_claim_release,
    seen_token,
)
from ipfin.pledges.services.changes import (
    pledge_change,
    pledge_change_confirm,
    pledge_change_decide,
    pledge_change_decline,
    pledge_change_withdraw,
    pledge_changes_lapse_unconfirmed,
)
from ipfin.pledges.services.deposits import (
    DrawSummary,
    annuity_deposit_create,
    annuity_deposit_draw,
    annuity_deposit_refund,
)
from ipfin.pledges.services.documents import CONTRACT, FileTooLarge, pledge_document_upload
from ipfin.pledges.services.notices import NOTICE_KINDS, pledge_notice_store

__all__ = [
    "CONTRACT",
    "DECISIONS",
    "NOTICE_KINDS",
    "DrawSummary",
    "FileTooLarge",
    "annuity_deposit_create",
    "annuity_deposit_draw",
    "annuity_deposit_refund",
    "case_assign",
    "case_claim",
    "case_claim_release",
    "pledge_change",
    "pledge_change_confirm",
    "pledge_change_decide",
    "pledge_change_decline",
    "pledge_change_withdraw",
    "pledge_changes_lapse_unconfirmed",
    "pledge_confirm",
    "pledge_decide",
    "pledge_decline",
    "pledge_document_upload",
    "pledge_notice_store",
    "pledge_release",
    "pledge_release_request",
    "pledge_resubmit",
    "pledge_submit",
    "pledge_withdraw",
    "pledges_lapse_unconfirmed",
    "seen_token",
]
