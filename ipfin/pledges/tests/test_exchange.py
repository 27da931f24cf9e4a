"""The pledge registrations in the national platform's fields (CSV) and the demands' interchange
file (JSON): the IP office's, over a bounded period, text cells inert in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from ipfin.accounts.models import Organisation, User
from ipfin.pledges.exchange import NATIONAL_PLEDGE_FIELDS
from ipfin.pledges.models import Pledge
from ipfin.pledges.tests.factories import approve, file_demand

pytestmark = pytest.mark.django_db


def _rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())  # Excel reads the Chinese as Chinese
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_registrations_in_the_national_platform_s_fields(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    enterprise_a: Organisation,
    api_client: Callable[..., Any],
    office_user: User,
    today: Any,
) -> None:
    # A name a spreadsheet would run as a formula stays text.
    Organisation.objects.filter(pk=enterprise_a.pk).update(name='=HYPERLINK("http://x")甲公司')
    pledge = approve(examiner, make_pledge())
    make_pledge()  # filed, not registered: not exported
    office = api_client(office_user)
    span = f"start={today - timedelta(days=30)}&end={today}"
    answer = office.get(f"/api/v1/exports/pledge-registrations.csv?{span}")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = _rows(answer.content)
    assert rows[0] == list(NATIONAL_PLEDGE_FIELDS)
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["质押登记号"] == pledge.registration_no
    assert row["登记生效日"] == today.isoformat() and row["登记状态"] == "已登记"
    assert row["出质人名称"].startswith("'=HYPERLINK")
    assert row["担保债权数额（元）"] == "5000000.00"
    assert row["知识产权类型"] == "发明专利"

    earlier = f"start={today - timedelta(days=60)}&end={today - timedelta(days=31)}"
    assert (
        len(_rows(office.get(f"/api/v1/exports/pledge-registrations.csv?{earlier}").content)) == 1
    )
    too_long = f"start={today - timedelta(days=400)}&end={today}"
    refused = office.get(f"/api/v1/exports/pledge-registrations.csv?{too_long}")
    assert (refused.status_code, refused.json()["code"]) == (422, "period_invalid")
    backwards = office.get(
        f"/api/v1/exports/pledge-registrations.csv?start={today}&end={today - timedelta(days=1)}"
    )
    assert backwards.status_code == 422


def test_only_the_office_exports(
    bank_a_api: Any, api_client: Callable[..., Any], today: Any
) -> None:
    span = f"start={today}&end={today}"
    for path in ("/api/v1/exports/pledge-registrations.csv", "/api/v1/exports/demands.json"):
        assert bank_a_api.get(f"{path}?{span}").status_code == 403
        assert api_client(None).get(f"{path}?{span}").status_code == 401


def test_the_demands_interchange_file(
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a_user: User,
    enterprise_a: Organisation,
    right: Any,
    today: Any,
) -> None:
    file_demand(api_client(enterprise_a_user), enterprise_a, right)
    body = (
        api_client(office_user)
        .get(f"/api/v1/exports/demands.json?start={today}&end={today}")
        .json()
    )
    assert body["format"] == "ipfin-financing-demands" and body["version"] == 1
    assert body["period"] == {"start": today.isoformat(), "end": today.isoformat()}
    [item] = body["items"]
    assert (item["uscc"], item["amount"], item["term_months"], item["rights"]) == (
        enterprise_a.uscc,
        "3000000.00",
        12,
        [right.number],
    )
    assert item["collateral"] == "知识产权质押" and item["financed"] is False
    assert item["filed_on"] == today.isoformat()


def test_a_change_registration_is_a_row_and_the_registration_keeps_its_registered_terms(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_user: User,
    enterprise_a_user: User,
    api_client: Callable[..., Any],
    office_user: User,
    today: Any,
) -> None:
    """变更登记 of the debt and the term: the national platform gets a row with the new terms
    and the change's day; the registration's own row still shows what was registered."""
    from ipfin.pledges.services import (
        pledge_change,
        pledge_change_confirm,
        pledge_change_decide,
    )

    pledge = approve(examiner, make_pledge())
    registered_end = pledge.term_end
    new_end = registered_end + timedelta(days=90)
    change = pledge_change(
        actor=bank_a_user, pledge=pledge, debt_amount="6000000", term_end=new_end,
        reason="展期", today=today,
    )  # fmt: skip
    change = pledge_change_confirm(actor=enterprise_a_user, change=change, today=today)
    pledge_change_decide(actor=examiner, change=change, decision="approve", today=today)
    span = f"start={today - timedelta(days=30)}&end={today}"
    rows = _rows(
        api_client(office_user).get(f"/api/v1/exports/pledge-registrations.csv?{span}").content
    )
    assert rows[0] == list(NATIONAL_PLEDGE_FIELDS) and len(rows) == 3
    registered, changed = (dict(zip(rows[0], r, strict=True)) for r in rows[1:])
    assert (registered["登记状态"], registered["担保债权数额（元）"]) == ("已登记", "5000000.00")
    assert (registered["债务履行期限止"], registered["变更生效日"]) == (
        registered_end.isoformat(),
        "",
    )
    assert (changed["登记状态"], changed["担保债权数额（元）"]) == ("变更登记", "6000000.00")
    assert (changed["债务履行期限止"], changed["变更生效日"]) == (
        new_end.isoformat(),
        today.isoformat(),
    )
    assert changed["质押登记号"] == pledge.registration_no


def _past_period_rows(office: Any, today: Any) -> list[dict[str, str]]:
    """The rows of the period 60 to 31 days ago, by column name."""
    span = f"start={today - timedelta(days=60)}&end={today - timedelta(days=31)}"
    rows = _rows(office.get(f"/api/v1/exports/pledge-registrations.csv?{span}").content)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_a_past_period_s_registration_row_keeps_the_terms_registered_after_a_later_change(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_user: User,
    enterprise_a_user: User,
    api_client: Callable[..., Any],
    office_user: User,
    today: Any,
) -> None:
    """Exported again after a change made since the period, the period's registration row
    still shows the debt registered (the changes of a pledge with a row are all read, not only
    those of the period: the row had shown the later change's 6,000,000.00)."""
    from ipfin.pledges.services import (
        pledge_change,
        pledge_change_confirm,
        pledge_change_decide,
    )

    pledge = approve(examiner, make_pledge())
    registered_end = pledge.term_end
    change = pledge_change(
        actor=bank_a_user, pledge=pledge, debt_amount="6000000",
        term_end=registered_end + timedelta(days=90), reason="展期", today=today,
    )  # fmt: skip
    change = pledge_change_confirm(actor=enterprise_a_user, change=change, today=today)
    pledge_change_decide(actor=examiner, change=change, decision="approve", today=today)
    # The registration took effect 40 days ago, in the period; the change is today's, after it.
    Pledge.objects.filter(pk=pledge.pk).update(effective_date=today - timedelta(days=40))
    [row] = _past_period_rows(api_client(office_user), today)
    assert (row["担保债权数额（元）"], row["债务履行期限止"]) == (
        "5000000.00",
        registered_end.isoformat(),
    )
    assert row["变更生效日"] == ""


def test_a_past_period_s_registration_row_does_not_show_a_release_after_the_period(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    bank_a_user: User,
    api_client: Callable[..., Any],
    office_user: User,
    today: Any,
) -> None:
    from ipfin.pledges.services import pledge_release

    pledge = approve(examiner, make_pledge())
    pledge_release(actor=bank_a_user, pledge=pledge, today=today)
    Pledge.objects.filter(pk=pledge.pk).update(effective_date=today - timedelta(days=40))
    office = api_client(office_user)
    [row] = _past_period_rows(office, today)
    assert (row["登记状态"], row["注销日期"], row["注销原因"]) == ("已登记", "", "")
    # The period of the release has the release's row.
    span = f"start={today - timedelta(days=30)}&end={today}"
    rows = _rows(office.get(f"/api/v1/exports/pledge-registrations.csv?{span}").content)
    released = dict(zip(rows[0], rows[1], strict=True))
    assert (released["登记状态"], released["注销日期"]) == ("已注销", today.isoformat())
    assert released["注销原因"] != ""


def test_the_exchange_files_are_in_chinese_whatever_language_the_request_asks(
    make_pledge: Callable[..., Pledge],
    examiner: User,
    api_client: Callable[..., Any],
    office_user: User,
    enterprise_a_user: User,
    enterprise_a: Organisation,
    right: Any,
    today: Any,
) -> None:
    approve(examiner, make_pledge())
    file_demand(api_client(enterprise_a_user), enterprise_a, right)
    office = api_client(office_user)
    span = f"start={today - timedelta(days=30)}&end={today}"
    answer = office.get(
        f"/api/v1/exports/pledge-registrations.csv?{span}", HTTP_ACCEPT_LANGUAGE="en"
    )
    rows = _rows(answer.content)
    assert dict(zip(rows[0], rows[1], strict=True))["登记状态"] == "已登记"
    demands = office.get(
        f"/api/v1/exports/demands.json?start={today}&end={today}", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert demands["items"][0]["state_label"] == "对接中"
