"""Cases for the examiner's desk tests (issue 13), through the real services: a change
application waiting for the examiner."""

from __future__ import annotations

from typing import Any

from ipfin.accounts.models import Organisation, User
from ipfin.pledges.models import Pledge, PledgeChange
from ipfin.pledges.services import pledge_change, pledge_change_confirm
from ipfin.pledges.tests.factories import approve, file_pledge
from ipfin.registry.tests.factories import make_patent


def change_waiting(
    *,
    examiner: User,
    bank_user: User,
    pledgor: Organisation,
    pledge: Pledge | None = None,
    **change: Any,
) -> PledgeChange:
    """A change application (default: the debt to 6,000,000.00) of a pledge the examiner
    registered — `pledge`, or a new one of `bank_user`'s bank for `pledgor` over a new patent —
    filed by the bank and confirmed by the pledgor's first user: waiting for a decision."""
    if pledge is None:
        pledge = file_pledge(
            bank_user=bank_user,
            pledgor=pledgor,
            rights=[make_patent(examiner=examiner, owner=pledgor)],
        )
    registered = approve(examiner, pledge)
    change.setdefault("reason", "展期")
    if not {"debt_amount", "term_end", "scope"} & set(change):
        change["debt_amount"] = "6000000.00"
    filed = pledge_change(actor=bank_user, pledge=registered, **change)
    signer = User.objects.filter(organisation=pledgor).order_by("pk").first()
    assert signer is not None
    return pledge_change_confirm(actor=signer, change=filed)
