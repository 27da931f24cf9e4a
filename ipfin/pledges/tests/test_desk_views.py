"""The examiner's desk over HTTP (issue 13): the queue's filters and order as GET parameters (bad
values said next to their filter, never a 500; kept across pages; a fixed number of queries), the
case page's holder, claim and assignment, the contract shown inline (framing allowed for that
response only), a pending invalidation the parties declared shown as a warning, and the decision
form's errors next to the field they concern."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from ipfin.accounts.models import Organisation, OrganisationKind, Role, User
from ipfin.holidays.selectors import working_calendar
from ipfin.pledges import views
from ipfin.pledges.models import Pledge
from ipfin.pledges.samples import other_party_confirms
from ipfin.pledges.services import (
    case_claim,
    pledge_decide,
    pledge_resubmit,
    seen_token,
)
from ipfin.pledges.tests.desk_cases import change_waiting
from ipfin.pledges.tests.factories import file_pledge
from ipfin.registry.models import Right
from ipfin.registry.services import right_event_record
from ipfin.registry.tests.factories import make_patent

pytestmark = pytest.mark.django_db


def _html(response: Any) -> str:
    return str(response.content.decode())


def _cases(html: str) -> list[str]:
    """The cases of the queue's table, in order, as "registration-<id>" / "change-<id>"."""
    return re.findall(r'data-case="([a-z]+-[0-9]+)"', html)


@pytest.fixture
def examiner_b(make_user: Callable[..., User], ip_office: Organisation) -> User:
    return make_user("examiner_b", ip_office, Role.EXAMINER)


@pytest.fixture
def desk(
    examiner: User,
    bank_a_user: User,
    bank_b_user: User,
    enterprise_a: Organisation,
    make_trademark: Callable[..., Right],
    today: date,
) -> dict[str, Any]:
    """Four cases: an overdue patent application of bank A (filed 30 days ago, 9,000,000.00), a
    trademark application of bank B (2,000,000.00), a fresh patent application of bank A
    (5,000,000.00), and a change application of a registered pledge of bank A."""
    late = file_pledge(
        bank_user=bank_a_user,
        pledgor=enterprise_a,
        rights=[make_patent(examiner=examiner, owner=enterprise_a)],
        today=today - timedelta(days=30),
        term_start=today - timedelta(days=30),
        debt_amount="9000000.00",
    )
    mark = file_pledge(
        bank_user=bank_b_user,
        pledgor=enterprise_a,
        rights=[make_trademark("蓝鲸", ["0901"])],
        debt_amount="2000000.00",
    )
    fresh = file_pledge(
        bank_user=bank_a_user,
        pledgor=enterprise_a,
        rights=[make_patent(examiner=examiner, owner=enterprise_a)],
        debt_amount="5000000.00",
    )
    change = change_waiting(
        examiner=examiner,
        bank_user=bank_a_user,
        pledgor=enterprise_a,
        reason="增加借款",
        debt_amount="7000000.00",
    )
    assert late.deadline is not None and late.deadline < today <= (fresh.deadline or today)
    return {"late": late, "mark": mark, "fresh": fresh, "change": change}


def test_the_queue_lists_both_kinds_of_case_nearest_deadline_first(
    client_for: Callable[[User], Client], examiner: User, desk: dict[str, Any]
) -> None:
    response = client_for(examiner).get("/examiner/queue/")
    html = _html(response)
    assert response.status_code == 200
    shown = _cases(html)
    assert set(shown) == {
        f"registration-{desk['late'].pk}",
        f"registration-{desk['mark'].pk}",
        f"registration-{desk['fresh'].pk}",
        f"change-{desk['change'].pk}",
    }
    assert shown[0] == f"registration-{desk['late'].pk}"  # overdue: the nearest deadline
    assert html.count("已超期") == 1
    assert "还剩" in html  # working days left, for the cases not yet due
    # A change case says what would change, by its label (never the field's code).
    assert f"变更登记 #{desk['change'].pk}" in html and "被担保主债权数额：" in html
    assert "debt_amount" not in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("kind=registration", {"late", "mark", "fresh"}),
        ("kind=change", {"change"}),
        ("right_kind=trademark", {"mark"}),
        ("right_kind=patent&kind=registration", {"late", "fresh"}),
        ("right_kind=copyright", set()),
        ("deadline=overdue", {"late"}),
        ("status=decided", {"registered"}),
        ("status=correction_requested", set()),
        ("status=awaiting_check", set()),
    ],
)
def test_each_filter_narrows_the_queue(
    client_for: Callable[[User], Client],
    examiner: User,
    desk: dict[str, Any],
    params: str,
    expected: set[str],
) -> None:
    response = client_for(examiner).get(f"/examiner/queue/?{params}")
    assert response.status_code == 200, params
    names = {
        f"registration-{desk[k].pk}" if k != "change" else f"change-{desk[k].pk}"
        for k in expected
        if k in desk
    }
    if "registered" in expected:
        names.add(f"registration-{desk['change'].pledge_id}")
    assert set(_cases(_html(response))) == names, params


def test_the_bank_filter_and_the_deadline_window_in_working_days(
    client_for: Callable[[User], Client],
    examiner: User,
    bank_b_user: User,
    desk: dict[str, Any],
    today: date,
) -> None:
    client = client_for(examiner)
    bank_b = bank_b_user.organisation
    assert bank_b is not None
    by_bank = _cases(_html(client.get(f"/examiner/queue/?bank={bank_b.pk}")))
    assert by_bank == [f"registration-{desk['mark'].pk}"]
    horizon = working_calendar().add_working_days(today, 2)
    expected = {
        f"registration-{p.pk}"
        for p in (desk["late"], desk["mark"], desk["fresh"])
        if p.deadline is not None and today <= p.deadline <= horizon
    }
    change = desk["change"]
    if change.deadline is not None and today <= change.deadline <= horizon:
        expected.add(f"change-{change.pk}")
    due = _cases(_html(client.get("/examiner/queue/?deadline=due&within_days=2")))
    assert set(due) == expected
    everything = _cases(_html(client.get("/examiner/queue/?deadline=due&within_days=60")))
    assert f"registration-{desk['late'].pk}" not in everything  # overdue is not "due"
    assert len(everything) == 3


def test_my_cases_and_unclaimed(
    client_for: Callable[[User], Client], examiner: User, examiner_b: User, desk: dict[str, Any]
) -> None:
    case_claim(actor=examiner, case=desk["fresh"])
    case_claim(actor=examiner_b, case=desk["change"])
    client = client_for(examiner)
    assert _cases(_html(client.get("/examiner/queue/?claim=mine"))) == [
        f"registration-{desk['fresh'].pk}"
    ]
    unclaimed = set(_cases(_html(client.get("/examiner/queue/?claim=unclaimed"))))
    assert unclaimed == {f"registration-{desk['late'].pk}", f"registration-{desk['mark'].pk}"}
    html = _html(client.get("/examiner/queue/"))
    assert f'data-testid="case-holder-registration-{desk["fresh"].pk}">我<' in html
    assert f'data-testid="case-holder-change-{desk["change"].pk}">examiner_b<' in html
    assert f'data-testid="queue-claim-{desk["late"].pk}"' in html


@pytest.mark.parametrize("sort", ["-amount", "amount"])
def test_sorted_by_amount(
    client_for: Callable[[User], Client], examiner: User, desk: dict[str, Any], sort: str
) -> None:
    # 9,000,000.00 (late) > 5,000,000.00 (fresh; the change, by its pledge's registered amount)
    # > 2,000,000.00 (mark); equal amounts by deadline.
    shown = _cases(_html(client_for(examiner).get(f"/examiner/queue/?sort={sort}")))
    largest, smallest = f"registration-{desk['late'].pk}", f"registration-{desk['mark'].pk}"
    middle = {f"registration-{desk['fresh'].pk}", f"change-{desk['change'].pk}"}
    expected_ends = (largest, smallest) if sort == "-amount" else (smallest, largest)
    assert (shown[0], shown[-1]) == expected_ends
    assert set(shown[1:3]) == middle


def test_sorted_by_bank_and_by_filing(
    client_for: Callable[[User], Client],
    examiner: User,
    desk: dict[str, Any],
    bank_a_user: User,
    bank_b_user: User,
) -> None:
    client = client_for(examiner)
    by_bank = _cases(_html(client.get("/examiner/queue/?sort=bank&kind=registration")))
    names = {
        desk["late"].pk: desk["late"].pledgee.name,
        desk["fresh"].pk: desk["fresh"].pledgee.name,
        desk["mark"].pk: desk["mark"].pledgee.name,
    }
    banks = [names[int(case.split("-")[1])] for case in by_bank]
    assert banks == sorted(banks)
    newest = _cases(_html(client.get("/examiner/queue/?sort=-filed&kind=registration")))
    assert newest[-1] == f"registration-{desk['late'].pk}"


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ("status=pending", "status", "请从列表中选择"),
        ("deadline=soon", "deadline", "请从列表中选择"),
        ("kind=release", "kind", "请从列表中选择"),
        ("right_kind=domain_name", "right_kind", "请从列表中选择"),
        ("sort=debt_amount", "sort", "请从列表中选择"),
        ("claim=others", "claim", "请从列表中选择"),
        ("within_days=0", "within_days", "1 至 60"),
        ("within_days=abc", "within_days", "1 至 60"),
        ("within_days=99999999999999999999", "within_days", "1 至 60"),
        ("bank=abc", "bank", "没有这家银行"),
        ("bank=999999", "bank", "没有这家银行"),
        ("page=-3", "page", "页码"),
        ("page=x", "page", "页码"),
    ],
)
def test_a_bad_filter_is_said_next_to_it_never_a_server_error(
    client_for: Callable[[User], Client],
    examiner: User,
    desk: dict[str, Any],
    params: str,
    field: str,
    words: str,
) -> None:
    response = client_for(examiner).get(f"/examiner/queue/?{params}")
    html = _html(response)
    assert response.status_code == 400, params
    assert 'data-testid="filter-error"' in html and "筛选条件有误" in html
    assert words in html, params
    assert _cases(html) == []  # no list built on a filter that was not understood
    # The bad value stays visible in its input where it is one (the form keeps what was sent).
    if field == "within_days" and params.endswith("abc"):
        assert 'value="abc"' in html


def test_a_bank_has_no_desk(client_for: Callable[[User], Client], bank_a_user: User) -> None:
    response = client_for(bank_a_user).get("/examiner/queue/?status=all")
    assert response.status_code == 403


def test_filters_are_kept_across_pages(
    client_for: Callable[[User], Client],
    examiner: User,
    desk: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "CASES_PER_PAGE", 2)
    client = client_for(examiner)
    first = _html(client.get("/examiner/queue/?kind=registration&sort=-amount"))
    assert _cases(first) == [
        f"registration-{desk['late'].pk}",
        f"registration-{desk['fresh'].pk}",
    ]
    link = re.search(r'href="\?([^"]+)" data-testid="case-page-next"', first)
    assert link is not None
    query = link.group(1).replace("&amp;", "&")
    assert set(query.split("&")) == {"kind=registration", "sort=-amount", "page=2"}
    second = _html(client.get(f"/examiner/queue/?{query}"))
    assert _cases(second) == [f"registration-{desk['mark'].pk}"]
    assert "case-page-previous" in second and "第 2 / 2 页" in second


def _make_cases(
    n: int, examiner: User, bank_a_user: User, enterprise_a: Organisation, today: date
) -> None:
    for _ in range(n):
        file_pledge(
            bank_user=bank_a_user,
            pledgor=enterprise_a,
            rights=[make_patent(examiner=examiner, owner=enterprise_a)],
        )
    for _ in range(n):
        change_waiting(
            examiner=examiner,
            bank_user=bank_a_user,
            pledgor=enterprise_a,
            term_end=today + timedelta(800),
        )


def test_the_queue_page_reads_a_fixed_number_of_queries(
    client_for: Callable[[User], Client],
    count_queries: Callable[[Callable[[], object]], int],
    examiner: User,
    bank_a_user: User,
    enterprise_a: Organisation,
    today: date,
) -> None:
    client = client_for(examiner)
    url = (
        "/examiner/queue/?status=submitted&right_kind=patent&sort=bank&deadline=due&within_days=20"
    )
    _make_cases(1, examiner, bank_a_user, enterprise_a, today)
    client.get(url)  # warm the session
    one = count_queries(lambda: client.get(url))
    assert len(_cases(_html(client.get(url)))) == 2
    _make_cases(5, examiner, bank_a_user, enterprise_a, today)
    many = count_queries(lambda: client.get(url))
    assert len(_cases(_html(client.get(url)))) == 12
    assert one == many, (one, many)


# --- the case page ----------------------------------------------------------------------------


def test_claim_from_the_queue_then_release_from_the_case_page(
    client_for: Callable[[User], Client], examiner: User, examiner_b: User, pledge: Pledge
) -> None:
    client = client_for(examiner)
    claimed = client.post(f"/pledges/{pledge.pk}/claim/")
    assert claimed.status_code == 302 and claimed["Location"] == f"/pledges/{pledge.pk}/"
    page = _html(client.get(f"/pledges/{pledge.pk}/"))
    assert "本案由您承办" in page and 'data-testid="case-release"' in page
    pledge.refresh_from_db()
    assert pledge.assignee_id == examiner.pk
    # Another examiner sees who holds it, no decision form, and is refused if it posts one.
    other = client_for(examiner_b)
    seen = _html(other.get(f"/pledges/{pledge.pk}/"))
    assert "本案由审查员 examiner 承办" in seen and 'id="decision-form"' not in seen
    assert 'data-testid="case-held-by-other"' in seen
    refused = other.post(
        f"/pledges/{pledge.pk}/decision/", {"decision": "reject", "reason": "不符合条件"}
    )
    assert refused.status_code == 409
    assert "只有承办审查员可以作出审查决定" in _html(refused)
    again = other.post(f"/pledges/{pledge.pk}/claim/")
    assert again.status_code == 409 and "本案已由审查员 examiner 认领" in _html(again)
    released = client.post(f"/pledges/{pledge.pk}/claim/release/")
    assert released.status_code == 302
    pledge.refresh_from_db()
    assert pledge.assignee_id is None and pledge.state == "submitted"


def test_an_administrator_assigns_from_the_case_page_an_examiner_may_not(
    client_for: Callable[[User], Client],
    examiner: User,
    examiner_b: User,
    office_admin: User,
    pledge: Pledge,
) -> None:
    admin = client_for(office_admin)
    page = _html(admin.get(f"/pledges/{pledge.pk}/"))
    assert 'id="assign-form"' in page and ">examiner_b<" in page
    assigned = admin.post(f"/pledges/{pledge.pk}/assign/", {"assignee": examiner_b.pk})
    assert assigned.status_code == 302
    pledge.refresh_from_db()
    assert pledge.assignee_id == examiner_b.pk
    bad = admin.post(f"/pledges/{pledge.pk}/assign/", {"assignee": "nobody"})
    assert bad.status_code == 400 and "请从列表中选择本局的审查员" in _html(bad)
    forbidden = client_for(examiner).post(
        f"/pledges/{pledge.pk}/assign/", {"assignee": examiner.pk}
    )
    assert forbidden.status_code == 403
    pledge.refresh_from_db()
    assert pledge.assignee_id == examiner_b.pk


def test_the_contract_is_shown_inline_to_the_examiner_framed_by_this_site_only(
    client_for: Callable[[User], Client],
    examiner: User,
    bank_a_user: User,
    pledge: Pledge,
    upload_contract: Callable[..., Any],
) -> None:
    document = upload_contract(pledge)
    client = client_for(examiner)
    page = client.get(f"/pledges/{pledge.pk}/")
    html = _html(page)
    inline = f"/pledges/{pledge.pk}/documents/{document.pk}/inline/"
    assert f'<iframe class="contract-frame" src="{inline}"' in html
    assert f'href="/pledges/{pledge.pk}/documents/{document.pk}/"' in html  # the download beside
    # The page itself may never be framed.
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    shown = client.get(inline)
    assert shown.status_code == 200
    assert shown["Content-Type"] == "application/pdf"
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["X-Frame-Options"] == "SAMEORIGIN"
    assert shown["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert b"".join(shown.streaming_content).startswith(b"%PDF")
    # The download keeps its attachment and its framing refused.
    download = client.get(f"/pledges/{pledge.pk}/documents/{document.pk}/")
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Frame-Options"] == "DENY"
    # Inline is the examiner's: the bank downloads its contract.
    bank = client_for(bank_a_user)
    assert bank.get(inline).status_code == 403
    assert "contract-frame" not in _html(bank.get(f"/pledges/{pledge.pk}/"))


def _declared_invalidation_pledge(
    examiner: User, bank_a_user: User, enterprise_a: Organisation, today: date
) -> tuple[Pledge, Right]:
    right = make_patent(examiner=examiner, owner=enterprise_a)
    right_event_record(
        actor=examiner, right=right, type="invalidation_requested", date=today, payload={}
    )
    pledge = file_pledge(
        bank_user=bank_a_user,
        pledgor=enterprise_a,
        rights=[right],
        proceed_despite_invalidation=True,
    )
    return pledge, right


def test_a_pending_invalidation_the_parties_declared_is_a_warning_not_a_tick_banfa_art12(
    client_for: Callable[[User], Client],
    examiner: User,
    bank_a_user: User,
    enterprise_a: Organisation,
    today: date,
) -> None:
    pledge, right = _declared_invalidation_pledge(examiner, bank_a_user, enterprise_a, today)
    for user in (examiner, bank_a_user):
        html = _html(client_for(user).get(f"/pledges/{pledge.pk}/"))
        assert 'data-testid="declared-risks"' in html
        assert f"{right.number}：无效宣告程序尚未结束" in html
        item = re.search(r'<li class="check (\w+)" data-rule="no_invalidation_pending"[^>]*>', html)
        assert item is not None and item.group(1) == "warn"  # amber, never "pass"
    queue = _html(client_for(examiner).get("/examiner/queue/"))
    row = queue[queue.index(f'data-pledge-id="{pledge.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "无效宣告未决（双方已声明）" in row
    # Where no invalidation is pending the rule is met: a tick, and no warning.
    plain = file_pledge(
        bank_user=bank_a_user,
        pledgor=enterprise_a,
        rights=[make_patent(examiner=examiner, owner=enterprise_a)],
    )
    html = _html(client_for(examiner).get(f"/pledges/{plain.pk}/"))
    assert 'data-testid="declared-risks"' not in html
    assert 'class="check pass" data-rule="no_invalidation_pending"' in html


def test_a_refusal_without_a_reason_is_said_next_to_the_reason_and_keeps_the_form(
    client_for: Callable[[User], Client], examiner: User, pledge: Pledge
) -> None:
    response = client_for(examiner).post(
        f"/pledges/{pledge.pk}/decision/",
        {"decision": "reject", "reason": "", "seen": seen_token(pledge)},
    )
    html = _html(response)
    assert response.status_code == 422
    field = html[html.index('data-testid="decision-reason-field"') :]
    field = field[: field.index("</div>\n    <p>")]
    assert "不予登记或要求补正时须说明理由" in field
    assert re.search(r'value="reject"[^>]*checked|checked[^>]*value="reject"', html)
    pledge.refresh_from_db()
    assert pledge.state == "submitted"


def test_an_invalid_decision_is_said_next_to_the_decision(
    client_for: Callable[[User], Client], examiner: User, pledge: Pledge
) -> None:
    response = client_for(examiner).post(
        f"/pledges/{pledge.pk}/decision/", {"decision": "maybe", "reason": "看看"}
    )
    html = _html(response)
    assert response.status_code == 400
    assert "请选择准予登记、不予登记或通知补正" in html
    assert re.search(r">\s*看看</textarea>", html)  # what was entered is kept
    pledge.refresh_from_db()
    assert pledge.state == "submitted"


def test_a_stale_decision_is_refused_above_the_form_which_keeps_its_input(
    client_for: Callable[[User], Client],
    examiner: User,
    bank_a_user: User,
    pledge: Pledge,
) -> None:
    opened = seen_token(pledge)
    # Meanwhile the application was corrected and submitted again.
    pledge_decide(actor=examiner, pledge=pledge, decision="correct", reason="补充担保范围")
    again, _checks = pledge_resubmit(actor=bank_a_user, pledge=pledge, scope="本金")
    if again.state == "awaiting_confirmation":
        other_party_confirms(again)
    response = client_for(examiner).post(
        f"/pledges/{pledge.pk}/decision/",
        {"decision": "reject", "reason": "依旧页决定", "seen": opened},
    )
    html = _html(response)
    assert response.status_code == 409
    assert 'data-testid="decision-form-error"' in html and "重新打开页面" in html
    assert re.search(r">\s*依旧页决定</textarea>", html)
    pledge.refresh_from_db()
    assert pledge.state == "submitted" and pledge.decision_reason == "补充担保范围"


def test_a_decision_on_a_case_already_decided_is_a_409_with_its_reason(
    client_for: Callable[[User], Client], examiner: User, pledge: Pledge
) -> None:
    pledge_decide(actor=examiner, pledge=pledge, decision="reject", reason="第一次决定")
    response = client_for(examiner).post(
        f"/pledges/{pledge.pk}/decision/", {"decision": "correct", "reason": "第二次"}
    )
    assert response.status_code == 409
    assert 'data-testid="action-error"' in _html(response)
    pledge.refresh_from_db()
    assert pledge.state == "rejected" and pledge.decision_reason == "第一次决定"


def test_a_bank_org_kind_is_no_assignee_choice(
    client_for: Callable[[User], Client], office_admin: User, pledge: Pledge
) -> None:
    assert office_admin.organisation is not None
    assert office_admin.organisation.kind == OrganisationKind.IP_OFFICE
    html = _html(client_for(office_admin).get(f"/pledges/{pledge.pk}/"))
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', html)
    assert "bank_a" not in options and "office" not in options
