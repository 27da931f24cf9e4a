"""Pledge applications for the tests of every app, filed through the real pledge service and
confirmed by the other party (办法 arts. 3, 7: a joint application)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from ipfin.accounts.models import Organisation, User
from ipfin.accounts.services import user_create
from ipfin.pledges import samples
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import contract_file
from ipfin.pledges.services import pledge_decide, pledge_document_upload
from ipfin.registry.models import Right

_seq = itertools.count(1)


def signer_for(org: Organisation) -> User:
    """A user of `org` to sign for it: its first, or a new one."""
    existing = User.objects.filter(organisation=org).order_by("pk").first()
    return existing or user_create(
        username=f"signer-{org.pk}", password="pw-for-tests-1", organisation=org
    )


def file_pledge(
    *, bank_user: User, pledgor: Organisation, rights: list[Right], **kw: Any
) -> Pledge:
    """An application filed by `bank_user` through pledge_submit (5,000,000.00 yuan, two years)
    and, unless `confirm=False`, confirmed by a user of the pledgor (created if it has none)."""
    today = timezone.localdate()
    confirm = kw.pop("confirm", True)
    kw.setdefault("debt_amount", "5000000.00")
    kw.setdefault("term_start", today)
    kw.setdefault("term_end", today + timedelta(days=2 * 365))
    kw.setdefault("contract_no", f"WEB-{next(_seq):05d}")
    if confirm:
        signer_for(pledgor)
    return samples.file_pledge(
        filer=bank_user, pledgor=pledgor, rights=rights, confirm=confirm, **kw
    )


def approve(examiner: User, pledge: Pledge) -> Pledge:
    """The pledgee uploads the contract (the examiner approves only then), the examiner approves."""
    pledge_document_upload(
        actor=pledge.created_by, pledge=pledge, uploaded_file=contract_file(pledge.contract_no)
    )
    return pledge_decide(actor=examiner, pledge=pledge, decision="approve")


def file_demand(client: Any, enterprise: Organisation, right: Right) -> None:
    """The enterprise files a financing demand of 3,000,000.00 yuan for 12 months offering
    `right`, through the API (`client`: one of its users' api_client)."""
    filed = client.post_json(
        "/api/v1/demands",
        {
            "enterprise_uscc": enterprise.uscc,
            "amount": "3000000.00",
            "term_months": 12,
            "purpose": "研发投入",
            "rights": [right.number],
        },
    )
    assert filed.status_code == 201, filed.content
