"""The security of a loan given up (放弃担保, issue 13).

A pledge that secures an outstanding loan of its pledgee is released only when the bank declares
that it waives the security (`ipfin.pledges.services.pledge_release` with `waive_security` and a
reason): the pledge right is then extinguished by the creditor's waiver (民法典 art. 393(3); the
pledgee may waive its pledge, art. 435), not by the debt's discharge (arts. 393(1), 436), and the
debt stands without it. `loan_security_waive` records that on each such loan: the day, the reason
and the user, each with its audit record. The release calls it, through `ipfin.pledges.securing`,
in its own transaction, with the loans' rows already locked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import NotFound
from ipfin.common.money import money_str
from ipfin.loans.models import Loan
from ipfin.loans.services._loan import _snapshot
from ipfin.pledges.models import Pledge
from ipfin.pledges.securing import SecuredLoan

__all__ = ["loan_security_waive"]


def loan_security_waive(
    *, actor: User, pledge: Pledge, loans: Sequence[SecuredLoan], reason: str, on: date
) -> None:
    """Each of `loans` (secured by `pledge`, of its pledgee bank) records that its security is
    waived on `on` with `reason` by `actor`, who must manage the bank's loans (403 otherwise; a
    loan of another bank: 404). Audited per loan ("loan.security_waive", with the pledge's
    registration number and what was owed). Runs inside the release's transaction."""
    require(actor, Perm.LOAN_MANAGE)
    owed = {item.loan_id: item for item in loans}
    rows = list(
        Loan.objects.select_for_update(of=("self",)).filter(pk__in=sorted(owed)).order_by("pk")
    )
    for loan in rows:
        if loan.bank_id != actor.organisation_id or loan.pledge_id != pledge.pk:
            raise NotFound("未找到该贷款。", "No such loan.", code="loan_not_found")
        before = _snapshot(loan)
        loan.security_waived_on = on
        loan.security_waiver_reason = reason
        loan.security_waived_by = actor
        loan.save(
            update_fields=[
                "security_waived_on",
                "security_waiver_reason",
                "security_waived_by",
                "updated_at",
            ]
        )
        item = owed[loan.pk]
        audit_record(
            actor=actor,
            action="loan.security_waive",
            obj=loan,
            before=before,
            after={
                **_snapshot(loan),
                "reason": reason,
                "pledge_id": pledge.pk,
                "registration_no": pledge.registration_no,
                "owed": money_str(item.owed),
                "disbursed": item.disbursed,
            },
        )
