"""The white list's import of a list file as a background run, sent with its file by
`list_import_request` (the office's page): imported as the user who sent it, whose permission is
checked again; the result names the import, whose page is its report."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from ipfin.accounts.models import User
from ipfin.accounts.permissions import Perm
from ipfin.jobs.registry import JobSpec, Params, refused_reason, register
from ipfin.jobs.services import run_on_request
from ipfin.whitelist.services import LIST_IMPORT_JOB, list_import


def _import_list(params: Params, lo: int, hi: int) -> dict[str, Any]:
    def work(actor: User, upload: UploadedFile[bytes]) -> dict[str, Any]:
        imported = list_import(
            actor=actor,
            uploaded_file=upload,
            kind=str(params["kind"]),
            name=str(params.get("name") or ""),
        )
        return {
            "import_id": imported.pk,
            "rows_total": imported.rows_total,
            "rows_matched": imported.rows_matched,
        }

    return run_on_request(params, work)


register(
    JobSpec(
        name=LIST_IMPORT_JOB,
        label=_("名单导入"),
        run=_import_list,
        failure=refused_reason,
        on_request=True,
        permission=Perm.WHITELIST_MANAGE,
        page="whitelist:import_list",
        result_page=("whitelist:import_detail", "import_id"),
    )
)
