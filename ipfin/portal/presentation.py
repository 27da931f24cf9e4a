"""How the audit trail page shows its records: each action and object by its label
(ipfin.audit.labels), the object linked to its page where it has one and the reader may open it.

Set-based: the links of a page cost at most two queries whatever its length (the rights' numbers,
which their pages are addressed by, and the pledges of change applications), none when no record
of the page names such an object."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import reverse

from ipfin.accounts.permissions import Actor, Perm, has_perm
from ipfin.audit.labels import action_label, is_known_action, object_text
from ipfin.audit.models import AuditRecord
from ipfin.pledges.models import PledgeChange
from ipfin.registry.models import Right

__all__ = ["AuditRow", "audit_rows"]

# Objects whose page is addressed by their id: (URL name, the permission to open any of them;
# None: every signed-in user may).
_PAGES: dict[str, tuple[str, Perm | None]] = {
    "pledges.pledge": ("pledges:pledge_detail", Perm.PLEDGE_VIEW_ALL),
    "loans.loan": ("loans:loan_detail", Perm.LOAN_VIEW_ALL),
    "valuation.valuation": ("valuation:valuation_detail", Perm.VALUATION_VIEW_ALL),
    "financing.product": ("financing:product_detail", None),
    "financing.demand": ("financing:demand_detail", Perm.FINANCING_VIEW_ALL),
    "risk.riskclaim": ("risk:claim_detail", Perm.RISK_VIEW_ALL),
    "whitelist.whitelistbatch": ("whitelist:batch_detail", Perm.WHITELIST_VIEW_ALL),
    "disposals.disposal": ("disposals:disposal_detail", None),
}
RIGHT, CHANGE = "registry.right", "pledges.pledgechange"


@dataclass(frozen=True)
class AuditRow:
    record: AuditRecord
    action: str  # the action's label
    unknown_code: str  # the code of an action with no label (shown only as a title), else ""
    object: str  # "<label> #<id>"
    url: str | None  # the object's page


def _ids(records: Sequence[AuditRecord], object_type: str) -> set[int]:
    return {
        int(r.object_id)
        for r in records
        if r.object_type == object_type and r.object_id.isdigit() and r.action != "registry.import"
    }


def audit_rows(records: Sequence[AuditRecord], *, viewer: Actor) -> list[AuditRow]:
    """The page's records as rows, in their order."""
    right_ids, change_ids = _ids(records, RIGHT), _ids(records, CHANGE)
    numbers = (
        dict(Right.objects.filter(pk__in=right_ids).values_list("pk", "number"))
        if right_ids
        else {}
    )
    may_see_pledges = has_perm(viewer, Perm.PLEDGE_VIEW_ALL)
    change_pledges = (
        dict(PledgeChange.objects.filter(pk__in=change_ids).values_list("pk", "pledge_id"))
        if change_ids and may_see_pledges
        else {}
    )
    allowed = {
        object_type: perm is None or has_perm(viewer, perm)
        for object_type, (_name, perm) in _PAGES.items()
    }

    def url(record: AuditRecord) -> str | None:
        if not record.object_id.isdigit():
            return None
        pk = int(record.object_id)
        page = _PAGES.get(record.object_type)
        if page is not None:
            return reverse(page[0], args=[pk]) if allowed[record.object_type] else None
        if record.object_type == RIGHT and pk in numbers:
            return reverse("registry:right_detail", args=[numbers[pk]])
        if record.object_type == CHANGE and pk in change_pledges:
            return reverse("pledges:pledge_detail", args=[change_pledges[pk]])
        return None

    return [
        AuditRow(
            record=r,
            action=action_label(r.action),
            unknown_code="" if is_known_action(r.action) else r.action,
            object=object_text(r.object_type, r.object_id, r.action),
            url=url(r),
        )
        for r in records
    ]
