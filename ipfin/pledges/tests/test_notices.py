"""The decision's notice (专利权质押登记办法 2021: the parties are sent 《专利权质押登记通知书》 on
registration and a 不予登记通知书 on refusal; trademarks: 注册商标专用权质押登记程序规定 2020,
《商标专用权质权登记证》): made with the decision in its transaction, stored with the pledge,
read back with pypdf (its text and its fonts, all embedded), downloadable by both parties and the
office over the page and the API, never by another bank."""

from __future__ import annotations

import pytest

from ipfin.audit.models import AuditRecord
from ipfin.common.tests.pdf_fonts import assert_fonts_embedded, pdf_text
from ipfin.pledges import notices
from ipfin.pledges.models import PledgeDocument
from ipfin.pledges.services import pledge_decide

pytestmark = pytest.mark.django_db

NOTICE_KINDS = ("registration_notice", "refusal_notice")


def _notices(pledge):
    return list(PledgeDocument.objects.filter(pledge=pledge, kind__in=NOTICE_KINDS))


def _read(document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def test_registration_makes_the_notice_with_the_registration_number_banfa_art12(
    pledge, upload_contract, examiner, enterprise_a, bank_a
):
    upload_contract(pledge)
    registered = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    [notice] = _notices(pledge)
    assert notice.kind == "registration_notice"
    assert notice.uploaded_by == examiner
    data = _read(notice)
    assert_fonts_embedded(data)
    text = pdf_text(data)
    assert "专利权质押登记通知书" in text
    assert registered.registration_no in text
    assert enterprise_a.name in text and bank_a.name in text
    assert "5,000,000.00 元" in text
    for item in registered.items.select_related("right"):
        assert item.right.number in text
    assert examiner.organisation.name in text  # the office that decided
    assert notice.original_name == f"专利权质押登记通知书-{registered.registration_no}.pdf"
    record = AuditRecord.objects.get(action="pledge.notice_generate")
    assert record.after["document_id"] == notice.pk
    assert record.after["sha256"] == notice.sha256


def test_refusal_makes_the_notice_with_the_reasons_recorded_banfa_art12(pledge, examiner):
    reason = "出质人不是专利登记簿记载的专利权人（第十二条第一项）"
    pledge_decide(actor=examiner, pledge=pledge, decision="reject", reason=reason)
    [notice] = _notices(pledge)
    assert notice.kind == "refusal_notice"
    data = _read(notice)
    assert_fonts_embedded(data)
    text = pdf_text(data)
    assert "专利权质押不予登记通知书" in text
    assert "出质人不是专利登记簿记载的专利权人" in text
    assert "登记号" not in text  # nothing was registered


def test_a_correction_request_makes_no_notice(pledge, examiner):
    pledge_decide(actor=examiner, pledge=pledge, decision="correct", reason="补充合同页")
    assert _notices(pledge) == []


def test_a_trademark_pledge_gets_the_certificate_wording_tm_pledge_rules(
    make_trademark, make_pledge, upload_contract, examiner
):
    mark = make_trademark("星火")
    pledge = make_pledge(rights=[mark])
    upload_contract(pledge)
    registered = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    [notice] = _notices(pledge)
    text = pdf_text(_read(notice))
    assert "商标专用权质权登记证" in text
    assert "商标注册号" in text and mark.number in text
    assert "质权登记期限" in text and "质权登记日期" in text
    assert registered.registration_no in text


def test_a_failing_notice_leaves_the_decision_undone(
    pledge, upload_contract, examiner, settings, tmp_path
):
    """No decision without its notice: the notice cannot be stored (the media directory is not
    writable: its parent is a file), and the approval rolls back with it."""
    upload_contract(pledge)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = str(blocker / "media")
    with pytest.raises(OSError):
        pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    pledge.refresh_from_db()
    assert pledge.state == "submitted"
    assert pledge.registration_no is None
    assert _notices(pledge) == []
    assert not AuditRecord.objects.filter(action__in=["pledge.approve", "pledge.notice_generate"])


def test_the_same_pledge_gives_the_same_notice_bytes(pledge, upload_contract, examiner):
    upload_contract(pledge)
    registered = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    [notice] = _notices(pledge)
    again = notices.notice_pdf(
        registered,
        kind="registration_notice",
        office=examiner.organisation.name,
        decided_on=registered.effective_date,
    )
    assert again == _read(notice)


# --- download ------------------------------------------------------------------------------------


@pytest.fixture
def registered(pledge, upload_contract, examiner):
    upload_contract(pledge)
    return pledge_decide(actor=examiner, pledge=pledge, decision="approve")


def test_both_parties_and_the_office_download_it_over_the_api(
    registered, api_client, bank_a_user, enterprise_a_user, examiner
):
    for user in (bank_a_user, enterprise_a_user, examiner):
        response = api_client(user).get(f"/api/v1/pledges/{registered.pk}/notice.pdf")
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        data = b"".join(response.streaming_content)
        assert registered.registration_no in pdf_text(data)


def test_another_bank_or_enterprise_gets_404_over_the_api(
    registered, api_client, bank_b_user, enterprise_b_user
):
    for user in (bank_b_user, enterprise_b_user):
        response = api_client(user).get(f"/api/v1/pledges/{registered.pk}/notice.pdf")
        assert response.status_code == 404
        assert response.json()["code"] == "pledge_not_found"


def test_anonymous_is_401_and_an_undecided_pledge_has_no_notice(pledge, api_client, bank_a_user):
    assert api_client().get(f"/api/v1/pledges/{pledge.pk}/notice.pdf").status_code == 401
    response = api_client(bank_a_user).get(f"/api/v1/pledges/{pledge.pk}/notice.pdf")
    assert response.status_code == 404
    assert response.json()["code"] == "notice_not_found"


def test_the_pledge_page_links_the_notice_for_both_parties_and_not_another_bank(
    registered, client_for, bank_a_user, enterprise_a_user, bank_b_user
):
    [notice] = _notices(registered)
    url = f"/pledges/{registered.pk}/documents/{notice.pk}/"
    for user in (bank_a_user, enterprise_a_user):
        page = client_for(user).get(f"/pledges/{registered.pk}/")
        assert page.status_code == 200
        assert 'data-testid="pledge-notice-download"' in page.content.decode()
        assert url in page.content.decode()
        download = client_for(user).get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content)[:5] == b"%PDF-"
    assert client_for(bank_b_user).get(url).status_code == 404
    assert client_for(bank_b_user).get(f"/pledges/{registered.pk}/").status_code == 404


def test_the_notice_endpoint_is_in_the_openapi_document(api_client, bank_a_user):
    document = api_client(bank_a_user).get("/api/schema").json()
    operation = document["paths"]["/api/v1/pledges/{pledge_id}/notice.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert {"200", "401", "404"} <= set(operation["responses"])
