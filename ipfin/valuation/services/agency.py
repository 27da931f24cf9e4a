"""A valuation agency's seal (评估机构印章): the image its administrator uploads, printed on the
signature block of the reports it issues (资产评估法 2016 art. 26: the report bears the agency's
seal; 资产评估执业准则——资产评估报告 2018).

`agency_seal_upload` takes a PNG or JPEG only: at most `SEAL_MAX_BYTES` (413 `file_too_large`),
read by Pillow as an image of that format (422 `seal_not_image` otherwise: a renamed file, a
truncated one, another format), at most `SEAL_MAX_PIXELS` on a side (422 `seal_too_large`: a
decompression bomb never reaches the report). Stored under MEDIA_ROOT with a name of ours and its
SHA-256; a new upload replaces the old one (its file removed once the change is committed), and
each upload is audited (`valuation.agency_seal_upload`, the old and the new digest).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from ipfin.accounts.models import OrganisationKind, User
from ipfin.accounts.permissions import Perm, acting_organisation, require
from ipfin.audit.services import audit_record
from ipfin.common.errors import PermissionDenied, ValidationFailed, invalid
from ipfin.common.uploads import upload_sha256
from ipfin.valuation.models import AgencySeal

__all__ = ["SEAL_MAX_BYTES", "SEAL_MAX_PIXELS", "SealTooLarge", "agency_seal_upload"]

SEAL_MAX_BYTES = 2 * 1024 * 1024
SEAL_MAX_PIXELS = 4000
_FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg")}


class SealTooLarge(ValidationFailed):
    status = 413
    code = "file_too_large"


def _not_image() -> ValidationFailed:
    return invalid(
        "image",
        "seal_not_image",
        "印章须为 PNG 或 JPEG 图片。",
        "The seal must be a PNG or JPEG image.",
    )


def _inspect(uploaded_file: UploadedFile[bytes]) -> tuple[str, str, int, int]:
    """(content type, extension, width, height) of a PNG or JPEG the file really is."""
    uploaded_file.seek(0)
    try:
        with Image.open(uploaded_file) as image:
            fmt = image.format or ""
            width, height = image.size
            if fmt not in _FORMATS:
                raise _not_image()
            if max(width, height) > SEAL_MAX_PIXELS:
                raise invalid(
                    "image",
                    "seal_too_large",
                    f"印章图片的长和宽最多 {SEAL_MAX_PIXELS} 像素。",
                    f"The seal image is at most {SEAL_MAX_PIXELS} pixels on a side.",
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_image() from None
    finally:
        uploaded_file.seek(0)
    content_type, extension = _FORMATS[fmt]
    return content_type, extension, width, height


def agency_seal_upload(*, actor: User, uploaded_file: UploadedFile[bytes]) -> AgencySeal:
    """The agency administrator's seal image for its organisation (see the module text)."""
    require(actor, Perm.VALUATION_SEAL_MANAGE)
    organisation = acting_organisation(actor)
    if organisation.kind != OrganisationKind.VALUATION_AGENCY:  # pragma: no cover - the grant
        raise PermissionDenied(
            "只有评估机构可以上传评估机构印章。",
            "Only a valuation agency uploads an agency seal.",
            code="forbidden",
        )
    size = uploaded_file.size or 0
    if size > SEAL_MAX_BYTES:
        limit = SEAL_MAX_BYTES / (1024 * 1024)
        raise SealTooLarge(
            f"文件过大：印章图片最大 {limit:g} MB。",
            f"The file is too large: a seal image is at most {limit:g} MB.",
            extra={"max_bytes": SEAL_MAX_BYTES},
        )
    if size == 0:
        raise invalid("image", "file_empty", "文件为空。", "The file is empty.")
    content_type, extension, width, height = _inspect(uploaded_file)
    sha256 = upload_sha256(uploaded_file)
    with transaction.atomic():
        seal = AgencySeal.objects.select_for_update().filter(organisation=organisation).first()
        before: dict[str, Any] | None = None
        old_name = None
        if seal is None:
            seal = AgencySeal(organisation=organisation)
        else:
            before = {"sha256": seal.sha256, "size": seal.size, "content_type": seal.content_type}
            old_name = seal.image.name
        # The stored name is ours (no user-controlled path).
        uploaded_file.name = f"{organisation.pk}-{uuid.uuid4().hex}.{extension}"
        seal.image = uploaded_file
        seal.content_type = content_type
        seal.width, seal.height, seal.size, seal.sha256 = width, height, size, sha256
        seal.uploaded_by = actor
        seal.save()
        audit_record(
            actor=actor,
            action="valuation.agency_seal_upload",
            obj=seal,
            before=before,
            after={
                "sha256": sha256,
                "size": size,
                "content_type": content_type,
                "width": width,
                "height": height,
            },
        )
        if old_name:
            storage = seal.image.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return seal
