"""The pledge pages over the real stack: each page renders for its role and refuses the others;
forms file, decide, correct, change and release pledges; the live pre-check; contracts; errors are
the page again with the refusal at its status."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from ipfin.pledges.models import Pledge, PledgeDocument
from ipfin.pledges.samples import contract_file
from ipfin.pledges.services import pledge_document_upload
from ipfin.pledges.tests.factories import approve, file_pledge
from ipfin.registry.tests.factories import make_patent

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _html(resp) -> str:
    return resp.content.decode()


def _form_data(right, enterprise, **kw):
    today = timezone.localdate()
    data = {
        "pledgor_uscc": enterprise.uscc,
        "rights": right.number,
        "debt_amount": "3000000.00",
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=365)).isoformat(),
        "contract_no": "ZY-2026-001",
        "scope": "主债权及利息",
    }
    data.update(kw)
    return data


def _examiner_of(pledge):
    from ipfin.accounts.models import User

    return User.objects.get(username="examiner")


@pytest.mark.parametrize("path", ["/pledges/", "/pledges/new/", "/pledges/1/", "/examiner/queue/"])
def test_private_pages_send_anonymous_users_to_login(path):
    resp = Client().get(path)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/login/?next=")


def test_wrong_role_is_refused_with_a_friendly_403(client_for, bank_a_user, examiner):
    queue = client_for(bank_a_user).get("/examiner/queue/")
    assert queue.status_code == 403
    assert "您没有执行此操作的权限" in _html(queue)
    assert "Traceback" not in _html(queue)
    form = client_for(examiner).get("/pledges/new/")
    assert form.status_code == 403


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        ("enterprise_a_user", "get", "/examiner/queue/"),
        ("regulator_user", "get", "/examiner/queue/"),
        ("regulator_user", "get", "/pledges/new/"),
        ("bank_a_user", "post", "/pledges/{id}/decision/"),
        ("enterprise_a_user", "post", "/pledges/{id}/decision/"),
    ],
)
def test_each_role_is_refused_what_is_not_its_job(request, client_for, pledge, who, method, path):
    client = client_for(request.getfixturevalue(who))
    url = path.format(id=pledge.pk)
    resp = getattr(client, method)(url, {"decision": "approve", "reason": ""})
    assert resp.status_code == 403
    # a page refused outright, or the pledge page again with the refusal
    marker = 'data-testid="error-page"' if method == "get" else 'data-testid="action-error"'
    assert marker in _html(resp)
    assert "您没有执行此操作的权限" in _html(resp)
    pledge.refresh_from_db()
    assert pledge.state == "submitted" and pledge.registration_no is None


def test_another_bank_gets_404_for_the_pledge_and_its_actions(client_for, bank_b_user, pledge):
    approve(_examiner_of(pledge), pledge)
    client = client_for(bank_b_user)
    assert client.get(f"/pledges/{pledge.pk}/").status_code == 404
    assert client.post(f"/pledges/{pledge.pk}/release/").status_code == 404
    assert client.get("/pledges/").content.count(b"data-pledge-id") == 0
    pledge.refresh_from_db()
    assert pledge.state == "registered"  # nothing changed


def test_examiner_home_and_queue_highlight_overdue_applications(
    client_for, examiner, bank_a_user, enterprise_a
):
    today = timezone.localdate()
    late = file_pledge(
        bank_user=bank_a_user,
        pledgor=enterprise_a,
        rights=[make_patent(examiner=examiner, owner=enterprise_a)],
        today=today - timedelta(days=30),
        term_start=today - timedelta(days=30),
    )
    fresh = file_pledge(
        bank_user=bank_a_user,
        pledgor=enterprise_a,
        rights=[make_patent(examiner=examiner, owner=enterprise_a)],
    )
    assert late.deadline < today <= fresh.deadline
    client = client_for(examiner)
    home = _html(client.get("/"))
    assert 'data-testid="home-examiner"' in home
    queue = client.get("/examiner/queue/")
    html = _html(queue)
    assert queue.status_code == 200
    # nearest deadline first; only the overdue one is highlighted
    assert html.index(f'data-pledge-id="{late.pk}"') < html.index(f'data-pledge-id="{fresh.pk}"')
    late_row = re.search(rf'<tr data-pledge-id="{late.pk}"[^>]*>', html).group(0)
    fresh_row = re.search(rf'<tr data-pledge-id="{fresh.pk}"[^>]*>', html).group(0)
    assert "overdue-row" in late_row
    assert "overdue-row" not in fresh_row
    assert html.count("已超期") == 1


def test_live_precheck_returns_the_partial_with_every_rule(
    client_for, bank_a_user, patent, enterprise_a
):
    client = client_for(bank_a_user)
    resp = client.post("/pledges/new/", _form_data(patent, enterprise_a), HTTP_HX_REQUEST="true")
    html = _html(resp)
    assert resp.status_code == 200
    assert "<html" not in html  # only the partial
    assert 'id="precheck"' in html
    outcomes = re.findall(r'data-outcome="(\w+)"', html)
    assert len(outcomes) >= 10
    assert set(outcomes) == {"pass"}
    assert 'data-rule="pledgor_is_owner"' in html
    assert not Pledge.objects.exists()  # a pre-check saves nothing


def test_live_precheck_marks_a_blocking_failure(client_for, bank_a_user, patent, enterprise_a):
    term_end = (timezone.localdate() + timedelta(days=40 * 365)).isoformat()
    data = _form_data(patent, enterprise_a, term_end=term_end)
    html = _html(client_for(bank_a_user).post("/pledges/new/", data, HTTP_HX_REQUEST="true"))
    assert re.search(r'data-rule="term_within_right" data-outcome="fail"', html)
    assert "✗" in html


def test_live_precheck_shows_a_forfeiture_clause_as_a_warning_minfadian_art428(
    client_for, bank_a_user, patent, enterprise_a
):
    data = _form_data(patent, enterprise_a, forfeiture_clause="on")
    html = _html(client_for(bank_a_user).post("/pledges/new/", data, HTTP_HX_REQUEST="true"))
    assert re.search(r'data-rule="no_forfeiture_clause" data-outcome="warn"', html)
    assert "民法典第四百二十八条" in html


def test_live_precheck_of_an_incomplete_form_lists_what_is_missing(client_for, bank_a_user):
    resp = client_for(bank_a_user).post(
        "/pledges/new/", {"pledgor_uscc": "", "rights": ""}, HTTP_HX_REQUEST="true"
    )
    html = _html(resp)
    assert 'data-testid="precheck-incomplete"' in html
    assert "出质人统一社会信用代码" in html


def test_live_precheck_reports_an_unknown_right(client_for, bank_a_user, enterprise_a, patent):
    data = _form_data(patent, enterprise_a, rights="202110999999.9")
    html = _html(client_for(bank_a_user).post("/pledges/new/", data, HTTP_HX_REQUEST="true"))
    assert 'data-testid="precheck-error"' in html


def test_form_renders_with_htmx_wiring(client_for, bank_a_user):
    resp = client_for(bank_a_user).get("/pledges/new/")
    html = _html(resp)
    assert resp.status_code == 200
    assert 'hx-post="/pledges/new/"' in html
    assert 'hx-params="not contract"' in html
    assert "django_htmx/htmx-2.min.js" in html
    assert 'for="id_pledgor_uscc"' in html  # labelled fields


def test_posting_the_form_files_the_pledge_and_stores_the_contract(
    client_for, bank_a_user, patent, enterprise_a
):
    data = _form_data(patent, enterprise_a)
    data["contract"] = SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf")
    resp = client_for(bank_a_user).post("/pledges/new/", data)
    pledge = Pledge.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == f"/pledges/{pledge.pk}/"
    assert pledge.state == "awaiting_confirmation"  # the pledgor signs next (办法 arts. 3, 7)
    assert pledge.pledgee_id == bank_a_user.organisation_id
    assert str(pledge.debt_amount) == "3000000.00"
    document = PledgeDocument.objects.get(pledge=pledge)
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    page = _html(client_for(bank_a_user).get(resp["Location"]))
    assert document.sha256 in page
    assert "300.00 万元" in page


def test_a_refused_application_shows_the_checks_and_stores_nothing(
    client_for, bank_a_user, patent, enterprise_a
):
    term_end = (timezone.localdate() + timedelta(days=40 * 365)).isoformat()
    data = _form_data(patent, enterprise_a, term_end=term_end)
    resp = client_for(bank_a_user).post("/pledges/new/", data)
    assert resp.status_code == 422
    html = _html(resp)
    assert 'data-testid="action-error"' in html
    assert 'data-rule="term_within_right" data-outcome="fail"' in html
    assert not Pledge.objects.exists()


def test_a_right_already_under_application_is_a_409(client_for, bank_a_user, pledge, enterprise_a):
    right = pledge.items.get().right
    resp = client_for(bank_a_user).post("/pledges/new/", _form_data(right, enterprise_a))
    assert resp.status_code == 409
    assert 'data-rule="not_already_pledged" data-outcome="fail"' in _html(resp)
    assert Pledge.objects.count() == 1


def test_a_malformed_form_is_a_400_with_field_errors(client_for, bank_a_user, patent, enterprise_a):
    data = _form_data(patent, enterprise_a, debt_amount="1,000.5x")
    resp = client_for(bank_a_user).post("/pledges/new/", data)
    assert resp.status_code == 400
    assert "请输入金额" in _html(resp)
    assert not Pledge.objects.exists()


def test_pledge_page_shows_the_parties_the_actions_they_may_take(
    client_for, pledge, bank_a_user, examiner, enterprise_a_user
):
    bank = _html(client_for(bank_a_user).get(f"/pledges/{pledge.pk}/"))
    assert 'id="upload-form"' in bank and 'id="decision-form"' not in bank
    exam = _html(client_for(examiner).get(f"/pledges/{pledge.pk}/"))
    assert 'id="decision-form"' in exam and 'id="upload-form"' not in exam
    owner = client_for(enterprise_a_user).get(f"/pledges/{pledge.pk}/")
    assert owner.status_code == 200
    assert 'id="upload-form"' not in _html(owner) and 'id="decision-form"' not in _html(owner)


def test_examiner_approves_through_the_form_and_the_public_sees_the_registration(
    client_for, examiner, bank_a_user, pledge
):
    pledge_document_upload(
        actor=bank_a_user, pledge=pledge, uploaded_file=contract_file(pledge.contract_no)
    )
    page = _html(client_for(examiner).get(f"/pledges/{pledge.pk}/"))
    assert 'data-testid="contract-missing"' not in page
    assert re.search(r'<input[^>]*value="approve"[^>]*>', page).group(0).count("disabled") == 0
    resp = client_for(examiner).post(
        f"/pledges/{pledge.pk}/decision/", {"decision": "approve", "reason": ""}
    )
    assert resp.status_code == 302
    pledge.refresh_from_db()
    assert pledge.state == "registered" and pledge.registration_no
    public = _html(Client().get("/public/", {"q": pledge.items.get().right.number}))
    assert f'data-registration-no="{pledge.registration_no}" data-state="registered"' in public
    assert "万元" not in public  # no debt amounts for the public


def test_without_a_contract_approve_is_disabled_and_refused_but_correction_is_possible(
    client_for, examiner, bank_a_user, pledge
):
    exam = client_for(examiner)
    page = _html(exam.get(f"/pledges/{pledge.pk}/"))
    assert 'data-testid="contract-missing"' in page and "尚未上传质押合同" in page
    radios = {value: tag for tag, value in re.findall(r'(<input[^>]*value="(\w+)"[^>]*>)', page)}
    assert " disabled" in radios["approve"]
    assert " disabled" not in radios["reject"] and " disabled" not in radios["correct"]
    bank = _html(client_for(bank_a_user).get(f"/pledges/{pledge.pk}/"))
    assert 'data-testid="contract-needed"' in bank
    # A forged POST is refused by the service: 422, the reason, nothing changed.
    row = Pledge.objects.filter(pk=pledge.pk).values().get()
    resp = exam.post(f"/pledges/{pledge.pk}/decision/", {"decision": "approve", "reason": ""})
    assert resp.status_code == 422
    assert 'data-testid="action-error"' in _html(resp) and "尚未上传质押合同" in _html(resp)
    assert " disabled" in re.search(r'<input[^>]*value="approve"[^>]*>', _html(resp)).group(0)
    assert Pledge.objects.filter(pk=pledge.pk).values().get() == row
    resp = exam.post(
        f"/pledges/{pledge.pk}/decision/", {"decision": "correct", "reason": "请上传质押合同"}
    )
    assert resp.status_code == 302
    pledge.refresh_from_db()
    assert pledge.state == "correction_requested"


def test_without_a_contract_the_english_page_says_so(client_for, examiner, pledge):
    client = client_for(examiner)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = _html(client.get(f"/pledges/{pledge.pk}/"))
    assert "No pledge contract uploaded yet" in page
    resp = client.post(f"/pledges/{pledge.pk}/decision/", {"decision": "approve", "reason": ""})
    assert resp.status_code == 422
    assert "No pledge contract has been uploaded" in _html(resp)


def test_pending_applications_are_not_public(pledge):
    right = pledge.items.get().right
    public = _html(Client().get("/public/", {"q": right.number}))
    assert f'data-right="{right.number}"' in public  # the right itself is found
    assert "data-registration-no=" not in public


def test_a_refused_decision_shows_the_page_again_with_the_reason(client_for, examiner, pledge):
    resp = client_for(examiner).post(f"/pledges/{pledge.pk}/decision/", {"decision": "reject"})
    assert resp.status_code == 422
    assert 'data-testid="action-error"' in _html(resp)
    pledge.refresh_from_db()
    assert pledge.state == "submitted"


def test_correction_request_then_resubmission(client_for, examiner, bank_a_user, pledge):
    client_for(examiner).post(
        f"/pledges/{pledge.pk}/decision/", {"decision": "correct", "reason": "合同编号有误"}
    )
    pledge.refresh_from_db()
    assert pledge.state == "correction_requested"
    bank = client_for(bank_a_user)
    page = _html(bank.get(f"/pledges/{pledge.pk}/"))
    assert 'id="resubmit-form"' in page and "合同编号有误" in page
    today = timezone.localdate()
    resp = bank.post(
        f"/pledges/{pledge.pk}/resubmit/",
        {
            "correction-rights": pledge.items.get().right.number,
            "correction-debt_amount": "4000000.00",
            "correction-term_start": today.isoformat(),
            "correction-term_end": (today + timedelta(days=400)).isoformat(),
            "correction-contract_no": "ZY-2026-002",
            "correction-scope": "",
        },
    )
    assert resp.status_code == 302
    pledge.refresh_from_db()
    # Changed particulars: the pledgor signs the corrected application again.
    assert pledge.state == "awaiting_confirmation"
    assert pledge.contract_no == "ZY-2026-002"
    assert str(pledge.debt_amount) == "4000000.00"


def test_change_and_release_by_the_pledgee(client_for, examiner, bank_a_user, pledge):
    approve(examiner, pledge)
    bank = client_for(bank_a_user)
    resp = bank.post(
        f"/pledges/{pledge.pk}/change/",
        {"change-debt_amount": "6000000.00", "change-reason": "追加授信"},
    )
    assert resp.status_code == 302
    pledge.refresh_from_db()
    assert str(pledge.debt_amount) == "5000000.00"  # until the office approves the change
    change = pledge.changes.get()
    assert change.state == "awaiting_confirmation"
    # Release is irreversible: without the explicit confirmation nothing happens.
    unconfirmed = bank.post(f"/pledges/{pledge.pk}/release/", {"release-basis": "debt_discharged"})
    assert unconfirmed.status_code == 400
    pledge.refresh_from_db()
    assert pledge.state == "registered"
    resp = bank.post(
        f"/pledges/{pledge.pk}/release/",
        {"release-basis": "debt_discharged", "release-acknowledge": "on"},
    )
    assert resp.status_code == 302
    pledge.refresh_from_db()
    assert pledge.state == "released" and pledge.released_on == timezone.localdate()
    public = _html(Client().get("/public/", {"q": pledge.registration_no}))
    assert f'data-registration-no="{pledge.registration_no}" data-state="released"' in public


def test_releasing_twice_is_a_friendly_409(client_for, examiner, bank_a_user, pledge):
    approve(examiner, pledge)
    bank = client_for(bank_a_user)
    release = {"release-basis": "debt_discharged", "release-acknowledge": "on"}
    bank.post(f"/pledges/{pledge.pk}/release/", release)
    again = bank.post(f"/pledges/{pledge.pk}/release/", release)
    assert again.status_code == 409
    assert 'data-testid="action-error"' in _html(again)


def test_contract_upload_on_the_pledge_page_and_download_by_the_parties(
    client_for, bank_a_user, bank_b_user, enterprise_a_user, pledge
):
    bank = client_for(bank_a_user)
    resp = bank.post(
        f"/pledges/{pledge.pk}/documents/",
        {"file": SimpleUploadedFile("contract.pdf", PDF, content_type="application/pdf")},
    )
    assert resp.status_code == 302
    document = pledge.documents.get()
    url = f"/pledges/{pledge.pk}/documents/{document.pk}/"
    download = client_for(enterprise_a_user).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert client_for(bank_b_user).get(url).status_code == 404


def test_a_non_pdf_upload_is_refused_with_a_message(client_for, bank_a_user, pledge):
    resp = client_for(bank_a_user).post(
        f"/pledges/{pledge.pk}/documents/",
        {"file": SimpleUploadedFile("contract.pdf", b"not a pdf", content_type="application/pdf")},
    )
    assert resp.status_code == 422
    assert "PDF" in _html(resp)
    assert not pledge.documents.exists()


def test_english_pledge_form_shows_english_labels_and_precheck(
    client_for, bank_a_user, patent, enterprise_a
):
    client = client_for(bank_a_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    form = _html(client.get("/pledges/new/"))
    assert "New pledge registration application" in form
    partial = _html(
        client.post("/pledges/new/", _form_data(patent, enterprise_a), HTTP_HX_REQUEST="true")
    )
    assert "The pledge contract has no forfeiture clause." in partial


def test_pledge_list_with_a_nul_state_or_a_huge_id_is_no_500(client_for, bank_a_user, pledge):
    client = client_for(bank_a_user)
    listed = client.get("/pledges/", {"state": "x\x00"})
    assert listed.status_code == 200
    assert f'data-pledge-id="{pledge.pk}"' in _html(listed)  # unknown state: no filter
    assert client.get("/pledges/99999999999999999999999/").status_code == 404


def test_precheck_with_nul_or_overlong_fields_lists_them_as_incomplete(
    client_for, bank_a_user, patent, enterprise_a
):
    data = _form_data(patent, enterprise_a, rights=f"{patent.number}\x00", contract_no="c" * 101)
    resp = client_for(bank_a_user).post("/pledges/new/", data, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert 'data-testid="precheck-incomplete"' in _html(resp)
    full = client_for(bank_a_user).post("/pledges/new/", data)
    assert full.status_code == 400
    assert not Pledge.objects.exists()


def test_amounts_are_in_wan_yuan_in_chinese_and_cny_in_english(client_for, bank_a_user, pledge):
    client = client_for(bank_a_user)
    zh = _html(client.get(f"/pledges/{pledge.pk}/"))
    assert 'data-testid="debt-amount">500.00 万元<' in zh
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    en = _html(client.get(f"/pledges/{pledge.pk}/"))
    assert 'data-testid="debt-amount">CNY 5,000,000.00<' in en
    assert "万元" not in en and "元" not in en.split('data-testid="debt-amount"')[1][:40]
    listed = _html(client.get("/pledges/"))
    assert "CNY 5,000,000.00" in listed and "万元" not in listed


def test_joint_release_through_the_pages(
    client_for, examiner, bank_a_user, enterprise_a_user, pledge
):
    approve(examiner, pledge)
    owner = client_for(enterprise_a_user)
    assert 'data-testid="release-request"' in _html(owner.get(f"/pledges/{pledge.pk}/"))
    assert owner.post(f"/pledges/{pledge.pk}/release-request/").status_code == 302
    bank = client_for(bank_a_user)
    page = _html(bank.get(f"/pledges/{pledge.pk}/"))
    assert 'data-testid="release-requested"' in page
    resp = bank.post(
        f"/pledges/{pledge.pk}/release/",
        {"release-basis": "joint", "release-acknowledge": "on"},
    )
    assert resp.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.state, pledge.release_basis) == ("released", "joint")
    assert "双方共同申请注销" in _html(owner.get(f"/pledges/{pledge.pk}/"))
