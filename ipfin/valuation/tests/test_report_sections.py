"""The valuation report as an asset-valuation report an appraiser signs (资产评估报告):

- every section the standard asks for is a heading (资产评估执业准则——资产评估报告, 中国资产评估
  协会 2018), in Chinese by default and in English under English;
- the report is signed by two appraisers entered when it is issued (资产评估法 2016 art. 26) and
  bears the agency's name and, where the agency uploaded one, its seal image (an image XObject);
- 特别事项说明 states what the register records on the valuation date: a warning for a right in
  its grace period or under a pending invalidation request, the pledges and the licences;
- every font is embedded (pypdf reads each font's descriptor back).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from ipfin.accounts.models import Role
from ipfin.audit.models import AuditRecord
from ipfin.common.errors import PermissionDenied, ValidationFailed
from ipfin.common.tests.pdf_fonts import assert_fonts_embedded, pdf_has_image, pdf_text
from ipfin.pledges.services import pledge_decide
from ipfin.registry.domain import Status
from ipfin.registry.selectors import right_status
from ipfin.registry.services import right_event_record
from ipfin.registry.tests.factories import make_patent
from ipfin.valuation import report
from ipfin.valuation.domain.warnings import right_warnings
from ipfin.valuation.matters import special_matters
from ipfin.valuation.models import AgencySeal, Valuation
from ipfin.valuation.services import valuation_create, valuation_issue
from ipfin.valuation.services.agency import SEAL_MAX_BYTES, agency_seal_upload
from ipfin.valuation.tests.conftest import APPRAISERS

pytestmark = pytest.mark.django_db

COST = {"cost": "1000000", "profit_rate": "0.1", "used_years": "2", "remaining_years": "8"}
HEADINGS_ZH = [
    "委托人和其他报告使用人",
    "评估目的",
    "评估对象和范围",
    "价值类型",
    "评估基准日",
    "评估依据",
    "评估方法",
    "评估假设",
    "评估结论",
    "特别事项说明",
    "使用限制说明",
    "评估报告日",
    "签字盖章",
]
NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三"]
HEADINGS_EN = [
    "Client and other users of the report",
    "Purpose of the valuation",
    "Subject and scope of the valuation",
    "Type of value",
    "Valuation date",
    "Basis of the valuation",
    "Approach",
    "Assumptions",
    "Conclusion",
    "Special matters",
    "Restrictions on use",
    "Report date",
    "Signatures and seal",
]


@pytest.fixture
def agency_admin(make_user, agency):
    user = make_user("agency-admin", agency)
    user.role = Role.ADMIN
    user.save(update_fields=["role"])
    return user


def _issued(agency_user, rights, appraisers=APPRAISERS):
    draft = valuation_create(
        actor=agency_user, rights=[r.number for r in rights], method="cost", inputs=COST
    )
    return valuation_issue(actor=agency_user, valuation=draft, appraisers=appraisers)


def _png(width=200, height=200, fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 20, 20)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_the_report_carries_every_section_of_an_asset_valuation_report_zichan_pinggu_2018(
    agency_user, right
):
    pdf = report.valuation_report_pdf(_issued(agency_user, [right]))
    assert_fonts_embedded(pdf)
    text = pdf_text(pdf)
    positions = [text.find(f"{NUMERALS[i]}、{h}") for i, h in enumerate(HEADINGS_ZH)]
    assert -1 not in positions, [h for h, at in zip(HEADINGS_ZH, positions, strict=True) if at < 0]
    assert positions == sorted(positions)  # in the standard's order
    assert tuple(HEADINGS_ZH) == report.SECTION_HEADINGS


def test_signed_by_the_two_appraisers_and_the_agency_zichan_pinggu_fa_art26(
    agency, agency_user, right
):
    valuation = _issued(agency_user, [right])
    assert (valuation.appraiser_one, valuation.appraiser_two) == tuple(APPRAISERS)
    text = pdf_text(report.valuation_report_pdf(valuation))
    signatures = text[text.find("十三、签字盖章") :]
    assert APPRAISERS[0] in signatures and APPRAISERS[1] in signatures
    assert agency.name in signatures
    assert "资产评估师（签名）" in signatures and "评估机构（盖章）" in signatures


def test_english_headings_under_english(agency_user, right):
    pdf = report.valuation_report_pdf(_issued(agency_user, [right]), language="en")
    assert_fonts_embedded(pdf)
    text = pdf_text(pdf)
    missing = [h for h in HEADINGS_EN if h not in text]
    assert missing == []
    assert APPRAISERS[0] in text


def test_a_draft_is_not_signed(agency_user, right):
    draft = valuation_create(actor=agency_user, rights=[right.number], method="cost", inputs=COST)
    text = pdf_text(report.valuation_report_pdf(draft))
    assert "（草稿，未签署）" in text
    assert APPRAISERS[0] not in text


# --- issuing: the appraisers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "appraisers", [None, [], ["王评估"], ["王评估", "王评估"], ["王评估", " "], ["甲", "乙", "丙"]]
)
def test_an_agency_report_needs_two_different_appraisers_zichan_pinggu_fa_art26(
    agency_user, right, appraisers
):
    draft = valuation_create(actor=agency_user, rights=[right.number], method="cost", inputs=COST)
    audits = AuditRecord.objects.count()
    with pytest.raises(ValidationFailed) as err:
        valuation_issue(actor=agency_user, valuation=draft, appraisers=appraisers)
    assert err.value.code == "appraisers_required"
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.appraiser_one == ""
    assert AuditRecord.objects.count() == audits


def test_a_banks_own_valuation_may_be_issued_without_appraisers(bank_a_user, right):
    draft = valuation_create(actor=bank_a_user, rights=[right.number], method="cost", inputs=COST)
    issued = valuation_issue(actor=bank_a_user, valuation=draft)
    assert issued.state == "issued" and issued.appraiser_one == ""
    assert "（未签署）" in pdf_text(report.valuation_report_pdf(issued))


def test_the_appraisers_are_audited_with_the_issue(agency_user, right):
    valuation = _issued(agency_user, [right], appraisers=["  王 评估 ", "李评估"])
    assert valuation.appraiser_one == "王 评估"  # spaces collapsed
    record = AuditRecord.objects.get(action="valuation.issue")
    assert record.after["appraisers"] == ["王 评估", "李评估"]


def test_issue_over_the_api_with_and_without_appraisers(api_client, agency_user, right):
    draft = valuation_create(actor=agency_user, rights=[right.number], method="cost", inputs=COST)
    client = api_client(agency_user)
    refused = client.post_json(f"/api/v1/valuations/{draft.pk}/issue")
    assert refused.status_code == 422
    assert refused.json()["code"] == "appraisers_required"
    issued = client.post_json(
        f"/api/v1/valuations/{draft.pk}/issue", {"appraisers": ["王评估", "李评估"]}
    )
    assert issued.status_code == 200, issued.json()
    assert issued.json()["appraisers"] == ["王评估", "李评估"]


def test_issue_on_the_page_names_the_appraisers_and_a_refusal_stays_on_the_form(
    client_for, agency_user, right
):
    draft = valuation_create(actor=agency_user, rights=[right.number], method="cost", inputs=COST)
    client = client_for(agency_user)
    page = client.get(f"/valuations/{draft.pk}/").content.decode()
    assert 'data-testid="valuation-issue-form"' in page and "data-confirm=" in page
    refused = client.post(f"/valuations/{draft.pk}/issue/", {"appraiser_one": "王评估"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'data-testid="issue-error"' in html and "资产评估法第二十六条" in html
    assert 'value="王评估"' in html  # what was typed is kept
    done = client.post(
        f"/valuations/{draft.pk}/issue/", {"appraiser_one": "王评估", "appraiser_two": "李评估"}
    )
    assert done.status_code == 302
    assert Valuation.objects.get(pk=draft.pk).state == "issued"
    assert "王评估、李评估" in client.get(f"/valuations/{draft.pk}/").content.decode()


# --- special matters ----------------------------------------------------------------------------


def test_a_right_in_its_grace_period_is_a_warning_zhuanlifa_art44(
    agency_user, examiner, enterprise_a
):
    today = timezone.localdate()
    late = make_patent(
        examiner=examiner,
        owner=enterprise_a,
        filing_date=today - timedelta(days=3 * 365),
        grant_date=today - timedelta(days=60),
        paid=False,
    )
    assert right_status(late, on=today).status == Status.GRACE_PERIOD
    text = pdf_text(report.valuation_report_pdf(_issued(agency_user, [late])))
    matters = text[text.find("十、特别事项说明") : text.find("十一、使用限制说明")]
    assert "【警示】" in matters and late.number in matters and "滞纳期" in matters
    # The report words it as the valuation's page, preview and API do: one rule, one text.
    [page_warning] = right_warnings(late.number, late.kind, right_status(late, on=today))
    [report_warning] = [m for m in special_matters([late], today) if m.warning]
    assert report_warning.text == f"【警示】{page_warning.message_zh}"


def test_a_pending_invalidation_a_pledge_and_a_licence_are_stated_zhuanlifa_art45_minfadian_art444(
    agency_user, examiner, right, make_pledge, upload_contract
):
    today = timezone.localdate()
    right_event_record(  # licensed before it was pledged (no pledgee's consent needed then)
        actor=examiner,
        right=right,
        type="licence",
        date=today,
        payload={"licence_type": "exclusive", "licensee": "丙制造有限公司"},
    )
    pledge = make_pledge(rights=[right])
    upload_contract(pledge)
    registered = pledge_decide(actor=examiner, pledge=pledge, decision="approve")
    right_event_record(actor=examiner, right=right, type="invalidation_requested", date=today)
    text = pdf_text(report.valuation_report_pdf(_issued(agency_user, [right])))
    matters = text[text.find("十、特别事项说明") : text.find("十一、使用限制说明")]
    assert "【警示】" in matters and "无效宣告请求" in matters
    assert registered.registration_no in matters
    assert "独占许可" in matters and "丙制造有限公司" in matters


def test_a_right_with_nothing_recorded_says_so(agency_user, right):
    text = pdf_text(report.valuation_report_pdf(_issued(agency_user, [right])))
    matters = text[text.find("十、特别事项说明") : text.find("十一、使用限制说明")]
    assert "未记载" in matters and "【警示】" not in matters


# --- the agency's seal --------------------------------------------------------------------------


def test_the_uploaded_seal_is_printed_on_issued_reports_only(agency_user, agency_admin, right):
    issued = _issued(agency_user, [right])
    assert not pdf_has_image(report.valuation_report_pdf(issued))
    seal = agency_seal_upload(
        actor=agency_admin,
        uploaded_file=SimpleUploadedFile("印章.png", _png(), content_type="image/png"),
    )
    assert (seal.content_type, seal.width, seal.height) == ("image/png", 200, 200)
    pdf = report.valuation_report_pdf(Valuation.objects.get(pk=issued.pk))
    assert pdf_has_image(pdf)
    assert_fonts_embedded(pdf)
    draft = valuation_create(actor=agency_user, rights=[right.number], method="cost", inputs=COST)
    assert not pdf_has_image(report.valuation_report_pdf(draft))  # a draft bears no seal
    record = AuditRecord.objects.get(action="valuation.agency_seal_upload")
    assert record.after["sha256"] == seal.sha256 and record.before is None


def test_a_new_seal_replaces_the_old_one_audited(agency_admin):
    first = agency_seal_upload(
        actor=agency_admin, uploaded_file=SimpleUploadedFile("a.png", _png(), "image/png")
    )
    old_path = first.image.path
    second = agency_seal_upload(
        actor=agency_admin,
        uploaded_file=SimpleUploadedFile("b.jpg", _png(300, 150, "JPEG"), "image/jpeg"),
    )
    assert AgencySeal.objects.count() == 1
    assert (second.content_type, second.width, second.height) == ("image/jpeg", 300, 150)
    records = list(AuditRecord.objects.filter(action="valuation.agency_seal_upload").order_by("id"))
    assert records[-1].before["sha256"] == first.sha256
    assert old_path != second.image.path


@pytest.mark.parametrize(
    ("name", "data", "content_type", "code"),
    [
        ("seal.png", b"not an image at all", "image/png", "seal_not_image"),
        ("seal.gif", b"GIF89a" + b"\x00" * 20, "image/gif", "seal_not_image"),
        ("seal.png", b"", "image/png", "file_empty"),
        ("seal.png", _png(4001, 10), "image/png", "seal_too_large"),
    ],
)
def test_a_seal_must_be_a_png_or_jpeg_image(agency_admin, name, data, content_type, code):
    with pytest.raises(ValidationFailed) as err:
        agency_seal_upload(
            actor=agency_admin, uploaded_file=SimpleUploadedFile(name, data, content_type)
        )
    assert err.value.code == code
    assert not AgencySeal.objects.exists()


def test_a_seal_over_the_size_cap_is_413(agency_admin):
    big = SimpleUploadedFile("seal.png", b"\x89PNG" + b"\x00" * SEAL_MAX_BYTES, "image/png")
    with pytest.raises(ValidationFailed) as err:
        agency_seal_upload(actor=agency_admin, uploaded_file=big)
    assert (err.value.status, err.value.code) == (413, "file_too_large")
    assert not AgencySeal.objects.exists()


def test_only_the_agencys_administrator_uploads_a_seal(agency_user, bank_a_user):
    for user in (agency_user, bank_a_user):
        with pytest.raises(PermissionDenied):
            agency_seal_upload(
                actor=user, uploaded_file=SimpleUploadedFile("a.png", _png(), "image/png")
            )
    assert not AgencySeal.objects.exists()


def test_the_seal_page_uploads_and_shows_it_to_the_administrator_only(
    client_for, agency_admin, agency_user
):
    client = client_for(agency_admin)
    assert (
        'data-testid="agency-seal-none"' in client.get("/valuations/agency/seal/").content.decode()
    )
    refused = client.post(
        "/valuations/agency/seal/",
        {"image": SimpleUploadedFile("seal.png", b"nope", content_type="image/png")},
    )
    assert refused.status_code == 422
    assert "PNG 或 JPEG" in refused.content.decode()
    done = client.post(
        "/valuations/agency/seal/",
        {"image": SimpleUploadedFile("seal.png", _png(), content_type="image/png")},
    )
    assert done.status_code == 302
    page = client.get("/valuations/agency/seal/").content.decode()
    assert 'data-testid="agency-seal-image"' in page
    image = client.get("/valuations/agency/seal/image/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert client_for(agency_user).get("/valuations/agency/seal/").status_code == 403
    assert client_for(agency_user).get("/valuations/agency/seal/image/").status_code == 403
