"""The white-list API end to end over HTTP with real tokens: every status code each endpoint can
answer, tenancy (a bank sees only batches pushed to it: 404 otherwise), Excel exports that open."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import Organisation
from ipfin.whitelist.models import WhitelistBatch, WhitelistFollowUp
from ipfin.whitelist.tests.conftest import csv_file, xlsx_file

API = "/api/v1/whitelist"


def _workbook(response: Any) -> Any:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.content))


def test_import_multipart_and_report(
    office_api: Any, bank_a_api: Any, make_enterprise: Callable[..., Organisation]
) -> None:
    firm = make_enterprise("甲科技有限公司")
    bad = make_uscc(seq=4242)[:-1] + "0"
    upload = xlsx_file(
        [["统一社会信用代码", "企业名称"], [firm.uscc, ""], [bad, "坏"], ["", "无名"]]
    )
    response = office_api.post(f"{API}/imports", {"file": upload, "kind": "specialised_sme"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rows_total"], body["rows_matched"], body["rows_unmatched"]) == (3, 1, 2)
    assert [(r["row_no"], r["reason"]) for r in body["unmatched"]] == [
        (3, "uscc_invalid"),
        (4, "name_not_found"),
    ]
    assert body["matched"][0]["enterprise"]["id"] == firm.pk
    report = office_api.get(f"{API}/imports/{body['id']}")
    assert report.status_code == 200 and report.json()["unmatched"] == body["unmatched"]
    english = office_api.get(f"{API}/imports/{body['id']}", HTTP_ACCEPT_LANGUAGE="en")
    assert (
        english.json()["unmatched"][1]["message"] == "no enterprise on the platform has this name"
    )
    assert [i["id"] for i in office_api.get(f"{API}/imports").json()] == [body["id"]]
    assert bank_a_api.get(f"{API}/imports").status_code == 403
    assert bank_a_api.get(f"{API}/imports/{body['id']}").status_code == 403
    assert office_api.get(f"{API}/imports/999999").status_code == 404


def test_import_refusals(office_api: Any, bank_a_api: Any) -> None:
    upload = csv_file([["企业名称"], ["甲"]], name="list.txt")
    response = office_api.post(f"{API}/imports", {"file": upload, "kind": "other"})
    assert (response.status_code, response.json()["code"]) == (422, "file_type")
    response = office_api.post(f"{API}/imports", {"kind": "other"})
    assert response.status_code == 422  # no file
    response = bank_a_api.post(
        f"{API}/imports", {"file": csv_file([["企业名称"], ["甲"]]), "kind": "other"}
    )
    assert response.status_code == 403


def test_rules_preview_batch_publish_push_follow_up(
    office_api: Any,
    bank_a_api: Any,
    bank_b_api: Any,
    bank_a: Organisation,
    scored: dict[str, Organisation],
) -> None:
    response = office_api.post_json(f"{API}/rules", {"name": "≥ 30 分", "min_credit_score": 30})
    assert response.status_code == 201
    rule = response.json()
    assert (
        office_api.post_json(f"{API}/rules", {"name": "x", "min_credit_score": 101}).status_code
        == 422
    )
    assert office_api.post_json(f"{API}/rules", {"name": "x", "sizes": ["huge"]}).status_code == 422
    assert bank_a_api.post_json(f"{API}/rules", {"name": "x"}).status_code == 403
    assert [r["id"] for r in office_api.get(f"{API}/rules").json()] == [rule["id"]]
    assert office_api.get(f"{API}/rules/{rule['id']}").json()["min_credit_score"] == 30

    preview = office_api.post_json(f"{API}/batches/preview", {"rule_id": rule["id"]}).json()
    assert (preview["included_count"], preview["excluded_count"]) == (2, 2)
    assert [s["credit_score"] for s in preview["included"]] == [37, 34]
    low = next(s for s in preview["excluded"] if s["enterprise"]["id"] == scored["low"].pk)
    assert low["failed"] == [{"code": "credit_score", "message": "评分 29 < 30"}]
    assert office_api.post_json(f"{API}/batches/preview", {"rule_id": 999999}).status_code == 404

    response = office_api.post_json(f"{API}/batches", {"rule_id": rule["id"], "title": "一批"})
    assert response.status_code == 201
    batch = response.json()
    assert (batch["state"], batch["entry_count"]) == ("draft", 2)
    bid = batch["id"]
    assert (
        office_api.post_json(f"{API}/batches/{bid}/push", {"bank_ids": [bank_a.pk]}).status_code
        == 409
    )
    assert office_api.post(f"{API}/batches/{bid}/publish").json()["state"] == "published"
    assert office_api.post(f"{API}/batches/{bid}/publish").status_code == 409
    assert bank_a_api.get(f"{API}/batches/{bid}").status_code == 404  # not pushed yet
    pushed = office_api.post_json(f"{API}/batches/{bid}/push", {"bank_ids": [bank_a.pk]})
    assert pushed.json() == {"pushed": [bank_a.pk], "already_pushed": []}
    assert office_api.post_json(f"{API}/batches/{bid}/push", {"bank_ids": []}).status_code == 422

    # Tenancy: bank A sees it, bank B does not (404, and an empty list).
    assert [b["id"] for b in bank_a_api.get(f"{API}/batches").json()] == [bid]
    assert bank_b_api.get(f"{API}/batches").json() == []
    assert bank_b_api.get(f"{API}/batches/{bid}").status_code == 404
    detail = bank_a_api.get(f"{API}/batches/{bid}").json()
    assert detail["criteria"] == {}
    entry_id = detail["entries"][0]["id"]
    assert bank_a_api.post(f"{API}/batches/{bid}/publish").status_code == 403

    url = f"{API}/entries/{entry_id}/follow-ups"
    response = bank_a_api.post_json(url, {"status": "credit_granted", "amount": 1500000.5})
    assert response.status_code == 201
    assert (response.json()["amount"], response.json()["status_label"]) == ("1500000.50", "已授信")
    assert bank_a_api.post_json(url, {"status": "credit_granted"}).status_code == 422
    assert bank_a_api.post_json(url, {"status": "declined"}).status_code == 422
    assert bank_a_api.post_json(url, {"status": "maybe"}).status_code == 422
    assert bank_b_api.post_json(url, {"status": "contacted"}).status_code == 404
    assert bank_b_api.get(url).status_code == 404
    assert office_api.post_json(url, {"status": "contacted"}).status_code == 403
    assert WhitelistFollowUp.objects.count() == 1
    assert [f["status"] for f in bank_a_api.get(url).json()] == ["credit_granted"]
    office_detail = office_api.get(f"{API}/batches/{bid}").json()
    assert office_detail["entries"][0]["follow_ups"][0]["bank"]["id"] == bank_a.pk
    assert office_detail["criteria"]["min_credit_score"] == 30

    figures = office_api.get(f"{API}/figures").json()
    assert figures["total"]["pushed"] == 2
    assert figures["total"]["credit_granted_amount"] == "1500000.50"
    assert figures["total"]["credit_granted_rate"] == "0.5000"
    assert figures["by_bank"][0]["bank_name"] == "甲银行"
    assert bank_b_api.get(f"{API}/figures").json()["total"]["pushed"] == 0
    assert bank_b_api.get(f"{API}/figures", {"batch_id": bid}).status_code == 404


def test_exports_open_with_openpyxl_and_hold_the_rows(
    office_api: Any,
    bank_a_api: Any,
    bank_b_api: Any,
    bank_a_user: Any,
    published_batch: WhitelistBatch,
    scored: dict[str, Organisation],
) -> None:
    from ipfin.whitelist import services

    entry = published_batch.entries.get(enterprise=scored["high"])
    services.follow_up_record(
        actor=bank_a_user, entry=entry, status="loan_disbursed", amount="250000.00"
    )
    url = f"{API}/batches/{published_batch.pk}/export.xlsx"
    wb = _workbook(office_api.get(url))
    assert wb.sheetnames == ["白名单", "跟进情况", "跟进记录"]
    names = [row[1] for row in wb["白名单"].iter_rows(min_row=2, values_only=True)]
    assert names == ["高分科技有限公司", "中分科技有限公司", "低分科技有限公司"]
    follow = list(wb["跟进情况"].iter_rows(min_row=2, values_only=True))
    assert len(follow) == 3  # 3 entries × 1 bank
    assert follow[0][2] == "甲银行" and follow[0][4] == "已放款" and follow[0][5] == 250000
    assert {row[4] for row in follow[1:]} == {"待跟进"}
    assert len(list(wb["跟进记录"].iter_rows(min_row=2))) == 1
    assert len(list(_workbook(bank_a_api.get(url))["跟进记录"].iter_rows(min_row=2))) == 1
    assert bank_b_api.get(url).status_code == 404
    figures = _workbook(office_api.get(f"{API}/figures/export.xlsx"))
    assert figures.sheetnames == ["按批次", "按银行", "合计", "银行推荐"]
    (row,) = list(figures["按批次"].iter_rows(min_row=2, values_only=True))
    assert row[:8] == ("第一批", 3, 1, 1, 250000, 1, 250000, 0)
    assert row[8] == pytest.approx(0.3333)


def test_recommendations_both_ways(
    office_api: Any,
    bank_a_api: Any,
    bank_b_api: Any,
    make_enterprise: Callable[..., Organisation],
    make_rule: Callable[..., Any],
    office_user: Any,
) -> None:
    from ipfin.whitelist import services

    firm = make_enterprise("被推荐企业", {})
    response = bank_a_api.post_json(
        f"{API}/recommendations",
        {"enterprise_uscc": firm.uscc, "reason": "优质客户", "intended_amount": "2000000"},
    )
    assert response.status_code == 201
    rec = response.json()
    assert (rec["state"], rec["intended_amount"]) == ("received", "2000000.00")
    again = bank_a_api.post_json(
        f"{API}/recommendations", {"enterprise_uscc": firm.uscc, "reason": "再推"}
    )
    assert again.status_code == 409
    bad = bank_a_api.post_json(f"{API}/recommendations", {"enterprise_uscc": "1", "reason": "x"})
    assert bad.status_code == 422
    assert (
        office_api.post_json(
            f"{API}/recommendations", {"enterprise_uscc": firm.uscc, "reason": "x"}
        ).status_code
        == 403
    )
    assert [r["id"] for r in office_api.get(f"{API}/recommendations").json()] == [rec["id"]]
    assert bank_b_api.get(f"{API}/recommendations").json() == []
    assert bank_b_api.get(f"{API}/recommendations/{rec['id']}").status_code == 404
    url = f"{API}/recommendations/{rec['id']}/decision"
    assert bank_a_api.post_json(url, {"decision": "decline", "reason": "x"}).status_code == 403
    assert office_api.post_json(url, {"decision": "accept"}).status_code == 422  # no batch
    draft = services.batch_create(actor=office_user, rule=make_rule())
    response = office_api.post_json(url, {"decision": "accept", "batch_id": draft.pk})
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["batch_id"]) == (
        "accepted_into_batch",
        draft.pk,
    )
    assert office_api.post_json(url, {"decision": "decline", "reason": "x"}).status_code == 409
    recs = office_api.get(f"{API}/figures").json()["recommendations"]
    assert [(r["bank_name"], r["received"], r["accepted"]) for r in recs] == [("甲银行", 1, 1)]


def test_anonymous_and_enterprise_users_are_refused(
    api_client: Callable[..., Any], enterprise_a_user: Any, published_batch: WhitelistBatch
) -> None:
    assert api_client().get(f"{API}/batches").status_code == 401
    enterprise = api_client(enterprise_a_user)
    assert enterprise.get(f"{API}/batches").status_code == 403
    assert enterprise.get(f"{API}/batches/{published_batch.pk}").status_code == 403
    assert enterprise.get(f"{API}/figures").status_code == 403


def test_batch_detail_and_list_take_the_same_queries_at_two_sizes(
    office_api: Any,
    office_user: Any,
    bank_a_user: Any,
    published_batch: WhitelistBatch,
    make_rule: Any,
    count_queries: Callable[[Callable[[], object]], int],
) -> None:
    from ipfin.whitelist import services

    def detail() -> object:
        return office_api.get(f"{API}/batches/{published_batch.pk}").json()

    def listing() -> object:
        return office_api.get(f"{API}/batches").json()

    entries = list(published_batch.entries.all())
    services.follow_up_record(actor=bank_a_user, entry=entries[0], status="contacted")
    small = (count_queries(detail), count_queries(listing))
    # More follow-ups on every entry and a second batch: the same queries (token read and touch,
    # batch, entries, latest follow-ups, pushes; never one per row).
    for entry in entries:
        services.follow_up_record(actor=bank_a_user, entry=entry, status="contacted")
    services.batch_create(actor=office_user, rule=make_rule(name="第二批规则"), title="第二批")
    assert (count_queries(detail), count_queries(listing)) == small
    assert small[0] <= 6
    body = office_api.get(f"{API}/batches/{published_batch.pk}").json()
    assert len(body["entries"]) == 3
    assert all(len(e["follow_ups"]) >= 1 for e in body["entries"])
    assert len(office_api.get(f"{API}/batches").json()) == 2


def test_a_batch_of_an_unknown_rule_is_a_declared_404(office_api: Any) -> None:
    response = office_api.post_json("/api/v1/whitelist/batches", {"rule_id": 999_999})
    assert response.status_code == 404
    declared = office_api.get("/api/schema").json()["paths"]["/api/v1/whitelist/batches"]["post"]
    assert "404" in declared["responses"]  # found by .ci/api_fuzz's stateful phase


def test_an_id_beyond_64_bits_is_a_422_not_a_server_error(
    office_api: Any, published_batch: Any
) -> None:
    # Found by .ci/api_fuzz: the driver overflowed on -358141059944274722816 (a 500).
    response = office_api.post_json(
        f"/api/v1/whitelist/batches/{published_batch.pk}/push",
        {"bank_ids": [1, -358141059944274722816]},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "number_out_of_range"
    assert response.json()["loc"] == ["body", "bank_ids", 1]


def test_a_large_list_is_imported_as_a_background_run_whose_result_names_the_report(
    office_api: Any, bank_a_api: Any, make_enterprise: Callable[..., Organisation]
) -> None:
    firm = make_enterprise("甲科技有限公司")
    upload = csv_file([["统一社会信用代码", "企业名称"], [firm.uscc, ""], ["", "无名"]])
    sent = office_api.post(f"{API}/imports/jobs", {"file": upload, "kind": "high_tech"})
    assert sent.status_code == 202, sent.content
    body = sent.json()
    assert (body["job"], body["state"]) == ("whitelist_import", "done")
    result = body["result"]
    assert (result["rows_total"], result["rows_matched"]) == (2, 1)
    report = office_api.get(f"{API}/imports/{result['import_id']}")
    assert report.status_code == 200 and len(report.json()["unmatched"]) == 1
    assert office_api.get(sent["Location"]).json()["state"] == "done"
    # Checked before anything is queued: the kind; and only the office sends a list.
    wrong = office_api.post(f"{API}/imports/jobs", {"file": upload, "kind": "nope"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "list_kind_invalid")
    refused = bank_a_api.post(f"{API}/imports/jobs", {"file": upload, "kind": "high_tech"})
    assert refused.status_code == 403
    assert bank_a_api.get(sent["Location"]).status_code == 404
    # A file without a header the list is read by: the run is failed with the refusal.
    headless = office_api.post(
        f"{API}/imports/jobs", {"file": csv_file([["x", "y"], ["1", "2"]]), "kind": "other"}
    )
    assert headless.json()["state"] == "failed"
    assert headless.json()["result"]["refused"]["code"] == "header_not_found"
