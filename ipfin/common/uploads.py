"""Reading an uploaded file without consuming it: its SHA-256 (the digest every stored file keeps:
pledge contracts, agency seals), the file left at its start for the next reader."""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import UploadedFile

__all__ = ["upload_sha256"]


def upload_sha256(uploaded_file: UploadedFile[bytes]) -> str:
    """The hex SHA-256 of the whole file, read in chunks; the file is rewound after."""
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()
