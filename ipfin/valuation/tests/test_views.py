"""The valuation pages over the real stack: Django's test client, the real database, valuations
made through the services. A bank user and a valuation agency's user open the calculator, the live
preview computes hand-checked values, saving stores a draft, the maker issues, the client bank
rechecks with its own value of the rights (prefilled from its internal valuation), another bank
sees a 404, the PDF opens, and the pages switch to English."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pypdf
import pytest
from django.template.defaultfilters import floatformat
from django.test import Client
from django.utils import timezone

from ipfin.accounts.domain import make_uscc
from ipfin.accounts.models import OrganisationKind
from ipfin.audit.models import AuditRecord
from ipfin.registry.services import right_event_record
from ipfin.registry.tests.factories import make_patent
from ipfin.valuation.forms import ValuationForm, parse_comparables, parse_revenues
from ipfin.valuation.models import Valuation
from ipfin.valuation.selectors import market_comparables, right_score_get
from ipfin.valuation.services import valuation_create, valuation_issue
from ipfin.valuation.tests.conftest import APPRAISERS

pytestmark = pytest.mark.django_db

# Hand-checked income approach, entered as on the page (rates in percent):
# R = 1,000,000 a year for 2 years, K = 25 %, T = 25 %, r = 10 %, no decay, year-end discounting.
#   year 1: 1,000,000 × 0.25 × (1 − 0.25) = 187,500 ÷ 1.1  = 170,454.5454…
#   year 2: 187,500                         ÷ 1.21 = 154,958.6776…
#   V = 325,413.2231… → 325,413.22 元（32.54 万元）
INCOME_FORM = {
    "method": "income",
    "revenues": "1000000\n1000000",
    "share_rate": "25",
    "share_decay": "0",
    "tax_rate": "25%",
    "discount_rate": "10",
    "life_years": "2",
}
INCOME_INPUTS = {
    "revenues": ["1000000", "1000000"],
    "share_rate": "0.25",
    "tax_rate": "0.25",
    "discount_rate": "0.10",
    "life_years": "2",
}
HTMX = {"HTTP_HX_REQUEST": "true"}


def _html(resp) -> str:
    return resp.content.decode()


@pytest.fixture
def agency(make_org):
    return make_org(OrganisationKind.VALUATION_AGENCY, "示范资产评估有限公司")


@pytest.fixture
def agency_user(make_user, agency):
    return make_user("agency", agency)


@pytest.fixture
def right(examiner, enterprise_a):
    return make_patent(examiner=examiner, owner=enterprise_a, title="一种低功耗存算一体芯片")


def _calculator(right) -> str:
    return f"/valuations/right/{right.number}/"


@pytest.fixture
def issued(agency_user, bank_a, right):
    """An income valuation the agency issued for bank A."""
    valuation = valuation_create(
        actor=agency_user,
        rights=[right.number],
        method="income",
        inputs=INCOME_INPUTS,
        client_bank_uscc=bank_a.uscc,
    )
    return valuation_issue(actor=agency_user, valuation=valuation, appraisers=APPRAISERS)


# --- the calculator ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bank_a_user", "agency_user"])
def test_bank_and_agency_open_the_calculator(request, client_for, right, who):
    resp = client_for(request.getfixturevalue(who)).get(_calculator(right))
    assert resp.status_code == 200
    html = _html(resp)
    assert 'data-testid="valuation-form"' in html
    assert 'data-testid="valuation-save"' in html
    assert right.number in html
    assert "百分数" in html  # the page says rates are percentages


def test_right_page_links_to_the_calculator(client_for, bank_a_user, right):
    html = _html(client_for(bank_a_user).get(f"/rights/{right.number}/"))
    assert f'href="/valuations/right/{right.number}/"' in html


def test_calculator_needs_a_login_and_an_existing_right(client_for, bank_a_user, right):
    resp = Client().get(_calculator(right))
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")
    assert client_for(bank_a_user).get("/valuations/right/209999999999.9/").status_code == 404


def test_live_preview_computes_the_income_value(client_for, agency_user, right):
    resp = client_for(agency_user).post(_calculator(right), INCOME_FORM, **HTMX)
    assert resp.status_code == 200
    html = _html(resp)
    assert "<html" not in html  # the partial only
    assert 'data-value="325413.22"' in html
    assert "325,413.22 元（32.54 万元）" in html
    assert "154,958.68" in html  # year 2 in the per-year table
    assert Valuation.objects.count() == 0  # a preview saves nothing


def test_live_preview_of_cost_and_market(client_for, bank_a_user, right):
    client = client_for(bank_a_user)
    # C = 1,000,000 × (1 + 20 %) = 1,200,000; × 8 ÷ (2 + 8) = 960,000; × (1 − 10 %) = 864,000
    cost = client.post(
        _calculator(right),
        {
            "method": "cost",
            "cost": "1000000",
            "profit_rate": "20",
            "used_years": "2",
            "remaining_years": "8",
            "obsolescence": "10",
        },
        **HTMX,
    )
    assert 'data-value="864000.00"' in _html(cost)
    # (2 × 800,000 × 1.1 × 0.95 × 0.8 × 1.03 + 1 × 1,000,000) ÷ 3 = (1,377,728 + 1,000,000) ÷ 3
    market = client.post(
        _calculator(right),
        {
            "method": "market",
            "comparables": "800000, 1.1, 0.95, 0.8, 1.03, 2, 某许可备案\n1000000 1 1 1 1 1",
        },
        **HTMX,
    )
    html = _html(market)
    assert 'data-value="792576.00"' in html
    assert "688,864.00" in html and "某许可备案" in html


def test_preview_with_monte_carlo_shows_the_range(client_for, agency_user, right):
    data = {
        **INCOME_FORM,
        "monte_carlo": "on",
        "growth_low": "0",
        "growth_high": "10",
        "share_rate_low": "20",
        "share_rate_high": "30",
    }
    html = _html(client_for(agency_user).post(_calculator(right), data, **HTMX))
    assert 'data-testid="valuation-range"' in html
    assert 'data-testid="range-interval"' in html
    assert "P10" in html and "P90" in html


def test_engine_error_is_shown_next_to_its_field(client_for, agency_user, right):
    client = client_for(agency_user)
    # r = −100 % is r ≤ −1: the engine refuses it on "discount_rate" (the live preview answers
    # 200 whatever it shows: htmx swaps no 4xx response)
    resp = client.post(_calculator(right), {**INCOME_FORM, "discount_rate": "-100"}, **HTMX)
    assert resp.status_code == 200
    html = _html(resp)
    assert (
        'id="err-discount_rate" class="field-error" hx-swap-oob="true"><ul class="errorlist"'
        in html
    )
    assert 'data-value="' not in html
    # a market comparable with weight 0: the error names its line (comparables[1] → line 2)
    resp = client.post(
        _calculator(right),
        {"method": "market", "comparables": "800000 1 1 1 1 1\n900000 1 1 1 1 0"},
    )
    assert resp.status_code == 422
    assert "第 2 行" in _html(resp)


def test_live_preview_lists_what_is_missing_without_flagging_it(client_for, agency_user, right):
    resp = client_for(agency_user).post(
        _calculator(right), {**INCOME_FORM, "revenues": "", "share_rate": "abc"}, **HTMX
    )
    html = _html(resp)
    assert 'data-testid="preview-incomplete"' in html
    assert "各年收入 R_t（元）" in html  # listed as still to fill in …
    # … but not flagged next to its field, while a malformed rate is
    assert '<div id="err-revenues" class="field-error" hx-swap-oob="true"></div>' in html
    assert 'id="err-share_rate" class="field-error" hx-swap-oob="true"><ul' in html


def test_form_shape_errors_are_400_with_the_field(client_for, agency_user, right):
    resp = client_for(agency_user).post(
        _calculator(right), {**INCOME_FORM, "revenues": "1,000,000.00", "share_rate": "abc"}
    )
    assert resp.status_code == 400
    html = _html(resp)
    assert "第 2 项“000”不是金额" in html  # thousands separators split into "1", "000" …
    assert "百分数" in html


def test_saving_creates_a_draft(client_for, agency_user, agency, right):
    resp = client_for(agency_user).post(_calculator(right), {**INCOME_FORM, "save": "1"})
    assert resp.status_code == 302
    valuation = Valuation.objects.get()
    assert resp["Location"] == f"/valuations/{valuation.pk}/"
    assert valuation.state == "draft"
    assert valuation.organisation_id == agency.pk
    assert valuation.value == Decimal("325413.22")
    assert valuation.inputs["share_rate"] == "0.25"  # entered as 25 (%)
    assert list(valuation.rights.values_list("number", flat=True)) == [right.number]


def test_saving_refuses_a_life_beyond_the_legal_term(client_for, agency_user, right):
    # The patent was filed 3 years ago: an invention's 20-year term leaves about 17 years.
    data = {**INCOME_FORM, "life_years": "30", "revenues": "\n".join(["100000"] * 30)}
    resp = client_for(agency_user).post(_calculator(right), {**data, "save": "1"})
    assert resp.status_code == 422
    assert 'id="err-life_years" class="field-error"><ul class="errorlist"' in _html(resp)
    assert not Valuation.objects.exists()


def test_enterprise_may_preview_but_not_save(client_for, enterprise_a_user, right):
    client = client_for(enterprise_a_user)
    page = _html(client.get(_calculator(right)))
    assert 'data-testid="valuation-save"' not in page
    resp = client.post(_calculator(right), {**INCOME_FORM, "save": "1"})
    assert resp.status_code == 403
    assert not Valuation.objects.exists()


@pytest.mark.parametrize(
    "uscc",
    [
        make_uscc(seq=424_242),  # a valid code of no registered bank
        "91110000000000000X",  # not a valid code
    ],
)
def test_unknown_client_bank_is_shown_on_its_field(client_for, agency_user, right, uscc):
    resp = client_for(agency_user).post(
        _calculator(right), {**INCOME_FORM, "save": "1", "client_bank_uscc": uscc}
    )
    assert resp.status_code == 422
    assert 'id="err-client_bank_uscc" class="field-error"><ul class="errorlist"' in _html(resp)
    assert not Valuation.objects.exists()


# --- a valuation ---------------------------------------------------------------------------------


def test_detail_page_shows_inputs_result_and_issue_button(client_for, agency_user, right):
    valuation = valuation_create(
        actor=agency_user, rights=[right.number], method="income", inputs=INCOME_INPUTS
    )
    html = _html(client_for(agency_user).get(f"/valuations/{valuation.pk}/"))
    assert 'data-state="draft"' in html
    assert "325,413.22 元（32.54 万元）" in html
    assert "25.00%" in html  # K shown as a percentage
    assert 'data-testid="valuation-issue"' in html
    assert 'data-testid="valuation-recheck"' not in html
    assert 'data-testid="valuation-score"' in html
    assert f"/valuations/{valuation.pk}/report.pdf" in html


def test_maker_issues_and_client_bank_rechecks(client_for, agency_user, bank_a_user, right, bank_a):
    valuation = valuation_create(
        actor=agency_user,
        rights=[right.number],
        method="income",
        inputs=INCOME_INPUTS,
        client_bank_uscc=bank_a.uscc,
    )
    agency_client, bank_client = client_for(agency_user), client_for(bank_a_user)
    # the bank cannot issue the agency's report: nothing changes
    resp = bank_client.post(f"/valuations/{valuation.pk}/issue/")
    assert resp.status_code == 404
    assert Valuation.objects.get().state == "draft"
    signed = {"appraiser_one": APPRAISERS[0], "appraiser_two": APPRAISERS[1]}
    resp = agency_client.post(f"/valuations/{valuation.pk}/issue/", signed)
    assert resp.status_code == 302
    assert Valuation.objects.get().state == "issued"
    # the bank sees the recheck form, one amount per right (nothing to prefill: the bank has not
    # valued the right itself); the agency does not, and may not recheck
    bank_page = _html(bank_client.get(f"/valuations/{valuation.pk}/"))
    assert 'data-testid="valuation-recheck"' in bank_page
    assert f'data-testid="recheck-right" data-number="{right.number}"' in bank_page
    assert 'name="reference_0"' in bank_page and 'name="reference_0" value=' not in bank_page
    assert 'data-testid="valuation-recheck"' not in _html(
        agency_client.get(f"/valuations/{valuation.pk}/")
    )
    url = f"/valuations/{valuation.pk}/recheck/"
    resp = agency_client.post(url, {"reference_0": "300000"})
    assert resp.status_code == 403
    assert 'data-testid="action-error"' in _html(resp)
    assert Valuation.objects.get().state == "issued"
    # no figure: the service's 422 goes next to the right's input; nothing changes
    resp = bank_client.post(url, {"reference_0": ""})
    assert resp.status_code == 422
    html = _html(resp)
    assert 'id="err-reference_0" class="field-error"><ul class="errorlist"' in html
    assert "缺少本行对" in html and right.number in html
    # not an amount: the form's own check, on the field
    resp = bank_client.post(url, {"reference_0": "3e5"})
    assert resp.status_code == 400
    assert 'id="err-reference_0" class="field-error"><ul class="errorlist"' in _html(resp)
    assert Valuation.objects.get().state == "issued"
    assert not AuditRecord.objects.filter(action="valuation.recheck").exists()
    # the bank's own value 200,000: |325,413.22 − 200,000| / 200,000 = 125,413.22 / 200,000
    # = 0.6270661 → 62.7066% > 30%: the report is flagged
    resp = bank_client.post(url, {"reference_0": "200000"})
    assert resp.status_code == 302
    rechecked = Valuation.objects.get()
    assert rechecked.state == "rechecked"
    assert rechecked.internal_value == Decimal("200000.00")
    assert rechecked.deviation == Decimal("0.627066")
    assert rechecked.flagged is True
    assert rechecked.recheck["basis"] == "given"
    html = _html(bank_client.get(f"/valuations/{valuation.pk}/"))
    assert 'data-testid="valuation-recheck-result"' in html
    assert 'data-flagged="true"' in html
    assert (
        "银行内部评估值 200,000.00 元，外部评估值 325,413.22 元，偏离度 62.71%（阈值 30.00%）"
        "：偏离超过阈值，已标记，需复核。"
    ) in html
    assert 'data-testid="valuation-recheck-lines"' in html
    # collateral for information: 200,000 × 0.80 × 0.5 = 80,000.00
    assert "80,000.00" in html
    assert 'data-testid="valuation-recheck-form"' not in html  # done
    # issuing twice is a conflict shown on the page
    resp = agency_client.post(f"/valuations/{valuation.pk}/issue/", signed)
    assert resp.status_code == 409


def test_recheck_form_is_prefilled_from_the_banks_own_internal_valuation(
    client_for, bank_a_user, issued, right, django_assert_max_num_queries
):
    internal = valuation_create(
        actor=bank_a_user,
        rights=[right.number],
        method="bank_internal",
        inputs={"reference_values": {right.number: "320000"}},
    )
    client = client_for(bank_a_user)
    # the agency's page (15, pinned below) + the form's prefill: one read, whatever the rights
    with django_assert_max_num_queries(16):
        html = _html(client.get(f"/valuations/{issued.pk}/"))
    assert 'name="reference_0" value="320000.00"' in html
    assert f"本行内部评估 #{internal.pk}" in html
    # a post without figures: the service takes the bank's internal valuation itself
    # |325,413.22 − 320,000| / 320,000 = 5,413.22 / 320,000 = 0.0169163 → 1.6916% ≤ 30%
    resp = client.post(f"/valuations/{issued.pk}/recheck/")
    assert resp.status_code == 302
    rechecked = Valuation.objects.get(pk=issued.pk)
    assert rechecked.internal_value == Decimal("320000.00")
    assert rechecked.flagged is False
    assert rechecked.recheck["basis"] == f"bank_internal #{internal.pk}"
    html = _html(client.get(f"/valuations/{issued.pk}/"))
    assert 'data-flagged="false"' in html
    assert "偏离度 1.69%（阈值 30.00%）：偏离在阈值以内。" in html
    assert f"本行评估值来源：本行内部评估 #{internal.pk}。" in html


def test_another_bank_gets_404(client_for, bank_b_user, issued):
    client = client_for(bank_b_user)
    for path in (
        f"/valuations/{issued.pk}/",
        f"/valuations/{issued.pk}/report.pdf",
    ):
        assert client.get(path).status_code == 404
    assert client.post(f"/valuations/{issued.pk}/recheck/").status_code == 404
    assert client.post(f"/valuations/{issued.pk}/recheck/", {"reference_0": "1"}).status_code == 404
    assert Valuation.objects.get().state == "issued"
    assert f'data-valuation-id="{issued.pk}"' not in _html(client.get("/valuations/"))


def test_list_shows_the_actors_valuations(client_for, agency_user, bank_a_user, issued):
    for user in (agency_user, bank_a_user):
        html = _html(client_for(user).get("/valuations/"))
        assert f'data-valuation-id="{issued.pk}"' in html
        assert "32.54 万元" in html


def test_list_and_detail_run_the_same_queries_at_two_sizes(
    client_for, agency_user, bank_a, right, make_right, count_queries
):
    """Constant in the number of valuations and of their rights (session and user included):
    the same with 2 valuations as with 6, and at most the pinned figures."""

    def value(*rights):
        return valuation_create(
            actor=agency_user, rights=[r.number for r in rights], method="income",
            inputs=INCOME_INPUTS,
        )  # fmt: skip

    made = [value(right), value(right)]
    client = client_for(agency_user)
    listing = partial(client.get, "/valuations/")
    small = (
        count_queries(listing),
        count_queries(partial(client.get, f"/valuations/{made[0].pk}/")),
    )
    made += [value(right, make_right()) for _ in range(4)]
    big = made[-1]  # two rights: the detail's per-right reads must not grow either
    large = (count_queries(listing), count_queries(partial(client.get, f"/valuations/{big.pk}/")))
    assert large == small
    # list: session, user, organisation, valuations, items, rights; detail: + its rights' events
    # and the score computed now (no run yet): the right, its cohort's counts (two here: this
    # register is too small for any level but the kind), the cohort's rights, the office's
    # holiday calendar (whether an annuity's grace is over: 专利法实施细则 r. 6), the last run's
    # grade bounds, the share of stored scores below
    assert large[0] <= 6 and large[1] <= 15
    html = _html(client.get("/valuations/"))
    assert all(f'data-valuation-id="{v.pk}"' in html for v in made)
    assert client.get(f"/valuations/{big.pk}/").status_code == 200


def test_pdf_download(client_for, bank_a_user, issued):
    resp = client_for(bank_a_user).get(f"/valuations/{issued.pk}/report.pdf")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(resp.content))
    assert len(reader.pages) >= 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "325,413.22" in text
    assert "收益分成法" in text


def test_english_pages(client_for, agency_user, issued, right):
    client = client_for(agency_user)
    client.cookies["ipfin_language"] = "en"
    calculator = _html(client.get(_calculator(right)))
    assert "Income approach (profit split)" in calculator
    assert "Save as draft" in calculator
    assert "保存为草稿" not in calculator
    detail = _html(client.get(f"/valuations/{issued.pk}/"))
    assert "Valuation date" in detail
    assert "Issued" in detail  # the state
    assert "Income approach (profit split)" in _html(client.get("/valuations/"))
    assert "CNY 325,413.22" in detail
    pdf = client.get(f"/valuations/{issued.pk}/report.pdf")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "IP valuation report" in text


def test_nav_shows_valuations_to_banks_and_agencies(client_for, agency_user, enterprise_a_user):
    assert 'data-testid="nav-valuations"' in _html(client_for(agency_user).get("/"))
    assert 'data-testid="home-valuations"' in _html(client_for(agency_user).get("/"))
    assert 'data-testid="nav-valuations"' not in _html(client_for(enterprise_a_user).get("/"))


# --- the form (shape only) -----------------------------------------------------------------------


def test_rates_are_percentages_and_become_fractions():
    form = ValuationForm(data={**INCOME_FORM, "discount_rate": "8.25%"})
    assert form.is_valid(), form.errors
    payload = form.payload()
    assert payload["share_rate"] == "0.25"
    assert payload["tax_rate"] == "0.25"
    assert payload["discount_rate"] == "0.0825"
    assert payload["revenues"] == ["1000000.00", "1000000.00"]


def test_revenues_and_comparables_parse_or_name_the_bad_item():
    assert parse_revenues("1000000, 1100000；1200000\n1300000.5") == [
        Decimal("1000000.00"),
        Decimal("1100000.00"),
        Decimal("1200000.00"),
        Decimal("1300000.50"),
    ]
    with pytest.raises(Exception, match="第 2 项"):
        parse_revenues("1000 abc")
    (one,) = parse_comparables("800000, 1.1, 0.95, 0.8, 1.03, 2, 某 许可")
    assert one == {
        "price": "800000.00",
        "technical": "1.1",
        "economic": "0.95",
        "remaining_life_ratio": "0.8",
        "time": "1.03",
        "weight": "2",
        "label": "某 许可",
    }
    with pytest.raises(Exception, match="第 1 行"):
        parse_comparables("800000, 1.1")


# --- market comparables from the register --------------------------------------------------------


def _subject_and_comparable(examiner, enterprise_a, price="800000"):
    """A G06F invention and another, transferred 100 days ago for `price`."""
    today = timezone.localdate()
    subject = make_patent(examiner=examiner, owner=enterprise_a, ipc_main="G06F16/33")
    other = make_patent(
        examiner=examiner,
        owner=enterprise_a,
        title="一种数据检索方法",
        ipc_main="G06F17/30",
        filing_date=today - timedelta(days=5 * 365),
        grant_date=today - timedelta(days=3 * 365),
    )
    right_event_record(
        actor=examiner,
        right=other,
        type="transfer",
        date=today - timedelta(days=100),
        payload={"owners": [{"name": "受让方有限公司"}], "price": price},
    )
    return subject, other


def test_calculator_links_to_the_register_comparables(client_for, agency_user, right):
    html = _html(client_for(agency_user).get(_calculator(right)))
    assert f'href="{_calculator(right)}?comparables=register"' in html
    assert 'data-testid="load-comparables"' in html


def test_loading_comparables_fills_the_rows_and_shows_their_source(
    client_for, agency_user, examiner, enterprise_a
):
    subject, other = _subject_and_comparable(examiner, enterprise_a)
    (suggested,) = market_comparables(right=subject, on=timezone.localdate())
    ratio = suggested["comparable"]["remaining_life_ratio"]
    resp = client_for(agency_user).get(_calculator(subject) + "?comparables=register")
    assert resp.status_code == 200
    html = _html(resp)
    day = (timezone.localdate() - timedelta(days=100)).isoformat()
    # The row as the comparables box takes it: price, technical, economic, life, time, weight,
    # then where it comes from.
    assert f"800000.00, 1, 1, {ratio}, 1, 1, 转让 {day} {other.number}" in html
    assert 'data-testid="register-comparables"' in html
    assert f'data-event-id="{suggested["event"]["id"]}"' in html
    assert "同 IPC 小类" in html and other.title in html
    assert re.search(r'<input type="radio" name="method" value="market"[^>]*checked>', html)
    # One comparable, weights normalised: V = 800,000 × ratio, to the fen.
    value = (Decimal("800000") * Decimal(ratio)).quantize(Decimal("0.01"))
    assert f'data-value="{value}"' in html


def test_loading_comparables_when_the_register_has_none(client_for, agency_user, right):
    resp = client_for(agency_user).get(_calculator(right) + "?comparables=register")
    assert resp.status_code == 200
    html = _html(resp)
    assert 'data-testid="register-comparables-none"' in html
    assert "没有同类知识产权登记了价款的转让或许可" in html
    assert 'data-testid="register-comparables"' not in html


# --- expert assessments in the score panel -------------------------------------------------------


def test_expert_inputs_recompute_the_shown_score(client_for, agency_user, issued, right):
    client = client_for(agency_user)
    page = _html(client.get(f"/valuations/{issued.pk}/"))
    assert 'data-testid="expert-form"' in page and 'name="expert_technical"' in page
    assert 'data-testid="score-experts"' not in page
    before = right_score_get(number=right.number)["score"]
    html = _html(client.get(f"/valuations/{issued.pk}/?expert_technical=100"))
    # + 0.30 × 0.25 × (1.0 − 0.5) × 100 = 3.75 points
    after = right_score_get(number=right.number, experts={"expert_technical": "100"})["score"]
    assert after == pytest.approx(before + 3.75)
    assert f'data-testid="score-value">{floatformat(after, 1)}<' in html
    assert 'data-testid="score-experts"' in html and "技术专家评分 100" in html


def test_an_expert_value_out_of_range_is_shown_on_its_input(client_for, agency_user, issued, right):
    resp = client_for(agency_user).get(f"/valuations/{issued.pk}/?expert_legal=150")
    assert resp.status_code == 200
    html = _html(resp)
    assert "expert_legal 应为 0 至 100 之间的数值" in html
    assert 'data-testid="score-experts"' not in html
    shown = right_score_get(number=right.number)["score"]
    assert f'data-testid="score-value">{floatformat(shown, 1)}<' in html
