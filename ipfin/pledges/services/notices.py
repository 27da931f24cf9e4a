"""The decision's notice, stored with the pledge: made in the decision's transaction.

`pledge_notice_store` is called by `pledge_decide` (services/applications.py) once the decision
is saved, inside its `transaction.atomic`: a registration gets its 登记通知书 (for trademarks
the 商标专用权质权登记证), a refusal its 不予登记通知书 with the reasons recorded
(ipfin.pledges.notices).
If the PDF cannot be made or stored, the exception rolls the decision back with it: no decision
without its notice. The notice is a `PledgeDocument` (kind `registration_notice` /
`refusal_notice`) with its SHA-256, read through the same permission path as the contract
(`selectors.pledge_get`: both parties and the office; another bank a 404), and audited
(`pledge.notice_generate`).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from django.core.files.base import ContentFile

from ipfin.accounts.models import User
from ipfin.accounts.permissions import acting_organisation
from ipfin.audit.services import audit_record
from ipfin.pledges.models import Pledge, PledgeDocument
from ipfin.pledges.notices import REFUSAL, REGISTRATION, notice_pdf, notice_text

__all__ = ["NOTICE_KINDS", "pledge_notice_store"]

NOTICE_KINDS = (REGISTRATION, REFUSAL)


def pledge_notice_store(*, actor: User, pledge: Pledge, kind: str, on: date) -> PledgeDocument:
    """Make the notice of `kind` for the decided `pledge` (locked by the caller, in its
    transaction) and store it with the pledge; the examiner `actor` is its maker."""
    if kind not in NOTICE_KINDS:  # pragma: no cover - a programming error
        raise ValueError(f"not a notice kind: {kind!r}")
    office = acting_organisation(actor).name
    fresh = Pledge.objects.select_related("pledgee", "pledgor").get(pk=pledge.pk)
    data = notice_pdf(fresh, kind=kind, office=office, decided_on=on)
    sha256 = hashlib.sha256(data).hexdigest()
    rights = [item.right.kind for item in fresh.items.select_related("right")]
    number = fresh.registration_no or f"{fresh.pk}"
    name = f"{notice_text(kind, rights).file_stem}-{number}.pdf"
    document = PledgeDocument(
        pledge=fresh,
        kind=kind,
        original_name=name,
        size=len(data),
        sha256=sha256,
        uploaded_by=actor,
    )
    # The stored name is ours: the pledge's id and a random part, never user text.
    document.file.save(f"{fresh.pk}-{uuid.uuid4().hex}.pdf", ContentFile(data), save=False)
    document.save()
    audit_record(
        actor=actor,
        action="pledge.notice_generate",
        obj=fresh,
        before=None,
        after={
            "document_id": document.pk,
            "kind": kind,
            "name": name,
            "size": len(data),
            "sha256": sha256,
            "registration_no": fresh.registration_no,
        },
    )
    return document
