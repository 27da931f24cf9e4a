"""No contract reaches a decided pledge over the API (POST /api/v1/pledges/{id}/documents): a
registered, rejected, released, withdrawn, declined or lapsed pledge answers 409 `pledge_closed`
with its state, stores no file, writes no audit record and notifies nobody, whatever file is
sent. The service (`pledge_document_upload`) is the one place that refuses, for the page too.

A security test reported that the API still accepted a contract for a registered pledge. At the
time of the fix a well-formed PDF was already refused (since 66276bf), but the state was checked
only after the file: a registered pledge answered 422 (`file_not_pdf`, `file_name_too_long`,
`file_empty`) for another file, as if a corrected file would be taken. The state now comes first.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Notification, User
from ipfin.audit.models import AuditRecord
from ipfin.pledges.models import Pledge, PledgeDocument
from ipfin.pledges.services import (
    pledge_decide,
    pledge_decline,
    pledge_release,
    pledge_withdraw,
    pledges_lapse_unconfirmed,
)
from ipfin.registry.models import Right

Submit = Callable[..., tuple[Pledge, list[Any]]]
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


FILES = {
    "a PDF": lambda: upload("合同.pdf", PDF),
    "not a PDF": lambda: upload("合同.pdf", b"<html>"),
    "an empty file": lambda: upload("合同.pdf", b""),
    "a 250-character name": lambda: upload("c" * 246 + ".pdf", PDF),
}


@pytest.fixture
def decided(
    request: pytest.FixtureRequest,
    submit: Submit,
    right: Right,
    examiner: User,
    bank_a_user: User,
    enterprise_a_user: User,
    upload_contract: Callable[..., Any],
) -> Pledge:
    """bank_a's pledge for enterprise_a in the state `request.param`, reached through the
    services."""
    state = request.param
    pledge, _ = submit([right], confirm=state not in {"declined", "lapsed"})
    if state in {"registered", "released"}:
        upload_contract(pledge)
        pledge = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
        if state == "released":
            pledge = pledge_release(actor=bank_a_user, pledge=pledge)
    elif state == "rejected":
        pledge = pledge_decide(actor=examiner, pledge=pledge, decision="reject", reason="不符合")
    elif state == "withdrawn":
        pledge = pledge_withdraw(actor=bank_a_user, pledge=pledge)
    elif state == "declined":
        pledge = pledge_decline(actor=enterprise_a_user, pledge=pledge, reason="不同意")
    elif state == "lapsed":
        assert pledge.confirm_by is not None
        pledges_lapse_unconfirmed(on=pledge.confirm_by + timedelta(days=1))
    pledge.refresh_from_db()
    assert pledge.state == state
    return pledge


def _written() -> tuple[int, int, int]:
    return (
        PledgeDocument.objects.count(),
        AuditRecord.objects.filter(action="pledge.document_upload").count(),
        Notification.objects.filter(verb="pledge.document_upload").count(),
    )


@pytest.mark.parametrize(
    "decided",
    ["registered", "rejected", "released", "withdrawn", "declined", "lapsed"],
    indirect=True,
)
@pytest.mark.parametrize("file", FILES)
def test_a_decided_pledge_takes_no_contract_over_the_api_409_pledge_closed(
    decided: Pledge, file: str, bank_a_api: Any
) -> None:
    before = _written()
    response = bank_a_api.post(f"/api/v1/pledges/{decided.pk}/documents", {"file": FILES[file]()})
    assert response.status_code == 409, (file, response.content)
    data = response.json()
    assert (data["code"], data["state"]) == ("pledge_closed", decided.state)
    assert data["detail"] == "该质押登记已登记或已结束，不能再上传合同。"
    assert _written() == before
    decided_state = decided.state
    decided.refresh_from_db()
    assert decided.state == decided_state


@pytest.mark.parametrize("decided", ["registered"], indirect=True)
def test_the_refusal_reads_in_english_on_request(decided: Pledge, bank_a_api: Any) -> None:
    response = bank_a_api.post(
        f"/api/v1/pledges/{decided.pk}/documents",
        {"file": FILES["a PDF"]()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The pledge is registered or closed: no more contracts can be uploaded."
    )


def test_an_open_application_still_takes_its_contract_and_others_get_404_or_403(
    submit: Submit,
    right: Right,
    bank_a_api: Any,
    bank_b_api: Any,
    api_client: Any,
    enterprise_a_user: User,
) -> None:
    pledge, _ = submit([right])
    path = f"/api/v1/pledges/{pledge.pk}/documents"
    # Before the state: another tenant learns nothing (404), the pledgor may not upload (403).
    assert bank_b_api.post(path, {"file": FILES["a PDF"]()}).status_code == 404
    assert api_client(enterprise_a_user).post(path, {"file": FILES["a PDF"]()}).status_code == 403
    response = bank_a_api.post(path, {"file": FILES["a PDF"]()})
    assert response.status_code == 201, response.content
    assert PledgeDocument.objects.filter(pledge=pledge).count() == 1
