"""Requests Django refuses to read, over the real API URLs: a 4xx with the API's {detail, code}
body (Chinese, or English on request), never the 500 `internal_error`, and nothing stored.

Before ipfin/api.py mapped them, each of these was a 500 on the API while the HTML side answered
400: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig), more parameters than
DATA_UPLOAD_MAX_NUMBER_FIELDS (TooManyFieldsSent), more files than DATA_UPLOAD_MAX_NUMBER_FILES
(TooManyFilesSent), a multipart body Django cannot parse (MultiPartParserError; a 5,000-character
file name overflows its 1,024 bytes of part headers), a form in another charset (BadRequest).
File names the parser does read are the services' business: more than 200 characters is a 422
`file_name_too_long` too (it used to be cut to 200, losing the extension: a valid PDF was then
refused as `file_not_pdf`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from ipfin.accounts.models import User
from ipfin.common.inputs import MAX_FILE_NAME_LENGTH
from ipfin.pledges.models import Pledge, PledgeDocument
from ipfin.registry.models import Right
from ipfin.whitelist.models import ImportedList

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CSV = "统一社会信用代码,企业名称\n91110000000000000X,某科技有限公司\n".encode()
IMPORTS = "/api/v1/whitelist/imports"


def named(name: str, data: bytes) -> io.BytesIO:
    """A file the test client sends under exactly `name` (SimpleUploadedFile would cut a name
    over 255 characters itself, as Django's UploadedFile does)."""
    upload = io.BytesIO(data)
    upload.name = name
    return upload


@pytest.fixture
def office_api(api_client: Callable[..., Any], office_user: User) -> Any:
    return api_client(office_user)


@pytest.fixture
def documents_url(submit: Callable[..., Any], right: Right) -> str:
    pledge, _checks = submit([right])
    return f"/api/v1/pledges/{pledge.pk}/documents"


def error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    data: dict[str, Any] = response.json()
    assert data["code"] == code
    assert isinstance(data["detail"], str) and data["detail"]
    return data


def test_json_body_over_the_upload_limit_is_413_body_too_large(
    bank_a_api: Any, right: Right
) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    oversized = b'{"contract_no": "' + b"x" * limit + b'"}'
    response = bank_a_api.post("/api/v1/pledges", oversized, content_type="application/json")
    data = error(response, 413, "body_too_large")
    assert data["max_bytes"] == limit
    assert "请求体过大" in data["detail"]
    english = bank_a_api.post(
        "/api/v1/pledges", oversized, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert error(english, 413, "body_too_large")["detail"].startswith("The request body is too")
    assert not Pledge.objects.exists()


def test_more_than_1000_query_parameters_is_400_too_many_fields(bank_a_api: Any) -> None:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    query = "&".join(f"p{i}=1" for i in range(limit + 1))
    data = error(bank_a_api.get(f"/api/v1/pledges?{query}"), 400, "too_many_fields")
    assert data["max_fields"] == limit
    # At the limit the same list is answered.
    at_limit = "&".join(f"p{i}=1" for i in range(limit))
    assert bank_a_api.get(f"/api/v1/pledges?{at_limit}").status_code == 200


def test_more_than_1000_form_fields_is_400_too_many_fields(office_api: Any) -> None:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    form: dict[str, Any] = {f"p{i}": "1" for i in range(limit + 1)}
    form |= {"kind": "specialised_sme", "file": named("list.csv", CSV)}
    error(office_api.post(IMPORTS, form), 400, "too_many_fields")
    assert not ImportedList.objects.exists()


def test_more_files_than_allowed_is_400_too_many_files(bank_a_api: Any, documents_url: str) -> None:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    files = [named(f"c{i}.pdf", PDF) for i in range(limit + 1)]
    data = error(bank_a_api.post(documents_url, {"file": files}), 400, "too_many_files")
    assert data["max_files"] == limit
    assert not PledgeDocument.objects.exists()


def test_5000_character_file_name_is_422_file_name_too_long_on_both_uploads(
    bank_a_api: Any, office_api: Any, documents_url: str
) -> None:
    for name in ("c" * 4996 + ".pdf", "合" * 4996 + ".pdf", "c." + "p" * 4998):
        assert len(name) == 5000
        response = bank_a_api.post(documents_url, {"file": named(name, PDF)})
        data = error(response, 422, "file_name_too_long")
        assert data["field"] == "file"
        assert data["max_length"] == MAX_FILE_NAME_LENGTH
    response = office_api.post(
        IMPORTS, {"kind": "specialised_sme", "file": named("c" * 4996 + ".csv", CSV)}
    )
    error(response, 422, "file_name_too_long")
    assert not PledgeDocument.objects.exists()
    assert not ImportedList.objects.exists()


def test_file_name_over_200_characters_is_422_and_200_is_kept_whole(
    bank_a_api: Any, office_api: Any, documents_url: str
) -> None:
    """201 to 255 characters pass Django's parser: the services refuse them, in both languages."""
    for length in (MAX_FILE_NAME_LENGTH + 1, 255):
        name = "合" * (length - 4) + ".pdf"
        response = bank_a_api.post(documents_url, {"file": named(name, PDF)})
        assert error(response, 422, "file_name_too_long")["max_length"] == MAX_FILE_NAME_LENGTH
    assert not PledgeDocument.objects.exists()
    english = bank_a_api.post(
        documents_url, {"file": named("c" * 197 + ".pdf", PDF)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    data = error(english, 422, "file_name_too_long")
    assert data["detail"] == "The file name is too long: at most 200 characters (this one: 201)."
    csv_name = "c" * (MAX_FILE_NAME_LENGTH - 3) + ".csv"
    response = office_api.post(IMPORTS, {"kind": "specialised_sme", "file": named(csv_name, CSV)})
    error(response, 422, "file_name_too_long")
    assert not ImportedList.objects.exists()

    longest = "合" * (MAX_FILE_NAME_LENGTH - 4) + ".pdf"
    stored = bank_a_api.post(documents_url, {"file": named(longest, PDF)})
    assert stored.status_code == 201, stored.content
    assert stored.json()["original_name"] == longest
    csv_name = "c" * (MAX_FILE_NAME_LENGTH - 4) + ".csv"
    imported = office_api.post(IMPORTS, {"kind": "specialised_sme", "file": named(csv_name, CSV)})
    assert imported.status_code == 201, imported.content
    assert ImportedList.objects.get().filename == csv_name


def test_unreadable_multipart_body_is_400_multipart_invalid(
    bank_a_api: Any, documents_url: str
) -> None:
    response = bank_a_api.post(documents_url, b"--x\r\n", content_type="multipart/form-data")
    data = error(response, 400, "multipart_invalid")
    assert "boundary" in data["detail"]
    assert not PledgeDocument.objects.exists()


def test_form_in_another_charset_is_400_bad_request(office_api: Any) -> None:
    response = office_api.post(
        IMPORTS,
        "kind=specialised_sme",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
    )
    error(response, 400, "bad_request")
    assert not ImportedList.objects.exists()


def test_an_upload_over_the_request_limit_is_refused_before_it_is_read(
    office_api: Any, settings: Any, tmp_path: Any
) -> None:
    """Django's body limit leaves files out: a multipart upload of any size was streamed to a
    temporary file before the import's 5 MB check. Over IPFIN_MAX_REQUEST_BYTES (lowered here
    to 1 MB) the request is a 413 before anything reads it, with nothing written to disk."""
    settings.IPFIN_MAX_REQUEST_BYTES = 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # any file part that is read goes to disk
    big = named("big.csv", CSV + b"9" * (2 * 1024 * 1024))
    answer = office_api.post(IMPORTS, {"file": big, "kind": "high_tech"})
    data = error(answer, 413, "body_too_large")
    assert data["max_bytes"] == 1024 * 1024
    assert data["detail"].startswith("请求过大")
    assert list(tmp_path.iterdir()) == []
    big.seek(0)
    english = office_api.post(
        IMPORTS, {"file": big, "kind": "high_tech"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert error(english, 413, "body_too_large")["detail"].startswith("The request is too large")
    assert not ImportedList.objects.exists()
    page = office_api.post("/whitelist/imports/new/", {"file": named("big.csv", CSV * 100_000)})
    assert page.status_code == 413
    # Within the limit, the same endpoint reads the request as before.
    small = office_api.post(IMPORTS, {"file": named("ok.csv", CSV), "kind": "high_tech"})
    assert small.status_code != 413
