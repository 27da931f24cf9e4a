"""The pledge contract: uploaded by the pledgee bank, kept with its SHA-256."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from ipfin.accounts.models import User
from ipfin.accounts.services import notify_orgs
from ipfin.audit.services import audit_record
from ipfin.common.errors import Conflict, ValidationFailed, invalid
from ipfin.common.inputs import file_name_in
from ipfin.common.uploads import upload_sha256
from ipfin.pledges.domain import PledgeState
from ipfin.pledges.models import Pledge, PledgeDocument
from ipfin.pledges.services.common import lock_pledge, require_pledgee

__all__ = ["CONTRACT", "FileTooLarge", "pledge_document_upload"]

_PDF_MAGIC = b"%PDF-"
CONTRACT = "contract"  # PledgeDocument.kind of the signed pledge contract
_PDF_CONTENT_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/octet-stream"})
# While the application is open its contract may be (re)uploaded; a registration's record is
# fixed (a different contract is a change registration's business).
_OPEN_STATES = (
    PledgeState.AWAITING_CONFIRMATION,
    PledgeState.SUBMITTED,
    PledgeState.CORRECTION_REQUESTED,
)


class FileTooLarge(ValidationFailed):
    status = 413
    code = "file_too_large"


def _read_head(uploaded_file: UploadedFile[bytes], n: int) -> bytes:
    uploaded_file.seek(0)
    head: bytes = uploaded_file.read(n)
    uploaded_file.seek(0)
    return head


def _refuse_unless_open(pledge: Pledge) -> None:
    """A decided pledge (registered, rejected, released, withdrawn, declined, lapsed) takes no
    contract: 409 `pledge_closed` with its state."""
    if pledge.state not in _OPEN_STATES:
        raise Conflict(
            "该质押登记已登记或已结束，不能再上传合同。",
            "The pledge is registered or closed: no more contracts can be uploaded.",
            code="pledge_closed",
            extra={"state": pledge.state},
        )


def pledge_document_upload(
    *, actor: User, pledge: Pledge, uploaded_file: UploadedFile[bytes], kind: str = CONTRACT
) -> PledgeDocument:
    """Attach the signed pledge contract (PDF only: %PDF- header, .pdf name, PDF content type),
    stored under MEDIA_ROOT with its SHA-256. Pledgee only, while the application is open: once
    decided, any upload is a 409 whatever the file (checked before the file, again under the
    row lock). The UI's upload and the API's both come here."""
    require_pledgee(actor, pledge)
    _refuse_unless_open(pledge)
    name = file_name_in(uploaded_file.name)
    size = uploaded_file.size or 0
    if size > settings.IPFIN_CONTRACT_MAX_BYTES:
        limit_mb = settings.IPFIN_CONTRACT_MAX_BYTES / (1024 * 1024)
        raise FileTooLarge(
            f"文件过大：最大 {limit_mb:g} MB。",
            f"The file is too large: at most {limit_mb:g} MB.",
            extra={"max_bytes": settings.IPFIN_CONTRACT_MAX_BYTES},
        )
    if size == 0:
        raise invalid(None, "file_empty", "文件为空。", "The file is empty.")
    content_type = (uploaded_file.content_type or "").split(";")[0].strip().lower()
    if (
        not name.lower().endswith(".pdf")
        or (content_type and content_type not in _PDF_CONTENT_TYPES)
        or _read_head(uploaded_file, len(_PDF_MAGIC)) != _PDF_MAGIC
    ):
        raise invalid(
            None,
            "file_not_pdf",
            "质押合同须为 PDF 文件。",
            "The pledge contract must be a PDF file.",
        )
    sha256 = upload_sha256(uploaded_file)
    with transaction.atomic():
        locked = lock_pledge(pledge)
        _refuse_unless_open(locked)  # decided meanwhile
        # The stored name is ours (no user-controlled path); the original name is kept apart.
        uploaded_file.name = f"{locked.pk}-{uuid.uuid4().hex}.pdf"
        document = PledgeDocument(
            pledge=locked,
            kind=kind,
            file=uploaded_file,
            original_name=name,
            size=size,
            sha256=sha256,
            uploaded_by=actor,
        )
        document.save()
        audit_record(
            actor=actor,
            action="pledge.document_upload",
            obj=locked,
            before=None,
            after={
                "document_id": document.pk,
                "kind": kind,
                "name": name,
                "size": size,
                "sha256": sha256,
            },
        )
        if locked.confirmed_at is not None:
            # The pledgor signed before this file came: it is told, and can read it on the page.
            notify_orgs(
                [locked.pledgor_id],
                locked,
                "pledge.document_upload",
                f"质权人在您确认后为质押登记申请 #{locked.pk} 上传了质押合同“{name}”"
                f"（SHA-256 {sha256[:12]}…），请核对。",
                f"After your confirmation the pledgee uploaded the contract {name!r} to pledge "
                f"application #{locked.pk} (SHA-256 {sha256[:12]}…): please check it.",
            )
    return document
