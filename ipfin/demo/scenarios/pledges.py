"""Scenario 3: pledge applications in every state, filed as joint applications (办法 arts. 3, 7):
the bank files, the enterprise confirms, the bank uploads the signed contract (a generated PDF),
the examiner decides. The two registrations the loans rely on were filed half a year ago."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.demo.scenarios.base import History
from ipfin.demo.scenarios.parties import Cast, enterprise_login
from ipfin.demo.scenarios.register import Register
from ipfin.pledges import services as pledges
from ipfin.pledges.models import Pledge, PledgeDocument
from ipfin.pledges.samples import file_pledge
from ipfin.registry.domain import RightKind, add_months, add_years
from ipfin.registry.models import Right


class When(NamedTuple):
    """The day an application is filed and its term's start."""

    today: date
    start: date


def _file(
    bank: User,
    pledgor: Organisation,
    rights: list[Right],
    amount: str,
    *,
    when: When,
    confirm: bool = True,
    contract: bool = True,
    **submit: Any,
) -> Pledge:
    """File for `amount` yuan over two years from `start`; the pledgor's login confirms unless
    `confirm=False`; the bank uploads the contract unless `contract=False` (the examiner approves
    only once it is stored)."""
    today, start = when
    submit.setdefault("term_end", add_years(start, 2))
    pledge: Pledge = file_pledge(
        filer=bank,
        pledgor=pledgor,
        rights=rights,
        confirm=confirm,
        signer=enterprise_login(pledgor) if confirm else None,
        contract=contract,
        debt_amount=Decimal(amount),
        today=today,
        term_start=start,
        contract_no=f"ZY-{today.year}-{pledgor.pk:03d}{len(rights)}{amount[:2]}",
        scope="主债权本金、利息、违约金及实现质权的费用",
        **submit,
    )
    return pledge


def register_in_the_past(examiner: User, pledge: Pledge, history: History) -> None:
    """Register `pledge` as the examiner did on `history.pledges_registered`. pledge_submit stamps
    the filing with the clock and pledge_decide refuses an effective date before the filing: the
    demo sets the filing time (and the contract's upload time) back to the day it was filed
    (`pledge_submit(today=...)`), the one write outside the services, then decides through the
    service on the registration day."""
    filed_at = timezone.make_aware(datetime.combine(history.pledges_filed, time(10, 0)))
    Pledge.objects.filter(pk=pledge.pk).update(submitted_at=filed_at)
    PledgeDocument.objects.filter(pledge=pledge).update(uploaded_at=filed_at)
    pledge.refresh_from_db()
    pledges.pledge_decide(
        actor=examiner,
        pledge=pledge,
        decision="approve",
        reason="材料齐全",
        today=history.pledges_registered,
    )


def file_pledges(cast: Cast, register: Register, history: History) -> None:
    today = history.today
    examiner, ba, bb = cast.examiner, cast.bank_a, cast.bank_b
    a, b, c, _d, e, f = cast.firms
    start = today - timedelta(days=10)
    past = When(history.pledges_filed, history.pledges_filed)
    now = When(today, start)
    # Bank A's registration of A's two chip patents and its marks (a similar mark goes along).
    registered = _file(
        ba, a, [register["chip"], register["bus"], register["mark"], register["similar_mark"]],
        "5000000.00", when=past,
    )  # fmt: skip
    register_in_the_past(examiner, registered, history)
    # Bank A asks to extend the registered pledge's term: a change registration (变更登记) that
    # waits for enterprise A's confirmation; the registered terms stand until it is approved.
    pledges.pledge_change(
        actor=ba, pledge=registered, term_end=add_months(registered.term_end, 3),
        reason="借款展期三个月",
    )  # fmt: skip
    released = _file(ba, b, [register["dispersion"]], "800000.00", when=now)
    pledges.pledge_decide(actor=examiner, pledge=released, decision="approve", reason="材料齐全")
    pledges.pledge_release(actor=ba, pledge=released)
    _file(ba, a, [register["package"]], "1200000.00", when=now)  # waits in the examiner's queue
    correction = _file(ba, c, [register["maps"]], "3000000.00", when=now)
    pledges.pledge_decide(
        actor=examiner, pledge=correction, decision="correct",
        reason="质押合同未载明担保范围，请补正",
    )  # fmt: skip
    rejected = _file(bb, e, [register["antibody"]], "2000000.00", when=now)
    pledges.pledge_decide(
        actor=examiner, pledge=rejected, decision="reject", reason="出质人与质权人签章不一致"
    )
    b_registered = _file(
        bb, b, [register["graphene"], register["shared"]], "6000000.00",
        co_owner_consent=True, when=past,
    )  # fmt: skip
    register_in_the_past(examiner, b_registered, history)
    # Filed, its contract not uploaded yet: the examiner may only ask for it (approval disabled).
    _file(bb, f, [register["drone"]], "1500000.00", contract=False, when=now)
    # Filed by bank B for enterprise A, waiting for the enterprise's confirmation (enterprise_a
    # sees the pre-check and the confirm / decline buttons).
    memory = register.registrar.patent(
        a, RightKind.INVENTION, "一种片上存储控制器",
        filed_years_ago=4, granted_years_ago=2, ipc="G06F12/08",
    )  # fmt: skip
    _file(bb, a, [memory], "900000.00", confirm=False, when=now)
    _pledge_real_patents(cast, register, now)


def _pledge_real_patents(cast: Cast, register: Register, now: When) -> None:
    """Bank A's registered pledge of two of the real applicant's real patents (one year)."""
    if register.real_owner is None:
        return
    real_rights = list(
        Right.objects.filter(owners__organisation=register.real_owner, grant_date__isnull=False)
        .distinct()
        .order_by("number")[:2]
    )
    if real_rights:
        pledge = _file(
            cast.bank_a, register.real_owner, real_rights, "1000000.00",
            term_end=add_years(now.start, 1), when=now,
        )  # fmt: skip
        pledges.pledge_decide(actor=cast.examiner, pledge=pledge, decision="approve", reason="")
