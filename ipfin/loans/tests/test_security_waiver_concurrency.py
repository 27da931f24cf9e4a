"""A pledge's release racing the approvals of loans on it (PostgreSQL only: the `postgres_only`
hook skips it on SQLite, whose single writer serialises everything). The release asks which loans
the pledge secures under the pledge's row lock, with the loans' rows locked too; an approval locks
the pledge's row before it names the pledge. So either the release comes first and no loan is
approved on the released pledge, or an approval comes first and the release without a waiver is
refused: never a loan approved on a pledge released without its waiver (民法典 arts. 393, 435)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from ipfin.accounts.models import User
from ipfin.common.errors import DomainError
from ipfin.common.tests.concurrency import THREADS, all_at_once
from ipfin.loans import services
from ipfin.loans.models import Loan
from ipfin.pledges.models import Pledge
from ipfin.pledges.services import pledge_release
from ipfin.valuation.models import Valuation


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_release_racing_approvals_never_leaves_a_loan_unsecured_minfadian_art393(
    lend: Callable[..., Loan], pledged: tuple[Pledge, Valuation], bank_a_user: User
) -> None:
    assert connection.vendor == "postgresql"
    pledge, valuation = pledged
    applied = [lend(pledge, until="applied").pk for _ in range(THREADS - 1)]

    def work(i: int) -> tuple[str, str]:
        actor = User.objects.select_related("organisation").get(pk=bank_a_user.pk)
        try:
            if i == 0:
                pledge_release(actor=actor, pledge=Pledge.objects.get(pk=pledge.pk))
                return ("release", "ok")
            services.loan_approve(
                actor=actor,
                loan=Loan.objects.get(pk=applied[i - 1]),
                principal="120000.00",
                months=3,
                pledge_id=pledge.pk,
                valuation_id=valuation.pk,
                annual_rate="0.12",
            )
            return ("approve", "ok")
        except DomainError as exc:
            return ("release" if i == 0 else "approve", exc.code)

    results = all_at_once(THREADS, work)
    release = results[0][1]
    approvals = [code for _, code in results[1:]]
    pledge.refresh_from_db()
    approved = Loan.objects.filter(pk__in=applied, state="approved")
    if release == "ok":
        assert pledge.state == "released"
        assert set(approvals) <= {"ok", "pledge_not_registered"}
        assert not approved.exists(), results  # nothing approved before the release
    else:
        assert release == "pledge_secures_outstanding_loan", results
        assert pledge.state == "registered"
        assert approved.exists() and "ok" in approvals
    assert approved.count() == approvals.count("ok")
    assert not Loan.objects.filter(security_waived_on__isnull=False).exists()
