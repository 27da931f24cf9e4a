"""Scenario helpers shared by the demo data and the tests, written through the real services:
a generated pledge contract (a small one-page PDF) and the other party's confirmation.

The examiner approves only an application whose contract is stored (`pledge_decide`), so every
pledge the demo or a test registers first uploads one through `pledge_document_upload`, the same
service the bank's form and the API call; and only a joint application, so the other party
confirms it through `pledge_confirm` (专利权质押登记办法 arts. 3, 7).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from ipfin.common.pdf import DOC_KWARGS, FONT, FONT_BOLD, register_fonts

__all__ = ["contract_file", "contract_pdf", "file_pledge", "other_party_confirms"]


def contract_pdf(contract_no: str) -> bytes:
    """A one-page PDF titled 质押合同 with the contract number; the same number, the same bytes
    (no creation date or random document id), so that its SHA-256 is reproducible. Its font is
    embedded (ipfin.common.pdf), as in every PDF the platform writes."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1, **DOC_KWARGS)
    canvas.setTitle(f"质押合同 {contract_no}")
    canvas.setFont(FONT_BOLD, 18)
    canvas.drawString(72, 770, "知识产权质押合同")
    canvas.setFont(FONT, 11)
    canvas.drawString(72, 740, f"合同编号 / Contract no.: {contract_no}")
    canvas.drawString(72, 720, "（演示与测试用样本 / sample for the demo and the tests）")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def contract_file(contract_no: str, name: str = "质押合同.pdf") -> SimpleUploadedFile:
    """`contract_pdf` as an uploaded file, ready for `pledge_document_upload`."""
    return SimpleUploadedFile(name, contract_pdf(contract_no), content_type="application/pdf")


def other_party_confirms(pledge: Any, *, user: Any = None, today: date | None = None) -> Any:
    """The party that did not file confirms the application through `pledge_confirm`, as `user`
    (default: the first user of that party's organisation). Returns the confirmed pledge."""
    from ipfin.accounts.models import User
    from ipfin.pledges.services import pledge_confirm

    org_id = pledge.pledgor_id if pledge.initiator == "pledgee" else pledge.pledgee_id
    signer = user or User.objects.filter(organisation_id=org_id).order_by("pk").first()
    if signer is None:
        raise LookupError(f"organisation {org_id} has no user to confirm pledge #{pledge.pk}")
    return pledge_confirm(actor=signer, pledge=pledge, today=today)


def file_pledge(
    *,
    filer: Any,
    pledgor: Any,
    rights: list[Any],
    confirm: bool = True,
    signer: Any = None,
    contract: bool = False,
    **submit: Any,
) -> Any:
    """A joint application filed by `filer` (a user of the pledgee bank) through `pledge_submit`
    with the `submit` fields; unless `confirm=False` the pledgor confirms it (as `signer`, default
    its first user); if `contract`, the filer uploads the signed contract (a generated PDF)."""
    from ipfin.pledges.services import pledge_document_upload, pledge_submit

    pledge, _checks = pledge_submit(
        actor=filer, pledgor_uscc=pledgor.uscc, rights=[r.number for r in rights], **submit
    )
    if confirm:
        pledge = other_party_confirms(pledge, user=signer, today=submit.get("today"))
    if contract:
        pledge_document_upload(
            actor=filer, pledge=pledge, uploaded_file=contract_file(pledge.contract_no)
        )
    return pledge
