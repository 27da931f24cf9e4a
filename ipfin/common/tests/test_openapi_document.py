"""The OpenAPI document says what the server answers (ipfin.openapi): security only where auth
applies, the shared error body for every status an operation can refuse with, the idempotency
header on the authenticated POSTs."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

PUBLIC_READS = {
    ("get", "/api/v1/rights"), ("get", "/api/v1/rights/{number}"),
    ("get", "/api/v1/lpr"), ("get", "/api/v1/products"), ("get", "/api/v1/policies"),
    ("get", "/api/v1/pledges/public"), ("get", "/api/v1/calendar"),
    ("post", "/api/v1/valuations/preview"), ("post", "/api/v1/schedules/preview"),
    ("post", "/api/v1/risk/compensation/preview"), ("post", "/api/v1/risk/npl-tolerance/preview"),
    ("post", "/api/v1/index/preview"), ("post", "/api/v1/abs/waterfall/preview"),
    ("get", "/api/v1/index/published"), ("get", "/api/v1/index/zones/{zone_id}/history"),
    ("get", "/api/v1/risk/schemes"), ("get", "/api/v1/risk/schemes/{scheme_id}"),
    ("get", "/api/v1/disposals"), ("get", "/api/v1/disposals/{disposal_id}"),
    ("get", "/api/v1/trading/listings"), ("get", "/api/v1/trading/listings/{trading_listing_id}"),
    ("get", "/api/v1/trading/stats"),
}  # fmt: skip
# Authenticated reads that answer another organisation's id with 404, never 403.
NEVER_FORBIDDEN = {("get", "/api/v1/jobs/{job_id}"), ("get", "/api/v1/jobs/{job_id}/file")}


@pytest.fixture
def document(api_client: Any) -> dict[str, Any]:
    response = api_client().get("/api/schema")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def test_public_operations_declare_no_security_and_answer_without_a_token(
    document: dict[str, Any], api_client: Any
) -> None:
    ops = {(m, p): op for m, p, op in _operations(document)}
    for method, path in PUBLIC_READS:
        assert "security" not in ops[(method, path)], (method, path)
    anonymous = api_client()
    for path in ("/api/v1/lpr", "/api/v1/products", "/api/v1/policies", "/api/v1/rights"):
        assert anonymous.get(path).status_code == 200, path


def test_every_other_operation_declares_the_bearer_token_or_the_session(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie"
    private = [(m, p, op) for m, p, op in _operations(document) if "security" in op]
    assert len(private) >= 70
    for method, path, op in private:
        assert op["security"] == [{"ApiAuth": []}, {"session": []}], (method, path)
        assert "401" in op["responses"], (method, path)
        # 403 everywhere but the reads whose every refusal is a 404 (ipfin.openapi.NO_FORBIDDEN).
        assert ("403" in op["responses"]) == ((method, path) not in NEVER_FORBIDDEN), (method, path)
        assert not any(key.startswith("x-ipfin") for key in op), (method, path)


def test_every_refusal_an_operation_can_answer_is_declared_with_the_error_body(
    document: dict[str, Any],
) -> None:
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "code"]
    for method, path, op in _operations(document):
        responses = op["responses"]
        if "{" in path:
            assert "404" in responses, (method, path)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in responses, (method, path)
        if method != "get" and "security" in op:
            assert "409" in responses, (method, path)
        for status in ("401", "403", "404", "409", "413", "422"):
            if status in responses:
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                # The shared body, or an app's more specific one that still carries both.
                body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
                assert {"detail", "code"} <= set(body["properties"]), (method, path, status)


def test_authenticated_posts_take_an_idempotency_key(document: dict[str, Any]) -> None:
    posts = [(p, op) for m, p, op in _operations(document) if m == "post" and "security" in op]
    assert posts
    for path, op in posts:
        (header,) = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
        assert (header["in"], header["required"], header["schema"]["maxLength"]) == (
            "header", False, 255,
        ), path  # fmt: skip
    public_posts = [
        op for m, p, op in _operations(document) if m == "post" and "security" not in op
    ]
    assert public_posts and all(
        all(p["name"] != "Idempotency-Key" for p in op.get("parameters", [])) for op in public_posts
    )


@pytest.mark.parametrize("body", ["[null, null]", '"x"', "3", "true", "null"])
def test_a_body_that_is_not_an_object_is_422_not_a_defaulted_update(
    api_client: Any, bank_a_user: Any, body: str
) -> None:
    response = api_client(bank_a_user).put(
        "/api/v1/valuations/bank-model", body, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (422, "body_not_object")


def test_every_api_schema_class_has_its_own_name() -> None:
    """The document keys components by class name: two classes of one name describe each other
    (the white list's rules were documented with the matching's rule results)."""
    import importlib

    from ninja import Schema

    from ipfin.api import api

    api.get_openapi_schema()  # every router imported
    for app in ("registry", "pledges", "valuation", "financing", "whitelist", "loans", "holidays",
                "accounts", "audit", "risk", "disposals"):  # fmt: skip
        importlib.import_module(f"ipfin.{app}.api")
    seen: dict[str, str] = {}
    stack = list(Schema.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__module__.startswith("ipfin."):
            continue
        where = f"{cls.__module__}.{cls.__qualname__}"
        assert seen.setdefault(cls.__name__, where) == where, (
            cls.__name__,
            seen[cls.__name__],
            where,
        )


VERSIONED_EDITS = {
    ("put", "/api/v1/valuations/bank-model"),
    ("put", "/api/v1/enterprises/{uscc}/credit-score"),
    ("put", "/api/v1/calendar/{year}"),
    ("patch", "/api/v1/rights/{number}"),
    ("put", "/api/v1/risk/schemes/{scheme_id}"),
}


# Writes that append a new version (overwriting none) take If-Match optionally: sent, a version
# published in between is a 409; never a 428.
VERSIONED_APPENDS = {("post", "/api/v1/products")}


def test_appends_take_if_match_optionally_and_declare_409_not_428(
    document: dict[str, Any],
) -> None:
    ops = {(m, p): op for m, p, op in _operations(document)}
    for key in VERSIONED_APPENDS:
        op = ops[key]
        (header,) = [p for p in op["parameters"] if p["name"] == "If-Match"]
        assert header["required"] is False, key
        assert "409" in op["responses"] and "428" not in op["responses"], key


def test_edits_in_place_take_if_match_and_declare_409_and_428(document: dict[str, Any]) -> None:
    """ipfin.common.versioning: the edits of a record in place, and only they, require If-Match
    and answer 409 version_conflict / 428 version_required with the shared body; they and the
    reads of those records answer the ETag."""
    taking = set()
    for method, path, op in _operations(document):
        headers = [p for p in op.get("parameters", []) if p["name"] == "If-Match"]
        if not headers or (method, path) in VERSIONED_APPENDS:
            continue
        taking.add((method, path))
        assert (headers[0]["in"], headers[0]["required"]) == ("header", True), path
        for status in ("409", "428"):
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (path, status)
        assert "ETag" in op["responses"]["200"]["headers"], path
        assert "ETag" in document["paths"][path]["get"]["responses"]["200"]["headers"], path
    assert taking == VERSIONED_EDITS


@pytest.mark.parametrize("on", ["-2.1773649375412098e-302", "1700000000", "2026-1-3", "true"])
def test_a_date_is_written_yyyy_mm_dd_never_a_number_read_as_seconds(
    api_client: Any, right: Any, on: str
) -> None:
    """Found by the fuzzing: pydantic read `on=-2.17e-302` as 1970-01-01 and answered 200."""
    response = api_client().get(f"/api/v1/rights/{right.number}/status", {"on": on})
    assert response.status_code == 422
    ok = api_client().get(f"/api/v1/rights/{right.number}/status", {"on": "2026-12-03"})
    assert (ok.status_code, ok.json()["on"]) == (200, "2026-12-03")


def test_every_background_request_answers_202_with_the_runs_location(
    document: dict[str, Any],
) -> None:
    accepted = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, op in operations.items()
        if "202" in op["responses"]
    }
    assert accepted == {
        ("POST", "/api/v1/credit-imports/jobs"),
        ("POST", "/api/v1/whitelist/imports/jobs"),
        ("POST", "/api/v1/exports/pledge-registrations/jobs"),
        ("POST", "/api/v1/exports/demands/jobs"),
        ("POST", "/api/v1/stats/reports/jobs"),
    }
    for method, path in accepted:
        response = document["paths"][path][method.lower()]["responses"]["202"]
        assert response["headers"]["Location"]["schema"] == {"type": "string"}
        assert response["content"]["application/json"]["schema"]["$ref"].endswith("/JobRunOut")


def test_every_download_declares_the_file_it_answers(document: dict[str, Any]) -> None:
    """A path ending in .pdf, .xlsx or .csv answers that file: its 200 says so (they had said
    nothing of their content, an HttpResponse being all django-ninja saw)."""
    kinds = {
        ".pdf": "application/pdf",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".csv": "text/csv",
    }
    downloads = 0
    for path, operations in document["paths"].items():
        kind = next((media for end, media in kinds.items() if path.endswith(end)), None)
        if kind is None:
            continue
        for op in operations.values():
            downloads += 1
            assert list(op["responses"]["200"]["content"]) == [kind], path
    assert downloads >= 8  # the pledge notice, the exports, the reports, the pool's report
